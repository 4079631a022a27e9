"""W8: file delivery (BENCHMARKS.md).

1. Download throughput over HTTP at 1 and 8 concurrent clients: ``GET …/grants/{grant}`` (grant + sealed
   file from the blob store) against a route of the same server streaming a plain blob of the same length
   from the same blob store (goal ≥ 0.8).
2. Client decryption ÷ raw AES-GCM over the same segments (goal ≥ 0.5), and ÷ AES-GCM + SHA-256.
3. Upload sealing ÷ raw AES-GCM encryption (goal ≥ 0.5), with and without the blob write.
4. Peak resident memory of the server and of the client (own process) for a 100 MiB and a 1 GiB file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from tests.bench import harness, report
from tests.bench.harness import Sample
from tests.bench.served import serving
from tests.bench.w8_crypto import CryptoBench
from tests.releases import served_files as files

NAME = "w8"
ROUNDS = 5
DOWNLOAD = 64 * files.MIB
PLAIN = "/bench/plain"
LABELS = {
    "get_1": "GET grant body, 1 client (bytes/s)",
    "plain_1": "plain blob of the same length, 1 client",
    "get_8": "GET grant body, 8 clients",
    "plain_8": "plain blob, 8 clients",
    "decrypt": "client decrypt + SHA-256 (plaintext bytes/s)",
    "raw_decrypt": "raw AES-GCM decrypt, same segments",
    "raw_decrypt_sha": "raw AES-GCM decrypt + SHA-256",
    "upload": "upload sealing into the local blob store",
    "upload_no_disk": "upload sealing, blob discarded",
    "raw_encrypt": "raw AES-GCM encrypt, same segments",
}
RATIOS = {
    "download_1": ("get_1", "plain_1", "download ÷ plain, 1 client (goal ≥ 0.8)"),
    "download_8": ("get_8", "plain_8", "download ÷ plain, 8 clients (goal ≥ 0.8)"),
    "decrypt_vs_aes": ("decrypt", "raw_decrypt", "client decrypt ÷ raw AES-GCM (goal ≥ 0.5)"),
    "decrypt_vs_aes_sha": ("decrypt", "raw_decrypt_sha", "client decrypt ÷ AES-GCM + SHA-256"),
    "upload_vs_aes": ("upload", "raw_encrypt", "upload sealing ÷ raw AES-GCM (goal ≥ 0.5)"),
    "upload_no_disk_vs_aes": ("upload_no_disk", "raw_encrypt", "sealing without disk ÷ raw AES-GCM"),
}


def build_server(config: files.FileServerConfig) -> tuple[FastAPI, dict[str, str]]:
    """The file server plus ``GET /bench/plain``: a plain blob streamed like a download (same store,
    same chunking, same response class)."""
    app, info = files.build_file_server(config)
    vault = app.state.services.releases.files

    def plain() -> StreamingResponse:
        return StreamingResponse(vault.read("bench-plain", 0, None), media_type="application/octet-stream")

    def make_plain(size: int) -> dict[str, int]:
        return {"size": vault.blobs.put("bench-plain", files.plaintext(size))}

    app.add_api_route(PLAIN, plain, methods=["GET"])
    app.add_api_route(PLAIN, make_plain, methods=["POST"])
    return app, info


def prepare(url: str, key: str) -> tuple[str, dict[str, str]]:
    """Publishes the file, logs a device in and grants it one download; the plain blob gets the same
    length as the download body. Returns the download URL and its headers."""
    http = files.admin_http(url)
    try:
        release = files.upload(http, DOWNLOAD, "9.9.9")
    finally:
        http.close()
    public = X25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    with httpx.Client(base_url=url, timeout=60) as client:
        body = {
            "username": "carol",
            "password": files.PASSWORD,
            "fingerprint": {"components": {"m": "ab" * 16}},
        }
        login = (
            client.post("/auth/client/login", json={**body, "public_key": public}).raise_for_status().json()
        )
        bearer = {"Authorization": f"Bearer {login['access_token']}"}
        client.post("/client/licenses/activate", json={"key": key}, headers=bearer).raise_for_status()
        path = f"/client/releases/{release['id']}/files/{release['files'][0]['id']}/grants"
        grant = client.post(path, headers=bearer).raise_for_status().json()
        client.post(PLAIN, params={"size": grant["size"]}).raise_for_status()
    return grant["url"], bearer


def reader(url: str, path: str, headers: dict[str, str], clients: int) -> Callable[[], Sample]:
    def run() -> Sample:
        def work(_: int, latencies: list[float]) -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                harness.timed(latencies, lambda: drain(http, path, headers))

        sample = harness.run_threads(clients, work)
        return Sample(sample.operations * DOWNLOAD, sample.seconds, sample.latencies)

    return run


def drain(http: httpx.Client, path: str, headers: dict[str, str]) -> None:
    with http.stream("GET", path, headers=headers) as response:
        response.raise_for_status()
        for _ in response.iter_raw(256 * 1024):
            pass


def memory(directory: Path) -> dict[str, Any]:
    """Peak resident growth (MiB) of server and client for a 100 MiB and a 1 GiB file."""
    found: dict[str, Any] = {}
    with serving(files.build_file_server, files.FileServerConfig(str(directory / "rss"))) as served:
        http = files.admin_http(served.url)
        try:
            for size, version in ((100 * files.MIB, "1.0.0"), (1024 * files.MIB, "2.0.0")):
                files.reset_peak(served.pid)
                start = files.peak_kib(served.pid)
                files.upload(http, size, version)
                uploaded = files.peak_kib(served.pid)
                files.reset_peak(served.pid)
                client = files.download_in_child(
                    served.url, served.info["key"], directory / "client", version
                )
                found[f"{size // files.MIB} MiB"] = {
                    "server_upload_growth": round((uploaded - start) / 1024, 1),
                    "server_download_growth": round((files.peak_kib(served.pid) - start) / 1024, 1),
                    "client_growth": round((client["peak_kib"] - client["start_kib"]) / 1024, 1),
                    "client_peak": round(client["peak_kib"] / 1024, 1),
                }
        finally:
            http.close()
    return found


def measure(directory: Path) -> tuple[list[dict[str, Sample]], list[float], dict[str, Any]]:
    crypto = CryptoBench(directory / "crypto")
    try:
        with serving(build_server, files.FileServerConfig(str(directory / "server"))) as served:
            path, headers = prepare(served.url, served.info["key"])
            variants: dict[str, Callable[[], Sample]] = {
                "get_1": reader(served.url, path, headers, 1),
                "plain_1": reader(served.url, PLAIN, {}, 1),
                "get_8": reader(served.url, path, headers, 8),
                "plain_8": reader(served.url, PLAIN, {}, 8),
                "decrypt": crypto.client_decrypt,
                "raw_decrypt": crypto.raw_decrypt,
                "raw_decrypt_sha": crypto.raw_decrypt_sha256,
                "upload": lambda: crypto.upload(crypto.vault),
                "upload_no_disk": lambda: crypto.upload(crypto.no_disk),
                "raw_encrypt": crypto.raw_encrypt,
            }
            print("  warm-up", flush=True)
            for run in variants.values():
                run()
            rounds, loads = harness.interleave(variants, ROUNDS)
    finally:
        crypto.close()
    print("  peak memory, 100 MiB and 1 GiB", flush=True)
    return rounds, loads, {"peak_memory_mib": memory(directory)}


def main() -> None:
    print(f"W8 file delivery: {ROUNDS} interleaved rounds, {DOWNLOAD // files.MIB} MiB file", flush=True)
    before = harness.machine()
    with tempfile.TemporaryDirectory(prefix="keyledger-bench-w8-") as tmp:
        rounds, loads, facts = measure(Path(tmp))
    results: dict[str, Any] = {
        "workload": "W8 file delivery: download, client decryption, upload sealing, peak memory",
        "rounds": ROUNDS,
        "machine_before": before,
        "machine_after": harness.machine(),
        "load_1min_before_each_round": loads,
        "facts": facts,
        **harness.summarise(rounds, LABELS, RATIOS),
    }
    context = [
        f"W8 file delivery, {ROUNDS} interleaved rounds; machine: {before['cores']} cores, load average "
        f"{before['load_average']} before and {results['machine_after']['load_average']} after",
        f"1-minute load before each round: {loads}",
        *(f"peak memory, {size}: {figures} (MiB)" for size, figures in facts["peak_memory_mib"].items()),
    ]
    print(report.render(results, harness.previous(NAME), context))
    print(f"\nwritten to {harness.write(NAME, results)}")


if __name__ == "__main__":
    main()
