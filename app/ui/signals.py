"""SIGTERM, SIGHUP and SIGINT end the process cleanly, or, if that hangs, for certain.

Why not ``loop.add_signal_handler``: its callback runs only when the event loop gets control
again. A wizard whose main thread is stuck (a worker that never returns, a shutdown waiting on a
lock, a terminal that has vanished) then ignores every signal and only SIGKILL ends it. Plain
``signal.signal`` handlers run in the main thread even while it waits on a lock, so here:

- the first signal asks the current owner to finish (the app exits, the demo cleans up) and
  starts a deadline; if the process is still alive when it passes, it ends at once;
- a second signal ends the process at once.

Ending "at once" is ``os._exit``: no cleanup runs, which is why the demo's server and folders
are also watched by :mod:`app.sample.reaper`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_S = 4.0


class ExitOnSignals:
    """The process's signal policy; ``on_signal`` is whoever should finish first."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self.on_signal: Callable[[int], None] | None = None
        self.received: int | None = None

    def install(self) -> None:
        """Handle the three signals (main thread only, as Python requires)."""
        for sig in SIGNALS:
            with suppress(ValueError, OSError):
                signal.signal(sig, self._handle)

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        if self.received is not None:
            hard_exit(128 + sig)
        self.received = sig
        threading.Thread(target=self._deadline, args=(sig,), daemon=True).start()
        if self.on_signal is not None:
            self.on_signal(sig)

    def _deadline(self, sig: int) -> None:
        time.sleep(self.grace_s)
        hard_exit(128 + sig)


def hard_exit(code: int) -> None:
    """Leave now: flush what can be flushed, skip every cleanup and thread join."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code)


_policy: ExitOnSignals | None = None


def exit_on_signals(on_signal: Callable[[int], None] | None) -> ExitOnSignals:
    """Install the policy once per process and make ``on_signal`` the current owner."""
    global _policy
    if _policy is None:
        _policy = ExitOnSignals()
        _policy.install()
    _policy.on_signal = on_signal
    return _policy
