"""Try translated CHECKs and unique expression indexes on SQLite's own rows, in the dry run.

A CHECK that SQLite enforced can still reject rows once translated (a column's NOCASE collation
applies inside SQLite's comparisons; PostgreSQL's lower() folds more letters than SQLite's), and
execute would then stop half-way. So the rehearsal loads the table's rows into a temporary table
(rolled back with the rehearsal) and runs each translated rule against them: a CHECK that rejects
a row, or a unique index that finds two equal keys, is named as not migrated, with the row.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.core.generated_probe import MAX_ROWS, for_copy
from app.core.inventory import SchemaObject
from app.core.source import SqliteSource, _quote, order_key
from app.core.target_schema import TableMap

PROBE = "_ailt_rule_probe"


def check_rules(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    rules: list[tuple[SchemaObject, str, str]],
) -> None:
    """``rules``: (object, kind ``check`` | ``unique``, SQL). Drops every rule the rows break."""
    with conn.transaction(force_rollback=True):
        defs = [sql.SQL("{} {}").format(c.ident, sql.SQL(c.pg_type)) for c in tm.columns]
        conn.execute(
            sql.SQL("CREATE TEMP TABLE {} (_ailt_ord bigint, {})").format(
                sql.Identifier(PROBE), sql.SQL(", ").join(defs)
            )
        )
        _load(conn, src, tm)
        for obj, kind, text in rules:
            why = _check(conn, kind, text)
            if why is not None:
                obj.drop(why)


def _load(conn: psycopg.Connection, src: SqliteSource, tm: TableMap) -> None:
    names = ", ".join(_quote(c.name) for c in tm.columns)
    rows = src.conn.execute(
        f"SELECT {names} FROM {_quote(tm.name)} ORDER BY {order_key(tm.source)} LIMIT {MAX_ROWS}"
    )
    copy = sql.SQL("COPY {} (_ailt_ord, {}) FROM STDIN").format(
        sql.Identifier(PROBE), sql.SQL(", ").join(c.ident for c in tm.columns)
    )
    with conn.cursor() as cur, cur.copy(copy) as cp:
        for i, row in enumerate(rows):
            cp.write_row((i + 1, *(for_copy(c, v) for c, v in zip(tm.columns, row, strict=True))))


def _check(conn: psycopg.Connection, kind: str, text: str) -> str | None:
    try:
        with conn.transaction():
            if kind == "check":
                row = conn.execute(
                    sql.SQL("SELECT _ailt_ord FROM {} WHERE NOT ({}) ORDER BY 1 LIMIT 1").format(
                        sql.Identifier(PROBE), sql.SQL(text)
                    )
                ).fetchone()
                if row is not None:
                    return (
                        f"its PostgreSQL translation rejects rows SQLite accepted (row "
                        f"{row[0]} in key order), so it would stop the copy"
                    )
                return None
            conn.execute(
                sql.SQL("CREATE UNIQUE INDEX ON {} {}").format(sql.Identifier(PROBE), sql.SQL(text))
            )
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        detail = getattr(exc.diag, "message_detail", None) or ""
        return (
            f"PostgreSQL's translation does not hold on the rows SQLite accepted "
            f"({first}{'; ' + detail if detail else ''})"
        )
    return None
