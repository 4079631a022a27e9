"""The releases pages: the upload form is streamed into the sealing pipeline with its CSRF token as the
first field; a refused upload is shown on the page; withdrawing asks first."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.roles import Role
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, settled
from tests.releases.harness import device, granted
from tests.ui.test_pages import HTML, login

FIELDS = {"version": "2.1.0", "channel": "stable", "platform": "linux-x86_64", "min_tier": "user"}


@pytest.fixture
def ui(tmp_path: Path, now: datetime) -> Iterator[Api]:
    with sqlite_api(tmp_path, now) as api:
        api.create_account("boss", Role.ADMIN)
        yield api


def upload(ui: Api, csrf: str | None, files: dict[str, bytes], **fields: str) -> Any:
    data = ({"csrf_token": csrf} if csrf else {}) | FIELDS | fields
    parts = [("file", (name, content)) for name, content in files.items()]
    return ui.client.post("/ui/releases", data=data, files=parts, headers=HTML, follow_redirects=False)


def test_the_upload_form_publishes_and_shows_the_release(ui: Api) -> None:
    """The form (CSRF token first) publishes the release and redirects to its page, which shows each
    file's SHA-256; the list shows it too."""
    content = b"binary" * 1000
    answer = upload(ui, login(ui), {"app.bin": content, "README": b"read me"})
    assert answer.status_code == 303
    page = ui.client.get(answer.headers["location"], headers=HTML)
    assert hashlib.sha256(content).hexdigest() in page.text
    assert "2.1.0" in ui.client.get("/ui/releases", headers=HTML).text


def test_an_upload_without_the_csrf_token_is_refused(ui: Api) -> None:
    """Without the form's token first (and no header), the upload is refused before any file is read."""
    login(ui)
    answer = upload(ui, None, {"app.bin": b"x"})
    assert answer.status_code == 403


def test_a_refused_upload_is_explained_on_the_page(ui: Api) -> None:
    """A version that is already published comes back to the list with the reason."""
    csrf = login(ui)
    upload(ui, csrf, {"app.bin": b"x"})
    again = upload(ui, csrf, {"app.bin": b"y"})
    assert again.status_code == 422
    assert 'id="upload-error"' in again.text


def test_withdrawing_asks_first_then_goes_through_the_ledger(ui: Api) -> None:
    """The first post shows a confirmation page keeping the reason; the confirmed one withdraws."""
    csrf = login(ui)
    location = upload(ui, csrf, {"app.bin": b"x"}).headers["location"]
    action = f"{location}/withdraw"
    asked = ui.client.post(action, data={"csrf_token": csrf, "reason": "bad build"}, headers=HTML)
    assert re.search(r'name="reason" value="bad build"', asked.text)
    done = ui.client.post(
        action, data={"csrf_token": csrf, "reason": "bad build", "confirmed": "yes"}, headers=HTML
    )
    assert done.status_code == 200
    release_id = location.rsplit("/", 1)[1]
    assert ui.ledger.release(UUID(release_id)).withdraw_reason == "bad build"


def test_the_audit_log_shows_each_download_with_device_and_address(ui: Api) -> None:
    """A granted download is in the audit page with its device id and the client's address."""
    csrf = login(ui)
    upload(ui, csrf, {"app.bin": b"x"})
    release = published_release(ui)
    client = device(ui, "carol")
    granted(ui, client, release)
    settled(ui)
    page = ui.client.get("/ui/audit", params={"event_type": "Download.Downloaded"}, headers=HTML)
    assert client.device_id in page.text
    assert "203.0.113.7" in page.text


def published_release(ui: Api) -> dict[str, Any]:
    """The release the admin just published, as the client sees it (files with ids)."""
    [found] = ui.ledger.recorder.select_notifications(
        start=1, limit=10_000, topics=("domain.release:Release.Published",)
    )
    release = ui.ledger.release(UUID(str(found.originator_id)))
    return {"id": str(release.id), "files": [{"id": str(f.file_id)} for f in release.files]}
