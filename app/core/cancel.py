"""Stop a long SQLite statement when the user cancels, not only between statements.

Why: the dry run's scan runs one ``SELECT`` per table; on a large table a cancel checked between
tables arrives minutes late, and a screen the user has left keeps reading the file. SQLite calls
a progress handler every few thousand virtual-machine steps; returning true from it interrupts
the statement (``sqlite3.OperationalError: interrupted``), which :func:`cancellable` turns into
:class:`~app.core.errors.Cancelled`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.core.errors import Cancelled

STEPS = 20_000  # SQLite VM steps between checks: well under a millisecond each time


@contextmanager
def cancellable(
    conn: sqlite3.Connection,
    is_cancelled: Callable[[], bool],
    message: str = "Cancelled: nothing was written.",
) -> Iterator[None]:
    """Interrupt ``conn``'s statements once ``is_cancelled()``; raise ``Cancelled`` then."""
    conn.set_progress_handler(lambda: 1 if is_cancelled() else 0, STEPS)
    try:
        yield
    except sqlite3.OperationalError:
        if is_cancelled():
            raise Cancelled(message) from None
        raise
    finally:
        conn.set_progress_handler(None, 0)
