"""What AI Log Trail's ingest does to its SQLite file between two syncs, done with sqlite3.

New session files, a session file ingested again (its sessions and prompts rows deleted with
their children by cascade, inserted again under new ids, ``files.ingested_at`` updated), edited
and deleted redactions, deleted rows. Used by the sync tests and ``benchmark.py --sync``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PROMPT_CHILDREN = (
    "redactions",
    "token_messages",
    "turn_context_messages",
    "agent_reasoning_messages",
    "function_plan_messages",
    "function_calls",
)


def open_writer(path: Path) -> sqlite3.Connection:
    """A connection that writes the way AI Log Trail does (foreign keys on: cascades happen)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] != "id"]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _copy_rows(conn: sqlite3.Connection, table: str, column: str, old: int, new: int) -> None:
    """Copy ``table``'s rows whose ``column`` is ``old`` as new rows pointing at ``new``."""
    cols = _columns(conn, table)
    listed = ", ".join(f'"{c}"' for c in cols)
    picked = ", ".join("?" if c == column else f'"{c}"' for c in cols)
    conn.execute(
        f'INSERT INTO "{table}" ({listed}) SELECT {picked} FROM "{table}" '
        f'WHERE "{column}" = ? ORDER BY id',
        [new, old],
    )


def _copy_prompts(
    conn: sqlite3.Connection, old_file: int, new_file: int, prompt_ids: list[int]
) -> None:
    tables = _tables(conn)
    cols = _columns(conn, "prompts")
    listed = ", ".join(f'"{c}"' for c in cols)
    picked = ", ".join("?" if c == "file_id" else f'"{c}"' for c in cols)
    for pid in prompt_ids:
        cur = conn.execute(
            f"INSERT INTO prompts ({listed}) SELECT {picked} FROM prompts WHERE id = ?",
            [new_file, pid],
        )
        new_pid = cur.lastrowid
        assert new_pid is not None
        for child in PROMPT_CHILDREN:
            if child in tables:
                _copy_rows(conn, child, "prompt_id", pid, new_pid)


def add_file_like(conn: sqlite3.Connection, file_id: int, path: str) -> int:
    """A new session file ingested: a copy of ``file_id``'s whole tree under new ids."""
    new = conn.execute(
        "INSERT INTO files (path, ingested_at) VALUES (?, '2026-01-02 03:04:05')", [path]
    ).lastrowid
    assert new is not None
    _copy_rows(conn, "sessions", "file_id", file_id, new)
    _copy_rows(conn, "events", "file_id", file_id, new)
    prompts = [
        r[0]
        for r in conn.execute("SELECT id FROM prompts WHERE file_id = ? ORDER BY id", [file_id])
    ]
    _copy_prompts(conn, file_id, new, prompts)
    return new


def reingest(conn: sqlite3.Connection, file_id: int) -> None:
    """The file ingested again: sessions and prompts (and by cascade their children) deleted
    and inserted again under new ids; ``ingested_at`` updated."""
    old = [
        r[0]
        for r in conn.execute("SELECT id FROM prompts WHERE file_id = ? ORDER BY id", [file_id])
    ]
    cols = _columns(conn, "sessions")
    listed = ", ".join(f'"{c}"' for c in cols)
    session = conn.execute(f"SELECT {listed} FROM sessions WHERE file_id = ?", [file_id]).fetchone()
    conn.execute("DELETE FROM sessions WHERE file_id = ?", [file_id])
    if session is not None:
        conn.execute(
            f"INSERT INTO sessions ({listed}) VALUES ({', '.join('?' * len(cols))})", session
        )
    _copy_prompts(conn, file_id, file_id, old)
    conn.executemany("DELETE FROM prompts WHERE id = ?", [[i] for i in old])
    conn.execute("UPDATE files SET ingested_at = '2026-02-03 04:05:06' WHERE id = ?", [file_id])


def edit_redactions(conn: sqlite3.Connection, ids: list[int]) -> None:
    """A user edits redactions: new text, reason and updated_at."""
    conn.executemany(
        "UPDATE redactions SET replacement_text = replacement_text || ' (edited)', "
        "updated_at = '2026-03-04 05:06:07' WHERE id = ?",
        [[i] for i in ids],
    )


def delete_rows(conn: sqlite3.Connection, table: str, ids: list[int]) -> None:
    """Rows deleted (their children go by cascade)."""
    conn.executemany(f'DELETE FROM "{table}" WHERE id = ?', [[i] for i in ids])


def churn(path: Path, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
    """About ``fraction`` of the rows inserted, updated or deleted, the way ingest does it.

    A third of the budget re-ingests session files, a third ingests new ones, a sixth deletes
    files (their trees by cascade); redactions are edited and deleted. Returns what was done.
    """
    import random

    rng = random.Random(seed)
    conn = open_writer(path)
    tables = [t for t in _tables(conn) if not t.startswith("sqlite_")]
    rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    files = [r[0] for r in conn.execute("SELECT id FROM files ORDER BY id")]
    per_file = rows / max(1, len(files))
    budget = max(1, round(fraction * rows / per_file))
    picked = rng.sample(files, min(len(files), budget))
    thirds = max(1, len(picked) // 3)
    done = {"reingested": 0, "new": 0, "deleted": 0, "redactions": 0}
    for file_id in picked[:thirds]:
        reingest(conn, file_id)
        done["reingested"] += 1
    for n, file_id in enumerate(picked[thirds : 2 * thirds]):
        add_file_like(conn, file_id, f"/sessions/churn-{seed}-{n}.jsonl")
        done["new"] += 1
    for file_id in picked[2 * thirds : 2 * thirds + max(1, thirds // 2)]:
        delete_rows(conn, "files", [file_id])
        done["deleted"] += 1
    if "redactions" in tables:
        ids = [r[0] for r in conn.execute("SELECT id FROM redactions ORDER BY id")]
        chosen = rng.sample(ids, min(len(ids), max(1, len(ids) // 50)))
        edit_redactions(conn, chosen[::2])
        delete_rows(conn, "redactions", chosen[1::2])
        done["redactions"] = len(chosen)
    conn.execute("COMMIT")
    conn.close()
    return done
