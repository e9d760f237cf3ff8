"""Every object the SQLite file records, each with exactly one verdict.

The dry run lists them (text: every object not migrated as it is, one line each; JSON: all of
them under ``objects``), the wizard shows them and the saved report keeps them, so nothing is
dropped without being named.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What happens to one schema object."""

    AS_IS = "migrated as it is"
    TRANSLATED = "translated"  # ``postgres`` shows the PostgreSQL form
    NOT_MIGRATED = "not migrated"  # ``detail`` says why
    REFUSED = "refused"  # execute will not start; ``detail`` says what to do


class Kind(StrEnum):
    """The kinds of schema object, in the words the dry run prints."""

    TABLE = "table"
    COLUMN = "column"
    GENERATED = "generated column"
    PRIMARY_KEY = "primary key"
    UNIQUE = "unique"
    INDEX = "index"
    CHECK = "check"
    DEFAULT = "default"
    FOREIGN_KEY = "foreign key"
    COLLATION = "collation"
    VIEW = "view"
    TRIGGER = "trigger"
    VIRTUAL_TABLE = "virtual table"
    SHADOW_TABLE = "shadow table"
    INTERNAL_TABLE = "internal table"


@dataclass
class SchemaObject:
    """One object of the SQLite file and its verdict."""

    kind: Kind
    name: str
    table: str | None
    verdict: Verdict
    detail: str = ""
    postgres: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (``objects`` in ``--json`` and the saved report)."""
        return {
            "kind": str(self.kind),
            "name": self.name,
            "table": self.table,
            "verdict": str(self.verdict),
            "detail": self.detail,
            "postgres": self.postgres,
        }

    @property
    def line(self) -> str:
        """``view v: not migrated (why)`` -- the dry run's line for this object."""
        text = f"{self.kind} {self.name}: {self.verdict}"
        if self.verdict == Verdict.TRANSLATED and self.postgres:
            text += f" as {self.postgres}"
        if self.detail:
            text += f" ({self.detail})"
        return text

    def drop(self, reason: str) -> None:
        """PostgreSQL cannot take this object as translated: name it as not migrated."""
        self.verdict = Verdict.NOT_MIGRATED
        self.detail = reason

    def refuse(self, what_to_do: str) -> None:
        """Execute must not start because of this object."""
        self.verdict = Verdict.REFUSED
        self.detail = what_to_do
