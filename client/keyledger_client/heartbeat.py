"""The background heartbeat: a daemon thread that calls ``beat`` again after the delay it returns, until
stopped. It never dies silently: an unexpected error is logged with its traceback, reported to the
application and followed by a retry; when the thread ends, the log says why."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from keyledger_client.errors import NotLoggedIn

log = logging.getLogger("keyledger_client.heartbeat")

ERROR_RETRY_S = 30.0
STOP_TIMEOUT_S = 10.0


class HeartbeatThread:
    def __init__(
        self,
        beat: Callable[[], float | None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        error_retry_s: float = ERROR_RETRY_S,
        first_delay_s: float = 0.0,
    ) -> None:
        """``beat`` returns the seconds until the next beat, or None to stop (signed out)."""
        self._beat, self._on_error, self._error_retry_s = beat, on_error, error_retry_s
        self._first_delay_s = first_delay_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keyledger-heartbeat", daemon=True)
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Asks the thread to stop and waits for it (a beat in flight ends first)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("heartbeat thread still busy after %.0f s; leaving it (daemon)", timeout)

    def _run(self) -> None:
        reason = "stopped"
        try:
            self._stop.wait(self._first_delay_s)
            while not self._stop.is_set():
                delay = self._once()
                if delay is None:
                    reason = "the session ended"
                    return
                self._stop.wait(max(delay, 0.0))
        except BaseException as error:
            reason = f"fatal {type(error).__name__}"
            log.critical("heartbeat thread dying", exc_info=True)
            self._report(error)
            raise
        finally:
            log.info("heartbeat thread ends: %s", reason)

    def _once(self) -> float | None:
        try:
            return self._beat()
        except NotLoggedIn:
            return None
        except Exception as error:
            self.failures += 1
            log.exception("heartbeat failed unexpectedly (failure %d); retrying", self.failures)
            self._report(error)
            return self._error_retry_s

    def _report(self, error: BaseException) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(error)
        except Exception:
            log.exception("the application's on_error callback failed")
