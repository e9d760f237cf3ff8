"""Read AI Log Trail's ``user/config.toml``: the backend, the SQLite file, the DSN, the reports.

Read with stdlib ``tomllib``; every problem becomes one :class:`BadInput` sentence that names the
file and what to do. A missing config can be created from the example config shipped beside it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.atomic_file import atomic_write
from app.core.errors import BadInput, Refused

DEFAULT_CONFIG = Path("user/config.toml")
DEFAULT_SQLITE = "reports/session_data.sqlite"
DEFAULT_REPORTS = "reports"
EXAMPLE_NAME = "config.example.toml"
NEW_FILE_MODE = 0o644


@dataclass(frozen=True)
class AppConfig:
    """The parts of ``user/config.toml`` ailt-migrate reads; paths resolved against the cwd."""

    path: Path
    backend: str
    sqlite_path: Path
    postgres_dsn: str | None
    reports_dir: Path


# --- reading ----------------------------------------------------------------------------------


def load_config(path: Path) -> AppConfig:
    """Read the config with stdlib tomllib; raise :class:`BadInput` with a sentence to act on."""
    data = parse_config(path, read_config_text(path))
    database = config_table(data, "database", path)
    ingest = config_table(data, "ingest", path)
    outputs = config_table(data, "outputs", path)
    backend = _string(database, "backend", path, "database") or "sqlite"
    if backend not in ("sqlite", "postgres"):
        raise BadInput(
            f'{path}: [database] backend is "{backend}": set it to "sqlite" or "postgres".'
        )
    sqlite = (
        _string(database, "sqlite_path", path, "database")
        or _string(ingest, "db_path", path, "ingest")
        or DEFAULT_SQLITE
    )
    reports = _string(outputs, "reports_dir", path, "outputs") or DEFAULT_REPORTS
    dsn = _string(database, "postgres_dsn", path, "database")
    return AppConfig(path, backend, _resolve(sqlite), dsn or None, _resolve(reports))


def _resolve(value: str) -> Path:
    """AI Log Trail resolves relative paths against the working directory; so do we."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


def read_config_text(path: Path) -> str:
    """The file's exact text (line endings kept), or a :class:`BadInput` sentence."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise BadInput(
            f"{path} does not exist: create it from the example config "
            f"({_example_hint()}), or point --config at your AI Log Trail config."
        ) from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder: give the path of config.toml inside it.") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text: save it as UTF-8 and run again.") from None
    except OSError as exc:
        raise BadInput(f"{path} cannot be read ({exc.strerror}): check its permissions.") from None


def parse_config(path: Path, text: str) -> dict[str, Any]:
    """Parse TOML; an error names the file, line and column (from tomllib's message)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        reason = re.sub(r"\s*\(at .*\)$", "", message).rstrip(".")
        place = f"line {where[1]}, column {where[2]}" if where else "the end of the file"
        raise BadInput(
            f"{path} is not valid TOML at {place} ({reason}): fix that line "
            "(compare with user/config.example.toml) and run again; the file was not changed."
        ) from None


def config_table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    """The ``[name]`` table of the parsed config ({} when absent; BadInput when not a table)."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise BadInput(f"{path}: {name} must be a [{name}] table: fix it and run again.")
    return value


def _string(table: dict[str, Any], key: str, path: Path, section: str) -> str | None:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise BadInput(f'{path}: [{section}] {key} must be a quoted string: write {key} = "...".')


# --- the example config -----------------------------------------------------------------------


def example_config_path() -> Path | None:
    """The example config: ``user/`` in a checkout, ``app/assets/`` in an installed wheel."""
    app_dir = Path(__file__).resolve().parent.parent
    for candidate in (app_dir.parent / "user" / EXAMPLE_NAME, app_dir / "assets" / EXAMPLE_NAME):
        if candidate.is_file():
            return candidate
    return None


def _example_hint() -> str:
    found = example_config_path()
    return f"ailt-migrate switch --yes creates it from {found}" if found else "user/" + EXAMPLE_NAME


def create_from_example(path: Path) -> None:
    """Create a missing config from the example (the caller has asked the user)."""
    example = example_config_path()
    if example is None:
        raise BadInput("The example config is missing from this installation: reinstall it.")
    if path.exists():
        raise Refused(f"{path} already exists: it was left as it is.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"Cannot create {path.parent} ({exc.strerror}): create it first.") from None
    atomic_write(path, example.read_bytes().decode("utf-8"), NEW_FILE_MODE)
