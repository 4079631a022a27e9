"""Length-prefixed fields, the one encoding the grant header, HPKE ``info`` and wrapped key records share:
a field is its length as a big-endian u16 followed by its bytes (docs/file-format.md, "Conventions")."""

from __future__ import annotations

MAX_FIELD = 0xFFFF


class MalformedFields(ValueError):
    """Bytes that do not parse as the expected sequence of fields."""


def field(value: bytes) -> bytes:
    """``value`` prefixed with its length (u16, big-endian)."""
    if len(value) > MAX_FIELD:
        raise ValueError(f"a field holds at most {MAX_FIELD} bytes, not {len(value)}")
    return len(value).to_bytes(2, "big") + value


def text_field(value: str) -> bytes:
    """A non-empty UTF-8 string as a field."""
    if not value:
        raise ValueError("an identifier is never empty")
    return field(value.encode())


class FieldReader:
    """Reads fixed-size and length-prefixed pieces from the front of ``data``, never past its end."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, size: int) -> bytes:
        end = self._at + size
        if end > len(self._data):
            raise MalformedFields(
                f"{size} bytes wanted at offset {self._at}, the data ends at {len(self._data)}"
            )
        piece, self._at = self._data[self._at : end], end
        return piece

    def integer(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def field(self) -> bytes:
        return self.take(self.integer(2))

    def text(self) -> str:
        raw = self.field()
        try:
            value = raw.decode()
        except UnicodeDecodeError:
            raise MalformedFields("an identifier is not UTF-8") from None
        if not value:
            raise MalformedFields("an identifier is empty")
        return value

    def end(self) -> None:
        """Refuses trailing bytes."""
        if self._at != len(self._data):
            raise MalformedFields(f"{len(self._data) - self._at} unexpected bytes after the last field")
