"""Small SQLite files "from the wild", modelled on public SQLite-to-PostgreSQL bug reports.

Every builder returns the path of a new file that holds AI Log Trail's own schema (with a file,
a session and a prompt, so the tool accepts it) plus the wild objects beside it. The comparison
at the bottom (:func:`assert_same_content`) reads both sides with plain ``sqlite3`` and
``psycopg`` and uses nothing from ``app/``, so it checks the engine instead of agreeing with it.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.core.ailt_schema import create_sqlite_schema_sql

# FTS5 keeps its index in these ordinary tables beside the virtual one.
FTS5_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")


# --------------------------------------------------------------------------------------------
# The common part: AI Log Trail's schema with a row or two
# --------------------------------------------------------------------------------------------


def _ailt(
    tmp_path: Path, name: str, *, encoding: str | None = None
) -> tuple[Path, sqlite3.Connection]:
    """A new file with AI Log Trail's tables and one file/session/prompt row."""
    path = tmp_path / name
    if path.exists():
        raise FileExistsError(path)
    conn = sqlite3.connect(path)
    if encoding:
        conn.execute(f"PRAGMA encoding = '{encoding}'")
    conn.executescript(create_sqlite_schema_sql())
    conn.execute(
        "INSERT INTO files (id, path, ingested_at) "
        "VALUES (1, '/home/u/.codex/sessions/rollout-1.jsonl', '2025-01-02 03:04:05')"
    )
    conn.execute(
        "INSERT INTO sessions (file_id, session_id, cwd, raw_json) "
        "VALUES (1, 'sess-1', '/home/u/project', '{\"type\":\"session_meta\"}')"
    )
    conn.execute(
        "INSERT INTO prompts (file_id, prompt_index, timestamp, message, raw_json) "
        "VALUES (1, 0, '2025-01-02T03:04:06Z', 'hello', '{\"type\":\"message\"}')"
    )
    conn.commit()
    return path, conn


def _finish(path: Path, conn: sqlite3.Connection, script: str = "") -> Path:
    if script:
        conn.executescript(script)
    conn.commit()
    conn.close()
    return path


# --------------------------------------------------------------------------------------------
# Builders: one per kind of wild file
# --------------------------------------------------------------------------------------------


def without_rowid(tmp_path: Path) -> Path:
    """A WITHOUT ROWID table keyed by text (no ``rowid`` to select)."""
    path, conn = _ailt(tmp_path, "without_rowid.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE kv_store (k TEXT PRIMARY KEY, v INTEGER NOT NULL, note TEXT) WITHOUT ROWID;
        INSERT INTO kv_store VALUES ('alpha', 1, 'first'), ('beta', 2, NULL),
                                    ('gamma', 3, 'caf\u00e9 \u2603');
    """,
    )


def fts5(tmp_path: Path) -> Path:
    """An FTS5 full-text table (virtual) and its five shadow tables."""
    path, conn = _ailt(tmp_path, "fts5.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE VIRTUAL TABLE docs USING fts5(body);
        INSERT INTO docs (body) VALUES ('the quick brown fox'), ('jumps over the lazy dog'),
                                       ('sqlite full text search');
    """,
    )


def missing_module(tmp_path: Path) -> Path:
    """A virtual table whose module no one has loaded (written through writable_schema)."""
    path, conn = _ailt(tmp_path, "missing_module.sqlite")
    conn.executescript("""
        CREATE TABLE plain_extra (id INTEGER PRIMARY KEY, word TEXT NOT NULL);
        INSERT INTO plain_extra (word) VALUES ('one'), ('two');
    """)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
        "('table', 'v_missing', 'v_missing', 0, "
        "'CREATE VIRTUAL TABLE v_missing USING nosuchmodule(a)')"
    )
    conn.commit()
    conn.execute("PRAGMA writable_schema = OFF")
    conn.commit()
    conn.close()
    check = sqlite3.connect(path)
    try:
        check.execute("SELECT count(*) FROM plain_extra").fetchone()
        try:
            check.execute("SELECT * FROM v_missing").fetchall()
        except sqlite3.OperationalError as err:
            if "no such module" not in str(err):
                raise
        else:  # pragma: no cover - the module exists after all
            raise RuntimeError("v_missing was readable: the trick did not work")
    finally:
        check.close()
    return path


def generated_columns(tmp_path: Path) -> Path:
    """Generated columns: two translatable (STORED, VIRTUAL), two SQLite-only expressions."""
    path, conn = _ailt(tmp_path, "generated.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE order_lines (
            id INTEGER PRIMARY KEY,
            qty INTEGER NOT NULL,
            price REAL NOT NULL,
            total REAL GENERATED ALWAYS AS (qty * price) STORED,
            half_price REAL GENERATED ALWAYS AS (price / 2) VIRTUAL,
            qty_label TEXT GENERATED ALWAYS AS (printf('%05d', qty)) VIRTUAL,
            price_type TEXT GENERATED ALWAYS AS (typeof(price)) STORED
        );
        INSERT INTO order_lines (qty, price) VALUES (3, 1.1), (7, 0.3), (1, 19.99), (0, 2.5);
    """,
    )


def partial_and_expression_unique(tmp_path: Path) -> Path:
    """A partial unique index and a unique index on an expression."""
    path, conn = _ailt(tmp_path, "partial_unique.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE codes (id INTEGER PRIMARY KEY, code TEXT NOT NULL, label TEXT NOT NULL,
                            deleted INTEGER NOT NULL DEFAULT 0);
        CREATE UNIQUE INDEX u_codes_live ON codes(code) WHERE deleted = 0;
        CREATE UNIQUE INDEX u_codes_label ON codes(lower(label));
        INSERT INTO codes (code, label, deleted) VALUES ('A1', 'Alpha', 0), ('A1', 'Beta', 1),
                                                        ('B2', 'Gamma', 0);
    """,
    )


def checks(tmp_path: Path) -> Path:
    """CHECK constraints on a table AI Log Trail does not know."""
    path, conn = _ailt(tmp_path, "checks.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE stock (id INTEGER PRIMARY KEY, code TEXT NOT NULL, qty INTEGER NOT NULL,
                            CHECK (qty >= 0), CHECK (length(code) = 3));
        INSERT INTO stock (code, qty) VALUES ('ABC', 0), ('XYZ', 12);
    """,
    )


def defaults(tmp_path: Path) -> Path:
    """NOT NULL columns whose defaults are SQLite's clock functions and plain literals."""
    path, conn = _ailt(tmp_path, "defaults.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            what TEXT NOT NULL,
            at_datetime TEXT NOT NULL DEFAULT (datetime('now')),
            at_current TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
            at_epoch INTEGER NOT NULL DEFAULT (strftime('%s','now')),
            counter INTEGER NOT NULL DEFAULT 0,
            flag TEXT NOT NULL DEFAULT 'x'
        );
        INSERT INTO audit_log (what) VALUES ('created');
        INSERT INTO audit_log (what, at_datetime, at_current, at_epoch, counter, flag)
            VALUES ('explicit', '2024-05-06 07:08:09', '2024-05-06 07:08:09', 1715000000, 4, 'y');
    """,
    )


def views(tmp_path: Path) -> Path:
    """A view PostgreSQL can run and one full of SQLite-only functions."""
    path, conn = _ailt(tmp_path, "views.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, qty INTEGER NOT NULL);
        INSERT INTO items (label, qty) VALUES ('apple', 3), ('pear', 0), ('plum', 9);
        CREATE VIEW items_in_stock AS SELECT id, label, qty FROM items WHERE qty > 0;
        CREATE VIEW items_odd AS
            SELECT typeof(qty) AS t, printf('%05d', sum(qty)) AS total,
                   group_concat(label, ',') AS labels
            FROM items GROUP BY typeof(qty);
    """,
    )


def triggers(tmp_path: Path) -> Path:
    """A trigger on an extra table and one on an AI Log Trail table."""
    path, conn = _ailt(tmp_path, "triggers.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL,
                            touched INTEGER NOT NULL DEFAULT 0);
        INSERT INTO items (label) VALUES ('apple'), ('pear');
        CREATE TRIGGER trg_items_touch AFTER UPDATE OF label ON items
        BEGIN UPDATE items SET touched = touched + 1 WHERE id = NEW.id; END;
        CREATE TRIGGER trg_files_path BEFORE INSERT ON files
        WHEN NEW.path = '' BEGIN SELECT RAISE(ABORT, 'empty path'); END;
    """,
    )


def fk_without_column_list(tmp_path: Path) -> Path:
    """``REFERENCES parent`` without columns, where the parent's key is ``code``, not ``id``."""
    path, conn = _ailt(tmp_path, "fk_no_columns.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE currency (code TEXT PRIMARY KEY, label TEXT NOT NULL);
        CREATE TABLE price (id INTEGER PRIMARY KEY, amount REAL NOT NULL,
                            currency_code TEXT NOT NULL REFERENCES currency);
        INSERT INTO currency VALUES ('EUR', 'Euro'), ('USD', 'Dollar');
        INSERT INTO price (amount, currency_code) VALUES (1.5, 'EUR'), (2.25, 'USD'), (3, 'EUR');
    """,
    )


def fk_cycle(tmp_path: Path) -> Path:
    """Two extra tables referencing each other (nullable columns, consistent rows)."""
    path, conn = _ailt(tmp_path, "fk_cycle.sqlite")
    conn.execute("PRAGMA foreign_keys = ON")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE team (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                           captain_id INTEGER REFERENCES player(id));
        CREATE TABLE player (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                             team_id INTEGER REFERENCES team(id));
        INSERT INTO team (id, name) VALUES (1, 'Reds'), (2, 'Blues');
        INSERT INTO player (id, name, team_id)
            VALUES (10, 'Ann', 1), (11, 'Bob', 2), (12, 'Cy', NULL);
        UPDATE team SET captain_id = 10 WHERE id = 1;
    """,
    )


def null_in_text_primary_key(tmp_path: Path) -> Path:
    """A rowid table whose TEXT PRIMARY KEY holds a NULL (SQLite allows it)."""
    path, conn = _ailt(tmp_path, "null_pk.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE keyed (code TEXT PRIMARY KEY, v INTEGER);
        INSERT INTO keyed VALUES ('a', 2), (NULL, 1), ('b', 3);
    """,
    )


def untyped_unique_int_and_text(tmp_path: Path) -> Path:
    """An untyped UNIQUE column holding 1 and '1': distinct in SQLite, equal as TEXT."""
    path, conn = _ailt(tmp_path, "unique_1_and_text_1.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE wild_tags (id INTEGER PRIMARY KEY, tag_value UNIQUE);
        INSERT INTO wild_tags (tag_value) VALUES (1), ('1'), ('two');
    """,
    )


def default_of_wrong_type(tmp_path: Path) -> Path:
    """``INTEGER DEFAULT 'abc'``: a default PostgreSQL would refuse on a BIGINT column."""
    path, conn = _ailt(tmp_path, "bad_default.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 'abc', label TEXT);
        INSERT INTO counters (n, label) VALUES (5, 'five'), (7, 'seven');
    """,
    )


BIG_INT = 9007199254740993  # 2**53 + 1: not exact as a double


def big_integers_beside_reals(tmp_path: Path) -> Path:
    """NUMERIC and untyped columns holding an integer beyond 2^53 next to reals."""
    path, conn = _ailt(tmp_path, "big_ints.sqlite")
    conn.execute("CREATE TABLE amounts (id INTEGER PRIMARY KEY, num_value NUMERIC, any_value)")
    conn.executemany(
        "INSERT INTO amounts (id, num_value, any_value) VALUES (?, ?, ?)",
        [(1, BIG_INT, BIG_INT), (2, 1.5, 1.5), (3, 2, 2)],
    )
    return _finish(path, conn)


def fk_orphans_in_ailt_table(tmp_path: Path) -> Path:
    """A prompt whose file is gone (AI Log Trail's own foreign key, written with it off)."""
    path, conn = _ailt(tmp_path, "fk_orphans_ailt.sqlite")
    conn.execute("PRAGMA foreign_keys = OFF")
    return _finish(
        path,
        conn,
        """
        INSERT INTO prompts (id, file_id, prompt_index, message) VALUES (5, 99, 1, 'orphan');
    """,
    )


def fk_orphans(tmp_path: Path) -> Path:
    """A child row pointing at a parent that is not there (written with foreign_keys off)."""
    path, conn = _ailt(tmp_path, "fk_orphans.sqlite")
    conn.execute("PRAGMA foreign_keys = OFF")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE owner (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE pet (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                          owner_id INTEGER REFERENCES owner(id));
        INSERT INTO owner (id, name) VALUES (1, 'Ann');
        INSERT INTO pet (id, name, owner_id) VALUES (1, 'Rex', 1), (7, 'Ghost', 99);
    """,
    )


LONG_TABLE = "t" * 70  # 70 ASCII characters: PostgreSQL keeps 63
LONG_COLUMN = "c" * 70
TWIN_A = "x" * 63 + "_alpha"  # equal to TWIN_B in their first 63 bytes
TWIN_B = "x" * 63 + "_beta"


TWIN_COL_A = "y" * 63 + "_one"  # two columns of one table equal in their first 63 bytes
TWIN_COL_B = "y" * 63 + "_two"


def long_identifiers(tmp_path: Path) -> Path:
    """A 70-character table and column name, and names equal in their first 63 bytes."""
    path, conn = _ailt(tmp_path, "long_names.sqlite")
    return _finish(
        path,
        conn,
        f"""
        CREATE TABLE twin_columns (id INTEGER PRIMARY KEY, "{TWIN_COL_A}" TEXT,
                                   "{TWIN_COL_B}" INTEGER);
        INSERT INTO twin_columns VALUES (1, 'one', 2);
        CREATE TABLE "{LONG_TABLE}" (id INTEGER PRIMARY KEY, "{LONG_COLUMN}" TEXT);
        INSERT INTO "{LONG_TABLE}" VALUES (1, 'long');
        CREATE TABLE "{TWIN_A}" (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE "{TWIN_B}" (id INTEGER PRIMARY KEY, v TEXT);
        INSERT INTO "{TWIN_A}" VALUES (1, 'a');
        INSERT INTO "{TWIN_B}" VALUES (1, 'b'), (2, 'bb');
    """,
    )


def awkward_names(tmp_path: Path) -> Path:
    """Names that need quoting: spaces, capitals, reserved words, a double quote."""
    path, conn = _ailt(tmp_path, "awkward_names.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE "Order Items" ("select" INTEGER PRIMARY KEY, "Group" TEXT NOT NULL,
                                    "say ""hi"" now" TEXT, "user" INTEGER);
        CREATE INDEX "idx Order Items group" ON "Order Items" ("Group");
        INSERT INTO "Order Items" VALUES (1, 'A', 'x', 10), (2, 'b', NULL, NULL);
    """,
    )


def nocase_unique(tmp_path: Path) -> Path:
    """``UNIQUE`` on a ``COLLATE NOCASE`` column: 'Alpha' and 'ALPHA' collide in SQLite."""
    path, conn = _ailt(tmp_path, "nocase.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE names_ci (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE);
        INSERT INTO names_ci (name) VALUES ('Alpha'), ('beta'), ('Gamma'), ('\u00c9lan');
    """,
    )


def strict_any(tmp_path: Path) -> Path:
    """A STRICT table with an ANY column holding an integer, text, a real and NULL."""
    path, conn = _ailt(tmp_path, "strict.sqlite")
    return _finish(
        path,
        conn,
        """
        CREATE TABLE strict_things (id INTEGER PRIMARY KEY, anything ANY,
                                    label TEXT NOT NULL) STRICT;
        INSERT INTO strict_things (anything, label) VALUES (1, 'int'), ('x', 'text'),
                                                           (2.5, 'real'), (NULL, 'null');
    """,
    )


def internal_tables(tmp_path: Path) -> Path:
    """``sqlite_sequence`` (AUTOINCREMENT) and ``sqlite_stat1`` (ANALYZE)."""
    path, conn = _ailt(tmp_path, "internal.sqlite")
    conn.executescript("""
        CREATE TABLE seq_thing (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
        INSERT INTO seq_thing (v) VALUES ('a'), ('b');
        CREATE INDEX idx_seq_thing_v ON seq_thing(v);
        ANALYZE;
    """)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sqlite_sequence", "sqlite_stat1"} <= names, names
    return _finish(path, conn)


UTF16_TEXTS = [
    "plain ascii",
    "caf\u00e9 cr\u00e8me",
    "\u65e5\u672c\u8a9e",
    "emoji \U0001f600",
    "tab\tand newline\n",
]


def utf16(tmp_path: Path) -> Path:
    """A UTF-16le file holding ordinary text (no NUL characters at all)."""
    path, conn = _ailt(tmp_path, "utf16.sqlite", encoding="UTF-16le")
    assert conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-16le"
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [(t,) for t in UTF16_TEXTS])
    conn.executemany(
        "INSERT INTO prompts (file_id, prompt_index, message) VALUES (1, ?, ?)",
        list(enumerate(UTF16_TEXTS, start=1)),
    )
    return _finish(path, conn)


def wal_with_uncheckpointed_rows(
    tmp_path: Path, folder: str = "wal"
) -> tuple[Path, sqlite3.Connection]:
    """A WAL-mode file whose last rows are only in ``-wal``.

    Returns the path and the connection that keeps the WAL from being checkpointed; the caller
    closes it after the run.
    """
    (tmp_path / folder).mkdir()
    path, conn = _ailt(tmp_path / folder, "wal.sqlite")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.executescript("""
        CREATE TABLE wal_rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
        INSERT INTO wal_rows (v) VALUES ('committed in the wal 1'), ('committed in the wal 2');
    """)
    conn.commit()
    assert (path.parent / (path.name + "-wal")).stat().st_size > 0
    return path, conn


_WAL_WRITER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("CREATE TABLE wal_rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
conn.execute("INSERT INTO wal_rows (v) VALUES ('only in the wal 1'), ('only in the wal 2')")
conn.execute("UPDATE prompts SET message = 'changed in the wal' WHERE id = 1")
print("ready", flush=True)
time.sleep(600)
"""


def wal_left_by_killed_writer(tmp_path: Path, folder: str = "walk") -> Path:
    """A WAL-mode file whose writer was killed: its last commits are only in ``-wal``.

    Nothing checkpointed them, so a reader that ignores ``-wal`` (``immutable=1``) misses the
    table ``wal_rows`` and sees the old prompt message.
    """
    (tmp_path / folder).mkdir()
    path, conn = _ailt(tmp_path / folder, "walk.sqlite")
    conn.execute("PRAGMA journal_mode = WAL")
    _finish(path, conn)
    _run_until_ready_then_kill(_WAL_WRITER, path)
    wal = path.parent / (path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the killed writer left no -wal"
    immutable = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        names = {r[0] for r in immutable.execute("SELECT name FROM sqlite_master")}
        assert "wal_rows" not in names, "the rows reached the main file: not a WAL test"
    finally:
        immutable.close()
    return path


def _run_until_ready_then_kill(script: str, path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()


_WRITER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = 2")
conn.execute("BEGIN")
conn.execute("UPDATE bulk SET v = upper(v) || '-half-written'")
print("ready", flush=True)
time.sleep(600)
"""


def hot_journal(tmp_path: Path) -> tuple[Path, Path]:
    """A rollback-journal file whose writer was killed mid-transaction (a hot ``-journal``).

    Returns the file and a ``reference`` copy in another folder that SQLite itself rolled back:
    what a reader must see.
    """
    folder = tmp_path / "hot"
    folder.mkdir()
    path, conn = _ailt(folder, "hot.sqlite")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    conn.executemany(
        "INSERT INTO bulk (v) VALUES (?)", [(f"row {i} " + "x" * 200,) for i in range(3000)]
    )
    _finish(path, conn)
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        journal = folder / (path.name + "-journal")
        deadline = time.monotonic() + 10
        while not (journal.exists() and journal.stat().st_size > 0):
            if time.monotonic() > deadline:  # pragma: no cover
                raise RuntimeError("the writer never spilled its journal")
            time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert journal.exists(), "the killed writer left no -journal"
    ref_dir = tmp_path / "hot_reference"
    ref_dir.mkdir()
    shutil.copy2(path, ref_dir / path.name)
    shutil.copy2(journal, ref_dir / journal.name)
    ref = sqlite3.connect(ref_dir / path.name)  # read-write: rolls the hot journal back
    try:
        ref.execute("SELECT count(*) FROM bulk").fetchone()
        assert ref.execute(
            "SELECT count(*) FROM bulk WHERE v LIKE '%-half-written'"
        ).fetchone() == (0,)
    finally:
        ref.close()
    return path, ref_dir / path.name


# --------------------------------------------------------------------------------------------
# Independent comparison of both sides, cell by cell
# --------------------------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    """A name as an SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def ordinary_tables(path: Path) -> list[str]:
    """Tables holding data: not internal, not virtual, not a virtual table's shadow."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    virtual = [n for n, s in rows if (s or "").upper().startswith("CREATE VIRTUAL TABLE")]
    out = []
    for name, _sql in rows:
        if name.startswith("sqlite_") or name in virtual:
            continue
        if any(name.startswith(v + "_") for v in virtual):
            continue
        out.append(name)
    return sorted(out)


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, int]]:
    """(name, pk position) for every column, generated ones included."""
    rows = conn.execute(f"PRAGMA table_xinfo({quote_ident(table)})").fetchall()
    return [
        (r[1].decode() if isinstance(r[1], bytes) else r[1], r[5])
        for r in rows
        if r[6] in (0, 2, 3)
    ]


def _key_canon(tag: str, value: Any) -> Any:
    """A key value both sides agree on: numbers as exact decimals, text as UTF-8 bytes."""
    if tag == "null":
        return None
    if tag in ("integer", "real"):
        return ("n", Decimal(value))
    return ("b", bytes(value))


def _pg_key_canon(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return ("n", Decimal(int(value)))
    if isinstance(value, (int, float, Decimal)):
        return ("n", Decimal(value))
    if isinstance(value, str):
        return ("b", value.encode("utf-8"))
    if isinstance(value, (bytes, memoryview)):
        return ("b", bytes(value))
    return ("o", str(value))


def _bits(x: float) -> bytes:
    return struct.pack(">d", x)


def _parse_sqlite_instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cell_matches(tag: str, sqlite_value: Any, pg_value: Any) -> bool:
    """Whether the PostgreSQL value is exactly the SQLite value (``tag`` is SQLite's typeof).

    Same type: ints equal, floats bit for bit, text as UTF-8 bytes, blobs byte for byte.
    Across types (a mixed column that became TEXT or NUMERIC): the PostgreSQL value must denote
    exactly the same number or text, never a rounded one.
    """
    if tag == "null" or pg_value is None:
        return tag == "null" and pg_value is None
    if isinstance(pg_value, memoryview):
        pg_value = bytes(pg_value)
    if tag == "integer":
        n = int(sqlite_value)
        if isinstance(pg_value, bool):
            return n == int(pg_value) and n in (0, 1)
        if isinstance(pg_value, int):
            return n == pg_value
        if isinstance(pg_value, Decimal):
            return Decimal(n) == pg_value
        if isinstance(pg_value, float):
            return float(n) == pg_value and Decimal(pg_value) == Decimal(n)
        if isinstance(pg_value, str):
            return pg_value == str(n)
        return False
    if tag == "real":
        f = float(sqlite_value)
        if isinstance(pg_value, float):
            if math.isnan(f):
                return math.isnan(pg_value)
            return _bits(f) == _bits(pg_value)
        if isinstance(pg_value, Decimal):
            return pg_value == Decimal(f) or pg_value == Decimal(repr(f))
        if isinstance(pg_value, int):
            return Decimal(f) == Decimal(pg_value)
        if isinstance(pg_value, str):
            try:
                return _bits(float(pg_value)) == _bits(f)
            except ValueError:
                return False
        return False
    if tag == "text":
        raw = bytes(sqlite_value)
        if isinstance(pg_value, str):
            return raw == pg_value.encode("utf-8")
        if isinstance(pg_value, bytes):
            return raw == pg_value
        if isinstance(pg_value, datetime):
            return _parse_sqlite_instant(raw.decode("utf-8", "replace")) == pg_value
        if isinstance(pg_value, (int, Decimal)) and not isinstance(pg_value, bool):
            try:
                return Decimal(raw.decode()) == Decimal(pg_value)
            except (InvalidOperation, UnicodeDecodeError):
                return False
        return False
    if tag == "blob":
        return isinstance(pg_value, bytes) and bytes(sqlite_value) == pg_value
    return False


SqliteRows = list[list[tuple[str, Any]]]  # per row: (typeof, value) per column


def _read_sqlite(path: Path, table: str) -> tuple[list[str], list[int], SqliteRows]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    try:
        cols = _sqlite_columns(conn, table)
        names = [c for c, _ in cols]
        pk = [i for _, i in sorted((p, i) for i, (_, p) in enumerate(cols) if p)]
        select = ", ".join(f"typeof({quote_ident(c)}), {quote_ident(c)}" for c in names)
        rows = []
        for raw in conn.execute(f"SELECT {select} FROM {quote_ident(table)}"):
            rows.append(
                [
                    (
                        raw[2 * i].decode() if isinstance(raw[2 * i], bytes) else raw[2 * i],
                        raw[2 * i + 1],
                    )
                    for i in range(len(names))
                ]
            )
        return names, pk, rows
    finally:
        conn.close()


def assert_same_content(
    path: Path,
    pg: psycopg.Connection,
    tables: Iterable[str] | None = None,
    *,
    renames: dict[str, str] | None = None,
    column_renames: dict[tuple[str, str], str] | None = None,
) -> dict[str, int]:
    """Every cell of every (given) table equal on both sides; returns rows per table.

    Rows are matched by primary key (as SQLite declares it), or as a multiset of whole rows when
    the table has none. ``renames`` maps SQLite table names to PostgreSQL ones, ``column_renames``
    maps ``(sqlite_table, sqlite_column)`` to the PostgreSQL column name.
    """
    renames = renames or {}
    column_renames = column_renames or {}
    counts: dict[str, int] = {}
    for table in list(tables) if tables is not None else ordinary_tables(path):
        names, pk, rows = _read_sqlite(path, table)
        pg_table = renames.get(table, table)
        pg_names = [column_renames.get((table, c), c) for c in names]
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in pg_names), sql.Identifier(pg_table)
        )
        pg_rows = pg.execute(query).fetchall()
        assert len(rows) == len(pg_rows), (
            f"{table}: {len(rows)} rows in SQLite, {len(pg_rows)} in PostgreSQL"
        )
        counts[table] = len(rows)
        if pk and not any(row[i][0] == "null" for row in rows for i in pk):
            left = {tuple(_key_canon(*row[i]) for i in pk): row for row in rows}
            right = {tuple(_pg_key_canon(prow[i]) for i in pk): prow for prow in pg_rows}
            assert len(left) == len(rows), f"{table}: duplicate keys in SQLite?"
            assert set(left) == set(right), (
                f"{table}: keys differ: only in SQLite {sorted(map(str, set(left) - set(right)))}, "
                f"only in PostgreSQL {sorted(map(str, set(right) - set(left)))}"
            )
            for key, row in left.items():
                prow = right[key]
                for i, (tag, value) in enumerate(row):
                    assert cell_matches(tag, value, prow[i]), (
                        f"{table} key {key} column {names[i]}: SQLite {tag} {value!r} "
                        f"!= PostgreSQL {prow[i]!r}"
                    )
        else:
            unmatched = list(pg_rows)
            for row in rows:
                for j, prow in enumerate(unmatched):
                    if all(cell_matches(tag, value, prow[i]) for i, (tag, value) in enumerate(row)):
                        del unmatched[j]
                        break
                else:
                    raise AssertionError(
                        f"{table}: SQLite row {row!r} has no equal in "
                        f"PostgreSQL (left: {unmatched!r})"
                    )
    return counts


def pg_tables(pg: psycopg.Connection) -> set[str]:
    """Every table (and view) name in the target database's non-system schemas."""
    rows = pg.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%'"
    ).fetchall()
    return {r[0] for r in rows}


def folder_state(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file in a folder with its size and bytes (to prove nothing changed)."""
    return {
        p.name: (p.stat().st_size, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()
    }


def is_root() -> bool:
    """Root ignores mode bits: read-only folders and mode-000 files cannot be simulated."""
    return hasattr(os, "geteuid") and os.geteuid() == 0
