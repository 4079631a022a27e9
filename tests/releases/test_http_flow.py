"""Publish → activate → download → decrypt, over HTTP on the real app (SQLite and PostgreSQL): the bytes a
device opens are the bytes the admin uploaded, and the ledger says so."""

from __future__ import annotations

import hashlib
import os
import time
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from domain.context import AuditContext
from domain.roles import Role
from tests.api.harness import COMPONENTS, PASSWORD, Api
from tests.file_format import open_download
from tests.releases.harness import Device, admin, device, fetch, grant, granted, published


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


def test_range_resumes_the_same_grant_and_records_nothing_more(api: Api) -> None:
    """Reading a grant again, whole or from any offset (Range), gives the same bytes; If-Range with another
    ETag gets the whole body; none of it appends an event; a range past the end is 416."""
    release = published(api, admin(api), {"app.bin": os.urandom(150_000)})
    client = device(api, "carol")
    answer = granted(api, client, release)
    whole = fetch(api, client, answer)
    assert (whole.headers["accept-ranges"], whole.headers["etag"]) == (
        "bytes",
        f'"{answer["grant_id"].replace("-", "")}"',
    )
    before = api.ledger.recorder.max_notification_id()
    for start in (1, answer["grant_length"], answer["grant_length"] + 41 + 65552, answer["size"] - 1):
        part = fetch(api, client, answer, {"Range": f"bytes={start}-", "If-Range": whole.headers["etag"]})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes {start}-{answer['size'] - 1}/{answer['size']}"
        assert whole.content[:start] + part.content == whole.content
    suffix = fetch(api, client, answer, {"Range": "bytes=-10"})
    assert suffix.content == whole.content[-10:]
    stale = fetch(api, client, answer, {"Range": "bytes=5-", "If-Range": '"other"'})
    assert (stale.status_code, stale.content) == (200, whole.content)
    beyond = fetch(api, client, answer, {"Range": f"bytes={answer['size']}-"})
    assert (beyond.status_code, beyond.json()["code"]) == (416, "range_not_satisfiable")
    assert api.ledger.recorder.max_notification_id() == before


def test_a_hybrid_post_quantum_device_gets_a_hybrid_grant(api: Api) -> None:
    """A device that registered an MLKEM768-X25519 key is granted with that suite and opens its download."""
    files = {"app.bin": os.urandom(70_000)}
    release = published(api, admin(api), files)
    client = device(api, "quinn", hybrid=True)
    answer = granted(api, client, release)
    body = fetch(api, client, answer).content
    assert int.from_bytes(body[9:11], "big") == 0x647A
    ids = (answer["file_id"], answer["version"], client.device_id)
    assert open_download(client.key, body, ids, int(api.clock().timestamp())) == files["app.bin"]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no_license", 403, "no_license"),
        ("expired", 403, "license_expired"),
        ("tier", 403, "tier_too_low"),
        ("withdrawn", 410, "release_withdrawn"),
        ("no_key", 409, "device_key_missing"),
        ("released", 403, "device_released"),
        ("banned", 401, "account_banned"),
    ],
)
def test_a_refused_grant_says_why(api: Api, case: str, status: int, code: str) -> None:
    """Each reason a device may not download is its own problem code, and appends nothing."""
    headers = admin(api)
    release = published(api, headers, {"app.bin": b"x" * 100}, min_tier="vip" if case == "tier" else "user")
    if case == "no_key":
        api.create_account("carol")
        tokens = api.client_login("carol")
        client = Device(tokens, X25519PrivateKey.generate())
    else:
        days = {"no_license": None, "expired": 1}.get(case, 30)
        client = device(api, "carol", license_days=days)
    account = api.ledger.account_id_for("carol")
    assert account is not None
    if case == "expired":
        api.clock.advance(days=2)
        client = Device(
            api.client.post("/auth/refresh", json={"refresh_token": client.tokens["refresh_token"]}).json(),
            client.key,
        )
    if case == "withdrawn":
        api.client.post(
            f"/admin/releases/{release['id']}/withdraw", json={"reason": "broken"}, headers=headers
        )
    if case == "released":
        api.ledger.release_device(UUID(client.device_id), api.clock(), AuditContext("test"))
    if case == "banned":
        api.ledger.ban(account, None, api.clock(), AuditContext("test", reason="fraud"))
    before = api.ledger.recorder.max_notification_id()
    refused = grant(api, client, release)
    assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    assert api.ledger.recorder.max_notification_id() == before


def test_a_withdrawn_release_stops_a_running_download(api: Api) -> None:
    """Once a release is withdrawn, its granted downloads answer 410; published again, they resume."""
    headers = admin(api)
    release = published(api, headers, {"app.bin": b"y" * 1000})
    client = device(api, "carol")
    answer = granted(api, client, release)
    api.client.post(
        f"/admin/releases/{release['id']}/withdraw", json={"reason": "a bad build"}, headers=headers
    )
    assert fetch(api, client, answer).status_code == 410
    api.client.post(f"/admin/releases/{release['id']}/republish", json={}, headers=headers)
    assert fetch(api, client, answer).status_code == 200


def test_downloads_show_on_the_dashboard_and_in_the_audit_log(api: Api) -> None:
    """A granted download counts in the dashboard's 24 hours and appears in the audit log with its device
    and the client's address."""
    headers = admin(api)
    release = published(api, headers, {"app.bin": b"z" * 10})
    client = device(api, "carol")
    answer = granted(api, client, release)
    stats = api.client.get(
        "/dashboard/stats", params={"position": answer["position"]}, headers=headers
    ).json()
    assert stats["downloads_24h"] == 1
    found = api.client.get(
        "/audit/events", params={"event_type": "Download.Downloaded"}, headers=headers
    ).json()
    [event] = found["events"]
    assert event["data"]["device_id"] == client.device_id
    assert event["context"]["client_ip"] == "203.0.113.7"


@pytest.mark.parametrize(
    ("key", "suite"),
    [
        ("00" * 32, "X25519"),
        ("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", None),
        (None, "MLKEM768_X25519"),
    ],
    ids=["zero-point", "low-order-point", "suite-mismatch"],
)
def test_a_device_key_that_could_not_receive_a_grant_is_refused_at_login(
    api: Api, key: str | None, suite: str | None
) -> None:
    """A low-order X25519 point, or a key that is not of the suite named, is refused at login (422)."""
    api.create_account("carol")
    public = key or X25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    body = {"username": "carol", "password": PASSWORD, "fingerprint": {"components": COMPONENTS}}
    answer = api.client.post(
        "/auth/client/login", json={**body, "public_key": public, "public_key_suite": suite}
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")


def sealed_publication(api: Api, client: Device, release_id: str) -> tuple[int, int]:
    """The publication's leaf index and a signed tree size covering it (waits ≤ 5 s for the sealer)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        detail = api.client.get(f"/client/releases/{release_id}", headers=client.headers).json()
        index = (detail.get("published") or {}).get("leaf_index")
        size = api.client.get("/ledger/checkpoint", headers=client.headers).json().get("tree_size", 0)
        if isinstance(index, int) and size > index:
            return index, size
        time.sleep(0.05)
    raise AssertionError("the publication was not sealed within 5 s")


def test_a_publication_event_is_shown_to_the_clients_its_release_reaches(api: Api) -> None:
    """The inclusion proof of a release's publication carries the event (a public record the client
    checks a download against) for a license that reaches the release; a lower tier gets only the hash."""
    headers = admin(api)
    everyone = published(api, headers, {"app.bin": b"for all"}, version="1.0.0")
    pro = published(api, headers, {"pro.bin": b"for vip"}, version="1.0.1", min_tier="vip")
    carol, victor = device(api, "carol"), device(api, "victor", tier=Role.VIP)
    for release, readers in ((everyone, {"carol", "victor"}), (pro, {"victor"})):
        index, size = sealed_publication(api, victor, release["id"])
        for name, client in (("carol", carol), ("victor", victor)):
            url = f"/ledger/proofs/inclusion?index={index}&tree_size={size}"
            proof = api.client.get(url, headers=client.headers).json()
            assert proof["leaf_hash"]
            assert (proof["leaf"] is not None) == (name in readers), (release["version"], name)
