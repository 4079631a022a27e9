"""The client tests' Hypothesis strategies, in one place: secrets and personal data of every kind a crash
report must not carry, each with the text that carries it."""

from __future__ import annotations

import base64
import json

from hypothesis import strategies as st

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
HEX = "0123456789abcdefABCDEF"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

Carried = tuple[str, str]
"""A secret and the text it appears in (the secret itself, or a ``key=secret`` pair)."""


def around() -> st.SearchStrategy[str]:
    """Any text before or after a secret (traceback lines, log lines, or noise)."""
    return st.text(max_size=40) | st.sampled_from(
        [" ", "\n", "ERROR: ", 'File "/opt/app/main.py", line 3', "2026-11-01 12:00:00,123 INFO x "]
    )


def token_text(minimum: int, maximum: int, alphabet: str = TOKEN_CHARS) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=minimum, max_size=maximum)


def jwts() -> st.SearchStrategy[Carried]:
    parts = st.tuples(token_text(4, 40), token_text(4, 60), token_text(0, 86))
    return parts.map(lambda p: f"eyJ{p[0]}.{p[1]}.{p[2]}").map(lambda jwt: (jwt, jwt))


def bearer_headers() -> st.SearchStrategy[Carried]:
    value = token_text(8, 60, TOKEN_CHARS + ".~+/=")
    form = st.sampled_from(
        ["Authorization: Bearer {}", "authorization={}", "bearer {}", "'Authorization': 'Basic {}'"]
    )
    return st.tuples(value, form).map(lambda pair: (pair[0], pair[1].format(pair[0])))


def opaque_tokens() -> st.SearchStrategy[Carried]:
    """Refresh tokens and other long random strings (the server's are 43 characters)."""
    return token_text(40, 90).map(lambda token: (token, token))


def passwords() -> st.SearchStrategy[Carried]:
    plain = st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="\"'\\,;&)}]")
    bare = st.text(alphabet=plain, min_size=6, max_size=30).filter(
        lambda value: not any(c.isspace() for c in value)
    )
    key = st.sampled_from(["password", "passwd", "PASSWORD", "client_secret", "api_key", "refresh_token"])
    unquoted = st.tuples(bare, key).map(lambda pair: (pair[0], f"{pair[1]}={pair[0]}"))
    quoted_value = st.text(alphabet=st.characters(exclude_characters="'\"\\\r\n"), min_size=6, max_size=30)
    quoted = st.tuples(quoted_value, key).map(lambda pair: (pair[0], f"'{pair[1]}': '{pair[0]}'"))
    return unquoted | quoted


def emails() -> st.SearchStrategy[Carried]:
    return st.emails().map(lambda address: (address, address))


def ip_addresses() -> st.SearchStrategy[Carried]:
    return st.ip_addresses().map(str).map(lambda address: (address, address))


def fingerprints() -> st.SearchStrategy[Carried]:
    return st.binary(min_size=8, max_size=32).map(bytes.hex).map(lambda digest: (digest, digest))


def license_keys() -> st.SearchStrategy[Carried]:
    groups = st.lists(token_text(5, 5, CROCKFORD), min_size=5, max_size=5).map("-".join)
    return groups.map(lambda key: (key, key))


def secrets() -> st.SearchStrategy[Carried]:
    """A secret of any kind, with the text that carries it."""
    return st.one_of(
        jwts(),
        bearer_headers(),
        opaque_tokens(),
        passwords(),
        emails(),
        ip_addresses(),
        fingerprints(),
        license_keys(),
    )


def usernames() -> st.SearchStrategy[str]:
    """Usernames as the server accepts them."""
    return st.from_regex(r"[A-Za-z0-9_]{3,50}", fullmatch=True)


# --- signed key sets ---------------------------------------------------------------------------------
def json_values() -> st.SearchStrategy[object]:
    """Any JSON value."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
        max_leaves=8,
    )


def encoded(inner: st.SearchStrategy[object]) -> st.SearchStrategy[str]:
    """``inner`` as JSON in unpadded base64url (a JWS segment)."""
    return inner.map(lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode())


def segments() -> st.SearchStrategy[str]:
    return st.binary(max_size=70).map(lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


def key_set_like() -> st.SearchStrategy[dict[str, object]]:
    """Documents shaped like a signed key set, every part of them sometimes wrong."""
    jwk = st.fixed_dictionaries(
        {
            "kty": st.sampled_from(["OKP", "RSA", 1]),
            "crv": st.sampled_from(["Ed25519", "X25519"]),
            "x": segments(),
        },
        optional={"kid": st.text(max_size=16)},
    )
    payload = st.fixed_dictionaries(
        {
            "typ": st.sampled_from(["keyledger-keys", "JWT"]),
            "iat": st.integers() | st.booleans() | st.floats() | st.text(max_size=5),
            "keys": st.lists(jwk, max_size=3) | json_values(),
        }
    )
    header = st.fixed_dictionaries(
        {
            "alg": st.sampled_from(["EdDSA", "none"]),
            "typ": st.sampled_from(["keyledger-keys+jws", "JWT"]),
            "kid": st.text(max_size=16) | st.integers(),
        }
    )
    signature = st.fixed_dictionaries(
        {"protected": encoded(header) | st.text(max_size=20), "signature": segments() | json_values()}
    )
    return st.fixed_dictionaries(
        {
            "payload": encoded(payload) | st.text(max_size=20),
            "signatures": st.lists(signature, max_size=3) | json_values(),
        }
    )


def json_documents() -> st.SearchStrategy[object]:
    """What a server or an edited state file may hold where a signed key set belongs."""
    return json_values() | key_set_like()
