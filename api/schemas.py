"""Shared request/response vocabulary: bodies forbid unknown fields; every write answers its position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_POSITION = 2**63 - 1  # positions, indexes and sizes are 64-bit in every store


class Body(BaseModel):
    """A request body: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


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
