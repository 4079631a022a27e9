"""Keyledger desktop SDK: the public surface is listed in ``__all__``."""

from __future__ import annotations

__all__: list[str] = []
