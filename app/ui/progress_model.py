"""Per-table and overall progress of a migration: rows, rows/s, elapsed and ETA.

Kept apart from the screen so that the numbers come from one injectable clock (the snapshot
tests freeze it) and so that the arithmetic is tested without a UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MIN_SAMPLE_S = 0.2  # below this, a rate would be noise


@dataclass
class TableProgress:
    """One table's copy: ``started``/``finished`` are clock readings."""

    name: str
    total: int
    done: int = 0
    started: float | None = None
    finished: float | None = None
    rolled_back: bool = False
    verbs: tuple[str, str] = ("copying", "copied")  # ("comparing", "compared") for a sync

    @property
    def state(self) -> str:
        """waiting | copying | copied (or the sync's verbs), or rolled back once the
        migration did not commit."""
        if self.rolled_back and self.started is not None:
            return "rolled back"
        if self.finished is not None:
            return self.verbs[1]
        return self.verbs[0] if self.started is not None else "waiting"


class ProgressModel:
    """Counts reported by the engine, turned into the figures the execute screen shows."""

    def __init__(
        self,
        tables: list[tuple[str, int]],
        clock: Callable[[], float],
        verbs: tuple[str, str] = ("copying", "copied"),
    ) -> None:
        self.clock = clock
        self.verbs = verbs
        self.tables = {name: TableProgress(name, total, verbs=verbs) for name, total in tables}
        self.started = clock()
        self.finished: float | None = None

    def update(
        self,
        table: str,
        done: int,
        total: int,
        at: float | None = None,
        started: float | None = None,
    ) -> None:
        """Record a count taken at ``at`` (default: now) for a table that started at
        ``started`` (default: its first report); a table ends at its total."""
        now = self.clock() if at is None else at
        entry = self.tables.setdefault(table, TableProgress(table, total, verbs=self.verbs))
        entry.total, entry.done = total, done
        if started is not None:
            entry.started = started
        elif entry.started is None:
            entry.started = now
        if done >= total and entry.finished is None:
            entry.finished = now

    def stop(self) -> None:
        """Freeze the overall clock (the migration ended)."""
        if self.finished is None:
            self.finished = self.clock()

    def roll_back(self) -> None:
        """Nothing was committed: no table is "copying" or "copied" any more."""
        self.stop()
        for entry in self.tables.values():
            entry.rolled_back = True

    @property
    def done(self) -> int:
        """Rows copied in all tables."""
        return sum(t.done for t in self.tables.values())

    @property
    def total(self) -> int:
        """Rows to copy in all tables."""
        return sum(t.total for t in self.tables.values())

    def elapsed(self, table: str | None = None) -> float | None:
        """Seconds since the table (or the whole migration) started; None before it did."""
        start, end = self._span(table)
        if start is None:
            return None
        return (end if end is not None else self.clock()) - start

    def rate(self, table: str | None = None) -> float | None:
        """Rows per second so far; None until there is enough to measure."""
        elapsed = self.elapsed(table)
        done = self.tables[table].done if table else self.done
        finished = (self.tables[table].finished if table else self.finished) is not None
        if elapsed is None or done == 0 or elapsed <= 0:
            return None
        if elapsed < MIN_SAMPLE_S and not finished:
            return None
        return done / elapsed

    def eta(self, table: str | None = None) -> float | None:
        """Seconds left at the current rate; 0 when done, None when unknown."""
        entry = self.tables[table] if table else None
        left = (entry.total - entry.done) if entry else self.total - self.done
        if left <= 0 or (entry is not None and entry.finished is not None):
            return 0.0
        rate = self.rate(table)
        return left / rate if rate else None

    def _span(self, table: str | None) -> tuple[float | None, float | None]:
        if table is None:
            return self.started, self.finished
        entry = self.tables[table]
        return entry.started, entry.finished
