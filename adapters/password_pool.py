"""Password hashing in worker processes at a lower CPU priority, so a storm of logins cannot starve the
requests that hash nothing (heartbeats, admin reads).

Argon2id releases the GIL: hashed on request threads, four concurrent logins took both cores of this
machine and a heartbeat waited behind them (its p99 grew sixteenfold). Here every hash and verify runs in
one of ``workers`` processes (the cores less one, at least one) whose ``nice`` is raised at start, so the
kernel runs the API process first whenever both want a core. At most ``capacity`` hashes wait or run at
once; one more fails at once with ``HashingBusy`` (503 ``busy``): logins may queue, but not without bound.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from adapters.passwords import Argon2Hasher, PasswordSeal
from domain.credentials import HashingBusy

T = TypeVar("T")
NICENESS = 19  # the lowest priority: a hash runs on what heartbeats leave (weight 15 against 1024)
_worker_hasher: Argon2Hasher | None = None


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int
    time_cost: int
    parallelism: int
    seal_key: bytes


def _start_worker(parameters: Argon2Parameters) -> None:
    global _worker_hasher  # noqa: PLW0603 -- one hasher per worker process, built once at its start
    os.nice(NICENESS)
    _worker_hasher = Argon2Hasher(
        parameters.memory_kib, parameters.time_cost, parameters.parallelism, PasswordSeal(parameters.seal_key)
    )


def _hasher() -> Argon2Hasher:
    if _worker_hasher is None:
        raise RuntimeError("not a hashing worker")
    return _worker_hasher


def _hash(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    return _hasher().verify(password_hash, password)


def _dummy_verify(password: str) -> None:
    _hasher().dummy_verify(password)


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


class PooledHasher:
    """The ledger's ``PasswordHasher`` over a pool of low-priority hashing processes."""

    def __init__(self, parameters: Argon2Parameters, workers: int, capacity: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process that runs threads
            initializer=_start_worker,
            initargs=(parameters,),
        )
        self._slots = threading.BoundedSemaphore(max(capacity, workers))

    def _run(self, work: Callable[..., T], *args: str) -> T:
        if not self._slots.acquire(blocking=False):
            raise HashingBusy
        try:
            return self._pool.submit(work, *args).result()
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._run(_hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._run(_verify, password_hash, password)

    def dummy_verify(self, password: str) -> None:
        self._run(_dummy_verify, password)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
