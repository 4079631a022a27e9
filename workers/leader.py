"""Leadership: a worker that must run as one active instance per store (projections, sealer) holds a
leader lock while it works. The lock is a port; ``adapters.advisory_lock`` implements it on PostgreSQL,
and the embedded default (one process) needs none."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

Leader = Callable[[threading.Event], AbstractContextManager[None]]
"""Waits until this process leads (or ``stop`` is set), and leads until the context exits."""


@contextmanager
def no_leader(_: threading.Event) -> Iterator[None]:
    """Leads at once: the embedded default runs every worker in one process."""
    yield
