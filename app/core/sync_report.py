"""``sync --json`` and its saved report: run's keys, plus the rows inserted, updated, deleted."""

from __future__ import annotations

from typing import Any

from app.core.report import plan_to_dict, verified_to_dict
from app.core.sync import SyncPlan, SyncResult


def sync_plan_to_dict(sync: SyncPlan, *, elapsed_s: float = 0.0) -> dict[str, Any]:
    """The sync dry run as JSON-ready data: run's shape, ``changes`` per table and in total."""
    data = plan_to_dict(sync.plan, elapsed_s=elapsed_s)
    data["command"] = "sync"
    for entry in data["tables"]:
        ch = sync.changes.get(entry["table"])
        entry.update(ch.counts if ch else {"insert": 0, "update": 0, "delete": 0})
    data["changes"] = sync.totals
    data["up_to_date"] = sync.up_to_date
    data["refusals"] = list(sync.refusals)
    return data


def sync_result_to_dict(result: SyncResult) -> dict[str, Any]:
    """The executed sync as JSON-ready data (``verified`` as in run's report)."""
    data = sync_plan_to_dict(result.sync, elapsed_s=result.elapsed_s)
    data["executed"] = result.committed
    if result.checks:
        data["target"]["counts"] = {c.table: c.target_rows for c in result.checks}
    data["verified"] = verified_to_dict(
        result.checks, counts_match=result.counts_match, checksums_match=result.checksums_match
    )
    data["timing_s"] = {
        "diff": round(result.diff_s, 3),
        "apply": round(result.apply_s, 3),
        "verify": round(result.verify_s, 3),
    }
    return data
