"""The DDL a migration runs, object by object, and its rehearsal.

``build_schema`` turns the SQLite file's objects into PostgreSQL statements, each tied to the
:class:`SchemaObject` it carries out. The order is what bulk loaders do and what cycles need:
tables (and defaults) before the data; after it every primary and unique key, then CHECKs, then
foreign keys (so a foreign key never comes before its parent's key, even in a cycle), then
indexes and views. ``rehearse`` runs every statement on the empty tables inside a savepoint that
is always rolled back, so the dry run meets every error execute would meet, named by object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

import psycopg
from psycopg import sql

from app.core import generated_probe, table_probe
from app.core.ailt_schema import KNOWN_BY_NAME
from app.core.inventory import Kind, SchemaObject, Verdict
from app.core.source import SchemaEntry, SourceIndex, SqliteSource
from app.core.sqlite_ddl import view_columns, view_select
from app.core.target_schema import (
    FLOAT,
    INT,
    NAMEDATALEN,
    NUMERIC,
    TIMESTAMPTZ,
    ColumnMap,
    TableMap,
    pg_identifier,
)
from app.core.translate import tables_of, translate, translate_query

NATURAL_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT", "BLOB": "BYTEA"}
# SQLite's NOCASE folds ASCII letters only; translate() does exactly that in PostgreSQL.
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


class Phase(IntEnum):
    """When a statement runs relative to the copy."""

    TABLE = 0
    DEFAULT = 1
    KEY = 2  # after the data from here on
    CHECK = 3
    FOREIGN_KEY = 4
    INDEX = 5
    VIEW = 6


@dataclass
class DdlStep:
    """One statement and the object it carries out; ``required`` steps refuse on failure."""

    phase: Phase
    table: str | None
    statement: sql.Composed
    obj: SchemaObject
    required: bool = False
    advice: str = ""  # what to do when a required statement fails
    # A translated rule to try on SQLite's rows first: ("check", condition) or
    # ("unique", "(terms) WHERE ..."), see ``table_probe``.
    probe: tuple[str, str] | None = None


@dataclass
class GeneratedProbe:
    """A generated column translated for PostgreSQL, to be tried before it is relied on."""

    tm: TableMap
    col: ColumnMap
    obj: SchemaObject
    table_step: DdlStep
    rebuild: Callable[[], sql.Composed]

    def fall_back(self, why: str) -> None:
        """Carry SQLite's computed values in a plain column instead."""
        self.col.generated = None
        self.obj.detail = f"SQLite's computed values are copied instead: {why}"
        self.obj.postgres = f"{self.col.pg_type} (plain column)"
        self.table_step.statement = self.rebuild()


@dataclass
class SchemaPlan:
    """Every object's verdict and the statements that carry out the migrated ones."""

    objects: list[SchemaObject] = field(default_factory=list)
    steps: list[DdlStep] = field(default_factory=list)
    generated: list[GeneratedProbe] = field(default_factory=list)
    tables: dict[str, TableMap] = field(default_factory=dict, repr=False)

    @property
    def refused(self) -> list[SchemaObject]:
        """Objects that stop execute."""
        return [o for o in self.objects if o.verdict == Verdict.REFUSED]

    @property
    def not_as_is(self) -> list[SchemaObject]:
        """What the text dry run lists: every object not migrated as it is."""
        return [o for o in self.objects if o.verdict != Verdict.AS_IS]

    def live_steps(self, phases: Iterable[Phase]) -> list[DdlStep]:
        """The statements to run in ``phases``, skipping objects that were dropped."""
        wanted = set(phases)
        return sorted(
            (
                s
                for s in self.steps
                if s.phase in wanted and s.obj.verdict in (Verdict.AS_IS, Verdict.TRANSLATED)
            ),
            key=lambda s: s.phase,
        )


BEFORE_COPY = (Phase.TABLE, Phase.DEFAULT)
AFTER_COPY = (Phase.KEY, Phase.CHECK, Phase.FOREIGN_KEY, Phase.INDEX, Phase.VIEW)


def build_schema(
    src: SqliteSource, maps: list[TableMap], existing: Iterable[str] = ()
) -> SchemaPlan:
    """Verdicts for every object of the file and the DDL for the tables the tool creates.

    ``existing``: names of the relations already in the target schema; new index names avoid
    them (PostgreSQL keeps tables, indexes, views and sequences in one namespace).
    """
    plan = SchemaPlan()
    taken: set[str] = set(existing) - {tm.name for tm in maps}
    for tm in maps:  # rename long table names first: every other name refers to them
        tm.pg_name = pg_identifier(tm.name, taken)
        taken.add(tm.pg_name)
    by_name = {tm.name: tm for tm in maps}
    plan.tables = by_name
    for tm in maps:
        if tm.exists:
            _existing_objects(plan, tm)
            continue
        _Table(plan, tm, by_name, taken).build()
    _views(plan, src, maps)
    _other_entries(plan, src.others)
    return plan


class _Table:
    """The objects and statements of one table the tool creates."""

    def __init__(
        self, plan: SchemaPlan, tm: TableMap, by_name: dict[str, TableMap], taken: set[str]
    ) -> None:
        self.plan, self.tm, self.by_name, self.taken = plan, tm, by_name, taken
        self.t = tm.source
        self.known = tm.name in KNOWN_BY_NAME
        self.names = {c.name.lower(): c.pg_name for c in tm.columns}
        self.generated: list[tuple[ColumnMap, SchemaObject]] = []

    def add(
        self, kind: Kind, name: str, verdict: Verdict, detail: str = "", postgres: str | None = None
    ) -> SchemaObject:
        obj = SchemaObject(kind, name, self.tm.name, verdict, detail, postgres)
        self.plan.objects.append(obj)
        return obj

    def step(
        self, phase: Phase, statement: sql.Composed, obj: SchemaObject, required: bool = False
    ) -> None:
        self.plan.steps.append(DdlStep(phase, self.tm.name, statement, obj, required))

    def build(self) -> None:
        self._table_and_columns()
        self._defaults()
        self._keys()
        self._checks()
        self._foreign_keys()
        self._indexes()

    # --- the table and its columns ---

    def _table_and_columns(self) -> None:
        tm, t = self.tm, self.t
        notes = []
        if t.without_rowid:
            notes.append("WITHOUT ROWID: PostgreSQL tables have no rowid anyway")
        if t.strict:
            notes.append("STRICT: PostgreSQL's column types are strict anyway")
        if tm.pg_name != tm.name:
            table_obj = self.add(
                Kind.TABLE,
                tm.name,
                Verdict.TRANSLATED,
                f"renamed: PostgreSQL names hold at most {NAMEDATALEN} bytes",
                tm.pg_name,
            )
        else:
            table_obj = self.add(Kind.TABLE, tm.name, Verdict.AS_IS, "; ".join(notes))
        col_taken: set[str] = set()
        for col in tm.columns:
            col.pg_name = pg_identifier(col.name, col_taken)
            col_taken.add(col.pg_name)
            self.names[col.name.lower()] = col.pg_name
        for col in tm.columns:
            self._column_objects(col)
        step = DdlStep(Phase.TABLE, tm.name, self.create_statement(), table_obj, required=True)
        self.plan.steps.append(step)
        self.plan.generated += [
            GeneratedProbe(tm, col, obj, step, self.create_statement) for col, obj in self.generated
        ]

    def create_statement(self) -> sql.Composed:
        """CREATE TABLE from the columns as they stand (a generated column may have fallen
        back to a plain one during the rehearsal)."""
        return sql.SQL("CREATE TABLE {} ({})").format(
            self.tm.ident, sql.SQL(", ").join(self._column_sql(c) for c in self.tm.columns)
        )

    def _column_objects(self, col: ColumnMap) -> None:
        src_col = self.t.column(col.name)
        qualified = f"{self.tm.name}.{col.name}"
        if src_col.is_generated:
            self._generated(col, src_col.generated or "", qualified)
        elif col.pg_name != col.name:
            self.add(
                Kind.COLUMN,
                qualified,
                Verdict.TRANSLATED,
                f"renamed, with type {col.pg_type}: PostgreSQL names hold at most "
                f"{NAMEDATALEN} bytes",
                col.pg_name,
            )
        elif self.known or NATURAL_TYPES.get(src_col.decl_type) == col.pg_type:
            # the type AI Log Trail's schema uses, or the one PostgreSQL users expect
            self.add(Kind.COLUMN, qualified, Verdict.AS_IS, "", col.pg_type)
        else:
            why = (
                f"declared {src_col.decl_type or 'without a type'}; "
                f"{col.pg_type} holds every value it stores exactly"
            )
            if col.coerce and col.pg_type == "TEXT":
                why += " (numbers as their decimal text)"
            self.add(Kind.COLUMN, qualified, Verdict.TRANSLATED, why, col.pg_type)
        if src_col.collation and src_col.collation != "BINARY":
            self.add(
                Kind.COLLATION,
                qualified,
                Verdict.NOT_MIGRATED,
                f"COLLATE {src_col.collation}: PostgreSQL compares this column bytewise; "
                "keys over it keep SQLite's rule as expression indexes",
            )

    def _column_sql(self, col: ColumnMap) -> sql.Composed:
        src_col = self.t.column(col.name)
        piece = sql.SQL("{} {}").format(col.ident, sql.SQL(col.pg_type))
        if col.generated is not None:
            return piece + sql.SQL(" GENERATED ALWAYS AS ({}) STORED").format(
                sql.SQL(col.generated)
            )
        if col.name == self.t.integer_pk:
            return piece + sql.SQL(" GENERATED BY DEFAULT AS IDENTITY")
        if (src_col.not_null and not src_col.is_generated) or (
            src_col.pk and not self.tm.pk_as_unique
        ):
            piece += sql.SQL(" NOT NULL")
        return piece

    def _generated(self, col: ColumnMap, expression: str, qualified: str) -> None:
        col.sqlite_generated = True
        tr = translate(expression, self.names)
        if tr.sql is None:
            self.add(
                Kind.GENERATED,
                qualified,
                Verdict.TRANSLATED,
                f"SQLite's computed values are copied instead: {tr.reason}",
                f"{col.pg_type} (plain column)",
            )
            return
        col.generated = tr.sql
        self.generated.append(
            (
                col,
                self.add(
                    Kind.GENERATED,
                    qualified,
                    Verdict.TRANSLATED,
                    "STORED: PostgreSQL computes it from the other columns",
                    f"GENERATED ALWAYS AS ({tr.sql}) STORED",
                ),
            )
        )

    def _defaults(self) -> None:
        for col in self.tm.columns:
            src_col = self.t.column(col.name)
            if src_col.default is None or src_col.is_generated:
                continue
            name = f"{self.tm.name}.{col.name}"
            tr = translate(
                src_col.default,
                self.names,
                timestamptz=col.kind == TIMESTAMPTZ,
                numeric=col.kind in (INT, FLOAT, NUMERIC),
                default=True,
            )
            if tr.sql is None:
                self.add(
                    Kind.DEFAULT,
                    name,
                    Verdict.NOT_MIGRATED,
                    f"DEFAULT {src_col.default}: {tr.reason}",
                )
                continue
            verdict = Verdict.TRANSLATED if tr.changed and not self.known else Verdict.AS_IS
            obj = self.add(Kind.DEFAULT, name, verdict, "", tr.sql)
            self.step(
                Phase.DEFAULT,
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                    self.tm.ident, col.ident, sql.SQL(tr.sql)
                ),
                obj,
            )

    # --- keys, checks, foreign keys, indexes ---

    def _index_name(self, wanted: str) -> str:
        name = pg_identifier(wanted, self.taken)
        self.taken.add(name)
        return name

    def _keys(self) -> None:
        t, tm = self.t, self.tm
        pk = t.pk_columns
        if pk:
            label = f"{tm.name}({', '.join(pk)})"
            cols = sql.SQL(", ").join(tm.column(c).ident for c in pk)
            name = self._index_name(f"{tm.pg_name}_pkey")
            if tm.pk_as_unique:
                obj = self.add(
                    Kind.PRIMARY_KEY,
                    label,
                    Verdict.TRANSLATED,
                    "it holds NULLs, which SQLite allows in a non-integer PRIMARY "
                    "KEY and PostgreSQL does not; UNIQUE keeps the same rule",
                    f"UNIQUE ({', '.join(pk)})",
                )
                self.step(
                    Phase.KEY,
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})").format(
                        tm.ident, sql.Identifier(name), cols
                    ),
                    obj,
                    required=True,
                )
            else:
                obj = self.add(Kind.PRIMARY_KEY, label, Verdict.AS_IS)
                self.step(
                    Phase.KEY,
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
                        tm.ident, sql.Identifier(name), cols
                    ),
                    obj,
                    required=True,
                )
        for idx in t.indexes:
            if idx.origin == "pk":
                if not idx.plain:  # e.g. a NOCASE key: PRIMARY KEY above, the rule below
                    self._index(idx, unique=True, extra_for_pk=True)
                continue
            if idx.unique:
                self._index(idx, unique=True)

    def _label(self, idx: SourceIndex) -> str:
        if idx.origin == "c":
            return idx.name
        return f"{self.tm.name}({', '.join(idx.terms)})"

    def _index(self, idx: SourceIndex, *, unique: bool, extra_for_pk: bool = False) -> None:
        tm = self.tm
        kind = Kind.UNIQUE if unique else Kind.INDEX
        label = self._label(idx)
        terms, why = self._terms(idx)
        if terms is None:
            self.add(kind, label, Verdict.NOT_MIGRATED, why)
            return
        where = None
        if idx.where:
            tr = translate(idx.where, self.names)
            if tr.sql is None:
                self.add(kind, label, Verdict.NOT_MIGRATED, f"its WHERE {tr.reason}")
                return
            where = tr.sql
        name = self._index_name(
            idx.name
            if idx.origin == "c"
            else f"{tm.pg_name}_{'_'.join(str(c) for c in idx.columns)}_key"
        )
        text = f"({', '.join(terms)})" + (f" WHERE {where}" if where else "")
        plain = idx.plain and not extra_for_pk
        if plain and unique and idx.origin in ("u", "pk"):
            obj = self.add(kind, label, Verdict.AS_IS)
            stmt = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})").format(
                tm.ident,
                sql.Identifier(name),
                sql.SQL(", ").join(tm.column(str(c)).ident for c in idx.columns),
            )
        else:
            translated = not plain or name != idx.name
            obj = self.add(
                kind,
                label,
                Verdict.TRANSLATED if translated else Verdict.AS_IS,
                "SQLite's collation kept as an expression"
                if any(c not in ("BINARY", "") for c in idx.collations)
                else "",
                f"{'UNIQUE ' if unique else ''}INDEX {name} {text}",
            )
            stmt = sql.SQL("CREATE {}INDEX {} ON {} {}").format(
                sql.SQL("UNIQUE " if unique else ""), sql.Identifier(name), tm.ident, sql.SQL(text)
            )
        self.step(Phase.KEY if unique else Phase.INDEX, stmt, obj, required=False)
        if unique and not plain and not self.known:
            self.plan.steps[-1].probe = ("unique", text)

    def _terms(self, idx: SourceIndex) -> tuple[list[str] | None, str]:
        terms = []
        for i, col in enumerate(idx.columns):
            coll = idx.collations[i] if i < len(idx.collations) else "BINARY"
            desc = " DESC" if i < len(idx.descending) and idx.descending[i] else ""
            if col is not None:
                expr = sql.Identifier(self.tm.column(col).pg_name).as_string(None)
            else:
                tr = translate(idx.terms[i] if i < len(idx.terms) else "", self.names)
                if tr.sql is None:
                    return None, f"its expression {tr.reason}"
                expr = f"({tr.sql})"
            if coll == "NOCASE":
                expr = f"translate({expr}, '{_UPPER}', '{_LOWER}')"
            elif coll == "RTRIM":
                expr = f"rtrim({expr}, ' ')"
            elif coll not in ("BINARY", ""):
                return None, f"collation {coll} has no PostgreSQL equivalent"
            terms.append(expr + desc)
        return terms, ""

    def _checks(self) -> None:
        for check in self.t.checks:
            label = (
                f"{self.tm.name}.{check.name}"
                if check.name
                else f"{self.tm.name}: {check.expression}"
            )
            tr = translate(check.expression, self.names)
            if tr.sql is None:
                self.add(Kind.CHECK, label, Verdict.NOT_MIGRATED, tr.reason)
                continue
            verdict = Verdict.TRANSLATED if tr.changed and not self.known else Verdict.AS_IS
            obj = self.add(Kind.CHECK, label, verdict, "", f"CHECK ({tr.sql})")
            # CHECK names live per table in PostgreSQL, not beside relation names
            name = (
                sql.SQL("CONSTRAINT {} ").format(sql.Identifier(pg_identifier(check.name, set())))
                if check.name
                else sql.SQL("")
            )
            self.step(
                Phase.CHECK,
                sql.SQL("ALTER TABLE {} ADD {}CHECK ({})").format(
                    self.tm.ident, name, sql.SQL(tr.sql)
                ),
                obj,
            )
            if not self.known:
                self.plan.steps[-1].probe = ("check", tr.sql)

    def _foreign_keys(self) -> None:
        tm = self.tm
        for fk in self.t.foreign_keys:
            label = (
                f"{tm.name}({', '.join(fk.columns)}) -> {fk.parent}({', '.join(fk.parent_columns)})"
            )
            parent = self.by_name.get(fk.parent)
            if not fk.parent_exists or parent is None:
                self.add(
                    Kind.FOREIGN_KEY,
                    label,
                    Verdict.NOT_MIGRATED,
                    f"the parent table {fk.parent} is not in the file (SQLite allows that)",
                )
                continue
            if not fk.parent_columns or len(fk.parent_columns) != len(fk.columns):
                self.add(
                    Kind.FOREIGN_KEY,
                    label,
                    Verdict.NOT_MIGRATED,
                    f"{fk.parent} has no PRIMARY KEY for it to refer to",
                )
                continue
            try:
                parent_cols = [parent.column(_real(parent, c)).ident for c in fk.parent_columns]
            except StopIteration:
                self.add(
                    Kind.FOREIGN_KEY,
                    label,
                    Verdict.NOT_MIGRATED,
                    f"{fk.parent} has no column {', '.join(fk.parent_columns)}",
                )
                continue
            on_delete = _action(fk.on_delete)
            on_update = _action(fk.on_update)
            obj = self.add(Kind.FOREIGN_KEY, label, Verdict.AS_IS)
            self.step(
                Phase.FOREIGN_KEY,
                sql.SQL(
                    "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE "
                    + on_delete
                    + " ON UPDATE "
                    + on_update
                ).format(
                    tm.ident,
                    sql.SQL(", ").join(tm.column(_real(tm, c)).ident for c in fk.columns),
                    parent.ident,
                    sql.SQL(", ").join(parent_cols),
                ),
                obj,
            )

    def _indexes(self) -> None:
        for idx in self.t.indexes:
            if not idx.unique:
                self._index(idx, unique=False)


KEPT = (
    "the table exists in the target already and keeps its own definition; compare it "
    "with SQLite's if you rely on this rule"
)


def _existing_objects(plan: SchemaPlan, tm: TableMap) -> None:
    """A table created beforehand: its rows arrive, its own keys and rules apply. Name each
    of SQLite's rules for it, so none is dropped without a word."""
    t = tm.source

    def add(
        kind: Kind, name: str, verdict: Verdict, detail: str = "", postgres: str | None = None
    ) -> None:
        plan.objects.append(SchemaObject(kind, name, tm.name, verdict, detail, postgres))

    add(Kind.TABLE, tm.name, Verdict.AS_IS, "exists in the target already and is used as it is")
    for col in tm.columns:
        add(Kind.COLUMN, f"{tm.name}.{col.name}", Verdict.AS_IS, "", col.pg_type)
        src_col = t.column(col.name)
        if src_col.default is not None:
            add(Kind.DEFAULT, f"{tm.name}.{col.name}", Verdict.NOT_MIGRATED, KEPT)
    if t.pk_columns and not t.integer_pk:
        add(Kind.PRIMARY_KEY, f"{tm.name}({', '.join(t.pk_columns)})", Verdict.NOT_MIGRATED, KEPT)
    for idx in t.indexes:
        if idx.origin == "pk":
            continue
        label = idx.name if idx.origin == "c" else f"{tm.name}({', '.join(idx.terms)})"
        add(Kind.UNIQUE if idx.unique else Kind.INDEX, label, Verdict.NOT_MIGRATED, KEPT)
    for check in t.checks:
        add(
            Kind.CHECK,
            f"{tm.name}.{check.name}" if check.name else f"{tm.name}: {check.expression}",
            Verdict.NOT_MIGRATED,
            KEPT,
        )
    for fk in t.foreign_keys:
        add(
            Kind.FOREIGN_KEY,
            f"{tm.name}({', '.join(fk.columns)}) -> {fk.parent}({', '.join(fk.parent_columns)})",
            Verdict.NOT_MIGRATED,
            KEPT,
        )


def _real(tm: TableMap, name: str) -> str:
    """SQLite matches column names case-insensitively."""
    low = name.lower()
    return next(c.name for c in tm.columns if c.name.lower() == low)


def _action(action: str) -> str:
    a = action.upper()
    return a if a in ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT") else "NO ACTION"


def _view_names(select: str, maps: list[TableMap]) -> dict[str, str]:
    """Lower-cased names to PostgreSQL's spelling, the view's own tables' columns first (two
    tables may spell a column differently: ``id`` and ``Id``)."""
    by_name = {tm.name.lower(): tm for tm in maps}
    read = [by_name[t] for t in tables_of(select) if t in by_name]
    names: dict[str, str] = {}
    for tm in [*read, *maps]:
        for col in tm.columns:
            names.setdefault(col.name.lower(), col.pg_name)
    for tm in maps:
        names[tm.name.lower()] = tm.pg_name
    return names


def _collated_columns(select: str, maps: list[TableMap]) -> str:
    """``t.c (NOCASE)`` for the first column with a non-binary collation the view reads."""
    by_name = {tm.name.lower(): tm for tm in maps}
    words = {
        w.lower().strip('"`[]')
        for w in select.replace(",", " ")
        .replace("(", " ")
        .replace(")", " ")
        .replace(".", " ")
        .split()
    }
    for table in tables_of(select):
        tm = by_name.get(table)
        for col in tm.source.columns if tm else ():
            if col.collation not in (None, "", "BINARY") and col.name.lower() in words:
                return f"{tm.name}.{col.name} (COLLATE {col.collation})" if tm else ""
    return ""


def _views(plan: SchemaPlan, src: SqliteSource, maps: list[TableMap]) -> None:
    for entry in src.others:
        if entry.kind != "view":
            continue
        select = view_select(entry.sql)
        collated = _collated_columns(select, maps)
        if collated:
            plan.objects.append(
                SchemaObject(
                    Kind.VIEW,
                    entry.name,
                    None,
                    Verdict.NOT_MIGRATED,
                    f"it reads {collated}, which SQLite compares with its column collation; "
                    "PostgreSQL would compare it bytewise and could return other rows",
                )
            )
            continue
        tr = translate_query(select, _view_names(select, maps))
        if tr.sql is None:
            plan.objects.append(
                SchemaObject(Kind.VIEW, entry.name, None, Verdict.NOT_MIGRATED, tr.reason)
            )
            continue
        cols = view_columns(entry.sql)
        head = sql.SQL("CREATE VIEW {}").format(sql.Identifier(entry.name))
        if cols:
            head += sql.SQL(" ({})").format(sql.SQL(", ").join(map(sql.Identifier, cols)))
        obj = SchemaObject(
            Kind.VIEW,
            entry.name,
            None,
            Verdict.TRANSLATED if tr.changed else Verdict.AS_IS,
            "",
            tr.sql,
        )
        plan.objects.append(obj)
        plan.steps.append(DdlStep(Phase.VIEW, None, head + sql.SQL(" AS ") + sql.SQL(tr.sql), obj))


def _other_entries(plan: SchemaPlan, others: list[SchemaEntry]) -> None:
    for e in others:
        if e.kind == "trigger":
            obj = SchemaObject(
                Kind.TRIGGER,
                e.name,
                e.table,
                Verdict.NOT_MIGRATED,
                "PostgreSQL triggers run a PL/pgSQL function; rewrite it there "
                "if you still need it",
            )
        elif e.kind == "virtual table":
            obj = SchemaObject(
                Kind.VIRTUAL_TABLE, e.name, e.name, Verdict.NOT_MIGRATED, _virtual_reason(e)
            )
        elif e.kind == "shadow table":
            obj = SchemaObject(
                Kind.SHADOW_TABLE,
                e.name,
                e.name,
                Verdict.NOT_MIGRATED,
                f"internal storage of the virtual table {e.owner}",
            )
        elif e.kind == "internal table":
            obj = _internal(e)
        else:
            continue
        plan.objects.append(obj)


def _virtual_reason(e: SchemaEntry) -> str:
    module = e.module.lower()
    if not e.readable:
        return (
            f"its module {e.module} is not available to this SQLite, so its rows cannot "
            "be read; export them with the program that made it if you need them"
        )
    if module.startswith("fts"):
        return (
            f"a full-text index ({e.module}): derived data, not user data; rebuild it in "
            "PostgreSQL with a tsvector column and a GIN index if you need it"
        )
    if module == "rtree":
        return "an R*Tree spatial index: derived data; PostgreSQL has GiST indexes for that"
    return (
        f"a virtual table of module {e.module}: its rows come from that module, not from the file"
    )


def _internal(e: SchemaEntry) -> SchemaObject:
    if e.name == "sqlite_sequence":
        # Every AI Log Trail file has it; its content lives on as the sequences' positions.
        return SchemaObject(
            Kind.INTERNAL_TABLE,
            e.name,
            None,
            Verdict.AS_IS,
            "SQLite's AUTOINCREMENT high-water marks: each identity sequence "
            "starts past its table's mark",
            "identity sequences",
        )
    if e.name.startswith("sqlite_stat"):
        return SchemaObject(
            Kind.INTERNAL_TABLE,
            e.name,
            None,
            Verdict.NOT_MIGRATED,
            "SQLite's query-planner statistics; PostgreSQL gathers its own (ANALYZE)",
        )
    return SchemaObject(
        Kind.INTERNAL_TABLE, e.name, None, Verdict.NOT_MIGRATED, "SQLite's own bookkeeping"
    )


# --- running the statements ---------------------------------------------------------------


def rehearse(conn: psycopg.Connection, plan: SchemaPlan, src: SqliteSource) -> None:
    """Run every statement on empty tables, then roll all of it back.

    A failing required statement refuses its object (and skips its table's other statements);
    a failing optional one drops its object with PostgreSQL's reason. Views that depend on
    other views are retried until no more succeed.
    """
    with conn.transaction(savepoint_name="ailt_rehearsal", force_rollback=True):
        for probe in plan.generated:
            why = generated_probe.check(conn, src, probe.tm, probe.col)
            if why is not None:
                probe.fall_back(why)
        _probe_rules(conn, plan, src)
        failed_tables: set[str] = set()
        pending_views: list[DdlStep] = []
        for step in plan.live_steps(Phase):
            if step.table in failed_tables:
                continue
            if step.phase == Phase.VIEW:
                pending_views.append(step)
                continue
            error = _try(conn, step.statement)
            if error is None:
                continue
            if step.required:
                step.obj.refuse(
                    f"PostgreSQL rejects it ({error}); "
                    + (
                        step.advice
                        or "remove the cause from the target, or choose an empty "
                        "database (if the file's schema is the cause, please report it)"
                    )
                )
                failed_tables.add(step.table or "")
            else:
                step.obj.drop(f"PostgreSQL rejects its translation ({error})")
        _views_in_order(conn, plan, pending_views)


def _probe_rules(conn: psycopg.Connection, plan: SchemaPlan, src: SqliteSource) -> None:
    """Try every translated CHECK and unique expression index on the table's own rows."""
    by_table: dict[str, list[tuple[SchemaObject, str, str]]] = {}
    for step in plan.live_steps(Phase):
        if step.probe is not None and step.table is not None:
            by_table.setdefault(step.table, []).append((step.obj, *step.probe))
    maps = {p.tm.name: p.tm for p in plan.generated}
    maps.update(plan.tables)
    for table, rules in by_table.items():
        if table in maps and maps[table].source.rows != 0:
            table_probe.check_rules(conn, src, maps[table], rules)


def _views_in_order(conn: psycopg.Connection, plan: SchemaPlan, views: list[DdlStep]) -> None:
    """Create views, retrying those that failed while others still succeed; keep the order
    that worked so execute creates them the same way."""
    done: list[DdlStep] = []
    errors: dict[int, str] = {}
    progress = True
    while views and progress:
        progress = False
        for step in list(views):
            error = _try(conn, step.statement)
            if error is None:
                views.remove(step)
                done.append(step)
                progress = True
            else:
                errors[id(step)] = error
    for step in views:
        step.obj.drop(f"PostgreSQL rejects its translation ({errors.get(id(step), '?')})")
    order = {id(s): i for i, s in enumerate(done)}
    view_steps = sorted(
        (s for s in plan.steps if s.phase == Phase.VIEW), key=lambda s: order.get(id(s), len(order))
    )
    plan.steps = [s for s in plan.steps if s.phase != Phase.VIEW] + view_steps


def _try(conn: psycopg.Connection, statement: sql.Composed) -> str | None:
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.Error as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


def apply(conn: psycopg.Connection, plan: SchemaPlan, phases: Iterable[Phase]) -> None:
    """Run the statements of ``phases`` for real (inside the migration's transaction).

    Raises ``psycopg.Error`` wrapped by the caller; the rehearsal makes that rare.
    """
    for step in plan.live_steps(phases):
        try:
            conn.execute(step.statement)
        except psycopg.Error as exc:
            raise SchemaStepFailed(step.obj, exc) from exc


class SchemaStepFailed(Exception):
    """A statement failed during execute: which object, and PostgreSQL's error."""

    def __init__(self, obj: SchemaObject, error: psycopg.Error) -> None:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        super().__init__(f"{obj.kind} {obj.name}: {first}")
        self.obj, self.error = obj, error
