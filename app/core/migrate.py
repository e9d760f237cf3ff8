"""The whole job: dry run, then one transaction that creates, copies, verifies and commits.

Both the command line and the wizard call :func:`dry_run` and :func:`execute`; long work reports
through ``on_progress(table, rows_done, rows_total)`` and stops when ``is_cancelled()`` is true.
A failure, a cancel or a kill leaves the target exactly as it was: nothing is committed until
verification has passed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg

from app.core.connect import Connected, PasswordLookup, connect
from app.core.copy import copy_table
from app.core.dsn import Target, scrub
from app.core.errors import Cancelled, ConnectFailed, Refused, VerificationFailed
from app.core.plan import Plan, build_table_plans, can_create_tables
from app.core.scan import REPAIRS, Problem, scan
from app.core.source import SqliteSource, UndecodableText
from app.core.target_schema import (
    create_table_sql,
    map_tables,
    post_data_sql,
    prefer_lz4,
    reset_identity_sql,
)
from app.core.verify import TableCheck, check_table

ProgressFn = Callable[[str, int, int], None]
PhaseFn = Callable[[str], None]
DEFAULT_BATCH_SIZE = 1000  # rows in memory at once; ~70 MB peak at AI Log Trail row sizes


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
class Options:
    """How to run: batch size, chosen repairs, password sources."""

    batch_size: int = DEFAULT_BATCH_SIZE
    repairs: frozenset[str] = frozenset()
    keyring_lookup: PasswordLookup | None = None
    prompt: PasswordLookup | None = None


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


def dry_run(source_path: Path, target: Target, options: Options | None = None,
            on_phase: PhaseFn = _ignore_phase, is_cancelled: Callable[[], bool] = _never) -> Plan:
    """Connect to both sides, compare, scan; write nothing anywhere."""
    options = options or Options()
    with ExitStack() as stack:
        on_phase("Reading the SQLite file")
        src = stack.enter_context(SqliteSource(Path(source_path), count_rows=False))
        on_phase("Connecting to PostgreSQL")
        connected = _connect(target, options)
        stack.callback(connected.conn.close)
        plan = _plan(src, connected, options, on_phase, is_cancelled)
        connected.conn.rollback()
        return plan


def _connect(target: Target, options: Options) -> Connected:
    return connect(target, keyring_lookup=options.keyring_lookup, prompt=options.prompt)


def _plan(src: SqliteSource, connected: Connected, options: Options, on_phase: PhaseFn,
          is_cancelled: Callable[[], bool], *, thorough: bool = True) -> Plan:
    conn = connected.conn
    maps = map_tables(conn, src)
    on_phase("Scanning values")
    counts: dict[str, int] = {}
    problems = scan(src, maps, thorough=thorough, is_cancelled=is_cancelled, counts=counts)
    if is_cancelled():
        raise Cancelled("Cancelled: nothing was written.")
    src.set_counts(counts)
    for tm in maps:
        tm.source = src.table(tm.name)
    info = src.info()
    warnings = [w for tm in maps for w in tm.warnings]
    if not any(t.known for t in info.tables):
        warnings.append(f"{info.path.name} holds no AI Log Trail tables "
                        f"({len(info.tables)} other table(s))")
    can_create = can_create_tables(conn)
    tables = build_table_plans(maps, problems, can_create)
    return Plan(info, connected.target, connected.server_version, tables, problems, warnings,
                connected.password_source, maps, can_create)


def check_executable(plan: Plan, repairs: frozenset[str]) -> None:
    """Raise :class:`Refused` when execute must not start, naming what is wrong and what to do."""
    if not plan.tables:
        raise Refused(f"{plan.source.path} holds no tables: there is nothing to migrate.")
    if not any(t.known for t in plan.tables):
        raise Refused(f"{plan.source.path} holds no AI Log Trail tables: choose the file "
                      "AI Log Trail writes (reports/session_data.sqlite by default).")
    if plan.not_empty:
        names = ", ".join(f"{t.name} ({t.target_rows} rows)" for t in plan.not_empty)
        raise Refused(f"The target already holds rows in {names}: clear it with "
                      "'ailt-migrate rollback --yes' or choose an empty database.")
    if plan.schema_problems:
        raise Refused("The target's existing tables do not fit: "
                      + "; ".join(plan.schema_problems)
                      + ". Drop those tables or choose an empty database.")
    if plan.created and not plan.can_create:
        raise Refused(f"{plan.target.user} may not create tables in this database: "
                      f"GRANT CREATE ON SCHEMA public TO {plan.target.user}, or connect as "
                      "the database owner.")
    bad = plan.unrepaired(repairs)
    if bad:
        first = bad[0]
        fix = (f" Add --repair {first.repair} to fix it" if first.repair
               else " Fix it in the SQLite file")
        raise Refused(f"{len(bad)} value(s) cannot be migrated as they are; the first: "
                      f"{first.table} id {first.id} column {first.column}: {first.reason}."
                      f"{fix}, or see the dry run's list.")


def execute(source_path: Path, target: Target, options: Options | None = None, *,
            on_progress: ProgressFn = _ignore_progress, on_phase: PhaseFn = _ignore_phase,
            on_plan: Callable[[Plan], None] | None = None,
            is_cancelled: Callable[[], bool] = _never) -> Result:
    """Check again, then migrate in one transaction; commit only if verification passes."""
    options = options or Options()
    unknown = options.repairs - set(REPAIRS)
    if unknown:
        from app.core.errors import BadInput
        raise BadInput(f"Unknown repair {sorted(unknown)[0]!r}: choose from "
                       + ", ".join(REPAIRS) + ".")
    started = time.monotonic()
    with ExitStack() as stack:
        on_phase("Reading the SQLite file")
        src = stack.enter_context(SqliteSource(Path(source_path), count_rows=False))
        on_phase("Connecting to PostgreSQL")
        connected = _connect(target, options)
        stack.callback(connected.conn.close)
        # Repairs need every problem located up front; otherwise the copy itself finds the
        # NULs and bad UTF-8 as it reads every byte, and only then do we scan to list them.
        plan = _plan(src, connected, options, on_phase, is_cancelled,
                     thorough=bool(options.repairs))
        check_executable(plan, options.repairs)
        if on_plan is not None:  # e.g. a progress display learning the total before the copy
            on_plan(plan)
        result = Result(plan)
        try:
            _migrate(src, connected.conn, plan, options, result, on_progress, on_phase,
                     is_cancelled)
        except (psycopg.DataError, UndecodableText) as exc:
            _rollback(connected.conn)
            _refuse_with_problems(src, plan, exc, target)
        except psycopg.OperationalError as exc:
            _rollback(connected.conn)
            raise ConnectFailed(
                "The connection to PostgreSQL was lost during the migration "
                f"({scrub(str(exc).strip().splitlines()[0], target.secrets())}); nothing was "
                "committed: check the server and run again.", "lost") from None
        except psycopg.Error as exc:
            _rollback(connected.conn)
            raise Refused(
                "PostgreSQL rejected the migration "
                f"({scrub(str(exc).strip().splitlines()[0], target.secrets())}); nothing was "
                "committed.") from None
        except BaseException:
            _rollback(connected.conn)
            raise
        result.elapsed_s = time.monotonic() - started
        return result


def _refuse_with_problems(src: SqliteSource, plan: Plan, exc: Exception,
                         target: Target) -> NoReturn:
    """The copy met a value PostgreSQL refuses: list every such value, then refuse."""
    plan.problems = scan(src, plan.maps, thorough=True)
    if plan.problems:
        check_executable(plan, frozenset())
    reason = scrub(str(exc).strip().splitlines()[0], target.secrets())
    raise Refused(f"PostgreSQL rejected a value ({reason}); nothing was committed.")


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):  # a lost connection is rolled back by the server
        conn.rollback()


def _migrate(src: SqliteSource, conn: psycopg.Connection, plan: Plan, options: Options,
             result: Result, on_progress: ProgressFn, on_phase: PhaseFn,
             is_cancelled: Callable[[], bool]) -> None:
    created = {tm.name for tm in plan.maps if not tm.exists}
    on_phase("Creating tables")
    prefer_lz4(conn)
    for tm in plan.maps:
        if tm.name in created:
            conn.execute(create_table_sql(tm))
    sums = {}
    copy_started = time.monotonic()
    for tm in plan.maps:
        on_phase(f"Copying {tm.name}")
        total = tm.source.rows
        on_progress(tm.name, 0, total)
        checksum, repaired = copy_table(
            conn, src, tm, freeze=tm.name in created, batch_size=options.batch_size,
            repairs=options.repairs, problems=plan.problems,
            on_rows=_table_progress(on_progress, tm.name, total),
            is_cancelled=is_cancelled)
        sums[tm.name] = checksum
        result.repaired += repaired
    on_phase("Adding keys, constraints and indexes")
    for tm in plan.maps:
        if tm.name in created:
            for stmt in post_data_sql(tm, created):
                conn.execute(stmt)
    for tm in plan.maps:
        reset = reset_identity_sql(tm)
        if reset is not None:
            conn.execute(reset)
    result.copy_s = time.monotonic() - copy_started
    verify_started = time.monotonic()
    on_phase("Verifying")
    for tm in plan.maps:
        result.checks.append(check_table(conn, tm, sums[tm.name], created=tm.name in created,
                                         is_cancelled=is_cancelled))
    result.verify_s = time.monotonic() - verify_started
    if not (result.counts_match and result.checksums_match):
        bad = ", ".join(c.table for c in result.checks if not c.ok)
        conn.rollback()
        raise VerificationFailed(
            f"Verification failed for {bad}: the copy differs from SQLite, so nothing was "
            "committed. Please report this with the dry run's output.")
    if is_cancelled():
        raise Cancelled("Cancelled: nothing was committed, the target is unchanged.")
    on_phase("Committing")
    conn.commit()
    result.committed = True
