"""The shape of a personal field as the ledger stores it: sealed under a key the auditor does not hold
(docs/privacy.md). Recognised by its shape alone, so replays and exports show ``[sealed]`` for it::

    kl-sealed/v1:<key id>:<base64url(nonce ‖ AEAD ciphertext)>
"""

from __future__ import annotations

import re
from typing import Any

SEALED_PREFIX = "kl-sealed/v1:"
SEALED_MARKER = "[sealed]"
_SHAPE = re.compile(r"^kl-sealed/v1:(account:[0-9a-f-]{36}|day:\d{4}-\d{2}-\d{2}):[A-Za-z0-9_-]+$")


def is_sealed_value(value: Any) -> bool:
    """A stored personal value sealed under a data key (an opened or clear value never has this shape)."""
    return isinstance(value, str) and _SHAPE.match(value) is not None
