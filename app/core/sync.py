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
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
from psycopg import sql

from app.core.advice import drop_command
from app.core.checksum import Checksum
from app.core.connect import Connected, connect
from app.core.data_checks import orphans
from app.core.dsn import Target, scrub
from app.core.errors import (
    Cancelled,
    ConnectFailed,
    ExitCode,
    MigrateError,
    Refused,
    VerificationFailed,
)
from app.core.high_water import cannot_advance, not_the_source
from app.core.high_water import record as record_high_water
from app.core.migrate import Options
from app.core.plan import Plan, TablePlan
from app.core.scan import ProblemCode, scan
from app.core.source import SqliteSource, UndecodableText, _quote, sqlite_error
from app.core.sync_apply import delete_rows, drop_indexes, index_cascades, upsert_rows
from app.core.sync_diff import TableChanges, diff_table
from app.core.sync_digest import Buckets, SourceDigests, supported, target_buckets
from app.core.sync_reader import SqliteReader, whole_table
from app.core.sync_verify import verify_buckets
from app.core.target_schema import (
    FLOAT4,
    TableMap,
    map_tables,
    reset_identity_sql,
    table_triggers,
)
from app.core.verify import TableCheck, check_table
from app.core.xact_counts import RowCounts, only_ours, xact_counts

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
    # the exit status --execute would end with, for the first refusal (3, or 5 when the
    # rehearsal's verification failed)
    refusal_exit: ExitCode = ExitCode.REFUSED

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
    """The dry run: per table the rows to insert, update and delete, and what would stop
    ``--execute``.

    After comparing, it rehearses the changes exactly as :func:`execute_sync` applies and
    verifies them, inside a transaction it then rolls back (so it holds the same lock while it
    runs, and leaves nothing behind): whatever would stop ``--execute`` (a value or a key
    PostgreSQL refuses, a cascade into rows PostgreSQL alone holds, a failed verification) is
    in ``refusals``. Raises ConnectFailed, Cancelled, or Refused for a file or target it
    cannot compare at all.
    """
    options = options or Options()
    started = time.monotonic()
    with _session(source_path, target, options, on_phase) as (src, connected):
        run = _Run(src, connected, options, started, on_progress, on_phase, None, is_cancelled)
        return _guarded(run, lambda: _sync(run, commit=False)).sync


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
        run = _Run(src, connected, options, started, on_progress, on_phase, on_plan, is_cancelled)
        return _guarded(run, lambda: _sync(run, commit=True))


@dataclass
class _Run:
    """One sync's inputs and callbacks."""

    src: SqliteSource
    connected: Connected
    options: Options
    started: float
    on_progress: ProgressFn
    on_phase: PhaseFn
    on_plan: Callable[[SyncPlan], None] | None
    is_cancelled: Callable[[], bool]

    @property
    def conn(self) -> psycopg.Connection:
        """The target connection (one transaction for the whole sync)."""
        return self.connected.conn


def _guarded(run: _Run, work: Callable[[], SyncResult]) -> SyncResult:
    """``work()``, with every failure rolled back and turned into a :class:`MigrateError`."""
    conn, target = run.conn, run.connected.target
    try:
        return work()
    except MigrateError:
        _rollback(conn)
        raise
    except sqlite3.Error as exc:  # a file SQLite can open but not read through
        _rollback(conn)
        raise sqlite_error(run.src.path, exc) from None
    except (psycopg.DataError, UndecodableText, ValueError, OverflowError) as exc:
        _rollback(conn)
        _refuse_value(run.src, conn, exc, target)
    except psycopg.errors.LockNotAvailable:
        _rollback(conn)
        raise Refused(
            "Another program is writing to the target's tables (is AI Log Trail "
            "ingesting into PostgreSQL?): wait for it to finish, then run sync "
            "again."
        ) from None
    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):  # another sync
        _rollback(conn)
        raise Refused(
            "Another sync or program changed the target's tables at the same time, and "
            "PostgreSQL stopped this sync to let it finish; nothing was committed: run sync "
            "again."
        ) from None
    except psycopg.errors.ForeignKeyViolation as exc:
        _rollback(conn)
        _refuse_orphans(run.src, conn, exc, target)
    except psycopg.errors.UniqueViolation as exc:
        _rollback(conn)
        # SQLite holds no duplicate (its own UNIQUE index would refuse it): rows trade values,
        # which PostgreSQL's row-by-row check of a non-deferrable constraint cannot pass.
        table, constraint = exc.diag.table_name or "?", exc.diag.constraint_name or "?"
        raise Refused(
            f"PostgreSQL's unique constraint {constraint} refused a change to {table}: a value "
            "sync writes there is still held by another row, as when rows trade values "
            "(PostgreSQL checks the constraint row by row as sync updates them). Make the "
            "same exchange in PostgreSQL through a temporary value, then sync again; nothing "
            "was committed."
        ) from None
    except psycopg.OperationalError as exc:
        _rollback(conn)
        raise ConnectFailed(
            "The connection to PostgreSQL was lost during the sync "
            f"({_first_line(exc, target)}); nothing was committed: check the "
            "server and run sync again.",
            "lost",
        ) from None
    except psycopg.Error as exc:
        _rollback(conn)
        raise Refused(
            f"PostgreSQL rejected the sync ({_first_line(exc, target)}); nothing was committed."
        ) from None
    except BaseException:
        _rollback(conn)
        raise


def _sync(run: _Run, *, commit: bool) -> SyncResult:
    """Compare every table, then apply and verify the changes; commit, or (the dry run) roll
    back and report what stopped the rehearsal."""
    conn = run.conn
    maps = _mapped(conn, run.src)
    refusals = _schema_refusals(maps, conn, run.connected.target)
    usable = _usable(maps)
    if not run.options.other_file_ok:
        refusals += [r for tm in usable if (r := not_the_source(conn, tm))][:1]
    if refusals and commit:
        raise Refused(refusals[0])
    if usable:
        _lock(conn, usable)
    found = _diff_all(run, usable)
    _counted(run.src, maps, found.checksums)
    if not run.options.other_file_ok and (other := _mostly_different(found)):
        refusals.append(other)
    plan = _sync_plan(run.src, run.connected, maps, found.changes, refusals)
    result = SyncResult(plan, diff_s=time.monotonic() - run.started)
    if plan.refusals and commit:
        raise Refused(plan.refusals[0])
    if plan.refusals or plan.up_to_date:  # every row was compared: nothing to write
        conn.rollback()
        result.elapsed_s = time.monotonic() - run.started
        return result
    if run.on_plan is not None:
        run.on_plan(plan)
    if commit:
        _apply_and_verify(run, usable, plan, found, result)
        return _commit(conn, usable, result, run.started, run.on_phase, run.is_cancelled)
    try:  # the dry run's rehearsal: what --execute would do, then undone
        _guarded(run, lambda: _apply_and_verify(run, usable, plan, found, result))
        if not (result.counts_match and result.checksums_match):
            plan.refusals.append(_verification_sentence(conn, usable, result))
            plan.refusal_exit = ExitCode.VERIFY_FAILED
    except (Refused, VerificationFailed) as exc:
        plan.refusals.append(exc.message)
        plan.refusal_exit = exc.exit_code
    finally:
        _rollback(conn)
    result.elapsed_s = time.monotonic() - run.started
    return result


def _apply_and_verify(
    run: _Run, maps: list[TableMap], plan: SyncPlan, found: _Found, result: SyncResult
) -> SyncResult:
    """Apply the changes, then verify every table; nothing is committed here."""
    applied = time.monotonic()
    _apply(run, maps, plan, found)
    result.apply_s = time.monotonic() - applied
    verified = time.monotonic()
    result.checks = []
    for tm in maps:
        run.on_phase(f"Verifying {tm.name}")
        ch = plan.changes[tm.name]
        digests = found.digests.get(tm.name)
        if digests is not None:
            check = verify_buckets(
                run.conn,
                tm,
                digests,
                found.measured[tm.name],
                ch,
                found.counts_before[tm.name],
                found.ours[tm.name],
            )
        else:
            check = check_table(
                run.conn,
                tm,
                found.checksums[tm.name],
                created=False,
                is_cancelled=run.is_cancelled,
            )
        result.checks.append(check)
    result.verify_s = time.monotonic() - verified
    return result


def _verification_sentence(
    conn: psycopg.Connection, maps: list[TableMap], result: SyncResult
) -> str:
    bad = ", ".join(c.table for c in result.checks if not c.ok)
    triggers = [
        f"{name} on {tm.pg_name}" for tm in maps for name in table_triggers(conn, tm.pg_name)
    ]
    if triggers:  # the usual cause: the target's own triggers change what sync writes
        return (
            f"Verification failed for {bad}: after the sync the target differs from SQLite, "
            "so nothing was committed. The target's triggers run for every row sync writes "
            f"and may change rows ({', '.join(triggers)}): disable them for the sync "
            "(ALTER TABLE ... DISABLE TRIGGER), then sync again."
        )
    return (
        f"Verification failed for {bad}: after the sync the target differs from SQLite, "
        "so nothing was committed. Please report this with sync's dry run output."
    )


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
        sentence = _verification_sentence(conn, maps, result)
        conn.rollback()
        raise VerificationFailed(sentence)
    if is_cancelled():
        raise Cancelled(CANCELLED)
    on_phase("Committing")
    resets = []
    for tm in maps:
        if not result.sync.changes[tm.name].changed:
            continue  # its sequence stays where it is (and may belong to another role)
        reset = reset_identity_sql(tm)
        if reset is None:
            continue
        resets.append(reset)
        # the id the sequence is about to stand at, so the next sync can tell PostgreSQL's
        # own rows apart (a comment is transactional: it goes first)
        record_high_water(conn, tm, _high_water_after_reset(conn, tm))
    if resets:  # setval is not undone by a rollback: one round trip, right before COMMIT
        conn.execute(sql.SQL("; ").join(resets))
    conn.commit()
    result.committed = True
    result.elapsed_s = time.monotonic() - started
    return result


def _high_water_after_reset(conn: psycopg.Connection, tm: TableMap) -> int:
    """The last id reset_identity_sql makes the sequence stand at: the highest id, or
    SQLite's AUTOINCREMENT counter when that is higher."""
    key = tm.column(tm.source.integer_pk or "").ident
    row = conn.execute(
        sql.SQL("SELECT GREATEST((SELECT max({}) FROM {}), %s, 0)").format(key, tm.ident),
        [tm.source.autoincrement_seq or 0],
    ).fetchone()
    return int(row[0]) if row else 0


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


def _schema_refusals(maps: list[TableMap], conn: psycopg.Connection, target: Target) -> list[str]:
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
    missing = [tm for tm in maps if not tm.exists]
    if missing:
        why = (
            "the file comes from a newer AI Log Trail than the migration"
            if any(tm.source.known for tm in missing)
            else "they were added to the file after the migration"
        )
        out.append(
            f"The target has no table {', '.join(tm.name for tm in missing)}, which the file "
            f"holds ({why}), and sync does not change the schema. Clear the target "
            f"({drop_command(target)}; rows AI Log Trail wrote only in PostgreSQL go too) "
            "and migrate again with 'run'."
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
    # what sync's own statements did to each table since it was measured
    ours: dict[str, RowCounts] = field(default_factory=dict)
    # temporary indexes for the cascades of the deletes to come (see _index_early)
    cascade_indexes: list[sql.Identifier] = field(default_factory=list)


def _diff_all(run: _Run, maps: list[TableMap]) -> _Found:
    """Read SQLite in a thread while the server fingerprints the target, table by table.

    The server measures the tables in order without waiting for the reader; each table is
    compared as soon as both of its sides are known, so that neither side idles while the
    other is slower on some table (the reader on reals and timestamps, the server on large
    compressed text).
    """
    conn = run.conn
    reader = SqliteReader(
        conn,
        run.src,
        maps,
        batch_size=run.options.batch_size,
        on_progress=run.on_progress,
        is_cancelled=run.is_cancelled,
    )
    reader.start()
    found = _Found({}, {})
    measured: deque[tuple[TableMap, RowCounts | None, Buckets | None]] = deque()
    try:
        for tm in maps:
            run.on_phase(f"Comparing {tm.name}")
            counts = xact_counts(conn, tm)
            theirs = target_buckets(conn, tm, reader.algo) if supported(tm) else None
            measured.append((tm, counts, theirs))
            while measured and reader.has_side():
                _compare(conn, reader, *measured.popleft(), found)
        while measured:
            _compare(conn, reader, *measured.popleft(), found)
    finally:
        reader.close()
    return found


def _compare(
    conn: psycopg.Connection,
    reader: SqliteReader,
    tm: TableMap,
    counts: RowCounts | None,
    theirs: Buckets | None,
    found: _Found,
) -> None:
    """Compare one table, both sides measured (waits for the reader's side)."""
    side = reader.next_side()
    found.checksums[tm.name] = side.checksum
    found.ours[tm.name] = RowCounts()
    if side.digests is not None and theirs is not None:
        found.changes[tm.name] = diff_table(conn, tm, side.digests, theirs)
        found.digests[tm.name], found.measured[tm.name] = side.digests, theirs
        found.counts_before[tm.name] = counts
    else:
        found.changes[tm.name] = whole_table(conn, tm, side)
    _index_early(conn, tm, found)


MOSTLY_DIFFERENT = 0.5  # the share of rows held on both sides that differ in another file
MOSTLY_FROM = 100  # rows held on both sides below which the share says nothing


def _mostly_different(found: _Found) -> str | None:
    """Why the file looks like another one than the target came from, or None.

    AI Log Trail updates few rows in place (a file's ingested_at, redactions): re-ingested
    sessions come back under new ids. Another file's rows sit under the same ids with other
    values, so most rows both sides hold differ.
    """
    both = updated = 0
    for name, digests in found.digests.items():
        changes = found.changes[name]
        both += len(digests.ids) - len(changes.inserts)
        updated += len(changes.updates)
    if both < MOSTLY_FROM or updated < both * MOSTLY_DIFFERENT:
        return None
    return (
        f"This does not look like the file the target came from: {updated:,} of the "
        f"{both:,} rows both hold under the same id differ, and sync would overwrite them. "
        "Choose the file AI Log Trail writes; if this is the right file, run sync with --force."
    )


def _loses_rows(changes: TableChanges) -> bool:
    """Enough deleted rows that indexing their cascades pays off (see index_cascades)."""
    return changes.replace or len(changes.deletes) > CASCADE_INDEX_FROM


def _index_early(conn: psycopg.Connection, tm: TableMap, found: _Found) -> None:
    """Index the cascades of ``tm``'s deletes now, not when applying them.

    Parents come first, so the server builds these while the reader is still busy with
    SQLite's side of the later (larger) tables, instead of after the diff. An index on a
    table does not move its row counters (app.core.xact_counts) nor change what its bucket
    queries read; the dry run's rollback removes them, and _apply drops them before commit.
    """
    if _loses_rows(found.changes[tm.name]):
        found.cascade_indexes += index_cascades(conn, [tm.pg_name])


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
            notes.append(
                "compared as a whole (no integer key, or a column compared only as a whole), "
                "replaced as a whole"
            )
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
    if ch.changed:
        stale = cannot_advance(conn, tm)
        if stale is not None:
            out.append(stale)
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


def _apply(run: _Run, maps: list[TableMap], plan: SyncPlan, found: _Found) -> None:
    """Deletes children first, then inserts and updates parents first.

    A delete may cascade into rows SQLite kept (a child moved to another parent before its old
    parent went): such a table is measured and compared again after the deletes, so that those
    rows are sent again. A cascade into a table the file does not hold is refused.
    """
    conn = run.conn
    run.on_phase("Applying the changes")
    losing = [tm.pg_name for tm in maps if _loses_rows(plan.changes[tm.name])]
    # built while comparing (_index_early); a second look finds every cascade covered
    helpers = found.cascade_indexes + index_cascades(conn, losing)
    for tm in reversed(maps):
        if run.is_cancelled():
            raise Cancelled(CANCELLED)
        deleted = delete_rows(conn, tm, plan.changes[tm.name])
        found.ours[tm.name] += RowCounts(deleted=deleted)
    drop_indexes(conn, helpers)
    _refuse_outside_cascades(conn, maps)
    for tm in maps:
        _compare_again_if_cascaded(run, tm, plan, found)
    for tm in maps:
        ch = plan.changes[tm.name]
        total = ch.counts["insert"] + ch.counts["update"]
        if not total:
            continue
        run.on_phase(f"Writing {tm.name}")

        def rows(n: int, name: str = tm.name, t: int = total) -> None:
            run.on_progress(name, n, t)

        found.ours[tm.name] += upsert_rows(
            conn,
            run.src,
            tm,
            ch,
            batch_size=run.options.batch_size,
            on_rows=rows,
            is_cancelled=run.is_cancelled,
        )


def _compare_again_if_cascaded(run: _Run, tm: TableMap, plan: SyncPlan, found: _Found) -> None:
    """When something besides sync's own deletes changed ``tm`` (a cascade, a trigger), measure
    it again and redo its comparison, so that every row SQLite holds is sent."""
    digests = found.digests.get(tm.name)
    if digests is None or only_ours(
        run.conn, tm, found.counts_before[tm.name], found.ours[tm.name]
    ):
        return
    conn = run.conn
    before = plan.changes[tm.name]
    rows_before = sum(n for n, _ in found.measured[tm.name].values())
    found.counts_before[tm.name] = xact_counts(conn, tm)
    found.ours[tm.name] = RowCounts()
    found.measured[tm.name] = target_buckets(conn, tm, digests.algo)
    again = diff_table(conn, tm, digests, found.measured[tm.name])
    if again.target_only:
        raise Refused(_target_only_sentence(tm, again))
    found.ours[tm.name] += RowCounts(deleted=delete_rows(conn, tm, again))
    rows_after = sum(n for n, _ in found.measured[tm.name].values())
    # Reported as sync does it: the explicit deletes, the rows the cascade took, and every row
    # sent again (SQLite kept them) among the inserts.
    again.cascaded = rows_before - len(before.deletes) - rows_after
    again.deletes = before.deletes + again.deletes
    plan.changes[tm.name] = again


def _refuse_outside_cascades(conn: psycopg.Connection, maps: list[TableMap]) -> None:
    """Refuse when the deletes reached rows of tables the file does not hold (a table only
    PostgreSQL has, whose foreign key cascades or sets null): sync would lose them silently.

    Seen in the transaction's own row counters; with ``track_counts`` off they stay at zero
    and cannot tell.
    """
    mine = [tm.ident.as_string(conn) for tm in maps]
    rows = conn.execute(
        "SELECT s.relid::regclass::text, s.n_tup_del + s.n_tup_upd "
        "FROM pg_stat_xact_user_tables AS s "
        "WHERE s.n_tup_del + s.n_tup_upd > 0 AND s.schemaname NOT LIKE 'pg\\_temp%%' "
        "AND s.relid <> ALL (SELECT to_regclass(n) FROM unnest(%s::text[]) AS n)",
        [mine],
    ).fetchall()
    if rows:
        named = ", ".join(f"{n:,} row(s) of {t}" for t, n in rows)
        raise Refused(
            f"Deleting the rows SQLite no longer holds would also delete or change {named}, "
            "which only PostgreSQL holds (their foreign keys cascade): nothing was written. "
            "Move or delete those rows in PostgreSQL first if they may go, then sync again."
        )


# --- errors -----------------------------------------------------------------------------------


def _first_line(exc: BaseException, target: Target) -> str:
    return scrub(
        str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        target.secrets(),
    )


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):  # a lost connection is rolled back by the server
        conn.rollback()


def _refuse_orphans(
    src: SqliteSource, conn: psycopg.Connection, exc: Exception, target: Target
) -> NoReturn:
    """PostgreSQL refused a row whose parent is missing: name the file's first orphan."""
    found = orphans(src, _mapped(conn, src))
    if not found:
        raise Refused(
            f"PostgreSQL rejected the sync ({_first_line(exc, target)}); nothing was committed."
        ) from None
    first = found[0]
    raise Refused(
        f"{len(found)} row(s) in the file point to no parent row, which PostgreSQL's foreign "
        f"keys refuse; the first: {first.table} id {first.id} column {first.column}: "
        f"{first.reason}. Delete them in SQLite or restore their parents (the sqlite3 shell "
        "leaves foreign keys off unless you run PRAGMA foreign_keys = ON), then sync again; "
        "nothing was committed."
    ) from None


def _refuse_value(
    src: SqliteSource, conn: psycopg.Connection, exc: Exception, target: Target
) -> NoReturn:
    """A changed row holds a value PostgreSQL refuses: name the first such value."""
    maps = _mapped(conn, src)
    # the rounding into 4-byte reals the migration accepted is not a problem (an overflow is)
    accepted = {(tm.name, c.name) for tm in maps for c in tm.columns if c.accept_lossy}
    problems = [
        p
        for p in scan(src, maps, thorough=True)
        if not (p.code == ProblemCode.LOSSY and (p.table, p.column) in accepted)
    ]
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
