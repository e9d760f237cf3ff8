"""Live progress on stderr for ``ailt-migrate run --execute`` (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from app.core.plan import Plan


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TerminalProgress:
    """Renders one status line per update, at most a few times a second."""

    def __init__(self, total_rows: int, stream: TextIO | None = None,
                 interval_s: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.total = max(total_rows, 1)
        self.interval = interval_s
        self.started = time.monotonic()
        self.finished_tables = 0
        self.base = 0  # rows of tables already done
        self.current = ""
        self.last_draw = 0.0
        self.enabled = self.stream.isatty()

    def plan_ready(self, plan: Plan) -> None:
        """The engine checked the plan: now the overall total is known."""
        self.total = max(plan.total_source_rows, 1)

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
        elapsed = time.monotonic() - self.started
        rate = overall / elapsed if elapsed > 0 else 0.0
        eta = (self.total - overall) / rate if rate > 0 else 0.0
        pct = 100 * overall / self.total
        self._draw(f"{table}: {done:,}/{total:,}  |  all: {overall:,}/{self.total:,} "
                   f"({pct:.0f}%)  {rate:,.0f} rows/s  ETA {_fmt_duration(eta)}",
                   force=new_table)

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
