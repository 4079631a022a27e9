"""Password hashing in low-priority worker processes: hashes verify, the workers run below the API's
priority, and a hash beyond the capacity is refused at once with HashingBusy."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from adapters.password_pool import NICENESS, Argon2Parameters, PooledHasher
from domain.credentials import HashingBusy

SLOW = Argon2Parameters(memory_kib=8_192, time_cost=40, parallelism=1, seal_key=b"s" * 32)


@pytest.fixture
def pool() -> Iterator[PooledHasher]:
    hasher = PooledHasher(SLOW, workers=1, capacity=1)
    yield hasher
    hasher.close()


def test_a_hash_made_in_a_worker_verifies(pool: PooledHasher) -> None:
    """What a worker hashed verifies with the right password only; a dummy verify answers nothing."""
    stored = pool.hash("correct horse")
    assert pool.verify(stored, "correct horse")
    assert not pool.verify(stored, "wrong horse")
    pool.dummy_verify("anything")


def test_workers_run_at_a_lower_priority(pool: PooledHasher) -> None:
    """A hashing worker's niceness is the API process's plus NICENESS."""
    pool.hash("warm the worker up")
    ours = os.nice(0)
    assert pool._pool.submit(os.nice, 0).result() == min(19, ours + NICENESS)


def test_beyond_capacity_a_hash_is_refused_at_once(pool: PooledHasher) -> None:
    """With the one slot taken, another hash raises HashingBusy without waiting for the first."""
    pool.hash("warm the worker up")
    started = threading.Event()

    def occupy() -> None:
        started.set()
        pool.hash("a slow hash")

    first = threading.Thread(target=occupy)
    first.start()
    started.wait()
    time.sleep(0.05)
    with pytest.raises(HashingBusy):
        pool.hash("one too many")
    assert first.is_alive(), "the refusal waited for the hash in the slot"
    first.join()
