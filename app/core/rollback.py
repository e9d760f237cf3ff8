"""Clear a target the way the user guide says: truncate children first, or drop the tables."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.core.ailt_schema import KNOWN_TABLES
from app.core.connect import PasswordLookup, connect
from app.core.dsn import Target
from app.core.errors import Refused
from app.core.target_schema import count_rows, existing_tables

# The guide's truncate order: the reverse of the copy order.
CLEAR_ORDER = tuple(reversed([t.name for t in KNOWN_TABLES]))


@dataclass
class ClearPlan:
    """Which tables would be cleared, with their current row counts."""

    target: Target
    tables: list[tuple[str, int]]
    drop: bool

    def describe(self) -> list[str]:
        """One line per statement that would run."""
        verb = "DROP TABLE" if self.drop else "TRUNCATE"
        return [f"{verb} {name}  ({rows:,} rows)" for name, rows in self.tables]


def plan_clear(
    target: Target,
    *,
    drop: bool = False,
    extra_tables: tuple[str, ...] = (),
    keyring_lookup: PasswordLookup | None = None,
) -> ClearPlan:
    """Look at the target and list what clearing it would touch."""
    connected = connect(target, keyring_lookup=keyring_lookup, autocommit=True)
    with connected.conn as conn:
        names = list(CLEAR_ORDER) + [t for t in extra_tables if t not in CLEAR_ORDER]
        present = existing_tables(conn, names)
        order = list(reversed(extra_tables)) + list(CLEAR_ORDER)
        tables = [(n, count_rows(conn, n)) for n in dict.fromkeys(order) if n in present]
    return ClearPlan(connected.target, tables, drop)


def clear(plan: ClearPlan, keyring_lookup: PasswordLookup | None = None) -> None:
    """Truncate (restarting identities) or drop the planned tables, all in one transaction."""
    if not plan.tables:
        return
    connected = connect(plan.target, keyring_lookup=keyring_lookup)
    with connected.conn as conn:
        try:
            for name, _ in plan.tables:
                ident = sql.Identifier(name)
                stmt = (
                    sql.SQL("DROP TABLE {} CASCADE")
                    if plan.drop
                    else sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE")
                ).format(ident)
                conn.execute(stmt)
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            raise Refused(
                f"{plan.target.user} may not clear these tables: connect as their owner."
            ) from None
        conn.commit()
