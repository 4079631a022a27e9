"""How the client keeps its lease keys up to date: it fetches the server's signed key set when a lease
names a key it does not trust yet, and once a day after a heartbeat (so the next key of a rotation is
known before the server signs with it). ``KeyTrust`` decides what to believe; this module only asks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from keyledger_client.errors import KeyledgerError
from keyledger_client.lease_keys import KEY_SET_PATH, KeyTrust, LeaseKey
from keyledger_client.state import LocalState
from keyledger_client.transport import Api

log = logging.getLogger("keyledger_client.lease_keys")

REFRESH_EVERY = timedelta(days=1)


class LeaseKeys:
    """The trusted lease keys (restored from the state at start) and when the server was last asked."""

    def __init__(self, api: Api, pinned: Sequence[LeaseKey], state: LocalState) -> None:
        self.api = api
        self.trust = KeyTrust(pinned)
        self.trust.restore(state.lease_key_sets)
        self.checked = state.lease_keys_checked

    def trusted(self) -> dict[str, LeaseKey]:
        return self.trust.trusted()

    def ensure(self, kid: str | None) -> None:
        """Asks the server for its key set when ``kid`` is not trusted yet (``KeySetRejected`` when the
        set it answers is not one to trust)."""
        if kid not in self.trust.trusted():
            self.trust.accept(self.api.request("GET", KEY_SET_PATH))

    def refresh_if_due(self, server_now: datetime) -> None:
        """Once a day (server time): the key set again; a failure waits for the next heartbeat."""
        if self.checked is not None and self.checked <= server_now < self.checked + REFRESH_EVERY:
            return
        try:
            self.trust.accept(self.api.request("GET", KEY_SET_PATH))
        except KeyledgerError as error:
            log.warning("lease keys not refreshed this time: %s", error)
            return
        self.checked = server_now

    def save_to(self, state: LocalState) -> None:
        state.lease_key_sets = self.trust.documents()
        state.lease_keys_checked = self.checked
