"""Fixtures for the wizard's tests: a sample file, a temporary config, the app factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from app.core.credentials import MemoryStore
from app.sample.generator import generate
from app.ui.app import WizardApp, make_app
from tests.ui.helpers import write_config


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
