"""Shared request/response vocabulary: bodies forbid unknown fields; every write answers its position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """A request body: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class Written(BaseModel):
    """A write's answer carries the ledger position it produced (for read-your-writes)."""

    position: int | None = Field(description="notification id of the last event written; null if none")


Username = Annotated[str, Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class AccountView(BaseModel):
    id: str
    username: str
    role: str
    device_limit: int
    devices_used: int
    banned: bool
    banned_until: datetime | None
    license_expiry: datetime | None
