"""The secrets a process needs, from the data dir and settings: the HMAC master key (``Digests``), the
password hasher, the token signing key and the checkpoint notary. ``keys generate`` writes the missing
ones; every loader generates its own on first use."""

from __future__ import annotations

from pathlib import Path

from adapters.checkpoint_key import CHECKPOINT_KEY_FILE, generate_checkpoint_key, load_notary
from adapters.keyfiles import INDEX_KEY_FILE, generate_index_key, load_index_key
from adapters.notary import Notary
from adapters.password_pool import Argon2Parameters, PooledHasher, default_workers
from adapters.passwords import Argon2Hasher, PasswordSeal
from adapters.signing_key import (
    NEXT_SIGNING_KEY_FILE,
    PREVIOUS_SIGNING_KEY_FILE,
    SIGNING_KEY_FILE,
    generate_signing_key,
    load_rotation_key,
    load_signing_key,
)
from api.tokens import SigningKey, TokenService
from bootstrap.settings import Settings
from domain.digests import Digests

GENERATORS = (
    (INDEX_KEY_FILE, generate_index_key),
    (SIGNING_KEY_FILE, generate_signing_key),
    (CHECKPOINT_KEY_FILE, generate_checkpoint_key),
)


def generate_keys(data_dir: Path) -> list[Path]:
    """Writes every missing key file (0600); returns the ones it wrote."""
    return [data_dir / name for name, generate in GENERATORS if generate(data_dir)]


def digests(settings: Settings) -> Digests:
    return Digests(load_index_key(settings.data_dir))


def argon2(settings: Settings, keys: Digests) -> Argon2Hasher:
    """Argon2id with the configured parameters, its hashes sealed under a key derived from the index key."""
    return Argon2Hasher(
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        PasswordSeal(keys.key_for("password-seal")),
    )


def pooled_hasher(settings: Settings, keys: Digests) -> PooledHasher:
    """The API's hasher: Argon2id in ``hash_workers`` low-priority processes (default: the cores less
    one), at most ``hash_concurrency`` hashes waiting or running; close it when the process stops."""
    parameters = Argon2Parameters(
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        keys.key_for("password-seal"),
    )
    return PooledHasher(parameters, settings.hash_workers or default_workers(), settings.hash_concurrency)


def rotation_key(settings: Settings, name: str) -> SigningKey | None:
    found = load_rotation_key(settings.data_dir, name)
    return SigningKey.from_private(found) if found is not None else None


def token_service(settings: Settings) -> TokenService:
    """Tokens and leases signed with the current key; the next and previous keys, when the data dir holds
    them (a rotation in progress), join the signed key set."""
    return TokenService(
        SigningKey.from_private(load_signing_key(settings.data_dir)),
        settings.issuer,
        rotation_key(settings, NEXT_SIGNING_KEY_FILE),
        rotation_key(settings, PREVIOUS_SIGNING_KEY_FILE),
    )


def notary(settings: Settings) -> Notary:
    """The checkpoint notary: the configured signer key, else the key file (named by the origin)."""
    given = settings.checkpoint_signer_key
    secret = None if given is None else given.get_secret_value()
    return load_notary(settings.ledger_origin, settings.data_dir, secret)
