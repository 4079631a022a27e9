"""Admin lists come from the read models: filters, allowlisted sort, cursors and read-your-writes."""

from __future__ import annotations

from domain.roles import Role
from tests.api.harness import Api


def test_user_list_search_filter_sort_and_cursor(api: Api) -> None:
    """A write's position makes the next list include it; search, role filter, sort and cursors work."""
    api.create_account("root", Role.ADMIN)
    csrf = api.web_login("root")
    position = 0
    for name in ("carol", "dave", "carla", "erin"):
        created = api.client.post(
            "/admin/users", json={"username": name, "password": "correct horse battery"}, headers=csrf
        )
        position = created.json()["position"]
    first = api.client.get(
        "/admin/users",
        params={"search": "car", "sort": "username", "order": "asc", "limit": 1, "position": position},
    )
    assert first.status_code == 200, first.text
    assert [u["username"] for u in first.json()["items"]] == ["carla"]
    second = api.client.get(
        "/admin/users",
        params={
            "search": "car",
            "sort": "username",
            "order": "asc",
            "limit": 1,
            "cursor": first.json()["next_cursor"],
        },
    )
    assert [u["username"] for u in second.json()["items"]] == ["carol"]
    assert second.json()["next_cursor"] is None
    admins = api.client.get("/admin/users", params={"role": "admin"}).json()["items"]
    assert [u["username"] for u in admins] == ["root"]


def test_bad_sort_or_cursor_is_a_problem(api: Api) -> None:
    """A sort field outside the allowlist or a forged cursor is a 422 problem, never a 500."""
    api.create_account("root", Role.ADMIN)
    api.web_login("root")
    assert api.client.get("/admin/users", params={"sort": "password_hash"}).status_code == 422
    forged = api.client.get("/admin/users", params={"cursor": "bm90IGpzb24"})
    assert forged.status_code == 422
    assert forged.json()["code"] == "invalid_query"


def test_every_admin_list_answers(api: Api) -> None:
    """Licenses, devices (with presence), sessions and IP blocks list what was written."""
    api.create_account("root", Role.ADMIN)
    csrf = api.web_login("root")
    issued = api.client.post("/admin/licenses", json={"count": 2, "days": 30}, headers=csrf).json()
    api.create_account("carol")
    tokens = api.client_login("carol")
    api.client.post("/client/heartbeat", json={}, headers=api.bearer(tokens))
    blocked = api.client.post(
        "/admin/ip-blocks", json={"address": "198.51.100.0/24", "reason": "abuse"}, headers=csrf
    ).json()
    wait = {"position": blocked["position"]}
    assert len(api.client.get("/admin/licenses", params={**wait, "status": "available"}).json()["items"]) == 2
    assert issued["position"] <= blocked["position"]
    devices = api.client.get("/admin/devices", params=wait).json()["items"]
    assert devices[0]["online"] is True
    assert devices[0]["last_ip"] == "203.0.113.7"
    kinds = {s["kind"] for s in api.client.get("/admin/sessions", params=wait).json()["items"]}
    assert kinds == {"web", "desktop"}
    blocks = api.client.get("/admin/ip-blocks", params=wait).json()["items"]
    assert [(b["network"], b["reason"]) for b in blocks] == [("198.51.100.0/24", "abuse")]
