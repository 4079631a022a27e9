"""A request body for synchronous code: ``in_thread(request.stream(), work)`` runs ``work`` on a worker thread
with the body as a blocking iterator of chunks, pulled from the event loop one chunk at a time (so the
body is never held whole, and a slow consumer slows the client down: backpressure). The ledger, the
blob store and the cipher are synchronous; only the request is async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TypeVar

import anyio.from_thread
import anyio.to_thread

T = TypeVar("T")


async def _pull(stream: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return None


def _blocking(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    while (chunk := anyio.from_thread.run(_pull, stream)) is not None:
        if chunk:
            yield chunk


async def in_thread(
    stream: AsyncIterator[bytes], work: Callable[[Iterator[bytes]], T], first: Iterable[bytes] = ()
) -> T:
    """``work(body)`` on a worker thread; ``first`` are chunks already read from ``stream`` (they come
    first). Errors of the body (a client gone, a body over its limit) surface inside ``work``."""

    def body() -> Iterator[bytes]:
        yield from first
        yield from _blocking(stream)

    return await anyio.to_thread.run_sync(work, body())
