"""libpq's password file (``~/.pgpass``): where it is, how its entries read, and writing one.

AI Log Trail connects through libpq, so after the switch it finds the password here (the wizard
writes the entry only when asked). Written atomically with mode 0600, other lines kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.atomic_file import atomic_write
from app.core.dsn import Target
from app.core.errors import BadInput

PGPASS_MODE = 0o600


def pgpass_path(target: Target | None = None) -> Path:
    """The password file libpq reads: ``passfile=``, then PGPASSFILE, then ``~/.pgpass``."""
    chosen = (target.params.get("passfile") if target else None) or os.environ.get("PGPASSFILE")
    return Path(chosen).expanduser() if chosen else Path.home() / ".pgpass"


def pgpass_escape(value: str) -> str:
    """Escape a field for the password file (libpq reads ``\\`` and ``:`` escaped)."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


def pgpass_fields(line: str) -> list[str] | None:
    """Split an entry into its unescaped fields; None for comments, blanks and short lines."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in line.rstrip("\r\n"):
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(fields) < 4:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields if len(fields) == 5 else None


# libpq looks a Unix-socket connection up as "localhost" when its directory is libpq's compiled-in
# default; which default a given libpq has is not knowable from here, so both entries are written.
DEFAULT_SOCKET_DIRS = ("/tmp", "/var/run/postgresql", "/run/postgresql")


def _pgpass_keys(target: Target) -> list[list[str]]:
    """The host, port, database, user rows libpq may look up for this target."""
    host = target.params.get("host") or os.environ.get("PGHOST")
    if not host:
        host = target.params.get("hostaddr") or os.environ.get("PGHOSTADDR") or "localhost"
    rest = [target.port, target.dbname, target.user]
    hosts = [host, "localhost"] if host.rstrip("/") in DEFAULT_SOCKET_DIRS else [host]
    return [[h, *rest] for h in hosts]


def _shadows(fields: list[str] | None, key: list[str]) -> bool:
    """Whether libpq would pick this entry for ``key`` (``*`` matches anything)."""
    return fields is not None and all(f in ("*", k) for f, k in zip(fields[:4], key, strict=True))


def write_pgpass(target: Target, password: str, path: Path | None = None) -> Path:
    """Save the password in libpq's password file, mode 0600, atomically; return the file.

    An entry for the same host/port/database/user is replaced; the new entry is placed before
    any wildcard entry that would otherwise win (libpq takes the first match). Other lines and
    comments stay as they were. Symlinks are followed, so a linked ~/.pgpass stays linked.
    """
    if not password:
        raise BadInput("The password is empty: enter the password to save in ~/.pgpass.")
    path = path if path is not None else pgpass_path(target)
    real = Path(os.path.realpath(path.expanduser()))
    lines = _read_lines(real)
    newline = "\r\n" if any(ln.endswith("\r\n") for ln in lines) else "\n"
    for key in _pgpass_keys(target):
        lines = _with_entry(lines, key, password, newline)
    atomic_write(real, "".join(lines), PGPASS_MODE)
    return path


def _with_entry(lines: list[str], key: list[str], password: str, newline: str) -> list[str]:
    """``lines`` without the old entry for ``key`` and with the new one where it wins."""
    kept = [ln for ln in lines if (pgpass_fields(ln) or [])[:4] != key]
    at = next((i for i, ln in enumerate(kept) if _shadows(pgpass_fields(ln), key)), len(kept))
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += newline
    entry = ":".join(pgpass_escape(v) for v in [*key, password])
    return [*kept[:at], entry + newline, *kept[at:]]


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_bytes().decode("utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise BadInput(f"{path} cannot be read ({why}): fix or move it and try again.") from None
