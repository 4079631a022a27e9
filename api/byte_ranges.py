"""HTTP range requests (RFC 9110 §14) over a body of known length: one ``bytes=`` range (first-last,
first- or -suffix), honoured only when ``If-Range`` (if sent) names the current ETag; anything else is
answered with the whole body, as the RFC allows. A range starting past the end is 416."""

from __future__ import annotations

import re
from dataclasses import dataclass

from api.problems import ApiError

_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")


@dataclass(frozen=True)
class Span:
    """Bytes ``start`` to ``end`` inclusive of a body of ``total`` bytes."""

    start: int
    end: int
    total: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def partial(self) -> bool:
        return (self.start, self.end) != (0, self.total - 1)

    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.total}"


def requested(range_header: str | None, if_range: str | None, etag: str, total: int) -> Span | None:
    """The span a request asks for, or None for the whole body."""
    if range_header is None or (if_range is not None and if_range.strip() != etag) or total == 0:
        return None
    found = _RANGE.fullmatch(range_header.strip())
    if found is None or found.group(1) == found.group(2) == "":
        return None  # not one byte range we serve (e.g. several): the whole body
    first, last = found.group(1), found.group(2)
    if first == "":
        start, end = max(0, total - int(last)), total - 1
    elif last and int(last) < int(first):
        return None  # an invalid range is ignored (RFC 9110 §14.1.1)
    else:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    if start >= total or start > end:
        raise ApiError(
            416, "range_not_satisfiable", f"the body has {total} bytes", {"Content-Range": f"bytes */{total}"}
        )
    return Span(start, end, total)
