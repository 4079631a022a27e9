"""Uploads: a release is published only when every file is stored; a refused, malformed, oversized or
broken-off upload leaves no release, no blob and no wrapped key."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.release_files import ReleaseStore
from domain.release import Release
from tests.api.embedded import sqlite_api
from tests.api.harness import Api, services_of
from tests.client.live import Admin, live_server
from tests.releases.harness import RELEASE, admin, publish, published


def leftovers(data_dir: Path, store: ReleaseStore) -> tuple[list[str], list[str]]:
    """Blob files (temporary ones included) and wrapped keys left in the data dir."""
    blobs = sorted(p.name for p in (data_dir / "blobs").iterdir()) if (data_dir / "blobs").exists() else []
    return blobs, store.files.secrets.key_ids()  # type: ignore[attr-defined]


def releases(api: Api) -> int:
    found = api.ledger.recorder.select_notifications(start=1, limit=10_000)
    return sum(1 for n in found if n.topic.endswith("Release.Published"))


def test_a_raw_body_publishes_a_one_file_release(api: Api) -> None:
    """POST /admin/releases/upload takes the file as application/octet-stream, the rest as query."""
    headers = {**admin(api), "Content-Type": "application/octet-stream"}
    params = {**RELEASE, "filename": "tool.exe", "min_tier": "vip"}
    answer = api.client.post("/admin/releases/upload", params=params, content=b"MZ" * 1000, headers=headers)
    assert answer.status_code == 201, answer.text
    release = answer.json()["release"]
    assert (release["min_tier"], [f["name"] for f in release["files"]]) == ("vip", ["tool.exe"])
    assert isinstance(api.ledger.release(uuid.UUID(release["id"])), Release)


@pytest.mark.parametrize(
    "case", ["duplicate", "bad_version", "no_file", "bad_name", "truncated", "not_a_form", "too_large"]
)
def test_a_refused_upload_leaves_nothing(tmp_path: Path, now: datetime, case: str) -> None:
    """A version already published (refused before the first byte is stored), a bad field, no file, a
    dot-file name, a form cut short, a body that is not a form, a body over the cap: 4xx, and no
    release, blob or key remains."""
    with sqlite_api(tmp_path, now, max_upload_bytes=100_000) as api:
        headers = admin(api)
        if case == "duplicate":
            published(api, headers, {"a.bin": b"first"})
        store = services_of(api).releases
        before = leftovers(tmp_path / "data", store), releases(api)
        response = refused_upload(api, headers, case)
        assert 400 <= response.status_code < 500, response.text
        assert (leftovers(tmp_path / "data", store), releases(api)) == before


def refused_upload(api: Api, headers: dict[str, str], case: str) -> Any:
    big, files = b"x" * 60_000, {"a.bin": b"data", "b.bin": b"more"}
    if case == "duplicate":
        return publish(api, headers, files)
    if case == "bad_version":
        return publish(api, headers, files, version="1.0")
    if case == "no_file":
        return api.client.post("/admin/releases", data=RELEASE, files=[], headers=headers)
    if case == "bad_name":
        return publish(api, headers, {".profile": b"data"})
    if case == "too_large":
        return publish(api, headers, {"a.bin": big, "b.bin": big})
    boundary = "x" * 20
    form = f'--{boundary}\r\nContent-Disposition: form-data; name="channel"\r\n\r\nstable\r\n'
    form += f'--{boundary}\r\nContent-Disposition: form-data; name="platform"\r\n\r\nlinux\r\n'
    form += f'--{boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n9.0.0\r\n'
    form += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n' + "y" * 5000
    )
    kind = f"multipart/form-data; boundary={boundary}" if case == "truncated" else "text/plain"
    return api.client.post(
        "/admin/releases", content=form.encode(), headers={**headers, "Content-Type": kind}
    )


def test_an_upload_whose_client_disconnects_leaves_nothing(tmp_path: Path) -> None:
    """A client that sends 3 MB of a 50 MB upload and hangs up: the server discards what it stored."""
    with live_server(tmp_path / "server") as live:
        admin = Admin(live)
        boundary = "b" * 24
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in RELEASE.items()
        )
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        cookie = "; ".join(f"{k}={v}" for k, v in admin.http.cookies.items())
        request = (
            f"POST /admin/releases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
            f"boundary={boundary}\r\nContent-Length: 50000000\r\nCookie: {cookie}\r\n"
            f"X-CSRF-Token: {admin.http.headers['X-CSRF-Token']}\r\n\r\n{head}"
        )
        host, port = live.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(request.encode())
            for _ in range(48):
                sock.sendall(b"z" * 65536)
        blobs = tmp_path / "server" / "data" / "blobs"
        deadline = time.monotonic() + 10
        while any(blobs.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(blobs.iterdir()) == []
        found = live.ledger.recorder.select_notifications(start=1, limit=10_000)
        assert not any(n.topic.endswith("Release.Published") for n in found)
        admin.close()
