"""~/.pgpass writing: format, escaping, mode 0600, entries kept, atomic, and libpq reading it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg
import pytest

from app.core.connect import connect
from app.core.dsn import Target, parse_dsn
from app.core.errors import BadInput
from app.core.pgpass import pgpass_fields, write_pgpass
from tests.postgres import CANARY_PASSWORD, TargetDb

TARGET = parse_dsn("postgresql://alice@db.example:5433/ailt")


def test_pgpass_format_and_escaping(tmp_path: Path) -> None:
    target = Target({"host": "db.example", "port": "5433", "dbname": "ai:lt", "user": "a\\b"})
    path = write_pgpass(target, "p:w\\d", tmp_path / "pgpass")
    assert path.read_text() == "db.example:5433:ai\\:lt:a\\\\b:p\\:w\\\\d\n"
    assert pgpass_fields(path.read_text()) == ["db.example", "5433", "ai:lt", "a\\b", "p:w\\d"]


def test_pgpass_created_and_fixed_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "pgpass"
    write_pgpass(TARGET, "one", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    write_pgpass(TARGET, "two", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "db.example:5433:ailt:alice:two\n"


def test_pgpass_replaces_entry_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "pgpass"
    original = [
        "# my servers\n",
        "other.host:5432:*:bob:bobpw\n",
        "db.example:5433:ailt:alice:old\n",
        "\n",
        "db.example:5433:ailt:carol:carolpw\n",
        "*:*:*:*:catchall",  # no final newline, and it would shadow an appended entry
    ]
    path.write_text("".join(original))
    write_pgpass(TARGET, "new", path)
    assert path.read_text().splitlines(keepends=True) == [
        "# my servers\n",
        "other.host:5432:*:bob:bobpw\n",
        "\n",
        "db.example:5433:ailt:carol:carolpw\n",
        "db.example:5433:ailt:alice:new\n",
        "*:*:*:*:catchall\n",
    ]
    write_pgpass(TARGET, "newer", path)
    assert path.read_text().count("alice") == 1


def test_pgpass_default_path_and_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "dotfiles" / "pgpass"
    real.parent.mkdir()
    real.write_text("# kept\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("PGPASSFILE", str(link))
    assert write_pgpass(TARGET, "pw") == link
    assert link.is_symlink()
    assert real.read_text() == "# kept\ndb.example:5433:ailt:alice:pw\n"


def test_pgpass_unix_socket_default_dir_also_written_as_localhost(tmp_path: Path) -> None:
    target = parse_dsn("host=/var/run/postgresql dbname=ailt user=alice")
    text = write_pgpass(target, "pw", tmp_path / "pgpass").read_text()
    assert text == "/var/run/postgresql:5432:ailt:alice:pw\nlocalhost:5432:ailt:alice:pw\n"


def test_pgpass_crash_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core import atomic_file

    path = tmp_path / "pgpass"
    path.write_text("db.example:5433:ailt:alice:old\n")
    path.chmod(0o600)

    def crash(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic_file, "_replace", crash)
    with pytest.raises(OSError):
        write_pgpass(TARGET, "new", path)
    assert path.read_text() == "db.example:5433:ailt:alice:old\n"
    assert os.listdir(tmp_path) == ["pgpass"]


def test_libpq_uses_the_written_pgpass(
    target_db: TargetDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    target = parse_dsn(target_db.conninfo)
    assert target.password is None
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "nothing-here"))
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(target_db.conninfo, connect_timeout=5).close()
    path = tmp_path / "pgpass"
    path.write_text("# personal\n*:*:*:*:wrong-password\n")
    write_pgpass(target, CANARY_PASSWORD, path)
    monkeypatch.setenv("PGPASSFILE", str(path))
    with psycopg.connect(target_db.conninfo, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (target_db.user,)
    found = connect(target, autocommit=True)
    try:
        assert found.password_source == "libpq"
    finally:
        found.conn.close()


def test_pgpass_rejects_empty_password(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        write_pgpass(TARGET, "", tmp_path / "pgpass")
    assert not (tmp_path / "pgpass").exists()
