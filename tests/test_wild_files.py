"""Wild SQLite files against issue #9: every object in the file accounted for, and a dry run
that predicts what ``--execute`` does.

Each file is small, built here (``wild_files.py``), and modelled on public bug reports of
SQLite-to-PostgreSQL migrations. The CLI runs as a real process against a real PostgreSQL; after
every successful execute, both sides are compared cell by cell without the engine's code.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import wild_files as wf
from tests.postgres import CANARY_PASSWORD, TargetDb

KINDS = {
    "table",
    "column",
    "generated column",
    "primary key",
    "unique",
    "index",
    "check",
    "default",
    "foreign key",
    "collation",
    "view",
    "trigger",
    "virtual table",
    "shadow table",
    "internal table",
}
AS_IS, TRANSLATED, NOT_MIGRATED, REFUSED = (
    "migrated as it is",
    "translated",
    "not migrated",
    "refused",
)
VERDICTS = {AS_IS, TRANSLATED, NOT_MIGRATED, REFUSED}
MIGRATED = {AS_IS, TRANSLATED}
TABLE_KINDS = {"table", "virtual table", "shadow table", "internal table"}


# --------------------------------------------------------------------------------------------
# Running the CLI
# --------------------------------------------------------------------------------------------


def _env(
    tmp_path: Path, env_extra: dict[str, str] | None, password: str | None
) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    if password is not None:
        env["PGPASSWORD"] = password
    env.update(env_extra or {})
    return home, env


def cli_together(
    tmp_path: Path,
    *commands: list[str],
    env_extra: dict[str, str] | None = None,
    password: str | None = CANARY_PASSWORD,
) -> list[subprocess.CompletedProcess[str]]:
    """Several ``python -m app`` processes at once (read-only runs only), as a user runs them:
    the password only in the environment, never in argv; no traceback, no password in output."""
    home, env = _env(tmp_path, env_extra, password)
    running = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "app", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL,
            ),
        )
        for args in commands
    ]
    done = []
    for args, proc in running:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    for finished in done:
        assert CANARY_PASSWORD not in finished.stdout + finished.stderr, "the password leaked"
        assert "Traceback" not in finished.stderr, finished.stderr
        assert "Traceback" not in finished.stdout, finished.stdout
    return done


def cli(
    tmp_path: Path,
    *args: str,
    env_extra: dict[str, str] | None = None,
    password: str | None = CANARY_PASSWORD,
) -> subprocess.CompletedProcess[str]:
    """One ``python -m app`` process."""
    return cli_together(tmp_path, list(args), env_extra=env_extra, password=password)[0]


def run_args(db: Path, target_db: TargetDb, *extra: str) -> list[str]:
    return ["run", "--sqlite", str(db), "--postgres-dsn", target_db.url, *extra]


def _parse(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"--json printed no JSON (status {proc.returncode}): "
            f"{proc.stdout[:500]!r} {proc.stderr[:500]!r}"
        )
    assert isinstance(data, dict)
    return data


@dataclass
class Dry:
    """The dry run, with --json and as text (run side by side)."""

    status: int
    data: dict[str, Any]
    stderr: str
    text: str  # stdout + stderr of the text run
    db: Path


# Dry runs of the files as the per-kind tests made them, by file name, so that the
# every-object test at the end of the module reuses them instead of running them again.
_DRY_RUNS: dict[str, Dry] = {}


def dry(
    tmp_path: Path,
    db: Path,
    target_db: TargetDb,
    *extra: str,
    env_extra: dict[str, str] | None = None,
) -> Dry:
    """The dry run with --json and as text; both must agree on the status."""
    as_json, as_text = cli_together(
        tmp_path,
        run_args(db, target_db, "--json", *extra),
        run_args(db, target_db, *extra),
        env_extra=env_extra,
    )
    assert as_json.returncode in (0, 2, 3), f"dry run exited {as_json.returncode}: {as_json.stderr}"
    assert as_text.returncode == as_json.returncode, "the text and JSON dry runs disagree"
    result = Dry(
        as_json.returncode,
        _parse(as_json),
        as_json.stderr,
        as_text.stdout + "\n" + as_text.stderr,
        db,
    )
    if not extra and not env_extra:
        _DRY_RUNS[db.name] = result
    return result


def dry_json(
    tmp_path: Path,
    db: Path,
    target_db: TargetDb,
    *extra: str,
    env_extra: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], str]:
    """The dry run with --json: (status, data, stderr)."""
    proc = cli(tmp_path, *run_args(db, target_db, "--json", *extra), env_extra=env_extra)
    assert proc.returncode in (0, 2, 3), f"dry run exited {proc.returncode}: {proc.stderr}"
    return proc.returncode, _parse(proc), proc.stderr


@dataclass
class Runs:
    """A dry run and then an execute on the same fresh database."""

    dry_status: int
    dry: dict[str, Any]
    dry_stderr: str
    exec_status: int
    executed: dict[str, Any]
    exec_stderr: str
    text: str = ""


def dry_then_execute(tmp_path: Path, db: Path, target_db: TargetDb, *extra: str) -> Runs:
    """Contract 2: the dry run's status predicts execute's exactly (0 commits, 3 writes nothing)."""
    d = dry(tmp_path, db, target_db, *extra)
    assert d.status in (0, 3), f"dry run exited {d.status}: {d.stderr}"
    with target_db.connect() as pg:
        assert wf.pg_tables(pg) == set(), "the dry run wrote to the target"
    proc = cli(tmp_path, *run_args(db, target_db, "--execute", "--json", *extra))
    assert proc.returncode == d.status, (
        f"dry run said {d.status}, execute exited {proc.returncode}: {proc.stderr}"
    )
    executed = json.loads(proc.stdout) if proc.stdout.strip() else {}
    with target_db.connect() as pg:
        tables = wf.pg_tables(pg)
    if d.status == 3:
        assert tables == set(), f"a refused execute left tables behind: {sorted(tables)}"
    else:
        assert executed.get("executed") is True, executed
        assert "files" in tables
    return Runs(d.status, d.data, d.stderr, proc.returncode, executed, proc.stderr, d.text)


# --------------------------------------------------------------------------------------------
# Reading "objects"
# --------------------------------------------------------------------------------------------


def objects(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The dry run's ``objects``, each checked against the contract's shape."""
    assert "objects" in data, "the dry run's JSON has no 'objects' list (issue #9)"
    objs = data["objects"]
    assert isinstance(objs, list) and objs
    for o in objs:
        assert set(o) >= {"kind", "name", "table", "verdict", "detail", "postgres"}, o
        assert o["kind"] in KINDS, o
        assert o["verdict"] in VERDICTS, o
        assert isinstance(o["name"], str) and o["name"], o
        assert isinstance(o["detail"], str), o
        if o["verdict"] == TRANSLATED:
            assert isinstance(o["postgres"], str) and o["postgres"].strip(), o
        if o["verdict"] in (NOT_MIGRATED, REFUSED):
            assert o["detail"].strip(), f"{o['verdict']} without a reason: {o}"
    return objs


def find(
    data: dict[str, Any],
    kind: str | set[str],
    *,
    name: str | None = None,
    has: tuple[str, ...] = (),
    table: str | None = None,
) -> list[dict[str, Any]]:
    """Objects of a kind whose name is ``name`` (or contains every string in ``has``)."""
    kinds = {kind} if isinstance(kind, str) else kind
    found = []
    for o in objects(data):
        if o["kind"] not in kinds:
            continue
        if name is not None and o["name"] != name:
            continue
        if any(h not in o["name"] for h in has):
            continue
        if (
            table is not None
            and o["table"] != table
            and not (o["table"] is None and o["name"].startswith(table))
        ):
            continue
        found.append(o)
    return found


def one(data: dict[str, Any], kind: str | set[str], **kw: Any) -> dict[str, Any]:
    found = find(data, kind, **kw)
    assert found, (
        f"no {kind} object matching {kw} in objects: "
        f"{[(o['kind'], o['name'], o['verdict']) for o in objects(data)]}"
    )
    return found[0]


def expect(
    data: dict[str, Any], kind: str | set[str], verdicts: str | set[str], **kw: Any
) -> dict[str, Any]:
    """The object's verdict is one of ``verdicts`` (the object is shown when it is not)."""
    o = one(data, kind, **kw)
    allowed = {verdicts} if isinstance(verdicts, str) else verdicts
    assert o["verdict"] in allowed, f"expected {sorted(allowed)}: {o}"
    return o


def text_line(text: str, kind: str, name: str, verdict: str) -> str:
    """The text dry run's line ``{kind} {name}: {verdict}...`` (contract 1)."""
    head = f"{kind} {name}: {verdict}"
    for line in text.splitlines():
        if line.strip().startswith(head):
            return line
    raise AssertionError(f"no line starting with {head!r} in the text dry run:\n{text}")


def mentions(
    data: dict[str, Any], stderr: str, table: str, column: str | None = None, row: int | None = None
) -> bool:
    """Whether a refusal names the table (and column, row) in a problem or a refused object."""
    for p in data.get("problems", []):
        if (
            p.get("table") == table
            and (column is None or p.get("column") == column)
            and (row is None or p.get("id") == row)
        ):
            return True
    for o in data.get("objects", []) or []:
        if o.get("verdict") == REFUSED and table in (o.get("name") or "") + (o.get("table") or ""):
            text = json.dumps(o)
            if (column is None or column in text) and (row is None or str(row) in text):
                return True
    return False


def first_row(pg: psycopg.Connection, query: str, params: Any = None) -> tuple[Any, ...]:
    """The one row a query returns."""
    row = pg.execute(query, params).fetchone()
    assert row is not None, query
    return tuple(row)


def assert_insert_fails(target_db: TargetDb, statement: str, sqlstate: str) -> None:
    with target_db.connect() as pg:
        with pytest.raises(psycopg.Error) as info:
            pg.execute(statement)
        assert info.value.sqlstate == sqlstate, (info.value.sqlstate, str(info.value))


# --------------------------------------------------------------------------------------------
# The files, by name (the every-object test at the end runs over all of them)
# --------------------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "without_rowid": wf.without_rowid,
    "fts5": wf.fts5,
    "missing_module": wf.missing_module,
    "generated_columns": wf.generated_columns,
    "partial_and_expression_unique": wf.partial_and_expression_unique,
    "checks": wf.checks,
    "defaults": wf.defaults,
    "views": wf.views,
    "triggers": wf.triggers,
    "fk_without_column_list": wf.fk_without_column_list,
    "fk_cycle": wf.fk_cycle,
    "null_in_text_primary_key": wf.null_in_text_primary_key,
    "untyped_unique_int_and_text": wf.untyped_unique_int_and_text,
    "default_of_wrong_type": wf.default_of_wrong_type,
    "big_integers_beside_reals": wf.big_integers_beside_reals,
    "fk_orphans": wf.fk_orphans,
    "fk_orphans_in_ailt_table": wf.fk_orphans_in_ailt_table,
    "long_identifiers": wf.long_identifiers,
    "nocase_unique": wf.nocase_unique,
    "awkward_names": wf.awkward_names,
    "strict_any": wf.strict_any,
    "internal_tables": wf.internal_tables,
    "utf16": wf.utf16,
}


def _schema_of(
    path: Path,
) -> tuple[list[tuple[str, str, str, str | None]], dict[str, list[tuple[str, int]]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        entries = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        columns = {}
        for table in wf.ordinary_tables(path):
            xinfo = conn.execute(f"PRAGMA table_xinfo({wf.quote_ident(table)})").fetchall()
            columns[table] = [(r[1], r[6]) for r in xinfo]
        return entries, columns
    finally:
        conn.close()


def _constraints_of(path: Path) -> dict[str, dict[str, Any]]:
    """Per ordinary table: defaulted columns, whether it has a key, UNIQUE/FK/CHECK counts."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: dict[str, dict[str, Any]] = {}
        for table in wf.ordinary_tables(path):
            info = conn.execute(f"PRAGMA table_xinfo({wf.quote_ident(table)})").fetchall()
            indexes = conn.execute(f"PRAGMA index_list({wf.quote_ident(table)})").fetchall()
            fk_list = conn.execute(f"PRAGMA foreign_key_list({wf.quote_ident(table)})")
            fk_ids = {r[0] for r in fk_list}
            create = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
            ).fetchone()[0]
            out[table] = {
                "defaults": [r[1] for r in info if r[4] is not None],
                "primary_key": any(r[5] for r in info),
                "unique_constraints": sum(1 for r in indexes if r[3] == "u"),
                "foreign_keys": len(fk_ids),
                "checks": len(re.findall(r"\bCHECK\s*\(", create, re.I)),
            }
        return out
    finally:
        conn.close()


def test_the_comparison_is_exact() -> None:
    """The independent comparison itself: a rounded or re-encoded value never passes."""
    from decimal import Decimal

    big = wf.BIG_INT
    assert wf.cell_matches("integer", big, big)
    assert wf.cell_matches("integer", big, Decimal(big))
    assert not wf.cell_matches("integer", big, float(big))  # 2**53 + 1 is not a double
    assert not wf.cell_matches("integer", big, Decimal(big - 1))
    assert wf.cell_matches("real", 0.1, 0.1)
    assert not wf.cell_matches("real", 0.1, math.nextafter(0.1, 1.0))
    assert wf.cell_matches("real", 1.5, Decimal("1.5"))
    assert not wf.cell_matches("real", 1.5, Decimal("1.50001"))
    assert wf.cell_matches("text", "caf\u00e9".encode(), "caf\u00e9")
    assert not wf.cell_matches("text", "cafe\u0301".encode(), "caf\u00e9")  # NFC is not equal
    assert not wf.cell_matches("text", b"a\x00b", "ab")
    assert wf.cell_matches("blob", b"\x00\xff", b"\x00\xff")
    assert not wf.cell_matches("blob", b"\x00\xff", "\x00\xff")
    assert not wf.cell_matches("null", None, "")
    assert not wf.cell_matches("text", b"", None)


# --------------------------------------------------------------------------------------------
# One test per kind of file (contract 3)
# --------------------------------------------------------------------------------------------


def test_without_rowid_table_arrives(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.without_rowid(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "table", MIGRATED, name="kv_store")
    with target_db.connect() as pg:
        assert wf.assert_same_content(db, pg)["kv_store"] == 3


def test_fts5_table_and_its_shadows_are_named_not_migrated(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.fts5(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "virtual table", NOT_MIGRATED, name="docs")
    text_line(runs.text, "virtual table", "docs", NOT_MIGRATED)
    shadows = [f"docs_{s}" for s in wf.FTS5_SHADOW_SUFFIXES]
    for shadow in shadows:
        expect(runs.dry, "shadow table", NOT_MIGRATED, name=shadow)
    with target_db.connect() as pg:
        created = wf.pg_tables(pg)
        assert not ({"docs", *shadows} & created), created
        wf.assert_same_content(db, pg)


def test_virtual_table_with_a_missing_module(tmp_path: Path, target_db: TargetDb) -> None:
    try:
        db = wf.missing_module(tmp_path)
    except sqlite3.DatabaseError as err:  # pragma: no cover - a build without writable_schema
        pytest.skip(f"cannot write a virtual table of a missing module here: {err}")
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "virtual table", NOT_MIGRATED, name="v_missing")
    text_line(runs.text, "virtual table", "v_missing", NOT_MIGRATED)
    with target_db.connect() as pg:
        assert "v_missing" not in wf.pg_tables(pg)
        assert wf.assert_same_content(db, pg)["plain_extra"] == 2


def test_generated_columns_are_generated_in_postgres(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.generated_columns(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    for col in ("total", "half_price"):
        o = one(runs.dry, "generated column", name=f"order_lines.{col}")
        assert o["verdict"] == TRANSLATED, o
        generated = re.compile(r"GENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*STORED", re.I | re.S)
        assert generated.search(o["postgres"]), o
    for col in ("qty_label", "price_type"):  # printf() and typeof(): no PostgreSQL form
        o = one(runs.dry, "generated column", name=f"order_lines.{col}")
        assert o["verdict"] == TRANSLATED and o["detail"].strip(), o
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        kinds: dict[str, str] = dict(
            pg.execute(
                "SELECT attname, attgenerated FROM pg_attribute "
                "WHERE attrelid = 'order_lines'::regclass AND attnum > 0 AND NOT attisdropped"
            ).fetchall()
        )
        assert kinds["total"] == "s" and kinds["half_price"] == "s", kinds
        # printf() and typeof() have no faithful PostgreSQL form: plain columns (the contract);
        # a generated one is accepted only if it computes what SQLite computes (below).
        assert kinds["qty_label"] in ("", "s") and kinds["price_type"] in ("", "s"), kinds
        # A row written in PostgreSQL afterwards gets the same computed value SQLite would give.
        extra = dict(qty=6, price=0.7, qty_label="00006", price_type="real")
        cols = [c for c in extra if kinds.get(c) == ""]
        pg.execute(
            f"INSERT INTO order_lines (id, {', '.join(cols)}) VALUES "
            f"(100, {', '.join(['%s'] * len(cols))})",
            [extra[c] for c in cols],
        )
        total, label, price_type = first_row(
            pg, "SELECT total, qty_label, price_type FROM order_lines WHERE id = 100"
        )
        assert (label, price_type) == ("00006", "real")
    expected = sqlite3.connect(":memory:").execute("SELECT 6 * 0.7").fetchone()[0]
    assert float(total) == expected


def test_partial_and_expression_unique_indexes_work_in_postgres(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.partial_and_expression_unique(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "unique", TRANSLATED, name="u_codes_live")
    expect(runs.dry, "unique", TRANSLATED, name="u_codes_label")
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        # outside the partial index's WHERE: allowed, as in SQLite
        pg.execute("INSERT INTO codes (id, code, label, deleted) VALUES (10, 'B2', 'Eps', 1)")
    assert_insert_fails(
        target_db,
        "INSERT INTO codes (id, code, label, deleted) VALUES (11, 'B2', 'Delta', 0)",
        "23505",
    )
    assert_insert_fails(
        target_db,
        "INSERT INTO codes (id, code, label, deleted) VALUES (12, 'C3', 'ALPHA', 0)",
        "23505",
    )


def test_check_constraints_hold_in_postgres(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.checks(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "check", MIGRATED, has=("stock", "qty >= 0"))
    expect(runs.dry, "check", MIGRATED, has=("stock", "length(code) = 3"))
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
    assert_insert_fails(
        target_db, "INSERT INTO stock (id, code, qty) VALUES (10, 'ABC', -1)", "23514"
    )
    assert_insert_fails(
        target_db, "INSERT INTO stock (id, code, qty) VALUES (11, 'ABCD', 1)", "23514"
    )


def test_defaults_fill_omitted_columns_in_postgres(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.defaults(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    for col in ("at_datetime", "at_current", "at_epoch", "counter", "flag"):
        expect(runs.dry, "default", MIGRATED, name=f"audit_log.{col}")
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
        row = first_row(
            pg,
            "INSERT INTO audit_log (id, what) VALUES (100, 'from postgres') "
            "RETURNING at_datetime, at_current, at_epoch, counter, flag",
        )
        after = datetime.now(UTC) + timedelta(seconds=2)
    at_datetime, at_current, at_epoch, counter, flag = row
    for value in (at_datetime, at_current):
        if isinstance(value, str):
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value), value
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime), value
        assert before <= value <= after, (value, "not now in UTC")
    assert before.timestamp() <= int(at_epoch) <= after.timestamp(), at_epoch
    assert int(counter) == 0 and flag == "x"


def test_views_translated_or_named(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.views(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "view", MIGRATED, name="items_in_stock")
    expect(runs.dry, "view", NOT_MIGRATED, name="items_odd")
    text_line(runs.text, "view", "items_odd", NOT_MIGRATED)
    src = sqlite3.connect(db)
    expected = sorted(src.execute("SELECT id, label, qty FROM items_in_stock").fetchall())
    src.close()
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        got = sorted(
            tuple(r) for r in pg.execute("SELECT id, label, qty FROM items_in_stock").fetchall()
        )
        assert "items_odd" not in wf.pg_tables(pg)
    assert got == expected


def test_triggers_are_named_not_migrated(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.triggers(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    for name in ("trg_items_touch", "trg_files_path"):
        expect(runs.dry, "trigger", NOT_MIGRATED, name=name)
        text_line(runs.text, "trigger", name, NOT_MIGRATED)
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)


def _foreign_keys(target_db: TargetDb, table: str) -> set[tuple[str, str, str]]:
    """(child column, parent table, parent column) of every foreign key on ``table``."""
    with target_db.connect() as pg:
        rows = pg.execute(
            """
            SELECT a.attname, c.confrelid::regclass::text, pa.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass""",
            [table],
        ).fetchall()
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def test_references_without_columns_point_at_the_parents_key(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.fk_without_column_list(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    fk = one(runs.dry, "foreign key", has=("price", "currency"))
    assert fk["verdict"] in MIGRATED, fk
    assert _foreign_keys(target_db, "price") == {("currency_code", "currency", "code")}
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
    assert_insert_fails(
        target_db, "INSERT INTO price (id, amount, currency_code) VALUES (50, 1, 'XXX')", "23503"
    )


def test_foreign_keys_in_a_cycle(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.fk_cycle(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    for child, parent in (("team", "player"), ("player", "team")):
        fk = one(runs.dry, "foreign key", has=(child, parent), table=child)
        assert fk["verdict"] in MIGRATED, fk
    assert _foreign_keys(target_db, "team") == {("captain_id", "player", "id")}
    assert _foreign_keys(target_db, "player") == {("team_id", "team", "id")}
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)


def test_null_in_a_text_primary_key(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.null_in_text_primary_key(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    if runs.dry_status == 3:
        # the NULL key is the second row written: rowid 2
        assert mentions(runs.dry, runs.dry_stderr, "keyed", "code", row=2), (
            runs.dry.get("problems"),
            runs.dry_stderr,
        )
        assert "keyed" in runs.exec_stderr, runs.exec_stderr
    else:
        # SQLite's PRIMARY KEY that holds a NULL becomes a UNIQUE key (same rule for NULLs)
        key = one(runs.dry, {"unique", "primary key"}, has=("keyed",))
        assert key["verdict"] == TRANSLATED and "UNIQUE" in (key["postgres"] or ""), key
        with target_db.connect() as pg:
            wf.assert_same_content(db, pg)
        assert_insert_fails(target_db, "INSERT INTO keyed (code, v) VALUES ('a', 9)", "23505")


def test_untyped_unique_holding_1_and_text_1_is_refused(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.untyped_unique_int_and_text(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 3, "1 and '1' are one value in a TEXT column: execute would fail"
    assert mentions(runs.dry, runs.dry_stderr, "wild_tags", "tag_value"), runs.dry
    assert "wild_tags" in runs.exec_stderr and "tag_value" in runs.exec_stderr, runs.exec_stderr


def test_default_of_the_wrong_type(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.default_of_wrong_type(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    default = one(runs.dry, "default", name="counters.n")
    if runs.dry_status == 3:
        assert default["verdict"] == REFUSED, default
        return
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
    if default["verdict"] == NOT_MIGRATED:
        return
    # Kept: then the column must have been typed so that the default fits.
    with target_db.connect() as pg:
        value = first_row(
            pg, "INSERT INTO counters (id, label) VALUES (10, 'dflt') RETURNING n::text"
        )[0]
    assert value == "abc"


def test_integers_beyond_2_53_beside_reals_arrive_exactly(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.big_integers_beside_reals(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        for col in ("num_value", "any_value"):
            got: dict[int, str] = dict(
                pg.execute(f"SELECT id, {col}::text FROM amounts").fetchall()
            )
            assert got[1] == str(wf.BIG_INT), (col, got)
            assert got[2] in ("1.5",), (col, got)
            assert got[3] in ("2", "2.0"), (col, got)


@pytest.mark.parametrize(
    ("builder", "table", "row"),
    [(wf.fk_orphans, "pet", 7), (wf.fk_orphans_in_ailt_table, "prompts", 5)],
    ids=["extra table", "ai log trail table"],
)
def test_foreign_key_orphans_are_refused_naming_the_row(
    tmp_path: Path, target_db: TargetDb, builder: Callable[[Path], Path], table: str, row: int
) -> None:
    db = builder(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 3, "an orphan would break the foreign key in PostgreSQL"
    assert mentions(runs.dry, runs.dry_stderr, table, row=row), (
        runs.dry.get("problems"),
        runs.dry_stderr,
    )
    assert table in runs.exec_stderr, runs.exec_stderr


def new_name(o: dict[str, Any]) -> str:
    """The PostgreSQL name in a rename's ``postgres``: the bare name, or the first identifier
    of a definition (``name TEXT``, ``CREATE TABLE name (...)``), quoted or not."""
    text = o["postgres"].strip()
    text = re.sub(r"^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?", "", text, flags=re.I)
    m = re.match(r'"((?:[^"]|"")+)"|([^\s(]+)', text)
    assert m, o
    name = m.group(1).replace('""', '"') if m.group(1) else m.group(2)
    assert len(name.encode()) <= 63, f"the new name is still longer than 63 bytes: {o}"
    return name


def test_long_identifiers_are_renamed_or_refused_by_name(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.long_identifiers(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    renames: dict[str, str] = {}
    column_renames: dict[tuple[str, str], str] = {}
    verdicts = []
    for table in (wf.LONG_TABLE, wf.TWIN_A, wf.TWIN_B):
        o = one(runs.dry, "table", name=table)
        verdicts.append(o["verdict"])
        if o["verdict"] == TRANSLATED:
            renames[table] = new_name(o)
        else:
            assert o["verdict"] in (REFUSED, AS_IS), o
    # Every one of these names is longer than 63 bytes: PostgreSQL cannot keep it as it is.
    assert AS_IS not in verdicts, verdicts
    for table, column in (
        (wf.LONG_TABLE, wf.LONG_COLUMN),
        ("twin_columns", wf.TWIN_COL_A),
        ("twin_columns", wf.TWIN_COL_B),
    ):
        col = one(runs.dry, "column", name=f"{table}.{column}")
        assert col["verdict"] in (TRANSLATED, REFUSED), col
        verdicts.append(col["verdict"])
        if col["verdict"] == TRANSLATED:
            column_renames[(table, column)] = new_name(col)
    assert len(set(renames.values())) == len(renames), renames
    assert len(set(column_renames.values())) == len(column_renames), column_renames
    if runs.dry_status == 3:
        assert REFUSED in verdicts
        return
    assert REFUSED not in verdicts
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg, renames=renames, column_renames=column_renames)


def test_nocase_unique_still_collides_in_postgres(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.nocase_unique(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "unique", TRANSLATED, has=("names_ci",))
    # NOCASE has no deterministic PostgreSQL twin: never "as it is"
    assert one(runs.dry, "collation", name="names_ci.name")["verdict"] != AS_IS
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
    assert_insert_fails(target_db, "INSERT INTO names_ci (id, name) VALUES (10, 'ALPHA')", "23505")
    with target_db.connect() as pg:
        # NOCASE folds ASCII letters only: SQLite takes 'élan' beside 'Élan', so must PostgreSQL
        pg.execute("INSERT INTO names_ci (id, name) VALUES (11, '\u00e9lan')")


def test_names_that_need_quoting_arrive_exactly(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.awkward_names(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    expect(runs.dry, "table", MIGRATED, name="Order Items")
    expect(runs.dry, "index", MIGRATED, name="idx Order Items group")
    with target_db.connect() as pg:
        assert wf.assert_same_content(db, pg)["Order Items"] == 2
        indexes = {
            r[0]
            for r in pg.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'Order Items'")
        }
    assert "idx Order Items group" in indexes, indexes


def test_strict_table_with_an_any_column(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.strict_any(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    with target_db.connect() as pg:
        assert wf.assert_same_content(db, pg)["strict_things"] == 4


def test_internal_tables_are_named_and_never_created(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.internal_tables(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    # sqlite_stat1 is SQLite's own planner data; sqlite_sequence lives on as the identity
    # sequences' starting points.
    expect(runs.dry, "internal table", NOT_MIGRATED, name="sqlite_stat1")
    seq = one(runs.dry, "internal table", name="sqlite_sequence")
    assert seq["verdict"] in MIGRATED and "sequence" in (seq["postgres"] or ""), seq
    with target_db.connect() as pg:
        created = wf.pg_tables(pg)
        assert not {t for t in created if t.startswith("sqlite_")}, created
        wf.assert_same_content(db, pg)
        # AUTOINCREMENT's high-water mark still holds: the next id is past the last one.
        new_id = first_row(pg, "INSERT INTO seq_thing (v) VALUES ('c') RETURNING id")[0]
    assert new_id > 2


def test_utf16_file_has_no_phantom_nul(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.utf16(tmp_path)
    runs = dry_then_execute(tmp_path, db, target_db, "--repair", "strip-nul")
    assert runs.dry_status == 0, runs.dry_stderr
    assert runs.dry["problems"] == [], runs.dry["problems"]
    assert runs.executed.get("repaired") == [], runs.executed.get("repaired")
    with target_db.connect() as pg:
        wf.assert_same_content(db, pg)
        bodies = [r[0] for r in pg.execute("SELECT body FROM notes ORDER BY id")]
    assert bodies == wf.UTF16_TEXTS


def test_utf16_file_dry_run_without_repair_reports_no_problem(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.utf16(tmp_path)
    status, data, err = dry_json(tmp_path, db, target_db)
    assert status == 0, err
    assert data["problems"] == []


@pytest.mark.parametrize(
    "how", ["mode 000", "a directory", "a name stat() refuses", "a home folder stat() refuses"]
)
def test_unreadable_pgpass_is_ignored(tmp_path: Path, target_db: TargetDb, how: str) -> None:
    """libpq ignores a password file it cannot read; so must we (even as root, where mode 000
    reads fine, a path the system refuses to look at shows the same fault)."""
    db = wf.checks(tmp_path)
    passfile = tmp_path / "pgpass"
    if how.startswith(("a name", "a home")):
        # A server that asks for no password (the superuser over the socket): libpq looks for
        # a password file only to report where a password came from, and must not crash.
        env = (
            {"PGPASSFILE": "/tmp/" + "p" * 5000}
            if how.startswith("a name")
            else {"HOME": "/tmp/" + "h" * 5000}
        )
        dsn = target_db.server.conninfo(target_db.name)
        proc = cli(
            tmp_path,
            "run",
            "--sqlite",
            str(db),
            "--postgres-dsn",
            dsn,
            "--json",
            env_extra=env,
            password=None,
        )
        assert proc.returncode == 0, proc.stderr
        return
    if how == "mode 000":
        passfile.write_text("*:*:*:*:wrong-password\n")
        passfile.chmod(0)
        if os.access(passfile, os.R_OK):
            pytest.skip("running as root: mode 000 does not stop reading")
    else:
        passfile.mkdir()
    try:
        status, _data, err = dry_json(
            tmp_path, db, target_db, env_extra={"PGPASSFILE": str(passfile)}
        )
        assert status == 0, err
    finally:
        if passfile.is_file():
            passfile.chmod(0o600)


# --------------------------------------------------------------------------------------------
# Files another process is (or was) writing
# --------------------------------------------------------------------------------------------

UNHELPFUL = "attempt to write a readonly database"


def test_wal_file_with_uncheckpointed_rows(tmp_path: Path, target_db: TargetDb) -> None:
    db, writer = wf.wal_with_uncheckpointed_rows(tmp_path)
    try:
        runs = dry_then_execute(tmp_path, db, target_db)
        assert runs.dry_status == 0, runs.dry_stderr
        with target_db.connect() as pg:
            # rows committed only in -wal must arrive (immutable=1 would miss them)
            assert wf.assert_same_content(db, pg)["wal_rows"] == 2
    finally:
        writer.close()


def test_wal_left_by_a_killed_writer_is_read_with_its_wal(
    tmp_path: Path, target_db: TargetDb
) -> None:
    db = wf.wal_left_by_killed_writer(tmp_path)
    wal = db.parent / (db.name + "-wal")
    main_before, wal_before = db.read_bytes(), wal.read_bytes()
    names_before = sorted(p.name for p in db.parent.iterdir())
    runs = dry_then_execute(tmp_path, db, target_db)
    assert runs.dry_status == 0, runs.dry_stderr
    assert db.read_bytes() == main_before and wal.read_bytes() == wal_before, "file changed"
    assert sorted(p.name for p in db.parent.iterdir()) == names_before
    with target_db.connect() as pg:
        # committed only in -wal: a reader using immutable=1 would miss both
        counts = wf.assert_same_content(db, pg)
        assert counts["wal_rows"] == 2
        assert first_row(pg, "SELECT message FROM prompts WHERE id = 1") == ("changed in the wal",)


@pytest.mark.skipif(wf.is_root(), reason="root writes into read-only folders: cannot simulate")
def test_wal_file_in_a_read_only_folder(tmp_path: Path, target_db: TargetDb) -> None:
    db = wf.wal_left_by_killed_writer(tmp_path)
    folder = db.parent
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)
    try:
        before = wf.folder_state(folder)
        status, _data, err = dry_json(tmp_path, db, target_db)
        assert wf.folder_state(folder) == before, "the dry run changed the folder"
        assert UNHELPFUL not in err
        proc = cli(tmp_path, *run_args(db, target_db, "--execute", "--json"))
        assert proc.returncode == status, (status, proc.returncode, proc.stderr)
        assert wf.folder_state(folder) == before, "execute changed the folder"
        if status == 2:
            cause = r"WAL|write-ahead|read-only folder|cannot write|not writable"
            assert re.search(cause, err, re.I), err
            assert re.search(cause, proc.stderr, re.I), proc.stderr
            return
        assert status == 0, err
        with target_db.connect() as pg:
            # the rows committed only in -wal must be there (immutable=1 would miss them)
            assert wf.assert_same_content(db, pg)["wal_rows"] == 2
    finally:
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.chmod(0o644)


def test_hot_journal_is_rolled_back_or_refused_by_name(tmp_path: Path, target_db: TargetDb) -> None:
    db, reference = wf.hot_journal(tmp_path)
    folder = db.parent
    before = wf.folder_state(folder)
    status, data, err = dry_json(tmp_path, db, target_db)
    assert wf.folder_state(folder) == before, "the dry run changed the file or the folder"
    assert UNHELPFUL not in err and UNHELPFUL not in json.dumps(data)
    proc = cli(tmp_path, *run_args(db, target_db, "--execute", "--json"))
    assert proc.returncode == status, (status, proc.returncode, proc.stderr)
    assert wf.folder_state(folder) == before, "execute changed the file or the folder"
    if status == 2:
        assert re.search(r"journal|interrupted|crashed|died|mid-transaction", err, re.I), err
        assert re.search(r"journal|interrupted|crashed|died|mid-transaction", proc.stderr, re.I), (
            proc.stderr
        )
        with target_db.connect() as pg:
            assert wf.pg_tables(pg) == set()
        return
    assert status == 0, err
    with target_db.connect() as pg:
        # What SQLite itself says the file holds: the half-written transaction rolled back.
        wf.assert_same_content(reference, pg)


# --------------------------------------------------------------------------------------------
# Every file: every object accounted for, and the text names what is not migrated as it is.
# Last in the module: it reuses the dry runs the per-kind tests above made of the same files.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", list(BUILDERS))
def test_every_object_in_the_file_is_accounted_for(
    tmp_path: Path, target_db: TargetDb, builder: str
) -> None:
    db = BUILDERS[builder](tmp_path)
    d = _DRY_RUNS.get(db.name) or dry(tmp_path, db, target_db)  # reuse the per-kind test's run
    status, data, shown = d.status, d.data, d.text
    objs = objects(data)
    entries, columns = _schema_of(db)
    for type_, name, _tbl, sql_text in entries:
        if type_ == "table":
            assert find(data, TABLE_KINDS, name=name), f"table {name} not in objects"
        elif type_ == "index" and sql_text is None:
            continue  # an automatic index: the UNIQUE/PRIMARY KEY constraint stands for it
        elif type_ == "index":
            assert find(data, {"index", "unique"}, name=name), f"index {name} not in objects"
        else:
            assert find(data, type_, name=name), f"{type_} {name} not in objects"
    for table, cols in columns.items():
        for col, hidden in cols:
            kind = "generated column" if hidden in (2, 3) else "column"
            assert find(data, kind, name=f"{table}.{col}"), f"{kind} {table}.{col} not in objects"
    for table, facts in _constraints_of(db).items():
        for col in facts["defaults"]:
            assert find(data, "default", name=f"{table}.{col}"), f"default {table}.{col} missing"
        keyed = find(data, {"primary key", "unique"}, table=table)
        wanted = facts["unique_constraints"] + int(facts["primary_key"])
        assert len(keyed) >= wanted, f"the PRIMARY KEY/UNIQUE of {table} missing: {keyed}"
        fks = find(data, "foreign key", table=table)
        assert len(fks) >= facts["foreign_keys"], f"foreign keys of {table} missing: {fks}"
        checks = find(data, "check", table=table)
        assert len(checks) >= facts["checks"], f"CHECK constraints of {table} missing"
    # The text dry run names everything that is not migrated as it is, one line each.
    assert status in (0, 3)
    for o in objs:
        if o["verdict"] != AS_IS:
            text_line(shown, o["kind"], o["name"], o["verdict"])
