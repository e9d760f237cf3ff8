"""Each error the wizard can meet is one sentence on screen (never a traceback)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Button, DataTable

from app.core.credentials import MemoryStore
from app.core.dsn import parse_dsn
from app.core.migrate import Options, execute
from app.ui.app import WizardApp
from tests.postgres import CANARY_PASSWORD, PgServer, TargetDb
from tests.ui.helpers import (
    SIZE,
    count_rows,
    paste_into,
    screen_text,
    status,
    through_source,
    to_confirm,
    wait_for,
    wait_step,
)


async def _source_error(app: WizardApp, path: str) -> str:
    async with app.run_test(size=SIZE) as pilot:
        await wait_step(pilot, app, "1/8")
        await paste_into(pilot, app, "#path", path)
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#source-status").has_class("-error"),
            what="the error",
        )
        assert app.screen.query_one("#next", Button).disabled
        assert "Traceback" not in screen_text(app)
        return status(app, "#source-status")


async def test_missing_file(wizard: Callable[..., WizardApp], tmp_path: Path) -> None:
    """A path that does not exist."""
    text = await _source_error(wizard(), str(tmp_path / "nope.sqlite"))
    assert "does not exist" in text and "reports/session_data.sqlite" in text


async def test_not_sqlite(wizard: Callable[..., WizardApp], tmp_path: Path) -> None:
    """A file that is not a SQLite database."""
    notes = tmp_path / "notes.sqlite"
    notes.write_text("just some text, not a database\n")
    text = await _source_error(wizard(), str(notes))
    assert "is not a SQLite database" in text


async def _target_error(app: WizardApp, dsn: str, password: str = "") -> str:
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await paste_into(pilot, app, "#dsn", dsn)
        app.screen.query_one("#password").value = password  # type: ignore[attr-defined]
        await pilot.press("ctrl+t")
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#target-status").has_class("-error"),
            what="the error",
        )
        assert app.state.target is None
        assert "Traceback" not in screen_text(app)
        return status(app, "#target-status")


async def test_malformed_dsn(wizard: Callable[..., WizardApp]) -> None:
    """A DSN libpq cannot parse."""
    text = await _target_error(wizard(), "host=localhost bogus")
    assert text.startswith("The PostgreSQL DSN is malformed")


async def test_wrong_password(wizard: Callable[..., WizardApp], target_db: TargetDb) -> None:
    """The server rejects the password (and the sentence never echoes it)."""
    text = await _target_error(wizard(), target_db.url, "not-the-password")
    assert "was rejected" in text and "not-the-password" not in text


async def test_unreachable_host(wizard: Callable[..., WizardApp]) -> None:
    """Nothing listens on 127.0.0.1:1."""
    text = await _target_error(wizard(), "postgresql://alice@127.0.0.1:1/ai_log_trail", "x")
    assert text.startswith("Cannot reach PostgreSQL at 127.0.0.1:1")


async def test_missing_database_offers_create(
    wizard: Callable[..., WizardApp],
    pg_server: PgServer,
) -> None:
    """A database that does not exist: say so, offer to create it, then connect."""
    pg_server.create_role("ailt_creator", CANARY_PASSWORD, createdb=True)
    name = "t_new_" + uuid.uuid4().hex[:10]
    app = wizard()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await through_source(pilot, app)
            await paste_into(pilot, app, "#dsn", pg_server.url(name, "ailt_creator"))
            app.screen.query_one("#password").value = CANARY_PASSWORD  # type: ignore[attr-defined]
            await pilot.press("ctrl+t")
            create = app.screen.query_one("#create-db", Button)
            await wait_for(pilot, lambda: create.display, what="the create offer")
            assert f"Database '{name}' does not exist" in status(app, "#target-status")
            assert str(create.label) == f"Create database {name}"
            await pilot.click("#create-db")
            await wait_for(pilot, lambda: app.state.target is not None, what="the new database")
            assert status(app, "#target-status").startswith("Connected")
    finally:
        pg_server.drop_database(name)


async def test_non_empty_target_two_ways_out(
    wizard: Callable[..., WizardApp],
    sample_db: Path,
    target_db: TargetDb,
) -> None:
    """Rows already there: say so, block Next, offer another database or clearing it."""
    target = parse_dsn(target_db.url).with_password(CANARY_PASSWORD)
    execute(sample_db, target, Options())  # a first migration fills the target
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD, credential_store=MemoryStore())
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        assert app.screen.query_one("#not-empty").display
        assert "The target is not empty: files (3)" in screen_text(app)
        assert app.screen.query_one("#next", Button).disabled
        # Way out 1: another database (asks first, then goes back to step 2).
        await pilot.click("#other-db")
        await wait_for(
            pilot, lambda: "Choose another database?" in screen_text(app), what="the question"
        )
        await pilot.click("#yes")
        await wait_step(pilot, app, "2/8")
        # Way out 2: clear the target (asks first, listing the TRUNCATEs).
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        await pilot.click("#clear")
        await wait_for(pilot, lambda: "Clear the target?" in screen_text(app), what="the question")
        assert "TRUNCATE events" in screen_text(app)
        assert "config points at this database" not in screen_text(app)  # not switched
        await pilot.click("#yes")
        await wait_for(
            pilot,
            lambda: app.state.plan is not None and not app.state.plan.not_empty,
            what="the dry run after clearing",
        )
        await wait_for(
            pilot, lambda: not app.screen.query_one("#next", Button).disabled, what="Next"
        )
    with target_db.connect() as conn:
        assert count_rows(conn, "sessions") == 0


async def test_execute_failure_says_target_unchanged(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """The target filled up after the dry run: the engine refuses, the screen says why and
    that nothing was committed."""
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await to_confirm(pilot, app)
        target = parse_dsn(target_db.url).with_password(CANARY_PASSWORD)
        execute(sample_db, target, Options())  # someone else migrates meanwhile
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#outcome").has_class("-error"),
            what="the failure",
        )
        text = status(app, "#outcome")
        assert "already holds rows" in text and "The target is unchanged" in text
        assert app.state.result is None
        assert "Traceback" not in screen_text(app)
        await pilot.press("escape")  # Back works again after a failure
        await wait_step(pilot, app, "4/8")


async def test_table_names_are_not_markup(
    wizard: Callable[..., WizardApp], sample_db: Path
) -> None:
    """A table named like Rich markup is shown exactly as it is named."""
    conn = sqlite3.connect(sample_db)
    conn.execute('CREATE TABLE "[b]odd[/b]" (id INTEGER PRIMARY KEY)')
    conn.commit()
    conn.close()
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.source is not None, what="the file")
        cell = app.screen.query_one("#tables", DataTable).get_cell("[b]odd[/b]", "table")
        assert cell.plain == "[b]odd[/b]"
        # Rendering can lag on a busy machine: wait for the row rather than sleeping.
        await wait_for(pilot, lambda: "[b]odd[/b]" in screen_text(app), what="the odd row")


async def test_clearing_the_database_ai_log_trail_writes_to_says_what_else_goes(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb, config_file: Path
) -> None:
    """A review: after a switch, "Clear the target" did not say that AI Log Trail now writes
    there, so rows it wrote only in PostgreSQL would go too."""
    import tomlkit

    target = parse_dsn(target_db.url).with_password(CANARY_PASSWORD)
    execute(sample_db, target, Options())
    doc = tomlkit.parse(config_file.read_text(encoding="utf-8"))
    doc["database"]["backend"] = "postgres"
    doc["database"]["postgres_dsn"] = target_db.url
    config_file.write_text(tomlkit.dumps(doc), encoding="utf-8")
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        await pilot.click("#clear")
        await wait_for(pilot, lambda: "Clear the target?" in screen_text(app), what="the question")
        assert "config points at this database" in screen_text(app)
        await pilot.click("#no")
