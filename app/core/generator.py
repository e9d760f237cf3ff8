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

Usage: ``python -m app.core.generator OUT.sqlite --size 100MB --seed 1 [--older] [--extra-tables]``
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.ailt_schema import KNOWN_TABLES, create_sqlite_schema_sql

DEFAULT_SESSIONS = 20

# The two tables later AI Log Trail versions add (``extra_tables=True``), as they create them.
EXTRA_TABLES_SQL = """\
CREATE TABLE redaction_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    pattern TEXT NOT NULL,
    replacement TEXT NOT NULL DEFAULT '[REDACTED]',
    enabled INTEGER NOT NULL DEFAULT 1,
    weight REAL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE session_context (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT
);
CREATE INDEX idx_session_context_session_id ON session_context (session_id);"""

_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "redaction_rules": (
        "id",
        "name",
        "pattern",
        "replacement",
        "enabled",
        "weight",
        "created_at",
    ),
    "session_context": ("id", "session_id", "key", "value"),
}

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

    gen = _Builder(random.Random(seed), with_redactions, extra_tables)
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
    gen: _Builder,
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
# Time helpers: milliseconds since the epoch, UTC, as the two text forms AI Log Trail stores.


def _iso(ms: int) -> str:
    """Codex event time: ``2025-11-03T10:12:33.123Z``."""
    secs, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{milli:03d}Z"


def _sql_ts(secs: int) -> str:
    """SQLite CURRENT_TIMESTAMP text (UTC): ``2025-11-03 10:12:33``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs))


def _dumps(obj: object) -> str:
    """JSON the way AI Log Trail stores it (``json.dumps(..., ensure_ascii=False)``)."""
    return json.dumps(obj, ensure_ascii=False)


def _compact(obj: object) -> str:
    """JSON the way Codex itself writes argument and output strings (serde: no spaces)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _raw(ts: str, kind: str, payload_json: str) -> str:
    """A whole rollout event as AI Log Trail stores it, from its already-encoded payload.

    Same text as ``_dumps({"timestamp": ts, "type": kind, "payload": payload})``, without
    encoding the payload a second time.
    """
    return '{"timestamp": "' + ts + '", "type": "' + kind + '", "payload": ' + payload_json + "}"


# --------------------------------------------------------------------------------------------
# Building blocks of text, made once per run from the seed.

_USERS = ("lauren", "dev", "zoë", "mkumar", "jpark", "ana.garcia", "wei", "olafur")
_PROJECTS = (
    "ai-log-trail",
    "billing-service",
    "dotfiles",
    "data-pipeline",
    "webapp",
    "thesis",
    "数据分析",
    "rust-cli",
    "café-menu",
    "infra",
)
_MODELS = ("gpt-5-codex", "gpt-5", "gpt-5.1-codex", "gpt-5.1-codex-max", "o4-mini")
_CLI_VERSIONS = ("0.46.0", "0.50.0", "0.53.0", "0.55.0", "0.58.0", "0.61.0", "0.63.0")
_POLICIES = (
    ("on-request", "workspace-write"),
    ("on-request", "workspace-write"),
    ("never", "danger-full-access"),
    ("untrusted", "read-only"),
    ("on-failure", "workspace-write"),
)
_FILES = (
    "src/app.py",
    "src/models.py",
    "src/services/ingest.py",
    "tests/test_ingest.py",
    "README.md",
    "pyproject.toml",
    "Makefile",
    "cmd/server/main.go",
    "web/src/App.tsx",
    "docs/notes — été.md",
    "src/数据/loader.py",
    "scripts/deploy.sh",
    "Cargo.toml",
    "src/main.rs",
    "config/settings.toml",
)
_WORDS = (
    "TODO",
    "raw_json",
    "prompt_id",
    "def ingest",
    "timeout_ms",
    "session_meta",
    "FIXME",
    "café",
    "数据",
    "🚀",
    "\\\\d+",
    "utf-8",
)
_UNICODE_BITS = (
    "café",
    "naïve",
    "Zoë",
    "Ångström",
    "mañana",
    "Straße",
    "数据库迁移",
    "テスト",
    "한국어",
    "🚀",
    "✅",
    "🐛",
    "👍🏽",
    "🇫🇷",
    "👩‍💻",
    "e\u0301",
    "Ωmega",
    "≤ 5 ms",
    "مرحبا",
    "«ok»",
)

_PY_LINES = (
    "import json",
    "import re",
    "from pathlib import Path",
    "",
    'DATE_RE = re.compile(r"^(\\d{4})-(\\d{2})-(\\d{2})T")',
    'WIN_PATH = "C:\\\\Users\\\\lauren\\\\AppData\\\\Local\\\\codex"',
    "def load(path: Path) -> list[dict]:",
    '    """Load one rollout file; skip blank lines."""',
    '    with path.open(encoding="utf-8") as handle:',
    "        return [json.loads(line) for line in handle if line.strip()]",
    '    print("a\\tb\\n")',
    '    return "Zoë — café ☕"',
    "# TODO(数据): handle 🚀 emoji in titles",
    "class SessionParser:",
    "    def __init__(self, root: Path) -> None:",
    "        self.root = root",
    "        self._seen: set[str] = set()",
    "    if not message:",
    "        return None, None, None",
    '    rows = conn.execute("SELECT id, raw_json FROM prompts WHERE file_id = ?", (fid,))',
    '    sep = "\\\\" if os.name == "nt" else "/"',
    '    assert text.splitlines() == ["a", "b"], repr(text)',
    '    logger.info("ingested %s (%d prompts)", path.name, count)',
    "    except json.JSONDecodeError as exc:",
    '        raise ValueError(f"line {number}: {exc}") from exc',
)
_GO_LINES = (
    "package main",
    "",
    "import (",
    '\t"fmt"',
    '\t"os"',
    ")",
    "func main() {",
    "\tif len(os.Args) < 2 {",
    '\t\tfmt.Fprintln(os.Stderr, "usage: server <config>")',
    "\t\tos.Exit(2)",
    "\t}",
    '\tfmt.Printf("listening on %s\\n", addr)',
    '\tpath := "C:\\\\srv\\\\data"',
    "}",
)
_TS_LINES = (
    'import { useState } from "react";',
    "export function App(): JSX.Element {",
    "  const [rows, setRows] = useState<Row[]>([]);",
    '  const trimmed = value.replace(/\\s+$/g, "");',
    "  return <h1>Bonjour, {name} 👋</h1>;",
    "}",
    "// eslint-disable-next-line no-console",
    "  console.log(`loaded ${rows.length} rows in ${ms} ms`);",
)
_MAKE_LINES = (
    "PYTHON ?= python3",
    ".PHONY: test lint",
    "test:",
    "\t$(PYTHON) -m pytest -q",
    "lint:",
    "\truff check . && mypy src",
    "clean:",
    "\trm -rf build dist *.egg-info",
)
_CODE_BY_EXT = {
    ".py": _PY_LINES,
    ".go": _GO_LINES,
    ".tsx": _TS_LINES,
    "Makefile": _MAKE_LINES,
}

_REASON_TITLES = (
    "Inspecting the ingest pipeline",
    "Planning the schema change",
    "Checking test failures",
    "Reviewing the diff",
    "Looking for the config loader",
    "Clarifying the request",
    "Verifying Windows paths",
    "Considering edge cases",
    "Summarizing changes",
    "Investigating the flaky test",
    "Vérification des accents",
    "データベースの確認",
)
_REASON_SENTENCES = (
    "I need to look at how prompts are grouped by user messages before changing anything.",
    "The failing test expects CRLF line endings to survive the round trip.",
    "I'll search for where `raw_json` is written and check the encoding.",
    "It seems the parser strips trailing whitespace, which would change the stored text.",
    "Next I'll run the focused test file to confirm the fix.",
    "The user wants the output in French, so I'll keep the accents: é, è, ç, à.",
    "There may be a backslash-escaping issue with paths like C:\\Users\\dev\\project.",
    "I should avoid touching unrelated files and keep the change minimal.",
    "Let me double-check the timezone handling: timestamps are UTC with a trailing Z.",
    "The plan: inspect, patch, run tests, summarize.",
    "Tabs in the Makefile are significant, so the patch must keep them.",
    "I'll update the plan once the schema migration is verified ✅.",
    "用户希望保留中文文件名\uff0c所以路径里不能做 ASCII 转换。"  # real CJK comma,
    "The emoji 🚀 in commit titles broke the old exporter; worth a regression test.",
    "Looks like the sandbox blocks network access, so pip install will fail here.",
)
_REQUESTS = (
    "Fix the failing test in tests/test_ingest.py and explain what was wrong.",
    "Add a --since option to the export command.",
    "Why does the importer choke on Windows paths like C:\\Users\\zoë\\notes.txt?",
    "Refactor the parser so that prompts without IDE context still work.",
    "Write a migration that adds a redactions table. Keep it backwards compatible.",
    "Peux-tu traduire les messages d'erreur en français ? Merci 🙏",
    "数据导出的时候中文乱码\uff0c帮我看看。",
    "Can you make the Makefile targets work on macOS too?",
    "Review this diff and tell me if anything looks risky.",
    "Summarize what changed since yesterday 🙂",
    "Explain this regex: ^(\\d{4})-(\\d{2})-(\\d{2})T",
    'The CSV has tabs inside quoted fields:\n\tname\t"a\tb"\nhow do I parse it?',
    "Pasted from Windows:\r\nline one\r\nline two\r\nWhy are there ^M characters?",
    "テストを追加してください。",
    "Bump the version and update the changelog.",
    "make it faster",
)
_AGENT_CLOSERS = (
    "All tests pass now.",
    "Let me know if you want me to open a PR.",
    "I didn't run the full suite because the sandbox has no network access.",
    "Voilà ! Les messages sont traduits.",
    "完成了。",
    "Done ✅",
)
_PLAN_STEPS = (
    "Inspect the current schema",
    "Write the migration",
    "Update the ingest code",
    "Add regression tests",
    "Run the test suite",
    "Update documentation",
    "Reproduce the bug",
    "Patch the parser",
    "Vérifier les accents",
)


@dataclass(frozen=True)
class _Shell:
    """One shell call's shape: the command (argv) and the text it printed."""

    argv: tuple[str, ...]
    text: str
    exit_code: int


class _Pool:
    """Text blocks made once per run; rows reuse them, so building a row costs little."""

    def __init__(self, rng: random.Random) -> None:
        self.linux = [self._linux_block(rng) for _ in range(220)]
        self.windows = [self._windows_block(rng) for _ in range(60)]
        self.patches = [self._patch(rng) for _ in range(40)]
        self.reasoning = [self._reasoning(rng) for _ in range(160)]
        self.agent_messages = [self._agent_message(rng) for _ in range(80)]
        self.instructions = [self._agents_md(rng) for _ in range(6)]
        self.images = [
            "data:image/png;base64,"
            + base64.b64encode(rng.randbytes(rng.randint(800, 6000))).decode("ascii")
            for _ in range(4)
        ]

    # -- shell output -----------------------------------------------------------------------

    @staticmethod
    def _code(rng: random.Random, ext: str, n: int) -> list[str]:
        lines = _CODE_BY_EXT.get(ext, _PY_LINES)
        return [rng.choice(lines) for _ in range(n)]

    def _linux_block(self, rng: random.Random) -> _Shell:
        kind = rng.randrange(10)
        n = rng.choice((3, 8, 15, 30, 60, 120))
        bit = rng.choice(_UNICODE_BITS)
        if kind == 0:
            names = [*_FILES, f"{bit}.md", "résumé.pdf", "notes\\old.txt", ".env.example"]
            lines = ["total " + str(rng.randint(8, 900))]
            for _ in range(n):
                size = rng.randint(0, 200_000)
                lines.append(
                    f"-rw-r--r--  1 dev dev {size:>7} Nov {rng.randint(1, 28):>2} "
                    f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {rng.choice(names)}"
                )
            return _Shell(("bash", "-lc", "ls -la"), "\n".join(lines) + "\n", 0)
        if kind == 1:
            word = rng.choice(_WORDS)
            lines = [
                f"{rng.choice(_FILES)}:{rng.randint(1, 900)}:{line}"
                for line in self._code(rng, ".py", n)
            ]
            return _Shell(("bash", "-lc", f'rg -n "{word}" src tests'), "\n".join(lines), 0)
        if kind == 2:
            file = rng.choice(("src/app.py", "cmd/server/main.go", "web/src/App.tsx", "Makefile"))
            ext = "Makefile" if file == "Makefile" else file[file.rfind(".") :]
            body = self._code(rng, ext, n)
            text = "".join(f"{i:>6}\t{line}\n" for i, line in enumerate(body, 1))
            return _Shell(("bash", "-lc", f"nl -ba {file} | sed -n '1,200p'"), text, 0)
        if kind == 3:
            failed = rng.random() < 0.4
            dots = "".join(rng.choice("....F" if failed else ".") for _ in range(n))
            lines = [
                "============================= test session starts ==============================",
                "platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0",
                f"rootdir: /home/dev/src/{rng.choice(_PROJECTS)}",
                f"collected {len(dots)} items",
                "",
                f"tests/test_ingest.py {dots} [100%]",
            ]
            if failed:
                lines += [
                    "",
                    "=" * 35 + " FAILURES " + "=" * 35,
                    "_" * 28 + " test_crlf_round_trip " + "_" * 29,
                    "    def test_crlf_round_trip():",
                    '>       assert load(p) == "a\\r\\nb"',
                    "E       AssertionError: assert 'a\\nb' == 'a\\r\\nb'",
                    f"E         - {bit}",
                    "tests/test_ingest.py:42: AssertionError",
                ]
            lines.append(
                f"========== {dots.count('F')} failed, {dots.count('.')} passed in "
                f"{rng.uniform(0.2, 30):.2f}s =========="
            )
            return _Shell(("bash", "-lc", "pytest -q"), "\n".join(lines) + "\n", int(failed))
        if kind == 4:
            file = rng.choice(_FILES)
            ext = "Makefile" if file == "Makefile" else file[file.rfind(".") :]
            lines = [
                f"diff --git a/{file} b/{file}",
                f"index {rng.getrandbits(28):07x}..{rng.getrandbits(28):07x} 100644",
                f"--- a/{file}",
                f"+++ b/{file}",
                f"@@ -{rng.randint(1, 300)},{n} +{rng.randint(1, 300)},{n + 2} @@",
            ]
            lines += [rng.choice(" +-") + line for line in self._code(rng, ext, n)]
            return _Shell(("bash", "-lc", "git diff"), "\n".join(lines) + "\n", 0)
        if kind == 5:
            rows = ["name\tcity\tnote\tscore"]
            for _ in range(n):
                rows.append(
                    f"{rng.choice(_USERS)}\t{rng.choice(('München', '東京', 'São Paulo', 'Oslo'))}"
                    f"\t{rng.choice(_UNICODE_BITS)}\t{rng.uniform(0, 100):.3f}"
                )
            return _Shell(("bash", "-lc", "cat data/people.tsv"), "\n".join(rows) + "\n", 0)
        if kind == 6:
            bom = "\ufeff" if rng.random() < 0.3 else ""
            lines = [rng.choice(_REASON_SENTENCES) for _ in range(n)]
            return _Shell(
                ("bash", "-lc", "cat docs/from-windows.txt"), bom + "\r\n".join(lines) + "\r\n", 0
            )
        if kind == 7:
            lines = [
                f"{i}|{rng.choice(_FILES)}|{_iso(1_760_000_000_000 + i * 61_003)}|"
                f"{rng.choice(_UNICODE_BITS)}"
                for i in range(1, n + 1)
            ]
            cmd = 'sqlite3 reports/session_data.sqlite "SELECT id, path, ts, note FROM v LIMIT 200"'
            return _Shell(("bash", "-lc", cmd), "\n".join(lines) + "\n", 0)
        if kind == 8:
            lines = ["Traceback (most recent call last):"]
            for _ in range(min(n, 12)):
                lines.append(
                    f'  File "/home/dev/src/app/{rng.choice(_FILES)}", line {rng.randint(1, 999)}'
                    f", in {rng.choice(('load', 'main', 'ingest', '_parse'))}"
                )
                lines.append("    " + rng.choice(_PY_LINES).strip())
            lines.append(f"UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9: {bit}")
            return _Shell(("bash", "-lc", "python -m src.main ingest"), "\n".join(lines) + "\n", 1)
        lines = ["On branch main", "Changes not staged for commit:"]
        lines += [f"\tmodified:   {rng.choice(_FILES)}" for _ in range(min(n, 20))]
        lines += ["", "Untracked files:", f"\t{bit}.txt", ""]
        return _Shell(("bash", "-lc", "git status"), "\n".join(lines), 0)

    def _windows_block(self, rng: random.Random) -> _Shell:
        n = rng.choice((4, 10, 25, 60))
        if rng.random() < 0.5:
            lines = [
                "",
                "    Directory: C:\\Users\\zoë\\projects\\webapp",
                "",
                "Mode                 LastWriteTime         Length Name",
                "----                 -------------         ------ ----",
            ]
            for _ in range(n):
                lines.append(
                    f"-a---          11/{rng.randint(1, 28):02d}/2025  {rng.randint(1, 12)}:"
                    f"{rng.randint(0, 59):02d} PM {rng.randint(0, 99999):>14} "
                    f"{rng.choice(_FILES).replace('/', chr(92))}"
                )
            cmd = "Get-ChildItem -Force"
            text = "\r\n".join(lines) + "\r\n"
        else:
            file = rng.choice(_FILES)
            body = self._code(rng, ".py", n)
            cmd = f"Get-Content -Raw '{file.replace('/', chr(92))}'"
            text = "\r\n".join(body) + "\r\n"
        return _Shell(("powershell.exe", "-NoProfile", "-Command", cmd), text, 0)

    def _patch(self, rng: random.Random) -> str:
        file = rng.choice(_FILES)
        ext = "Makefile" if file == "Makefile" else file[file.rfind(".") :]
        lines = ["*** Begin Patch", f"*** Update File: {file}", "@@"]
        lines += [rng.choice(" -+") + line for line in self._code(rng, ext, rng.randint(3, 40))]
        lines.append("*** End Patch")
        return "\n".join(lines)

    # -- prose --------------------------------------------------------------------------------

    @staticmethod
    def _reasoning(rng: random.Random) -> str:
        body = " ".join(rng.choice(_REASON_SENTENCES) for _ in range(rng.randint(1, 9)))
        return f"**{rng.choice(_REASON_TITLES)}**\n\n{body}"

    @staticmethod
    def _agent_message(rng: random.Random) -> str:
        parts = [" ".join(rng.choice(_REASON_SENTENCES) for _ in range(rng.randint(1, 4)))]
        parts.append(
            "\n".join(
                f"- `{rng.choice(_FILES)}:{rng.randint(1, 500)}` {rng.choice(_PLAN_STEPS).lower()}"
                for _ in range(rng.randint(1, 6))
            )
        )
        if rng.random() < 0.4:
            code = "\n".join(rng.choice(_PY_LINES) for _ in range(rng.randint(2, 12)))
            parts.append(f"```python\n{code}\n```")
        parts.append(rng.choice(_AGENT_CLOSERS))
        return "\n\n".join(parts)

    @staticmethod
    def _agents_md(rng: random.Random) -> str:
        sections = ["# AGENTS.md", "", "## Coding style"]
        sections += [f"- {s}" for s in rng.sample(_REASON_SENTENCES, 6)]
        sections += ["", "## Commands", "```bash", *rng.sample(_MAKE_LINES, 4), "```", ""]
        sections += [rng.choice(_REASON_SENTENCES) for _ in range(rng.randint(5, 40))]
        return "\n".join(sections)


# --------------------------------------------------------------------------------------------
# Rows.

_Row = tuple[object, ...]
_INSERT_ORDER = (
    "files",
    "sessions",
    "prompts",
    "redactions",
    "token_messages",
    "turn_context_messages",
    "agent_reasoning_messages",
    "function_plan_messages",
    "function_calls",
    "events",
    "redaction_rules",
    "session_context",
)
_COLUMNS: dict[str, tuple[str, ...]] = {
    **{t.name: t.column_names for t in KNOWN_TABLES},
    **_EXTRA_COLUMNS,
}
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


class _Builder:
    """Makes the rows of one session at a time into per-table buffers; ``flush`` writes them."""

    def __init__(self, rng: random.Random, with_redactions: bool, extra_tables: bool) -> None:
        self.rng = rng
        self.pool = _Pool(rng)
        self.with_redactions = with_redactions
        self.extra_tables = extra_tables
        tables = [
            t
            for t in _INSERT_ORDER
            if (with_redactions or t != "redactions") and (extra_tables or t not in _EXTRA_COLUMNS)
        ]
        self.buf: dict[str, list[_Row]] = {t: [] for t in tables}
        self.rows: dict[str, int] = dict.fromkeys(tables, 0)
        self.next_id: dict[str, int] = dict.fromkeys(tables, 1)
        self.sql = {
            t: f"INSERT INTO {t} ({', '.join(_COLUMNS[t])}) "
            f"VALUES ({', '.join('?' * len(_COLUMNS[t]))})"
            for t in tables
        }
        self.pending_bytes = 0
        self.prompt_bytes = 0
        self.prompt_count = 0
        # Sessions start in autumn 2025; the user ingests now and then, after the sessions ran.
        self.clock_ms = (1_756_684_800 + rng.randrange(30 * 86_400)) * 1000
        self.ingest_s = self.clock_ms // 1000
        self.finished = False
        if extra_tables:
            self._redaction_rules()

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _add(self, table: str, row: _Row, size: int) -> None:
        self.buf[table].append(row)
        self.pending_bytes += size

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the buffered rows, parents first, in one transaction."""
        conn.execute("BEGIN")
        for table, rows in self.buf.items():
            if rows:
                conn.executemany(self.sql[table], rows)
                self.rows[table] += len(rows)
                rows.clear()
        conn.execute("COMMIT")
        self.pending_bytes = 0

    def finish(self) -> None:
        """Add the rows that come after ingesting: global redactions. Runs once."""
        if self.finished:
            return
        self.finished = True
        if not self.with_redactions:
            return
        rng = self.rng
        for reason, field_path, replacement in (
            ("e-mail addresses", None, "[EMAIL]"),
            ("API keys everywhere", "raw_json", "[REDACTED]"),
            ("home directory names", "cwd", ""),
        ):
            created = self.ingest_s + rng.randint(60, 86_400)
            updated = None if rng.random() < 0.5 else _sql_ts(created + rng.randint(60, 9_000))
            row = (
                self._id("redactions"),
                None,
                "global",
                field_path,
                replacement,
                reason,
                rng.choice(("lauren", None)),
                _sql_ts(created),
                updated,
            )
            self._add("redactions", row, 100)

    def _redaction_rules(self) -> None:
        rng = self.rng
        for name, pattern, replacement, weight in (
            ("openai_api_key", r"sk-[A-Za-z0-9_\-]{20,}", "[REDACTED]", 1.0),
            ("email", r"\b[\w.+-]+@[\w-]+\.[\w.]+\b", "[EMAIL]", 0.8333333333333334),
            ("windows_home", r"C:\\Users\\[^\\]+", "C:\\Users\\[USER]", None),
            ("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "[IP]", 0.123456789012345),
            ("jwt", r"eyJ[\w-]+\.[\w-]+\.[\w-]+", "[REDACTED]", None),
            ("prénom", r"Zoë|Zoe", "[NOM]", 0.5),
        ):
            row = (
                self._id("redaction_rules"),
                name,
                pattern,
                replacement,
                int(rng.random() < 0.8),
                weight,
                _sql_ts(self.ingest_s - 3_600),
            )
            self._add("redaction_rules", row, 100)

    def _uuid7(self, ms: int) -> str:
        """A time-ordered id like Codex's session ids (``019a9776-0a34-7842-...``)."""
        r = self.rng.getrandbits(74)
        h = f"{ms & 0xFFFFFFFFFFFF:012x}"
        return (
            f"{h[:8]}-{h[8:]}-7{(r >> 62) & 0xFFF:03x}-{8 | ((r >> 60) & 3):x}"
            f"{(r >> 48) & 0xFFF:03x}-{r & 0xFFFFFFFFFFFF:012x}"
        )

    def _call_id(self) -> str:
        return "call_" + "".join(self.rng.choices(_ALNUM, k=24))

    # -- one session ------------------------------------------------------------------------

    def mean_prompt_bytes(self) -> float:
        """Counted text bytes per prompt so far (a guess before the first prompt)."""
        return self.prompt_bytes / self.prompt_count if self.prompt_count else 30_000.0

    def add_session(self, budget: float | None = None) -> None:
        """One rollout file: files, sessions, its prompts and everything under them.

        With ``budget`` (counted text bytes), stop adding prompts once one more prompt would
        overshoot it more than stopping undershoots; a session always has one prompt.
        """
        rng = self.rng
        used = self.pending_bytes
        start = self.clock_ms
        self.clock_ms += int(rng.expovariate(1 / 2_400_000)) + 5_000
        file_id = self._id("files")
        windows = rng.random() < 0.12
        user = rng.choice(_USERS)
        project = rng.choice(_PROJECTS)
        sid = self._uuid7(start)
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(start // 1000))
        day = stamp[:10].replace("-", "\\" if windows else "/")
        if windows:
            path = f"C:\\Users\\{user}\\.codex\\sessions\\{day}\\rollout-{stamp}-{sid}.jsonl"
            cwd = f"C:\\Users\\{user}\\projects\\{project}"
        else:
            path = f"/home/{user}/.codex/sessions/{day}/rollout-{stamp}-{sid}.jsonl"
            cwd = f"/home/{user}/src/{project}"
        approval, sandbox = rng.choice(_POLICIES)
        network = rng.choice(("restricted", "enabled"))
        cli_version = rng.choice(_CLI_VERSIONS)
        model = rng.choice(_MODELS)
        s = _Session(
            file_id=file_id,
            sid=sid,
            cwd=cwd,
            windows=windows,
            approval=approval,
            sandbox=sandbox,
            network=network,
            model=model,
            resets_at=cli_version >= "0.55.0",
            full_context=rng.random() < 0.5,
        )

        # The prelude: session_meta (almost always) and the environment context message.
        ts = _iso(start)
        prelude: list[dict[str, object]] = []
        has_meta = rng.random() < 0.97
        if has_meta:
            meta = {
                "id": sid,
                "timestamp": ts,
                "cwd": cwd,
                "originator": "codex_cli_rs",
                "cli_version": cli_version,
                "instructions": rng.choice(self.pool.instructions) if rng.random() < 0.4 else None,
                "source": rng.choice(("cli", "vscode")),
                "model_provider": "openai",
                "git": {
                    "commit_hash": "".join(rng.choices(_HEX, k=40)),
                    "branch": rng.choice(("main", "feature/redactions", "fix/crlf", "été")),
                    "repository_url": f"git@github.com:{user}/{project}.git",
                }
                if rng.random() < 0.8
                else None,
            }
            prelude.append({"timestamp": ts, "type": "session_meta", "payload": meta})
        env = (
            f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>{approval}"
            f"</approval_policy>\n  <sandbox_mode>{sandbox}</sandbox_mode>\n  <network_access>"
            f"{network}</network_access>\n  <shell>{'powershell' if windows else 'bash'}</shell>"
            "\n</environment_context>"
        )
        prelude.append(
            {
                "timestamp": _iso(start + 3),
                "type": "response_item",
                "payload": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": env}],
                },
            }
        )
        raw = _dumps({"events": prelude})
        session_row_id = self._id("sessions")
        self._add(
            "sessions",
            (
                session_row_id,
                file_id,
                sid if has_meta else None,
                ts if has_meta else None,
                cwd,
                approval,
                sandbox,
                network,
                raw,
            ),
            len(raw),
        )

        t = start + rng.randint(2_000, 90_000)
        n_prompts = min(40, 1 + int(rng.expovariate(1 / 5)))
        prompt_ids: list[int] = []
        for index in range(1, n_prompts + 1):
            if (
                budget is not None
                and prompt_ids
                and (self.pending_bytes - used + self.mean_prompt_bytes() / 2 >= budget)
            ):
                break
            before = self.pending_bytes
            prompt_id, t = self._prompt(s, index, t)
            prompt_ids.append(prompt_id)
            self.prompt_bytes += self.pending_bytes - before
            self.prompt_count += 1
            t += rng.randint(5_000, 900_000)

        # Ingested after the session ended; files are ingested in runs a few seconds apart.
        end_s = t // 1000
        if end_s > self.ingest_s or rng.random() < 0.1:
            self.ingest_s = max(self.ingest_s, end_s) + rng.randint(60, 3 * 86_400)
        else:
            self.ingest_s += rng.randint(0, 3)
        self.buf["files"].append((file_id, path, _sql_ts(self.ingest_s)))
        # Keep parents before children: the files row goes first in the flush order anyway.

        if self.with_redactions and rng.random() < 0.15:
            for _ in range(rng.randint(1, 2)):
                self._redaction(rng.choice(prompt_ids))
        if self.extra_tables:
            for key, value in (
                ("cwd", cwd),
                ("approval_policy", approval),
                ("sandbox_mode", sandbox),
                ("network_access", network if rng.random() < 0.8 else None),
                ("cli_version", cli_version),
                ("model", model if rng.random() < 0.7 else ""),
            ):
                row = (self._id("session_context"), session_row_id, key, value)
                self._add("session_context", row, 40)

    def _redaction(self, prompt_id: int) -> None:
        rng = self.rng
        scope = rng.choice(("prompt", "prompt", "field"))
        field_path = (
            rng.choice(("message", "raw_json.payload.message", "my_request"))
            if scope == "field"
            else None
        )
        created = self.ingest_s + rng.randint(60, 86_400)
        updated = None if rng.random() < 0.6 else _sql_ts(created + rng.randint(1, 864_000))
        row = (
            self._id("redactions"),
            prompt_id,
            scope,
            field_path,
            rng.choice(("[REDACTED]", "[EMAIL]", "[CLÉ API]", "")),
            rng.choice(("contains an API key", "personal data — RGPD", None, "")),
            rng.choice(("lauren", "zoë", None)),
            _sql_ts(created),
            updated,
        )
        self._add("redactions", row, 120)

    # -- one prompt -------------------------------------------------------------------------

    def _prompt(self, s: _Session, index: int, t: int) -> tuple[int, int]:
        """The user message and what followed it, up to the next one. Returns (id, time)."""
        rng = self.rng
        prompt_id = self._id("prompts")
        ts = _iso(t)
        request = rng.choice(_REQUESTS)
        if rng.random() < 0.3:
            request += " " + rng.choice(_UNICODE_BITS)
        images: list[str] = []
        active_file = open_tabs = my_request = None
        if rng.random() < 0.02:
            message = ""  # an image-only prompt: the message is empty, not missing
            images = [rng.choice(self.pool.images)]
        elif rng.random() < 0.45:
            active_file = rng.choice(_FILES)
            tabs = rng.sample(_FILES, rng.randint(1, 5))
            open_tabs = "\n".join(f"{tab.rsplit('/', 1)[-1]}: {tab}" for tab in tabs)
            message = (
                "# Context from my IDE setup:\n\n"
                f"## Active file: {active_file}\n\n## Open tabs:\n"
                + "".join(f"- {tab.rsplit('/', 1)[-1]}: {tab}\n" for tab in tabs)
                + f"\n## My request for Codex:\n{request}\n"
            )
            my_request = (
                "\n".join(line.rstrip() for line in request.splitlines() if line.rstrip()).strip()
                or None
            )
        else:
            message = request
        payload = _dumps(
            {"type": "user_message", "message": message, "kind": "plain", "images": images}
        )
        raw = _raw(ts, "event_msg", payload)
        self._add(
            "prompts",
            (
                prompt_id,
                s.file_id,
                index,
                ts,
                message,
                active_file,
                open_tabs,
                my_request,
                raw,
            ),
            len(raw) + len(message),
        )

        t += rng.randint(20, 400)
        self._turn_context(s, prompt_id, t)
        t += rng.randint(300, 3_000)
        self._token_count(s, prompt_id, t, first=True)
        t += rng.randint(500, 15_000)
        self._reasoning(s, prompt_id, t)
        if rng.random() < 0.35:
            t += rng.randint(500, 5_000)
            self._plan(s, prompt_id, t)
        for _ in range(min(25, int(rng.expovariate(1 / 4.5)))):
            if rng.random() < 0.4:
                t += rng.randint(500, 20_000)
                self._reasoning(s, prompt_id, t)
            t += rng.randint(300, 8_000)
            t = self._shell(s, prompt_id, t)
            if rng.random() < 0.5:
                t += rng.randint(50, 500)
                self._token_count(s, prompt_id, t)
            if rng.random() < 0.02:
                t += rng.randint(50, 500)
                self._error_event(s, t)
        t += rng.randint(1_000, 30_000)
        if rng.random() < 0.04:
            self._event_with_reasoning(
                s, prompt_id, t, {"type": "turn_aborted", "reason": "interrupted"}, "turn_aborted"
            )
        else:
            message = rng.choice(self.pool.agent_messages)
            self._event_with_reasoning(
                s, prompt_id, t, {"type": "agent_message", "message": message}, "agent_message"
            )
        t += rng.randint(50, 800)
        self._token_count(s, prompt_id, t)
        return prompt_id, t

    def _event(self, s: _Session, ts: str, payload: dict[str, object]) -> str:
        """The ``events`` row every ``event_msg`` gets; returns the raw event JSON."""
        data = _dumps(payload)
        raw = _raw(ts, "event_msg", data)
        self._add(
            "events",
            (
                self._id("events"),
                s.file_id,
                ts,
                payload["type"],
                payload.get("category", "other"),
                payload.get("priority", "medium"),
                payload.get("session_id"),
                data,
                raw,
            ),
            len(data) + len(raw),
        )
        return raw

    def _event_with_reasoning(
        self, s: _Session, prompt_id: int, t: int, payload: dict[str, object], source: str
    ) -> None:
        ts = _iso(t)
        raw = self._event(s, ts, payload)
        text = payload.get("text")  # agent_message and turn_aborted carry no "text": NULL
        self._add(
            "agent_reasoning_messages",
            (
                self._id("agent_reasoning_messages"),
                prompt_id,
                ts,
                source,
                text,
                raw,
            ),
            len(raw) + (len(text) if isinstance(text, str) else 0),
        )

    def _reasoning(self, s: _Session, prompt_id: int, t: int) -> None:
        text = self.rng.choice(self.pool.reasoning)
        self._event_with_reasoning(
            s, prompt_id, t, {"type": "agent_reasoning", "text": text}, "event_msg"
        )

    def _error_event(self, s: _Session, t: int) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            payload: dict[str, object] = {
                "type": "stream_error",
                "category": "network",
                "priority": "high",
                "session_id": s.sid,
                "message": "stream disconnected before completion: error sending request; "
                f"retrying {rng.randint(1, 5)}/5 in {rng.randint(180, 3000)}ms…",
            }
        else:
            payload = {
                "type": "background_event",
                "priority": "low",
                "message": "Auto-compacting the conversation (context 91% full)",
            }
        self._event(s, _iso(t), payload)

    def _turn_context(self, s: _Session, prompt_id: int, t: int) -> None:
        rng = self.rng
        policy: dict[str, object] = {"mode": s.sandbox}
        roots: str | None = None
        if s.sandbox == "workspace-write":
            tmp = "C:\\Users\\Public\\tmp" if s.windows else "/tmp"
            root_list = [] if rng.random() < 0.3 else [s.cwd, tmp][: rng.randint(1, 2)]
            policy.update(
                writable_roots=root_list,
                network_access=s.network == "enabled",
                exclude_tmpdir_env_var=False,
                exclude_slash_tmp=False,
            )
            roots = ", ".join(root_list)  # an empty list gives '', not NULL
        payload = _dumps(
            {
                "cwd": s.cwd,
                "approval_policy": s.approval,
                "sandbox_policy": policy,
                "model": s.model,
                "effort": rng.choice(("low", "medium", "high")),
                "summary": "auto",
            }
        )
        ts = _iso(t)
        raw = _raw(ts, "turn_context", payload)
        if s.full_context:
            net = policy.get("network_access")
            row: _Row = (
                self._id("turn_context_messages"),
                prompt_id,
                ts,
                s.cwd,
                s.approval,
                s.sandbox,
                None if net is None else str(int(bool(net))),
                roots,
                raw,
            )
        else:  # the writer version that kept only writable_roots and the raw event
            row = (
                self._id("turn_context_messages"),
                prompt_id,
                ts,
                None,
                None,
                None,
                None,
                roots,
                raw,
            )
        self._add("turn_context_messages", row, len(raw))

    def _token_count(self, s: _Session, prompt_id: int, t: int, first: bool = False) -> None:
        rng = self.rng
        info: dict[str, object] | None = None
        if not (first and rng.random() < 0.3):
            last_in = rng.randint(2_000, 60_000)
            last_cached = rng.randint(0, last_in)
            last_out = rng.randint(10, 4_000)
            last_reason = rng.randint(0, last_out)
            s.tokens_in += last_in
            s.tokens_cached += last_cached
            s.tokens_out += last_out
            s.tokens_reason += last_reason
            info = {
                "total_token_usage": {
                    "input_tokens": s.tokens_in,
                    "cached_input_tokens": s.tokens_cached,
                    "output_tokens": s.tokens_out,
                    "reasoning_output_tokens": s.tokens_reason,
                    "total_tokens": s.tokens_in + s.tokens_out,
                },
                "last_token_usage": {
                    "input_tokens": last_in,
                    "cached_input_tokens": last_cached,
                    "output_tokens": last_out,
                    "reasoning_output_tokens": last_reason,
                    "total_tokens": last_in + last_out,
                },
                "model_context_window": 272_000,
            }
        s.primary = min(100.0, s.primary + rng.random() * 1.7)
        s.secondary = min(100.0, s.secondary + rng.random() * 0.21)
        reset_key = "resets_at" if s.resets_at else "resets_in_seconds"
        now_s = t // 1000
        primary: dict[str, object] = {
            # Many significant digits: a 4-byte float would not hold these exactly.
            "used_percent": round(s.primary, 12) if rng.random() < 0.9 else float(int(s.primary)),
            "window_minutes": 300,
            reset_key: now_s + rng.randint(60, 18_000) if s.resets_at else rng.randint(60, 18_000),
        }
        rate_limits: dict[str, object] | None = {"primary": primary}
        secondary: dict[str, object] | None = None
        if rng.random() < 0.85:
            secondary = {
                "used_percent": round(s.secondary, 12),
                "window_minutes": 10_080,
                reset_key: now_s + rng.randint(3_600, 604_800)
                if s.resets_at
                else rng.randint(3_600, 604_800),
            }
            assert rate_limits is not None
            rate_limits["secondary"] = secondary
        if rng.random() < 0.05:
            rate_limits = None
        ts = _iso(t)
        raw = self._event(s, ts, {"type": "token_count", "info": info, "rate_limits": rate_limits})
        p = primary if rate_limits else {}
        q = secondary if rate_limits and secondary else {}
        self._add(
            "token_messages",
            (
                self._id("token_messages"),
                prompt_id,
                ts,
                p.get("used_percent"),
                p.get("window_minutes"),
                p.get(reset_key),
                q.get("used_percent"),
                q.get("window_minutes"),
                q.get(reset_key),
                raw,
            ),
            len(raw),
        )

    def _plan(self, s: _Session, prompt_id: int, t: int) -> None:
        """An ``update_plan`` call: a function_plan_messages row, and its output's quirk.

        AI Log Trail matches outputs to calls by call_id; update_plan calls are not in that
        table, so the first plan output of a file lands in a new function_calls row with no
        call fields (and later ones in the same file overwrite that row's output).
        """
        rng = self.rng
        steps = rng.sample(_PLAN_STEPS, rng.randint(2, 6))
        done = rng.randint(0, len(steps) - 1)
        args = _compact(
            {
                "explanation": rng.choice((None, rng.choice(_REASON_SENTENCES))),
                "plan": [
                    {
                        "step": step,
                        "status": "completed"
                        if i < done
                        else "in_progress"
                        if i == done
                        else "pending",
                    }
                    for i, step in enumerate(steps)
                ],
            }
        )
        call_id = self._call_id()
        ts = _iso(t)
        payload = _dumps(
            {"type": "function_call", "name": "update_plan", "arguments": args, "call_id": call_id}
        )
        raw = _raw(ts, "response_item", payload)
        self._add(
            "function_plan_messages",
            (
                self._id("function_plan_messages"),
                prompt_id,
                ts,
                "update_plan",
                args,
                raw,
            ),
            len(raw) + len(args),
        )
        out_ts = _iso(t + rng.randint(2, 40))
        out_raw = _raw(
            out_ts,
            "response_item",
            _dumps(
                {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": "Plan updated",
                }
            ),
        )
        calls = self.buf["function_calls"]
        if s.orphan_index is None:
            s.orphan_index = len(calls)
            calls.append(
                (
                    self._id("function_calls"),
                    prompt_id,
                    None,
                    out_ts,
                    None,
                    None,
                    None,
                    "Plan updated",
                    "{}",
                    out_raw,
                )
            )
        else:
            old = calls[s.orphan_index]
            calls[s.orphan_index] = (*old[:3], out_ts, *old[4:7], "Plan updated", "{}", out_raw)
        self.pending_bytes += len(out_raw)

    def _shell(self, s: _Session, prompt_id: int, t: int) -> int:
        """A function call and its output in one function_calls row; returns the time after."""
        rng = self.rng
        call_id = self._call_id()
        roll = rng.random()
        name = "shell"
        if roll < 0.12:  # Codex runs apply_patch through the shell tool
            patch = rng.choice(self.pool.patches)
            file = patch.split("\n", 2)[1].removeprefix("*** Update File: ")
            argv: tuple[str, ...] = ("apply_patch", patch)
            text, code = f"Success. Updated the following files:\nM {file}\n", 0
        else:
            block = rng.choice(self.pool.windows if s.windows else self.pool.linux)
            argv, text, code = block.argv, block.text, block.exit_code
            if roll > 0.93:
                text += rng.choice(self.pool.linux).text  # a long, compound output
        args = _compact(
            {
                "command": list(argv),
                "workdir": s.cwd,
                "timeout_ms": rng.choice((10_000, 60_000, 120_000)),
            }
        )
        ts = _iso(t)
        call_raw = _raw(
            ts,
            "response_item",
            _dumps(
                {
                    "type": "function_call",
                    "name": name,
                    "arguments": args,
                    "call_id": call_id,
                }
            ),
        )
        duration = rng.randint(5, 30_000)
        t += duration + rng.randint(1, 50)
        if rng.random() < 0.03:  # interrupted: the output never came
            self._add(
                "function_calls",
                (
                    self._id("function_calls"),
                    prompt_id,
                    ts,
                    None,
                    name,
                    call_id,
                    args,
                    None,
                    call_raw,
                    None,
                ),
                len(call_raw) + len(args),
            )
            return t
        if s.resets_at:  # newer Codex: plain text with a header
            output = f"Exit code: {code}\nWall time: {duration / 1000:.1f} seconds\nOutput:\n{text}"
        else:
            output = _compact(
                {
                    "output": text,
                    "metadata": {"exit_code": code, "duration_seconds": round(duration / 1000, 1)},
                }
            )
        out_ts = _iso(t)
        out_raw = _raw(
            out_ts,
            "response_item",
            _dumps(
                {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": output,
                }
            ),
        )
        self._add(
            "function_calls",
            (
                self._id("function_calls"),
                prompt_id,
                ts,
                out_ts,
                name,
                call_id,
                args,
                output,
                call_raw,
                out_raw,
            ),
            len(call_raw) + len(args) + len(output) + len(out_raw),
        )
        return t


@dataclass
class _Session:
    """What stays the same, or accumulates, across one rollout file's prompts."""

    file_id: int
    sid: str
    cwd: str
    windows: bool
    approval: str
    sandbox: str
    network: str
    model: str
    resets_at: bool
    full_context: bool
    tokens_in: int = 0
    tokens_cached: int = 0
    tokens_out: int = 0
    tokens_reason: int = 0
    primary: float = 0.0
    secondary: float = 0.0
    orphan_index: int | None = None


# --------------------------------------------------------------------------------------------
# Command line.


def main(argv: list[str] | None = None) -> int:
    """``python -m app.core.generator OUT.sqlite [--size 100MB | --sessions N] [--seed 1]``.

    Prints one summary line. Returns 0, or 1 when OUT exists (it is never overwritten).
    """
    parser = argparse.ArgumentParser(
        prog="python -m app.core.generator",
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
