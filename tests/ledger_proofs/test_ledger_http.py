"""The ledger endpoints end to end over the real app (in-process sealer, SQLite and PostgreSQL), and
point-in-time state: at every event boundary the served state, and the auditor's replay of an export
(by time and by size), equal what the write model held at that moment."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from keyledger_verifier import audit_cli, decode_leaf, open_checkpoint, verify_consistency, verify_inclusion
from keyledger_verifier import leaf_hash as hash_leaf
from keyledger_verifier.replay import replay
from keyledger_verifier.sealed_values import SEALED_MARKER
from keyledger_verifier.state import aggregate_state

from domain.account import Account
from domain.context import AuditContext
from domain.device import Device
from domain.ledger.service import Ledger
from domain.license import License
from domain.roles import Role
from domain.session import Session
from projections.store import ReadStore
from tests.api.harness import Api, licensed_client, make_api, web_session


@pytest.fixture
def api(ledger: Ledger, read_store: ReadStore, tmp_path: Path, now: datetime) -> Iterator[Api]:
    harness = make_api(tmp_path / "data", ledger, now, read_store=read_store)
    with harness.client:
        yield harness


def admin_ctx() -> AuditContext:
    return AuditContext("admin:test", "req", "203.0.113.9", "pytest", "pit")


def sealed_size(api: Api, admin: dict[str, str]) -> int:
    """Waits (≤ 2 s) until the signed checkpoint covers every stored event; returns its size."""
    head = api.ledger.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        found = api.client.get("/ledger/checkpoint", headers=admin)
        if found.status_code == 200 and found.json()["tree_size"] >= head:
            return int(found.json()["tree_size"])
        time.sleep(0.02)
    raise AssertionError("no checkpoint covered the log within 2 s")


def test_witness_endpoints_verify_with_the_published_key(api: Api) -> None:
    """A desktop client reads the checkpoint, inclusion and consistency proofs; all verify against the
    checkpoint opened with the public verifier key."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    tokens = licensed_client(api, "alice")
    size = sealed_size(api, admin)
    key = api.client.get("/ledger/public-key").json()
    bearer = api.bearer(tokens)
    body = api.client.get("/ledger/checkpoint", headers=bearer).json()
    checkpoint = open_checkpoint(body["note"], key["verifier_key"])
    assert (checkpoint.size, base64.b64encode(checkpoint.root).decode()) == (size, body["root_hash"])
    for index in range(size):
        proof = api.client.get(
            f"/ledger/proofs/inclusion?index={index}&tree_size={size}", headers=bearer
        ).json()
        hashed = base64.b64decode(proof["leaf_hash"])
        verify_inclusion(index, size, hashed, [base64.b64decode(h) for h in proof["proof"]], checkpoint.root)
    first = api.client.get("/ledger/proofs/inclusion?index=0&tree_size=1", headers=bearer).json()
    one_root = base64.b64decode(first["leaf_hash"])
    proof = api.client.get(f"/ledger/proofs/consistency?first=1&second={size}", headers=bearer).json()[
        "proof"
    ]
    verify_consistency(1, size, one_root, checkpoint.root, [base64.b64decode(h) for h in proof])


def leaf_owners(api: Api, size: int, admin: dict[str, str]) -> dict[int, str | None]:
    """Each sealed leaf's event, read as an admin: the account it belongs to (None: no account's)."""
    owners: dict[int, str | None] = {}
    for index in range(size):
        body = api.client.get(f"/ledger/proofs/inclusion?index={index}&tree_size={size}", headers=admin)
        leaf = decode_leaf(base64.b64decode(body.json()["leaf"]))
        aggregate = api.ledger.find(Aggregate, UUID(leaf.originator_id))
        owners[index] = (
            str(getattr(aggregate, "account_id", aggregate.id))
            if isinstance(aggregate, Account | Session | Device | License)
            else None
        )
        assert hash_leaf(base64.b64decode(body.json()["leaf"])) == base64.b64decode(body.json()["leaf_hash"])
    return owners


def test_an_inclusion_proof_shows_only_the_callers_own_events(api: Api) -> None:
    """A desktop user gets every leaf's hash and proof, but the event itself only for their own account's
    events (account, sessions, devices, licenses); another user's events, addresses and index entries
    stay hidden. An admin sees every event."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    alice, bob = licensed_client(api, "alice"), licensed_client(api, "bob")
    size = sealed_size(api, admin)
    owners = leaf_owners(api, size, admin)
    alice_id = str(api.ledger.account_id_for("alice"))
    assert alice_id in owners.values()
    assert str(api.ledger.account_id_for("bob")) in owners.values()
    for index, owner in owners.items():
        for tokens, me in ((alice, alice_id), (bob, str(api.ledger.account_id_for("bob")))):
            url = f"/ledger/proofs/inclusion?index={index}&tree_size={size}"
            body = api.client.get(url, headers=api.bearer(tokens)).json()
            assert body["leaf_hash"]
            assert (body.get("leaf") is not None) == (owner == me), (index, owner, me)


def test_who_may_call_the_ledger_endpoints(api: Api) -> None:
    """Public key: anyone. Checkpoint and proofs: desktop clients and admins. Export and aggregate
    history: admins only. Out-of-range proofs: 422 problems."""
    api.create_account("root", Role.ADMIN)
    api.create_account("bob")
    admin, user = web_session(api, "root"), web_session(api, "bob")
    bearer = api.bearer(licensed_client(api, "alice"))
    size = sealed_size(api, admin)
    cases: list[tuple[str, dict[str, str], int]] = [
        ("/ledger/public-key", {}, 200),
        ("/ledger/checkpoint", {}, 401),
        ("/ledger/checkpoint", user, 403),
        ("/ledger/checkpoint", bearer, 200),
        ("/ledger/checkpoint", admin, 200),
        (f"/ledger/proofs/consistency?first=1&second={size}", bearer, 200),
        (f"/ledger/proofs/inclusion?index=0&tree_size={size + 1}", bearer, 422),
        ("/ledger/proofs/consistency?first=2&second=1", admin, 422),
        ("/ledger/export", bearer, 401),
        ("/ledger/export", user, 403),
        ("/ledger/export", admin, 200),
        (f"/ledger/export?end={size + 5}", admin, 422),
        (f"/audit/aggregates/{UUID(int=5)}/history", admin, 404),
        (f"/audit/aggregates/{UUID(int=5)}/history", user, 403),
    ]
    for path, headers, status in cases:
        response = api.client.get(path, headers=headers)
        assert response.status_code == status, (path, response.text)
        if status >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")


def test_the_served_export_passes_the_auditor(api: Api, tmp_path: Path) -> None:
    """GET /ledger/export streams an export that keyledger-audit verifies against the public key and the
    checkpoint a client held earlier; a partial export [2, size - 1) verifies too."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    licensed_client(api, "alice")
    sealed_size(api, admin)
    held = api.client.get("/ledger/checkpoint", headers=admin).json()["note"]
    licensed_client(api, "carol")
    size = sealed_size(api, admin)
    (tmp_path / "key").write_text(api.client.get("/ledger/public-key").json()["verifier_key"])
    (tmp_path / "held").write_text(held)
    for query in ("", f"?start=2&end={size - 1}"):
        (tmp_path / "export").write_bytes(api.client.get(f"/ledger/export{query}", headers=admin).content)
        args = ["verify", str(tmp_path / "export"), "--key", str(tmp_path / "key")]
        assert audit_cli.main([*args, "--held", str(tmp_path / "held")] if not query else args) == 0


def as_auditor(state: dict[str, Any]) -> dict[str, Any]:
    """An account's state as an auditor replays it: the username is sealed (docs/privacy.md)."""
    return {**state, "state": {**state["state"], "username": SEALED_MARKER}}


def test_point_in_time_state_equals_the_write_model_at_every_boundary(api: Api) -> None:
    """After every command, remember each aggregate as the write model holds it; then the state
    endpoint at that moment, the auditor's replay --at that moment and replay --size at that log size
    all give exactly that (personal fields sealed for the auditor), and history lists every event with
    its leaf."""
    api.create_account("root", Role.ADMIN)
    admin = web_session(api, "root")
    moments: list[tuple[datetime, int, dict[str, dict[str, Any]]]] = []
    ids: list[UUID] = []
    for step in range(6):
        api.clock.advance(minutes=7)
        now = api.clock()
        if step % 3 == 0:
            ids.append(UUID(api.create_account(f"pit{step}")))
        elif step % 3 == 1:
            api.ledger.change_role(ids[-1], Role.VIP, now, admin_ctx())
        else:
            api.ledger.ban(ids[-1], now + timedelta(days=1), now, admin_ctx())
        states = {str(i): aggregate_state(api.ledger.repository.get(i)) for i in ids}
        moments.append((now, api.ledger.recorder.max_notification_id() or 0, states))
    sealed_size(api, admin)
    export = api.client.get("/ledger/export", headers=admin).content
    lines = export.splitlines(keepends=True)
    for now, size, states in moments:
        by_time = replay(lines, size=None, at=now, aggregate=None)["aggregates"]
        by_size = replay(lines, size=size, at=None, aggregate=None)["aggregates"]
        for ident, state in states.items():
            served = api.client.get(
                f"/audit/aggregates/{ident}/state", params={"at": now.isoformat()}, headers=admin
            )
            assert served.json() == state
            assert by_time[ident] == by_size[ident] == as_auditor(state)
            later = (now + timedelta(minutes=3)).isoformat()
            assert (
                api.client.get(f"/audit/aggregates/{ident}/state", params={"at": later}, headers=admin).json()
                == state
            )
    first = moments[0][2]
    ident = next(iter(first))
    before = (moments[0][0] - timedelta(seconds=1)).isoformat()
    assert (
        api.client.get(f"/audit/aggregates/{ident}/state", params={"at": before}, headers=admin).status_code
        == 404
    )
    naive = api.client.get(
        f"/audit/aggregates/{ident}/state", params={"at": "2026-11-01T12:00:00"}, headers=admin
    )
    assert naive.status_code == 422
    history = api.client.get(f"/audit/aggregates/{ident}/history", headers=admin).json()["events"]
    assert [e["event"]["version"] for e in history] == [1, 2, 3]
    assert all(isinstance(e["leaf_index"], int) for e in history)
    assert history[2]["event"]["context"]["reason"] == "pit"
