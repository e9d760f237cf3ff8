"""Catch up an already-migrated target with its SQLite file, in one verified transaction.

The SQLite file is the truth and the target the copy. :func:`plan_sync` compares both sides
and writes nothing; :func:`execute_sync` applies exactly those changes (deletes children first,
then updates and inserts parents first), advances identity sequences, verifies every table in
full and commits only if they all match. A failure, a cancel, a kill or a dropped connection
leaves the target as it was.

One guard: a row that exists only in PostgreSQL with an id above SQLite's high-water mark was
written there after a switch, so sync refuses rather than delete it.

Each side is read once: SQLite's rows are fingerprinted in a thread while the server
fingerprints its own rows per range of ids (:mod:`app.core.sync_digest`), and only the ranges
that differ are narrowed. The same ranges verify the result: the ranges the changes touched are
measured again, the rest were measured in this transaction and provably not changed since
(:mod:`app.core.sync_verify`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
from psycopg import sql

from app.core.checksum import Checksum
from app.core.connect import Connected, connect
from app.core.dsn import Target, scrub
from app.core.errors import (
    Cancelled,
    ConnectFailed,
    MigrateError,
    Refused,
    VerificationFailed,
)
from app.core.high_water import record as record_high_water
from app.core.migrate import Options
from app.core.plan import Plan, TablePlan
from app.core.scan import scan
from app.core.source import SqliteSource, UndecodableText, _quote, sqlite_error
from app.core.sync_apply import delete_rows, drop_indexes, index_cascades, upsert_rows
from app.core.sync_diff import TableChanges, diff_table
from app.core.sync_digest import Buckets, SourceDigests, supported, target_buckets
from app.core.sync_pipeline import SqliteReader, pipelinable, run_pipeline, whole_table
from app.core.sync_verify import verify_buckets
from app.core.target_schema import FLOAT4, TableMap, map_tables, reset_identity_sql
from app.core.verify import TableCheck, check_table
from app.core.xact_counts import RowCounts, xact_counts

ProgressFn = Callable[[str, int, int], None]
PhaseFn = Callable[[str], None]
UP_TO_DATE, WILL_CHANGE, PROBLEM = "up to date", "will change", "problem"
LOCK_TIMEOUT = "10s"  # how long to wait for another writer (AI Log Trail) to let go
CASCADE_INDEX_FROM = 2  # deleted parent rows from which indexing the children pays off
CANCELLED = "Cancelled: nothing was committed, the target is unchanged."


def _never() -> bool:
    return False


def _ignore_progress(table: str, done: int, total: int) -> None:
    return None


def _ignore_phase(phase: str) -> None:
    return None


@dataclass
class SyncPlan:
    """What a sync would do: ``plan`` has run's shape (counts side by side, statuses)."""

    plan: Plan
    changes: dict[str, TableChanges]
    refusals: list[str] = field(default_factory=list)  # sentences; any one stops --execute

    @property
    def totals(self) -> dict[str, int]:
        """Rows to insert, update and delete over all tables."""
        out = {"insert": 0, "update": 0, "delete": 0}
        for ch in self.changes.values():
            for k, v in ch.counts.items():
                out[k] += v
        return out

    @property
    def up_to_date(self) -> bool:
        """Nothing to change and nothing in the way."""
        return not self.refusals and not any(c.changed for c in self.changes.values())


@dataclass
class SyncResult:
    """What execute_sync did: the plan, the full verification of every table, timings."""

    sync: SyncPlan
    checks: list[TableCheck] = field(default_factory=list)
    elapsed_s: float = 0.0
    diff_s: float = 0.0
    apply_s: float = 0.0
    verify_s: float = 0.0
    committed: bool = False

    @property
    def plan(self) -> Plan:
        """The run-shaped plan (for the shared renderers)."""
        return self.sync.plan

    @property
    def rows_copied(self) -> int:
        """Rows written to the target (inserted or updated), as run's Result counts copies."""
        totals = self.sync.totals
        return totals["insert"] + totals["update"] if self.committed else 0

    @property
    def copy_s(self) -> float:
        """Time before verification (finding and applying the changes), like run's copy_s."""
        return self.diff_s + self.apply_s

    @property
    def counts_match(self) -> bool:
        """Every table has the same row count on both sides (True when nothing was changed)."""
        return all(c.counts_match for c in self.checks)

    @property
    def checksums_match(self) -> bool:
        """Every table has the same content on both sides (True when nothing was changed)."""
        return all(c.checksums_match for c in self.checks)


def plan_sync(
    source_path: Path,
    target: Target,
    options: Options | None = None,
    *,
    on_progress: ProgressFn = _ignore_progress,
    on_phase: PhaseFn = _ignore_phase,
    is_cancelled: Callable[[], bool] = _never,
) -> SyncPlan:
    """The dry run: per table the rows to insert, update and delete; writes nothing."""
    options = options or Options()
    with _session(source_path, target, options, on_phase) as (src, connected):
        maps = _mapped(connected.conn, src)
        refusals = _schema_refusals(maps, connected.conn)
        found = _diff_all(
            connected.conn, src, _usable(maps), options, on_progress, on_phase, is_cancelled
        )
        _counted(src, maps, found.checksums)
        result = _sync_plan(src, connected, maps, found.changes, refusals)
        connected.conn.rollback()
        return result


def execute_sync(
    source_path: Path,
    target: Target,
    options: Options | None = None,
    *,
    on_progress: ProgressFn = _ignore_progress,
    on_phase: PhaseFn = _ignore_phase,
    on_plan: Callable[[SyncPlan], None] | None = None,
    is_cancelled: Callable[[], bool] = _never,
) -> SyncResult:
    """Compare, apply, verify every table in full, commit; raise a :class:`MigrateError`.

    Raises Refused (exit 3: schema does not fit, rows only in PostgreSQL, a value PostgreSQL
    refuses), VerificationFailed (5), ConnectFailed (4) or Cancelled (130); nothing is
    committed in any of those cases.
    """
    options = options or Options()
    started = time.monotonic()
    with _session(source_path, target, options, on_phase) as (src, connected):
        conn = connected.conn
        try:
            return _execute(
                src, connected, options, started, on_progress, on_phase, on_plan, is_cancelled
            )
        except sqlite3.Error as exc:  # a file SQLite can open but not read through
            _rollback(conn)
            raise sqlite_error(src.path, exc) from None
        except (psycopg.DataError, UndecodableText, ValueError) as exc:
            _rollback(conn)
            _refuse_value(src, conn, exc, connected.target)
        except psycopg.errors.LockNotAvailable:
            _rollback(conn)
            raise Refused(
                "Another program is writing to the target's tables (is AI Log Trail "
                "ingesting into PostgreSQL?): wait for it to finish, then run sync "
                "again."
            ) from None
        except psycopg.OperationalError as exc:
            _rollback(conn)
            raise ConnectFailed(
                "The connection to PostgreSQL was lost during the sync "
                f"({_first_line(exc, connected.target)}); nothing was committed: check the "
                "server and run sync again.",
                "lost",
            ) from None
        except psycopg.Error as exc:
            _rollback(conn)
            raise Refused(
                f"PostgreSQL rejected the sync ({_first_line(exc, connected.target)});"
                " nothing was committed."
            ) from None
        except BaseException:
            _rollback(conn)
            raise


def _execute(
    src: SqliteSource,
    connected: Connected,
    options: Options,
    started: float,
    on_progress: ProgressFn,
    on_phase: PhaseFn,
    on_plan: Callable[[SyncPlan], None] | None,
    is_cancelled: Callable[[], bool],
) -> SyncResult:
    conn = connected.conn
    maps = _mapped(conn, src)
    refusals = _schema_refusals(maps, conn)
    if refusals:
        raise Refused(refusals[0])
    _lock(conn, maps)
    if pipelinable(conn, maps):
        return _execute_pipelined(
            src, connected, maps, options, started, on_progress, on_phase, is_cancelled
        )
    found = _diff_all(conn, src, maps, options, on_progress, on_phase, is_cancelled)
    _counted(src, maps, found.checksums)
    plan = _sync_plan(src, connected, maps, found.changes, [])
    result = SyncResult(plan, diff_s=time.monotonic() - started)
    if plan.refusals:
        raise Refused(plan.refusals[0])
    if on_plan is not None:
        on_plan(plan)
    if plan.up_to_date:  # the fingerprints compared every row: nothing to write
        conn.rollback()
        result.elapsed_s = time.monotonic() - started
        return result
    applied = time.monotonic()
    ours = _apply(conn, src, maps, plan, options, on_progress, on_phase, is_cancelled)
    result.apply_s = time.monotonic() - applied
    on_phase("Verifying")
    verified = time.monotonic()
    for tm in maps:
        ch = plan.changes[tm.name]
        digests = found.digests.get(tm.name)
        if digests is not None:
            check = verify_buckets(
                conn,
                tm,
                digests,
                found.measured[tm.name],
                ch,
                found.counts_before[tm.name],
                ours.get(tm.name, RowCounts()),
            )
        else:
            check = check_table(
                conn, tm, found.checksums[tm.name], created=False, is_cancelled=is_cancelled
            )
        result.checks.append(check)
    result.verify_s = time.monotonic() - verified
    return _commit(conn, maps, result, started, on_phase, is_cancelled)


def _execute_pipelined(
    src: SqliteSource,
    connected: Connected,
    maps: list[TableMap],
    options: Options,
    started: float,
    on_progress: ProgressFn,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
) -> SyncResult:
    """Compare, apply and verify table by table (see :mod:`app.core.sync_pipeline`)."""
    conn = connected.conn

    def refuse(tm: TableMap, ch: TableChanges) -> None:
        stops = _table_refusals(conn, tm, ch)
        if stops:
            raise Refused(stops[0])

    out = run_pipeline(
        conn,
        src,
        maps,
        batch_size=options.batch_size,
        on_progress=on_progress,
        on_phase=on_phase,
        is_cancelled=is_cancelled,
        refuse=refuse,
    )
    _counted(src, maps, out.checksums)
    plan = _sync_plan(src, connected, maps, out.changes, [])
    result = SyncResult(plan, diff_s=out.diff_s, apply_s=out.apply_s, verify_s=out.verify_s)
    if plan.up_to_date:  # every row compared and nothing written: leave no trace at all
        conn.rollback()
        result.elapsed_s = time.monotonic() - started
        return result
    result.checks = out.checks
    return _commit(conn, maps, result, started, on_phase, is_cancelled)


def _commit(
    conn: psycopg.Connection,
    maps: list[TableMap],
    result: SyncResult,
    started: float,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
) -> SyncResult:
    """Commit only when every table verified; otherwise roll back and say which differ.

    The identity sequences are advanced only now: setval is not undone by a rollback, so
    doing it earlier would leave a failed or cancelled sync's trace in the target.
    """
    if not (result.counts_match and result.checksums_match):
        bad = ", ".join(c.table for c in result.checks if not c.ok)
        conn.rollback()
        raise VerificationFailed(
            f"Verification failed for {bad}: after the sync the target differs from SQLite, "
            "so nothing was committed. Please report this with sync's dry run output."
        )
    if is_cancelled():
        raise Cancelled(CANCELLED)
    on_phase("Committing")
    for tm in maps:
        reset = reset_identity_sql(tm)
        if reset is not None:
            conn.execute(reset)
        record_high_water(conn, tm)  # so the next sync can tell PostgreSQL's own rows apart
    conn.commit()
    result.committed = True
    result.elapsed_s = time.monotonic() - started
    return result


@contextlib.contextmanager
def _session(
    source_path: Path, target: Target, options: Options, on_phase: PhaseFn
) -> Iterator[tuple[SqliteSource, Connected]]:
    with ExitStack() as stack:
        on_phase("Reading the SQLite file")
        # Rows are counted by the pass that reads them (see _counted), not by a pass of its own.
        src = stack.enter_context(SqliteSource(Path(source_path), count_rows=False))
        on_phase("Connecting to PostgreSQL")
        connected = connect(target, keyring_lookup=options.keyring_lookup, prompt=options.prompt)
        stack.callback(connected.conn.close)
        yield src, connected


def _mapped(conn: psycopg.Connection, src: SqliteSource) -> list[TableMap]:
    """The tables as run maps them; a 4-byte ``real`` column compares as what it can hold.

    AI Log Trail's own schema keeps REAL as a 4-byte ``real``: the migration accepted (or the
    user widened) that, and every value sync writes there is rounded the same way, so the
    comparison must round too, or every such row would differ forever.
    """
    maps = map_tables(conn, src)
    for tm in maps:
        for col in tm.columns:
            if col.kind == FLOAT4:
                col.accept_lossy = True
    return maps


def _usable(maps: list[TableMap]) -> list[TableMap]:
    """Tables the diff can read on both sides."""
    return [tm for tm in maps if tm.exists and not tm.problems]


def _schema_refusals(maps: list[TableMap], conn: psycopg.Connection) -> list[str]:
    """Sentences for targets that do not fit the file; empty when sync can go ahead."""
    if not any(tm.source.known for tm in maps):
        return [
            "The file holds no AI Log Trail tables: choose the file AI Log Trail writes "
            "(reports/session_data.sqlite by default)."
        ]
    if not any(tm.exists for tm in maps):
        return [
            "The target holds none of the file's tables: migrate it first with "
            "'ailt-migrate run --execute', then use sync to catch up."
        ]
    out = []
    missing = [tm.name for tm in maps if not tm.exists]
    if missing:
        out.append(
            f"The target has no table {', '.join(missing)}, which the file holds: the "
            "file comes from a newer AI Log Trail than the migration. Clear the target "
            "('ailt-migrate rollback --drop --yes') and migrate again with 'run'."
        )
    bad = [p for tm in maps for p in tm.problems]
    if bad:
        out.append(
            "The target's tables do not fit the file: "
            + "; ".join(bad)
            + ". Sync cannot fix a schema: migrate into an empty database instead."
        )
    return out


def _lock(conn: psycopg.Connection, maps: list[TableMap]) -> None:
    """Keep other writers out until commit (readers still read the committed state)."""
    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
    tables = sql.SQL(", ").join(tm.ident for tm in maps)
    conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(tables))


# --- the diff ---------------------------------------------------------------------------------


@dataclass
class _Found:
    changes: dict[str, TableChanges]
    checksums: dict[str, Checksum]
    # fingerprinted tables: SQLite's side, the target's buckets and row counters when measured
    digests: dict[str, SourceDigests] = field(default_factory=dict)
    measured: dict[str, Buckets] = field(default_factory=dict)
    counts_before: dict[str, RowCounts | None] = field(default_factory=dict)


def _diff_all(
    conn: psycopg.Connection,
    src: SqliteSource,
    maps: list[TableMap],
    options: Options,
    on_progress: ProgressFn,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
) -> _Found:
    """Read SQLite in a thread while the server fingerprints the target, table by table."""
    on_phase("Comparing")
    reader = SqliteReader(
        conn,
        src,
        maps,
        batch_size=options.batch_size,
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        serve=False,
    )
    reader.start()
    found = _Found({}, {})
    try:
        for tm in maps:
            counts = xact_counts(conn, tm)
            # The server fingerprints this table while the thread is still reading it.
            theirs = target_buckets(conn, tm, reader.algo) if supported(tm) else None
            side = reader.next_side()
            found.checksums[tm.name] = side.checksum
            if side.digests is not None and theirs is not None:
                found.changes[tm.name] = diff_table(conn, tm, side.digests, theirs)
                found.digests[tm.name], found.measured[tm.name] = side.digests, theirs
                found.counts_before[tm.name] = counts
            else:
                found.changes[tm.name] = whole_table(conn, tm, side.checksum)
    finally:
        reader.close()
    return found


def _referenced_by(conn: psycopg.Connection, tm: TableMap) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = %s::regclass AND conrelid <> "
        "confrelid",
        [tm.ident.as_string(conn)],
    ).fetchall()
    return [r[0] for r in rows]


def _counted(src: SqliteSource, maps: list[TableMap], checksums: dict[str, Checksum]) -> None:
    """The rows each table's pass read (its checksum counted them) become the file's counts."""
    counts = {name: c.rows for name, c in checksums.items()}
    for tm in maps:  # tables sync did not read (missing in the target): counted on their own
        if tm.name not in counts:
            row = src.conn.execute(f"SELECT count(*) FROM {_quote(tm.name)}").fetchone()
            counts[tm.name] = int(row[0]) if row else 0
    src.set_counts(counts)
    for tm in maps:
        tm.source = src.table(tm.name)


def _sync_plan(
    src: SqliteSource,
    connected: Connected,
    maps: list[TableMap],
    changes: dict[str, TableChanges],
    refusals: list[str],
) -> SyncPlan:
    """Turn the diff into run's plan shape, plus the sentences that stop --execute."""
    refusals = list(refusals)
    tables = []
    for tm in maps:
        ch = changes.get(tm.name, TableChanges(tm.name))
        notes = list(tm.warnings) + list(tm.problems)
        status = WILL_CHANGE if ch.changed else UP_TO_DATE
        if tm.problems or not tm.exists:
            status = PROBLEM
            if not tm.exists:
                notes.append("missing in the target")
        if ch.sequence_behind:
            notes.append("the identity sequence is behind SQLite's ids: it will be advanced")
        if ch.replace:
            notes.append("no integer key: compared as a whole, replaced as a whole")
        if ch.target_only:
            notes.append(f"{len(ch.target_only)} row(s) written in PostgreSQL after the switch")
        stops = _table_refusals(connected.conn, tm, ch)
        if stops:
            status = PROBLEM
            refusals += stops
        tables.append(
            TablePlan(
                tm.name, tm.source.known, tm.source.rows, tm.target_rows, tm.exists, status, notes
            )
        )
    info = src.info()
    plan = Plan(
        info,
        connected.target,
        connected.server_version,
        tables,
        [],
        [w for tm in maps for w in tm.warnings],
        connected.password_source,
        maps,
    )
    return SyncPlan(plan, changes, refusals)


def _table_refusals(conn: psycopg.Connection, tm: TableMap, ch: TableChanges) -> list[str]:
    """Why sync must not touch this table: rows PostgreSQL wrote, or a whole-table
    replacement other tables refer to."""
    out = []
    if ch.target_only:
        out.append(_target_only_sentence(tm, ch))
    if ch.replace:
        users = _referenced_by(conn, tm)
        if users:
            out.append(
                f"{tm.name} has no integer key, so sync would replace it as a whole, but "
                f"{', '.join(users)} refer to it: migrate again with 'run' instead."
            )
    return out


def _target_only_sentence(tm: TableMap, ch: TableChanges) -> str:
    ids = ", ".join(str(i) for i in ch.target_only[:10])
    more = f" and {len(ch.target_only) - 10} more" if len(ch.target_only) > 10 else ""
    clash = " (SQLite holds other rows under some of the same ids)" if ch.clashes else ""
    return (
        f"{tm.name} holds {len(ch.target_only)} row(s) written in PostgreSQL after the "
        f"switch (id {ids}{more}){clash}: sync never deletes or overwrites them. Keep "
        "PostgreSQL as it is (AI Log Trail writes there now), or delete those rows in "
        "PostgreSQL yourself if they are not wanted, then sync again."
    )


# --- applying ---------------------------------------------------------------------------------


def _apply(
    conn: psycopg.Connection,
    src: SqliteSource,
    maps: list[TableMap],
    plan: SyncPlan,
    options: Options,
    on_progress: ProgressFn,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
) -> dict[str, RowCounts]:
    """Deletes children first, then updates and inserts parents first; returns what each
    table's own statements did (as PostgreSQL reported it)."""
    on_phase("Applying the changes")
    losing = [
        tm.pg_name
        for tm in maps
        if plan.changes[tm.name].replace or len(plan.changes[tm.name].deletes) > CASCADE_INDEX_FROM
    ]
    helpers = index_cascades(conn, losing)
    ours = {tm.name: RowCounts() for tm in maps}
    for tm in reversed(maps):
        if is_cancelled():
            raise Cancelled(CANCELLED)
        ours[tm.name] += RowCounts(deleted=delete_rows(conn, tm, plan.changes[tm.name]))
    drop_indexes(conn, helpers)
    for tm in maps:
        ch = plan.changes[tm.name]
        total = ch.counts["insert"] + ch.counts["update"]
        if not total:
            continue
        on_phase(f"Writing {tm.name}")

        def rows(n: int, name: str = tm.name, t: int = total) -> None:
            on_progress(name, n, t)

        ours[tm.name] += upsert_rows(
            conn,
            src,
            tm,
            ch,
            batch_size=options.batch_size,
            on_rows=rows,
            is_cancelled=is_cancelled,
        )
    return ours


# --- errors -----------------------------------------------------------------------------------


def _first_line(exc: BaseException, target: Target) -> str:
    return scrub(
        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        target.secrets(),
    )


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):  # a lost connection is rolled back by the server
        conn.rollback()


def _refuse_value(
    src: SqliteSource, conn: psycopg.Connection, exc: Exception, target: Target
) -> NoReturn:
    """A changed row holds a value PostgreSQL refuses: name the first such value."""
    maps = map_tables(conn, src)
    problems = scan(src, maps, thorough=True)
    if problems:
        first = problems[0]
        fix = " (run's --repair does not apply to sync)" if first.repair else ""
        raise Refused(
            f"{len(problems)} value(s) in the file cannot be stored in PostgreSQL as "
            f"they are; the first: {first.table} id {first.id} column {first.column}: "
            f"{first.reason}. Fix it in the SQLite file{fix}; nothing was committed."
        )
    if isinstance(exc, MigrateError):
        raise Refused(f"{exc.message} Nothing was committed.") from None
    raise Refused(
        f"PostgreSQL rejected a value ({_first_line(exc, target)}); nothing was committed."
    ) from None
