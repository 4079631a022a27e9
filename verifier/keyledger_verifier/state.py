"""An aggregate's state as JSON: its id, type, version, times and public attributes (password hashes
redacted, as in audit events). Shared by the point-in-time endpoint and the auditor's replay."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from keyledger_verifier.sealed_values import SEALED_MARKER, is_sealed_value

REDACTED_FIELDS = {"password_hash"}


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (a personal value still sealed shows as ``[sealed]``)."""
    if is_sealed_value(value):
        return SEALED_MARKER
    if isinstance(value, UUID | datetime | enum.Enum):
        return value.isoformat() if isinstance(value, datetime) else str(getattr(value, "value", value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return items if isinstance(value, list | tuple) else sorted(items, key=str)
    return value


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    fields = {
        name: "(redacted)" if name in REDACTED_FIELDS else plain(value)
        for name, value in sorted(vars(aggregate).items())
        if not name.startswith("_")
    }
    return {
        "aggregate_id": str(aggregate.id),
        "type": type(aggregate).__name__,
        "version": aggregate.version,
        "created_on": plain(aggregate.created_on),
        "modified_on": plain(aggregate.modified_on),
        "state": fields,
    }
