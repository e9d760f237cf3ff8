"""SQLite expressions (CHECK, DEFAULT, generated columns, partial and expression indexes, views)
rewritten for PostgreSQL.

``sqlglot`` does the parsing and most of the rewriting (``ifnull`` -> ``COALESCE``,
``substr`` -> ``SUBSTRING``, ``iif`` -> ``CASE`` ...). On top of it this module fixes what sqlglot
leaves wrong for a faithful schema: the date/time functions called with ``'now'`` (SQLite returns
UTC text, and a PostgreSQL ``'now'::timestamp`` in a DEFAULT would be frozen at creation),
``LIKE`` (case-insensitive for ASCII in SQLite), blob literals, and column references, which
SQLite matches case-insensitively while PostgreSQL needs the exact, quoted name. A translation
is a proposal: the dry run runs it in PostgreSQL (rolled back) before anything relies on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# sqlglot logs unsupported syntax as warnings; the verdict already names what did not translate.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# SQLite's CURRENT_TIMESTAMP and datetime('now') are UTC text in these forms.
UTC_NOW = "(now() AT TIME ZONE 'UTC')"
NOW_TEXT = {
    "datetime": f"to_char({UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')",
    "date": f"to_char({UTC_NOW}, 'YYYY-MM-DD')",
    "time": f"to_char({UTC_NOW}, 'HH24:MI:SS')",
}
EPOCH_NOW = "floor(extract(epoch FROM now()))::bigint"
JULIAN_NOW = "(extract(epoch FROM now()) / 86400.0 + 2440587.5)"
# strftime() conversions PostgreSQL's to_char() can do exactly.
STRFTIME = {
    "%Y": "YYYY",
    "%m": "MM",
    "%d": "DD",
    "%H": "HH24",
    "%M": "MI",
    "%S": "SS",
    "%f": "SS.MS",
    "%j": "DDD",
    "%%": "%",
}
CURRENT = {"CURRENT_TIMESTAMP": "datetime", "CURRENT_DATE": "date", "CURRENT_TIME": "time"}


@dataclass(frozen=True)
class Translation:
    """The PostgreSQL text of an expression, or why there is none."""

    sql: str | None
    reason: str = ""
    changed: bool = False  # the PostgreSQL text differs from SQLite's

    @property
    def ok(self) -> bool:
        """Whether a PostgreSQL form exists."""
        return self.sql is not None


class _Untranslatable(Exception):
    pass


def translate(
    expression: str,
    columns: dict[str, str] | None = None,
    *,
    timestamptz: bool = False,
    numeric: bool = False,
    default: bool = False,
) -> Translation:
    """Translate one SQLite expression.

    ``columns`` maps lower-cased column names to their PostgreSQL names (so ``Qty`` finds
    ``qty``); ``timestamptz``: the expression is the default of a TIMESTAMPTZ column, where
    ``CURRENT_TIMESTAMP`` stays an instant instead of SQLite's text; ``numeric``: it feeds a
    numeric column, where SQLite's affinity turns ``strftime('%s', 'now')``'s text into a
    number, so the translation yields the number; ``default``: a DEFAULT, where SQLite reads
    a double-quoted word as a string (a default cannot name a column).
    """
    text = expression.strip()
    keyword = text.strip("() ").upper()
    if keyword in CURRENT:
        pg = "CURRENT_TIMESTAMP" if timestamptz else NOW_TEXT[CURRENT[keyword]]
        return Translation(pg, changed=pg != text)
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
        if default and isinstance(tree, exp.Column) and not tree.table:
            tree = exp.Literal.string(tree.name)
        tree = tree.transform(lambda node: _resolve(node, columns or {}))
        tree = tree.transform(lambda node: _fix(node, columns or {}, timestamptz, numeric))
        pg = tree.sql(dialect="postgres", identify=True)
    except _Untranslatable as exc:
        return Translation(None, str(exc))
    except (SqlglotError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Translation(None, f"its SQL could not be parsed ({first[:120]})")
    return Translation(pg, changed=_squash(pg) != _squash(text))


def translate_query(select: str, names: dict[str, str]) -> Translation:
    """Translate a view's ``SELECT``; ``names`` maps lower-cased table and column names."""
    try:
        tree = sqlglot.parse_one(select, read="sqlite")
        tree = tree.transform(lambda node: _resolve(node, names))
        tree = tree.transform(lambda node: _fix(node, names, False))
        pg = tree.sql(dialect="postgres", identify=True)
    except _Untranslatable as exc:
        return Translation(None, str(exc))
    except (SqlglotError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Translation(None, f"its SQL could not be parsed ({first[:120]})")
    return Translation(pg, changed=_squash(pg) != _squash(select))


def _squash(text: str) -> str:
    return "".join(text.split()).replace('"', "").lower()


def _resolve(node: exp.Expression, names: dict[str, str]) -> exp.Expression:
    """Column and table names as PostgreSQL spells them (SQLite matches case-insensitively)."""
    if isinstance(node, exp.Identifier) and isinstance(node.parent, exp.Column | exp.Table):
        real = names.get(node.name.lower())
        if real is not None:
            return exp.Identifier(this=real, quoted=True)
    return node


def _fix(
    node: exp.Expression, names: dict[str, str], timestamptz: bool, numeric: bool = False
) -> exp.Expression:
    if isinstance(node, exp.Identifier):
        return node
    if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime):
        key = {exp.CurrentTimestamp: "datetime", exp.CurrentDate: "date", exp.CurrentTime: "time"}[
            type(node)
        ]
        if timestamptz and key == "datetime":
            return node
        return _raw(NOW_TEXT[key])
    if isinstance(node, exp.Escape) and isinstance(node.this, exp.Like):
        like = node.this
        return _like(like.this, like.expression, node.expression, bool(like.args.get("negate")))
    if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Escape):
        return _like(node.this, node.expression, None, bool(node.args.get("negate")))
    if isinstance(node, exp.Boolean):
        return exp.Literal.number(1 if node.this else 0)  # SQLite's TRUE is the integer 1
    if isinstance(node, exp.HexString):
        return _raw(f"'\\x{node.this}'::bytea")
    if isinstance(node, exp.TimeToStr):
        return _strftime(node, numeric)
    if isinstance(node, exp.Date) and _only_now(node):
        return _raw(NOW_TEXT["date"])
    if isinstance(node, exp.Anonymous):
        return _anonymous(node)
    if isinstance(node, exp.Glob):
        raise _Untranslatable("it uses GLOB, which PostgreSQL does not have")
    return node


def _fold(node: exp.Expression) -> exp.Expression:
    """SQLite's case folding for LIKE: ASCII letters only (PostgreSQL's ILIKE folds more)."""
    return exp.Anonymous(
        this="translate",
        expressions=[node.copy(), exp.Literal.string(_UPPER), exp.Literal.string(_UPPER.lower())],
    )


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _like(
    value: exp.Expression, pattern: exp.Expression, escape: exp.Expression | None, negate: bool
) -> exp.Expression:
    """SQLite's LIKE exactly: ASCII case folded on both sides, and no escape character unless
    the expression names one (PostgreSQL's LIKE treats a backslash as one by default)."""
    like = exp.Like(this=_fold(value), expression=_fold(pattern))
    text = like.sql(dialect="postgres", identify=True)
    esc = escape.sql(dialect="postgres") if escape is not None else "''"
    out = _raw(f"{text} ESCAPE {esc}")
    return exp.Not(this=exp.Paren(this=out)) if negate else out


def _only_now(node: exp.Expression) -> bool:
    args = [a for a in node.args.values() if isinstance(a, exp.Expression)]
    args += [a for v in node.args.values() if isinstance(v, list) for a in v]
    return len(args) == 1 and isinstance(args[0], exp.Literal) and args[0].this == "now"


def _anonymous(node: exp.Anonymous) -> exp.Expression:
    name = str(node.this).lower()
    args = node.expressions
    is_now = (not args) or (
        len(args) == 1 and isinstance(args[0], exp.Literal) and str(args[0].this).lower() == "now"
    )
    if name in NOW_TEXT and is_now and args:
        return _raw(NOW_TEXT[name])
    if name == "unixepoch" and is_now:
        return _raw(EPOCH_NOW)
    if name == "julianday" and is_now and args:
        return _raw(JULIAN_NOW)
    if name in ("datetime", "date", "time", "julianday", "unixepoch", "strftime"):
        raise _Untranslatable(
            f"it calls {name}() on a value, and only {name}('now') has an "
            "exact PostgreSQL equivalent here"
        )
    return node


def _strftime(node: exp.TimeToStr, numeric: bool) -> exp.Expression:
    fmt = node.args.get("format")
    value = node.this
    fmt_text = str(fmt.this) if isinstance(fmt, exp.Literal) else None
    is_now = (
        isinstance(value, exp.Cast | exp.TsOrDsToTimestamp)
        and isinstance(value.this, exp.Literal)
        and str(value.this.this).lower() == "now"
    )
    if is_now and fmt_text is not None:
        # sqlglot already mapped the format to PostgreSQL's; map SQLite's original again.
        original = _sqlite_format(fmt_text)
        if original == "%s":
            return _raw(EPOCH_NOW if numeric else f"({EPOCH_NOW})::text")
        pg = _to_char_format(original)
        if pg is not None:
            return _raw(f"to_char({UTC_NOW}, '{pg}')")
    raise _Untranslatable(
        "it calls strftime() in a way PostgreSQL's to_char() cannot reproduce exactly"
    )


_PG_TO_SQLITE = {
    "YYYY": "%Y",
    "MM": "%m",
    "DD": "%d",
    "HH24": "%H",
    "MI": "%M",
    "SS": "%S",
    "US": "%f",
    "DDD": "%j",
}


def _sqlite_format(fmt: str) -> str:
    """sqlglot hands the format over already converted; undo that to read SQLite's codes."""
    if "%" in fmt:
        return fmt
    out = fmt
    for pg, sq in sorted(_PG_TO_SQLITE.items(), key=lambda kv: -len(kv[0])):
        out = out.replace(pg, sq)
    return out


def _to_char_format(fmt: str) -> str | None:
    out, i = "", 0
    while i < len(fmt):
        if fmt[i] == "%":
            code = fmt[i : i + 2]
            if code not in STRFTIME:
                return None
            out += STRFTIME[code]
            i += 2
            continue
        if fmt[i].isalpha() or fmt[i] in "'\\\"":
            out += '"' + fmt[i] + '"' if fmt[i] not in "'\\\"" else ""
            if fmt[i] in "'\\\"":
                return None
        else:
            out += fmt[i]
        i += 1
    return out


def _raw(text: str) -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(text, read="postgres"))


def tables_of(select: str) -> list[str]:
    """The (lower-cased) table names a query reads, in the order it names them."""
    try:
        tree = sqlglot.parse_one(select, read="sqlite")
    except (SqlglotError, ValueError):
        return []
    return [t.name.lower() for t in tree.find_all(exp.Table)]
