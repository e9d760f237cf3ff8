"""Step 6: what was checked before the commit (counts and checksums per table), and a spot
check the user can read: one sampled row's raw JSON from SQLite beside PostgreSQL's copy."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Static

from app.core.credentials import lookup_for_connect
from app.core.dsn import Target
from app.core.migrate import Result
from app.core.spot_check import Sample, sample_rows
from app.ui.jobs import describe
from app.ui.messages import SamplesLoaded
from app.ui.screens.base import WizardScreen
from app.ui.widgets import cells
from app.ui.widgets.status_line import StatusLine

SAMPLE_CHARS = 300


def _mark(ok: bool) -> Text:
    return Text("✓ match", style="green") if ok else Text("✗ differs", style="bold red")


def _excerpt(value: str | None) -> Text:
    if value is None:
        return Text("(missing)", style="bold red")
    cut = value if len(value) <= SAMPLE_CHARS else value[:SAMPLE_CHARS] + "…"
    return Text(cut)


class VerifyScreen(WizardScreen):
    """Checks from the engine's result, then the spot check (read from both sides)."""

    STEP = 6
    STEP_NAME = "Verify"
    NEXT_LABEL = "Next: switch"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+n", "next", "Next: switch backend")]

    def __init__(self, samples: list[Sample] | None = None) -> None:
        super().__init__()
        self._samples = samples

    def compose_body(self) -> ComposeResult:
        """Verdict, per-table checks, spot check."""
        yield StatusLine(id="verdict")
        table: DataTable[object] = DataTable(id="checks", cursor_type="row")
        for label in ("Table", "SQLite rows", "Postgres rows", "Counts", "Checksums"):
            table.add_column(label)
        yield table
        yield Label(
            "Spot check: one sampled row per table, SQLite beside PostgreSQL", id="spot-title"
        )
        yield StatusLine(id="spot-status")
        yield Vertical(id="samples")

    def on_mount(self) -> None:
        """Show the checks; load the samples (or show the given ones)."""
        result = self.wizard.state.result
        if result is None:
            self.query_one("#verdict", StatusLine).show("Nothing was migrated yet.", "error")
            return
        self._show_checks(result)
        self.allow_next(True)
        if self._samples is not None:
            self._show_samples(self._samples)
        elif self.wizard.state.target is not None:
            self.query_one("#spot-status", StatusLine).show("Reading sample rows…", "busy")
            self._load(result.plan.source.path, self.wizard.state.target)

    def _show_checks(self, result: Result) -> None:
        table = self.query_one("#checks", DataTable)
        for c in result.checks:
            table.add_row(
                cells.text(c.table),
                cells.number(c.source_rows),
                cells.number(c.target_rows),
                _mark(c.counts_match),
                _mark(c.checksums_match),
            )
        ok = result.counts_match and result.checksums_match
        self.query_one("#verdict", StatusLine).show(
            f"All {len(result.checks)} tables match: same row counts and same checksums on "
            "both sides (checked before the commit)."
            if ok
            else "Some tables differ (see below): please report this.",
            "ok" if ok else "error",
        )

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
        status = self.query_one("#spot-status", StatusLine)
        same = sum(1 for s in samples if s.same)
        status.show(
            f"{same} of {len(samples)} sampled values are identical.",
            "ok" if same == len(samples) else "error",
        )
        box = self.query_one("#samples", Vertical)
        box.remove_children()
        for s in samples:
            verdict = "identical" if s.same else "DIFFERENT"
            box.mount(
                Static(
                    Text(
                        f"{s.table} id {s.id} · {s.column} · {verdict}",
                        style="bold" if s.same else "bold red",
                    ),
                    classes="sample-title",
                )
            )
            left = Static(_excerpt(s.sqlite_value), classes="sample")
            right = Static(_excerpt(s.postgres_value), classes="sample")
            left.border_title, right.border_title = "SQLite", "PostgreSQL"
            box.mount(Horizontal(left, right, classes="sample-pair"))

    def action_next(self) -> None:
        """On to the optional backend switch."""
        self.wizard.advance(self.STEP)
