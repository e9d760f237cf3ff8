"""Execute: one transaction that plans, creates, copies, verifies and commits.

The dry run (``plan.dry_run``) builds the same plan without writing. Both the command line and
the wizard call :func:`app.core.plan.dry_run` and :func:`execute`; long work reports
through ``on_progress(table, rows_done, rows_total)`` and stops when ``is_cancelled()`` is true.
A failure, a cancel or a kill leaves the target exactly as it was: nothing is committed until
verification has passed.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

import psycopg

from app.core.copy import copy_table
from app.core.dsn import Target, scrub
from app.core.errors import Cancelled, ConnectFailed, Refused, VerificationFailed
from app.core.high_water import record as record_high_water
from app.core.plan import (  # noqa: F401  (dry_run and Options are re-exported for callers)
    DEFAULT_BATCH_SIZE,
    Options,
    Plan,
    build_plan,
    check_executable,
    connect_target,
    dry_run,
)
from app.core.scan import ACCEPT_LOSSY, REPAIRS, WIDEN, Problem, ProblemCode, scan
from app.core.schema_plan import AFTER_COPY, BEFORE_COPY, SchemaStepFailed, apply
from app.core.source import SqliteSource, UndecodableText, sqlite_error
from app.core.target_schema import prefer_lz4, reset_identity_sql
from app.core.verify import TableCheck, check_table

ProgressFn = Callable[[str, int, int], None]
PhaseFn = Callable[[str], None]


def _never() -> bool:
    return False


def _ignore_progress(table: str, done: int, total: int) -> None:
    return None


def _ignore_phase(phase: str) -> None:
    return None


def _table_progress(on_progress: ProgressFn, table: str, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        on_progress(table, done, total)

    return report


@dataclass
class Result:
    """What execute did: the plan it checked, per-table checks, repairs, timing."""

    plan: Plan
    checks: list[TableCheck] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)
    elapsed_s: float = 0.0
    copy_s: float = 0.0
    verify_s: float = 0.0
    committed: bool = False

    @property
    def counts_match(self) -> bool:
        """Every table has the same row count on both sides."""
        return all(c.counts_match for c in self.checks)

    @property
    def checksums_match(self) -> bool:
        """Every table has the same content on both sides."""
        return all(c.checksums_match for c in self.checks)

    @property
    def rows_copied(self) -> int:
        """Rows written to the target."""
        return sum(c.target_rows for c in self.checks)


def execute(
    source_path: Path,
    target: Target,
    options: Options | None = None,
    *,
    on_progress: ProgressFn = _ignore_progress,
    on_phase: PhaseFn = _ignore_phase,
    on_plan: Callable[[Plan], None] | None = None,
    is_cancelled: Callable[[], bool] = _never,
) -> Result:
    """Check again, then migrate in one transaction; commit only if verification passes."""
    options = options or Options()
    unknown = options.repairs - set(REPAIRS)
    if unknown:
        from app.core.errors import BadInput

        raise BadInput(
            f"Unknown repair {sorted(unknown)[0]!r}: choose from " + ", ".join(REPAIRS) + "."
        )
    started = time.monotonic()
    with ExitStack() as stack:
        on_phase("Reading the SQLite file")
        src = stack.enter_context(SqliteSource(Path(source_path), count_rows=False))
        on_phase("Connecting to PostgreSQL")
        connected = connect_target(target, options)
        stack.callback(connected.conn.close)
        # Repairs need every problem located up front; otherwise the copy itself finds the
        # NULs and bad UTF-8 as it reads every byte, and only then do we scan to list them.
        try:
            plan = build_plan(
                src, connected, options, on_phase, is_cancelled, thorough=bool(options.repairs)
            )
            if plan.unrepaired(options.repairs) and not options.repairs:
                # About to refuse for values: list them all, as the dry run does, so the count
                # and the first value named are the same as the dry run's.
                plan = build_plan(src, connected, options, on_phase, is_cancelled, thorough=True)
        except sqlite3.Error as exc:  # a file SQLite can open but not read through
            raise sqlite_error(src.path, exc) from None
        check_executable(plan, options.repairs)
        if on_plan is not None:  # e.g. a progress display learning the total before the copy
            on_plan(plan)
        result = Result(plan)
        try:
            _migrate(
                src, connected.conn, plan, options, result, on_progress, on_phase, is_cancelled
            )
        except SchemaStepFailed as exc:
            _rollback(connected.conn)
            raise Refused(
                f"PostgreSQL rejected the {scrub(str(exc), target.secrets())}; nothing was "
                "committed. The dry run should have found this: please report it with the "
                "dry run's output."
            ) from None
        except sqlite3.Error as exc:
            _rollback(connected.conn)
            raise sqlite_error(src.path, exc) from None
        except (psycopg.DataError, psycopg.IntegrityError, UndecodableText) as exc:
            _rollback(connected.conn)
            _refuse_with_problems(src, plan, exc, target)
        except psycopg.OperationalError as exc:
            _rollback(connected.conn)
            raise ConnectFailed(
                "The connection to PostgreSQL was lost during the migration "
                f"({scrub(str(exc).strip().splitlines()[0], target.secrets())}); nothing was "
                "committed: check the server and run again.",
                "lost",
            ) from None
        except psycopg.Error as exc:
            _rollback(connected.conn)
            raise Refused(
                "PostgreSQL rejected the migration "
                f"({scrub(str(exc).strip().splitlines()[0], target.secrets())}); nothing was "
                "committed."
            ) from None
        except BaseException:
            _rollback(connected.conn)
            raise
        result.elapsed_s = time.monotonic() - started
        return result


def _refuse_with_problems(
    src: SqliteSource, plan: Plan, exc: Exception, target: Target
) -> NoReturn:
    """The copy met a value PostgreSQL refuses: list every such value, then refuse."""
    plan.problems = scan(src, plan.maps, thorough=True)
    if plan.problems:
        check_executable(plan, frozenset())
    reason = scrub(str(exc).strip().splitlines()[0], target.secrets())
    diag = getattr(exc, "diag", None)
    table = getattr(diag, "table_name", None)
    detail = scrub(getattr(diag, "message_detail", None) or "", target.secrets())
    where = f" in {table}" if table else ""
    more = f" ({detail})" if detail else ""
    raise Refused(
        f"PostgreSQL rejected a value{where}: {reason}{more}; nothing was "
        "committed. The target table's own rules refuse it: change the table or "
        "choose an empty database."
    )


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):  # a lost connection is rolled back by the server
        conn.rollback()


def _migrate(
    src: SqliteSource,
    conn: psycopg.Connection,
    plan: Plan,
    options: Options,
    result: Result,
    on_progress: ProgressFn,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
) -> None:
    created = {tm.name for tm in plan.maps if not tm.exists}
    on_phase("Creating tables")
    prefer_lz4(conn)
    apply(conn, plan.schema, BEFORE_COPY)
    sums = {}
    copy_started = time.monotonic()
    for tm in plan.maps:
        on_phase(f"Copying {tm.name}")
        total = tm.source.rows
        on_progress(tm.name, 0, total)
        checksum, repaired = copy_table(
            conn,
            src,
            tm,
            freeze=tm.name in created,
            batch_size=options.batch_size,
            repairs=options.repairs,
            problems=plan.problems,
            on_rows=_table_progress(on_progress, tm.name, total),
            is_cancelled=is_cancelled,
        )
        sums[tm.name] = checksum
        result.repaired += repaired
    if ACCEPT_LOSSY in options.repairs and WIDEN not in options.repairs:
        result.repaired += [
            replace(p, repaired=f"accepted: {p.detail}")
            for p in plan.problems
            if p.code == ProblemCode.LOSSY
        ]
    on_phase("Adding keys, constraints and indexes")
    apply(conn, plan.schema, AFTER_COPY)
    result.copy_s = time.monotonic() - copy_started
    verify_started = time.monotonic()
    on_phase("Verifying")
    for tm in plan.maps:
        result.checks.append(
            check_table(
                conn, tm, sums[tm.name], created=tm.name in created, is_cancelled=is_cancelled
            )
        )
    result.verify_s = time.monotonic() - verify_started
    if not (result.counts_match and result.checksums_match):
        failed = [c.table for c in result.checks if not c.ok]
        conn.rollback()
        triggers = [
            w for tm in plan.maps if tm.name in failed for w in tm.warnings if "trigger" in w
        ]
        cause = (
            " The target's triggers are the likely cause: " + "; ".join(triggers) + "."
            if triggers
            else " Please report this with the dry run's output."
        )
        raise VerificationFailed(
            f"Verification failed for {', '.join(failed)}: PostgreSQL holds other values "
            f"than SQLite, so nothing was committed.{cause}"
        )
    if is_cancelled():
        raise Cancelled("Cancelled: nothing was committed, the target is unchanged.")
    # Last, because setval is not undone by a rollback: a run that fails or is cancelled
    # before this point leaves the sequences of tables created beforehand as they were.
    for tm in plan.maps:
        reset = reset_identity_sql(tm)
        if reset is not None:
            conn.execute(reset)
        record_high_water(conn, tm)  # so a later sync can tell PostgreSQL's own rows apart
    on_phase("Committing")
    conn.commit()
    result.committed = True
