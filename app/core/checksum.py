"""A checksum over rows in PostgreSQL's COPY text form, the same on both sides.

COPY text has one row per line (newlines inside values are escaped), so the byte stream can be
hashed as it flows (ordered tables) or line by line into a sorted multiset (tables without an
integer key, whose row order SQLite and PostgreSQL may not agree on).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class Checksum:
    """Running SHA-256 over COPY chunks; ``rows`` is kept by whoever knows the row boundaries."""

    ordered: bool = True
    text: bool = True  # COPY text: one row per line, so rows can be counted from the bytes
    rows: int = 0
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256)
    _lines: list[bytes] = field(default_factory=list)
    _partial: bytes = b""

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Feed the next chunk of COPY text."""
        if self.ordered:
            self._hash.update(data)
            if self.text:
                self.rows += memoryview(data).tobytes().count(b"\n")
            return
        chunk = bytes(data)
        parts = (self._partial + chunk).split(b"\n")
        self._partial = parts.pop()
        self._lines += [hashlib.sha256(p).digest() for p in parts]
        self.rows += len(parts)

    @property
    def hexdigest(self) -> str:
        """The checksum so far."""
        if self.ordered:
            return self._hash.hexdigest()
        combined = hashlib.sha256()
        for line in sorted(self._lines):
            combined.update(line)
        return combined.hexdigest()
