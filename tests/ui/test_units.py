"""The UI's small pure parts: asset paths, DSN/field sync, progress figures, formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import BadInput, ConnectFailed
from app.ui import formatting
from app.ui.jobs import ProgressThrottle, describe
from app.ui.paths import assets_dir, stylesheet
from app.ui.progress_model import ProgressModel
from app.ui.widgets.connection_form import dsn_text, fields_of, split_password, with_field


def test_assets_from_checkout() -> None:
    """In a checkout the stylesheet is ``<repo>/assets/wizard.tcss``."""
    repo = Path(__file__).resolve().parents[2]
    assert assets_dir() == repo / "assets"
    assert stylesheet() == repo / "assets" / "wizard.tcss"


def test_assets_from_installed_wheel(tmp_path: Path) -> None:
    """In a wheel the assets are ``app/assets`` (pyproject force-includes them there)."""
    package = tmp_path / "site-packages" / "app"
    (package / "assets").mkdir(parents=True)
    (package / "assets" / "wizard.tcss").write_text("Screen {}\n")
    assert stylesheet(package_root=package) == package / "assets" / "wizard.tcss"


def test_assets_missing_says_where(tmp_path: Path) -> None:
    """A broken install names both places it looked."""
    with pytest.raises(FileNotFoundError, match="assets"):
        assets_dir(tmp_path / "app")


def test_pasted_password_is_split_off() -> None:
    """The password leaves the DSN; the fields get the rest."""
    params, password = split_password("postgresql://alice:s%40cret@db:5433/logs?sslmode=require")
    assert password == "s@cret"
    assert fields_of(params) == {
        "host": "db",
        "port": "5433",
        "dbname": "logs",
        "user": "alice",
        "sslmode": "require",
    }
    assert "s@cret" not in dsn_text(params) and "cret" not in dsn_text(params)


def test_fields_rebuild_the_dsn_in_its_style() -> None:
    """A URL stays a URL, key=value stays key=value; a blank field is removed."""
    params = with_field({"host": "db", "user": "alice"}, "dbname", "logs")
    assert dsn_text(params, url_style=True) == "postgresql://alice@db/logs"
    assert dsn_text(with_field(params, "host", " "), url_style=False) == "user=alice dbname=logs"


def test_malformed_dsn_is_bad_input() -> None:
    """The engine's sentence comes through."""
    with pytest.raises(BadInput, match="malformed"):
        split_password("host=localhost bogus")


def test_progress_figures_from_the_clock() -> None:
    """Rates, elapsed and ETA come from the injected clock only."""
    now = [10.0]
    model = ProgressModel([("a", 100), ("b", 300)], lambda: now[0])
    model.update("a", 0, 100, at=10.0)
    model.update("a", 100, 100, at=11.0)
    model.update("b", 150, 300, at=13.0, started=11.0)
    now[0] = 13.0
    assert model.rate("a") == 100.0 and model.eta("a") == 0.0
    assert model.rate("b") == 75.0 and model.eta("b") == 2.0
    assert model.done == 250 and model.elapsed() == 3.0
    assert model.tables["b"].state == "copying"
    model.stop()
    now[0] = 99.0
    assert model.elapsed() == 3.0


def test_throttle_keeps_first_and_last() -> None:
    """At most one report per interval, but every start and end of a table."""
    now = [0.0]
    sent: list[tuple[str, int, int]] = []
    throttle = ProgressThrottle(lambda *a: sent.append(a), 0.1, lambda: now[0])
    for done in (0, 10, 20, 30, 40):
        throttle("t", done, 40)
        now[0] += 0.01
    assert sent == [("t", 0, 40), ("t", 40, 40)]


def test_describe_uses_engine_sentences_and_scrubs_others() -> None:
    """Engine errors pass as they are; anything else is short and never shows a secret."""
    assert describe(ConnectFailed("Cannot reach it.", "unreachable")) == "Cannot reach it."
    text = describe(RuntimeError("boom with hunter2 inside\nline 2"), ["hunter2"])
    assert "hunter2" not in text and "RuntimeError" in text and "line 2" not in text


def test_formatting() -> None:
    """Short forms the screens share."""
    assert formatting.size(4_378_624) == "4.4 MB"
    assert formatting.duration(3725) == "1:02:05" and formatting.duration(None) == "—"
    assert formatting.rate(1234.4) == "1,234/s" and formatting.count(1234567) == "1,234,567"


async def test_connection_form_moves_the_password_and_posts_changed() -> None:
    """The form on its own: a pasted password leaves the DSN, and a change is announced."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    from app.ui.widgets.connection_form import ConnectionForm

    class Host(App[None]):
        changes = 0

        def compose(self) -> ComposeResult:
            yield ConnectionForm()

        def on_connection_form_changed(self, message: ConnectionForm.Changed) -> None:
            self.changes += 1

    app = Host()
    async with app.run_test() as pilot:
        form = app.query_one(ConnectionForm)
        form.prefill("postgresql://alice:s3cret@db.example:5433/ailt", None)
        await pilot.pause()
        assert app.changes >= 1
        assert app.query_one("#password", Input).value == "s3cret"
        assert "s3cret" not in app.query_one("#dsn", Input).value
        assert app.query_one("#port", Input).value == "5433"
        target = form.target()
        assert target.password == "s3cret" and target.key == "alice@db.example:5433/ailt"


def test_done_advice_names_the_target_and_fits_the_backend() -> None:
    """Issue 11: the rollback command carries the target; after switching back to SQLite there
    is no PostgreSQL password advice."""
    from app.core.advice import rollback_command
    from app.ui.screens.done import next_steps
    from app.ui.state import WizardState
    from tests.ui import fixed_data

    state = WizardState(target=fixed_data.TARGET)
    text = next_steps(state).plain
    assert rollback_command(fixed_data.TARGET) in text and "PGPASSWORD" in text
    assert "s3cret" not in text
    state.switched_to = "sqlite"
    text = next_steps(state).plain
    assert rollback_command(fixed_data.TARGET) in text and "PGPASSWORD" not in text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("postgresql://alice:s3", "postgresql://alice:••"),
        ("postgresql://alice:s3cret@db:5432/x", "postgresql://alice:••••••@db:5432/x"),
        (
            "postgresql://alice@db/x?password=pw&sslmode=require",
            "postgresql://alice@db/x?password=••&sslmode=require",
        ),
        ("host=db password=se", "host=db password=••"),
        ("host=db password='a b' user=u", "host=db password=••••• user=u"),
        ("postgresql://alice@db:5432/x", "postgresql://alice@db:5432/x"),
    ],
)
def test_dsn_password_is_masked_as_typed(typed: str, shown: str) -> None:
    """Issue 11: a password typed key by key into the DSN is never drawn."""
    from app.ui.widgets.dsn_input import masked

    assert masked(typed) == shown


def test_done_says_where_ai_log_trail_writes_without_a_password_field() -> None:
    """A review read "password=****" on the Done screen although the config holds none: the
    line names the database as user@host:port/dbname."""
    from app.ui.screens.done import writes_to
    from app.ui.state import WizardState
    from tests.ui import fixed_data

    state = WizardState(target=fixed_data.TARGET.with_password("s3cret"))
    state.switched_to = "postgres"
    line = writes_to(state)
    assert line == f"AI Log Trail now writes to PostgreSQL at {fixed_data.TARGET.key}"
    assert "password" not in line and "s3cret" not in line
