"""The dry run: what a migration would do, checked against both sides, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from app.core.dsn import Target
from app.core.scan import Problem
from app.core.source import SourceInfo
from app.core.target_schema import TableMap

READY, NOT_EMPTY, WILL_CREATE, PROBLEM = "ready", "target not empty", "will be created", "problem"


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

    @property
    def not_empty(self) -> list[TablePlan]:
        """Target tables that already hold rows."""
        return [t for t in self.tables if t.status == NOT_EMPTY]

    @property
    def schema_problems(self) -> list[str]:
        """Column mismatches in existing target tables."""
        return [p for tm in self.maps for p in tm.problems]

    def unrepaired(self, repairs: frozenset[str]) -> list[Problem]:
        """Problem values the chosen repairs do not fix."""
        return [p for p in self.problems if p.repair not in repairs]

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


def build_table_plans(maps: list[TableMap], problems: list[Problem],
                      can_create: bool) -> list[TablePlan]:
    """Turn the schema match and the scan into one status per table."""
    bad_tables = {p.table for p in problems}
    plans = []
    for tm in maps:
        notes = list(tm.warnings)
        if tm.problems or tm.name in bad_tables or (not tm.exists and not can_create):
            status = PROBLEM
            notes += tm.problems
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
        plans.append(TablePlan(tm.name, tm.source.known, tm.source.rows, tm.target_rows,
                               tm.exists, status, notes))
    return plans


def can_create_tables(conn: psycopg.Connection) -> bool:
    """Whether the user may create tables in the current schema."""
    row = conn.execute(
        "SELECT current_schema() IS NOT NULL "
        "AND has_schema_privilege(current_schema(), 'CREATE')").fetchone()
    return bool(row and row[0])
