"""The one place that uses psycopg's private COPY formatters.

``copy`` formats rows with psycopg's own C-accelerated COPY formatters and hashes the very bytes
it sends; psycopg exposes them only in ``psycopg._copy_base`` (checked with psycopg 3.2 and 3.3,
the range ``pyproject.toml`` allows). Should a release move or change them, the import below
fails at start-up and ``tests/test_pg_copy.py`` says so, instead of a migration going wrong.
"""

from __future__ import annotations

from psycopg._copy_base import BinaryFormatter, Formatter, TextFormatter, format_row_binary
from psycopg._copy_base import _binary_signature as BINARY_SIGNATURE
from psycopg._copy_base import _binary_trailer as BINARY_TRAILER
from psycopg.adapt import Transformer
from psycopg.copy import QueuedLibpqWriter

__all__ = [
    "BINARY_SIGNATURE",
    "BINARY_TRAILER",
    "BinaryFormatter",
    "Formatter",
    "QueuedLibpqWriter",
    "TextFormatter",
    "Transformer",
    "format_row_binary",
]
