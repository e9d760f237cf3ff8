"""Files a reviewer built to break issues 9 and 10, kept as regression tests.

Each used to end in a silent change, a dry run that said 0 before an execute that failed, or a
traceback. The harness is the wild-files one: dry run and execute on one fresh database, the
same status from both, every cell compared independently afterwards.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests import wild_files as wf
from tests.postgres import TargetDb
from tests.test_wild_files import cli, dry_json, dry_then_execute, find, run_args


def _file(tmp_path: Path, name: str, script: str) -> Path:
    path, conn = wf._ailt(tmp_path, name)
    return wf._finish(path, conn, script)


def _refuses(pg: psycopg.Connection, statement: str) -> bool:
    try:
        with pg.transaction():
            pg.execute(statement)
    except psycopg.Error:
        return True
    return False


def test_timestamps_finer_than_microseconds_are_refused_not_cut(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = _file(
        tmp_path,
        "nanos.sqlite",
        """
        INSERT INTO files (path, ingested_at) VALUES ('b', '2025-06-01 12:00:00.1234565'),
            ('c', '2025-06-01T12:00:00.123456789Z'), ('d', '2025-06-01 12:00:00.1234560');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 3
    flagged = {(p["table"], p["column"]) for p in runs.dry["problems"]}
    assert flagged == {("files", "ingested_at")}
    assert len(runs.dry["problems"]) == 2  # the trailing zero is exact


def test_not_like_and_backslashes_keep_sqlite_meaning(tmp_path: Path, target_db: TargetDb) -> None:
    db = _file(
        tmp_path,
        "like.sqlite",
        r"""
        CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT CHECK (code NOT LIKE 'tmp%'),
                        tag TEXT CHECK (tag LIKE 'a\%'), word TEXT CHECK (word LIKE 'é%'));
        INSERT INTO p VALUES (1, 'prod1', 'a\xyz', 'éclair'), (2, 'TMX', 'A\b', 'é');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        assert _refuses(pg, "INSERT INTO p (code) VALUES ('TMP9')")  # ASCII case folded
        assert not _refuses(pg, "INSERT INTO p (code, tag) VALUES ('hello', 'a\\q')")
        assert _refuses(pg, "INSERT INTO p (tag) VALUES ('b')")


def test_rules_that_reject_sqlite_rows_once_translated_are_named(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A NOCASE column's CHECK and a unique lower() index differ in PostgreSQL: the dry run
    finds that on the rows and names them, and execute then commits."""
    db = _file(
        tmp_path,
        "rules.sqlite",
        """
        CREATE TABLE t (id INTEGER PRIMARY KEY, st TEXT COLLATE NOCASE
                            CHECK (st IN ('open', 'closed')), e TEXT);
        CREATE UNIQUE INDEX t_e ON t (lower(e));
        INSERT INTO t VALUES (1, 'OPEN', 'É'), (2, 'closed', 'é');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    dropped = {
        o["kind"] for o in find(runs.dry, {"check", "unique"}) if o["verdict"] == "not migrated"
    }
    assert dropped == {"check", "unique"}
    assert "check t:" in runs.text and "unique t_e: not migrated" in runs.text
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)


def test_largest_integer_key_still_migrates(tmp_path: Path, target_db: TargetDb) -> None:
    db = _file(
        tmp_path,
        "maxid.sqlite",
        """
        CREATE TABLE big (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
        INSERT INTO big VALUES (9223372036854775807, 'last');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)


def test_rules_of_a_table_created_beforehand_are_named(tmp_path: Path, target_db: TargetDb) -> None:
    db = _file(
        tmp_path,
        "existing.sqlite",
        """
        CREATE TABLE m (id INTEGER PRIMARY KEY, email TEXT UNIQUE,
                        age INTEGER DEFAULT 18 CHECK (age >= 0), pid INTEGER REFERENCES m(id));
        CREATE INDEX m_age ON m (age);
        INSERT INTO m VALUES (1, 'a@x', 30, NULL);
    """,
    )
    with target_db.connect() as pg:
        pg.execute("CREATE TABLE m (id bigint PRIMARY KEY, email text, age bigint, pid bigint)")
    status, data, _ = dry_json(tmp_path, db, target_db)
    assert status == 0
    kinds = {
        o["kind"] for o in data["objects"] if o["table"] == "m" and o["verdict"] == "not migrated"
    }
    assert kinds >= {"unique", "check", "default", "foreign key", "index"}


def test_existing_generated_column_is_refused_by_the_dry_run(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = _file(
        tmp_path,
        "gen_target.sqlite",
        """
        CREATE TABLE g (id INTEGER PRIMARY KEY, a INTEGER, c INTEGER);
        INSERT INTO g VALUES (1, 2, 4);
    """,
    )
    with target_db.connect() as pg:
        pg.execute(
            "CREATE TABLE g (id bigint PRIMARY KEY, a bigint, "
            "c bigint GENERATED ALWAYS AS (a * 2) STORED)"
        )
    status, _data, err = dry_json(tmp_path, db, target_db)
    assert status == 3 and "generated column" in err


@pytest.mark.parametrize(
    "case", ["unknown collation", "blob and text in a BLOB column", "real too big for numeric(6,2)"]
)
def test_no_traceback(tmp_path: Path, target_db: TargetDb, case: str) -> None:
    if case == "unknown collation":
        path, conn = wf._ailt(tmp_path, "anki.sqlite")
        conn.create_collation("unicase", _unicase)
        conn.executescript("""
            CREATE TABLE notes (id INTEGER PRIMARY KEY, sfld TEXT COLLATE unicase);
            CREATE INDEX ix_notes_sfld ON notes (sfld);
            CREATE TABLE tags (tag TEXT NOT NULL COLLATE unicase, usn INTEGER);
            INSERT INTO notes VALUES (1, 'b'), (2, 'A');
            INSERT INTO tags VALUES ('x', 1), ('Y', 2);
        """)
        db = wf._finish(path, conn)
    elif case.startswith("blob"):
        db = _file(
            tmp_path,
            "blob.sqlite",
            """
            CREATE TABLE e (id INTEGER PRIMARY KEY, b BLOB);
            INSERT INTO e VALUES (1, x'ff'), (2, 'some text');
        """,
        )
    else:
        db = _file(
            tmp_path,
            "numeric.sqlite",
            """
            INSERT INTO token_messages (prompt_id, primary_used_percent) VALUES (1, 1e30);
        """,
        )
        with target_db.connect() as pg:
            pg.execute(sqlite_free_ailt_schema())
    status, _data, _err = dry_json(tmp_path, db, target_db)  # asserts: no traceback
    proc = cli(tmp_path, *run_args(db, target_db, "--execute", "--json"))
    assert proc.returncode == status, (status, proc.returncode, proc.stderr)


def _unicase(a: str, b: str) -> int:
    """Anki's collation, roughly: case-insensitive."""
    return (a.lower() > b.lower()) - (a.lower() < b.lower())


def sqlite_free_ailt_schema() -> str:
    """A few of AI Log Trail's tables created beforehand, with a numeric(6,2) column."""
    return """
        CREATE TABLE files (id bigint PRIMARY KEY, path text NOT NULL UNIQUE,
                            ingested_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE prompts (id bigint PRIMARY KEY, file_id bigint NOT NULL,
                              prompt_index bigint NOT NULL, timestamp text, message text,
                              active_file text, open_tabs text, my_request text, raw_json text);
        CREATE TABLE token_messages (id bigint PRIMARY KEY, prompt_id bigint NOT NULL,
            timestamp text, primary_used_percent numeric(6,2), primary_window_minutes bigint,
            primary_resets text, secondary_used_percent double precision,
            secondary_window_minutes bigint, secondary_resets text, raw_json text);
    """


def test_report_into_a_folder_is_one_sentence(tmp_path: Path, target_db: TargetDb) -> None:
    db = _file(tmp_path, "plain.sqlite", "")
    proc = cli(tmp_path, *run_args(db, target_db, "--report", str(tmp_path)))
    assert proc.returncode == 2 and "is a folder" in proc.stderr


def test_views_with_mixed_case_columns_and_boolean_defaults(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Entity Framework / Prisma style names and defaults."""
    db = _file(
        tmp_path,
        "orm.sqlite",
        """
        CREATE TABLE "Order" ("Id" INTEGER PRIMARY KEY, "Total" REAL NOT NULL,
                              "published" BOOLEAN NOT NULL DEFAULT false,
                              "label" TEXT NOT NULL DEFAULT "none");
        CREATE VIEW "OrderView" AS SELECT Id, Total FROM "Order" WHERE Total > 1;
        INSERT INTO "Order" ("Id", "Total") VALUES (1, 2.5), (2, 0.5);
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    view = find(runs.dry, "view", name="OrderView")[0]
    assert view["verdict"] in ("migrated as it is", "translated"), view
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        assert pg.execute('SELECT "Id" FROM "OrderView"').fetchall() == [(1,)]
        pg.execute('INSERT INTO "Order" ("Total") VALUES (3)')
        assert pg.execute(
            'SELECT "published", "label" FROM "Order" WHERE "Total" = 3'
        ).fetchone() == (0, "none")


def test_a_table_named_like_a_catalog(tmp_path: Path, target_db: TargetDb) -> None:
    db = _file(
        tmp_path,
        "catalog.sqlite",
        """
        CREATE TABLE pg_type (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
        INSERT INTO pg_type VALUES (1, 'a');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr


def test_shadow_tables_of_a_missing_module_are_not_copied(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path, conn = wf._ailt(tmp_path, "vec.sqlite")
    conn.executescript("""
        CREATE TABLE vec_items_chunks (chunk_id INTEGER PRIMARY KEY, data BLOB);
        CREATE TABLE vec_items_rowids (rowid INTEGER PRIMARY KEY, id TEXT);
        INSERT INTO vec_items_chunks VALUES (1, x'00');
        PRAGMA writable_schema = ON;
        INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES
            ('table', 'vec_items', 'vec_items', 0,
             'CREATE VIRTUAL TABLE vec_items USING vec0(embedding float[4])');
        PRAGMA writable_schema = OFF;
    """)
    db = wf._finish(path, conn)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    shadows = {o["name"] for o in find(runs.dry, "shadow table")}
    assert shadows == {"vec_items_chunks", "vec_items_rowids"}
    with target_db.connect() as pg:
        assert not {t for t in wf.pg_tables(pg) if t.startswith("vec_")}


def test_a_view_over_a_nocase_column_is_named_not_migrated(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """SQLite compares the column without case; the same view in PostgreSQL would not."""
    db = _file(
        tmp_path,
        "view_nocase.sqlite",
        """
        CREATE TABLE tickets (id INTEGER PRIMARY KEY, status TEXT COLLATE NOCASE);
        CREATE VIEW open_tickets AS SELECT id FROM tickets WHERE status = 'open';
        INSERT INTO tickets VALUES (1, 'OPEN'), (2, 'open');
    """,
    )
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    view = find(runs.dry, "view", name="open_tickets")[0]
    assert view["verdict"] == "not migrated" and "NOCASE" in view["detail"]
