"""Replace a file atomically: a reader, or a crash, sees the old file or the new one, never half.

Used for ``user/config.toml`` and its backup, ``~/.pgpass`` and the migration reports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.core.errors import BadInput

# A module-level name so that tests can make the final rename fail (a simulated crash).
_replace = os.replace


def atomic_write(path: Path, text: str, mode: int, *, like: Path | None = None) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, fsync and rename.

    The file gets ``mode`` (and ``like``'s owner when we may set it); on any failure the temp
    file is removed and ``path`` is left as it was.
    """
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BadInput(
            f"Cannot write in {path.parent} ({exc.strerror}): make the folder writable and "
            "try again; nothing was changed."
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            if like is not None:
                _copy_owner(fh.fileno(), like)
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _copy_owner(fd: int, like: Path) -> None:
    """Keep the original owner when run as root (e.g. under sudo); harmless otherwise."""
    try:
        st = like.stat()
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, st.st_uid, st.st_gid)
    except (OSError, AttributeError):
        pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (not possible everywhere, hence best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
