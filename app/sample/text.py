"""The vocabulary of generated AI Log Trail data: users, projects, code, prose, JSON helpers.

Blocks of text are built once per run by :class:`Pool` and reused, which is what keeps the
generator fast; see ``app.sample.generator`` for the whole picture.
"""

from __future__ import annotations

import base64
import json
import random
import time
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------
# Time helpers: milliseconds since the epoch, UTC, as the two text forms AI Log Trail stores.


def iso(ms: int) -> str:
    """Codex event time: ``2025-11-03T10:12:33.123Z``."""
    secs, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{milli:03d}Z"


def sql_ts(secs: int) -> str:
    """SQLite CURRENT_TIMESTAMP text (UTC): ``2025-11-03 10:12:33``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs))


def dumps(obj: object) -> str:
    """JSON the way AI Log Trail stores it (``json.dumps(..., ensure_ascii=False)``)."""
    return json.dumps(obj, ensure_ascii=False)


def compact(obj: object) -> str:
    """JSON the way Codex itself writes argument and output strings (serde: no spaces)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def raw_event(ts: str, kind: str, payload_json: str) -> str:
    """A whole rollout event as AI Log Trail stores it, from its already-encoded payload.

    Same text as ``dumps({"timestamp": ts, "type": kind, "payload": payload})``, without
    encoding the payload a second time.
    """
    return '{"timestamp": "' + ts + '", "type": "' + kind + '", "payload": ' + payload_json + "}"


# --------------------------------------------------------------------------------------------
# Building blocks of text, made once per run from the seed.

USERS = ("lauren", "dev", "zoë", "mkumar", "jpark", "ana.garcia", "wei", "olafur")
PROJECTS = (
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
MODELS = ("gpt-5-codex", "gpt-5", "gpt-5.1-codex", "gpt-5.1-codex-max", "o4-mini")
CLI_VERSIONS = ("0.46.0", "0.50.0", "0.53.0", "0.55.0", "0.58.0", "0.61.0", "0.63.0")
POLICIES = (
    ("on-request", "workspace-write"),
    ("on-request", "workspace-write"),
    ("never", "danger-full-access"),
    ("untrusted", "read-only"),
    ("on-failure", "workspace-write"),
)
FILES = (
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
UNICODE_BITS = (
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
REASON_SENTENCES = (
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
REQUESTS = (
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
PLAN_STEPS = (
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


class Pool:
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
        bit = rng.choice(UNICODE_BITS)
        if kind == 0:
            names = [*FILES, f"{bit}.md", "résumé.pdf", "notes\\old.txt", ".env.example"]
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
                f"{rng.choice(FILES)}:{rng.randint(1, 900)}:{line}"
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
                f"rootdir: /home/dev/src/{rng.choice(PROJECTS)}",
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
            file = rng.choice(FILES)
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
                    f"{rng.choice(USERS)}\t{rng.choice(('München', '東京', 'São Paulo', 'Oslo'))}"
                    f"\t{rng.choice(UNICODE_BITS)}\t{rng.uniform(0, 100):.3f}"
                )
            return _Shell(("bash", "-lc", "cat data/people.tsv"), "\n".join(rows) + "\n", 0)
        if kind == 6:
            bom = "\ufeff" if rng.random() < 0.3 else ""
            lines = [rng.choice(REASON_SENTENCES) for _ in range(n)]
            return _Shell(
                ("bash", "-lc", "cat docs/from-windows.txt"), bom + "\r\n".join(lines) + "\r\n", 0
            )
        if kind == 7:
            lines = [
                f"{i}|{rng.choice(FILES)}|{iso(1_760_000_000_000 + i * 61_003)}|"
                f"{rng.choice(UNICODE_BITS)}"
                for i in range(1, n + 1)
            ]
            cmd = 'sqlite3 reports/session_data.sqlite "SELECT id, path, ts, note FROM v LIMIT 200"'
            return _Shell(("bash", "-lc", cmd), "\n".join(lines) + "\n", 0)
        if kind == 8:
            lines = ["Traceback (most recent call last):"]
            for _ in range(min(n, 12)):
                lines.append(
                    f'  File "/home/dev/src/app/{rng.choice(FILES)}", line {rng.randint(1, 999)}'
                    f", in {rng.choice(('load', 'main', 'ingest', '_parse'))}"
                )
                lines.append("    " + rng.choice(_PY_LINES).strip())
            lines.append(f"UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9: {bit}")
            return _Shell(("bash", "-lc", "python -m src.main ingest"), "\n".join(lines) + "\n", 1)
        lines = ["On branch main", "Changes not staged for commit:"]
        lines += [f"\tmodified:   {rng.choice(FILES)}" for _ in range(min(n, 20))]
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
                    f"{rng.choice(FILES).replace('/', chr(92))}"
                )
            cmd = "Get-ChildItem -Force"
            text = "\r\n".join(lines) + "\r\n"
        else:
            file = rng.choice(FILES)
            body = self._code(rng, ".py", n)
            cmd = f"Get-Content -Raw '{file.replace('/', chr(92))}'"
            text = "\r\n".join(body) + "\r\n"
        return _Shell(("powershell.exe", "-NoProfile", "-Command", cmd), text, 0)

    def _patch(self, rng: random.Random) -> str:
        file = rng.choice(FILES)
        ext = "Makefile" if file == "Makefile" else file[file.rfind(".") :]
        lines = ["*** Begin Patch", f"*** Update File: {file}", "@@"]
        lines += [rng.choice(" -+") + line for line in self._code(rng, ext, rng.randint(3, 40))]
        lines.append("*** End Patch")
        return "\n".join(lines)

    # -- prose --------------------------------------------------------------------------------

    @staticmethod
    def _reasoning(rng: random.Random) -> str:
        body = " ".join(rng.choice(REASON_SENTENCES) for _ in range(rng.randint(1, 9)))
        return f"**{rng.choice(_REASON_TITLES)}**\n\n{body}"

    @staticmethod
    def _agent_message(rng: random.Random) -> str:
        parts = [" ".join(rng.choice(REASON_SENTENCES) for _ in range(rng.randint(1, 4)))]
        parts.append(
            "\n".join(
                f"- `{rng.choice(FILES)}:{rng.randint(1, 500)}` {rng.choice(PLAN_STEPS).lower()}"
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
        sections += [f"- {s}" for s in rng.sample(REASON_SENTENCES, 6)]
        sections += ["", "## Commands", "```bash", *rng.sample(_MAKE_LINES, 4), "```", ""]
        sections += [rng.choice(REASON_SENTENCES) for _ in range(rng.randint(5, 40))]
        return "\n".join(sections)
