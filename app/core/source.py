"""The SQLite side: opened read-only, read inside one transaction so every count, scan, copy and
checksum sees the same snapshot, even while AI Log Trail keeps writing to the file."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from app.core.ailt_schema import KNOWN_BY_NAME, OLDER_TABLES
from app.core.errors import BadInput

SQLITE_MAGIC = b"SQLite format 3\x00"


class UndecodableText(BadInput):
    """A text value is not valid UTF-8 (found while streaming rows)."""
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SourceColumn:
    """A column as SQLite declares it."""

    name: str
    decl_type: str
    not_null: bool
    default: str | None
    pk: int  # position in the primary key, 0 when not part of it


@dataclass(frozen=True)
class SourceForeignKey:
    """``columns`` reference ``parent(parent_columns)``."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str


@dataclass(frozen=True)
class SourceIndex:
    """An index over plain columns (expression and partial indexes are reported, not copied)."""

    name: str
    columns: tuple[str, ...]
    unique: bool
    origin: str  # "c" CREATE INDEX, "u" UNIQUE constraint, "pk" primary key
    partial: bool


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

    @property
    def known(self) -> bool:
        """Whether this is one of AI Log Trail's own tables."""
        return self.name in KNOWN_BY_NAME

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(c.name for c in self.columns)


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
        raise BadInput(f"{path} does not exist: give the path of your AI Log Trail SQLite file "
                       "(by default reports/session_data.sqlite).")
    if path.is_dir():
        raise BadInput(f"{path} is a folder, not a file: give the path of the SQLite file "
                       "inside it (for example reports/session_data.sqlite).")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BadInput(f"{path} cannot be read ({exc.strerror}): check its permissions.") from None
    if header != SQLITE_MAGIC:
        raise BadInput(f"{path} is not a SQLite database: choose the .sqlite file "
                       "AI Log Trail writes (see [ingest] db_path in user/config.toml).")
    return path.resolve()


class SqliteSource:
    """A read-only view of one SQLite file inside a single read transaction (a snapshot)."""

    def __init__(self, path: Path, *, count_rows: bool = True) -> None:
        self.path = check_path(Path(path))
        self._count_rows = count_rows  # False: the caller counts (the scan does, in its pass)
        uri = f"file:{quote(str(self.path))}?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                        check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
            self.conn.execute("PRAGMA query_only = ON")
            self.conn.execute("BEGIN")
            self._tables = self._discover()  # the first read fixes the snapshot
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
        return SourceInfo(self.path, self.path.stat().st_size, list(self._tables),
                          _version(names))

    def _discover(self) -> list[SourceTable]:
        rows = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name").fetchall()
        tables = [self._describe(name) for (name,) in rows]
        return order_by_dependencies(tables)

    def _describe(self, name: str) -> SourceTable:
        q = _quote(name)
        cols = tuple(
            SourceColumn(r[1], (r[2] or "").upper(), bool(r[3]), r[4], int(r[5]))
            for r in self.conn.execute(f"PRAGMA table_xinfo({q})") if r[6] == 0)
        fks: dict[int, list[tuple[str, str, str, str]]] = {}
        for r in self.conn.execute(f"PRAGMA foreign_key_list({q})"):
            fks.setdefault(r[0], []).append((r[3], r[2], r[4], r[6]))
        foreign_keys = tuple(
            SourceForeignKey(tuple(p[0] for p in parts), parts[0][1],
                             tuple(p[2] or "id" for p in parts), parts[0][3])
            for parts in fks.values())
        pk_cols = [c for c in cols if c.pk]
        integer_pk = (pk_cols[0].name if len(pk_cols) == 1 and pk_cols[0].decl_type == "INTEGER"
                      else None)
        rows = (self.conn.execute(f"SELECT count(*) FROM {q}").fetchone()[0]
                if self._count_rows else 0)
        return SourceTable(name, cols, foreign_keys, self._indexes(name), rows, integer_pk,
                           self._sequence(name))

    def _sequence(self, table: str) -> int | None:
        """The table's entry in ``sqlite_sequence`` (only AUTOINCREMENT tables have one)."""
        try:
            row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                    [table]).fetchone()
        except sqlite3.OperationalError:  # no AUTOINCREMENT table in the file
            return None
        return int(row[0]) if row and isinstance(row[0], int) else None

    def _indexes(self, table: str) -> tuple[SourceIndex, ...]:
        found = []
        for r in self.conn.execute(f"PRAGMA index_list({_quote(table)})"):
            name, unique, origin, partial = r[1], bool(r[2]), r[3], bool(r[4])
            cols = [c[2] for c in self.conn.execute(f"PRAGMA index_info({_quote(name)})")]
            if any(c is None for c in cols):
                continue  # expression index: not translatable, reported by the plan
            found.append(SourceIndex(name, tuple(cols), unique, origin, partial))
        return tuple(found)

    def rows(self, table: SourceTable, columns: tuple[str, ...],
             batch_size: int) -> Iterator[list[tuple[object, ...]]]:
        """Stream a table's rows in batches, ordered by its key, within the snapshot."""
        select = ", ".join(_quote(c) for c in columns)
        cur = self.conn.execute(
            f"SELECT {select} FROM {_quote(table.name)} ORDER BY {order_key(table)}")
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


def order_key(table: SourceTable) -> str:
    """The ORDER BY that both sides share: the integer key, else every column."""
    if table.integer_pk:
        return _quote(table.integer_pk)
    return ", ".join(_quote(c) for c in table.column_names)


def order_by_dependencies(tables: list[SourceTable]) -> list[SourceTable]:
    """Parents before children; AI Log Trail's own copy order first, others by name."""
    known_order = list(KNOWN_BY_NAME)
    pending = sorted(tables, key=lambda t: (known_order.index(t.name)
                                            if t.name in KNOWN_BY_NAME else len(known_order),
                                            t.name))
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


def _sqlite_error(path: Path, exc: sqlite3.DatabaseError) -> BadInput:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return BadInput(f"{path} is locked by another program (is an AI Log Trail ingest "
                        "running?): wait for it to finish, then try again.")
    if "not a database" in text or "malformed" in text:
        return BadInput(f"{path} is not a readable SQLite database ({text}): "
                        "check that you chose the right file and that it is not damaged.")
    if "unable to open" in text:
        return BadInput(f"{path} cannot be opened read-only ({text}): check the permissions "
                        "of the file and of its folder.")
    return BadInput(f"Reading {path} failed ({text}).")


def inspect_source(path: Path) -> SourceInfo:
    """Open, describe and close: what the wizard shows as soon as a path is valid."""
    with SqliteSource(path) as src:
        return src.info()
