"""Helpers the thread workers share: turning any exception into a sentence, batching progress.

No Textual here either: the screens wrap these in ``@work(thread=True)`` methods.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from app.core.dsn import scrub
from app.core.errors import MigrateError


def describe(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """The sentence to show for ``exc``: the engine's own, else a short scrubbed summary."""
    if isinstance(exc, MigrateError):
        return str(exc)
    lines = str(exc).strip().splitlines()
    first = lines[0][:200] if lines else ""
    text = f"Unexpected error ({type(exc).__name__}{': ' + first if first else ''})"
    return scrub(text, [s for s in secrets if s]) + ": please report it with the steps you took."


class ProgressThrottle:
    """Forward ``(table, done, total)`` at most every ``interval_s``, plus every start and end.

    The engine reports once per batch; a fast small table would flood the UI and a slow one is
    fine either way. The first and the last count of each table always go through.
    """

    def __init__(
        self,
        send: Callable[[str, int, int], None],
        interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval_s = interval_s
        self._clock = clock
        self._last_sent = float("-inf")

    def __call__(self, table: str, done: int, total: int) -> None:
        now = self._clock()
        if done == 0 or done >= total or now - self._last_sent >= self._interval_s:
            self._last_sent = now
            self._send(table, done, total)
