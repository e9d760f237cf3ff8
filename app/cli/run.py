"""``ailt-migrate run``: the dry run (default), or ``--execute`` the migration."""

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
from app.core.errors import BadInput, ExitCode, MigrateError

if TYPE_CHECKING:
    from app.core.dsn import Target
    from app.core.migrate import Options


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``run`` to the sub-commands."""
    from app.core.migrate import DEFAULT_BATCH_SIZE
    from app.core.scan import REPAIRS

    run = sub.add_parser(
        "run",
        help="dry run (default) or --execute the migration",
        description="Without --execute: connect to both sides, compare them and list every "
        "value PostgreSQL cannot take as it is; write nothing (exit 0: --execute "
        "would go ahead, 3: it would refuse). With --execute: copy everything in "
        "one transaction, verify, and only then commit; the JSON report is saved "
        "in the config's reports folder (or --report FILE).",
    )
    run.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="AI Log Trail's config (default: user/config.toml)",
    )
    run.add_argument("--sqlite", type=Path, help="the SQLite file (default: from the config)")
    run.add_argument("--postgres-dsn", help="target DSN (default: the config's postgres_dsn)")
    run.add_argument("--execute", action="store_true", help="copy the data (default: dry run)")
    run.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per batch (default {DEFAULT_BATCH_SIZE})",
    )
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument(
        "--repair",
        action="append",
        default=[],
        choices=sorted(REPAIRS),
        help="let values through that PostgreSQL refuses as they are; repeat it "
        "for several repairs. " + "; ".join(f"{k}: {v}" for k, v in REPAIRS.items()),
    )
    run.add_argument(
        "--report",
        type=Path,
        help="save the JSON report to this file (with --execute it is otherwise "
        "saved in the config's reports folder, as the wizard does)",
    )
    run.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Dry run, or execute with live progress; return the exit status."""
    inputs = flags_or_config(args)
    if inputs.sqlite is None:
        raise BadInput(
            "No SQLite file: pass --sqlite reports/session_data.sqlite "
            f"or set [ingest] db_path in {args.config}."
        )
    options = engine_options(args)
    check_report(args)
    if not args.execute:
        return _dry_run(args, inputs.sqlite, inputs.target, options)
    return _execute(args, inputs.sqlite, inputs.target, options)


def _dry_run(args: argparse.Namespace, sqlite: Path, target: Target, options: Options) -> int:
    from app.cli.output import render_plan
    from app.core.migrate import check_executable, dry_run
    from app.core.report import plan_to_dict

    started = time.monotonic()
    plan = dry_run(sqlite, target, options, on_phase=phase_printer(args))
    emit(args, plan_to_dict(plan, elapsed_s=time.monotonic() - started), render_plan(plan))
    try:
        check_executable(plan, options.repairs)
    except MigrateError as err:
        # Not a failure of the dry run: the plan was printed; say why --execute would stop.
        print(f"ailt-migrate: --execute would refuse: {err}", file=sys.stderr)
        return err.exit_code
    if not args.json:
        print("\nDry run only: nothing was written. Add --execute to migrate.")
    return ExitCode.OK


def _execute(args: argparse.Namespace, sqlite: Path, target: Target, options: Options) -> int:
    from app.cli.output import render_result
    from app.cli.progress import TerminalProgress
    from app.core.migrate import execute
    from app.core.report import result_to_dict

    with cancel_on_sigint() as cancelled:
        progress = TerminalProgress(0)
        try:
            result = execute(
                sqlite,
                target,
                options,
                on_progress=progress.progress,
                on_phase=progress.phase,
                on_plan=progress.plan_ready,
                is_cancelled=cancelled.is_set,
            )
        finally:
            progress.close()
    data = result_to_dict(result)
    emit(args, data, render_result(result), committed=result.committed)
    save_default_report(args, data)
    return ExitCode.OK
