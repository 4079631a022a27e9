"""A private NATS server with JetStream on a loopback port of its own, which a test may stop and start.

The first start lets the server choose a free port itself (``-p -1``) and reads it from the ports file the
server writes once it listens: picking a "free" port here and handing it over would race with every other
server a parallel test starts, and a connection check would then succeed against *their* listener while ours
had exited on the bind. A restart reuses the port, so clients reconnect to the same URL."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

START_TIMEOUT_S = 10.0


class NatsServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0  # chosen by the server at the first start
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the NATS server has not started yet")
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        ports = self.directory / "ports"
        ports.mkdir(parents=True, exist_ok=True)
        for stale in ports.glob("*.ports"):
            stale.unlink()
        self.process = subprocess.Popen(  # noqa: S603 -- a fixed binary with fixed arguments
            [binary, "-a", "127.0.0.1", "-p", str(self.port or -1), "-js", "-sd", str(self.directory),
             "--ports_file_dir", str(ports)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.port = self._listening_port(ports / f"{Path(binary).name}_{self.process.pid}.ports")

    def _listening_port(self, ports_file: Path) -> int:
        """The client port from the server's ports file (written once it listens); an error if it exits."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode} while starting")
            if ports_file.exists():
                try:
                    url = json.loads(ports_file.read_text(encoding="utf-8"))["nats"][0]
                except (ValueError, KeyError, IndexError):
                    url = None  # written but not complete yet
                if url:
                    return int(str(url).rsplit(":", 1)[1])
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
