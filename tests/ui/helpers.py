"""Helpers for the wizard's Pilot tests: screen text, waiting, filling the first two steps."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import tomlkit
from psycopg import sql
from rich.console import Console
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from app.core.config import example_config_path
from app.ui.app import WizardApp
from app.ui.screens.execute import ExecuteScreen

SIZE = (100, 32)  # the terminal size every wizard test and snapshot runs at


def write_config(folder: Path, sqlite_path: Path | str, reports: Path | str) -> Path:
    """A copy of the example config pointing at ``sqlite_path``."""
    example = example_config_path()
    assert example is not None
    doc = tomlkit.parse(example.read_text(encoding="utf-8"))
    doc["ingest"]["db_path"] = str(sqlite_path)
    doc["outputs"]["reports_dir"] = str(reports)
    path = folder / "config.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def screen_text(app: App[object] | App[int]) -> str:
    """The current screen as plain text (what a user reads), modals included."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


async def wait_for(
    pilot: Pilot[int],
    condition: Callable[[], bool],
    *,
    timeout: float = 30.0,
    what: str = "the condition",
) -> None:
    """Poll with short pauses until ``condition()`` holds; fail showing the screen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what}; screen:\n" + screen_text(pilot.app)
            )
        await pilot.pause(0.05)


def step(app: WizardApp) -> str:
    """The "N/8 Name" the header shows."""
    return str(app.screen.sub_title)


async def wait_step(pilot: Pilot[int], app: WizardApp, prefix: str) -> None:
    """Wait until the header shows step ``prefix`` (e.g. "3/8")."""
    await wait_for(pilot, lambda: step(app).startswith(prefix), what=f"step {prefix}")


def status(app: WizardApp, selector: str) -> str:
    """The text of a StatusLine on the current screen."""
    return str(getattr(app.screen.query_one(selector), "text", ""))


async def type_into(pilot: Pilot[int], app: WizardApp, selector: str, text: str) -> None:
    """Focus an input, clear it, and type ``text`` key by key."""
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def paste_into(pilot: Pilot[int], app: WizardApp, selector: str, text: str) -> None:
    """Focus an input, clear it, and paste ``text`` (one Paste event, like a terminal)."""
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    field.post_message(events.Paste(text))
    await pilot.pause()


async def through_source(pilot: Pilot[int], app: WizardApp) -> None:
    """Step 1 with the pre-filled path: wait for the file to be read, then Next."""
    await wait_step(pilot, app, "1/8")
    await wait_for(pilot, lambda: app.state.source is not None, what="the source file")
    await pilot.press("ctrl+n")
    await wait_step(pilot, app, "2/8")


async def to_confirm(pilot: Pilot[int], app: WizardApp) -> None:
    """From step 2 (connection pre-filled): Next, wait for the dry run, Next to step 4."""
    await pilot.press("ctrl+n")
    await wait_step(pilot, app, "3/8")
    await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
    await pilot.press("ctrl+n")
    await wait_step(pilot, app, "4/8")


async def start_migration(pilot: Pilot[int], app: WizardApp) -> ExecuteScreen:
    """On step 4: tick the box, Start, and wait for the first rows to be copied."""
    await pilot.press("space", "ctrl+n")
    await wait_step(pilot, app, "5/8")
    screen = app.screen
    assert isinstance(screen, ExecuteScreen)
    await wait_for(pilot, lambda: screen.model.done > 0, what="the first rows")
    return screen


def count_rows(conn: psycopg.Connection, table: str) -> int:
    """``SELECT count(*)`` of one table."""
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])


def public_tables(conn: psycopg.Connection) -> int:
    """How many tables the public schema holds."""
    row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert row is not None
    return int(row[0])
