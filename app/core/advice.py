"""The commands the engine's sentences suggest, each naming the exact target it is about.

Why: "clear it with 'ailt-migrate rollback --yes'" without ``--postgres-dsn`` clears the
config's database, which may be another one than the user named. Every suggested command
carries the target as a password-less URL (libpq finds the password as it did this time),
quoted for a POSIX shell.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from app.core.dsn import Target, to_url


def dsn_argument(target: Target) -> str:
    """``--postgres-dsn '<url without password>'``."""
    return f"--postgres-dsn {shlex.quote(to_url(target))}"


def rollback_command(target: Target, *, yes: bool = True) -> str:
    """The command that empties exactly this target."""
    return f"ailt-migrate rollback {dsn_argument(target)}" + (" --yes" if yes else "")


def sync_command(sqlite_path: Path | str, target: Target) -> str:
    """The command that catches exactly this target up with this file."""
    return (
        f"ailt-migrate sync --sqlite {shlex.quote(str(sqlite_path))} {dsn_argument(target)} "
        "--execute"
    )


def drop_command(target: Target) -> str:
    """The command that drops this target's AI Log Trail tables (to migrate afresh)."""
    return f"ailt-migrate rollback {dsn_argument(target)} --drop --yes"


def cli_repair(repair: str) -> str:
    """How the command line fixes a problem value: add the repair flag."""
    return f"Add --repair {repair} to fix it"
