"""Heartbeats and what follows from them: the latest verified lease, offline grace, the application told
when the license stops being valid or the session ends, and the ledger checkpoint handed to the witness."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from keyledger_client.errors import (
    AuthenticationError,
    KeyledgerError,
    LeaseRejected,
    NotLoggedIn,
    ProblemError,
    ServerUnreachable,
    UnexpectedResponse,
    WitnessAlarm,
)
from keyledger_client.grace import Grace
from keyledger_client.key_updates import LeaseKeys
from keyledger_client.lease import Lease, lease_kid, verify_lease
from keyledger_client.lease_keys import LeaseKey
from keyledger_client.session import Session
from keyledger_client.types import STATE_TAMPERED, Callbacks, Clock, LicenseStatus
from keyledger_client.witness import Witness

log = logging.getLogger("keyledger_client.licensing")

DEFAULT_NEXT_HEARTBEAT_S = 300.0
OFFLINE_RETRY_S = 30.0
T = TypeVar("T")


def call_safely(callback: Callable[[T], None] | None, argument: T, what: str) -> None:
    """Runs an application callback; its failure is logged and goes no further."""
    if callback is None:
        return
    try:
        callback(argument)
    except Exception:
        log.exception("the application's %s callback failed", what)


class Licensing:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        callbacks: Callbacks,
        witness: Witness | None,
        client_version: str,
        lease_keys: Sequence[LeaseKey] = (),
    ) -> None:
        self.session, self.clock, self.callbacks, self.witness = session, clock, callbacks, witness
        self.client_version = client_version
        self.lease_keys = LeaseKeys(session.api, lease_keys, session.state)
        self.grace = Grace(clock)
        self.next_heartbeat_s = DEFAULT_NEXT_HEARTBEAT_S
        self.max_interval_s: float | None = None
        self._ended: str | None = None
        self._reported: str | None = None
        self._restore()

    def reset(self) -> None:
        """A new login (or a logout): nothing reported, no lease of the old session."""
        with self.session.lock:
            self._ended = self._reported = None
            self.grace.forget()

    def ended(self, code: str) -> None:
        """The server ended the session (the session module already forgot it)."""
        with self.session.lock:
            first = self._ended is None
            self._ended = code
            self.grace.forget()
        if first:
            call_safely(self.callbacks.on_signed_out, code, "on_signed_out")

    def heartbeat(self) -> LicenseStatus:
        if self._ended is not None:
            return self._ended_status()
        try:
            answer = self.session.tokens.authorized(
                "POST", "/client/heartbeat", json={"client_version": self.client_version}
            )
        except AuthenticationError as error:
            self.ended(error.code)  # already signed out by the token layer; makes sure the app knows
            status = self._ended_status()
        except (ServerUnreachable, ProblemError, UnexpectedResponse) as error:
            log.info("heartbeat not answered (%s); judging by the latest lease", type(error).__name__)
            status = self.offline_status()
        else:
            status = self._accept(answer)
        self._report(status)
        return status

    def beat(self) -> float | None:
        """One background beat: the seconds until the next, or None once the session has ended."""
        if self._ended is not None or not self.session.resume():
            raise NotLoggedIn("the session has ended")
        status = self.heartbeat()
        return None if self._ended is not None else self.delay_after(status)

    def delay_after(self, status: LicenseStatus) -> float:
        """Seconds to the next beat: as the server says when online, sooner when it was not reached."""
        delay = self.next_heartbeat_s if status.online else min(OFFLINE_RETRY_S, self.next_heartbeat_s)
        return min(delay, self.max_interval_s) if self.max_interval_s else delay

    def offline_status(self) -> LicenseStatus:
        with self.session.lock:
            if self._ended is not None:
                return self._ended_status()
            status = self.grace.status(online=False)
            self.grace.save_to(self.session.state)
            self.session.save()
        if status.reason == STATE_TAMPERED:
            self._report(status)
        return status

    def _accept(self, answer: dict[str, Any]) -> LicenseStatus:
        try:
            lease = self._verify(str(answer.get("lease")))
        except KeyledgerError as error:
            log.error("heartbeat lease refused (%s); keeping the previous one", error)
            return self.offline_status()
        self.lease_keys.refresh_if_due(lease.issued_at)
        with self.session.lock:
            state = self.session.state
            self.grace.accept(lease, lease.issued_at)  # the signed server time, not the unsigned one
            state.last_heartbeat = self.clock.now()
            state.license_expiry = lease.license_expiry
            self.grace.save_to(state)
            self.lease_keys.save_to(state)
            self.session.save()
            status = self.grace.status(online=True)
        self.next_heartbeat_s = float(answer.get("next_heartbeat_s") or DEFAULT_NEXT_HEARTBEAT_S)
        self._witness(answer.get("checkpoint"))
        return status

    def _verify(self, token: str) -> Lease:
        """The lease if a trusted key signed it; a key not trusted yet is looked up in the server's signed
        key set first (a rotation, or the first lease without pinned keys)."""
        self.lease_keys.ensure(lease_kid(token))
        return verify_lease(token, self.lease_keys.trusted(), self.session.state.device_id)

    def _witness(self, checkpoint: dict[str, Any] | None) -> None:
        if self.witness is None:
            return
        try:
            self.witness.observe(checkpoint)
        except WitnessAlarm as alarm:
            log.error("ledger witness alarm: %s", alarm)
            call_safely(self.callbacks.on_witness_alarm, alarm, "on_witness_alarm")
        except ProblemError as error:
            if error.code == "not_found":  # no such route: a server without the ledger endpoints
                log.warning("the server publishes no ledger checkpoints: witness off for this run")
                self.witness = None
            else:
                log.info("ledger witness skipped this time: %s", error.code)
        except KeyledgerError as error:
            log.warning("ledger witness could not check this time: %s", error)

    def _report(self, status: LicenseStatus) -> None:
        if status.valid:
            self._reported = None
            return
        if self._ended is not None or status.reason == self._reported:
            return  # a session end is reported once, as on_signed_out; a reason once until it changes
        self._reported = status.reason
        log.warning("license not valid: %s", status.reason)
        call_safely(self.callbacks.on_invalid, status, "on_invalid")

    def _ended_status(self) -> LicenseStatus:
        return LicenseStatus(False, self._ended, self.session.state.license_expiry, None, online=True)

    def _restore(self) -> None:
        """The saved lease, if a key trusted now signed it (the state's seal vouched for the times)."""
        state = self.session.state
        lease = None
        if state.lease:
            try:
                lease = verify_lease(state.lease, self.lease_keys.trusted(), state.device_id)
            except LeaseRejected as error:
                log.warning("ignoring the saved lease: %s", error)
        self.grace.load_from(state, lease)
        self.grace.tampered = self.session.state_file.tampered
