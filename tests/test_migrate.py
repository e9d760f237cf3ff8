"""The migration against a real PostgreSQL: exact values, identities, one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from app.core.ailt_schema import KNOWN_TABLES
from app.core.dsn import parse_dsn
from app.core.errors import Cancelled, ConnectFailed, Refused, VerificationFailed
from app.core.migrate import Options, dry_run, execute
from app.core.plan import Plan
from app.core.scan import ACCEPT_LOSSY, WIDEN, Problem, ProblemCode
from app.core.source import inspect_source
from tests.helpers import assert_tables_identical, empty_ailt_db, sample_db
from tests.postgres import TargetDb


def _target(db: TargetDb):  # type: ignore[no-untyped-def]
    return parse_dsn(db.conninfo).with_password(db.password)


def _one(conn: psycopg.Connection, query: str, params: list[object] | None = None) -> object:
    """The single value a query returns."""
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r[0] for r in rows}


def test_dry_run_writes_nothing(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    plan = dry_run(path, _target(target_db))
    assert plan.server_version.split(".")[0].isdigit()
    assert {t.status for t in plan.tables} == {"will be created"}
    assert [t.name for t in plan.tables] == [t.name for t in KNOWN_TABLES]
    assert plan.problems == []
    with target_db.connect() as conn:
        assert _tables(conn) == set()


def test_full_migration_is_exact(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, sessions=4)
    result = execute(path, _target(target_db))
    assert result.committed and result.counts_match and result.checksums_match
    with target_db.connect() as conn:
        for spec in KNOWN_TABLES:
            assert_tables_identical(path, conn, spec.name)
        types: dict[str, str] = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'token_messages'"
            ).fetchall()
        )
        assert types["primary_used_percent"] == "double precision"


def test_identity_sequences_are_past_the_highest_id(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    execute(path, _target(target_db))
    with target_db.connect() as conn:
        conn.execute("INSERT INTO files (path) VALUES ('/next')")
        conn.execute("INSERT INTO redactions (replacement_text) VALUES ('x')")
        fid = _one(conn, "SELECT max(id) FROM files")
        conn.execute("INSERT INTO sessions (file_id) VALUES (%s)", [fid])
        pid = _one(
            conn, "INSERT INTO prompts (file_id, prompt_index) VALUES (%s, 0) RETURNING id", [fid]
        )
        for spec in KNOWN_TABLES:
            if (
                spec.name != "redactions"
                and spec.foreign_keys[:1]
                and spec.foreign_keys[0].parent == "prompts"
            ):
                conn.execute(f"INSERT INTO {spec.name} (prompt_id) VALUES (%s)", [pid])
        conn.execute(
            "INSERT INTO events (file_id, timestamp, event_type, category, priority) "
            "VALUES (%s, 'now', 'x', 'y', 'z')",
            [fid],
        )


def test_empty_tables_get_usable_sequences(tmp_path: Path, target_db: TargetDb) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.close()
    execute(tmp_path / "tiny.sqlite", _target(target_db))
    with target_db.connect() as pg:
        assert pg.execute("INSERT INTO files (path) VALUES ('a') RETURNING id").fetchone() == (1,)


def test_tricky_text_reals_and_timestamps(tmp_path: Path, target_db: TargetDb) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path, ingested_at) VALUES ('a', '2025-01-02 03:04:05')")
    conn.execute("INSERT INTO files (path, ingested_at) VALUES ('b', '2025-06-30T23:59:59.25Z')")
    texts = [
        "tab\there",
        "cr\r\nlf",
        "back\\slash \\N",
        "",
        "é ü ß 中文 🙂👍🏽",
        "\x08\x0c\x0b",
        "x" * 100_000,
        "trailing space ",
        "'quotes\" and ;",
    ]
    for i, text in enumerate(texts):
        conn.execute(
            "INSERT INTO prompts (file_id, prompt_index, message, raw_json) VALUES (1, ?, ?, NULL)",
            [i, text],
        )
    reals = [0.1, 1 / 3, 37.123456789012, 1e-300, 1.7976931348623157e308, -0.0, 5e-324, 2.0**60]
    for r in reals:
        conn.execute(
            "INSERT INTO token_messages (prompt_id, primary_used_percent, "
            "primary_window_minutes) VALUES (1, ?, ?)",
            [r, 2**62],
        )
    conn.commit()
    conn.close()
    path = tmp_path / "tiny.sqlite"
    with target_db.connect() as pg:  # a server whose sessions are not in UTC
        pg.execute(f"ALTER DATABASE \"{target_db.name}\" SET timezone TO 'America/New_York'")
    execute(path, _target(target_db))
    with target_db.connect() as pg:
        for table in ("files", "prompts", "token_messages"):
            assert_tables_identical(path, pg, table)
        pg.execute("SET TimeZone = 'Asia/Tokyo'")
        epoch = pg.execute("SELECT extract(epoch FROM ingested_at) FROM files ORDER BY id")
        assert [float(r[0]) for r in epoch] == [1735787045.0, 1751327999.25]
        assert pg.execute(
            "SELECT message IS NULL, message = '' FROM prompts WHERE prompt_index = 3"
        ).fetchone() == (False, True)


def test_older_nine_table_file(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, older=True)
    result = execute(path, _target(target_db))
    assert "redactions" not in [c.table for c in result.checks]
    with target_db.connect() as conn:
        assert "redactions" not in _tables(conn)
        assert_tables_identical(path, conn, "events")


def test_extra_tables_are_translated_and_copied(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, extra_tables=True)
    plan = dry_run(path, _target(target_db))
    extra = [t for t in plan.tables if not t.known]
    assert {t.name for t in extra} == {"redaction_rules", "session_context"}
    assert all("not an AI Log Trail table" in " ".join(t.notes) for t in extra)
    execute(path, _target(target_db))
    with target_db.connect() as conn:
        for name in ("redaction_rules", "session_context"):
            assert_tables_identical(path, conn, name)
        fks = conn.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint "
            "WHERE conrelid = 'session_context'::regclass AND contype = 'f'"
        ).fetchall()
        assert fks == [("sessions",)]
        conn.execute("INSERT INTO redaction_rules (name, pattern) VALUES ('new', 'x')")


def _ailt_own_schema(conn: psycopg.Connection) -> None:
    """AI Log Trail's own PostgreSQL schema, as its ingest creates it beforehand."""
    conn.execute("""
        CREATE TABLE files (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            ingested_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP);
        CREATE TABLE sessions (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            file_id INTEGER NOT NULL UNIQUE REFERENCES files(id) ON DELETE CASCADE,
            session_id TEXT, session_timestamp TEXT, cwd TEXT, approval_policy TEXT,
            sandbox_mode TEXT, network_access TEXT, raw_json TEXT);
        CREATE TABLE prompts (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            prompt_index INTEGER NOT NULL, timestamp TEXT, message TEXT, active_file TEXT,
            open_tabs TEXT, my_request TEXT, raw_json TEXT);
        CREATE TABLE token_messages (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
            timestamp TEXT, primary_used_percent REAL, primary_window_minutes INTEGER,
            primary_resets TEXT, secondary_used_percent REAL, secondary_window_minutes INTEGER,
            secondary_resets TEXT, raw_json TEXT);
    """)


def _lossy_problems(plan: Plan) -> list[Problem]:
    return [p for p in plan.problems if p.code == ProblemCode.LOSSY]


def test_real_columns_of_a_precreated_schema_refuse_by_default(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """AI Log Trail's own schema has 4-byte reals: rounding is listed, and execute refuses."""
    path = sample_db(tmp_path, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    plan = dry_run(path, _target(target_db))
    status = {t.name: t.status for t in plan.tables}
    assert status["files"] == "ready" and status["events"] == "will be created"
    lossy = _lossy_problems(plan)
    assert lossy and {p.table for p in lossy} == {"token_messages"}
    assert "would become" in lossy[0].detail
    with pytest.raises(Refused, match="token_messages"):
        execute(path, _target(target_db))
    with target_db.connect() as conn:
        assert _tables(conn) == {"files", "sessions", "prompts", "token_messages"}
        assert conn.execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_widen_turns_real_into_double_precision(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    options = Options(repairs=frozenset({WIDEN}))
    plan = dry_run(path, _target(target_db), options)
    widened = [o for o in plan.objects if o.verdict == "translated" and o.kind == "column"]
    assert {o.name for o in widened} >= {"token_messages.primary_used_percent"}
    result = execute(path, _target(target_db), options)
    assert result.committed and result.checksums_match and result.repaired == []
    with target_db.connect() as conn:
        assert conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = "
            "'token_messages' AND column_name = 'primary_used_percent'"
        ).fetchone() == ("double precision",)
        assert conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE "
            "table_name='files' AND column_name='id'"
        ).fetchone() == ("integer",)
        conn.execute("INSERT INTO files (path) VALUES ('/after')")
        for table in ("prompts", "token_messages"):
            assert_tables_identical(path, conn, table)


def test_accept_lossy_lists_every_changed_value(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    options = Options(repairs=frozenset({ACCEPT_LOSSY}))
    plan = dry_run(path, _target(target_db), options)
    result = execute(path, _target(target_db), options)
    assert result.committed and result.checksums_match
    assert len(result.repaired) == len(_lossy_problems(plan)) > 0
    assert all(p.repaired and p.repaired.startswith("accepted") for p in result.repaired)


def test_a_value_changed_on_the_way_fails_verification(tmp_path: Path, target_db: TargetDb) -> None:
    """Rounding that nobody declared (a domain rounding on insert) is caught: exit 5."""
    path = sample_db(tmp_path, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
        conn.execute(
            "ALTER TABLE token_messages ALTER COLUMN primary_used_percent TYPE double precision"
        )
        conn.execute("""
            CREATE FUNCTION nudge() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.primary_used_percent := NEW.primary_used_percent + 1e-9; RETURN NEW; END $$;
            CREATE TRIGGER nudge BEFORE INSERT ON token_messages
                FOR EACH ROW EXECUTE FUNCTION nudge();""")
    options = Options(repairs=frozenset({WIDEN}))
    with pytest.raises(VerificationFailed, match="token_messages"):
        execute(path, _target(target_db), options)
    with target_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM token_messages").fetchone() == (0,)


def test_integer_column_beyond_int4_refuses_or_widens(tmp_path: Path, target_db: TargetDb) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (id, path) VALUES (3000000000, '/big')")
    conn.commit()
    conn.close()
    path = tmp_path / "tiny.sqlite"
    with target_db.connect() as pg:
        _ailt_own_schema(pg)
    with pytest.raises(Refused, match="files"):
        execute(path, _target(target_db))
    result = execute(path, _target(target_db), Options(repairs=frozenset({WIDEN})))
    assert result.committed
    with target_db.connect() as pg:
        assert pg.execute("SELECT id FROM files").fetchone() == (3000000000,)


def test_varchar_too_short_is_listed_then_widened(tmp_path: Path, target_db: TargetDb) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (id, path) VALUES (1, '/a/path/longer/than/ten')")
    conn.commit()
    conn.close()
    path = tmp_path / "tiny.sqlite"
    with target_db.connect() as pg:
        pg.execute(
            "CREATE TABLE files (id BIGINT PRIMARY KEY, path VARCHAR(10) NOT NULL, "
            "ingested_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
    plan = dry_run(path, _target(target_db))
    lossy = _lossy_problems(plan)
    assert [(p.table, p.id, p.column) for p in lossy] == [("files", 1, "path")]
    with pytest.raises(Refused, match="files"):
        execute(path, _target(target_db))
    accepted = execute(path, _target(target_db), Options(repairs=frozenset({ACCEPT_LOSSY})))
    assert accepted.committed and [p.id for p in accepted.repaired] == [1]
    with target_db.connect() as pg:
        assert pg.execute("SELECT path FROM files").fetchone() == ("/a/path/lo",)


def test_mismatching_target_columns_are_refused(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    with target_db.connect() as conn:
        conn.execute("CREATE TABLE files (id BIGINT PRIMARY KEY, location TEXT NOT NULL)")
    plan = dry_run(path, _target(target_db))
    files = next(t for t in plan.tables if t.name == "files")
    assert files.status == "problem"
    assert any("has no column path" in n for n in files.notes)
    with pytest.raises(Refused, match="do not fit"):
        execute(path, _target(target_db))


def test_non_empty_target_is_refused_and_left_alone(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    execute(path, _target(target_db))
    plan = dry_run(path, _target(target_db))
    assert {t.status for t in plan.tables if t.source_rows} == {"target not empty"}
    with pytest.raises(Refused, match=r"already holds rows in files \(3 rows\)"):
        execute(path, _target(target_db))


def _bad_values_db(tmp_path: Path) -> Path:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path) VALUES ('a')")
    conn.execute("INSERT INTO prompts (file_id, prompt_index, message) VALUES (1, 0, 'ok')")
    conn.execute(
        "INSERT INTO prompts (file_id, prompt_index, message) VALUES (1, 1, ?)", ["nul\x00inside"]
    )
    conn.execute(
        "INSERT INTO prompts (file_id, prompt_index, message) VALUES "
        "(1, 2, CAST(X'6E6F742075746638FF' AS TEXT))"
    )
    conn.commit()
    conn.close()
    return tmp_path / "tiny.sqlite"


def test_values_postgres_cannot_take_are_listed_and_refused(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _bad_values_db(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO prompts (file_id, prompt_index) VALUES (1, 'three')")
    conn.execute("INSERT INTO prompts (file_id, prompt_index) VALUES (1, 4.5)")
    conn.commit()
    conn.close()
    plan = dry_run(path, _target(target_db))
    found = {(p.table, p.id, p.column, p.code) for p in plan.problems}
    assert found == {
        ("prompts", 2, "message", "nul"),
        ("prompts", 3, "message", "utf8"),
        ("prompts", 4, "prompt_index", "type"),
        ("prompts", 5, "prompt_index", "type"),
    }
    with pytest.raises(Refused, match="cannot be migrated"):
        execute(path, _target(target_db))
    with target_db.connect() as pg:
        assert _tables(pg) == set()


def test_repairs_fix_and_list_every_changed_value(tmp_path: Path, target_db: TargetDb) -> None:
    path = _bad_values_db(tmp_path)
    options = Options(repairs=frozenset({"strip-nul", "replace-invalid-utf8"}))
    result = execute(path, _target(target_db), options)
    assert result.checksums_match
    assert {(p.id, p.column, p.code) for p in result.repaired} == {
        (2, "message", "nul"),
        (3, "message", "utf8"),
    }
    with target_db.connect() as pg:
        rows = pg.execute("SELECT message FROM prompts ORDER BY id").fetchall()
    assert rows == [("ok",), ("nulinside",), ("not utf8\ufffd",)]


def test_int4_target_column_out_of_range(tmp_path: Path, target_db: TargetDb) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path) VALUES ('a')")
    conn.execute("INSERT INTO prompts (file_id, prompt_index) VALUES (1, ?)", [2**40])
    conn.commit()
    conn.close()
    with target_db.connect() as pg:
        _ailt_own_schema(pg)
    plan = dry_run(tmp_path / "tiny.sqlite", _target(target_db))
    assert [(p.column, p.code) for p in plan.problems] == [("prompt_index", "range")]


def test_cancel_mid_copy_leaves_the_target_unchanged(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, sessions=6)
    seen: list[str] = []

    def progress(table: str, done: int, total: int) -> None:
        seen.append(table)

    with pytest.raises(Cancelled):
        execute(
            path,
            _target(target_db),
            Options(batch_size=50),
            on_progress=progress,
            is_cancelled=lambda: "prompts" in seen,
        )
    with target_db.connect() as pg:
        assert _tables(pg) == set()


def test_connection_lost_mid_copy(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, sessions=6)
    killed: list[bool] = []

    def progress(table: str, done: int, total: int) -> None:
        if table == "prompts" and not killed:
            with target_db.server.admin() as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'ailt-migrate'"
                )
            killed.append(True)

    with pytest.raises(ConnectFailed, match="lost during the migration") as err:
        execute(path, _target(target_db), Options(batch_size=50), on_progress=progress)
    assert target_db.password not in str(err.value)
    with target_db.connect() as pg:
        assert _tables(pg) == set()


def test_verification_mismatch_rolls_back(tmp_path: Path, target_db: TargetDb) -> None:
    """A target that silently alters values (a trigger) fails verification; nothing stays."""
    from app.core.errors import VerificationFailed

    path = sample_db(tmp_path, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
        conn.execute("""
            CREATE FUNCTION shout() RETURNS trigger AS $$
            BEGIN NEW.message := upper(NEW.message); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER shout BEFORE INSERT ON prompts FOR EACH ROW EXECUTE FUNCTION shout();
        """)
    with target_db.connect() as conn:
        before = conn.execute("SELECT last_value, is_called FROM files_id_seq").fetchone()
    with pytest.raises(VerificationFailed, match="prompts"):
        execute(path, _target(target_db), Options(repairs=frozenset({WIDEN})))
    with target_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone() == (0,)
        # setval outlives a rollback, so sequences move only once verification passed
        assert conn.execute("SELECT last_value, is_called FROM files_id_seq").fetchone() == before
        assert "events" not in _tables(conn)


def test_user_without_create_rights(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    server = target_db.server
    server.create_role("ailt_reader", "reader-pw")
    with server.admin() as admin:
        admin.execute(f'GRANT CONNECT ON DATABASE "{target_db.name}" TO ailt_reader')
    with psycopg.connect(server.conninfo(target_db.name), autocommit=True) as db:
        db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader = parse_dsn(server.conninfo(target_db.name, "ailt_reader")).with_password("reader-pw")
    plan = dry_run(path, reader)
    assert {t.status for t in plan.tables} == {"problem"}
    with pytest.raises(Refused, match="may not create tables"):
        execute(path, reader)


def test_source_counts_match_dry_run(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    plan = dry_run(path, _target(target_db))
    assert {t.name: t.source_rows for t in plan.tables} == inspect_source(path).counts


def test_ids_of_deleted_rows_are_not_reused(tmp_path: Path, target_db: TargetDb) -> None:
    """AUTOINCREMENT never hands out a deleted id again; neither does the target afterwards."""
    conn = empty_ailt_db(tmp_path)
    conn.executemany("INSERT INTO files (path) VALUES (?)", [("a",), ("b",), ("c",)])
    conn.execute("DELETE FROM files WHERE id = 3")
    conn.commit()
    conn.close()
    execute(tmp_path / "tiny.sqlite", _target(target_db))
    with target_db.connect() as pg:
        assert pg.execute("INSERT INTO files (path) VALUES ('d') RETURNING id").fetchone() == (4,)


def test_execute_finds_nul_and_bad_utf8_while_copying(tmp_path: Path, target_db: TargetDb) -> None:
    """Execute skips the full text scan up front; the copy meets the values and lists them."""
    path = _bad_values_db(tmp_path)
    with pytest.raises(Refused, match="2 value") as err:
        execute(path, _target(target_db))
    assert "--repair" in str(err.value)
    with target_db.connect() as pg:
        assert _tables(pg) == set()


def test_table_without_integer_key_uses_text_copy(tmp_path: Path, target_db: TargetDb) -> None:
    """No integer key: rows are compared as an unordered multiset, floats bit for bit."""
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path) VALUES ('a')")
    conn.execute("CREATE TABLE tags (name TEXT PRIMARY KEY, weight REAL, note, seen DATETIME)")
    conn.executemany(
        "INSERT INTO tags VALUES (?, ?, ?, ?)",
        [("b\tx", 0.1, None, "2025-01-01"), ("a", 1e300, 42, None), ("c", None, "n\\o", "x")],
    )
    conn.commit()
    conn.close()
    path = tmp_path / "tiny.sqlite"
    result = execute(path, _target(target_db))
    assert {c.table: c.ok for c in result.checks}["tags"]
    with target_db.connect() as pg:
        rows = pg.execute("SELECT name, weight, note, seen FROM tags ORDER BY name").fetchall()
        assert rows == [
            ("a", 1e300, "42", None),
            ("b\tx", 0.1, None, "2025-01-01"),
            ("c", None, "n\\o", "x"),
        ]
        pk = pg.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'tags'::regclass AND contype = 'p'"
        ).fetchone()
        assert pk == (1,)


def test_existing_json_column_is_a_mismatch(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    with target_db.connect() as conn:
        conn.execute(
            "CREATE TABLE sessions (id BIGINT PRIMARY KEY, file_id BIGINT, "
            "session_id TEXT, session_timestamp TEXT, cwd TEXT, approval_policy TEXT, "
            "sandbox_mode TEXT, network_access TEXT, raw_json JSONB)"
        )
    plan = dry_run(path, _target(target_db))
    sessions = next(t for t in plan.tables if t.name == "sessions")
    assert sessions.status == "problem"
    assert any("raw_json is jsonb" in n for n in sessions.notes)


def test_mixed_value_types_in_a_translated_table(tmp_path: Path, target_db: TargetDb) -> None:
    """An untyped column holding numbers and text becomes TEXT, numbers written as text."""
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path) VALUES ('a')")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, v, n NUMERIC, b BLOB)")
    conn.executemany(
        "INSERT INTO notes (v, n, b) VALUES (?, ?, ?)",
        [(7, 1, b"\x00\xff"), ("seven ✓", 2.5, None), (0.25, None, b""), (None, 3, b"x")],
    )
    conn.commit()
    conn.close()
    result = execute(tmp_path / "tiny.sqlite", _target(target_db))
    assert result.checksums_match
    with target_db.connect() as pg:
        types: dict[str, str] = dict(
            pg.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'notes'"
            ).fetchall()
        )
        rows = pg.execute("SELECT v, n, b FROM notes ORDER BY id").fetchall()
    assert types == {"id": "bigint", "v": "text", "n": "double precision", "b": "bytea"}
    assert rows == [
        ("7", 1.0, b"\x00\xff"),
        ("seven ✓", 2.5, None),
        ("0.25", None, b""),
        (None, 3.0, b"x"),
    ]


def test_large_values_use_lz4_where_the_server_has_it(tmp_path: Path, target_db: TargetDb) -> None:
    with target_db.connect() as conn:
        row = conn.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).fetchone()
    if not (row and row[0]):
        pytest.skip("this PostgreSQL was built without lz4 (pglz is kept)")
    path = sample_db(tmp_path, sessions=6)
    execute(path, _target(target_db))
    with target_db.connect() as conn:
        methods = {
            r[0]
            for r in conn.execute(
                "SELECT pg_column_compression(output) FROM function_calls "
                "WHERE pg_column_compression(output) IS NOT NULL"
            )
        }
        assert methods == {"lz4"}
        assert_tables_identical(path, conn, "function_calls")
        conn.execute("INSERT INTO files (path) VALUES ('/after')")  # the server default again


def test_numeric_with_fewer_digits_is_listed_and_each_choice_holds(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """numeric(5,2) rounds silently in PostgreSQL: the dry run lists it, execute refuses, and
    widen or accept both end in a verified copy."""
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (id, path) VALUES (1, '/f')")
    conn.execute("INSERT INTO prompts (id, file_id, prompt_index) VALUES (1, 1, 0)")
    for i, v in enumerate([1.5, 33.333333333333336, 2.0, 7], start=1):
        conn.execute(
            "INSERT INTO token_messages (id, prompt_id, primary_used_percent) VALUES (?, 1, ?)",
            [i, v],
        )
    conn.commit()
    conn.close()
    path = tmp_path / "tiny.sqlite"
    with target_db.connect() as pg:
        _ailt_own_schema(pg)
        pg.execute("ALTER TABLE token_messages ALTER COLUMN primary_used_percent TYPE numeric(5,2)")
    plan = dry_run(path, _target(target_db))
    lossy = _lossy_problems(plan)
    assert [(p.id, p.column) for p in lossy] == [(2, "primary_used_percent")]
    assert "33.33" in lossy[0].detail
    with pytest.raises(Refused, match="token_messages"):
        execute(path, _target(target_db))
    accepted = execute(path, _target(target_db), Options(repairs=frozenset({ACCEPT_LOSSY})))
    assert accepted.committed and [p.id for p in accepted.repaired] == [2]
    with target_db.connect() as pg:
        assert [
            r[0]
            for r in pg.execute("SELECT primary_used_percent::text FROM token_messages ORDER BY id")
        ] == ["1.50", "33.33", "2.00", "7.00"]
        for table in ("token_messages", "prompts", "files"):
            pg.execute(f"TRUNCATE {table} CASCADE")
    widened = execute(path, _target(target_db), Options(repairs=frozenset({WIDEN})))
    assert widened.committed and widened.checksums_match
    with target_db.connect() as pg:
        assert_tables_identical(path, pg, "token_messages")
