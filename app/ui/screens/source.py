"""Step 1: which SQLite file to migrate; shows what is in it as soon as the path is valid."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Label

from app.core.source import SourceInfo, inspect_source
from app.core.source_check import Fitness, check_source
from app.ui import formatting
from app.ui.dialogs.file_picker import FilePicker
from app.ui.jobs import describe
from app.ui.messages import SourceInspected
from app.ui.screens.base import WizardScreen
from app.ui.widgets import cells
from app.ui.widgets.status_line import StatusLine

DEBOUNCE_S = 0.3


class SourceScreen(WizardScreen):
    """The path (pre-filled from the config), a file picker, and the tables found."""

    STEP = 1
    STEP_NAME = "Source"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next: target"),
        Binding("ctrl+o", "browse", "Browse"),
        Binding("ctrl+b", "switch", "Switch backend only"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None

    def compose_body(self) -> ComposeResult:
        """Path input, Browse, status, tables."""
        yield Label("The AI Log Trail SQLite file to copy (it is only read, never changed):")
        with Horizontal(classes="row"):
            yield Input(
                self._initial_path(),
                id="path",
                placeholder="reports/session_data.sqlite",
                compact=True,
            )
            yield Button("Browse…", id="browse", compact=True)
        yield StatusLine(id="source-status")
        table: DataTable[object] = DataTable(id="tables", cursor_type="row", zebra_stripes=True)
        table.add_column("Table", key="table")
        table.add_column("Rows", key="rows")
        table.add_column("AI Log Trail", key="known")
        yield table

    def _initial_path(self) -> str:
        deps = self.wizard.deps
        if deps.initial_source is not None:
            return str(deps.initial_source)
        return str(self.wizard.config.sqlite_path) if self.wizard.config else ""

    def on_mount(self) -> None:
        """Inspect the pre-filled path right away."""
        self.query_one("#tables").display = False
        self.query_one("#path", Input).focus()
        self._inspect_now()

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        self.wizard.state.source = None
        self.allow_next(False)
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self._inspect_now)

    @on(Input.Submitted, "#path")
    def _path_submitted(self) -> None:
        if self._next_allowed:
            self.action_next()

    def _inspect_now(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        status = self.query_one(StatusLine)
        if not text:
            status.show("Enter the path of the SQLite file, or press ctrl+o to browse.", "info")
            return
        status.show("Reading the file…", "busy")
        self._inspect(Path(text))

    @work(thread=True, exit_on_error=False, group="inspect", exclusive=True)
    def _inspect(self, path: Path) -> None:
        info: SourceInfo | None = None
        error: str | None = None
        try:
            info = inspect_source(path)
        except Exception as exc:
            error = describe(exc)
        finally:
            self.post_message(SourceInspected(path, info, error))

    @on(SourceInspected)
    def _inspected(self, message: SourceInspected) -> None:
        if str(message.path) != self.query_one("#path", Input).value.strip():
            return  # an older path's answer
        status = self.query_one(StatusLine)
        table = self.query_one("#tables", DataTable)
        table.clear()
        table.display = message.info is not None
        if message.info is None:
            status.show(message.error or "The file could not be read.", "error")
            self.wizard.state.source = None
            return
        self._show(message.info, status, table)

    def _show(self, info: SourceInfo, status: StatusLine, table: DataTable[object]) -> None:
        for t in info.tables:
            table.add_row(
                cells.text(t.name),
                cells.number(t.rows),
                cells.text("yes" if t.known else "no (copied too)"),
                key=t.name,
            )
        summary = (
            f"{info.version} · {formatting.size(info.size_bytes)} · "
            f"{formatting.count(info.total_rows)} rows in {len(info.tables)} tables"
        )
        check = check_source(info)
        if check.refusal is not None:
            status.show(check.refusal, "error")
        else:
            status.show(summary, "warning" if check.fitness is Fitness.INCOMPLETE else "ok")
        self.wizard.state.source = info if check.usable else None
        self.allow_next(check.usable)

    @on(Button.Pressed, "#browse")
    def action_browse(self) -> None:
        """Open the file picker at the current path's folder."""
        current = Path(self.query_one("#path", Input).value.strip() or ".").expanduser()
        start = current if current.is_dir() else current.parent
        self.app.push_screen(FilePicker(start if start.is_dir() else Path.cwd()), self._picked)

    def _picked(self, path: Path | None) -> None:
        if path is not None:
            self.query_one("#path", Input).value = str(path)

    def action_switch(self) -> None:
        """Go straight to step 7, e.g. to switch AI Log Trail back to SQLite later."""
        from app.ui.screens.switch import SwitchScreen

        self.app.push_screen(SwitchScreen(revisit=True))

    def action_next(self) -> None:
        """On to the target."""
        if self.wizard.state.source is not None:
            self.wizard.advance(self.STEP)
