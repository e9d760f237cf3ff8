"""``ailt-migrate sync``: catch an already-migrated target up with its SQLite file.

Same inputs, password sources, progress, exit statuses and bad-input handling as ``run``:
without ``--execute`` a dry run that writes nothing (exit 3 when ``--execute`` would refuse);
with it, one verified transaction. Registered by :func:`add_parser`; the handler is :func:`handle`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.inputs import flags_or_config
from app.cli.session import (
    cancel_on_sigint,
    check_report,
    emit,
    engine_options,
    phase_printer,
    save_default_report,
)
from app.cli.types import positive_int
from app.core.errors import BadInput, ExitCode

if TYPE_CHECKING:
    from app.core.dsn import Target
    from app.core.migrate import Options
    from app.core.sync import SyncResult


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``sync`` to the sub-commands."""
    from app.core.migrate import DEFAULT_BATCH_SIZE

    parser = sub.add_parser(
        "sync",
        help="catch the target up with rows SQLite received after the migration",
        description="Compare the SQLite file with a target it was migrated to and show (with "
        "--execute: apply, verify and commit) the rows to insert, update and delete.",
    )
    parser.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    parser.add_argument("--sqlite", type=Path, help="the SQLite file (default: from the config)")
    parser.add_argument("--postgres-dsn", help="target DSN (default: the config's postgres_dsn)")
    parser.add_argument(
        "--execute", action="store_true", help="apply the changes (default: dry run)"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per batch (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--force",
        action="store_true",
        help="sync although the file does not look like the one the target came from (most "
        "rows differ, or a table's AUTOINCREMENT counter is behind, as after rebuilding it)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="save the JSON report to this file (with --execute it is otherwise saved in the "
        "config's reports folder, as run does)",
    )
    parser.set_defaults(handler=handle, repair=[])


def handle(args: argparse.Namespace) -> int:
    """Dry run, or execute with live progress; return the exit status."""
    from app.cli.sync_output import render_sync_plan, render_sync_result
    from app.core.sync import plan_sync
    from app.core.sync_report import sync_plan_to_dict, sync_result_to_dict

    inputs = flags_or_config(args)
    if inputs.sqlite is None:
        raise BadInput(
            "No SQLite file: pass --sqlite reports/session_data.sqlite "
            f"or set [ingest] db_path in {args.config}."
        )
    options = engine_options(args)
    check_report(args)
    started = time.monotonic()
    if not args.execute:
        plan = plan_sync(inputs.sqlite, inputs.target, options, on_phase=phase_printer(args))
        emit(
            args,
            sync_plan_to_dict(plan, elapsed_s=time.monotonic() - started),
            render_sync_plan(plan),
        )
        if plan.refusals:
            # Not a failure of the dry run: the plan was printed; say why --execute would stop.
            print(f"ailt-migrate: --execute would refuse: {plan.refusals[0]}", file=sys.stderr)
            return plan.refusal_exit  # the status --execute would end with
        return ExitCode.OK
    result = _execute(inputs.sqlite, inputs.target, options)
    data = sync_result_to_dict(result)
    emit(args, data, render_sync_result(result), committed=result.committed)
    if result.committed:
        save_default_report(args, data)
    return ExitCode.OK


def _execute(sqlite: Path, target: Target, options: Options) -> SyncResult:
    from app.cli.progress import TerminalProgress
    from app.core.sync import execute_sync

    with cancel_on_sigint() as cancelled:
        progress = TerminalProgress(0)
        try:
            return execute_sync(
                sqlite,
                target,
                options,
                on_progress=progress.progress,
                on_phase=progress.phase,
                is_cancelled=cancelled.is_set,
            )
        finally:
            progress.close()
