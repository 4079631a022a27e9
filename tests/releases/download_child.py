"""``python -m tests.releases.download_child URL KEY HOME VERSION``: the desktop SDK alone in a process
downloads a release, decrypts it in memory (verifying its SHA-256) and prints its peak memory as JSON."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import keyring
from keyledger_client import KeyledgerClient, LicenseKeyRejected

from tests.client.fakes import READERS, MemoryKeyring
from tests.releases.served_files import PASSWORD, peak_kib, reset_peak


def main(url: str, key: str, home: str, version: str) -> None:
    keyring.set_keyring(MemoryKeyring())
    with KeyledgerClient(url, home=Path(home), readers=READERS, witness=False) as client:
        client.login("carol", PASSWORD)
        with contextlib.suppress(LicenseKeyRejected):  # activated by an earlier run
            client.activate(key)
        before, began = peak_kib(), time.perf_counter()
        reset_peak()
        release, _, chunks = client.open_release(version, platform="linux-x86_64")
        size = sum(len(chunk) for chunk in chunks)
        seconds = time.perf_counter() - began
        print(
            json.dumps(
                {
                    "size": size,
                    "peak_kib": peak_kib(),
                    "start_kib": before,
                    "seconds": seconds,
                    "id": release.id,
                }
            )
        )


if __name__ == "__main__":
    main(*sys.argv[1:5])
