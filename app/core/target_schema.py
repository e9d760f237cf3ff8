"""The PostgreSQL side's tables: what exists, what to create, and how each column is carried.

AI Log Trail's tables get the schema AI Log Trail expects (ids as BIGINT identities, REAL widened
to DOUBLE PRECISION, timestamps as TIMESTAMPTZ). Any other table is translated from its declared
SQLite types and the values it actually holds, so nothing is lost. Keys, foreign keys and indexes
of created tables are added after the data, which is how bulk loaders keep COPY fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from app.core.ailt_schema import KNOWN_BY_NAME, TIMESTAMP_COLUMNS
from app.core.source import SourceTable, SqliteSource, _quote

# How values are carried: the kind decides conversion, scan checks and the verification form.
TEXT, INT, FLOAT, FLOAT4 = "text", "int", "float", "float4"
TIMESTAMPTZ, BYTEA, OTHER = "timestamptz", "bytea", "other"
NUMERIC = "numeric"  # integers beyond 2**53 beside reals: exact decimals
MAX_EXACT_FLOAT_INT = 2**53  # the largest integer a double holds exactly (IEEE 754)
# Target types whose binary COPY form we produce exactly (psycopg type names).
BINARY_TYPES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "text": "text",
    "double precision": "float8",
    "real": "float4",
    "timestamp with time zone": "timestamptz",
    "timestamptz": "timestamptz",
    "bytea": "bytea",
    "character varying": "varchar",
}
INT4_RANGE = (-(2**31), 2**31 - 1)
INT2_RANGE = (-(2**15), 2**15 - 1)


@dataclass
class ColumnMap:
    """One column: its SQLite declaration, the PostgreSQL type, and the kind of value carried."""

    name: str
    decl_type: str
    pg_type: str  # the type we create, or the existing column's type
    kind: str
    int_range: tuple[int, int] | None = None  # when the existing column is narrower than bigint
    # psycopg's name of the type for binary COPY; None when only text COPY is safe for it.
    binary_type: str | None = None
    # Values SQLite may hand back in another Python type (mixed columns of translated tables).
    coerce: bool = False
    pg_name: str = ""  # the PostgreSQL name (differs only when SQLite's is too long)
    generated: str | None = None  # PostgreSQL GENERATED ALWAYS AS expression: not copied
    sqlite_generated: bool = False  # SQLite computes it (copied when ``generated`` is None)
    max_chars: int | None = None  # an existing varchar(n) column's n
    numeric_typmod: tuple[int, int] | None = None  # an existing numeric(p,s) column's p, s
    # The user accepted that this existing column changes values it cannot hold (--accept-lossy)
    accept_lossy: bool = False

    def __post_init__(self) -> None:
        if not self.pg_name:
            self.pg_name = self.name

    @property
    def ident(self) -> sql.Identifier:
        """The quoted PostgreSQL column name."""
        return sql.Identifier(self.pg_name)


@dataclass
class TargetColumn:
    """A column that already exists in the target."""

    name: str
    type: str
    not_null: bool
    has_default: bool
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED: PostgreSQL computes it


@dataclass
class TableMap:
    """How one source table lands in the target."""

    source: SourceTable
    columns: list[ColumnMap]
    exists: bool
    target_rows: int = 0
    problems: list[str] = field(default_factory=list)  # schema mismatches (block execute)
    warnings: list[str] = field(default_factory=list)
    pg_name: str = ""  # the PostgreSQL name (differs only when SQLite's is too long)
    # A non-integer PRIMARY KEY holding NULLs (SQLite allows it) becomes a UNIQUE key.
    pk_as_unique: bool = False

    def __post_init__(self) -> None:
        if not self.pg_name:
            self.pg_name = self.source.name

    @property
    def name(self) -> str:
        """The table's name in SQLite (reports use it)."""
        return self.source.name

    @property
    def ident(self) -> sql.Identifier:
        """The quoted PostgreSQL table name."""
        return sql.Identifier(self.pg_name)

    @property
    def copied(self) -> list[ColumnMap]:
        """The columns COPY writes (PostgreSQL computes its generated columns itself)."""
        return [c for c in self.columns if c.generated is None]

    @property
    def column_names(self) -> tuple[str, ...]:
        """SQLite names of the copied columns, in source order."""
        return tuple(c.name for c in self.copied)

    @property
    def binary(self) -> bool:
        """Copy and verify in binary COPY format (cheaper for the server to parse and print).

        Needs an exact binary type for every column, an integer key so both sides stream
        rows in the same order (binary rows cannot be split without parsing them), and no
        column PostgreSQL computes (the checksum then covers more than what is sent).
        """
        return (
            self.source.integer_pk is not None
            and all(c.binary_type for c in self.columns)
            and all(c.generated is None for c in self.columns)
        )

    def column(self, name: str) -> ColumnMap:
        """The mapped column with SQLite name ``name``."""
        return next(c for c in self.columns if c.name == name)


NAMEDATALEN = 63  # PostgreSQL truncates longer identifiers (bytes; NAMEDATALEN - 1)


def pg_identifier(name: str, taken: set[str]) -> str:
    """``name`` if PostgreSQL can hold it as it is, else a deterministic shorter name.

    PostgreSQL silently truncates identifiers beyond 63 bytes, so two long names could become
    one: keep the first bytes and add 8 hex digits of the name's SHA-1.
    """
    if len(name.encode("utf-8")) <= NAMEDATALEN and name not in taken:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    head = name.encode("utf-8")[: NAMEDATALEN - 9].decode("utf-8", "ignore")
    candidate, n = f"{head}_{digest}", 2
    while candidate in taken:
        candidate, n = f"{head[:-2]}{n}_{digest}", n + 1
    return candidate


def map_tables(conn: psycopg.Connection, src: SqliteSource) -> list[TableMap]:
    """Match every source table with the target: existing columns checked, missing ones planned.

    A table or column whose SQLite name is too long for PostgreSQL is found under the name
    :func:`pg_identifier` gives it (the one ``run`` created it with).
    """
    pg_names = {t.name: pg_identifier(t.name, set()) for t in src.tables}
    existing = existing_tables(conn, list(pg_names.values()))
    maps = []
    for table in src.tables:
        target_cols = existing.get(pg_names[table.name])
        if target_cols is None:
            maps.append(TableMap(table, _planned_columns(table, src), exists=False))
        else:
            maps.append(_fit_existing(conn, table, target_cols, src, pg_names[table.name]))
    return maps


def existing_tables(conn: psycopg.Connection, names: list[str]) -> dict[str, list[TargetColumn]]:
    """Columns of the named tables that exist in the current schema."""
    rows = conn.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               (a.atthasdef OR a.attidentity <> ''), a.attgenerated <> ''
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
          AND c.relname = ANY(%s)
        ORDER BY c.relname, a.attnum
        """,
        [names],
    ).fetchall()
    found: dict[str, list[TargetColumn]] = {}
    for rel, name, typ, not_null, has_default, generated in rows:
        found.setdefault(rel, []).append(TargetColumn(name, typ, not_null, has_default, generated))
    return found


def table_triggers(conn: psycopg.Connection, table: str) -> list[str]:
    """User triggers on an existing target table (they run for every copied row)."""
    rows = conn.execute(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = %s AND NOT t.tgisinternal "
        "ORDER BY 1",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def prefer_lz4(conn: psycopg.Connection) -> bool:
    """Compress this transaction's large values with lz4 when the server was built with it.

    AI Log Trail's rows are mostly big JSON texts, which PostgreSQL compresses as it stores
    them; lz4 does that several times faster than the default pglz at a similar ratio, and
    reads back faster too. Only the values written now are affected (SET LOCAL).
    """
    row = conn.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    ).fetchone()
    if not (row and row[0]):
        return False
    conn.execute("SET LOCAL default_toast_compression = 'lz4'")
    return True


def count_rows(conn: psycopg.Connection, table: str) -> int:
    """Exact row count of a target table."""
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


# --- tables the tool creates -------------------------------------------------------------------


def _planned_columns(table: SourceTable, src: SqliteSource) -> list[ColumnMap]:
    spec = KNOWN_BY_NAME.get(table.name)
    if spec is not None and set(spec.column_names) <= set(table.column_names):
        pg_types = {c.name: c.pg_type for c in spec.columns}
        cols = []
        for c in table.columns:
            if c.name == "id":
                cols.append(_column("id", c.decl_type, "BIGINT"))
            elif c.name in pg_types:
                cols.append(_column(c.name, c.decl_type, pg_types[c.name]))
            else:  # a column a newer AI Log Trail added: translate it like an unknown one
                cols.append(_translated(table, c.name, c.decl_type, src))
        return cols
    return [_translated(table, c.name, c.decl_type, src) for c in table.columns]


def _translated(table: SourceTable, name: str, decl: str, src: SqliteSource) -> ColumnMap:
    """Pick a lossless PostgreSQL type from the declared type and the values actually stored."""
    if name == table.integer_pk:
        return _column(name, decl, "BIGINT")
    seen = {
        r[0]
        for r in src.conn.execute(
            f"SELECT DISTINCT typeof({_quote(name)}) FROM {_quote(table.name)}"
        )
    } - {"null"}
    affinity = sqlite_affinity(decl)
    if not seen:
        pg_type = {
            "INTEGER": "BIGINT",
            "REAL": "DOUBLE PRECISION",
            "TEXT": "TEXT",
            "BLOB": "BYTEA",
            "NUMERIC": "NUMERIC",
        }[affinity]
        if affinity == "NUMERIC":
            pg_type = "TEXT"
    elif seen == {"integer"} and affinity != "TEXT":
        pg_type = "BIGINT"
    elif seen <= {"integer", "real"} and affinity != "TEXT":
        pg_type = "NUMERIC" if _beyond_double(src, table, name) else "DOUBLE PRECISION"
    elif seen == {"blob"}:
        pg_type = "BYTEA"
    else:
        pg_type = "TEXT"
    natural = {
        "INTEGER": {"integer"},
        "REAL": {"integer", "real"},
        "TEXT": {"text"},
        "BLOB": {"blob"},
        "NUMERIC": set(),
    }[affinity]
    return _column(name, decl, pg_type, coerce=not seen <= natural)


def _beyond_double(src: SqliteSource, table: SourceTable, name: str) -> bool:
    """Whether an integer in the column is too large for a double to hold exactly."""
    c, limit = _quote(name), MAX_EXACT_FLOAT_INT
    row = src.conn.execute(
        f"SELECT 1 FROM {_quote(table.name)} WHERE typeof({c}) = 'integer' "
        f"AND ({c} > {limit} OR {c} < -{limit}) LIMIT 1"
    ).fetchone()
    return row is not None


def _column(name: str, decl: str, pg_type: str, *, coerce: bool = False) -> ColumnMap:
    """A column the tool creates (every type it creates has an exact binary form)."""
    return ColumnMap(
        name,
        decl,
        pg_type,
        _kind_of(pg_type),
        binary_type=BINARY_TYPES.get(pg_type.lower()),
        coerce=coerce,
    )


def sqlite_affinity(decl: str) -> str:
    """SQLite's column affinity rules (section 3.1 of its datatype documentation)."""
    d = decl.upper()
    if "INT" in d:
        return "INTEGER"
    if any(s in d for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in d or not d:
        return "BLOB"
    if any(s in d for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _kind_of(pg_type: str) -> str:
    t = pg_type.lower()
    if t in ("bigint", "integer", "smallint", "int8", "int4", "int2"):
        return INT
    if t in ("double precision", "float8"):
        return FLOAT
    if t in ("real", "float4"):
        return FLOAT4
    if t.startswith("timestamp with time zone") or t == "timestamptz":
        return TIMESTAMPTZ
    if t == "bytea":
        return BYTEA
    if t.startswith("numeric"):
        return NUMERIC
    if t == "text" or t.startswith("character varying"):
        return TEXT
    return OTHER


def reset_identity_sql(tm: TableMap) -> sql.Composed | None:
    """Move the identity/serial sequence past the highest id so the next insert succeeds.

    For AUTOINCREMENT tables, also past SQLite's high-water mark, so ids of rows deleted
    before the migration are not handed out again.
    """
    key = tm.source.integer_pk
    if key is None:
        return None
    floor = tm.source.autoincrement_seq or 0
    # setval(s, n, true): the next value is n + 1. Never computing n + 1 here keeps an id of
    # 2**63 - 1 from overflowing bigint (inserting after it fails, as in SQLite).
    return sql.SQL(
        "SELECT setval(s, GREATEST(m, 1), m >= 1) "
        "FROM pg_get_serial_sequence({name}, {colname}) AS s, "
        "LATERAL (SELECT GREATEST((SELECT max({col}) FROM {tbl}), {floor}, 0) AS m) AS hw "
        "WHERE s IS NOT NULL"
    ).format(
        col=tm.column(key).ident,
        tbl=tm.ident,
        floor=sql.Literal(floor),
        name=sql.Literal(tm.ident.as_string(None)),
        colname=sql.Literal(tm.column(key).pg_name),
    )


# --- tables that already exist -----------------------------------------------------------------


def _fit_existing(
    conn: psycopg.Connection,
    table: SourceTable,
    target_cols: list[TargetColumn],
    src: SqliteSource,
    pg_name: str,
) -> TableMap:
    """Accept an existing table as it is when its columns can hold the source's values (or
    are what :func:`_translated` would create for them, as ``run`` did)."""
    by_name = {c.name: c for c in target_cols}
    tm = TableMap(table, [], exists=True, target_rows=count_rows(conn, pg_name), pg_name=pg_name)
    found: set[str] = set()
    for col in table.columns:
        tc = by_name.get(col.name) or by_name.get(pg_identifier(col.name, set()))
        if tc is None:
            tm.problems.append(f"the target table {table.name} has no column {col.name}")
            continue
        kind = _kind_of(tc.type)
        expected = _expected_kind(table.name, col.name, col.decl_type)
        base_type = tc.type.split("(")[0]
        found.add(tc.name)
        cm = ColumnMap(
            col.name,
            col.decl_type,
            tc.type,
            kind,
            binary_type=BINARY_TYPES.get(base_type),
            coerce=sqlite_affinity(col.decl_type) not in ("TEXT", "INTEGER"),
            pg_name=tc.name,
        )
        if tc.type in ("integer", "smallint"):
            cm.int_range = INT4_RANGE if tc.type == "integer" else INT2_RANGE
        if base_type == "character varying" and "(" in tc.type:
            cm.max_chars = int(tc.type.split("(")[1].rstrip(")"))
        if kind == NUMERIC and expected in (INT, FLOAT):
            # numeric(p,s) holds the source's numbers as decimals: carried as the source's kind
            # (text COPY), read back exactly, and its rounding listed by the dry run.
            cm.kind, cm.binary_type, cm.coerce = expected, None, True
            cm.numeric_typmod = _numeric_typmod(tc.type)
            kind = expected
        if tc.generated and col.is_generated:  # both compute it (run translated it so)
            cm.generated, cm.sqlite_generated = col.generated or col.name, True
        elif tc.generated:
            tm.problems.append(
                f"{table.name}.{col.name} is a generated column in the target: PostgreSQL "
                "computes it, so SQLite's values cannot be copied into it"
            )
        if not _compatible(expected, kind, tc.type):
            planned = _translated(table, col.name, col.decl_type, src)
            if planned.pg_type.lower() == tc.type.lower():  # run translated it so: carry on
                cm.kind, cm.binary_type = planned.kind, planned.binary_type
                cm.coerce = planned.coerce
                tm.columns.append(cm)
                continue
            tm.problems.append(
                f"{table.name}.{col.name} is {tc.type} in the target but holds "
                f"{col.decl_type or 'untyped'} values in SQLite"
            )
        if kind == FLOAT4:
            tm.warnings.append(
                f"{table.name}.{col.name} is a 4-byte real in the target: values keep only "
                "about 7 digits (SQLite's REAL is 8 bytes; DOUBLE PRECISION keeps them)"
            )
        tm.columns.append(cm)
    owner = _foreign_sequence_owner(conn, tm)
    if owner is not None:
        tm.warnings.append(
            f"{table.name}'s identity sequence belongs to {owner}: only its owner may note on "
            "it which ids came from SQLite, so after a switch sync can protect only rows "
            f"PostgreSQL writes above SQLite's highest id (migrate or sync as {owner} to keep "
            "the note)"
        )
    triggers = table_triggers(conn, pg_name)
    if triggers:
        tm.warnings.append(
            f"the target table {table.name} has trigger(s) {', '.join(triggers)} that run for "
            "every copied row; if they change a value, verification refuses the migration"
        )
    for tc in target_cols:
        if tc.name not in found and tc.not_null and not tc.has_default:
            tm.problems.append(
                f"the target column {table.name}.{tc.name} is NOT NULL without "
                "a default, and SQLite has no such column"
            )
    return tm


def _foreign_sequence_owner(conn: psycopg.Connection, tm: TableMap) -> str | None:
    """The owner of the table's identity/serial sequence when it is not the current user (nor
    one of its roles): COMMENT ON SEQUENCE is then refused."""
    key = tm.source.integer_pk
    if key is None or key not in {c.name for c in tm.columns}:
        return None
    row = conn.execute(
        "SELECT c.relowner::regrole::text, pg_has_role(current_user, c.relowner, 'USAGE') "
        "FROM pg_class c WHERE c.oid = pg_get_serial_sequence(%s, %s)::regclass",
        [tm.ident.as_string(conn), tm.column(key).pg_name],
    ).fetchone()
    return str(row[0]) if row is not None and not row[1] else None


def _numeric_typmod(pg_type: str) -> tuple[int, int] | None:
    """``numeric(p,s)`` -> (p, s); plain ``numeric`` holds any value: None."""
    if "(" not in pg_type:
        return None
    inside = pg_type.split("(", 1)[1].rstrip(")").split(",")
    return int(inside[0]), int(inside[1]) if len(inside) > 1 else 0


def _expected_kind(table: str, column: str, decl: str) -> str:
    if table in KNOWN_BY_NAME and column in TIMESTAMP_COLUMNS:
        return TIMESTAMPTZ
    return {"INTEGER": INT, "REAL": FLOAT, "TEXT": TEXT, "BLOB": BYTEA, "NUMERIC": FLOAT}[
        sqlite_affinity(decl)
    ]


def _compatible(expected: str, kind: str, pg_type: str) -> bool:
    if kind == OTHER:
        return False
    if expected == kind:
        return True
    if expected == FLOAT and kind == FLOAT4:
        return True  # accepted with a warning
    if expected == TIMESTAMPTZ and kind == TEXT:
        return True  # kept as SQLite's text
    if expected == TEXT:
        return kind == TEXT and not pg_type.startswith(("json", "xml"))
    return expected == BYTEA and kind == TEXT
