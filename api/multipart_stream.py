"""A ``multipart/form-data`` body read as it streams in, part by part, with each file part's data handed
on chunk by chunk: nothing is buffered or spooled to disk (Starlette's ``request.form()`` spools files to
temporary files, which would put a release's plaintext on the server's disk). Text fields are small and
capped. Built on python-multipart's push parser, pulled here one body chunk at a time."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 16 * 1024
MAX_HEADER_BYTES = 4 * 1024


class MalformedForm(ValueError):
    """A body that is not a well-formed multipart form, or one with an oversized text field."""


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` content type; ``MalformedForm`` otherwise."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not 1 <= len(boundary) <= 70:
        raise MalformedForm("a multipart/form-data body with a boundary is expected")
    return boundary


@dataclass
class FormPart:
    name: str
    filename: str | None
    chunks: Iterator[bytes]

    def text(self) -> str:
        """A text field's value (at most ``MAX_FIELD_BYTES`` of UTF-8)."""
        data = b""
        for chunk in self.chunks:
            data += chunk
            if len(data) > MAX_FIELD_BYTES:
                raise MalformedForm(f"the field {self.name!r} is longer than {MAX_FIELD_BYTES} bytes")
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise MalformedForm(f"the field {self.name!r} is not UTF-8") from None


class FormReader:
    """The parts of a form body, in order; each part's data must be read (or is skipped) before the next."""

    def __init__(self, body: Iterable[bytes], boundary: bytes) -> None:
        self._body = iter(body)
        self._events: deque[tuple[str, bytes]] = deque()
        self._header: list[bytes] = [b"", b""]

        def push(kind: str) -> object:
            return lambda data=b"", start=0, end=0: self._events.append((kind, bytes(data[start:end])))

        kinds = ("part_begin", "part_data", "part_end", "header_field", "header_value", "header_end")
        callbacks = {f"on_{kind}": push(kind) for kind in (*kinds, "headers_finished", "end")}
        self._parser = MultipartParser(boundary, callbacks, max_header_size=MAX_HEADER_BYTES)  # type: ignore[arg-type]

    def parts(self) -> Iterator[FormPart]:
        while (kind := self._next()[0]) != "end":
            if kind != "part_begin":
                raise MalformedForm("a form part was expected")
            part = self._headers()
            yield part
            for _ in part.chunks:  # what the caller did not read
                pass

    def _headers(self) -> FormPart:
        headers: dict[str, str] = {}
        field, value = b"", b""
        while (event := self._next())[0] != "headers_finished":
            kind, data = event
            field, value = (field + data, value) if kind == "header_field" else (field, value + data)
            if kind == "header_end":
                headers[field.decode("latin-1").lower()], field, value = value.decode("latin-1"), b"", b""
        disposition, options = parse_options_header(headers.get("content-disposition", ""))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise MalformedForm("every part needs Content-Disposition: form-data with a name")
        filename = options.get(b"filename")
        return FormPart(name.decode(errors="replace"), self._filename(filename), self._data())

    @staticmethod
    def _filename(raw: bytes | None) -> str | None:
        if raw is None:
            return None
        return raw.decode(errors="replace").replace("\\", "/").rsplit("/", 1)[-1]

    def _data(self) -> Iterator[bytes]:
        while (event := self._next())[0] != "part_end":
            if event[0] != "part_data":
                raise MalformedForm("unexpected content inside a form part")
            if event[1]:
                yield event[1]

    def _next(self) -> tuple[str, bytes]:
        while not self._events:
            chunk = next(self._body, None)
            if chunk is None:
                raise MalformedForm("the body ends before the form does")
            try:
                self._parser.write(chunk)
            except FormParserError as error:
                raise MalformedForm(f"not a well-formed multipart form: {error}") from None
        return self._events.popleft()
