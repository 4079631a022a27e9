"""Downloads: list what this device may download, fetch a file into the encrypted cache (resuming after an
interruption, renewing an expired grant), prove its publication in the ledger, and open it in memory —
plaintext chunks verified against the SHA-256 the ledger records, written to disk only when asked."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path

from keyledger_client.device_keys import load
from keyledger_client.download_cache import CHUNK, CachedDownload, GrantInfo
from keyledger_client.errors import (
    GrantExpired,
    NotLoggedIn,
    ProblemError,
    ServerUnreachable,
    UnexpectedResponse,
)
from keyledger_client.release_catalog import Release, ReleaseFile, choose, this_platform
from keyledger_client.release_crypto import decrypt_release
from keyledger_client.release_grant import ExpectedRelease
from keyledger_client.release_proof import prove_publication
from keyledger_client.session import Session
from keyledger_client.types import Clock
from keyledger_client.witness import Witness

log = logging.getLogger("keyledger_client.releases")
ATTEMPTS = 4
GRANT_MARGIN = timedelta(minutes=5)
Progress = Callable[[int, int], None]


class Releases:
    def __init__(self, session: Session, witness: Witness | None, clock: Clock, home: Path) -> None:
        self.session, self.witness, self.clock, self.home = session, witness, clock, home

    def available(
        self, *, platform: str | None = None, channel: str | None = None, product: str | None = None
    ) -> list[Release]:
        """The releases this device may download, newest version first."""
        self.session.require()
        params = {k: v for k, v in (("platform", platform), ("channel", channel), ("product", product)) if v}
        answer = self.session.tokens.authorized("GET", "/client/releases", params=params)
        return [Release.from_json(item) for item in answer.get("releases", [])]

    def find(
        self, wanted: str | None = None, *, platform: str | None = None, channel: str = "stable"
    ) -> Release:
        """A release by version or id, else the newest of ``channel`` for ``platform`` (this machine's)."""
        label = platform or this_platform()
        return choose(self.available(platform=None if wanted else label), wanted, label, channel)

    def download(
        self, release: Release, file: ReleaseFile, progress: Progress | None = None
    ) -> CachedDownload:
        """``file`` in the encrypted cache, fetched or resumed; a grant is asked for only when none is
        usable (each new grant is one download for the server's limit)."""
        cache = CachedDownload(self.home, file.id)
        info = cache.info()
        if info is None or info.release_id != release.id or self._expiring(info):
            info = self._new_grant(cache, release, file)
        for attempt in range(1, ATTEMPTS + 1):
            if cache.complete(info):
                return cache
            try:
                self._fetch(cache, info, progress)
            except ServerUnreachable:
                if attempt == ATTEMPTS:
                    raise
                log.info("download of %s broke off; resuming (attempt %d)", file.name, attempt + 1)
            except ProblemError as error:
                if error.code != "grant_expired" or attempt == ATTEMPTS:
                    raise
                info = self._new_grant(cache, release, file)
        raise UnexpectedResponse(f"the download of {file.name} did not complete")

    def prove(self, release: Release, file: ReleaseFile) -> int | None:
        """The size of the signed checkpoint that proves the file's publication (None: not sealed yet,
        or no witness); ``ReleaseRejected`` if the ledger contradicts the listing."""
        if self.witness is None:
            return None
        return prove_publication(self.session, self.witness, release, file)

    def open(self, release: Release, file: ReleaseFile, progress: Progress | None = None) -> Iterator[bytes]:
        """The file's plaintext, downloaded first if needed, decrypted in memory segment by segment; the
        last chunk comes only once the whole SHA-256 matches. ``ReleaseRejected`` otherwise: act on
        nothing until the iterator ends."""
        cache = self.download(release, file, progress)
        try:
            return self._decrypt(cache, release, file)
        except GrantExpired:
            info = self._new_grant(cache, release, file)
            self._fetch(cache, info, progress)
            return self._decrypt(cache, release, file)

    def _decrypt(self, cache: CachedDownload, release: Release, file: ReleaseFile) -> Iterator[bytes]:
        key, info = load(self.session.secrets), cache.info()
        if key is None or info is None:
            raise NotLoggedIn("this device has no key: log in first")
        expected = ExpectedRelease(file.id, release.version, info.device_id, bytes.fromhex(file.sha256))
        return decrypt_release(key.hpke_private, cache.body(), expected, self.clock.now())

    def _expiring(self, info: GrantInfo) -> bool:
        return info.expires_at - GRANT_MARGIN <= self.clock.now()

    def _new_grant(self, cache: CachedDownload, release: Release, file: ReleaseFile) -> GrantInfo:
        path = f"/client/releases/{release.id}/files/{file.id}/grants"
        info = GrantInfo.from_json(self.session.tokens.authorized("POST", path))
        if (info.sha256, info.file_size) != (file.sha256, file.size):
            raise UnexpectedResponse("the grant describes another file than the release listing")
        cache.adopt(info)
        return info

    def _fetch(self, cache: CachedDownload, info: GrantInfo, progress: Progress | None) -> None:
        start, end = cache.wanted(info)
        headers = (
            {"Range": f"bytes={start}-{'' if end is None else end}"} if (start, end) != (0, None) else {}
        )
        token = self.session.tokens.access_token()
        with self.session.api.stream(info.url, token=token, headers=headers) as response:
            whole = response.status_code == 200
            if not whole and not response.headers.get("content-range", "").startswith(f"bytes {start}-"):
                raise UnexpectedResponse("the server answered another range than the one asked for")
            done = 0 if whole else start
            for count in cache.write(info, done, response.iter_bytes(CHUNK), whole=whole):
                done += count
                if progress is not None:
                    progress(done, info.size)


def write_plaintext(chunks: Iterable[bytes], output: Path) -> int:
    """Writes ``chunks`` to ``output`` through a temporary file beside it, renamed only once every chunk
    has come (and verified): a refused download leaves no partial plaintext. Returns the size."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".partial")
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                size += handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, output)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return size


def consume(chunks: Iterable[bytes]) -> int:
    """Reads ``chunks`` to the end (verifying them), keeping nothing; returns the size."""
    return sum(len(chunk) for chunk in chunks)
