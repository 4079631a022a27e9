"""Every decoder of untrusted input either accepts or refuses with its own error — never another
exception that would surface as a 500: list cursors, client addresses, Last-Event-ID, access tokens with
any claims, request text, session tokens, license keys and idempotency keys."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.read_store import SqliteReadStore
from api.client_address import client_address, limit_key, parse_networks
from api.routes.dashboard import event_id
from api.schemas import MAX_POSITION, check_text
from api.tokens import ACCESS_AUDIENCE, SigningKey, TokenRejected, TokenService
from domain import license_keys
from domain.errors import InvalidInput
from domain.idempotency import check_idempotency_key
from domain.ledger.sessions import session_id_of
from projections import accounts
from projections.pages import BadQuery, Order, decode_cursor
from tests.strategies import header_texts, json_values

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
KEY = SigningKey.from_private(Ed25519PrivateKey.generate())
PROXIES = parse_networks(["10.0.0.0/8", "::1/128"])


def as_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@given(st.text(max_size=80) | json_values().map(as_cursor))
def test_a_cursor_decodes_or_is_refused(cursor: str) -> None:
    """A cursor is two JSON values this list could have made, or BadQuery (never another error)."""
    try:
        value, key = decode_cursor(cursor)
    except BadQuery:
        return
    assert value is None or isinstance(value, str | int)
    assert isinstance(key, str | int)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SqliteReadStore:
    found = SqliteReadStore(Path(tmp_path_factory.mktemp("cursors")) / "rm.sqlite3")
    with found.transaction() as tx:
        for statement in accounts.DDL:
            tx.execute(statement)
    return found


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values().map(as_cursor))
def test_a_decoded_cursor_never_breaks_the_query(store: SqliteReadStore, cursor: str) -> None:
    """Whatever a cursor decodes to, the list query runs or refuses with BadQuery."""
    with store.snapshot() as tx, contextlib.suppress(BadQuery):
        accounts.list_accounts(tx, accounts.AccountFilter(), "now", Order("created_at", cursor=cursor))


def test_the_cursors_the_review_found_are_refused() -> None:
    """[{},{}] and [1e999, 1] (an infinite float) are refused as cursors."""
    bad_cursors: list[list[object]] = [[{}, {}], [float("inf"), 1], ["\ud800", "x"], [2**70, "x"]]
    for bad in bad_cursors:
        with pytest.raises(BadQuery):
            decode_cursor(as_cursor(bad))


@given(st.none() | st.text(max_size=40), st.none() | st.text(max_size=120))
def test_any_peer_and_forwarded_header_give_an_address_or_none(
    peer: str | None, forwarded: str | None
) -> None:
    """The client address is a real address (usable as a limit key) or None, whatever the header says."""
    found = client_address(peer, forwarded, PROXIES)
    if found is not None:
        assert limit_key(found)


@given(st.none() | header_texts())
def test_last_event_id_is_a_64_bit_position_or_none(header: str | None) -> None:
    """A Last-Event-ID header is a position that fits every store, or ignored."""
    found = event_id(header)
    assert found is None or 0 <= found <= MAX_POSITION


CLAIMS = st.fixed_dictionaries(
    {
        "iss": st.just("keyledger"),
        "aud": st.just(ACCESS_AUDIENCE),
        "typ": st.just("access"),
        "sub": st.uuids().map(str) | json_values(),
        "sid": st.uuids().map(str) | json_values(),
        "did": st.uuids().map(str) | json_values(),
        "jti": json_values(),
        "iat": json_values(),
        "nbf": st.just(int(NOW.timestamp()) - 1) | json_values(),
        "exp": st.just(int(NOW.timestamp()) + 60) | json_values(),
    }
)


@given(CLAIMS)
def test_a_signed_token_with_any_claims_is_accepted_or_rejected(claims: dict[str, object]) -> None:
    """Even correctly signed, claims of the wrong types (exp as text, sub as a list) are TokenRejected,
    never a TypeError."""
    token = jwt.encode(claims, KEY.private, algorithm="EdDSA", headers={"kid": KEY.kid})
    try:
        found = TokenService(KEY, "keyledger").access_claims(token, NOW)
    except TokenRejected:
        return
    assert isinstance(found.account_id, uuid.UUID)


@given(json_values())
def test_request_text_is_unicode_or_refused(value: object) -> None:
    """check_text accepts exactly the values whose every string encodes as UTF-8."""
    try:
        check_text(value)
    except ValueError:
        with pytest.raises(UnicodeEncodeError):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return
    json.dumps(value, ensure_ascii=False).encode("utf-8")


@given(st.text(max_size=250))
def test_session_tokens_license_keys_and_idempotency_keys_decode_or_refuse(text: str) -> None:
    """Session tokens, license keys and idempotency keys raise InvalidInput for anything malformed."""
    for decode in (session_id_of, license_keys.canonical, check_idempotency_key):
        with contextlib.suppress(InvalidInput):
            decode(text)
