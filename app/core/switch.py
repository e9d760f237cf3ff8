"""Switch AI Log Trail between SQLite and PostgreSQL in ``user/config.toml``, safely.

A switch is planned first (the new text and a unified diff the user sees), then applied: the file
must still be what the plan read, a timestamped backup is written beside it, and the new text
replaces the file atomically, so a crash leaves the old file or the new one, never half of one.
The rewrite goes through tomlkit, so every other byte of the file (comments, order, blank lines,
other sections) stays as it was. The password is never written: the DSN comes from
:func:`app.core.dsn.to_url`.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import tomlkit

from app.core.atomic_file import atomic_write
from app.core.config import config_table, parse_config, read_config_text
from app.core.dsn import Target, parse_dsn, scrub, to_url
from app.core.errors import BadInput, MigrateError, Refused

Backend = Literal["postgres", "sqlite"]
PasswordLookup = Callable[[Target], str | None]


@dataclass(frozen=True)
class SwitchPlan:
    """A switch the user can review (``diff``) before :func:`apply_switch` writes it."""

    path: Path
    to: Backend
    old_text: str
    new_text: str
    diff: str  # passwords already in the file are masked here
    changed: bool
    postgres_dsn: str | None = None  # the password-less URL written (switch to postgres)


# --- planning ---------------------------------------------------------------------------------


def plan_switch(path: Path, to: Backend, target: Target | None) -> SwitchPlan:
    """Compute the new config text and its diff; nothing is written.

    Switching to postgres sets ``[database] backend`` and ``postgres_dsn`` (the password-less URL
    of ``target``; with no target the DSN already in the file is kept). Switching to sqlite sets
    only ``backend`` and keeps the DSN. A commented ``# postgres_dsn = ...`` example line is
    turned into the key in place, not duplicated.
    """
    old_text = read_config_text(path)
    data = parse_config(path, old_text)
    current = config_table(data, "database", path)
    url = _postgres_url(path, to, target, current)
    new_text = _rewrite(old_text, to, url, current)
    secrets = _secrets_in(current.get("postgres_dsn"), target)
    if target is not None and any(s in new_text and s not in old_text for s in target.secrets()):
        raise Refused("The new config would contain the password: this is a bug, nothing written.")
    diff = _diff(path, scrub(old_text, secrets), scrub(new_text, secrets))
    return SwitchPlan(path, to, old_text, new_text, diff, new_text != old_text, url)


def _postgres_url(path: Path, to: Backend, target: Target | None, db: dict[str, Any]) -> str | None:
    if to != "postgres":
        return None
    if target is not None:
        return to_url(target)
    existing = db.get("postgres_dsn")
    if isinstance(existing, str) and existing.strip():
        return None  # keep the DSN already in the file
    raise BadInput(
        f"{path} has no [database] postgres_dsn: give the target with "
        "--postgres-dsn postgresql://user@host:5432/dbname."
    )


def _rewrite(text: str, to: Backend, url: str | None, db: dict[str, Any]) -> str:
    """The switched text, edited through tomlkit so everything else stays byte for byte."""
    if to == "sqlite" and db.get("backend", "sqlite") == "sqlite":
        return text  # already SQLite (AI Log Trail's default when backend is absent)
    if "database" not in tomlkit.parse(text):
        text = _with_database_table(text)
    if url is not None and "postgres_dsn" not in db:
        text = _uncomment_example_dsn(text)
    doc = tomlkit.parse(text)
    table = doc["database"]
    if table.get("backend") != to:
        table["backend"] = to
    if url is not None and table.get("postgres_dsn") != url:
        table["postgres_dsn"] = url
    return tomlkit.dumps(doc)


def _with_database_table(text: str) -> str:
    """Append an empty ``[database]`` table after a blank line."""
    if not text.strip():
        return "[database]\n"
    newline = "\r\n" if "\r\n" in text else "\n"
    if not text.endswith("\n"):
        text += newline
    return text + newline + "[database]" + newline


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(#.*)?$")
_COMMENTED_DSN = re.compile(r"^(\s*)#\s*(postgres_dsn\s*=.*?)\s*$")


def _uncomment_example_dsn(text: str) -> str:
    """Turn the first ``# postgres_dsn = ...`` line of ``[database]`` into a real key in place.

    The uncommented line keeps its trailing comment when it parses as TOML; otherwise it becomes
    ``postgres_dsn = ""``. The result is checked to add exactly that key, else ``text`` is kept.
    """
    lines = text.splitlines(keepends=True)
    section = None
    for i, line in enumerate(lines):
        header = _HEADER.match(line)
        if header:
            section = header[1].strip("\"'")
            continue
        found = _COMMENTED_DSN.match(line) if section == "database" else None
        if not found:
            continue
        body = found[2] if _parses_as_dsn(found[2]) else 'postgres_dsn = ""'
        ending = line[len(line.rstrip("\r\n")) :]
        candidate = "".join([*lines[:i], found[1] + body + ending, *lines[i + 1 :]])
        return candidate if _adds_only_dsn(text, candidate) else text
    return text


def _parses_as_dsn(line: str) -> bool:
    try:
        return isinstance(tomllib.loads(line).get("postgres_dsn"), str)
    except tomllib.TOMLDecodeError:
        return False


def _adds_only_dsn(before: str, after: str) -> bool:
    try:
        old, new = tomllib.loads(before), tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        return False
    database = new.get("database")
    if not isinstance(database, dict) or "postgres_dsn" not in database:
        return False
    database = dict(database)
    del database["postgres_dsn"]
    return {**new, "database": database} == old


def _secrets_in(dsn: object, target: Target | None) -> list[str]:
    """Passwords to mask in the diff: the target's and any already written in the file."""
    found = list(target.secrets()) if target else []
    if isinstance(dsn, str) and dsn.strip():
        with contextlib.suppress(MigrateError):
            found += parse_dsn(dsn).secrets()
    return found


def _diff(path: Path, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{path} (current)",
            f"{path} (after switch)",
        )
    )


# --- writing ----------------------------------------------------------------------------------


def apply_switch(plan: SwitchPlan) -> Path | None:
    """Back the file up, then replace it atomically; return the backup (None: nothing to do)."""
    if not plan.changed:
        return None
    path = plan.path
    if read_config_text(path) != plan.old_text:
        raise Refused(
            f"{path} changed since the diff was shown: run the switch again to see the new diff."
        )
    real = Path(os.path.realpath(path))
    _check_writable(real)
    mode = stat.S_IMODE(real.stat().st_mode)
    backup = _free_backup_name(real)
    atomic_write(backup, plan.old_text, mode, like=real)
    atomic_write(real, plan.new_text, mode, like=real)
    return backup


def _check_writable(path: Path) -> None:
    """Refuse read-only files and folders up front (mode bits count, even for root)."""
    for p, what in ((path, "file"), (path.parent, "folder")):
        if not os.access(p, os.W_OK) or not stat.S_IMODE(p.stat().st_mode) & 0o222:
            raise BadInput(
                f"The {what} {p} is read-only: make it writable (chmod u+w) and run the switch "
                "again; nothing was changed."
            )


def _free_backup_name(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    return backup


# --- the preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchPreview:
    """What the user reviews before a switch: the plan (with its diff) and the guard's answer."""

    plan: SwitchPlan
    mismatches: list[str]  # one sentence per table that differs; empty when all match
    checked: bool  # whether the guard ran (only towards postgres, with a target and a file)
    differing_rows: int = 0  # rows sync would insert, update or delete
    # ``ailt-migrate sync ... --execute`` when it would bring the target up to date
    sync_command: str | None = None


def preview_switch(
    path: Path,
    to: Backend,
    target: Target | None,
    sqlite_path: Path | None,
    keyring_lookup: PasswordLookup | None = None,
    *,
    prompt: PasswordLookup | None = None,
    show_plan: Callable[[SwitchPlan], bool] | None = None,
) -> SwitchPreview:
    """Plan the switch, then check that the target holds exactly the SQLite file's rows.

    Every row is compared, not only counted (sync's dry run, :mod:`app.core.switch_check`):
    row counts can match while rows differ. The wizard and the command line both call this.
    ``show_plan`` sees the plan before the guard connects (the command line prints the diff
    first, so a password prompt follows it) and returns whether the guard should run at all.
    """
    plan = plan_switch(path, to, target if to == "postgres" else None)
    wanted = show_plan(plan) if show_plan is not None else True
    if not (wanted and to == "postgres" and target is not None and sqlite_path is not None):
        return SwitchPreview(plan, [], checked=False)
    from app.core.switch_check import check_target

    check = check_target(sqlite_path, target, keyring_lookup, prompt=prompt)
    return SwitchPreview(
        plan,
        check.lines,
        checked=True,
        differing_rows=check.differing_rows,
        sync_command=check.sync_command if check.can_sync else None,
    )
