"""Show one sampled row's raw JSON from SQLite beside the same row read back from PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from app.core.connect import PasswordLookup, connect
from app.core.dsn import Target
from app.core.source import SqliteSource, _quote

SPOT_TABLES = {"sessions": "raw_json", "prompts": "raw_json", "function_calls": "raw_call_json"}


@dataclass(frozen=True)
class Sample:
    """The same row on both sides."""

    table: str
    column: str
    id: int
    sqlite_value: str | None
    postgres_value: str | None

    @property
    def same(self) -> bool:
        """Whether the two values are identical."""
        return self.sqlite_value == self.postgres_value


def sample_rows(source_path: Path, target: Target, *, seed: int = 0,
                keyring_lookup: PasswordLookup | None = None) -> list[Sample]:
    """Pick one row per spot-check table (deterministic for a seed) and read it on both sides."""
    samples = []
    connected = connect(target, keyring_lookup=keyring_lookup, autocommit=True)
    with SqliteSource(Path(source_path)) as src, connected.conn as conn:
        names = {t.name for t in src.tables}
        for table, column in SPOT_TABLES.items():
            if table not in names:
                continue
            row = src.conn.execute(
                f"SELECT id, {_quote(column)} FROM {_quote(table)} "
                f"ORDER BY (id * 2654435761 + ?) % 4294967296 LIMIT 1", [seed]).fetchone()
            if row is None:
                continue
            found = conn.execute(
                sql.SQL("SELECT {} FROM {} WHERE id = %s").format(
                    sql.Identifier(column), sql.Identifier(table)), [row[0]]).fetchone()
            samples.append(Sample(table, column, row[0], row[1], found[0] if found else None))
    return samples
