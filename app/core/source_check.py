"""Whether an inspected SQLite file can be migrated: a typed answer for the wizard's first step.

The decision is made on the tables found (the same test the engine's refusal uses), not on the
wording of ``SourceInfo.version``, so a screen never has to parse a display string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.ailt_schema import OLDER_TABLES
from app.core.source import SourceInfo


class Fitness(StrEnum):
    """How far the file is an AI Log Trail database."""

    COMPLETE = "complete"  # every table of the older layout at least
    INCOMPLETE = "incomplete"  # some AI Log Trail tables are missing: usable, with a warning
    NOT_AI_LOG_TRAIL = "not_ai_log_trail"  # none of AI Log Trail's tables: refused


@dataclass(frozen=True)
class SourceCheck:
    """The verdict on one file: its fitness and, when refused, the sentence saying what to do."""

    info: SourceInfo
    fitness: Fitness
    refusal: str | None = None

    @property
    def usable(self) -> bool:
        """Whether the wizard may go on with this file."""
        return self.fitness is not Fitness.NOT_AI_LOG_TRAIL


def check_source(info: SourceInfo) -> SourceCheck:
    """Judge an inspected file: usable, usable but incomplete, or refused with a sentence."""
    names = {t.name for t in info.tables}
    if not any(t.known for t in info.tables):
        return SourceCheck(info, Fitness.NOT_AI_LOG_TRAIL, no_ai_log_trail_tables(info))
    if not names >= OLDER_TABLES:
        return SourceCheck(info, Fitness.INCOMPLETE)
    return SourceCheck(info, Fitness.COMPLETE)


def no_ai_log_trail_tables(info: SourceInfo) -> str:
    """The refusal sentence for a file without AI Log Trail's tables."""
    return (
        f"{info.path.name} holds no AI Log Trail tables: choose the file "
        "AI Log Trail writes (reports/session_data.sqlite by default)."
    )
