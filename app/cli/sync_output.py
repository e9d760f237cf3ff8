"""Plain-text rendering of a sync dry run and of an executed sync, in run's table shape."""

from __future__ import annotations

from app.cli.output import render_header
from app.core.sync import SyncPlan, SyncResult


def _table(
    sync: SyncPlan,
    *,
    verified: dict[str, str] | None = None,
    after: dict[str, int] | None = None,
) -> list[str]:
    """Counts side by side with the rows to insert, update and delete; ``after``: the
    target's counts once the sync committed (shown instead of those before it)."""
    tables = sync.plan.tables
    width = max([len(t.name) for t in tables] + [5])
    last = "verified" if verified is not None else "status"
    pg_label = "Postgres now" if after is not None else "Postgres rows"
    pg_rows = {t.name: t.target_rows for t in tables} | (after or {})
    lines = [
        f"{'table':<{width}}  {'SQLite rows':>12}  {pg_label:>13}  "
        f"{'insert':>7}  {'update':>7}  {'delete':>7}  {last}"
    ]
    for t in tables:
        c = sync.changes[t.name].counts if t.name in sync.changes else {}
        status = verified.get(t.name, "") if verified is not None else t.status
        lines.append(
            f"{t.name:<{width}}  {t.source_rows:>12,}  {pg_rows[t.name]:>13,}  "
            f"{c.get('insert', 0):>7,}  {c.get('update', 0):>7,}  "
            f"{c.get('delete', 0):>7,}  {status}"
        )
    tot = sync.totals
    lines.append(
        f"{'total':<{width}}  {sum(t.source_rows for t in tables):>12,}  "
        f"{sum(pg_rows.values()):>13,}  {tot['insert']:>7,}  "
        f"{tot['update']:>7,}  {tot['delete']:>7,}"
    )
    return lines


def render_sync_plan(sync: SyncPlan) -> str:
    """The dry run: what would change, what is in the way, and what to do next."""
    lines = [*render_header(sync.plan), "", *_table(sync)]
    for t in sync.plan.tables:
        lines += [f"Note: {t.name}: {n}" for n in t.notes]
    if sync.refusals:
        lines += ["", *[f"Cannot sync: {r}" for r in sync.refusals]]
    elif sync.up_to_date:
        lines += [
            "",
            "Nothing to do: the target already matches the SQLite file "
            "(every row compared). Nothing was written.",
        ]
    else:
        tot = sync.totals
        lines += [
            "",
            f"Dry run only: nothing was written. Add --execute to insert "
            f"{tot['insert']:,}, update {tot['update']:,} and delete "
            f"{tot['delete']:,} row(s) in one verified transaction.",
        ]
    return "\n".join(lines)


def render_sync_result(result: SyncResult) -> str:
    """After --execute: the changes, the full verification, and the commit."""
    sync = result.sync
    if not result.committed:
        return "\n".join(
            [
                *render_header(sync.plan),
                "",
                *_table(sync),
                "",
                "Nothing to do: the target already matches the SQLite file (every "
                "row compared). Nothing was written.",
            ]
        )
    verified = {c.table: ("counts and checksum match" if c.ok else "DIFFER") for c in result.checks}
    tot = sync.totals
    return "\n".join(
        [
            *render_header(sync.plan),
            "",
            *_table(sync, verified=verified, after={c.table: c.target_rows for c in result.checks}),
            "",
            f"Synced: {tot['insert']:,} inserted, {tot['update']:,} updated, {tot['delete']:,} "
            f"deleted; every table verified in full against SQLite in {result.elapsed_s:.1f} s. "
            "Committed.",
        ]
    )
