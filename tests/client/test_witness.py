"""The client as a ledger witness: keeps the last verified checkpoint and accepts a new one only with a
consistency proof; anything else is reported to the application."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from keyledger_client import Callbacks, KeyledgerClient

from tests.client.conftest import MakeClient
from tests.client.fakes import PASSWORD, FakeServer, problem
from tests.client.ledger import ORIGIN, Log


def serve_ledger(server: FakeServer, log: Log, *, in_heartbeat: bool = True) -> None:
    """Adds the ledger endpoints to the fake server; heartbeats carry the latest checkpoint."""

    def checkpoint(request: httpx.Request, _body: Any) -> httpx.Response:
        refused = server.authorized(request)
        return refused or httpx.Response(200, json={"origin": ORIGIN, "tree_size": 0, "note": log.note()})

    def public_key(_request: httpx.Request, _body: Any) -> httpx.Response:
        return httpx.Response(200, json={"origin": ORIGIN, "verifier_key": log.verifier_key})

    def consistency(request: httpx.Request, _body: Any) -> httpx.Response:
        refused = server.authorized(request)
        first, second = int(request.url.params["first"]), int(request.url.params["second"])
        proof = log.proof(first, second)
        return refused or httpx.Response(200, json={"first": first, "second": second, "proof": proof})

    def heartbeat(request: httpx.Request, body: Any) -> httpx.Response:
        response = server.heartbeat(request, body)
        if response.status_code != 200 or not in_heartbeat:
            return response
        return httpx.Response(200, json={**response.json(), "checkpoint": {"note": log.note()}})

    server.extra_routes.update(
        {
            "GET /ledger/checkpoint": checkpoint,
            "GET /ledger/public-key": public_key,
            "GET /ledger/proofs/consistency": consistency,
            "POST /client/heartbeat": heartbeat,
        }
    )


@pytest.fixture
def log(server: FakeServer) -> Log:
    ledger = Log()
    ledger.grow(3)
    serve_ledger(server, ledger)
    return ledger


def witness_client(make_client: MakeClient, alarms: list[Exception], **options: Any) -> KeyledgerClient:
    client = make_client(witness=True, callbacks=Callbacks(on_witness_alarm=alarms.append), **options)
    client.login("carol", PASSWORD)
    return client


def test_first_checkpoint_is_kept_and_growth_is_proven(
    make_client: MakeClient, server: FakeServer, log: Log
) -> None:
    """The first checkpoint is kept; a larger one is accepted after its consistency proof verifies."""
    alarms: list[Exception] = []
    client = witness_client(make_client, alarms)
    client.heartbeat()
    assert client.state.checkpoint is not None
    assert client.state.checkpoint["size"] == 3
    log.grow(5)
    client.heartbeat()
    assert client.state.checkpoint["size"] == 8
    assert server.count("GET /ledger/proofs/consistency") == 1
    assert alarms == []


def test_forked_history_is_reported_and_old_checkpoint_kept(
    make_client: MakeClient, server: FakeServer, log: Log
) -> None:
    """A server that rewrote history (same key, other leaves) fails the proof: alarm, old checkpoint kept."""
    alarms: list[Exception] = []
    client = witness_client(make_client, alarms)
    client.heartbeat()
    forged = Log(log.key, prefix="rewritten")
    forged.grow(9)
    serve_ledger(server, forged)
    assert client.heartbeat().valid
    assert len(alarms) == 1
    assert "does not extend" in str(alarms[0])
    assert client.state.checkpoint is not None
    assert client.state.checkpoint["size"] == 3


def test_shrunk_log_and_same_size_fork_are_reported(
    make_client: MakeClient, server: FakeServer, log: Log
) -> None:
    """A smaller tree, or another root at the same size, is an alarm without asking for a proof."""
    alarms: list[Exception] = []
    client = witness_client(make_client, alarms)
    log.grow(2)
    client.heartbeat()
    shrunk = Log(log.key)
    shrunk.grow(4)
    serve_ledger(server, shrunk)
    client.heartbeat()
    fork = Log(log.key, prefix="fork")
    fork.grow(5)
    serve_ledger(server, fork)
    client.heartbeat()
    assert ["shrank" in str(alarms[0]), "fork" in str(alarms[1])] == [True, True]
    assert server.count("GET /ledger/proofs/consistency") == 0


def test_checkpoint_signed_by_another_key_is_reported(
    make_client: MakeClient, server: FakeServer, log: Log
) -> None:
    """With the key pinned by the app, a checkpoint signed by any other key raises the alarm."""
    alarms: list[Exception] = []
    impostor = Log()
    impostor.grow(3)
    serve_ledger(server, impostor)
    client = witness_client(make_client, alarms, ledger_key=log.verifier_key)
    client.heartbeat()
    assert len(alarms) == 1
    assert "does not verify" in str(alarms[0])
    assert client.state.checkpoint is None
    assert server.count("GET /ledger/public-key") == 0


def test_checkpoint_fetched_when_heartbeat_carries_none(make_client: MakeClient, server: FakeServer) -> None:
    """A heartbeat without a checkpoint: the witness reads GET /ledger/checkpoint itself."""
    ledger = Log()
    ledger.grow(4)
    serve_ledger(server, ledger, in_heartbeat=False)
    client = witness_client(make_client, [])
    client.heartbeat()
    assert client.state.checkpoint is not None
    assert client.state.checkpoint["size"] == 4
    assert server.count("GET /ledger/checkpoint") == 1


def test_server_without_ledger_endpoints_turns_the_witness_off(
    make_client: MakeClient, server: FakeServer
) -> None:
    """A server without the ledger routes (404 not_found): heartbeats work, the witness stops asking."""
    client = witness_client(make_client, [])
    assert client.heartbeat().valid
    assert client.heartbeat().valid
    assert server.count("GET /ledger/public-key") + server.count("GET /ledger/checkpoint") == 1


def test_nothing_sealed_yet_is_not_an_alarm(make_client: MakeClient, server: FakeServer, log: Log) -> None:
    """404 no_checkpoint (nothing sealed yet): skipped this time, checked again at the next heartbeat."""
    serve_ledger(server, log, in_heartbeat=False)
    server.extra_routes["GET /ledger/checkpoint"] = lambda *_: problem(404, "no_checkpoint")
    alarms: list[Exception] = []
    client = witness_client(make_client, alarms)
    assert client.heartbeat().valid
    assert client.heartbeat().valid
    assert server.count("GET /ledger/checkpoint") == 2
    assert alarms == []
