"""Find the values PostgreSQL cannot take as they are, with their table, row and column.

SQLite types values, not columns: an INTEGER column can hold text, any text can hold a NUL
character, and a file written by other tools can hold bytes that are not UTF-8. The checks run
in SQLite's C code where they can (types, ranges, NULs); UTF-8 needs a read of every text value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from app.core.source import SqliteSource, _quote
from app.core.target_schema import BYTEA, FLOAT, FLOAT4, INT, TEXT, TIMESTAMPTZ, TableMap
from app.core.values import parse_sqlite_timestamp

# Repairs the user may choose; anything else must be fixed in the SQLite file.
STRIP_NUL = "strip-nul"
REPLACE_INVALID_UTF8 = "replace-invalid-utf8"
REPAIRS = {
    STRIP_NUL: "remove NUL characters from text",
    REPLACE_INVALID_UTF8: "replace bytes that are not UTF-8 with U+FFFD",
}
REPAIR_FOR = {"nul": STRIP_NUL, "utf8": REPLACE_INVALID_UTF8}
REASONS = {
    "nul": "text contains a NUL character, which PostgreSQL text cannot hold",
    "utf8": "text is not valid UTF-8",
    "type": "value does not match the column type",
    "range": "integer is out of range for the target column",
    "blob": "binary value in a text column",
    "timestamp": "text is not a timestamp PostgreSQL can store as TIMESTAMPTZ",
}
MAX_LISTED = 10_000  # a pathological file should not make the report unreadable


@dataclass(frozen=True)
class Problem:
    """One value that cannot be migrated as it is."""

    table: str
    id: int | None
    column: str
    code: str  # nul | utf8 | type | range | blob | timestamp
    detail: str = ""
    repaired: str | None = None  # what was done to it, once a repair was applied

    @property
    def reason(self) -> str:
        """A sentence-part a user can read."""
        text = REASONS[self.code]
        return f"{text} ({self.detail})" if self.detail else text

    @property
    def repair(self) -> str | None:
        """The repair option that fixes this problem, if there is one."""
        return REPAIR_FOR.get(self.code)

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``--json`` and the saved report."""
        out: dict[str, object] = {"table": self.table, "id": self.id, "column": self.column,
                                  "reason": self.reason}
        if self.repair:
            out["repair"] = self.repair
        if self.repaired:
            out["repaired"] = self.repaired
        return out


def scan(src: SqliteSource, maps: list[TableMap], *, thorough: bool = True,
         is_cancelled: Callable[[], bool] = lambda: False,
         counts: dict[str, int] | None = None) -> list[Problem]:
    """Every problem value in the mapped tables; fills ``counts`` (rows per table) on the way.

    The type checks and the row count share one pass over each table, so a file opened with
    ``count_rows=False`` is read once less. ``thorough=False`` skips the checks that must read
    every byte of text (NUL characters, UTF-8): execute leaves those to the copy itself, which
    reads every byte anyway and fails on them, and only then runs the thorough scan to list them.
    """
    problems: list[Problem] = []
    for tm in maps:
        if is_cancelled():
            break
        rows, found = _sql_checks(src, tm, thorough, listing=len(problems) <= MAX_LISTED)
        if counts is not None:
            counts[tm.name] = rows
        if len(problems) > MAX_LISTED:
            continue  # keep counting, stop listing
        problems += found + _timestamp_checks(src, tm)
        if thorough:
            problems += _utf8_checks(src, tm)
    return problems


def _key(tm: TableMap) -> str:
    return _quote(tm.source.integer_pk) if tm.source.integer_pk else "rowid"


def _sql_checks(src: SqliteSource, tm: TableMap, thorough: bool,
                listing: bool = True) -> tuple[int, list[Problem]]:
    """Row count, and the type, range, blob and NUL checks, evaluated by SQLite itself."""
    cases: list[tuple[str, str, str]] = []  # (column, code, condition)
    for col in tm.columns:
        c = _quote(col.name)
        if col.kind == INT:
            cases.append((col.name, "type", f"typeof({c}) NOT IN ('integer', 'null')"))
            if col.int_range:
                lo, hi = col.int_range
                cases.append((col.name, "range",
                              f"typeof({c}) = 'integer' AND {c} NOT BETWEEN {lo} AND {hi}"))
        elif col.kind in (FLOAT, FLOAT4):
            cases.append((col.name, "type",
                          f"typeof({c}) NOT IN ('integer', 'real', 'null')"))
        elif col.kind in (TEXT, TIMESTAMPTZ):
            if col.kind == TEXT:
                cases.append((col.name, "blob", f"typeof({c}) = 'blob'"))
            if thorough:
                cases.append((col.name, "nul", f"typeof({c}) = 'text' "
                                               f"AND instr(CAST({c} AS BLOB), x'00') > 0"))
        elif col.kind == BYTEA:
            continue
    table = _quote(tm.name)
    where = " OR ".join(f"({cond})" for _, _, cond in cases) or "0"
    rows, hits = src.conn.execute(
        f"SELECT count(*), count(CASE WHEN {where} THEN 1 END) FROM {table}").fetchone()
    if not hits or not listing:
        return rows, []
    found: list[Problem] = []
    selects = ", ".join(f"CASE WHEN {cond} THEN 1 END" for _, _, cond in cases)
    query = (f"SELECT {_key(tm)}, {selects} FROM {table} WHERE {where} "
             f"ORDER BY {_key(tm)} LIMIT {MAX_LISTED}")
    for row in src.conn.execute(query):
        for (column, code, _), hit in zip(cases, row[1:], strict=True):
            if hit:
                found.append(Problem(tm.name, row[0], column, code,
                                     _detail(src, tm, row[0], column, code)))
    return rows, found


def _detail(src: SqliteSource, tm: TableMap, key: int, column: str, code: str) -> str:
    if code not in ("type", "range"):
        return ""
    c = _quote(column)
    typ, val = src.conn.execute(
        f"SELECT typeof({c}), substr(CAST({c} AS TEXT), 1, 40) FROM {_quote(tm.name)} "
        f"WHERE {_key(tm)} = ?", [key]).fetchone()
    return f"{typ} {val!r}"


def _timestamp_checks(src: SqliteSource, tm: TableMap) -> list[Problem]:
    found = []
    for col in tm.columns:
        if col.kind != TIMESTAMPTZ:
            continue
        c = _quote(col.name)
        query = (f"SELECT {_key(tm)}, {c} FROM {_quote(tm.name)} "
                 f"WHERE {c} IS NOT NULL AND typeof({c}) = 'text'")
        for key, value in src.conn.execute(query):
            if parse_sqlite_timestamp(value) is None:
                found.append(Problem(tm.name, key, col.name, "timestamp", repr(value[:40])))
        bad_type = src.conn.execute(
            f"SELECT {_key(tm)}, typeof({c}) FROM {_quote(tm.name)} "
            f"WHERE typeof({c}) NOT IN ('text', 'null')").fetchall()
        found += [Problem(tm.name, k, col.name, "type", t) for k, t in bad_type]
    return found


def _utf8_checks(src: SqliteSource, tm: TableMap) -> list[Problem]:
    """Read every text value with strict UTF-8 decoding; locate the rows that fail."""
    columns = [c.name for c in tm.columns if c.kind in (TEXT, TIMESTAMPTZ)]
    if not columns:
        return []
    key = _key(tm)
    select = ", ".join(_quote(c) for c in columns)
    found: list[Problem] = []
    last = None
    while True:
        where = f"WHERE {key} > ?" if last is not None else ""
        cur = src.conn.execute(
            f"SELECT {key}, {select} FROM {_quote(tm.name)} {where} ORDER BY {key}",
            [last] if last is not None else [])
        try:
            while batch := cur.fetchmany(2000):
                last = batch[-1][0]
            return found
        except sqlite3.OperationalError as exc:
            if "decode" not in str(exc):
                raise
            bad_key, bad_cols = _find_undecodable(src, tm, key, select, last, columns)
            found += [Problem(tm.name, bad_key, c, "utf8") for c in bad_cols]
            last = bad_key
        finally:
            cur.close()


def _find_undecodable(src: SqliteSource, tm: TableMap, key: str, select: str,
                      after: int | None, columns: list[str]) -> tuple[int, list[str]]:
    """The first row after ``after`` that holds text which is not UTF-8."""
    src.conn.text_factory = bytes
    try:
        where = f"WHERE {key} > ?" if after is not None else ""
        cur = src.conn.execute(
            f"SELECT {key}, {select} FROM {_quote(tm.name)} {where} ORDER BY {key}",
            [after] if after is not None else [])
        for row in cur:
            bad = [c for c, v in zip(columns, row[1:], strict=True)
                   if isinstance(v, bytes) and not _is_utf8(v)]
            if bad:
                cur.close()
                return row[0], bad
        raise RuntimeError("undecodable text vanished while reading")  # pragma: no cover
    finally:
        src.conn.text_factory = str


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
