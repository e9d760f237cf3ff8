"""Read what only the text of a ``CREATE TABLE`` / ``CREATE INDEX`` statement records.

SQLite's pragmas report columns, keys, foreign keys and indexes, but CHECK constraints, the
expressions of generated columns, column collations and the ``WHERE`` of a partial index exist
only in ``sqlite_schema.sql`` (see SQLite's "CREATE TABLE" and "PRAGMA table_xinfo" pages). This
module splits that text at its top-level commas with a small tokenizer that honours SQLite's
quoting ('...', "...", `...`, [...]) and comments, and hands back the pieces as text; translating
them into PostgreSQL is ``translate``'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|$))
    | (?P<string>'(?:[^']|'')*')
    | (?P<ident>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<number>[0-9.]+(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+)
    | (?P<punct>[(),;]|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One token: its kind (space, string, ident, word, number, punct) and its text."""

    kind: str
    text: str

    @property
    def upper(self) -> str:
        """The text in upper case (keywords compare case-insensitively)."""
        return self.text.upper()


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, comments and white space included (kind ``space``)."""
    return [Token(m.lastgroup or "punct", m.group()) for m in _TOKEN.finditer(text)]


def unquote(text: str) -> str:
    """An identifier as SQLite stores it: ``"a""b"`` -> ``a"b``, ``[x]`` -> ``x``."""
    if len(text) >= 2 and text[0] in '"`' and text[-1] == text[0]:
        return text[1:-1].replace(text[0] * 2, text[0])
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        return text[1:-1]
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def _split_top_level(tokens: list[Token]) -> list[list[Token]]:
    """Split at commas that are not inside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        if tok.text == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    return [p for p in parts if any(t.kind != "space" for t in p)]


def _body(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """The tokens between the first top-level ``(`` and its ``)``, and what follows it."""
    depth, start = 0, None
    for i, tok in enumerate(tokens):
        if tok.text == "(":
            if depth == 0 and start is None:
                start = i + 1
            depth += 1
        elif tok.text == ")":
            depth -= 1
            if depth == 0 and start is not None:
                return tokens[start:i], tokens[i + 1 :]
    return [], []


def _text(tokens: list[Token]) -> str:
    return "".join(t.text for t in tokens).strip()


def _solid_indexes(tokens: list[Token]) -> list[int]:
    """Positions of the tokens that are not white space or comments."""
    return [i for i, t in enumerate(tokens) if t.kind != "space"]


def _group_end(tokens: list[Token], start: int) -> int:
    """The position just after the ``)`` closing the ``(`` at ``start``."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(tokens)


def _group_text(tokens: list[Token], start: int) -> tuple[str, int]:
    """The original text inside the group opening at ``start``, and the position after it."""
    end = _group_end(tokens, start)
    return _text(tokens[start + 1 : end - 1]), end


def _word(tok: Token, *words: str) -> bool:
    return tok.kind == "word" and tok.upper in words


class _Cursor:
    """Walks the solid tokens of a token list while keeping their original positions."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.solid = _solid_indexes(tokens)
        self.k = 0  # index into ``solid``

    def done(self) -> bool:
        return self.k >= len(self.solid)

    def peek(self, ahead: int = 0) -> Token | None:
        k = self.k + ahead
        return self.tokens[self.solid[k]] if k < len(self.solid) else None

    def group(self) -> str:
        """Consume the parenthesised group at the cursor; return its inner text."""
        text, end = _group_text(self.tokens, self.solid[self.k])
        while not self.done() and self.solid[self.k] < end:
            self.k += 1
        return text

    def advance(self, n: int = 1) -> None:
        self.k += n


@dataclass(frozen=True)
class CheckText:
    """A CHECK constraint: its name (``None`` when unnamed), expression text, and column."""

    name: str | None
    expression: str
    column: str | None = None  # a column constraint's column, None for a table constraint


@dataclass(frozen=True)
class ColumnText:
    """What a column definition says beyond the pragmas: generated expression, collation."""

    name: str
    generated: str | None = None
    stored: bool = False
    collation: str | None = None
    default: str | None = None


@dataclass
class TableText:
    """The pieces of one ``CREATE TABLE`` statement."""

    columns: dict[str, ColumnText] = field(default_factory=dict)
    checks: list[CheckText] = field(default_factory=list)
    without_rowid: bool = False
    strict: bool = False


_TABLE_CONSTRAINT_START = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


def parse_create_table(sql: str) -> TableText:
    """Columns' generated expressions, defaults and collations, CHECK constraints, options.

    Unparseable text yields an empty :class:`TableText`; callers then rely on the pragmas.
    """
    body, tail = _body(tokenize(sql))
    out = TableText()
    options = {t.upper for t in tail if t.kind == "word"}
    out.without_rowid = {"WITHOUT", "ROWID"} <= options
    out.strict = "STRICT" in options
    for part in _split_top_level(body):
        cur = _Cursor(part)
        first = cur.peek()
        if first is None:
            continue
        if _word(first, *_TABLE_CONSTRAINT_START):
            out.checks += _checks(_Cursor(part), None)
            continue
        name = unquote(first.text)
        out.columns[name.lower()] = _column(name, _Cursor(part))
        out.checks += _checks(_Cursor(part), name)
    return out


def _column(name: str, cur: _Cursor) -> ColumnText:
    generated, stored, collation, default = None, False, None, None
    cur.advance()  # the name
    while not cur.done():
        tok = cur.peek()
        nxt = cur.peek(1)
        assert tok is not None
        if _word(tok, "AS") and nxt is not None and nxt.text == "(":
            cur.advance()
            generated = cur.group()
            after = cur.peek()
            stored = after is not None and _word(after, "STORED")
            continue
        if _word(tok, "COLLATE") and nxt is not None:
            collation = unquote(nxt.text).upper()
            cur.advance(2)
            continue
        if _word(tok, "DEFAULT") and nxt is not None:
            cur.advance()
            if nxt.text == "(":
                default = "(" + cur.group() + ")"
                continue
            third = cur.peek(1)
            if nxt.text in ("-", "+") and third is not None:
                default = nxt.text + third.text
                cur.advance(2)
                continue
            default = nxt.text
            cur.advance()
            continue
        if (_word(tok, "CHECK", "REFERENCES", "GENERATED")) and nxt is not None:
            cur.advance()
            while (
                not cur.done()
                and (cur.peek() or tok).text != "("
                and not _word(cur.peek() or tok, "AS")
            ):
                cur.advance()
            if not cur.done() and (cur.peek() or tok).text == "(":
                cur.group()
            continue
        cur.advance()
    return ColumnText(name, generated, stored, collation, default)


def _checks(cur: _Cursor, column: str | None) -> list[CheckText]:
    found = []
    name: str | None = None
    while not cur.done():
        tok = cur.peek()
        nxt = cur.peek(1)
        assert tok is not None
        if _word(tok, "CONSTRAINT") and nxt is not None:
            name = unquote(nxt.text)
            cur.advance(2)
            continue
        if _word(tok, "CHECK") and nxt is not None and nxt.text == "(":
            cur.advance()
            found.append(CheckText(name, cur.group(), column))
            name = None
            continue
        if tok.text == "(":
            cur.group()  # DEFAULT (...), AS (...), REFERENCES t (...): not a CHECK
            continue
        cur.advance()
    return found


@dataclass(frozen=True)
class IndexText:
    """The parts of ``CREATE [UNIQUE] INDEX`` that the pragmas do not give."""

    terms: tuple[str, ...]  # each indexed term as written (column or expression)
    where: str | None


def parse_create_index(sql: str) -> IndexText:
    """The indexed terms (as text) and the partial index's ``WHERE`` expression."""
    tokens = tokenize(sql)
    cur = _Cursor(tokens)
    while not cur.done():
        tok = cur.peek()
        assert tok is not None
        cur.advance()
        if _word(tok, "ON"):
            while not cur.done() and (cur.peek() or tok).text != "(":
                cur.advance()
            if cur.done():
                break
            inner = cur.group()
            terms = tuple(_text(p) for p in _split_top_level(tokenize(inner)))
            where = None
            rest = cur.peek()
            if rest is not None and _word(rest, "WHERE"):
                where = _text(tokens[cur.solid[cur.k] + 1 :]).rstrip(";").strip()
            return IndexText(terms, where)
    return IndexText((), None)


def view_select(sql: str) -> str:
    """The ``SELECT`` of a ``CREATE VIEW ... AS SELECT ...`` statement."""
    tokens = tokenize(sql)
    cur = _Cursor(tokens)
    while not cur.done():
        tok = cur.peek()
        assert tok is not None
        if tok.text == "(":
            cur.group()
            continue
        if _word(tok, "AS"):
            return _text(tokens[cur.solid[cur.k] + 1 :]).rstrip(";").strip()
        cur.advance()
    return ""


def view_columns(sql: str) -> tuple[str, ...]:
    """The column list of ``CREATE VIEW name(a, b) AS ...``, when it has one."""
    cur = _Cursor(tokenize(sql))
    while not cur.done():
        tok = cur.peek()
        assert tok is not None
        if _word(tok, "AS"):
            return ()
        if tok.text == "(":
            inner = cur.group()
            return tuple(unquote(_text(p)) for p in _split_top_level(tokenize(inner)))
        cur.advance()
    return ()
