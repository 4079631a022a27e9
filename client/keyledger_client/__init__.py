"""Keyledger desktop SDK: log in, bind this device, keep the license valid with heartbeats and signed
leases (offline grace included), witness the ledger, and download releases (decrypted in memory, verified
against the ledger: ``KeyledgerClient.open_release``). Build one ``KeyledgerClient``; everything it
raises is a ``KeyledgerError`` (the tree is drawn in ``keyledger_client.errors``)."""

from __future__ import annotations

from keyledger_verifier import (
    BadSignature,
    Checkpoint,
    CompactRange,
    Leaf,
    MalformedCheckpoint,
    MalformedLeaf,
    ProofError,
    VerificationError,
    VerifierKey,
    decode_leaf,
    encode_leaf,
    leaf_hash,
    node_hash,
    open_checkpoint,
    parse_verifier_key,
    verify_consistency,
    verify_inclusion,
)

from keyledger_client.client import Activation, KeyledgerClient
from keyledger_client.errors import (
    AccessRefused,
    AccountBanned,
    AuthenticationError,
    DeviceLimitReached,
    GrantExpired,
    InvalidCredentials,
    KeyledgerError,
    KeyringUnavailable,
    LeaseRejected,
    LicenseKeyRejected,
    NoDeviceIdentity,
    NotEntitled,
    NotLoggedIn,
    ProblemError,
    RateLimited,
    ReleaseRejected,
    ReleaseWithdrawn,
    ServerBusy,
    ServerUnreachable,
    SessionEnded,
    UnexpectedResponse,
    WitnessAlarm,
)
from keyledger_client.fingerprint import application_salt, platform_readers
from keyledger_client.release_catalog import NoSuchRelease, Release, ReleaseFile
from keyledger_client.releases import write_plaintext
from keyledger_client.session import LoginResult
from keyledger_client.types import Callbacks, Clock, LicenseStatus, SystemClock
from keyledger_client.version import VERSION

__version__ = VERSION
__all__ = [
    "AccessRefused",
    "AccountBanned",
    "Activation",
    "AuthenticationError",
    "BadSignature",
    "Callbacks",
    "Checkpoint",
    "Clock",
    "CompactRange",
    "DeviceLimitReached",
    "GrantExpired",
    "InvalidCredentials",
    "KeyledgerClient",
    "KeyledgerError",
    "KeyringUnavailable",
    "Leaf",
    "LeaseRejected",
    "LicenseKeyRejected",
    "LicenseStatus",
    "LoginResult",
    "MalformedCheckpoint",
    "MalformedLeaf",
    "NoDeviceIdentity",
    "NoSuchRelease",
    "NotEntitled",
    "NotLoggedIn",
    "ProblemError",
    "ProofError",
    "RateLimited",
    "Release",
    "ReleaseFile",
    "ReleaseRejected",
    "ReleaseWithdrawn",
    "ServerBusy",
    "ServerUnreachable",
    "SessionEnded",
    "SystemClock",
    "UnexpectedResponse",
    "VerificationError",
    "VerifierKey",
    "WitnessAlarm",
    "application_salt",
    "decode_leaf",
    "encode_leaf",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_verifier_key",
    "platform_readers",
    "verify_consistency",
    "verify_inclusion",
    "write_plaintext",
]
