"""Fixed engine objects for the snapshot tests: no clock, temp path, port or random name."""

from __future__ import annotations

from pathlib import Path

from app.core.dsn import Target
from app.core.inventory import Kind, SchemaObject, Verdict
from app.core.migrate import Result
from app.core.plan import NOT_EMPTY, PROBLEM, READY, WILL_CREATE, Plan, TablePlan
from app.core.scan import Problem, ProblemCode
from app.core.schema_plan import SchemaPlan
from app.core.source import SourceInfo, SourceTable
from app.core.spot_check import Sample
from app.core.switch import SwitchPlan
from app.core.verify import TableCheck

ROWS = {
    "files": 20,
    "sessions": 20,
    "prompts": 107,
    "redactions": 5,
    "token_messages": 455,
    "turn_context_messages": 107,
    "agent_reasoning_messages": 386,
    "function_plan_messages": 32,
    "function_calls": 476,
    "events": 851,
}
TARGET = Target(
    {"host": "db.example.com", "port": "5432", "dbname": "ai_log_trail", "user": "alice"},
    "s3cret-not-shown",
)


def source() -> SourceInfo:
    """The sample file as step 1 would describe it."""
    tables = [SourceTable(name, (), rows=rows) for name, rows in ROWS.items()]
    return SourceInfo(
        Path("session_data.sqlite"), 4_378_624, tables, "AI Log Trail, current (10 tables)"
    )


def plan(*, not_empty: bool = False) -> Plan:
    """A dry run: all tables to be created, or a target that already holds rows + problems."""
    tables = []
    for name, rows in ROWS.items():
        if not not_empty:
            tables.append(TablePlan(name, True, rows, 0, False, WILL_CREATE))
        elif name in ("files", "sessions", "prompts"):
            tables.append(TablePlan(name, True, rows, rows // 2, True, NOT_EMPTY))
        elif name == "events":
            tables.append(
                TablePlan(
                    name,
                    True,
                    rows,
                    0,
                    True,
                    PROBLEM,
                    ["2 value(s) cannot be migrated as they are"],
                )
            )
        else:
            tables.append(TablePlan(name, True, rows, 0, True, READY))
    problems = (
        [
            Problem("events", 17, "raw_json", ProblemCode.NUL),
            Problem("events", 342, "content", ProblemCode.UTF8),
        ]
        if not_empty
        else []
    )
    return Plan(source(), TARGET, "18.6", tables, problems, [])


def lossy_plan() -> Plan:
    """A target whose existing ``token_messages`` has a 4-byte real and an integer column, and a
    file with a view, a trigger and a translated index (issues 9 and 10)."""
    tables = [
        TablePlan(name, True, rows, 0, True, PROBLEM if name == "token_messages" else READY)
        for name, rows in ROWS.items()
    ]
    problems = [
        Problem(
            "token_messages",
            4,
            "cost_usd",
            ProblemCode.LOSSY,
            "33.333333333333336 would become 33.33333206176758 in its 4-byte real",
        ),
        Problem(
            "token_messages",
            9,
            "cost_usd",
            ProblemCode.LOSSY,
            "0.1 would become 0.10000000149011612 in its 4-byte real",
        ),
        Problem("token_messages", 12, "input_tokens", ProblemCode.RANGE, "integer 3000000000"),
    ]
    objects = [
        SchemaObject(
            Kind.VIEW,
            "daily_costs",
            None,
            Verdict.NOT_MIGRATED,
            "views are not migrated: recreate it in PostgreSQL",
        ),
        SchemaObject(
            Kind.TRIGGER,
            "touch_updated_at",
            "sessions",
            Verdict.NOT_MIGRATED,
            "SQLite trigger bodies cannot be translated",
        ),
        SchemaObject(
            Kind.INDEX,
            "idx_events_lower_type",
            "events",
            Verdict.TRANSLATED,
            postgres="CREATE INDEX ... (lower(type))",
        ),
    ]
    return Plan(source(), TARGET, "18.6", tables, problems, [], schema=SchemaPlan(objects=objects))


def result() -> Result:
    """A committed migration with fixed timings."""
    checks = [
        TableCheck(name, rows, rows, f"{i:032x}", f"{i:032x}", values_compared=rows * 8)
        for i, (name, rows) in enumerate(ROWS.items())
    ]
    return Result(plan(), checks, [], elapsed_s=1.25, copy_s=0.8, verify_s=0.3, committed=True)


def samples() -> list[Sample]:
    """The spot check: every cell of a few sampled rows, one long JSON value among them."""
    session = (
        '{"events": [{"timestamp": "2025-09-14T16:43:43.597Z", "type": "session_meta", '
        '"payload": {"id": "0199491c-6c6d", "cwd": "/home/alice/[project]"}}]}'
    )
    prompt = (
        '{"timestamp": "2025-09-14T18:57:16.538Z", "type": "event_msg", '
        '"payload": {"type": "user_message", "message": "Fix the flaky test, café ☕"}}'
    )
    cells = [
        ("agent_reasoning_messages", 1052, "created_at", "2025-09-14 18:57:20"),
        ("files", 1, "path", "rollouts/2025/09/14/rollout-0199491c.jsonl"),
        ("files", 1, "ingested_at", "2025-09-14 16:43:44"),
        ("sessions", 13, "session_id", "0199491c-6c6d"),
        ("sessions", 13, "cwd", "/home/alice/[project]"),
        ("sessions", 13, "raw_json", session),
        ("prompts", 89, "prompt_index", "3"),
        ("prompts", 89, "message", "Fix the flaky test, café ☕"),
        ("prompts", 89, "raw_json", prompt),
        ("token_messages", 233, "cost_usd", "0.0123"),
        ("token_messages", 233, "input_tokens", None),
    ]
    return [Sample(table, column, row_id, value, value) for table, row_id, column, value in cells]


def switch_plan(config: Path) -> SwitchPlan:
    """The switch preview for a config file named ``config.toml``."""
    old = 'backend = "sqlite"\n'
    new = 'backend = "postgres"\npostgres_dsn = "postgresql://alice@db.example.com:5432/ai_log_trail"\n'
    diff = (
        "--- config.toml (current)\n+++ config.toml (after switch)\n@@ -18,3 +18,3 @@\n"
        ' [database]\n-backend = "sqlite"  # "sqlite" or "postgres"\n'
        '+backend = "postgres"  # "sqlite" or "postgres"\n'
        '-# postgres_dsn = "postgresql://user@host:5432/ai_log_trail"\n'
        '+postgres_dsn = "postgresql://alice@db.example.com:5432/ai_log_trail"\n'
    )
    return SwitchPlan(
        config,
        "postgres",
        old,
        new,
        diff,
        True,
        "postgresql://alice@db.example.com:5432/ai_log_trail",
    )
