"""Refresh-token families under any sequence of refreshes: the outcome always follows the rules (current
token or previous within 30 s rotates, any spent token kills the family, 7 days is the end), and a closed
family never rotates again."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.session import REFRESH_GRACE, CloseReason, RefreshOutcome, Session
from tests.domain.aggregate_case import CTX, NOW, opened, replay
from tests.strategies import presented_tokens, refresh_gaps


class SessionMachine(RuleBasedStateMachine):
    """A model of one family, checked against the aggregate on every refresh."""

    def __init__(self) -> None:
        super().__init__()
        self.session = opened("t0", lifetime=timedelta(days=7))
        self.events = list(self.session.collect_events())
        self.now: datetime = NOW
        self.current, self.previous = "t0", ""
        self.spent: list[str] = []
        self.rotated_at = NOW
        self.issued = 0

    def expected(self, presented: str) -> RefreshOutcome:
        """The rule, restated from the design."""
        if not self.session.is_open:
            return RefreshOutcome.CLOSED
        if self.now >= NOW + timedelta(days=7):
            return RefreshOutcome.EXPIRED
        in_grace = presented == self.previous and self.now - self.rotated_at <= REFRESH_GRACE
        if presented == self.current or in_grace:
            return RefreshOutcome.ROTATED
        if presented in (*self.spent, self.previous):
            return RefreshOutcome.REUSED
        return RefreshOutcome.UNKNOWN

    @rule(seconds=refresh_gaps())
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(which=presented_tokens())
    def refresh(self, which: str) -> None:
        spent = self.spent[-1] if self.spent else ""
        presented = {"current": self.current, "previous": self.previous, "spent": spent}.get(which, "forged")
        if not presented:
            return  # no such token yet
        expected = self.expected(presented)
        self.issued += 1
        new = f"t{self.issued}"
        assert self.session.refresh(presented, new, self.now, CTX) is expected
        if expected is RefreshOutcome.ROTATED and presented != self.current:  # grace: one chain lives
            self.spent.append(self.current)
            self.current = new
        elif expected is RefreshOutcome.ROTATED:
            if self.previous:
                self.spent.append(self.previous)
            self.current, self.previous, self.rotated_at = new, self.current, self.now
        if expected is RefreshOutcome.REUSED:
            assert self.session.closed_reason is CloseReason.REUSE
        if expected is RefreshOutcome.EXPIRED:
            assert self.session.closed_reason is CloseReason.EXPIRED

    @precondition(lambda self: self.session.is_open)
    @rule()
    def log_out(self) -> None:
        assert self.session.close(CloseReason.LOGOUT, self.now, CTX)

    @invariant()
    def only_the_current_token_is_held(self) -> None:
        assert self.session.holds(self.current)

    @invariant()
    def replaying_the_events_gives_the_same_session(self) -> None:
        self.events.extend(self.session.collect_events())
        assert replay(Session, self.events) == self.session


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
