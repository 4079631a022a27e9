"""A 1 GiB release goes up and comes down in constant memory: streamed through the upload route into the
sealing pipeline, and downloaded, resumed-ready, decrypted and verified by the SDK in its own process.
Peak resident memory (VmHWM, reset just before) is printed and bounded well below the file's size."""

from __future__ import annotations

from pathlib import Path

from tests.bench.served import serving
from tests.releases.served_files import (
    MIB,
    FileServerConfig,
    admin_http,
    build_file_server,
    digest_of,
    download_in_child,
    peak_kib,
    reset_peak,
    upload,
)

SIZE = 1024 * MIB
BOUND_KIB = 128 * 1024  # growth allowed on either side: an eighth of the file


def test_a_gibibyte_up_and_down_in_bounded_memory(tmp_path: Path) -> None:
    """Server and client each grow by less than 128 MiB while 1 GiB passes through them, and the client
    opens exactly the uploaded bytes."""
    with serving(build_file_server, FileServerConfig(str(tmp_path / "server"))) as served:
        http = admin_http(served.url)
        try:
            reset_peak(served.pid)
            server_start = peak_kib(served.pid)
            release = upload(http, SIZE, "1.0.0")
            upload_peak = peak_kib(served.pid)
            reset_peak(served.pid)
            client = download_in_child(served.url, served.info["key"], tmp_path / "client", "1.0.0")
            download_peak = peak_kib(served.pid)
        finally:
            http.close()
    assert release["files"][0]["sha256"] == digest_of(SIZE)
    assert (client["size"], client["id"]) == (SIZE, release["id"])
    figures = {
        "server_upload_growth_mib": (upload_peak - server_start) / 1024,
        "server_download_growth_mib": (download_peak - server_start) / 1024,
        "client_growth_mib": (client["peak_kib"] - client["start_kib"]) / 1024,
        "client_peak_mib": client["peak_kib"] / 1024,
        "server_peak_mib": max(upload_peak, download_peak) / 1024,
    }
    print(f"\n1 GiB: {', '.join(f'{k} {v:.1f}' for k, v in figures.items())}")
    assert upload_peak - server_start < BOUND_KIB, figures
    assert download_peak - server_start < BOUND_KIB, figures
    assert client["peak_kib"] - client["start_kib"] < BOUND_KIB, figures
