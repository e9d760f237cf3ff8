"""The machine-readable result: ``run --json`` prints it, the wizard saves it in the reports folder.

Both use the same keys, so scripts can read either.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from app.core.atomic_file import atomic_write
from app.core.errors import BadInput
from app.core.migrate import Result
from app.core.plan import Plan
from app.core.verify import TableCheck


def plan_to_dict(plan: Plan, *, elapsed_s: float = 0.0) -> dict[str, Any]:
    """The dry run as JSON-ready data (nothing secret in it: the DSN is masked)."""
    return {
        "source": {
            "path": str(plan.source.path),
            "size_bytes": plan.source.size_bytes,
            "version": plan.source.version,
            "counts": plan.source.counts,
        },
        "target": {
            "dsn": plan.target.display,
            "server_version": plan.server_version,
            "counts": {t.name: t.target_rows for t in plan.tables},
            "password_source": plan.password_source,
        },
        "tables": [
            {
                "table": t.name,
                "ailt_table": t.known,
                "sqlite_rows": t.source_rows,
                "postgres_rows": t.target_rows,
                "status": t.status,
                "notes": t.notes,
            }
            for t in plan.tables
        ],
        "executed": False,
        "verified": {"counts_match": None, "checksums_match": None},
        "problems": [p.as_dict() for p in plan.problems],
        "objects": [o.as_dict() for o in plan.objects],
        "warnings": plan.warnings,
        "elapsed_s": round(elapsed_s, 3),
    }


def verified_to_dict(
    checks: list[TableCheck], *, counts_match: bool, checksums_match: bool
) -> dict[str, Any]:
    """The ``verified`` part of run's and sync's reports: both sides of every table."""
    return {
        "counts_match": counts_match,
        "checksums_match": checksums_match,
        "tables": [
            {
                "table": c.table,
                "sqlite_rows": c.source_rows,
                "postgres_rows": c.target_rows,
                "sqlite_checksum": c.source_checksum,
                "postgres_checksum": c.target_checksum,
                "method": c.method,
                "values_compared": c.values_compared,
            }
            for c in checks
        ],
    }


def result_to_dict(result: Result) -> dict[str, Any]:
    """The executed migration as JSON-ready data."""
    data = plan_to_dict(result.plan, elapsed_s=result.elapsed_s)
    data["executed"] = result.committed
    data["target"]["counts"] = {c.table: c.target_rows for c in result.checks}
    data["verified"] = verified_to_dict(
        result.checks, counts_match=result.counts_match, checksums_match=result.checksums_match
    )
    data["repaired"] = [p.as_dict() for p in result.repaired]
    data["rows_copied"] = result.rows_copied
    data["timing_s"] = {"copy": round(result.copy_s, 3), "verify": round(result.verify_s, 3)}
    return data


def save_report(data: dict[str, Any], reports_dir: Path) -> Path:
    """Write ``ailt-migrate-YYYYmmdd-HHMMSS.json`` in ``reports_dir`` (``-2``, ``-3`` ... when
    a report of the same second is there already); return its path."""
    stem = time.strftime("ailt-migrate-%Y%m%d-%H%M%S")
    path, n = reports_dir / f"{stem}.json", 1
    while path.exists():
        n += 1
        path = reports_dir / f"{stem}-{n}.json"
    return write_report(data, path)


def check_report_path(path: Path) -> None:
    """Refuse a report path that cannot be written, before anything runs.

    ``--execute`` writes the report after it commits; finding out then would leave the
    user with a committed target and an error. Writability is tried, not guessed from
    permissions: root passes every ``os.access`` check, yet cannot create files in /proc.
    Raises ``BadInput``.
    """
    target = _report_file(path)
    folder = target.parent
    while not folder.exists() and folder != folder.parent:  # mkdir(parents=True) creates these
        folder = folder.parent
    try:
        if not folder.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ailt-migrate-probe-"):
            pass
    except OSError as exc:
        raise BadInput(
            f"The report cannot be written to {path} ({folder}: {exc.strerror}): choose "
            "another file; nothing was done."
        ) from None
    if target.exists() and not os.access(target, os.W_OK):
        raise BadInput(
            f"The report cannot be written to {path} (the file is read-only): choose another "
            "file; nothing was done."
        )


def _report_file(path: Path) -> Path:
    """The regular file a report goes to: a symbolic link is followed (the link stays a link),
    anything else that is not a regular file (a folder, a device, a pipe) is refused, since
    the report replaces the file it writes. Raises ``BadInput``."""
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise BadInput(
            f"{path} is a folder: give the report a file name, e.g. "
            f"{path / 'ailt-migrate-report.json'}."
        )
    if target.exists() and not target.is_file():
        raise BadInput(
            f"{path} is not a regular file (a device or a pipe, say), which a report would "
            "replace: give the report a file name; nothing was done."
        )
    return target


def write_report(data: dict[str, Any], path: Path) -> Path:
    """Write the report to ``path`` atomically (a reader never sees half a file); through a
    symbolic link, to the file it points to.

    Raises ``BadInput`` when ``path`` is a folder, not a regular file, or cannot be written.
    """
    target = _report_file(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n", 0o644)
    except (OSError, BadInput) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"cannot write in {target.parent}"
        raise BadInput(
            f"The report cannot be written to {path} ({reason}): choose another file."
        ) from None
    return path
