"""Fixtures for the wizard's tests: a sample file, a temporary config, the app factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from textual.widgets import Input

from app.core.config import example_config_path
from app.core.credentials import MemoryStore
from app.sample.generator import generate
from app.ui.app import WizardApp, make_app

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots must not depend on when the cursor blinked."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A small, realistic AI Log Trail file (deterministic for its seed)."""
    path = tmp_path / "session_data.sqlite"
    generate(path, sessions=3, seed=7)
    return path


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


@pytest.fixture
def config_file(tmp_path: Path, sample_db: Path) -> Path:
    """The temporary config the wizard reads and switches."""
    return write_config(tmp_path, sample_db, tmp_path / "reports")


@pytest.fixture
def wizard(tmp_path: Path, config_file: Path) -> Iterator[Callable[..., WizardApp]]:
    """Build the app with an in-memory credential store and a temporary reports folder."""

    def build(**overrides: Any) -> WizardApp:
        options: dict[str, Any] = {
            "config_path": config_file,
            "credential_store": MemoryStore(),
            "reports_dir": tmp_path / "reports",
            "pgpass_path": tmp_path / "pgpass",
        }
        options.update(overrides)
        return make_app(**options)

    yield build
