"""A desktop client sees its own account's devices, and only those."""

from __future__ import annotations

from domain.context import AuditContext
from tests.api.harness import COMPONENTS, Api


def test_own_devices_only(api: Api) -> None:
    """GET /client/devices lists the caller's bound devices with the current one marked, never another
    account's."""
    api.create_account("carol")
    api.create_account("dave")
    carol = api.ledger.account_id_for("carol")
    assert carol is not None
    api.ledger.set_device_limit(carol, 2, api.clock(), AuditContext("test"))
    first = api.client_login("carol")
    second = api.client_login("carol", dict.fromkeys(COMPONENTS, "ee" * 16), nickname="laptop")
    api.client_login("dave")
    listed = api.client.get("/client/devices", headers=api.bearer(second))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["device_limit"] == 2
    assert {d["id"] for d in body["devices"]} == {first["device_id"], second["device_id"]}
    assert [d["nickname"] for d in body["devices"] if d["current"]] == ["laptop"]
