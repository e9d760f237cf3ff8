"""Value conversions for the copy and for the canonical form verification hashes.

Timestamps are sent in exactly the form PostgreSQL prints a TIMESTAMPTZ (session TimeZone UTC,
DateStyle ISO), and floats are compared as their 8 IEEE bytes, so both sides render identically.
"""

from __future__ import annotations

import math
import re
import struct
from datetime import UTC, datetime


def float4_rounded(value: float) -> float:
    """The double a 4-byte ``real`` column will hold for ``value``.

    Raises OverflowError for a finite value beyond a real's range (about 3.4e38), which
    struct would quietly turn into infinity: rounding is a loss one may accept, that is not.
    """
    rounded = float(struct.unpack("f", struct.pack("f", value))[0])
    if math.isinf(rounded) and not math.isinf(value):
        raise OverflowError(f"{value!r} is beyond what a 4-byte real holds")
    return rounded


_FRACTION = re.compile(r"[T ]\d{2}:\d{2}:\d{2}\.(\d+)")


def parse_sqlite_timestamp(text: str) -> datetime | None:
    """Read SQLite timestamp text as an instant; zone-less text is UTC (CURRENT_TIMESTAMP).

    None when the text is not a timestamp, or holds more than TIMESTAMPTZ keeps: PostgreSQL
    stores microseconds, and Python would silently cut a seventh digit.
    """
    fraction = _FRACTION.search(text)
    if fraction and fraction.group(1)[6:].strip("0"):
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31 23:59:59-01:00: past year 9999 in UTC, beyond
        return None  # what Python's datetime holds (PostgreSQL would, but cannot be checked)


def pg_timestamptz_text(moment: datetime) -> str:
    """A UTC instant as PostgreSQL prints a TIMESTAMPTZ with TimeZone UTC and DateStyle ISO."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "+00"
