"""Find the values PostgreSQL cannot take as they are, with their table, row and column.

SQLite types values, not columns: an INTEGER column can hold text, any text can hold a NUL
character, and a file written by other tools can hold bytes that are not UTF-8. The checks run
in SQLite's C code where they can (types, ranges, NULs); UTF-8 needs a read of every text value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from app.core.source import SqliteSource, _quote
from app.core.target_schema import (
    BYTEA,
    FLOAT,
    FLOAT4,
    INT,
    MAX_EXACT_FLOAT_INT,
    TEXT,
    TIMESTAMPTZ,
    TableMap,
)
from app.core.values import float4_rounded, parse_sqlite_timestamp

# Repairs the user may choose; anything else must be fixed in the SQLite file.
STRIP_NUL = "strip-nul"
REPLACE_INVALID_UTF8 = "replace-invalid-utf8"
WIDEN = "widen-columns"
ACCEPT_LOSSY = "accept-lossy"
REPAIRS = {
    STRIP_NUL: "remove NUL characters from text",
    REPLACE_INVALID_UTF8: "replace bytes that are not UTF-8 with U+FFFD",
    WIDEN: "widen existing target columns that cannot hold a value exactly (ALTER COLUMN "
    "... TYPE, in the same transaction)",
    ACCEPT_LOSSY: "accept that existing target columns change such values (each is listed)",
}


class ProblemCode(StrEnum):
    """Why a value cannot be migrated as it is."""

    NUL = "nul"
    UTF8 = "utf8"
    TYPE = "type"
    RANGE = "range"
    BLOB = "blob"
    TIMESTAMP = "timestamp"
    ORPHAN = "orphan"  # a foreign key pointing to no parent row
    COLLISION = "collision"  # distinct in SQLite, equal under the PostgreSQL key
    LOSSY = "lossy"  # an existing target column would store another value


# Which choices fix each kind of problem (the first is the one suggested).
FIXES: dict[ProblemCode, tuple[str, ...]] = {
    ProblemCode.NUL: (STRIP_NUL,),
    ProblemCode.UTF8: (REPLACE_INVALID_UTF8,),
    ProblemCode.RANGE: (WIDEN,),
    ProblemCode.LOSSY: (WIDEN, ACCEPT_LOSSY),
}

REASONS = {
    ProblemCode.NUL: "text contains a NUL character, which PostgreSQL text cannot hold",
    ProblemCode.UTF8: "text is not valid UTF-8",
    ProblemCode.TYPE: "value does not match the column type",
    ProblemCode.RANGE: "number is out of range for the target column",
    ProblemCode.BLOB: "binary value in a text column",
    ProblemCode.TIMESTAMP: "text is not a timestamp PostgreSQL can store as TIMESTAMPTZ",
    ProblemCode.ORPHAN: "the foreign key points to no row, which PostgreSQL's foreign key "
    "refuses (delete the row or fix the key in SQLite)",
    ProblemCode.COLLISION: "the key would hold the same value twice in PostgreSQL "
    "(make the values distinct in SQLite)",
    ProblemCode.LOSSY: "the existing target column cannot hold it exactly",
}
MAX_LISTED = 10_000  # a pathological file should not make the report unreadable


@dataclass(frozen=True)
class Problem:
    """One value that cannot be migrated as it is."""

    table: str
    id: object  # the rowid or INTEGER PRIMARY KEY; a WITHOUT ROWID table's key as text
    column: str
    code: ProblemCode
    detail: str = ""
    repaired: str | None = None  # what was done to it, once a repair was applied

    @property
    def reason(self) -> str:
        """A sentence-part a user can read."""
        text = REASONS[self.code]
        return f"{text} ({self.detail})" if self.detail else text

    @property
    def repair(self) -> str | None:
        """The repair option suggested for this problem, if there is one."""
        fixes = FIXES.get(self.code, ())
        return fixes[0] if fixes else None

    def fixed_by(self, repairs: frozenset[str]) -> bool:
        """Whether one of the chosen repairs deals with this problem."""
        return any(f in repairs for f in FIXES.get(self.code, ()))

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``--json`` and the saved report."""
        out: dict[str, object] = {
            "table": self.table,
            "id": self.id,
            "column": self.column,
            "reason": self.reason,
        }
        if self.repair:
            out["repair"] = self.repair
        if self.repaired:
            out["repaired"] = self.repaired
        return out


def scan(
    src: SqliteSource,
    maps: list[TableMap],
    *,
    thorough: bool = True,
    is_cancelled: Callable[[], bool] = lambda: False,
    counts: dict[str, int] | None = None,
) -> list[Problem]:
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
        problems += found + _timestamp_checks(src, tm) + _lossy_checks(src, tm)
        if thorough:
            problems += _utf8_checks(src, tm)
    return problems


def _key(tm: TableMap) -> str:
    """One SQL value naming a row: the rowid or key (a WITHOUT ROWID key as quoted text)."""
    return tm.source.row_key_value


def _order(tm: TableMap) -> str:
    return tm.source.row_key


def _sql_checks(
    src: SqliteSource, tm: TableMap, thorough: bool, listing: bool = True
) -> tuple[int, list[Problem]]:
    """Row count, and the type, range, blob and NUL checks, evaluated by SQLite itself."""
    cases: list[tuple[str, str, str]] = []  # (column, code, condition)
    utf8 = src.encoding.upper() == "UTF-8"
    for col in tm.copied:
        c = _quote(col.name)
        if col.kind == INT:
            cases.append((col.name, "type", f"typeof({c}) NOT IN ('integer', 'null')"))
            if col.int_range:
                lo, hi = col.int_range
                cases.append(
                    (
                        col.name,
                        "range",
                        f"typeof({c}) = 'integer' AND {c} NOT BETWEEN {lo} AND {hi}",
                    )
                )
        elif col.kind in (FLOAT, FLOAT4):
            cases.append((col.name, "type", f"typeof({c}) NOT IN ('integer', 'real', 'null')"))
        elif col.kind in (TEXT, TIMESTAMPTZ):
            if col.kind == TEXT:
                cases.append((col.name, "blob", f"typeof({c}) = 'blob'"))
            if thorough:
                cases.append((col.name, "nul", _nul_condition(c, utf8)))
        elif col.kind == BYTEA:
            continue
    table = _quote(tm.name)
    where = " OR ".join(f"({cond})" for _, _, cond in cases) or "0"
    rows, hits = src.conn.execute(
        f"SELECT count(*), count(CASE WHEN {where} THEN 1 END) FROM {table}"
    ).fetchone()
    if not hits or not listing:
        return rows, []
    found: list[Problem] = []
    selects = ", ".join(f"CASE WHEN {cond} THEN 1 END" for _, _, cond in cases)
    details = ", ".join(
        f"typeof({_quote(col)}), substr(CAST({_quote(col)} AS TEXT), 1, 40)" for col, _, _ in cases
    )
    query = (
        f"SELECT {_key(tm)}, {selects}, {details} FROM {table} WHERE {where} "
        f"ORDER BY {_order(tm)} LIMIT {MAX_LISTED}"
    )
    n = len(cases)
    previous = src.conn.text_factory
    src.conn.text_factory = lambda b: b.decode("utf-8", "replace")  # a blob cast to text
    try:
        rows_found = src.conn.execute(query).fetchall()
    finally:
        src.conn.text_factory = previous
    for row in rows_found:
        for i, ((column, code, _), hit) in enumerate(zip(cases, row[1 : n + 1], strict=True)):
            if hit:
                detail = (
                    f"{row[1 + n + 2 * i]} {row[2 + n + 2 * i]!r}"
                    if code in ("type", "range")
                    else ""
                )
                found.append(Problem(tm.name, row[0], column, ProblemCode(code), detail))
    return rows, found


def _lossy_checks(src: SqliteSource, tm: TableMap) -> list[Problem]:
    """Values an existing target column would store as another value: a 4-byte ``real``
    rounding a double, ``varchar(n)`` shorter than the text, a double rounding an integer
    beyond 2**53. (Integers beyond an ``integer`` column's range are ``range`` problems.)"""
    found: list[Problem] = []
    table = _quote(tm.name)
    for col in tm.copied:
        c = _quote(col.name)
        if col.numeric_typmod is not None:
            found += _numeric_checks(src, tm, col.name, col.numeric_typmod, col.pg_type)
        elif col.kind == FLOAT4:
            query = f"SELECT {_key(tm)}, {c} FROM {table} WHERE typeof({c}) IN ('real', 'integer')"
            for key, value in src.conn.execute(query):
                try:
                    rounded = float4_rounded(float(value))
                except OverflowError as exc:  # widening fixes it; accepting a loss does not
                    found.append(Problem(tm.name, key, col.name, ProblemCode.RANGE, str(exc)))
                    if len(found) >= MAX_LISTED:
                        return found
                    continue
                if rounded != value:
                    found.append(
                        Problem(
                            tm.name,
                            key,
                            col.name,
                            ProblemCode.LOSSY,
                            f"{value!r} would become {rounded!r} in its 4-byte real",
                        )
                    )
                    if len(found) >= MAX_LISTED:
                        return found
        elif col.kind == FLOAT and tm.exists:
            limit = MAX_EXACT_FLOAT_INT
            query = (
                f"SELECT {_key(tm)}, {c} FROM {table} WHERE typeof({c}) = 'integer' "
                f"AND ({c} > {limit} OR {c} < -{limit}) LIMIT {MAX_LISTED}"
            )
            found += [
                Problem(
                    tm.name,
                    key,
                    col.name,
                    ProblemCode.LOSSY,
                    f"{value} would become {float(value)!r} in double precision",
                )
                for key, value in src.conn.execute(query)
            ]
        elif col.kind == TEXT and col.max_chars is not None:
            query = (
                f"SELECT {_key(tm)}, length({c}) FROM {table} "
                f"WHERE length({c}) > {col.max_chars} LIMIT {MAX_LISTED}"
            )
            found += [
                Problem(
                    tm.name,
                    key,
                    col.name,
                    ProblemCode.LOSSY,
                    f"{n} characters would be cut to {col.max_chars} ({col.pg_type})",
                )
                for key, n in src.conn.execute(query)
            ]
    return found


def _numeric_checks(
    src: SqliteSource, tm: TableMap, column: str, typmod: tuple[int, int], pg_type: str
) -> list[Problem]:
    """Numbers ``numeric(p,s)`` rounds (more than s decimals) or cannot hold (too many digits)."""
    found = []
    c = _quote(column)
    query = (
        f"SELECT {_key(tm)}, {c} FROM {_quote(tm.name)} WHERE typeof({c}) IN ('integer', 'real')"
    )
    for key, value in src.conn.execute(query):
        stored = numeric_stored(value, typmod)
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not exact.is_finite():
            found.append(
                Problem(
                    tm.name,
                    key,
                    column,
                    ProblemCode.RANGE,
                    f"{value!r} cannot be stored in {pg_type}",
                )
            )
            continue
        if stored is None:
            found.append(
                Problem(
                    tm.name,
                    key,
                    column,
                    ProblemCode.RANGE,
                    f"{value!r} has too many digits for {pg_type}",
                )
            )
        elif stored != exact:
            found.append(
                Problem(
                    tm.name,
                    key,
                    column,
                    ProblemCode.LOSSY,
                    f"{value!r} would become {stored} in {pg_type}",
                )
            )
        if len(found) >= MAX_LISTED:
            break
    return found


def numeric_stored(value: float | int, typmod: tuple[int, int]) -> Decimal | None:
    """What ``numeric(p,s)`` stores for ``value``: rounded to s decimals, half away from zero
    (PostgreSQL's rule); None when it has more than p - s integer digits."""
    precision, scale = typmod
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite():
        return None
    with localcontext() as ctx:
        ctx.prec = 1100  # numeric holds up to 1000 digits; the default 28 would raise
        rounded = exact.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if rounded and rounded.adjusted() + 1 > precision - scale:
        return None
    return rounded


def _nul_condition(c: str, utf8: bool) -> str:
    """A NUL character in a text value. On a UTF-8 file the byte test is fastest; on a UTF-16
    file every ASCII character has a zero byte, so test the characters instead."""
    if utf8:
        return f"typeof({c}) = 'text' AND instr(CAST({c} AS BLOB), x'00') > 0"
    return f"typeof({c}) = 'text' AND instr({c}, char(0)) > 0"


def _timestamp_checks(src: SqliteSource, tm: TableMap) -> list[Problem]:
    found = []
    for col in tm.copied:
        if col.kind != TIMESTAMPTZ:
            continue
        c = _quote(col.name)
        query = (
            f"SELECT {_key(tm)}, {c} FROM {_quote(tm.name)} "
            f"WHERE {c} IS NOT NULL AND typeof({c}) = 'text'"
        )
        for key, value in src.conn.execute(query):
            if parse_sqlite_timestamp(value) is None:
                found.append(
                    Problem(tm.name, key, col.name, ProblemCode.TIMESTAMP, repr(value[:40]))
                )
        bad_type = src.conn.execute(
            f"SELECT {_key(tm)}, typeof({c}) FROM {_quote(tm.name)} "
            f"WHERE typeof({c}) NOT IN ('text', 'null')"
        ).fetchall()
        found += [Problem(tm.name, k, col.name, ProblemCode.TYPE, t) for k, t in bad_type]
    return found


def _utf8_checks(src: SqliteSource, tm: TableMap) -> list[Problem]:
    """Read every text value as bytes and test it as UTF-8, in one pass.

    Python's ``sqlite3`` hands text over as UTF-8 whatever the file's encoding, so this also
    finds UTF-16 text whose conversion SQLite could not make.
    """
    columns = [c.name for c in tm.copied if c.kind in (TEXT, TIMESTAMPTZ)]
    if not columns:
        return []
    # blobs are the blob check's business: read text values only
    select = ", ".join(
        f"CASE WHEN typeof({_quote(c)}) = 'text' THEN {_quote(c)} END" for c in columns
    )
    found: list[Problem] = []
    previous = src.conn.text_factory
    src.conn.text_factory = bytes
    try:
        cur = src.conn.execute(
            f"SELECT {_key(tm)}, {select} FROM {_quote(tm.name)} ORDER BY {_order(tm)}"
        )
        while batch := cur.fetchmany(2000):
            for row in batch:
                for column, value in zip(columns, row[1:], strict=True):
                    if isinstance(value, bytes) and not value.isascii() and not _is_utf8(value):
                        key = (
                            row[0].decode("utf-8", "replace")
                            if isinstance(row[0], bytes)
                            else row[0]
                        )
                        found.append(Problem(tm.name, key, column, ProblemCode.UTF8))
    finally:
        src.conn.text_factory = previous
    return found


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
