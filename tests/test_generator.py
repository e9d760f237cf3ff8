"""The test-data generator writes files that look exactly like AI Log Trail's, deterministically.

No PostgreSQL here: these tests only read the generated SQLite files.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.ailt_schema import KNOWN_TABLES, OLDER_TABLES, create_sqlite_schema_sql
from app.sample.generator import EXTRA_TABLES_SQL, GeneratedStats, generate, main, parse_size

KNOWN_NAMES = {t.name for t in KNOWN_TABLES}


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """Read-only, and closed afterwards (sqlite3's own ``with`` only ends the transaction)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def _master(conn: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    return sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())


def _reference_master(script: str) -> list[tuple[str, str, str, str | None]]:
    ref = sqlite3.connect(":memory:")
    ref.executescript(script)
    try:
        return _master(ref)
    finally:
        ref.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
    ).fetchall()
    return [r[0] for r in rows]


def _text_columns(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    for table in _tables(conn):
        for _, col, decl, *_ in conn.execute(f"PRAGMA table_info({table})"):
            if decl == "TEXT":
                yield table, col


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with _connect(path) as conn:
        for table in sorted([*_tables(conn), "sqlite_sequence"]):
            order = "name" if table == "sqlite_sequence" else "id"
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                digest.update(repr((table, row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedStats]:
    """The default file: about 20 sessions, current schema."""
    path = tmp_path_factory.mktemp("gen") / "small.sqlite"
    return path, generate(path, seed=0)


@pytest.fixture(scope="module")
def extra_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedStats]:
    """A file of a later version: the two extra tables as well."""
    path = tmp_path_factory.mktemp("gen") / "extra.sqlite"
    return path, generate(path, sessions=8, seed=3, extra_tables=True)


@pytest.mark.parametrize("with_redactions", [True, False])
def test_schema_is_exactly_ailt_schema(tmp_path: Path, with_redactions: bool) -> None:
    path = tmp_path / "db.sqlite"
    generate(path, sessions=3, seed=1, with_redactions=with_redactions)
    with _connect(path) as conn:
        got = _master(conn)
    assert got == _reference_master(create_sqlite_schema_sql(with_redactions=with_redactions))


def test_older_variant_has_nine_tables_without_redactions(tmp_path: Path) -> None:
    path = tmp_path / "older.sqlite"
    stats = generate(path, sessions=4, seed=5, with_redactions=False)
    with _connect(path) as conn:
        tables = set(_tables(conn))
    assert tables == OLDER_TABLES
    assert len(tables) == 9
    assert "redactions" not in stats.rows


def test_current_variant_has_redaction_rows(small_db: tuple[Path, GeneratedStats]) -> None:
    path, stats = small_db
    assert stats.rows["redactions"] > 0
    with _connect(path) as conn:
        scopes = {r[0] for r in conn.execute("SELECT DISTINCT scope FROM redactions")}
        global_prompt_ids = conn.execute(
            "SELECT prompt_id FROM redactions WHERE scope = 'global'"
        ).fetchall()
        stamps = [r[0] for r in conn.execute("SELECT created_at FROM redactions")]
        updated = [r[0] for r in conn.execute("SELECT updated_at FROM redactions")]
    assert scopes <= {"prompt", "field", "global"}
    assert "global" in scopes
    assert global_prompt_ids and all(r[0] is None for r in global_prompt_ids)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s) for s in stamps)
    assert None in updated


def test_extra_tables_present_with_rows(extra_db: tuple[Path, GeneratedStats]) -> None:
    path, stats = extra_db
    with _connect(path) as conn:
        got = _master(conn)
        assert set(_tables(conn)) == KNOWN_NAMES | {"redaction_rules", "session_context"}
        n_rules = conn.execute("SELECT count(*) FROM redaction_rules").fetchone()[0]
        n_ctx = conn.execute("SELECT count(*) FROM session_context").fetchone()[0]
        fks = conn.execute("PRAGMA foreign_key_list(session_context)").fetchall()
        weights = {r[0] for r in conn.execute("SELECT typeof(weight) FROM redaction_rules")}
    script = create_sqlite_schema_sql(with_redactions=True) + "\n" + EXTRA_TABLES_SQL
    assert got == _reference_master(script)
    assert any(r[1] == "idx_session_context_session_id" for r in got)
    assert n_rules > 0 and n_ctx > 0
    assert stats.rows["redaction_rules"] == n_rules and stats.rows["session_context"] == n_ctx
    assert [(fk[2], fk[3], fk[4], fk[6]) for fk in fks] == [
        ("sessions", "session_id", "id", "CASCADE")
    ]
    assert weights == {"real", "null"}


@pytest.mark.parametrize("fixture", ["small_db", "extra_db"])
def test_integrity_foreign_keys_sequences(fixture: str, request: pytest.FixtureRequest) -> None:
    path, stats = request.getfixturevalue(fixture)
    with _connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        seq = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        for table in _tables(conn):
            count, top = conn.execute(f"SELECT count(*), max(id) FROM {table}").fetchone()
            assert count == stats.rows[table] > 0, table
            assert seq[table] == top, table
    assert not Path(str(path) + "-journal").exists()
    assert stats.file_bytes == path.stat().st_size


def test_session_shape(small_db: tuple[Path, GeneratedStats]) -> None:
    path, stats = small_db
    with _connect(path) as conn:
        files = conn.execute("SELECT id, path, ingested_at FROM files").fetchall()
        n_sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        per_file = conn.execute(
            "SELECT min(n) FROM (SELECT count(*) AS n FROM prompts GROUP BY file_id)"
        ).fetchone()[0]
        event_ts = [r[0] for r in conn.execute("SELECT timestamp FROM events")]
        raws = [
            r[0]
            for table in ("sessions", "prompts", "events", "function_calls", "token_messages")
            for r in conn.execute(
                f"SELECT raw_json FROM {table}".replace(
                    "raw_json FROM function_calls", "raw_call_json FROM function_calls"
                )
            )
        ]
        meta = json.loads(conn.execute("SELECT raw_json FROM sessions").fetchone()[0])
    assert len(files) == n_sessions == stats.rows["files"] == 20
    assert per_file >= 1
    for _, file_path, ingested in files:
        assert re.search(
            r"\.codex[/\\]sessions[/\\]\d{4}[/\\]\d\d[/\\]\d\d[/\\]rollout-", file_path
        )
        assert file_path.endswith(".jsonl")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", ingested)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", t) for t in event_ts)
    for raw in raws:
        json.loads(raw)
    assert meta["events"][0]["type"] == "session_meta"


def test_json_columns_hold_most_bytes(small_db: tuple[Path, GeneratedStats]) -> None:
    path, _ = small_db
    json_cols = {"raw_json", "raw_call_json", "raw_output_json", "arguments", "output", "data"}
    totals = {True: 0, False: 0}
    with _connect(path) as conn:
        for table, col in _text_columns(conn):
            size = conn.execute(
                f"SELECT coalesce(sum(length(CAST({col} AS BLOB))), 0) FROM {table}"
            ).fetchone()[0]
            totals[col in json_cols] += size
    assert totals[True] > 4 * totals[False]


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.sqlite" for n in "abc")
    generate(a, sessions=6, seed=42, extra_tables=True)
    generate(b, sessions=6, seed=42, extra_tables=True)
    generate(c, sessions=6, seed=43, extra_tables=True)
    assert _content_hash(a) == _content_hash(b)
    assert _content_hash(a) != _content_hash(c)
    assert a.read_bytes() == b.read_bytes()


def test_target_bytes_roughly_honoured(tmp_path: Path) -> None:
    target = 2_000_000
    progress: list[tuple[int, int]] = []
    stats = generate(
        tmp_path / "2mb.sqlite",
        target_bytes=target,
        seed=7,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert abs(stats.file_bytes - target) <= 0.15 * target
    assert progress and progress[-1] == (stats.file_bytes, target)
    assert stats.elapsed_s > 0


def test_sessions_wins_over_target_bytes(tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    stats = generate(
        tmp_path / "s.sqlite",
        sessions=3,
        target_bytes=50_000_000,
        seed=1,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert stats.rows["files"] == 3
    assert progress[-1] == (3, 3)


def test_tricky_characters_occur(small_db: tuple[Path, GeneratedStats]) -> None:
    path, _ = small_db
    with _connect(path) as conn:
        outputs = "".join(
            r[0] for r in conn.execute("SELECT output FROM function_calls WHERE output IS NOT NULL")
        )
        both = [
            (table, col)
            for table, col in _text_columns(conn)
            if conn.execute(f"SELECT count(*) FROM {table} WHERE {col} = ''").fetchone()[0]
            and conn.execute(f"SELECT count(*) FROM {table} WHERE {col} IS NULL").fetchone()[0]
        ]
        prompts = "".join(r[0] for r in conn.execute("SELECT message FROM prompts"))
        everything = "".join(
            r[0]
            for table, col in _text_columns(conn)
            for r in conn.execute(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL")
        )
    assert "\t" in outputs
    assert "\r\n" in outputs
    assert "\\" in outputs
    assert any(ord(ch) > 0xFFFF for ch in everything)  # emoji (outside the BMP)
    assert re.search(r"[\u4e00-\u9fff]", everything)  # CJK
    assert "é" in everything
    assert "🚀" in everything or "✅" in everything or "🐛" in everything
    assert prompts  # messages are there
    assert both, "no text column holds both '' and NULL"


def test_real_values_need_eight_bytes(small_db: tuple[Path, GeneratedStats]) -> None:
    path, _ = small_db
    with _connect(path) as conn:
        values = [
            r[0]
            for r in conn.execute(
                "SELECT primary_used_percent FROM token_messages WHERE typeof("
                "primary_used_percent) = 'real' UNION ALL SELECT secondary_used_percent "
                "FROM token_messages WHERE typeof(secondary_used_percent) = 'real'"
            )
        ]
    lossy = [v for v in values if struct.unpack("<f", struct.pack("<f", v))[0] != v]
    assert len(lossy) > len(values) // 2
    assert any(len(repr(v).replace(".", "")) >= 12 for v in lossy)


def test_values_postgresql_can_hold(small_db: tuple[Path, GeneratedStats]) -> None:
    path, _ = small_db
    with _connect(path) as conn:
        tables = _tables(conn)
        conn.text_factory = bytes
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, bytes):
                        assert b"\x00" not in value
                        value.decode("utf-8")  # strict: raises on invalid UTF-8
                    else:
                        assert value is None or isinstance(value, int | float)
                        if isinstance(value, int):
                            assert -(2**63) <= value < 2**63


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "exists.sqlite"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        generate(path, sessions=1)
    assert path.read_bytes() == b"precious"


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path / "a.sqlite", sessions=0)
    with pytest.raises(ValueError):
        generate(tmp_path / "b.sqlite", target_bytes=0)
    assert not (tmp_path / "a.sqlite").exists() and not (tmp_path / "b.sqlite").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", 12345),
        ("100MB", 100_000_000),
        ("1GB", 1_000_000_000),
        ("500kB", 500_000),
        ("500KB", 500_000),
        ("2 mb", 2_000_000),
        ("1.5GB", 1_500_000_000),
        ("64KiB", 65_536),
        ("1GiB", 1024**3),
        ("10B", 10),
        (" 3M ", 3_000_000),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "-5MB", "12 parsecs", "1e3", "1,5GB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.sqlite"
    assert main([str(out), "--size", "300kB", "--seed", "1", "--older", "--extra-tables"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and str(out) in lines[0]
    with _connect(out) as conn:
        tables = set(_tables(conn))
    assert tables == OLDER_TABLES | {"redaction_rules", "session_context"}
    assert main([str(out), "--sessions", "2"]) == 1  # never overwrites
    assert "exists" in capsys.readouterr().err

    other = tmp_path / "sessions.sqlite"
    assert main([str(other), "--sessions", "2", "--seed", "9"]) == 0
    with _connect(other) as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == 2
        assert "redactions" in _tables(conn)


def test_python_dash_m_app_sample(tmp_path: Path) -> None:
    """``python -m app.sample`` is the generator's command line."""
    import subprocess
    import sys

    out = tmp_path / "m.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "app.sample", str(out), "--sessions", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_file()
