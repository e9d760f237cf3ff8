"""Step 6: what was checked before the commit, and a spot check the user can read.

The per-table checks come from the engine's result: both row counts, how many values the
checksums covered and how (the text says "every value" only when the count proves it). The spot
check reads sampled cells afresh from both sides (the first, middle and last row of every table,
every column): one line per cell in a table, the highlighted cell's whole values below it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from app.core.credentials import lookup_for_connect
from app.core.dsn import Target
from app.core.migrate import Result
from app.core.spot_check import Sample, sample_rows
from app.core.sync import SyncResult
from app.core.verify import FINGERPRINTS, ORDERED, UNORDERED, TableCheck, every_value_compared
from app.ui import formatting
from app.ui.jobs import describe
from app.ui.messages import SamplesLoaded
from app.ui.screens.base import WizardScreen
from app.ui.widgets import cells
from app.ui.widgets.status_line import StatusLine

CELL_CHARS = 14  # a cell of the spot-check table (80 columns); the whole value shows below it
METHODS = {ORDERED: "key order", UNORDERED: "any order", FINGERPRINTS: "id ranges"}


def _mark(ok: bool) -> Text:
    return Text("✓", style="green") if ok else Text("✗", style="bold red")


def _cut(value: str | None, width: int = CELL_CHARS) -> Text:
    """A value on one line, cut with an ellipsis; NULL and a missing value are said so."""
    if value is None:
        return Text("(none)", style="dim")
    flat = " ".join(value.split())
    return Text(flat if len(flat) <= width else flat[: width - 1] + "…")


def _full(value: str | None) -> Text:
    return Text("(none)", style="dim") if value is None else Text(value)


class VerifyScreen(WizardScreen):
    """Checks from the engine's result, then the spot check (read from both sides)."""

    STEP = 6
    STEP_NAME = "Verify"
    NEXT_LABEL = "Next: switch"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+n", "next", "Next: switch backend")]

    def __init__(self, samples: list[Sample] | None = None) -> None:
        super().__init__()
        self._samples = samples
        self._shown: list[Sample] = []

    def compose_body(self) -> ComposeResult:
        """Verdict, per-table checks, spot check, the highlighted cell."""
        yield StatusLine(id="verdict")
        checks: DataTable[object] = DataTable(id="checks", cursor_type="row")
        for label in ("Table", "SQLite", "Postgres", "Values", "Checksum", ""):
            checks.add_column(label)
        yield checks
        yield StatusLine(id="spot-status")
        spot: DataTable[object] = DataTable(id="spot", cursor_type="row")
        for label in ("Table", "Id", "Column", "SQLite", "PostgreSQL", ""):
            spot.add_column(label)
        yield spot
        with VerticalScroll(id="spot-detail"):
            yield Static("", id="spot-values")

    def on_mount(self) -> None:
        """Show the checks; load the samples (or show the given ones)."""
        self.query_one("#spot").display = False
        self.query_one("#spot-detail").display = False
        result = self.wizard.state.result
        if result is None:
            self.query_one("#verdict", StatusLine).show("Nothing was migrated yet.", "error")
            return
        self._show_checks(result)
        self.allow_next(True)
        if self._samples is not None:
            self._show_samples(self._samples)
        elif self.wizard.state.target is not None:
            self.query_one("#spot-status", StatusLine).show(
                "Spot check: reading sampled rows again from both sides…", "busy"
            )
            self._load(result.plan.source.path, self.wizard.state.target)

    # --- the checks made before the commit ----------------------------------------------------

    def _show_checks(self, result: Result | SyncResult) -> None:
        table = self.query_one("#checks", DataTable)
        columns = {tm.name: len(tm.columns) for tm in result.plan.maps}
        every = True
        for c in result.checks:
            every = every and c.table in columns and every_value_compared(c, columns[c.table])
            table.add_row(
                cells.text(c.table),
                cells.number(c.source_rows),
                cells.number(c.target_rows),
                cells.number(c.values_compared),
                cells.text(METHODS.get(c.method, c.method)),
                _mark(c.ok),
            )
        self.query_one("#verdict", StatusLine).show(*_verdict(result.checks, every))

    # --- the spot check -----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="verify")
    def _load(self, path: Path, target: Target) -> None:
        message = SamplesLoaded()
        try:
            lookup = lookup_for_connect(self.wizard.deps.credential_store)
            message = SamplesLoaded(sample_rows(path, target, keyring_lookup=lookup))
        except Exception as exc:
            message = SamplesLoaded(error=describe(exc, target.secrets()))
        finally:
            self.post_message(message)

    @on(SamplesLoaded)
    def _loaded(self, message: SamplesLoaded) -> None:
        if message.error:
            self.query_one("#spot-status", StatusLine).show(message.error, "error")
        else:
            self._show_samples(message.samples)

    def _show_samples(self, samples: list[Sample]) -> None:
        rows = {(s.table, s.id) for s in samples}
        tables = {s.table for s in samples}
        same = sum(1 for s in samples if s.same)
        self.query_one("#spot-status", StatusLine).show(
            f"Spot check: {formatting.count(same)} of {formatting.count(len(samples))} cells "
            f"identical ({len(rows)} rows of {len(tables)} tables: first, middle and last row, "
            "read again from both sides)."
            if samples
            else "Spot check: no table has rows to sample.",
            "ok" if same == len(samples) else "error",
        )
        self._shown = samples
        spot = self.query_one("#spot", DataTable)
        spot.clear()
        spot.display = bool(samples)
        self.query_one("#spot-detail").display = bool(samples)
        for i, s in enumerate(samples):
            spot.add_row(
                _cut(s.table),
                cells.key(s.id),
                _cut(s.column, 12),
                _cut(s.sqlite_value),
                _cut(s.postgres_value),
                _mark(s.same),
                key=str(i),
            )
        self._detail(0)

    @on(DataTable.RowHighlighted, "#spot")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        """The highlighted cell's whole values, SQLite above PostgreSQL."""
        if not 0 <= index < len(self._shown):
            return
        s = self._shown[index]
        verdict = Text("identical", style="green") if s.same else Text("DIFFERENT", "bold red")
        text = Text.assemble(
            (f"{s.table} id {s.id} · {s.column} · ", "bold"),
            verdict,
            "\n",
            ("SQLite      ", "dim"),
            _full(s.sqlite_value),
            "\n",
            ("PostgreSQL  ", "dim"),
            _full(s.postgres_value),
        )
        self.query_one("#spot-values", Static).update(text)

    def action_next(self) -> None:
        """On to the optional backend switch."""
        self.wizard.advance(self.STEP)


def _verdict(checks: list[TableCheck], every: bool) -> tuple[str, str]:
    """The one line above the checks: what matched, and how much was compared."""
    if not all(c.ok for c in checks):
        bad = ", ".join(c.table for c in checks if not c.ok)
        return f"These tables differ: {bad}. Please report this.", "error"
    how = "row counts and a checksum of every value" if every else "row counts and checksums"
    return f"All {len(checks)} tables match ({how}), checked before the commit.", "ok"
