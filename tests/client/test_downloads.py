"""The desktop client downloads over loopback HTTP from the real server: resumable, decrypted in memory,
verified against the SHA-256 the ledger's signed checkpoint commits to; anything else is refused and
nothing of it is kept."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyledger_client import KeyledgerClient, Release, ReleaseFile, ReleaseRejected, write_plaintext
from keyledger_client.cli import app
from keyledger_client.console import Options
from keyledger_client.download_cache import CachedDownload
from typer.testing import CliRunner

from tests.client.fakes import PASSWORD, READERS
from tests.client.live import Admin, Live
from tests.client.tampering import Tampering

SEGMENT = 65536 + 16
ARGS = ["download", "--platform", "linux-x86_64", "--output"]
PLAINTEXT = os.urandom(3 * 65536 + 777)  # four segments, the last one short


def licensed(
    live: Live, admin: Admin, home: Path, username: str = "carol", **options: object
) -> KeyledgerClient:
    live.register(username)
    client = KeyledgerClient(live.url, home=home, readers=READERS, **options)  # type: ignore[arg-type]
    client.login(username, PASSWORD)
    client.activate(admin.issue_key())
    return client


def proven(client: KeyledgerClient, release: Release, file: ReleaseFile, timeout: float = 10) -> int:
    """The checkpoint size proving the file's publication, once the sealer has sealed and signed it."""
    deadline = time.monotonic() + timeout
    while (size := client.releases.prove(release, file)) is None:
        assert time.monotonic() < deadline, "the publication was not sealed in time"
        time.sleep(0.1)
    return size


@pytest.mark.usefixtures("memory_keyring")
def test_the_sdk_opens_a_release_in_memory_and_proves_it_in_the_ledger(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """open_release yields exactly the uploaded bytes; the publication is proven by an inclusion proof in
    a checkpoint the client witnessed; the cache holds only ciphertext."""
    server, admin = served_with_admin
    release = admin.publish({"app.bin": PLAINTEXT})
    client = licensed(server, admin, tmp_path / "home")
    found, file, chunks = client.open_release(platform="linux-x86_64")
    assert (found.id, file.name) == (release["id"], "app.bin")
    assert b"".join(chunks) == PLAINTEXT
    assert proven(client, found, file) > 0
    cached = CachedDownload(tmp_path / "home", file.id)
    assert PLAINTEXT[:64] not in cached.sealed_path.read_bytes()
    client.close()


@pytest.mark.usefixtures("memory_keyring")
def test_a_broken_off_download_resumes_on_the_same_grant(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """A download interrupted half-way resumes with Range from the bytes it has: one grant, one
    Downloaded event, and the plaintext is whole."""
    server, admin = served_with_admin
    admin.publish({"app.bin": PLAINTEXT})
    client = licensed(server, admin, tmp_path / "home", witness=False)
    release = client.releases.find(platform="linux-x86_64")

    def interrupt(done: int, total: int) -> None:
        if done > total // 2:
            raise ConnectionAbortedError("the network went away")

    with pytest.raises(ConnectionAbortedError):
        client.releases.download(release, release.files[0], interrupt)
    grants_before = downloads(server)
    resumed = b"".join(client.releases.open(release, release.files[0]))
    assert resumed == PLAINTEXT
    assert downloads(server) == grants_before == 1
    client.close()


def downloads(live: Live) -> int:
    found = live.ledger.recorder.select_notifications(start=1, limit=10_000)
    return sum(1 for n in found if n.topic.endswith("Download.Downloaded"))


def flip(at: int) -> Callable[[bytes], bytes]:
    return lambda body: body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


@pytest.mark.usefixtures("memory_keyring")
def test_the_cli_writes_only_a_verified_file_and_refuses_a_tampered_one(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """``download --output`` writes the verified plaintext; a body changed in flight exits 1 with a clear
    line, leaves no output (nor any temporary file) and no cached download."""
    server, admin = served_with_admin
    admin.publish({"app.bin": PLAINTEXT})
    runner, home = CliRunner(), tmp_path / "cli"
    client = licensed(server, admin, home / "keyledger", witness=False)
    client.close()
    env = {"KEYLEDGER_CLIENT_HOME": str(home)}
    target = tmp_path / "bad" / "app.bin"
    bad = runner.invoke(
        app, [*ARGS, str(target)], env=env, obj=Options("keyledger", False, Tampering(flip(-100)))
    )
    assert bad.exit_code == 1
    assert "refused" in bad.output
    assert not target.exists()
    assert list(target.parent.glob("*")) == []
    assert not any((home / "keyledger" / "downloads").iterdir())
    good = runner.invoke(app, [*ARGS, str(tmp_path / "out" / "app.bin")], env=env)
    assert good.exit_code == 0, good.output
    assert "verified" in good.output
    assert (tmp_path / "out" / "app.bin").read_bytes() == PLAINTEXT


@st.composite
def tamperings(draw: st.DrawFn, grant: int, total: int, foreign: list[bytes]) -> Callable[[bytes], bytes]:
    """One way to change a download body: a flipped bit anywhere, a cut anywhere after the grant (at a
    segment boundary or inside one), two sealed segments swapped, or another device's or file's grant."""
    kind = draw(st.sampled_from(["flip", "cut", "boundary", "swap", "grant"]))
    segments = -(-(total - grant - 41) // SEGMENT)
    if kind == "flip":
        return flip(draw(st.integers(0, total - 1)))
    if kind in ("cut", "boundary"):
        at = draw(
            st.integers(grant, total - 1)
            if kind == "cut"
            else st.sampled_from([grant + 41 + k * SEGMENT for k in range(segments)])
        )
        return lambda body: body[:at]
    if kind == "swap":
        i, j = draw(st.lists(st.integers(0, segments - 2), min_size=2, max_size=2, unique=True))
        return lambda body: swap(body, grant + 41, i, j)
    other = draw(st.sampled_from(foreign))
    return lambda body: other + body[grant:]


def swap(body: bytes, start: int, i: int, j: int) -> bytes:
    """``body`` with its full sealed segments ``i`` and ``j`` exchanged."""
    cut = [body[start + k * SEGMENT : start + (k + 1) * SEGMENT] for k in range(max(i, j) + 1)]
    cut[i], cut[j] = cut[j], cut[i]
    return body[:start] + b"".join(cut) + body[start + len(cut) * SEGMENT :]


@pytest.mark.usefixtures("memory_keyring")
def test_any_tampering_in_flight_is_refused_and_leaves_nothing(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """Whatever a man in the middle (or a lying server) changes — one bit, a cut at or inside a segment,
    two segments swapped, another device's or another file's grant — the client refuses the download and
    no plaintext is left on disk."""
    server, admin = served_with_admin
    admin.publish({"app.bin": PLAINTEXT, "extra.bin": b"another file"})
    tampering, watching = Tampering(lambda body: body), Tampering(lambda body: body)
    client = licensed(server, admin, tmp_path / "home", witness=False, transport=tampering)
    other = licensed(server, admin, tmp_path / "other", "dave", witness=False, transport=watching)
    release = client.releases.find(platform="linux-x86_64")
    app_file, extra = release.file("app.bin"), release.file("extra.bin")
    b"".join(client.releases.open(release, extra))
    b"".join(other.releases.open(release, app_file))
    bodies = [*tampering.originals.values(), *watching.originals.values()]
    foreign = [body[: int.from_bytes(body[5:9], "big")] for body in bodies]
    grant = len(foreign[0])
    assert [len(g) for g in foreign] == [grant, grant]  # X25519 grants of one release: one length
    total = grant + 41 + len(PLAINTEXT) + 16 * -(-len(PLAINTEXT) // 65536)
    cache = CachedDownload(tmp_path / "home", app_file.id)
    output = tmp_path / "out" / "app.bin"

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def refused(data: st.DataObject) -> None:
        cache.discard()
        tampering.mutate = data.draw(tamperings(grant, total, foreign))
        with pytest.raises(ReleaseRejected):
            write_plaintext(client.releases.open(release, app_file), output)
        assert not output.parent.exists() or list(output.parent.iterdir()) == []

    refused()
    client.close()
    other.close()


@pytest.mark.usefixtures("memory_keyring")
def test_a_post_quantum_client_registers_a_hybrid_key_and_opens_its_download(
    served_with_admin: tuple[Live, Admin], tmp_path: Path
) -> None:
    """``post_quantum=True`` registers an MLKEM768-X25519 key, whose grants the client opens; the key stays
    hybrid on the next login even without the option."""
    server, admin = served_with_admin
    admin.publish({"app.bin": PLAINTEXT})
    client = licensed(server, admin, tmp_path / "home", witness=False, post_quantum=True)
    _, _, chunks = client.open_release(platform="linux-x86_64")
    assert b"".join(chunks) == PLAINTEXT
    grant = CachedDownload(tmp_path / "home", client.releases.find(platform="linux-x86_64").files[0].id)
    assert int.from_bytes(grant.grant_path.read_bytes()[9:11], "big") == 0x647A
    client.close()
