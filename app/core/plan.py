"""The dry run: what a migration would do, checked against both sides, writing nothing.

:func:`dry_run` builds a :class:`Plan`; :func:`check_executable` says whether execute would go
ahead. Execute (``migrate``) builds the same plan the same way inside its own transaction, so a
dry run that passes is followed by an execute that commits, and one that refuses by an execute
that refuses with the same list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import psycopg
from psycopg import sql

from app.core import data_checks, lossy_targets
from app.core.advice import cli_repair, rollback_command
from app.core.cancel import cancellable
from app.core.connect import Connected, PasswordLookup, connect
from app.core.dsn import Target
from app.core.errors import Cancelled, Refused
from app.core.inventory import SchemaObject
from app.core.scan import Problem, scan
from app.core.schema_plan import SchemaPlan, build_schema, rehearse
from app.core.source import SourceInfo, SqliteSource, sqlite_error
from app.core.target_schema import TableMap, map_tables

PhaseFn = Callable[[str], None]
DEFAULT_BATCH_SIZE = 1000  # rows in memory at once; ~70 MB peak at AI Log Trail row sizes


class TableStatus(StrEnum):
    """One table's status in the side-by-side dry run."""

    READY = "ready"
    NOT_EMPTY = "target not empty"
    WILL_CREATE = "will be created"
    PROBLEM = "problem"


READY, NOT_EMPTY, WILL_CREATE, PROBLEM = (
    TableStatus.READY,
    TableStatus.NOT_EMPTY,
    TableStatus.WILL_CREATE,
    TableStatus.PROBLEM,
)


@dataclass
class Options:
    """How to run: batch size, chosen repairs, password sources."""

    batch_size: int = DEFAULT_BATCH_SIZE
    repairs: frozenset[str] = frozenset()
    keyring_lookup: PasswordLookup | None = None
    prompt: PasswordLookup | None = None
    # sync only (--force): go ahead though the file does not look like the target's source
    other_file_ok: bool = False


@dataclass
class TablePlan:
    """One row of the side-by-side table."""

    name: str
    known: bool  # one of AI Log Trail's tables (otherwise translated from the file)
    source_rows: int
    target_rows: int
    exists: bool
    status: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Everything the dry run found; ``blockers`` say why execute would refuse."""

    source: SourceInfo
    target: Target
    server_version: str
    tables: list[TablePlan]
    problems: list[Problem]
    warnings: list[str]
    password_source: str = "none"
    maps: list[TableMap] = field(default_factory=list, repr=False)
    can_create: bool = True  # the user may create tables in the target schema
    schema: SchemaPlan = field(default_factory=SchemaPlan, repr=False)

    @property
    def objects(self) -> list[SchemaObject]:
        """Every object of the SQLite file with its verdict."""
        return self.schema.objects

    @property
    def not_empty(self) -> list[TablePlan]:
        """Target tables that already hold rows."""
        return [t for t in self.tables if t.status == NOT_EMPTY]

    @property
    def holding_rows(self) -> list[TablePlan]:
        """Existing target tables that hold rows, whatever else their status says."""
        return [t for t in self.tables if t.exists and t.target_rows]

    @property
    def schema_problems(self) -> list[str]:
        """Column mismatches in existing target tables."""
        return [p for tm in self.maps for p in tm.problems]

    def unrepaired(self, repairs: frozenset[str]) -> list[Problem]:
        """Problem values the chosen repairs do not fix."""
        return [p for p in self.problems if not p.fixed_by(repairs)]

    @property
    def total_source_rows(self) -> int:
        """All rows to copy."""
        return sum(t.source_rows for t in self.tables)

    @property
    def created(self) -> list[str]:
        """Tables the migration will create."""
        return [t.name for t in self.tables if not t.exists]

    @property
    def source_path(self) -> Path:
        """The SQLite file."""
        return self.source.path


def build_table_plans(
    maps: list[TableMap],
    problems: list[Problem],
    can_create: bool,
    schema: SchemaPlan | None = None,
) -> list[TablePlan]:
    """Turn the schema match and the scan into one status per table."""
    bad_tables = {p.table for p in problems}
    refused = {o.table: o for o in (schema.refused if schema else []) if o.table}
    plans = []
    for tm in maps:
        notes = list(tm.warnings)
        if (
            tm.problems
            or tm.name in bad_tables
            or (not tm.exists and not can_create)
            or tm.name in refused
        ):
            status = PROBLEM
            notes += tm.problems
            if tm.name in refused:
                notes.append(refused[tm.name].line)
            if tm.name in bad_tables:
                n = sum(1 for p in problems if p.table == tm.name)
                notes.append(f"{n} value(s) cannot be migrated as they are")
            if not tm.exists and not can_create:
                notes.append("missing, and the user may not create tables")
        elif tm.exists and tm.target_rows:
            status = NOT_EMPTY
        elif not tm.exists:
            status = WILL_CREATE
        else:
            status = READY
        if not tm.source.known:
            notes.append("not an AI Log Trail table: translated from the file and copied too")
        plans.append(
            TablePlan(
                tm.name, tm.source.known, tm.source.rows, tm.target_rows, tm.exists, status, notes
            )
        )
    return plans


def can_create_tables(conn: psycopg.Connection) -> bool:
    """Whether the user may create tables in the current schema."""
    row = conn.execute(
        "SELECT current_schema() IS NOT NULL AND has_schema_privilege(current_schema(), 'CREATE')"
    ).fetchone()
    return bool(row and row[0])


def _never() -> bool:
    return False


def _ignore_phase(phase: str) -> None:
    return None


def dry_run(
    source_path: Path,
    target: Target,
    options: Options | None = None,
    on_phase: PhaseFn = _ignore_phase,
    is_cancelled: Callable[[], bool] = _never,
) -> Plan:
    """Connect to both sides, compare, scan, rehearse the DDL; write nothing anywhere.

    Raises ``BadInput`` (file), ``ConnectFailed`` (server) or ``Cancelled``.
    """
    options = options or Options()
    with ExitStack() as stack:
        on_phase("Reading the SQLite file")
        src = stack.enter_context(SqliteSource(Path(source_path), count_rows=False))
        on_phase("Connecting to PostgreSQL")
        connected = connect_target(target, options)
        stack.callback(connected.conn.close)
        try:
            with cancellable(src.conn, is_cancelled):
                plan = build_plan(src, connected, options, on_phase, is_cancelled)
        except sqlite3.Error as exc:  # a file SQLite can open but not read through
            raise sqlite_error(src.path, exc) from None
        connected.conn.rollback()
        return plan


def connect_target(target: Target, options: Options) -> Connected:
    """Connect with the password sources the options name."""
    return connect(target, keyring_lookup=options.keyring_lookup, prompt=options.prompt)


def build_plan(
    src: SqliteSource,
    connected: Connected,
    options: Options,
    on_phase: PhaseFn,
    is_cancelled: Callable[[], bool],
    *,
    thorough: bool = True,
) -> Plan:
    """The plan for ``src`` into the connected target: schema, rehearsal, scan, checks.

    Runs inside the connection's transaction and leaves nothing behind in it (the rehearsal is
    rolled back to its savepoint), so execute can call it too before it starts writing.
    """
    conn = connected.conn
    existing = _prefer_target_schema(conn)
    maps = map_tables(conn, src)
    data_checks.null_primary_keys(src, maps)
    schema = build_schema(src, maps, existing)
    on_phase("Scanning values")
    counts: dict[str, int] = {}
    problems = scan(src, maps, thorough=thorough, is_cancelled=is_cancelled, counts=counts)
    if is_cancelled():
        raise Cancelled("Cancelled: nothing was written.")
    src.set_counts(counts)
    for tm in maps:
        tm.source = src.table(tm.name)
    problems += data_checks.orphans(src, [tm for tm in maps if not tm.exists])
    problems += data_checks.text_collisions(src, maps)
    lossy_targets.decide(schema, maps, problems, options.repairs)
    can_create = can_create_tables(conn)
    if schema.steps and (can_create or all(tm.exists for tm in maps)):
        on_phase("Rehearsing the schema")
        rehearse(conn, schema, src)
    info = src.info()
    warnings = [w for tm in maps for w in tm.warnings]
    if not any(t.known for t in info.tables):
        warnings.append(
            f"{info.path.name} holds no AI Log Trail tables ({len(info.tables)} other table(s))"
        )
    tables = build_table_plans(maps, problems, can_create, schema)
    return Plan(
        info,
        connected.target,
        connected.server_version,
        tables,
        problems,
        warnings,
        connected.password_source,
        maps,
        can_create,
        schema,
    )


def _prefer_target_schema(conn: psycopg.Connection) -> set[str]:
    """Search the target schema before ``pg_catalog`` (a table called ``pg_type`` must not
    resolve to the catalog), for this transaction only; return the relation names it holds."""
    row = conn.execute("SELECT current_schema()").fetchone()
    if not row or row[0] is None:
        return set()
    conn.execute(sql.SQL("SET LOCAL search_path = {}, pg_catalog").format(sql.Identifier(row[0])))
    return {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema()"
        )
    }


def check_executable(
    plan: Plan, repairs: frozenset[str], *, repair_advice: Callable[[str], str] = cli_repair
) -> None:
    """Raise :class:`Refused` when execute must not start, naming what is wrong and what to do.

    ``repair_advice(repair)`` words the fix for a repairable value (the wizard has checkboxes
    where the command line has flags).
    """
    if not plan.tables:
        raise Refused(f"{plan.source.path} holds no tables: there is nothing to migrate.")
    if not any(t.known for t in plan.tables):
        raise Refused(
            f"{plan.source.path} holds no AI Log Trail tables: choose the file "
            "AI Log Trail writes (reports/session_data.sqlite by default)."
        )
    if plan.holding_rows:
        names = ", ".join(f"{t.name} ({t.target_rows:,} rows)" for t in plan.holding_rows)
        raise Refused(
            f"The target already holds rows in {names}: clear it with "
            f"{rollback_command(plan.target)} or choose an empty database."
        )
    if plan.schema_problems:
        raise Refused(
            "The target's existing tables do not fit: "
            + "; ".join(plan.schema_problems)
            + ". Drop those tables or choose an empty database."
        )
    if plan.created and not plan.can_create:
        raise Refused(
            f"{plan.target.user} may not create tables in this database: "
            f"GRANT CREATE ON SCHEMA public TO {plan.target.user}, or connect as "
            "the database owner."
        )
    if plan.schema.refused:
        first = plan.schema.refused[0]
        raise Refused(
            f"{len(plan.schema.refused)} schema object(s) cannot be migrated; the "
            f"first: {first.line}."
        )
    bad = plan.unrepaired(repairs)
    if bad:
        first_bad = bad[0]
        fix = (
            " " + repair_advice(first_bad.repair)
            if first_bad.repair
            else " Fix it in the SQLite file"
        )
        many = len(bad) != 1
        raise Refused(
            f"{len(bad):,} value{'s' if many else ''} cannot be migrated as "
            f"{'they are' if many else 'it is'}; the first: "
            f"{first_bad.table} id {first_bad.id} column {first_bad.column}: "
            f"{first_bad.reason}.{fix}, or see the dry run's list."
        )
