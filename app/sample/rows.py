"""The rows of generated AI Log Trail files: one rollout file's tables, as AI Log Trail's ingest
writes them, plus the two tables later versions add (see ``app.sample.generator``).
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass

from app.core.ailt_schema import KNOWN_TABLES
from app.sample.text import (
    CLI_VERSIONS,
    FILES,
    MODELS,
    PLAN_STEPS,
    POLICIES,
    PROJECTS,
    REASON_SENTENCES,
    REQUESTS,
    UNICODE_BITS,
    USERS,
    Pool,
    compact,
    dumps,
    iso,
    raw_event,
    sql_ts,
)

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

EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
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
    **EXTRA_COLUMNS,
}
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


class Builder:
    """Makes the rows of one session at a time into per-table buffers; ``flush`` writes them."""

    def __init__(self, rng: random.Random, with_redactions: bool, extra_tables: bool) -> None:
        self.rng = rng
        self.pool = Pool(rng)
        self.with_redactions = with_redactions
        self.extra_tables = extra_tables
        tables = [
            t
            for t in _INSERT_ORDER
            if (with_redactions or t != "redactions") and (extra_tables or t not in EXTRA_COLUMNS)
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
            updated = None if rng.random() < 0.5 else sql_ts(created + rng.randint(60, 9_000))
            row = (
                self._id("redactions"),
                None,
                "global",
                field_path,
                replacement,
                reason,
                rng.choice(("lauren", None)),
                sql_ts(created),
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
                sql_ts(self.ingest_s - 3_600),
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
        user = rng.choice(USERS)
        project = rng.choice(PROJECTS)
        sid = self._uuid7(start)
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(start // 1000))
        day = stamp[:10].replace("-", "\\" if windows else "/")
        if windows:
            path = f"C:\\Users\\{user}\\.codex\\sessions\\{day}\\rollout-{stamp}-{sid}.jsonl"
            cwd = f"C:\\Users\\{user}\\projects\\{project}"
        else:
            path = f"/home/{user}/.codex/sessions/{day}/rollout-{stamp}-{sid}.jsonl"
            cwd = f"/home/{user}/src/{project}"
        approval, sandbox = rng.choice(POLICIES)
        network = rng.choice(("restricted", "enabled"))
        cli_version = rng.choice(CLI_VERSIONS)
        model = rng.choice(MODELS)
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
        ts = iso(start)
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
                "timestamp": iso(start + 3),
                "type": "response_item",
                "payload": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": env}],
                },
            }
        )
        raw = dumps({"events": prelude})
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
        self.buf["files"].append((file_id, path, sql_ts(self.ingest_s)))
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
        updated = None if rng.random() < 0.6 else sql_ts(created + rng.randint(1, 864_000))
        row = (
            self._id("redactions"),
            prompt_id,
            scope,
            field_path,
            rng.choice(("[REDACTED]", "[EMAIL]", "[CLÉ API]", "")),
            rng.choice(("contains an API key", "personal data — RGPD", None, "")),
            rng.choice(("lauren", "zoë", None)),
            sql_ts(created),
            updated,
        )
        self._add("redactions", row, 120)

    # -- one prompt -------------------------------------------------------------------------

    def _prompt(self, s: _Session, index: int, t: int) -> tuple[int, int]:
        """The user message and what followed it, up to the next one. Returns (id, time)."""
        rng = self.rng
        prompt_id = self._id("prompts")
        ts = iso(t)
        request = rng.choice(REQUESTS)
        if rng.random() < 0.3:
            request += " " + rng.choice(UNICODE_BITS)
        images: list[str] = []
        active_file = open_tabs = my_request = None
        if rng.random() < 0.02:
            message = ""  # an image-only prompt: the message is empty, not missing
            images = [rng.choice(self.pool.images)]
        elif rng.random() < 0.45:
            active_file = rng.choice(FILES)
            tabs = rng.sample(FILES, rng.randint(1, 5))
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
        payload = dumps(
            {"type": "user_message", "message": message, "kind": "plain", "images": images}
        )
        raw = raw_event(ts, "event_msg", payload)
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
        data = dumps(payload)
        raw = raw_event(ts, "event_msg", data)
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
        ts = iso(t)
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
        self._event(s, iso(t), payload)

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
        payload = dumps(
            {
                "cwd": s.cwd,
                "approval_policy": s.approval,
                "sandbox_policy": policy,
                "model": s.model,
                "effort": rng.choice(("low", "medium", "high")),
                "summary": "auto",
            }
        )
        ts = iso(t)
        raw = raw_event(ts, "turn_context", payload)
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
        ts = iso(t)
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
        steps = rng.sample(PLAN_STEPS, rng.randint(2, 6))
        done = rng.randint(0, len(steps) - 1)
        args = compact(
            {
                "explanation": rng.choice((None, rng.choice(REASON_SENTENCES))),
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
        ts = iso(t)
        payload = dumps(
            {"type": "function_call", "name": "update_plan", "arguments": args, "call_id": call_id}
        )
        raw = raw_event(ts, "response_item", payload)
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
        out_ts = iso(t + rng.randint(2, 40))
        out_raw = raw_event(
            out_ts,
            "response_item",
            dumps(
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
        args = compact(
            {
                "command": list(argv),
                "workdir": s.cwd,
                "timeout_ms": rng.choice((10_000, 60_000, 120_000)),
            }
        )
        ts = iso(t)
        call_raw = raw_event(
            ts,
            "response_item",
            dumps(
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
            output = compact(
                {
                    "output": text,
                    "metadata": {"exit_code": code, "duration_seconds": round(duration / 1000, 1)},
                }
            )
        out_ts = iso(t)
        out_raw = raw_event(
            out_ts,
            "response_item",
            dumps(
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
