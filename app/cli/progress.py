"""Live progress on stderr for ``ailt-migrate run --execute`` (only when stderr is a terminal)."""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from app.core.plan import Plan


WINDOW_S = 5.0  # the ETA uses the rate of the last few seconds


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))  # never "0:00" while rows remain
    return f"{seconds // 60}:{seconds % 60:02d}"


class RecentRate:
    """Rows per second over the last ``window_s``: tables differ a lot in row size (a table of
    small rows copies many times faster than one of raw JSON), so an average since the start
    promised "0:01" for as long as the slow table took."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, at: float, rows: int) -> float | None:
        """Record ``rows`` done at ``at``; the recent rate, once it spans at least a second."""
        self.samples.append((at, rows))
        while len(self.samples) > 2 and at - self.samples[1][0] >= self.window_s:
            self.samples.popleft()
        first_at, first_rows = self.samples[0]
        if at - first_at < 1.0:
            return None
        return (rows - first_rows) / (at - first_at)


class TerminalProgress:
    """Renders one status line per update, at most a few times a second."""

    def __init__(
        self, total_rows: int, stream: TextIO | None = None, interval_s: float = 0.2
    ) -> None:
        self.stream = stream or sys.stderr
        # 0: no overall total (sync reads and writes in passes of their own): per table only
        self.overall = total_rows > 0
        self.total = max(total_rows, 1)
        self.interval = interval_s
        self.started = time.monotonic()
        self.finished_tables = 0
        self.base = 0  # rows of tables already done
        self.current = ""
        self.last_draw = 0.0
        self.enabled = self.stream.isatty()
        self.recent = RecentRate()

    def plan_ready(self, plan: Plan) -> None:
        """The engine checked the plan: now the overall total is known."""
        self.total = max(plan.total_source_rows, 1)
        self.overall = True

    def phase(self, text: str) -> None:
        """Show a phase (connecting, scanning, verifying ...)."""
        if self.enabled:
            self._draw(f"{text}...", force=True)

    def progress(self, table: str, done: int, total: int) -> None:
        """Called by the engine after each batch."""
        new_table = table != self.current
        if new_table:
            if self.current:
                self.base += self._last_done
            self.current = table
        self._last_done = done
        if not self.enabled:
            return
        overall = self.base + done
        rate = self.recent.add(time.monotonic(), overall)
        eta = _fmt_duration((self.total - overall) / rate) if rate else "—"
        pct = 100 * overall / self.total
        shown_rate = f"{rate:,.0f} rows/s" if rate is not None else "— rows/s"
        if not self.overall:
            self._draw(f"{table}: {done:,}/{total:,}", force=new_table)
            return
        self._draw(
            f"{table}: {done:,}/{total:,}  |  all: {overall:,}/{self.total:,} "
            f"({pct:.0f}%)  {shown_rate}  ETA {eta}",
            force=new_table,
        )

    _last_done = 0

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        self.stream.write("\r\x1b[2K" + text[:200])
        self.stream.flush()

    def close(self) -> None:
        """Clear the status line."""
        if self.enabled:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
