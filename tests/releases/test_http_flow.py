"""Publish → activate → download → decrypt, over HTTP on the real app (SQLite and PostgreSQL): the bytes a
device opens are the bytes the admin uploaded, and the ledger says so."""

from __future__ import annotations

import hashlib
import os

from tests.api.harness import Api
from tests.file_format import open_download
from tests.releases.harness import admin, device, fetch, granted, published


def test_a_published_file_downloads_and_decrypts_to_the_same_bytes(api: Api) -> None:
    """A two-file release uploaded as a form; a licensed device lists it, is granted one file, downloads
    grant ‖ sealed file and the independent decryptor opens it to the uploaded bytes and digest."""
    files = {"app.tar.gz": os.urandom(200_000), "README.txt": b"read me\n"}
    release = published(api, admin(api), files)
    client = device(api, "carol")
    listed = api.client.get("/client/releases", headers=client.headers)
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["releases"]] == [release["id"]]
    answer = granted(api, client, release)
    body = fetch(api, client, answer)
    assert body.status_code == 200, body.text
    assert len(body.content) == answer["size"]
    ids = (answer["file_id"], answer["version"], client.device_id)
    plaintext = open_download(client.key, body.content, ids, int(api.clock().timestamp()))
    assert plaintext == files["app.tar.gz"]
    assert hashlib.sha256(plaintext).hexdigest() == answer["sha256"] == release["files"][0]["sha256"]
