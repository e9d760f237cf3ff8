"""Plain-text rendering of a dry run and a migration result for the terminal."""

from __future__ import annotations

from app.core.migrate import Result
from app.core.plan import Plan
from app.core.scan import FIXES

MAX_PROBLEMS_SHOWN = 50


def human_size(n: int) -> str:
    """1536 -> '1.5 kB' (decimal units, as file managers show)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def render_header(plan: Plan) -> list[str]:
    """Source and target lines."""
    src = plan.source
    return [
        f"Source:  {src.path}  ({human_size(src.size_bytes)}, {src.version})",
        f"Target:  {plan.target.display}  (PostgreSQL {plan.server_version})",
    ]


def render_plan(plan: Plan) -> str:
    """The dry run: side-by-side counts, then problems and warnings."""
    lines = [*render_header(plan), ""]
    width = max([len(t.name) for t in plan.tables] + [5])
    lines.append(f"{'table':<{width}}  {'SQLite rows':>12}  {'Postgres rows':>13}  status")
    for t in plan.tables:
        mark = "" if t.known else "  (extra table)"
        target_rows = f"{t.target_rows:>13,}" if t.exists else f"{'—':>13}"  # as the wizard
        lines.append(f"{t.name:<{width}}  {t.source_rows:>12,}  {target_rows}  {t.status}{mark}")
    lines.append(
        f"{'total':<{width}}  {plan.total_source_rows:>12,}  "
        f"{sum(t.target_rows for t in plan.tables):>13,}"
    )
    if plan.created:
        lines += ["", f"Tables to create: {', '.join(plan.created)}"]
    lines += [f"Note: {names}: {note}" for note, names in _notes(plan).items()]
    for warning in plan.warnings:
        if not any(warning in t.notes for t in plan.tables):
            lines.append(f"Warning: {warning}")
    listed = plan.schema.not_as_is
    if listed:
        lines += ["", "Schema objects not migrated as they are:"]
        lines += [f"  {o.line}" for o in listed]
    if plan.problems:
        lines += [
            "",
            f"{_values(len(plan.problems))} cannot be migrated as "
            f"{'it is' if len(plan.problems) == 1 else 'they are'}:",
        ]
        for p in plan.problems[:MAX_PROBLEMS_SHOWN]:
            fix = (
                f"  [--repair {' or --repair '.join(FIXES[p.code])}]"
                if p.repair
                else "  [fix it in SQLite]"
            )
            lines.append(f"  {p.table} id {p.id} column {p.column}: {p.reason}{fix}")
        if len(plan.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(
                f"  ... and {len(plan.problems) - MAX_PROBLEMS_SHOWN} more (--json lists them all)"
            )
    return "\n".join(lines)


def _values(n: int) -> str:
    return f"{n:,} value" + ("" if n == 1 else "s")


def _notes(plan: Plan) -> dict[str, str]:
    """Each table note once, with the tables it is about ("files, sessions: ...")."""
    tables: dict[str, list[str]] = {}
    for t in plan.tables:
        for note in t.notes:
            if "value(s)" not in note:  # the problem list below says it with locations
                tables.setdefault(note, []).append(t.name)
    return {note: ", ".join(names) for note, names in tables.items()}


def render_result(result: Result) -> str:
    """After execute: counts and checksum status side by side."""
    plan = result.plan
    lines = [*render_header(plan), ""]
    width = max([len(c.table) for c in result.checks] + [5])
    lines.append(
        f"{'table':<{width}}  {'SQLite rows':>12}  {'Postgres rows':>13}  counts  checksum"
    )
    for c in result.checks:
        lines.append(
            f"{c.table:<{width}}  {c.source_rows:>12,}  {c.target_rows:>13,}  "
            f"{'match' if c.counts_match else 'DIFFER':<6}  "
            f"{'match' if c.checksums_match else 'DIFFER'}"
        )
    total = sum(c.source_rows for c in result.checks)
    lines.append(f"{'total':<{width}}  {total:>12,}  {result.rows_copied:>13,}")
    if result.repaired:
        lines += ["", f"{_values(len(result.repaired))} changed as you chose (--repair):"]
        lines += [
            f"  {p.table} id {p.id} column {p.column}: {p.repaired}"
            for p in result.repaired[:MAX_PROBLEMS_SHOWN]
        ]
    values = sum(c.values_compared for c in result.checks)
    lines += [
        "",
        f"Verified: {values:,} values compared with SQLite's own, table by table "
        "(counts and canonical checksums).",
    ]
    rate = result.rows_copied / result.elapsed_s if result.elapsed_s else 0
    lines += [
        "",
        f"Migrated and verified {result.rows_copied:,} rows in "
        f"{result.elapsed_s:.1f} s ({rate:,.0f} rows/s). Committed.",
    ]
    return "\n".join(lines)
