"""Data-dependent failures, found on the SQLite side before anything is written.

PostgreSQL would stop the migration half-way on rows SQLite accepted: a NULL in a non-integer
PRIMARY KEY (a historical SQLite quirk), child rows whose parent is missing (written while
``PRAGMA foreign_keys`` was off), and values that are distinct in SQLite but equal once their
column becomes TEXT (``1`` and ``'1'`` under a UNIQUE key). Each is found here with table, key
and column, read-only (``PRAGMA foreign_key_check`` works on a read-only connection).
"""

from __future__ import annotations

import sqlite3

from app.core.scan import Problem, ProblemCode
from app.core.source import SqliteSource, _quote
from app.core.target_schema import TEXT, TableMap

MAX_LISTED = 1000


def null_primary_keys(src: SqliteSource, maps: list[TableMap]) -> None:
    """Mark tables whose non-integer PRIMARY KEY holds NULLs: they get a UNIQUE key instead."""
    for tm in maps:
        pk = tm.source.pk_columns
        if tm.exists or not pk or tm.source.integer_pk or tm.source.without_rowid:
            continue  # WITHOUT ROWID tables refuse NULL keys themselves
        cond = " OR ".join(f"{_quote(c)} IS NULL" for c in pk)
        row = src.conn.execute(f"SELECT 1 FROM {_quote(tm.name)} WHERE {cond} LIMIT 1").fetchone()
        tm.pk_as_unique = row is not None


def orphans(src: SqliteSource, maps: list[TableMap]) -> list[Problem]:
    """Child rows whose foreign key points to no parent row (``PRAGMA foreign_key_check``)."""
    mapped = {tm.name: tm for tm in maps}
    found: list[Problem] = []
    for tm in maps:
        fks = {i: fk for i, fk in enumerate(_fk_ids(src, tm.name))}
        if not fks:
            continue
        try:
            rows = src.conn.execute(f"PRAGMA foreign_key_check({_quote(tm.name)})").fetchall()
        except sqlite3.DatabaseError:
            continue  # a foreign key SQLite itself cannot check ("foreign key mismatch")
        for _table, rowid, parent, fkid in rows[:MAX_LISTED]:
            cols = fks.get(int(fkid), ())
            if parent not in mapped and parent.lower() not in {m.lower() for m in mapped}:
                continue  # the parent table is missing: that foreign key is not migrated
            found.append(
                Problem(
                    tm.name,
                    rowid,
                    ", ".join(cols),
                    ProblemCode.ORPHAN,
                    f"no row in {parent} matches it",
                )
            )
    return found


def _fk_ids(src: SqliteSource, table: str) -> list[tuple[str, ...]]:
    """Child columns of each foreign key, indexed like ``foreign_key_check``'s ``fkid``."""
    by_id: dict[int, list[tuple[int, str]]] = {}
    for r in src.conn.execute(f"PRAGMA foreign_key_list({_quote(table)})"):
        by_id.setdefault(int(r[0]), []).append((int(r[1]), str(r[3])))
    return [tuple(c for _, c in sorted(parts)) for _, parts in sorted(by_id.items())]


def text_collisions(src: SqliteSource, maps: list[TableMap]) -> list[Problem]:
    """Keys whose values are distinct in SQLite but equal once their column becomes TEXT."""
    found: list[Problem] = []
    for tm in maps:
        if tm.exists:
            continue
        for idx in tm.source.indexes:
            if not idx.unique or None in idx.columns or idx.partial:
                continue
            cols = [tm.column(str(c)) for c in idx.columns]
            if not any(c.kind == TEXT and c.coerce for c in cols):
                continue
            found += _collisions(src, tm, [c.name for c in cols])
    return found


def _collisions(src: SqliteSource, tm: TableMap, columns: list[str]) -> list[Problem]:
    """Rows sharing a key once every value is written as text (as COPY into TEXT stores it).

    SQLite guaranteed the key unique under its own comparison, so any two rows whose text
    forms are equal collide in PostgreSQL. Keys with a NULL never collide (NULLs are distinct).
    """
    key = tm.source.row_key_value
    select = ", ".join(_quote(c) for c in columns)
    seen: dict[tuple[bytes, ...], object] = {}
    found: list[Problem] = []
    previous = src.conn.text_factory
    src.conn.text_factory = bytes
    try:
        for row in src.conn.execute(f"SELECT {key}, {select} FROM {_quote(tm.name)}"):
            if any(v is None for v in row[1:]):
                continue
            text = tuple(as_text_bytes(v) for v in row[1:])
            first = seen.setdefault(text, row[0])
            if first is not row[0] and first != row[0]:
                shown = b", ".join(text).decode("utf-8", "replace")[:40]
                found.append(
                    Problem(
                        tm.name,
                        _key(row[0]),
                        ", ".join(columns),
                        ProblemCode.COLLISION,
                        f"equal to row {_key(first)} once stored as TEXT "
                        f"({shown!r}); SQLite kept them apart by type",
                    )
                )
                if len(found) >= MAX_LISTED:
                    break
    finally:
        src.conn.text_factory = previous
    return found


def _key(value: object) -> object:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def as_text_bytes(value: object) -> bytes:
    """How a value of any storage class is written into a TEXT column (exactly: floats as
    their shortest round-trip form)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, float):
        return repr(value).encode()
    return str(value).encode()
