"""Generate realistic AI Log Trail SQLite databases, for the demo, the tests and the benchmark.

Why: the migration must be exercised on files that look exactly like the ones users have, at
sizes from a few kilobytes to gigabytes, without shipping anyone's real Codex logs. So the file is
built the way AI Log Trail builds it: its own schema (``create_sqlite_schema_sql``), ids from
AUTOINCREMENT, one ``files``/``sessions`` row per Codex CLI rollout file, and per user prompt the
rows AI Log Trail's ingest derives from the rollout events (``event_msg`` token counts,
reasoning and agent messages, ``turn_context``, ``function_call``/``function_call_output``),
each keeping the whole event as JSON text, which is where most of the bytes are.

The content is deterministic for a seed (one ``random.Random``; no wall clock in the data) and
holds what a migration must carry over intact: tabs, CR LF, backslashes, accents, CJK, emoji,
empty strings next to NULLs, and REAL values that a 4-byte float cannot hold. It never holds a
value PostgreSQL cannot store (NUL characters, invalid UTF-8, integers beyond bigint): the tests
that need such values make them themselves.

Speed: one connection, big transactions, ``executemany``, ``journal_mode=OFF`` and
``synchronous=OFF`` while writing (the default ``DELETE`` journal mode is restored at the end),
and the text comes from blocks built once per run, so a gigabyte takes well under a minute.

Usage: ``python -m app.sample OUT.sqlite --size 100MB --seed 1 [--older] [--extra-tables]``
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.ailt_schema import create_sqlite_schema_sql
from app.sample.rows import EXTRA_TABLES_SQL, Builder

DEFAULT_SESSIONS = 20

_SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class GeneratedStats:
    """What ``generate`` produced: the file, its size on disk, rows per table, time taken."""

    path: Path
    file_bytes: int
    rows: dict[str, int]
    elapsed_s: float


def parse_size(text: str) -> int:
    """Parse a size such as ``"100MB"``, ``"1GB"``, ``"500kB"``, ``"1.5GiB"`` or ``"12345"``.

    Why: the command line and the benchmark take human sizes. SI units (k, kB, MB, GB, TB; the
    case of the letters does not matter) are powers of 1000, IEC units (KiB, MiB, GiB, TiB)
    powers of 1024, a bare number is bytes. Raises ValueError for anything else.
    """
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (try 100MB, 1GB, 500kB or 12345)")
    number, unit = match.groups()
    factor = _SIZE_UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"unknown size unit {unit!r} in {text!r} (use kB, MB, GB, KiB, MiB, GiB)")
    return round(float(number) * factor)


def generate(
    path: Path,
    *,
    target_bytes: int | None = None,
    sessions: int | None = None,
    seed: int = 0,
    with_redactions: bool = True,
    extra_tables: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> GeneratedStats:
    """Write a new AI Log Trail SQLite file at ``path`` and return what it holds.

    ``sessions`` (one rollout file each) wins when given; otherwise ``target_bytes`` adds
    sessions until the file is about that size (within a few percent for sizes of a megabyte and
    more); with neither, a small file of ``DEFAULT_SESSIONS`` sessions. ``with_redactions=False``
    writes the older nine-table version; ``extra_tables=True`` adds ``redaction_rules`` and
    ``session_context`` as later versions do. ``on_progress(done, total)`` is called after each
    batch: bytes on disk and ``target_bytes``, or sessions written and ``sessions``.

    Refuses to overwrite: raises FileExistsError when ``path`` exists. A file left half-written
    by an error is removed.
    """
    if sessions is not None and sessions < 1:
        raise ValueError("sessions must be at least 1")
    if sessions is None and target_bytes is not None and target_bytes < 1:
        raise ValueError("target_bytes must be positive")
    if sessions is None and target_bytes is None:
        sessions = DEFAULT_SESSIONS
    path = Path(path)
    started = time.perf_counter()
    with path.open("xb"):  # atomic "create, never overwrite"; SQLite takes an empty file as new
        pass
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            rows = _fill(
                conn,
                seed=seed,
                sessions=sessions,
                target_bytes=target_bytes,
                with_redactions=with_redactions,
                extra_tables=extra_tables,
                on_progress=on_progress,
            )
        finally:
            conn.close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return GeneratedStats(
        path=path,
        file_bytes=path.stat().st_size,
        rows=rows,
        elapsed_s=time.perf_counter() - started,
    )


def _fill(
    conn: sqlite3.Connection,
    *,
    seed: int,
    sessions: int | None,
    target_bytes: int | None,
    with_redactions: bool,
    extra_tables: bool,
    on_progress: Callable[[int, int], None] | None,
) -> dict[str, int]:
    """Create the schema and add sessions batch by batch until the count or size is reached."""
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")
    conn.executescript(create_sqlite_schema_sql(with_redactions=with_redactions))
    if extra_tables:
        conn.executescript(EXTRA_TABLES_SQL)
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])

    def file_size() -> int:
        return int(conn.execute("PRAGMA page_count").fetchone()[0]) * page_size

    gen = Builder(random.Random(seed), with_redactions, extra_tables)
    if sessions is not None:
        for done in range(1, sessions + 1):
            gen.add_session()
            if done == sessions:
                gen.finish()
            if gen.pending_bytes >= _FLUSH_BYTES or done == sessions:
                gen.flush(conn)
                if on_progress is not None:
                    on_progress(done, sessions)
    else:
        assert target_bytes is not None
        _fill_to_size(conn, gen, target_bytes, file_size, on_progress)
    conn.execute("PRAGMA journal_mode=DELETE")
    return dict(gen.rows)


_FLUSH_BYTES = 8_000_000  # rows buffered between transactions (estimated text bytes)


def _fill_to_size(
    conn: sqlite3.Connection,
    gen: Builder,
    target_bytes: int,
    file_size: Callable[[], int],
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Add sessions until the file is about ``target_bytes``, to within about one prompt.

    The builder counts the text it buffers; the ratio of bytes on disk to that count is measured
    at every flush, so the bytes still missing can be turned into a text budget. The last
    session gets what is left and stops adding prompts when it has used it up.
    """
    base = file_size()  # the empty schema
    flush_at = max(16_000, min(_FLUSH_BYTES, target_bytes // 64))
    ratio = 1.2  # disk bytes per counted text byte; refined after each flush
    flushed = 0  # counted text bytes already written
    added = 0
    while True:
        budget = (target_bytes - base) / ratio - flushed - gen.pending_bytes
        # Stop when one more prompt would overshoot more than stopping here undershoots (but
        # write one session at least, however small the target).
        if added and budget < gen.mean_prompt_bytes() / 2:
            break
        gen.add_session(budget=budget)
        added += 1
        if gen.pending_bytes >= flush_at:
            flushed += gen.pending_bytes
            gen.flush(conn)
            size = file_size()
            ratio = max(0.5, (size - base) / flushed)
            if on_progress is not None:
                on_progress(size, target_bytes)
    gen.finish()
    gen.flush(conn)
    if on_progress is not None:
        on_progress(file_size(), target_bytes)


# --------------------------------------------------------------------------------------------
# Command line.


def main(argv: list[str] | None = None) -> int:
    """``python -m app.sample OUT.sqlite [--size 100MB | --sessions N] [--seed 1]``.

    Prints one summary line. Returns 0, or 1 when OUT exists (it is never overwritten).
    """
    parser = argparse.ArgumentParser(
        prog="python -m app.sample",
        description="Generate a realistic AI Log Trail SQLite database.",
    )
    parser.add_argument("out", type=Path, help="the SQLite file to create (must not exist)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--size", type=parse_size, help="about this big: 100MB, 1GB, 500kB, ...")
    group.add_argument(
        "--sessions",
        type=int,
        help=f"this many sessions (default {DEFAULT_SESSIONS} when no --size)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--older",
        action="store_true",
        help="the older nine-table version, without the redactions table",
    )
    parser.add_argument(
        "--extra-tables",
        action="store_true",
        help="add redaction_rules and session_context, as later versions do",
    )
    args = parser.parse_args(argv)
    try:
        stats = generate(
            args.out,
            target_bytes=args.size,
            sessions=args.sessions,
            seed=args.seed,
            with_redactions=not args.older,
            extra_tables=args.extra_tables,
        )
    except FileExistsError:
        print(f"error: {args.out} already exists; not overwriting it", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = sum(stats.rows.values())
    print(
        f"{stats.path}: {stats.file_bytes / 1e6:.1f} MB, {stats.rows.get('files', 0)} sessions, "
        f"{total} rows in {stats.elapsed_s:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
