"""Heartbeats carry the latest signed ledger checkpoint, which verifies with the ledger's public key."""

from __future__ import annotations

import time

from keyledger_verifier import open_checkpoint, parse_verifier_key

from tests.api.harness import Api


def test_heartbeat_carries_a_verifiable_checkpoint(api: Api) -> None:
    """Once the sealer has signed a checkpoint, every heartbeat hands it to the client's witness."""
    api.create_account("carol")
    tokens = api.client_login("carol")
    deadline = time.monotonic() + 10
    checkpoint = None
    while checkpoint is None:
        assert time.monotonic() < deadline, "no checkpoint within 10 s"
        beat = api.client.post("/client/heartbeat", json={}, headers=api.bearer(tokens))
        checkpoint = beat.json()["checkpoint"]
        time.sleep(0.1)
    key = api.client.get("/ledger/public-key").json()["verifier_key"]
    opened = open_checkpoint(checkpoint["note"], parse_verifier_key(key))
    assert opened.size == checkpoint["tree_size"] >= 1
