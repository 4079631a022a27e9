"""A NUL character in any query parameter is refused with a 422 problem, on every store, before a read
model sees it (PostgreSQL text cannot hold U+0000)."""

from __future__ import annotations

import pytest

from tests.api.harness import Api
from tests.releases.harness import admin, device


@pytest.mark.parametrize("query", ["platform=%00", "channel=a%00b", "%00=1", "platform=win&product=%00x"])
def test_client_release_filter_with_nul_is_a_422_problem(api: Api, query: str) -> None:
    """The download list's filters (the fuzzer's find on PostgreSQL) answer 422 naming the parameter."""
    downloader = device(api, "dora")
    response = api.client.get(f"/client/releases?{query}", headers=downloader.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_request"
    assert any("NUL" in e["message"] for e in body["errors"])


def test_admin_list_with_nul_is_a_422_problem(api: Api) -> None:
    """Admin lists take the same rule: the parameter is named in the problem's errors."""
    headers = admin(api)
    response = api.client.get("/admin/releases?platform=%00", headers=headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["platform"]


def test_ordinary_filters_still_pass(api: Api) -> None:
    """A filter without NUL is answered as before."""
    downloader = device(api, "dora")
    assert api.client.get("/client/releases?platform=windows", headers=downloader.headers).status_code == 200
