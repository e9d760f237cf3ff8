"""Where a command's SQLite file and PostgreSQL target come from: its flags, then the config."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.dsn import Target, parse_dsn
from app.core.errors import BadInput

if TYPE_CHECKING:
    from app.core.config import AppConfig


@dataclass(frozen=True)
class Inputs:
    """The SQLite file (None when neither flag nor config names one) and the target."""

    sqlite: Path | None
    target: Target


def resolve_inputs(
    args: argparse.Namespace, config: AppConfig | None, *, no_dsn: str, warn_password: bool
) -> Inputs:
    """``--sqlite`` and ``--postgres-dsn``, falling back to ``config``; ``no_dsn`` when no DSN.

    With ``warn_password``, a password inside the DSN is accepted with a warning on stderr.
    """
    sqlite = getattr(args, "sqlite", None) or (config.sqlite_path if config else None)
    dsn = getattr(args, "postgres_dsn", None) or (config.postgres_dsn if config else None)
    if not dsn:
        raise BadInput(no_dsn)
    target = parse_dsn(dsn)
    if warn_password and target.password is not None:
        print(
            "ailt-migrate: warning: a password in --postgres-dsn is visible to other users "
            "(ps, shell history); prefer PGPASSWORD, ~/.pgpass or the keyring.",
            file=sys.stderr,
        )
    return Inputs(Path(sqlite) if sqlite else None, target)


def config_if_present(path: Path) -> AppConfig | None:
    """The config when the file exists (an invalid one is still an error), else None."""
    from app.core.config import load_config

    return load_config(path) if Path(path).is_file() else None


def flags_or_config(args: argparse.Namespace, *, warn_password: bool = True) -> Inputs:
    """``run`` and ``rollback``: flags first, then the config if there is one."""
    return resolve_inputs(
        args,
        config_if_present(args.config),
        no_dsn="No PostgreSQL DSN: pass --postgres-dsn postgresql://user@host:5432/db "
        f"or set [database] postgres_dsn in {args.config}.",
        warn_password=warn_password,
    )
