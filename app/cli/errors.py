"""The command line's one error path: an engine error becomes its sentence and exit status.

Every handler raises :class:`~app.core.errors.MigrateError` (or lets Ctrl+C through); only
:func:`app.cli.main` catches, and calls these. No traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.core.errors import ExitCode, MigrateError

PROGRAM = "ailt-migrate"
NOTHING_COMMITTED = "Cancelled: nothing was committed."


def error_json(err: MigrateError) -> dict[str, object]:
    """The JSON form of an error printed under ``--json``."""
    return {"error": str(err), "exit_code": int(err.exit_code)}


def report_error(args: argparse.Namespace, err: MigrateError) -> int:
    """Print the error's sentence on stderr (and its JSON on stdout under --json); its status.

    ``run`` and ``rollback`` name the program before the sentence; ``switch`` and ``credentials``
    have always printed the bare sentence, and output stays byte for byte (``error_prefix``).
    """
    prefix = f"{PROGRAM}: " if getattr(args, "error_prefix", True) else ""
    print(f"{prefix}{err}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps(error_json(err)))
    return int(err.exit_code)


def report_cancelled(args: argparse.Namespace) -> int:
    """Ctrl+C: say what was left as it was; exit status 130."""
    print(getattr(args, "cancelled_message", NOTHING_COMMITTED), file=sys.stderr)
    return ExitCode.CANCELLED
