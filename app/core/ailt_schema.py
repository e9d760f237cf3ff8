"""AI Log Trail's own tables: the one description both the SQLite and the PostgreSQL side use.

The facts come from AI Log Trail's database format: every table has an ``id`` INTEGER PRIMARY KEY,
foreign keys cascade on delete, and three timestamp columns become TIMESTAMPTZ in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column after ``id``: its SQLite declared type and its PostgreSQL type."""

    name: str
    sqlite_type: str
    not_null: bool = False
    unique: bool = False
    sqlite_default: str | None = None
    check: str | None = None

    @property
    def pg_type(self) -> str:
        """The type the tool creates: ids and integers widen to BIGINT, REAL to DOUBLE PRECISION.

        PostgreSQL's REAL is a 4-byte float while SQLite's is 8 bytes, so REAL would lose bits.
        """
        if self.name in TIMESTAMP_COLUMNS:
            return "TIMESTAMPTZ"
        return {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT"}[self.sqlite_type]


@dataclass(frozen=True)
class ForeignKey:
    """``column`` references ``parent(id)`` with ON DELETE CASCADE."""

    column: str
    parent: str


@dataclass(frozen=True)
class Index:
    """A plain (non-unique) index."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """An AI Log Trail table: columns after ``id``, foreign keys and indexes."""

    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        """``id`` followed by the other columns, in declaration order."""
        return ("id", *(c.name for c in self.columns))


# Stored as SQLite CURRENT_TIMESTAMP text (UTC); TIMESTAMPTZ in PostgreSQL.
TIMESTAMP_COLUMNS = frozenset({"ingested_at", "created_at", "updated_at"})


def _c(name: str, sqlite_type: str = "TEXT", **kw: object) -> Column:
    return Column(name, sqlite_type, **kw)  # type: ignore[arg-type]


def _prompt_child(name: str, *columns: Column) -> TableSpec:
    return TableSpec(
        name,
        (_c("prompt_id", "INTEGER", not_null=True), *columns),
        (ForeignKey("prompt_id", "prompts"),),
    )


FILES = TableSpec(
    "files",
    (
        _c("path", not_null=True, unique=True),
        _c("ingested_at", not_null=True, sqlite_default="CURRENT_TIMESTAMP"),
    ),
)
SESSIONS = TableSpec(
    "sessions",
    (
        _c("file_id", "INTEGER", not_null=True, unique=True),
        *(
            _c(n)
            for n in (
                "session_id",
                "session_timestamp",
                "cwd",
                "approval_policy",
                "sandbox_mode",
                "network_access",
                "raw_json",
            )
        ),
    ),
    (ForeignKey("file_id", "files"),),
)
PROMPTS = TableSpec(
    "prompts",
    (
        _c("file_id", "INTEGER", not_null=True),
        _c("prompt_index", "INTEGER", not_null=True),
        *(
            _c(n)
            for n in ("timestamp", "message", "active_file", "open_tabs", "my_request", "raw_json")
        ),
    ),
    (ForeignKey("file_id", "files"),),
)
REDACTIONS = TableSpec(
    "redactions",
    (
        _c("prompt_id", "INTEGER"),
        _c(
            "scope",
            not_null=True,
            sqlite_default="'prompt'",
            check="scope IN ('prompt','field','global')",
        ),
        _c("field_path"),
        _c("replacement_text", not_null=True),
        _c("reason"),
        _c("actor"),
        _c("created_at", not_null=True, sqlite_default="CURRENT_TIMESTAMP"),
        _c("updated_at"),
    ),
    (ForeignKey("prompt_id", "prompts"),),
    (Index("idx_redactions_prompt_scope", ("prompt_id", "scope")),),
)
TOKEN_MESSAGES = _prompt_child(
    "token_messages",
    _c("timestamp"),
    _c("primary_used_percent", "REAL"),
    _c("primary_window_minutes", "INTEGER"),
    _c("primary_resets"),
    _c("secondary_used_percent", "REAL"),
    _c("secondary_window_minutes", "INTEGER"),
    _c("secondary_resets"),
    _c("raw_json"),
)
TURN_CONTEXT_MESSAGES = _prompt_child(
    "turn_context_messages",
    *(
        _c(n)
        for n in (
            "timestamp",
            "cwd",
            "approval_policy",
            "sandbox_mode",
            "network_access",
            "writable_roots",
            "raw_json",
        )
    ),
)
AGENT_REASONING_MESSAGES = _prompt_child(
    "agent_reasoning_messages", *(_c(n) for n in ("timestamp", "source", "text", "raw_json"))
)
FUNCTION_PLAN_MESSAGES = _prompt_child(
    "function_plan_messages", *(_c(n) for n in ("timestamp", "name", "arguments", "raw_json"))
)
FUNCTION_CALLS = _prompt_child(
    "function_calls",
    *(
        _c(n)
        for n in (
            "call_timestamp",
            "output_timestamp",
            "name",
            "call_id",
            "arguments",
            "output",
            "raw_call_json",
            "raw_output_json",
        )
    ),
)
EVENTS = TableSpec(
    "events",
    (
        _c("file_id", "INTEGER", not_null=True),
        _c("timestamp", not_null=True),
        _c("event_type", not_null=True),
        _c("category", not_null=True),
        _c("priority", not_null=True),
        _c("session_id"),
        _c("data"),
        _c("raw_json"),
    ),
    (ForeignKey("file_id", "files"),),
)

# Parents first: the copy order the format page gives.
KNOWN_TABLES: tuple[TableSpec, ...] = (
    FILES,
    SESSIONS,
    PROMPTS,
    REDACTIONS,
    TOKEN_MESSAGES,
    TURN_CONTEXT_MESSAGES,
    AGENT_REASONING_MESSAGES,
    FUNCTION_PLAN_MESSAGES,
    FUNCTION_CALLS,
    EVENTS,
)
KNOWN_BY_NAME: dict[str, TableSpec] = {t.name: t for t in KNOWN_TABLES}
OLDER_TABLES = frozenset(t.name for t in KNOWN_TABLES) - {"redactions"}


def sqlite_ddl(spec: TableSpec) -> str:
    """The CREATE TABLE statement AI Log Trail itself runs on SQLite (used by the generator)."""
    parts = ["id INTEGER PRIMARY KEY AUTOINCREMENT"]
    for col in spec.columns:
        line = f"{col.name} {col.sqlite_type}"
        if col.not_null:
            line += " NOT NULL"
        if col.unique:
            line += " UNIQUE"
        if col.sqlite_default:
            line += f" DEFAULT {col.sqlite_default}"
        if col.check:
            line += f" CHECK ({col.check})"
        parts.append(line)
    parts += [
        f"FOREIGN KEY ({fk.column}) REFERENCES {fk.parent}(id) ON DELETE CASCADE"
        for fk in spec.foreign_keys
    ]
    ddl = f"CREATE TABLE {spec.name} (\n    " + ",\n    ".join(parts) + "\n);"
    for idx in spec.indexes:
        ddl += f"\nCREATE INDEX {idx.name} ON {spec.name} ({', '.join(idx.columns)});"
    return ddl


def create_sqlite_schema_sql(*, with_redactions: bool = True) -> str:
    """The whole SQLite schema of a current (or, without redactions, an older) file."""
    specs = [t for t in KNOWN_TABLES if with_redactions or t.name != "redactions"]
    return "\n".join(sqlite_ddl(t) for t in specs)
