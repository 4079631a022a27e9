"""Shared request/response vocabulary: bodies forbid unknown fields; every write answers its position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_POSITION = 2**63 - 1  # positions, indexes and sizes are 64-bit in every store


def check_text(value: Any) -> None:
    """Raises ``ValueError`` if any string in ``value`` (nested in lists and objects too) is not valid
    Unicode: JSON's ``\\ud800`` escapes decode to lone surrogates, which no store can encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (a lone surrogate is not)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list):
        for item in value:
            check_text(item)


class Body(BaseModel):
    """A request body: unknown fields are rejected, and so is text that is not valid Unicode."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        check_text(data)
        return data


class Written(BaseModel):
    """A write's answer carries the ledger position it produced (for read-your-writes)."""

    position: int | None = Field(description="notification id of the last event written; null if none")


Username = Annotated[str, Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold U+0000
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
SearchText = Annotated[str, Field(max_length=80, pattern=NO_NUL)]


class AccountView(BaseModel):
    id: str
    username: str
    role: str
    device_limit: int
    devices_used: int
    banned: bool
    banned_until: datetime | None
    license_expiry: datetime | None
