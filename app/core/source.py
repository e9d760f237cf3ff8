"""The SQLite side: opened read-only, read inside one transaction so every count, scan, copy and
checksum sees the same snapshot, even while AI Log Trail keeps writing to the file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from app.core.ailt_schema import KNOWN_BY_NAME, OLDER_TABLES
from app.core.errors import BadInput
from app.core.sqlite_ddl import CheckText, parse_create_index, parse_create_table

SQLITE_MAGIC = b"SQLite format 3\x00"


class UndecodableText(BadInput):
    """A text value is not valid UTF-8 (found while streaming rows)."""


BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SourceColumn:
    """A column as SQLite declares it (``PRAGMA table_xinfo`` plus the CREATE TABLE text)."""

    name: str
    decl_type: str
    not_null: bool
    default: str | None
    pk: int  # position in the primary key, 0 when not part of it
    hidden: int = 0  # table_xinfo: 0 normal, 2 generated VIRTUAL, 3 generated STORED
    generated: str | None = None  # a generated column's expression, as written
    collation: str | None = None  # COLLATE of the column definition (upper case)

    @property
    def is_generated(self) -> bool:
        """A GENERATED ALWAYS AS column: SQLite computes its values."""
        return self.hidden in (2, 3)


@dataclass(frozen=True)
class SourceForeignKey:
    """``columns`` reference ``parent(parent_columns)``.

    Without a column list SQLite means the parent's PRIMARY KEY (not ``id``); ``parent`` is the
    parent table's real name (SQLite matches names case-insensitively), and ``parent_exists``
    is False when no such table is in the file (SQLite allows that).
    """

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str
    parent_exists: bool = True
    on_update: str = "NO ACTION"


@dataclass(frozen=True)
class SourceIndex:
    """An index or UNIQUE/PRIMARY KEY constraint (``PRAGMA index_list`` / ``index_xinfo``)."""

    name: str
    columns: tuple[str | None, ...]  # None where the term is an expression
    unique: bool
    origin: str  # "c" CREATE INDEX, "u" UNIQUE constraint, "pk" primary key
    partial: bool
    terms: tuple[str, ...] = ()  # each term as written: a column name or an expression
    collations: tuple[str, ...] = ()  # per term, upper case (BINARY, NOCASE, RTRIM, ...)
    where: str | None = None  # a partial index's WHERE, as written
    descending: tuple[bool, ...] = ()

    @property
    def plain(self) -> bool:
        """Only columns, compared bytewise, no WHERE: PostgreSQL takes it as it is."""
        return (
            None not in self.columns
            and not self.partial
            and all(c in ("BINARY", "") for c in self.collations)
        )


@dataclass(frozen=True)
class SchemaEntry:
    """A row of ``sqlite_schema`` that is not a user table: view, trigger, virtual, shadow or
    internal table. ``module`` is a virtual table's module (fts5, rtree, ...)."""

    kind: str
    name: str
    table: str
    sql: str
    module: str = ""
    owner: str = ""  # a shadow table's virtual table
    readable: bool = True  # False: a virtual table whose module this SQLite lacks


@dataclass(frozen=True)
class SourceTable:
    """A user table of the SQLite file."""

    name: str
    columns: tuple[SourceColumn, ...]
    foreign_keys: tuple[SourceForeignKey, ...] = ()
    indexes: tuple[SourceIndex, ...] = ()
    rows: int = 0
    integer_pk: str | None = None  # the INTEGER PRIMARY KEY (rowid alias) column, if any
    # AUTOINCREMENT's high-water mark: ids of deleted rows are never handed out again.
    autoincrement_seq: int | None = None
    without_rowid: bool = False
    strict: bool = False
    checks: tuple[CheckText, ...] = ()
    sql: str = ""

    @property
    def pk_columns(self) -> tuple[str, ...]:
        """The PRIMARY KEY's columns in key order (empty without one)."""
        return tuple(c.name for c in sorted(self.columns, key=lambda c: c.pk) if c.pk)

    @property
    def row_key(self) -> str:
        """SQL naming one row in messages and ordering: the rowid, else the PRIMARY KEY."""
        if self.integer_pk:
            return _quote(self.integer_pk)
        if not self.without_rowid:
            return "rowid"
        return ", ".join(_quote(c) for c in self.pk_columns)

    @property
    def row_key_value(self) -> str:
        """One SQL value naming a row (a WITHOUT ROWID key's columns quoted and joined)."""
        if self.integer_pk or not self.without_rowid:
            return self.row_key
        return " || ', ' || ".join(f"quote({_quote(c)})" for c in self.pk_columns)

    @property
    def known(self) -> bool:
        """Whether this is one of AI Log Trail's own tables."""
        return self.name in KNOWN_BY_NAME

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> SourceColumn:
        """The column called ``name`` (SQLite compares names case-insensitively)."""
        low = name.lower()
        return next(c for c in self.columns if c.name.lower() == low)


@dataclass
class SourceInfo:
    """What the wizard's first step and the dry run show about the file."""

    path: Path
    size_bytes: int
    tables: list[SourceTable] = field(default_factory=list)
    version: str = "unknown"

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {t.name: t.rows for t in self.tables}

    @property
    def total_rows(self) -> int:
        """Rows in all tables."""
        return sum(t.rows for t in self.tables)


def check_path(path: Path) -> Path:
    """Fail with a clear sentence unless ``path`` is an existing SQLite file."""
    path = path.expanduser()
    if not path.exists():
        raise BadInput(
            f"{path} does not exist: give the path of your AI Log Trail SQLite file "
            "(by default reports/session_data.sqlite)."
        )
    if path.is_dir():
        raise BadInput(
            f"{path} is a folder, not a file: give the path of the SQLite file "
            "inside it (for example reports/session_data.sqlite)."
        )
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BadInput(f"{path} cannot be read ({exc.strerror}): check its permissions.") from None
    if header != SQLITE_MAGIC:
        raise BadInput(
            f"{path} is not a SQLite database: choose the .sqlite file "
            "AI Log Trail writes (see [ingest] db_path in its config)."
        )
    return path.resolve()


class SqliteSource:
    """A read-only view of one SQLite file inside a single read transaction (a snapshot)."""

    def __init__(self, path: Path, *, count_rows: bool = True) -> None:
        self.path = check_path(Path(path))
        self._count_rows = count_rows  # False: the caller counts (the scan does, in its pass)
        self.others: list[SchemaEntry] = []
        self.unknown_collations: set[str] = set()
        try:
            self.conn = _open_read_only(self.path)
            self.conn.execute("PRAGMA query_only = ON")
            self.conn.execute("BEGIN")
            self.encoding = str(self.conn.execute("PRAGMA encoding").fetchone()[0])
            self._tables = self._discover()  # the first read fixes the snapshot
            self._stand_in_collations()
        except sqlite3.DatabaseError as exc:
            raise _sqlite_error(self.path, exc) from None

    def close(self) -> None:
        """End the read transaction and close the file."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")
        self.conn.close()

    def __enter__(self) -> SqliteSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def tables(self) -> list[SourceTable]:
        """User tables, parents before children (AI Log Trail's order first)."""
        return self._tables

    def set_counts(self, counts: dict[str, int]) -> None:
        """Row counts taken by the caller within this snapshot (see ``count_rows``)."""
        self._tables = [replace(t, rows=counts.get(t.name, t.rows)) for t in self._tables]

    def table(self, name: str) -> SourceTable:
        """The table called ``name``."""
        return next(t for t in self._tables if t.name == name)

    def info(self) -> SourceInfo:
        """Size, tables with row counts, and the AI Log Trail version guessed from the tables."""
        names = {t.name for t in self._tables}
        return SourceInfo(self.path, self.path.stat().st_size, list(self._tables), _version(names))

    def _discover(self) -> list[SourceTable]:
        """Every row of sqlite_schema: user tables described, the rest kept as entries."""
        rows = self.conn.execute(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY rowid"
        ).fetchall()
        kinds = self._table_kinds()
        virtual = {
            name: sql
            for typ, name, _, sql in rows
            if typ == "table" and sql.upper().startswith("CREATE VIRTUAL")
        }
        plain: list[str] = []
        for typ, name, tbl, sql in rows:
            if typ in ("view", "trigger"):
                self.others.append(SchemaEntry(typ, name, tbl, sql))
            elif typ != "table":
                continue
            elif name.startswith("sqlite_"):
                self.others.append(SchemaEntry("internal table", name, name, sql))
            elif name in virtual:
                self.others.append(
                    SchemaEntry(
                        "virtual table",
                        name,
                        name,
                        sql,
                        module=_module(sql),
                        readable=name not in self._missing_modules(virtual),
                    )
                )
            elif (
                owner := _shadow_owner(
                    name, kinds.get(name), virtual, self._missing_modules(virtual)
                )
            ) is not None:
                self.others.append(SchemaEntry("shadow table", name, name, sql, owner=owner))
            else:
                plain.append(name)
        sqls = {n: sql for t, n, _, sql in rows if t == "table"}
        names = {n.lower(): n for n in plain}
        tables = [self._describe(name, sqls[name], names) for name in sorted(plain)]
        return order_by_dependencies(tables)

    def _stand_in_collations(self) -> None:
        """Collations the file names but this SQLite does not know (Anki's ``unicase``, an
        ICU one) would make every ORDER BY over those columns fail. Reading needs only some
        fixed order, so a bytewise stand-in is registered on this connection (nothing is
        written); the keys that use them are reported as not migrated."""
        names = {coll for t in self._tables for i in t.indexes for coll in i.collations}
        names |= {c.collation for t in self._tables for c in t.columns if c.collation}
        for name in names - {"BINARY", "NOCASE", "RTRIM", ""}:
            self.conn.create_collation(name.lower(), _bytewise)
            self.unknown_collations.add(name)

    def _missing_modules(self, virtual: dict[str, str]) -> set[str]:
        """Virtual tables whose module this SQLite lacks (they cannot be read)."""
        if not hasattr(self, "_missing"):
            self._missing: set[str] = set()
            for name in virtual:
                try:
                    self.conn.execute(f"SELECT 1 FROM {_quote(name)} LIMIT 0").fetchall()
                except sqlite3.DatabaseError:
                    self._missing.add(name)
        return self._missing

    def _table_kinds(self) -> dict[str, str]:
        """``PRAGMA table_list``'s type per table (SQLite 3.37+: knows shadow tables)."""
        try:
            return {r[1]: r[2] for r in self.conn.execute("PRAGMA table_list") if r[0] == "main"}
        except sqlite3.DatabaseError:
            return {}

    def _describe(self, name: str, sql: str, names: dict[str, str]) -> SourceTable:
        q = _quote(name)
        text = parse_create_table(sql)
        cols = []
        for r in self.conn.execute(f"PRAGMA table_xinfo({q})"):
            if r[6] == 1:
                continue  # hidden columns exist only in virtual tables
            extra = text.columns.get(str(r[1]).lower())
            cols.append(
                SourceColumn(
                    r[1],
                    (r[2] or "").upper(),
                    bool(r[3]),
                    r[4],
                    int(r[5]),
                    int(r[6]),
                    extra.generated if extra and r[6] in (2, 3) else None,
                    extra.collation if extra else None,
                )
            )
        pk_cols = [c for c in sorted(cols, key=lambda c: c.pk) if c.pk]
        integer_pk = (
            pk_cols[0].name
            if len(pk_cols) == 1 and pk_cols[0].decl_type == "INTEGER" and not text.without_rowid
            else None
        )
        rows = (
            self.conn.execute(f"SELECT count(*) FROM {q}").fetchone()[0] if self._count_rows else 0
        )
        return SourceTable(
            name,
            tuple(cols),
            self._foreign_keys(name, names),
            self._indexes(name, cols),
            rows,
            integer_pk,
            self._sequence(name),
            text.without_rowid,
            text.strict,
            tuple(text.checks),
            sql,
        )

    def _foreign_keys(self, table: str, names: dict[str, str]) -> tuple[SourceForeignKey, ...]:
        fks: dict[int, list[tuple[object, ...]]] = {}
        for r in self.conn.execute(f"PRAGMA foreign_key_list({_quote(table)})"):
            fks.setdefault(r[0], []).append(tuple(r))
        found = []
        for parts in fks.values():
            parts.sort(key=lambda p: int(p[1]))  # type: ignore[call-overload]
            written = str(parts[0][2])
            parent = names.get(written.lower(), written)
            exists = written.lower() in names
            to = [p[4] for p in parts]
            if any(t is None for t in to):
                to = list(self._primary_key(parent)) if exists else []
            found.append(
                SourceForeignKey(
                    tuple(str(p[3]) for p in parts),
                    parent,
                    tuple(str(t) for t in to),
                    str(parts[0][6]),
                    exists,
                    str(parts[0][5]),
                )
            )
        return tuple(found)

    def _primary_key(self, table: str) -> tuple[str, ...]:
        rows = [r for r in self.conn.execute(f"PRAGMA table_xinfo({_quote(table)})") if r[5]]
        return tuple(str(r[1]) for r in sorted(rows, key=lambda r: r[5]))

    def _sequence(self, table: str) -> int | None:
        """The table's entry in ``sqlite_sequence`` (only AUTOINCREMENT tables have one)."""
        try:
            row = self.conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = ?", [table]
            ).fetchone()
        except sqlite3.OperationalError:  # no AUTOINCREMENT table in the file
            return None
        return int(row[0]) if row and isinstance(row[0], int) else None

    def _indexes(self, table: str, cols: list[SourceColumn]) -> tuple[SourceIndex, ...]:
        found = []
        sqls = dict(
            self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [table]
            ).fetchall()
        )
        for r in self.conn.execute(f"PRAGMA index_list({_quote(table)})"):
            name, unique, origin, partial = r[1], bool(r[2]), r[3], bool(r[4])
            keys = [x for x in self.conn.execute(f"PRAGMA index_xinfo({_quote(name)})") if x[5]]
            text = parse_create_index(sqls.get(name) or "")
            columns = tuple(None if x[1] == -2 else x[2] for x in keys)
            terms = (
                text.terms
                if len(text.terms) == len(keys)
                else tuple(str(c) if c is not None else "" for c in columns)
            )
            found.append(
                SourceIndex(
                    name,
                    columns,
                    unique,
                    origin,
                    partial,
                    terms,
                    tuple(str(x[4] or "BINARY").upper() for x in keys),
                    text.where,
                    tuple(bool(x[3]) for x in keys),
                )
            )
        if not any(i.origin == "pk" for i in found):
            pk = [c.name for c in sorted(cols, key=lambda c: c.pk) if c.pk]
            if pk and not (
                len(pk) == 1 and any(c.name == pk[0] and c.decl_type == "INTEGER" for c in cols)
            ):
                coll = tuple(
                    (next(c for c in cols if c.name == n).collation or "BINARY") for n in pk
                )
                found.append(
                    SourceIndex(f"{table}_pkey", tuple(pk), True, "pk", False, tuple(pk), coll)
                )
        return tuple(found)

    def rows(
        self, table: SourceTable, columns: tuple[str, ...], batch_size: int
    ) -> Iterator[list[tuple[object, ...]]]:
        """Stream a table's rows in batches, ordered by its key, within the snapshot."""
        select = ", ".join(_quote(c) for c in columns)
        cur = self.conn.execute(
            f"SELECT {select} FROM {_quote(table.name)} ORDER BY {order_key(table)}"
        )
        try:
            while batch := cur.fetchmany(batch_size):
                yield batch
        except sqlite3.OperationalError as exc:
            if "decode" in str(exc):
                raise UndecodableText(f"{table.name} holds text that is not UTF-8.") from None
            raise _sqlite_error(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise _sqlite_error(self.path, exc) from None
        finally:
            cur.close()


def _bytewise(a: str, b: str) -> int:
    return (a > b) - (a < b)


def _module(sql: str) -> str:
    words = sql.replace("(", " ( ").split()
    upper = [w.upper() for w in words]
    return words[upper.index("USING") + 1] if "USING" in upper[:-1] else "?"


def _shadow_owner(
    name: str, kind: str | None, virtual: dict[str, str], missing: set[str]
) -> str | None:
    """The virtual table a shadow table belongs to (``docs_data`` belongs to ``docs``).

    SQLite 3.37+ marks shadow tables in ``PRAGMA table_list``; where the module is not loaded
    it cannot, so the ``<virtual>_<suffix>`` naming rule decides: any suffix for a module this
    SQLite lacks (sqlite-vec's ``_chunks``, ``_rowids``), the known ones otherwise.
    """
    owners = sorted(
        (
            v
            for v in virtual
            if name.lower().startswith(v.lower() + "_")
            and (v in missing or name[len(v) + 1 :].lower() in SHADOW_SUFFIXES)
        ),
        key=len,
        reverse=True,
    )
    if kind == "shadow":
        return owners[0] if owners else "?"
    return owners[0] if owners else None


# Shadow tables of SQLite's own virtual-table modules (fts3/4, fts5, rtree).
SHADOW_SUFFIXES = frozenset(
    {
        "content",
        "segments",
        "segdir",
        "docsize",
        "stat",
        "data",
        "idx",
        "config",
        "node",
        "parent",
        "rowid",
    }
)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only; a WAL file in a folder we may not write is opened immutable
    when it has no committed WAL content to miss (no writer can be active there)."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(
            uri,
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        if _wal_mode(path) and not os.access(path.parent, os.W_OK) and not _has_wal(path):
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode=ro&immutable=1",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        raise _open_error(path, exc) from None


def _wal_mode(path: Path) -> bool:
    """The file header's read/write versions are 2 in WAL mode (SQLite file format, 1.3)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2


def _has_wal(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> sqlite3.DatabaseError:
    """Name the real cause of a read-only open that failed, and the way out."""
    journal = Path(f"{path}-journal")
    if journal.exists() and journal.stat().st_size > 0:
        return _Explained(
            f"{path} has a leftover {journal.name} from a writer that was interrupted; SQLite "
            "must roll it back before the file can be read, and this tool only reads: open the "
            f"file once with AI Log Trail or 'sqlite3 {path} \"PRAGMA integrity_check\"' as a "
            "user who may write to it and its folder, then run again."
        )
    if _wal_mode(path) and not os.access(path.parent, os.W_OK):
        return _Explained(
            f"{path} is in WAL mode with changes still in {path.name}-wal, and its folder "
            f"{path.parent} is not writable, so SQLite cannot read it read-only: run as a user "
            "who may write to that folder, or copy the file together with its -wal file into "
            "a writable folder and migrate the copy."
        )
    return exc


class _Explained(sqlite3.DatabaseError):
    """An open failure whose message is already the user's sentence."""


def order_key(table: SourceTable) -> str:
    """The ORDER BY that both sides share: the integer key, else every column."""
    if table.integer_pk:
        return _quote(table.integer_pk)
    return ", ".join(_quote(c.name) for c in table.columns if not c.is_generated) or "1"


def order_by_dependencies(tables: list[SourceTable]) -> list[SourceTable]:
    """Parents before children; AI Log Trail's own copy order first, others by name."""
    known_order = list(KNOWN_BY_NAME)
    pending = sorted(
        tables,
        key=lambda t: (
            known_order.index(t.name) if t.name in KNOWN_BY_NAME else len(known_order),
            t.name,
        ),
    )
    done: list[SourceTable] = []
    names = {t.name for t in tables}
    while pending:
        for table in pending:
            parents = {fk.parent for fk in table.foreign_keys if fk.parent in names}
            if parents - {table.name} <= {t.name for t in done}:
                done.append(table)
                pending.remove(table)
                break
        else:  # a cycle: keep the remaining order (constraints are added after the data)
            done.extend(pending)
            break
    return done


def _version(names: set[str]) -> str:
    if not names & set(KNOWN_BY_NAME):
        return "not AI Log Trail"
    if not names >= OLDER_TABLES:
        return "incomplete AI Log Trail"
    extra = names - set(KNOWN_BY_NAME)
    if "redactions" not in names:
        base = "AI Log Trail, older (9 tables)"
    else:
        base = "AI Log Trail, current (10 tables)"
    return base + (f" + {len(extra)} more" if extra else "")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_error(path: Path, exc: sqlite3.Error) -> BadInput:
    """The sentence for a SQLite failure while reading ``path``."""
    return _sqlite_error(path, exc)


def _sqlite_error(path: Path, exc: sqlite3.Error) -> BadInput:
    text = str(exc)
    if isinstance(exc, _Explained):
        return BadInput(text)
    if "no such module" in text:
        return BadInput(
            f"{path} uses a virtual-table module this SQLite lacks ({text}): "
            "the dry run names that table; please report how you reached this."
        )
    if "locked" in text or "busy" in text:
        return BadInput(
            f"{path} is locked by another program (is an AI Log Trail ingest "
            "running?): wait for it to finish, then try again."
        )
    if "not a database" in text or "malformed" in text:
        return BadInput(
            f"{path} is not a readable SQLite database ({text}): "
            "check that you chose the right file and that it is not damaged."
        )
    if "unable to open" in text:
        return BadInput(
            f"{path} cannot be opened read-only ({text}): check the permissions "
            "of the file and of its folder."
        )
    return BadInput(f"Reading {path} failed ({text}).")


def inspect_source(path: Path) -> SourceInfo:
    """Open, describe and close: what the wizard shows as soon as a path is valid."""
    with SqliteSource(path) as src:
        return src.info()
