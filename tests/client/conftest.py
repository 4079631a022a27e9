from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyledger_client import KeyledgerClient
from keyring.backend import KeyringBackend

from tests.client.fakes import READERS, SERVER, FakeClock, FakeServer, MemoryKeyring
from tests.client.live import Admin, Live, live_server
from tests.client.vendor import Harness

MakeClient = Callable[..., KeyledgerClient]


@pytest.fixture(autouse=True)
def client_logger() -> Iterator[None]:
    """The CLI configures the ``keyledger_client`` logger; each test starts and ends with it clean."""
    yield
    logger = logging.getLogger("keyledger_client")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The in-memory backend as the process's keyring (restored afterwards)."""
    previous: KeyringBackend = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> FakeServer:
    return FakeServer(clock)


@pytest.fixture
def make_client(
    server: FakeServer,
    clock: FakeClock,
    memory_keyring: MemoryKeyring,  # noqa: ARG001 -- installs the backend
    tmp_path: Path,
) -> Iterator[MakeClient]:
    """Builds clients on the fake server, the fake clock, the memory keyring and a state folder."""
    made: list[KeyledgerClient] = []

    def make(**options: Any) -> KeyledgerClient:
        settings: dict[str, Any] = {
            "transport": server.transport(),
            "clock": clock,
            "home": tmp_path / "home",
            "readers": READERS,
            "witness": False,
            **options,
        }
        client = KeyledgerClient(SERVER, **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def harness() -> Harness:
    """A vendor, an in-memory plugin source and a host that records what plugins make it do."""
    return Harness()


@pytest.fixture
def served_with_admin(tmp_path: Path) -> Iterator[tuple[Live, Admin]]:
    """The real server on loopback (a download limit out of the way) and an admin session on it."""
    with live_server(tmp_path / "server", download_limit="1000/3600") as served:
        admin = Admin(served)
        yield served, admin
        admin.close()
