"""Column mappings: turn one foreign file into canonical frames for one or more tables.

Data flow::

    YAML text / inline "Their Col=our_col"  --load_mapping-->  Mapping (checked, line numbers)
    raw frame (text or typed columns)       --apply_mapping--> {table: frame with canonical
                                                                column names + __row__}

A mapping never touches the store: reference checks, typing and writing happen in the
import service.  The vocabulary (documented with examples in ``docs/importing.md``):

* a **value** is a source column name (``"Order ID"``), a number, or a mapping with one
  *head* — ``col``, ``const``, ``concat``, ``coalesce``, ``when``, ``add``/``sub``/``mul``/
  ``div``, ``all``/``any``/``not`` — followed by *modifiers* applied in the order written
  (``strip``, ``upper``, ``map``, ``multiply``, ``negate``, ``abs``, ``round``, ``cast``,
  ``agg`` …) and optionally *comparisons* (``eq``, ``lt``, ``in``, ``starts_with`` …) that
  turn it into a condition;
* ``derive`` adds named columns (incl. ``asof`` look-ups of an earlier matching row);
* ``targets`` say, per canonical table, which rows (``where``), which columns, and how
  rows are merged (``group_by`` with ``agg`` per column);
* ``count`` adds named row counts to the import report.

Everything is compiled to vectorised Polars expressions; no Python loop runs per row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from quickturn.errors import ConfigError, Finding
from quickturn.schema import CURRENCIES, TABLES_BY_NAME, get_table
from quickturn.validate import (
    NUMBER_PROBLEMS,
    NUMBER_PROBLEMS_ZH,
    currency_marker,
    currency_matches,
    number_problem,
    number_text,
)

ROW = "__row__"

HEADS = (
    "col",
    "const",
    "concat",
    "coalesce",
    "when",
    "add",
    "sub",
    "mul",
    "div",
    "all",
    "any",
    "not",
)
MODIFIERS = (
    "strip",
    "upper",
    "lower",
    "decimal_comma",
    "regex_replace",
    "extract",
    "split",
    "prefix",
    "suffix",
    "map",
    "date_format",
    "cast",
    "multiply",
    "divide",
    "plus",
    "negate",
    "abs",
    "round",
    "default",
    "agg",
)
#: keys that belong to a head or modifier rather than being a step of their own
PARAMS = ("optional", "sep", "index", "else", "map_default", "over")
COMPARISONS = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "is_null",
    "not_null",
)
AGGS = ("sum", "min", "max", "mean", "first", "last", "count", "n_unique", "any", "all", "mode")
CASTS = ("str", "int", "float", "bool", "date", "timestamp")
TOP_KEYS = (
    "version",
    "name",
    "description",
    "detect",
    "read",
    "date_format",
    "timezone",
    "optional_columns",
    "currency",
    "decimal_comma",
    "derive",
    "count",
    "targets",
    "columns",
    "where",
    "group_by",
    "pass_through",
)
TARGET_KEYS = ("where", "columns", "group_by", "mode", "pass_through", "description")
READ_KEYS = ("sheet", "skip_rows", "delimiter", "encoding")
ASOF_KEYS = ("candidates", "rows", "by", "time", "direction", "take")

BUILTIN_DIR = "mappings"


# -- YAML with line numbers -----------------------------------------------------------------
class LDict(dict[Any, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[Any, int]


class LList(list[Any]):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """Safe loader with line numbers and YAML 1.2 booleans (``NO`` stays Norway)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    out = LDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain text", key_node.start_mark
            )
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LList:
    out = LList(loader.construct_object(n, deep=True) for n in node.value)  # type: ignore[no-untyped-call]
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def parse_yaml(text: str, origin: str) -> Any:
    """Parse YAML text; syntax errors become ``ConfigError('origin:line:col: …')``."""
    try:
        return yaml.load(text, Loader=_Loader)  # SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{origin}{where}: not valid YAML ({problem})") from None


# -- the mapping object -------------------------------------------------------------------------
@dataclass
class Target:
    table: str
    columns: LDict
    where: Any = None
    group_by: list[str] = field(default_factory=list)
    mode: str = "upsert"  # upsert | insert_missing
    pass_through: bool = False
    line: int = 0


@dataclass
class Mapping:
    """A checked mapping, ready to apply to a frame."""

    name: str
    origin: str
    description: str = ""
    detect: list[str] = field(default_factory=list)
    read: dict[str, Any] = field(default_factory=dict)
    date_format: str | None = None
    timezone: str | None = None
    optional_columns: list[str] = field(default_factory=list)
    #: the currency the file's amounts are in: a contradicting symbol ("¥12") is an error
    currency: str = "USD"
    #: read "12,50" / "1.234,50" as decimal commas (else they are rejected as ambiguous)
    decimal_comma: bool = False
    derive: LDict = field(default_factory=LDict)
    count: LDict = field(default_factory=LDict)
    targets: list[Target] = field(default_factory=list)
    #: a mapping with top-level ``columns`` fills the table named on the command line
    single: Target | None = None

    @property
    def tables(self) -> list[str]:
        return [t.table for t in self.targets]

    def for_table(self, table: str) -> Mapping:
        """Resolve a single-table mapping (``columns:`` at the top) to ``table``."""
        if self.single is None:
            return self
        t = Target(
            table,
            self.single.columns,
            self.single.where,
            self.single.group_by,
            self.single.mode,
            self.single.pass_through,
            self.single.line,
        )
        _check_target(self, t)
        out = Mapping(**{**self.__dict__, "targets": [t], "single": None})
        return out


def _err(m: Mapping | str, line: int, message: str) -> ConfigError:
    origin = m.origin if isinstance(m, Mapping) else m
    return ConfigError(f"{origin}:{line}: {message}" if line else f"{origin}: {message}")


def _line(node: Any, parent: Any = None, key: Any = None) -> int:
    if isinstance(parent, LDict) and key in parent.lines:
        return parent.lines[key]
    return int(getattr(node, "line", 0) or getattr(parent, "line", 0) or 0)


def load_mapping(text: str, origin: str = "mapping") -> Mapping:
    """Parse and check a YAML mapping; every mistake raises ConfigError with its line."""
    data = parse_yaml(text, origin)
    if not isinstance(data, LDict):
        raise _err(origin, 1, "a mapping file must be a YAML mapping (key: value lines)")
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        k = unknown[0]
        raise _err(
            origin, data.lines[k], f"unknown key {k!r}; expected one of: {', '.join(TOP_KEYS)}"
        )
    version = data.get("version", 1)
    if version != 1:
        raise _err(origin, data.lines.get("version", 1), f"unsupported version {version!r}")
    m = Mapping(
        name=str(data.get("name") or Path(origin).stem),
        origin=origin,
        description=str(data.get("description") or ""),
    )
    if "detect" in data:
        m.detect = _str_list(m, data["detect"], data, "detect")
    if "read" in data:
        read = data["read"]
        if not isinstance(read, LDict):
            raise _err(m, data.lines["read"], "read: expected a mapping (sheet, skip_rows, …)")
        for k in read:
            if k not in READ_KEYS:
                raise _err(
                    m, read.lines[k], f"read: unknown key {k!r}; expected {', '.join(READ_KEYS)}"
                )
        m.read = dict(read)
    if data.get("date_format") is not None:
        m.date_format = str(data["date_format"])
    if data.get("timezone") is not None:
        m.timezone = str(data["timezone"])
        _check_timezone(m, m.timezone, data.lines["timezone"])
    if data.get("currency") is not None:
        m.currency = str(data["currency"]).strip().upper()
        if m.currency not in CURRENCIES:
            raise _err(
                m,
                data.lines["currency"],
                f"currency: {m.currency!r} is not one of {', '.join(CURRENCIES)}",
            )
    if "decimal_comma" in data:
        if not isinstance(data["decimal_comma"], bool):
            raise _err(m, data.lines["decimal_comma"], "decimal_comma: expected true or false")
        m.decimal_comma = data["decimal_comma"]
    if "optional_columns" in data:
        m.optional_columns = _str_list(m, data["optional_columns"], data, "optional_columns")
    for section in ("derive", "count"):
        if section in data:
            value = data[section]
            if not isinstance(value, LDict):
                raise _err(m, data.lines[section], f"{section}: expected a mapping of name: value")
            setattr(m, section, value)
    if "targets" in data and "columns" in data:
        raise _err(m, data.lines["columns"], "use either targets: or columns:, not both")
    if "targets" in data:
        targets = data["targets"]
        if not isinstance(targets, LDict) or not targets:
            raise _err(m, data.lines["targets"], "targets: expected a mapping of table: {…}")
        for name, spec in targets.items():
            m.targets.append(_target(m, str(name), spec, targets.lines[name]))
    elif "columns" in data:
        m.single = _target(m, "", data, data.line, single=True)
    else:
        raise _err(m, 1, "a mapping needs targets: (one entry per table) or columns:")
    checker = _Compiler(m, None)
    for name in m.derive:
        checker.derive(name, m.derive[name], m.derive.lines[name])
    for name in m.count:
        checker.compile(m.count[name], m.count, name)
    for t in m.targets:
        _check_target(m, t)
    if m.single is not None:
        single_checker = _Compiler(m, None)
        single_checker.known = set(m.derive)
        for name in m.single.columns:
            single_checker.compile(
                m.single.columns[name], m.single.columns, name, grouped=bool(m.single.group_by)
            )
        if m.single.where is not None:
            single_checker.compile(m.single.where, None, "where")
    return m


def _str_list(m: Mapping, value: Any, parent: LDict, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _err(m, parent.lines[key], f"{key}: expected a list of column names")
    return [str(v) for v in value]


def _check_timezone(m: Mapping, tz: str, line: int) -> None:
    try:
        pl.Series([datetime(2024, 1, 1)]).dt.replace_time_zone(tz)
    except Exception:
        raise _err(
            m, line, f"unknown time zone {tz!r} (use an IANA name such as America/Los_Angeles)"
        ) from None


def _target(m: Mapping, table: str, spec: Any, line: int, *, single: bool = False) -> Target:
    if not isinstance(spec, LDict):
        raise _err(m, line, f"target {table!r}: expected a mapping with columns:")
    if not single:
        for k in spec:
            if k not in TARGET_KEYS:
                raise _err(
                    m,
                    spec.lines[k],
                    f"target {table!r}: unknown key {k!r}; expected one of: {', '.join(TARGET_KEYS)}",
                )
    cols = spec.get("columns")
    if cols is None:
        cols = LDict()
        cols.lines = {}
        cols.line = spec.line
    if not isinstance(cols, LDict):
        raise _err(
            m, spec.lines.get("columns", line), "columns: expected a mapping of our_column: value"
        )
    mode = str(spec.get("mode", "upsert"))
    if mode not in ("upsert", "insert_missing"):
        raise _err(
            m, spec.lines.get("mode", line), f"mode: {mode!r} is not upsert or insert_missing"
        )
    group_by = _str_list(m, spec["group_by"], spec, "group_by") if "group_by" in spec else []
    return Target(
        table,
        cols,
        spec.get("where"),
        group_by,
        mode,
        bool(spec.get("pass_through", single)),
        line,
    )


def _check_target(m: Mapping, t: Target) -> None:
    if t.table not in TABLES_BY_NAME:
        known = ", ".join(sorted(TABLES_BY_NAME))
        raise _err(m, t.line, f"unknown table {t.table!r}; known tables: {known}")
    table = get_table(t.table)
    for name in t.columns:
        if name not in table.column_names:
            raise _err(
                m,
                t.columns.lines[name],
                f"table {t.table!r} has no column {name!r}; its columns: {', '.join(table.column_names)}",
            )
    if not t.pass_through:
        absent = [
            c for c in table.required if c not in t.columns and table.column(c).default is None
        ]
        if absent:
            raise _err(
                m,
                t.line,
                f"target {t.table!r} does not fill its required column(s) {', '.join(absent)}",
            )
    for k in t.group_by:
        if k not in t.columns and not t.pass_through:
            raise _err(m, t.line, f"group_by: {k!r} is not one of the target's columns")
    checker = _Compiler(m, None)
    for name in m.derive:
        checker.known.add(name)
    for name in t.columns:
        checker.compile(t.columns[name], t.columns, name, grouped=bool(t.group_by))
    if t.where is not None:
        checker.compile(t.where, None, "where")


# -- inline mappings and built-ins ---------------------------------------------------------------
def parse_inline(text: str, origin: str = "--map") -> Mapping:
    """``"Their Col=our_col, 'USD'=currency"``: renames, and quoted constants."""
    items = _split_inline(text)
    cols = LDict()
    cols.lines = {}
    cols.line = 0
    for item in items:
        if "=" not in item:
            raise ConfigError(
                f"{origin}: {item!r} is not 'Their column=our_column' (or 'CONSTANT'=our_column in quotes)"
            )
        left, right = (s.strip() for s in item.rsplit("=", 1))
        if not left or not right:
            raise ConfigError(f"{origin}: {item!r} has an empty side")
        if len(left) >= 2 and left[0] == left[-1] and left[0] in "'\"":
            node: Any = LDict({"const": left[1:-1]})
            node.lines = {"const": 0}
        else:
            node = left
        if right in cols:
            raise ConfigError(f"{origin}: column {right!r} is mapped twice")
        cols[right] = node
        cols.lines[right] = 0
    m = Mapping(name="inline", origin=origin)
    m.single = Target("", cols, pass_through=True)
    return m


def _split_inline(text: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch in ",;\n":
            if "".join(buf).strip():
                out.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    if "".join(buf).strip():
        out.append("".join(buf).strip())
    return out


def builtin_names() -> list[str]:
    folder = resources.files("quickturn.connectors") / BUILTIN_DIR
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_builtin(name: str) -> Mapping:
    key = name.strip().lower().replace("-", "_")
    if key not in builtin_names():
        raise ConfigError(
            f"no built-in mapping {name!r}; built-in mappings: {', '.join(builtin_names())}"
        )
    return _load_builtin(key)


@functools.lru_cache(maxsize=16)
def _load_builtin(key: str) -> Mapping:
    """Built-in mappings are parsed and checked once per process (they are never mutated:
    ``for_table`` and ``apply_mapping`` build new objects)."""
    entry = resources.files("quickturn.connectors") / BUILTIN_DIR / f"{key}.yaml"
    return load_mapping(entry.read_text(encoding="utf-8"), f"{key}.yaml")


def resolve_mapping(spec: str) -> Mapping:
    """``--map`` value: a YAML file, a built-in mapping name, or an inline list."""
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ConfigError(f"{spec}: mapping file not found")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{spec}: cannot read mapping file ({exc})") from None
        return load_mapping(text, str(path))
    if spec.strip().lower().replace("-", "_") in builtin_names():
        return load_builtin(spec)
    if "=" in spec:
        return parse_inline(spec)
    raise ConfigError(
        f"--map {spec!r}: not a mapping file, a built-in mapping ({', '.join(builtin_names())}) "
        "or an inline list such as 'Their Col=our_col'"
    )


def normalise_name(name: str) -> str:
    """Column names are matched ignoring case, surrounding spaces/tabs and repeated spaces."""
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "").strip()).lower()


def detect_builtin(columns: Iterable[str]) -> Mapping | None:
    """The built-in mapping whose ``detect`` columns all appear in ``columns``, if any."""
    have = {normalise_name(c) for c in columns}
    for name in builtin_names():
        m = load_builtin(name)
        if m.detect and all(normalise_name(c) in have for c in m.detect):
            return m
    return None


# -- compiling to Polars ------------------------------------------------------------------------
@dataclass
class _Value:
    expr: pl.Expr
    agg: bool = False


@dataclass
class _GroupCtx:
    """Aggregations of a ``group_by`` target, staged for Polars' fast path.

    Each ``agg`` becomes a plain row-level column (``pre``) and one simple aggregation of
    it (``aggs``); arithmetic on aggregated values (``div``, ``round``, ``when`` …) runs
    afterwards on the grouped frame.  Complex expressions inside ``group_by().agg()`` are
    evaluated group by group by Polars, which is two orders of magnitude slower.
    """

    pre: dict[str, pl.Expr] = field(default_factory=dict)
    aggs: dict[str, pl.Expr] = field(default_factory=dict)
    #: staged ``sum`` columns → the file column summed (checked for mixed signs)
    sums: dict[str, str] = field(default_factory=dict)


class _Compiler:
    """Compiles mapping nodes to Polars expressions.

    With ``frame is None`` it only checks the structure (load time): column names are not
    resolved and dtypes are unknown.
    """

    def __init__(self, m: Mapping, frame: pl.DataFrame | None) -> None:
        self.m = m
        self.frame = frame
        self.schema: dict[str, pl.DataType] | None = (
            dict(frame.schema) if frame is not None else None
        )
        self.lookup = (
            {normalise_name(c): c for c in reversed(frame.columns)} if frame is not None else {}
        )
        self.known: set[str] = set()
        self.optional = {normalise_name(c) for c in m.optional_columns}
        self.missing: dict[str, int] = {}
        #: text source columns used as numbers (checked for unreadable values)
        self.numeric_sources: set[str] = set()
        #: set while compiling the columns of a ``group_by`` target
        self.group: _GroupCtx | None = None

    def stage(self, e: pl.Expr, how: str) -> _Value:
        """Aggregate ``e`` with ``how``: staged in a group_by target, else a Polars agg."""
        if self.group is None:
            return _Value(self._agg(e, how), True)
        g = self.group
        i = len(g.pre)
        pin, pout = f"__pre{i}", f"__agg{i}"
        if how == "sum":
            roots = e.meta.root_names()
            g.sums[pin] = roots[0] if len(roots) == 1 else pin
        if how in ("sum", "mean"):
            e = self.number(e)
        g.pre[pin] = e
        if self.schema is not None:
            dt = self.dtype(e)
            if dt is not None:
                self.schema[pin] = dt
        agg = self._agg(pl.col(pin), how)
        g.aggs[pout] = agg
        if self.schema is not None:
            dt = self.dtype(agg)
            if dt is not None:
                self.schema[pout] = dt
        return _Value(pl.col(pout), True)

    def as_agg(self, v: _Value) -> _Value:
        """A row-level value used among aggregated ones: its first non-null value."""
        return v if v.agg else self.stage(v.expr, "first")

    # -- helpers
    def dtype(self, expr: pl.Expr) -> pl.DataType | None:
        if self.schema is None:
            return None
        try:
            return pl.LazyFrame(schema=self.schema).select(expr.alias("x")).collect_schema()["x"]
        except pl.exceptions.PolarsError:
            return None

    def is_str(self, expr: pl.Expr) -> bool:
        return self.dtype(expr) == pl.String

    def number(self, expr: pl.Expr) -> pl.Expr:
        """Numbers from text ("$1,234.50", "(3.00)", "USD 12"); numeric columns unchanged."""
        dt = self.dtype(expr)
        if dt == pl.String:
            if expr.meta.is_column():
                self.numeric_sources.add(expr.meta.output_name())
            return _text_to_number(expr, self.m.decimal_comma)
        if dt is not None and (dt == pl.Boolean or isinstance(dt, pl.Decimal)):
            return expr.cast(pl.Float64)
        return expr

    def column(self, name: str, line: int, optional: bool = False) -> pl.Expr:
        if self.frame is None:
            return pl.col(name)
        if name in self.frame.columns:
            actual = name
        else:
            found = self.lookup.get(normalise_name(name))
            if found is None:
                if not (optional or normalise_name(name) in self.optional):
                    self.missing.setdefault(name, line)
                return pl.lit(None, dtype=pl.String)
            actual = found
        return pl.col(actual)

    def err(self, line: int, message: str) -> ConfigError:
        return _err(self.m, line, message)

    # -- derive (incl. asof)
    def derive(self, name: str, node: Any, line: int) -> pl.Expr | _Asof:
        self.known.add(name)
        if isinstance(node, LDict) and "asof" in node:
            if len(node) != 1:
                raise self.err(line, f"derive {name!r}: asof cannot be combined with other keys")
            return self.asof(node["asof"], node.lines["asof"])
        return self.compile(node, self.m.derive, name).expr

    def asof(self, node: Any, line: int) -> _Asof:
        if not isinstance(node, LDict):
            raise self.err(line, "asof: expected candidates, rows, by, time, take")
        for k in node:
            if k not in ASOF_KEYS:
                raise self.err(
                    node.lines[k], f"asof: unknown key {k!r}; expected {', '.join(ASOF_KEYS)}"
                )
        for k in ("candidates", "time", "take"):
            if k not in node:
                raise self.err(node.line, f"asof: {k}: is required")
        direction = str(node.get("direction", "backward"))
        if direction not in ("backward", "forward", "nearest"):
            raise self.err(
                node.lines.get("direction", line),
                f"asof: direction {direction!r} is not backward, forward or nearest",
            )
        by = node.get("by", [])
        if isinstance(by, str):
            by = [by]
        return _Asof(
            candidates=self.compile(node["candidates"], node, "candidates").expr,
            rows=self.compile(node["rows"], node, "rows").expr if "rows" in node else pl.lit(True),
            by=[self.compile(b, node, "by").expr for b in by],
            time=self.compile(node["time"], node, "time").expr,
            take=self.compile(node["take"], node, "take").expr,
            direction=direction,
        )

    # -- values
    def compile(self, node: Any, parent: Any, key: Any, *, grouped: bool = False) -> _Value:
        line = _line(node, parent, key)
        v = self._node(node, line, grouped)
        return v

    def _node(self, node: Any, line: int, grouped: bool) -> _Value:
        if isinstance(node, bool):
            return _Value(pl.lit(node))
        if isinstance(node, (int, float)):
            return _Value(pl.lit(node))
        if isinstance(node, str):
            if node in self.known:  # a derived column (wins over a source column's name)
                return _Value(pl.col(node))
            return _Value(self.column(node, line))
        if isinstance(node, list):
            raise self.err(
                line, f"a list is not a value here: {node!r}; use concat:, coalesce: or in:"
            )
        if not isinstance(node, LDict):
            if node is None:
                return _Value(pl.lit(None))
            if isinstance(node, (date, datetime)):
                return _Value(pl.lit(node))
            raise self.err(line, f"cannot use {node!r} as a value")
        heads = [k for k in node if k in HEADS]
        unknown = [
            k
            for k in node
            if k not in HEADS and k not in MODIFIERS and k not in PARAMS and k not in COMPARISONS
        ]
        if unknown:
            k = unknown[0]
            raise self.err(
                node.lines[k],
                f"unknown key {k!r}; a value starts with one of {', '.join(HEADS)} and may add "
                f"{', '.join(MODIFIERS)} or a comparison ({', '.join(COMPARISONS)})",
            )
        if len(heads) != 1:
            what = "several" if heads else "no"
            raise self.err(
                node.line,
                f"{what} value heads ({', '.join(heads) or '—'}); use exactly one of {', '.join(HEADS)}",
            )
        head = heads[0]
        v = self._head(head, node, grouped)
        for k in node:
            if k in MODIFIERS:
                v = self._modifier(k, node[k], node, v)
        comps = [k for k in node if k in COMPARISONS]
        if comps:
            exprs = [self._compare(k, node[k], node, v.expr) for k in comps]
            out = exprs[0]
            for e in exprs[1:]:
                out = out & e
            v = _Value(out, v.agg)
        if "over" in node:
            if not v.agg:
                raise self.err(
                    node.lines["over"], "over: needs an agg: (e.g. agg: max, over: InvoiceNo)"
                )
            over = node["over"]
            keys = [over] if isinstance(over, str) else list(over)
            v = _Value(
                v.expr.over([self._node(k, node.lines["over"], False).expr for k in keys]), False
            )
        return v

    def _children(self, node: LDict, key: str, grouped: bool) -> list[_Value]:
        items = node[key]
        if not isinstance(items, list) or not items:
            raise self.err(node.lines[key], f"{key}: expected a non-empty list of values")
        vals = [self._node(i, _line(i, node, key), grouped) for i in items]
        if any(v.agg for v in vals):
            vals = [self.as_agg(v) for v in vals]
        return vals

    def _head(self, head: str, node: LDict, grouped: bool) -> _Value:
        arg = node[head]
        line = node.lines[head]
        if head == "col":
            if not isinstance(arg, (str, int)):
                raise self.err(line, "col: expected a column name")
            name = str(arg)
            if name in self.known:
                return _Value(pl.col(name))
            return _Value(self.column(name, line, bool(node.get("optional", False))))
        if head == "const":
            if isinstance(arg, (LDict, list)):
                raise self.err(line, "const: expected a single value")
            return _Value(pl.lit(arg))
        if head == "concat":
            vals = self._children(node, head, grouped)
            sep = str(node.get("sep", ""))
            exprs = [v.expr.cast(pl.String) for v in vals]
            return _Value(pl.concat_str(exprs, separator=sep), any(v.agg for v in vals))
        if head == "coalesce":
            vals = self._children(node, head, grouped)
            exprs = [v.expr for v in vals]
            if self.schema is not None:
                dts = {self.dtype(e) for e in exprs} - {pl.Null()}
                if len(dts) > 1:
                    exprs = [e.cast(pl.String) for e in exprs]
            return _Value(pl.coalesce(exprs), any(v.agg for v in vals))
        if head in ("add", "sub", "mul", "div"):
            vals = self._children(node, head, grouped)
            exprs = [self.number(v.expr) for v in vals]
            out = exprs[0]
            for e in exprs[1:]:
                if head == "add":
                    out = out + e
                elif head == "sub":
                    out = out - e
                elif head == "mul":
                    out = out * e
                else:
                    out = pl.when(e != 0).then(out / e).otherwise(None)
            return _Value(out, any(v.agg for v in vals))
        if head in ("all", "any"):
            vals = self._children(node, head, grouped)
            exprs = [v.expr.fill_null(False) for v in vals]
            out = exprs[0]
            for e in exprs[1:]:
                out = (out & e) if head == "all" else (out | e)
            return _Value(out, any(v.agg for v in vals))
        if head == "not":
            v = self._node(arg, line, grouped)
            return _Value(~v.expr.fill_null(False), v.agg)
        if head == "when":
            if not isinstance(arg, list) or not arg:
                raise self.err(line, "when: expected a list of {if: condition, then: value}")
            branches: list[tuple[_Value, _Value]] = []
            for item in arg:
                il = _line(item, node, head)
                if not isinstance(item, LDict) or set(item) != {"if", "then"}:
                    raise self.err(il, "when: each item needs exactly if: and then:")
                branches.append(
                    (
                        self._node(item["if"], item.lines["if"], grouped),
                        self._node(item["then"], item.lines["then"], grouped),
                    )
                )
            other = (
                self._node(node["else"], node.lines["else"], grouped)
                if "else" in node
                else _Value(pl.lit(None))
            )
            any_agg = other.agg or any(c.agg or t.agg for c, t in branches)

            def fix(v: _Value) -> pl.Expr:
                return self.as_agg(v).expr if any_agg else v.expr

            chain: Any = pl.when(fix(branches[0][0]).fill_null(False)).then(fix(branches[0][1]))
            for c, t in branches[1:]:
                chain = chain.when(fix(c).fill_null(False)).then(fix(t))
            return _Value(chain.otherwise(fix(other)), any_agg)
        raise AssertionError(head)  # pragma: no cover

    def _modifier(self, key: str, arg: Any, node: LDict, v: _Value) -> _Value:
        line = node.lines[key]
        e = v.expr
        if key in ("strip", "upper", "lower", "negate", "abs", "decimal_comma") and arg is not True:
            raise self.err(line, f"{key}: expected true")
        if key == "strip":
            return _Value(e.cast(pl.String).str.strip_chars(), v.agg)
        if key == "upper":
            return _Value(e.cast(pl.String).str.to_uppercase(), v.agg)
        if key == "lower":
            return _Value(e.cast(pl.String).str.to_lowercase(), v.agg)
        if key == "decimal_comma":
            return _Value(
                e.cast(pl.String).str.replace_all(r"[.\s]", "").str.replace(",", ".", literal=True),
                v.agg,
            )
        if key == "regex_replace":
            if not isinstance(arg, list) or len(arg) != 2:
                raise self.err(line, "regex_replace: expected [pattern, replacement]")
            self._regex(str(arg[0]), line)
            return _Value(e.cast(pl.String).str.replace_all(str(arg[0]), str(arg[1])), v.agg)
        if key == "extract":
            self._regex(str(arg), line)
            if re.compile(str(arg)).groups < 1:
                raise self.err(line, "extract: the pattern needs a (capture group)")
            return _Value(e.cast(pl.String).str.extract(str(arg), 1), v.agg)
        if key == "split":
            sep = str(arg)
            index = node.get("index", 0)
            if not isinstance(index, int):
                raise self.err(
                    node.lines.get("index", line),
                    "index: expected a whole number (0 = first part, -1 = last)",
                )
            parts = e.cast(pl.String).str.split(sep)
            return _Value(parts.list.get(index, null_on_oob=True).str.strip_chars(), v.agg)
        if key in ("prefix", "suffix"):
            lit = pl.lit(str(arg))
            s = e.cast(pl.String)
            return _Value(pl.concat_str([lit, s] if key == "prefix" else [s, lit]), v.agg)
        if key == "map":
            if not isinstance(arg, LDict):
                raise self.err(line, "map: expected a mapping of their value: our value")
            old = [str(k) for k in arg]
            new = [None if arg[k] is None else str(arg[k]) for k in arg]
            s = e.cast(pl.String)
            if "map_default" in node:
                default = node["map_default"]
                return _Value(
                    s.replace_strict(
                        old,
                        new,
                        default=None if default is None else str(default),
                        return_dtype=pl.String,
                    ),
                    v.agg,
                )
            return _Value(s.replace(old, new), v.agg)
        if key == "date_format":
            fmt = str(arg)
            if "%" not in fmt:
                raise self.err(
                    line, f"date_format: {fmt!r} is not a strftime pattern such as %d/%m/%Y %H:%M"
                )
            return _Value(
                e.cast(pl.String)
                .str.strip_chars()
                .str.to_datetime(fmt, strict=False, time_unit="us"),
                v.agg,
            )
        if key == "cast":
            if arg not in CASTS:
                raise self.err(line, f"cast: {arg!r} is not one of {', '.join(CASTS)}")
            return _Value(self._cast(e, str(arg)), v.agg)
        if key in ("multiply", "divide", "plus"):
            if isinstance(arg, bool) or not isinstance(arg, (int, float)):
                raise self.err(line, f"{key}: expected a number")
            n = self.number(e)
            if key == "multiply":
                return _Value(n * arg, v.agg)
            if key == "divide":
                if arg == 0:
                    raise self.err(line, "divide: cannot divide by 0")
                return _Value(n / arg, v.agg)
            return _Value(n + arg, v.agg)
        if key == "negate":
            return _Value(-self.number(e), v.agg)
        if key == "abs":
            return _Value(self.number(e).abs(), v.agg)
        if key == "round":
            if isinstance(arg, bool) or not isinstance(arg, int):
                raise self.err(line, "round: expected a number of decimals")
            return _Value(self.number(e).cast(pl.Float64).round(arg), v.agg)
        if key == "default":
            if isinstance(arg, (LDict, list)):
                raise self.err(line, "default: expected a single value")
            if self.is_str(e) and not isinstance(arg, str):
                arg = str(arg)
            return _Value(e.fill_null(pl.lit(arg)), v.agg)
        if key == "agg":
            if arg not in AGGS:
                raise self.err(line, f"agg: {arg!r} is not one of {', '.join(AGGS)}")
            if v.agg:
                raise self.err(line, "agg: the value is already aggregated")
            if "over" in node:  # a window: evaluated row by row, never staged
                return _Value(self._agg(e, str(arg)), True)
            return self.stage(e, str(arg))
        raise AssertionError(key)  # pragma: no cover

    def _regex(self, pattern: str, line: int) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise self.err(line, f"not a valid regular expression {pattern!r}: {exc}") from None

    def _cast(self, e: pl.Expr, to: str) -> pl.Expr:
        dt = self.dtype(e)
        if to == "str":
            if dt is not None and dt.is_float():
                whole = e == e.round(0)
                return (
                    pl.when(whole)
                    .then(e.cast(pl.Int64, strict=False).cast(pl.String))
                    .otherwise(e.cast(pl.String))
                )
            return e.cast(pl.String)
        if to in ("int", "float"):
            n = self.number(e)
            return n.cast(pl.Int64 if to == "int" else pl.Float64, strict=False)
        if to == "bool":
            if dt == pl.String:
                low = e.str.strip_chars().str.to_lowercase()
                return (
                    pl.when(low.is_in(["true", "t", "yes", "y", "1"]))
                    .then(True)
                    .when(low.is_in(["false", "f", "no", "n", "0"]))
                    .then(False)
                    .otherwise(None)
                )
            return e.cast(pl.Boolean, strict=False)
        if to == "date":
            if dt == pl.String:
                return e.str.strip_chars().str.to_date(strict=False)
            return e.cast(pl.Date, strict=False)
        if dt == pl.String:
            return e.str.strip_chars().str.to_datetime(strict=False, time_unit="us")
        return e.cast(pl.Datetime("us"), strict=False)

    def _agg(self, e: pl.Expr, how: str) -> pl.Expr:
        if how in ("sum", "mean"):
            n = self.number(e)
            return n.sum() if how == "sum" else n.mean()
        if how in ("min", "max"):
            return e.min() if how == "min" else e.max()
        if how == "first":
            return _first(e)
        if how == "last":
            return e.drop_nulls().last()
        if how == "count":
            return e.count()
        if how == "n_unique":
            return e.drop_nulls().n_unique()
        if how == "any":
            return e.fill_null(False).any()
        if how == "all":
            return e.fill_null(True).all()
        return e.drop_nulls().mode().sort().first()

    def _compare(self, key: str, arg: Any, node: LDict, e: pl.Expr) -> pl.Expr:
        line = node.lines[key]
        if key in ("is_null", "not_null"):
            if not isinstance(arg, bool):
                raise self.err(line, f"{key}: expected true or false")
            out = e.is_null() if (key == "is_null") == arg else e.is_not_null()
            return out
        if key in ("in", "not_in"):
            if not isinstance(arg, list):
                raise self.err(line, f"{key}: expected a list of values")
            values: list[Any] = list(arg)
            if self.is_str(e):
                values = [str(x) for x in values]
            out = e.is_in(values)
            return (~out if key == "not_in" else out).fill_null(key == "not_in")
        if key in ("starts_with", "ends_with", "contains", "matches"):
            s = e.cast(pl.String)
            if key == "starts_with":
                out = s.str.starts_with(str(arg))
            elif key == "ends_with":
                out = s.str.ends_with(str(arg))
            elif key == "contains":
                out = s.str.contains(str(arg), literal=True)
            else:
                self._regex(str(arg), line)
                out = s.str.contains(str(arg))
            return out.fill_null(False)
        if isinstance(arg, (LDict, list)):
            raise self.err(line, f"{key}: expected a single value")
        left = e
        right: Any = arg
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            left = self.number(e)
        elif isinstance(arg, str) and self.schema is not None and not self.is_str(e):
            dt = self.dtype(e)
            if dt is not None and dt.is_numeric():
                raise self.err(line, f"{key}: compares a number with the text {arg!r}")
        ops = {
            "eq": left == right,
            "ne": left != right,
            "lt": left < right,
            "le": left <= right,
            "gt": left > right,
            "ge": left >= right,
        }
        return ops[key].fill_null(key == "ne")


def _text_to_number(expr: pl.Expr, decimal_comma: bool = False) -> pl.Expr:
    """Numbers from text: "$1,234.50", "(3.00)" (negative), "USD 12"; unreadable → null.

    The rules are :func:`quickturn.validate.number_text`'s (letters and ambiguous decimal
    commas are unreadable)."""
    return number_text(expr, decimal_comma=decimal_comma).cast(pl.Float64, strict=False)


def _first(e: pl.Expr) -> pl.Expr:
    return e.drop_nulls().first()


@dataclass
class _Asof:
    candidates: pl.Expr
    rows: pl.Expr
    by: list[pl.Expr]
    time: pl.Expr
    take: pl.Expr
    direction: str

    def evaluate(self, frame: pl.DataFrame) -> pl.Series:
        by_names = [f"__by{i}" for i in range(len(self.by))]
        base = frame.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__idx"),
            self.candidates.fill_null(False).alias("__cand"),
            self.rows.fill_null(False).alias("__rows"),
            self.time.alias("__t"),
            self.take.alias("__take"),
            *[b.alias(n) for b, n in zip(self.by, by_names, strict=True)],
        )
        not_null = pl.all_horizontal([pl.col(n).is_not_null() for n in [*by_names, "__t"]])
        cand = (
            base.filter(pl.col("__cand") & not_null)
            .select([*by_names, "__t", "__take"])
            .sort("__t")
        )
        left = (
            base.filter(pl.col("__rows") & not_null).select(["__idx", *by_names, "__t"]).sort("__t")
        )
        joined = left.join_asof(
            cand,
            on="__t",
            by=by_names or None,
            strategy=self.direction,  # type: ignore[arg-type]
            check_sortedness=False,
        )
        out = pl.repeat(None, frame.height, dtype=base.schema["__take"], eager=True).alias("v")
        matched = joined.filter(pl.col("__take").is_not_null())
        if matched.height:
            out = out.scatter(matched["__idx"], matched["__take"])
        return out


# -- applying a mapping -----------------------------------------------------------------------
@dataclass
class TargetStats:
    table: str
    selected: int  # source rows picked by ``where``
    rows: int  # rows produced (after merging by ``group_by``)
    merged: int  # selected - rows: source rows merged into another row of the same key
    mode: str = "upsert"


@dataclass
class MappedTables:
    """Result of applying a mapping: canonical frames (raw values) and bookkeeping."""

    frames: dict[str, pl.DataFrame]
    stats: dict[str, TargetStats]
    counts: dict[str, int]
    findings: list[Finding]
    #: (table, column) → the source column it was copied from, for messages
    sources: dict[tuple[str, str], str]
    #: tables whose rows are only inserted when their key is new (never updated)
    insert_missing: set[str]
    #: source rows used by no target
    unused_rows: int = 0


def apply_mapping(
    m: Mapping, frame: pl.DataFrame, *, source: str = "", table: str | None = None
) -> MappedTables:
    """Apply ``m`` to ``frame`` (which carries the ``__row__`` column with source row numbers).

    Missing source columns are returned as findings (nothing else is computed then).
    """
    if m.single is not None:
        if table is None:
            raise ConfigError(f"{m.origin}: this mapping has columns: only; name the table to fill")
        m = m.for_table(table)
    if ROW not in frame.columns:
        frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
    source_columns = [c for c in frame.columns if c != ROW]
    comp = _Compiler(m, frame)
    missing: dict[str, int] = {}
    numeric: set[str] = set()
    # derive, one column at a time (later ones see earlier ones)
    for name in m.derive:
        compiled = comp.derive(name, m.derive[name], m.derive.lines[name])
        missing.update(comp.missing)
        numeric |= comp.numeric_sources
        try:
            if isinstance(compiled, _Asof):
                frame = frame.with_columns(compiled.evaluate(frame).alias(name))
            else:
                frame = frame.with_columns(compiled.alias(name))
        except pl.exceptions.PolarsError as exc:
            if not missing:
                raise _err(
                    m, m.derive.lines[name], f"derive {name!r} failed on this file: {exc}"
                ) from None
            frame = frame.with_columns(pl.lit(None).alias(name))
        comp = _Compiler(m, frame)
        comp.known = set(m.derive)
    comp.missing = missing
    comp.known = set(m.derive)
    compiled_targets: list[tuple[Target, pl.Expr | None, dict[str, _Value], _GroupCtx | None]] = []
    sources: dict[tuple[str, str], str] = {}
    base_schema = dict(comp.schema or {})
    for t in m.targets:
        comp.group = None
        comp.schema = dict(base_schema)
        where = comp.compile(t.where, None, "where").expr if t.where is not None else None
        ctx = _GroupCtx() if t.group_by else None
        cols: dict[str, _Value] = {}
        for name in t.columns:
            node = t.columns[name]
            comp.group = ctx if name not in t.group_by else None
            v = comp.compile(node, t.columns, name, grouped=bool(t.group_by))
            if ctx is not None and name not in t.group_by:
                v = comp.as_agg(v)
            cols[name] = v
            src = _simple_source(node)
            if src is not None:
                actual = comp.lookup.get(normalise_name(src), src)
                sources[(t.table, name)] = actual
        if t.pass_through:
            table_cols = get_table(t.table).column_names
            mapped_sources = {normalise_name(_simple_source(n) or "") for n in t.columns.values()}
            for c in frame.columns:
                canon = normalise_name(c).replace(" ", "_")
                if c == ROW or canon not in table_cols or canon in cols:
                    continue
                if normalise_name(c) in mapped_sources and normalise_name(c) != canon:
                    continue
                value = _Value(pl.col(c))
                if ctx is not None and canon not in t.group_by:
                    comp.group = ctx
                    value = comp.as_agg(value)
                cols[canon] = value
                sources[(t.table, canon)] = c
        comp.group = None
        compiled_targets.append((t, where, cols, ctx))
    comp.schema = base_schema
    counts: dict[str, int] = {}
    count_exprs = []
    for name in m.count:
        v = comp.compile(m.count[name], m.count, name)
        count_exprs.append(
            ((pl.int_range(pl.len()) >= 0) & v.expr.cast(pl.Boolean).fill_null(False))
            .sum()
            .alias(str(name))
        )
    numeric |= comp.numeric_sources
    findings: list[Finding] = []
    for name in sorted(numeric & set(source_columns)):
        findings += _unreadable_numbers(frame, name, source, m)
    if comp.missing:
        have = ", ".join(c for c in frame.columns if c != ROW and c not in m.derive)
        for name, line in comp.missing.items():
            findings.append(
                Finding(
                    "E_MISSING_COLUMN",
                    "error",
                    f"the file has no column {name!r} (needed by mapping {m.name}"
                    + (f", line {line}" if line else "")
                    + f"); the file has: {have or '(no columns)'}",
                    source=source,
                    column=name,
                    expected=f"a column named {name!r}",
                    fix="Rename the column in the file, or change the mapping.",
                )
            )
        return MappedTables({}, {}, {}, findings, sources, set())
    if count_exprs:
        row = frame.select(count_exprs).row(0, named=True)
        counts = {k: int(v or 0) for k, v in row.items()}
    frames: dict[str, pl.DataFrame] = {}
    stats: dict[str, TargetStats] = {}
    used = pl.repeat(False, frame.height, eager=True) if m.targets else None
    for t, where, cols, ctx in compiled_targets:
        try:
            needed = _roots([v.expr for v in cols.values()], ctx, frame.columns)
            if where is not None:
                mask = frame.select(where.fill_null(False)).to_series()
                sub = frame.select(needed).filter(mask)
                if used is not None:
                    used = used | mask
            else:
                sub = frame.select(needed)
                if used is not None:
                    used = pl.repeat(True, frame.height, eager=True)
            out = _build(t, sub, cols, ctx)
            if ctx is not None and ctx.sums:
                findings += _mixed_signs(t, sub, cols, ctx, source)
        except pl.exceptions.PolarsError as exc:
            raise _err(m, t.line, f"target {t.table!r} failed on this file: {exc}") from None
        frames[t.table] = out
        stats[t.table] = TargetStats(
            t.table, sub.height, out.height, sub.height - out.height, t.mode
        )
    unused = int((~used).sum()) if used is not None else 0
    return MappedTables(
        frames,
        stats,
        counts,
        findings,
        sources,
        {t.table for t in m.targets if t.mode == "insert_missing"},
        unused,
    )


def _unreadable_numbers(
    frame: pl.DataFrame, name: str, source: str, m: Mapping | None = None
) -> list[Finding]:
    """E_TYPE for text cells of ``name`` that the mapping uses as numbers but cannot read,
    E_CURRENCY for amounts written in another currency than the mapping's (USD by default)."""
    decimal_comma = m.decimal_comma if m is not None else False
    currency = m.currency if m is not None else "USD"
    raw = frame[name]
    checked = frame.select(
        _text_to_number(pl.col(name), decimal_comma).alias("n"),
        number_problem(pl.col(name), decimal_comma=decimal_comma).alias("why"),
        currency_matches(currency_marker(pl.col(name)), pl.lit(currency)).alias("cur_ok"),
    )
    parsed = checked["n"]
    bad = raw.is_not_null() & parsed.is_null()
    wrong_currency = parsed.is_not_null() & ~checked["cur_ok"]
    if not bool(bad.any()) and not bool(wrong_currency.any()):
        return []
    out: list[Finding] = []
    idx = (bad | wrong_currency).arg_true()
    for i in idx.head(200).to_list():
        row, value = int(frame[ROW][i]), raw[i]
        if bool(bad[i]):
            why = str(checked["why"][i])
            out.append(
                Finding(
                    "E_TYPE",
                    "error",
                    f"file column {name!r}: {value!r} is not a number (it has {NUMBER_PROBLEMS[why]})",
                    source=source,
                    row=row,
                    column=name,
                    value=value,
                    expected="a number such as 12.50 or 1,234.50",
                    message_zh=f"文件列 {name!r}：{value!r} 不是数字（{NUMBER_PROBLEMS_ZH[why]}）",
                    record={"file_column": name},
                    fix=(
                        "Write 12.50 (a point for decimals), or set decimal_comma: true in the "
                        "mapping if the whole file uses 1.234,50."
                        if why == "decimal_comma"
                        else None
                    ),
                )
            )
        else:
            out.append(
                Finding(
                    "E_CURRENCY",
                    "error",
                    f"file column {name!r}: {value!r} is written in another currency than "
                    f"the file's {currency}",
                    source=source,
                    row=row,
                    column=name,
                    value=value,
                    expected=f"an amount in {currency}",
                    message_zh=f"文件列 {name!r}：{value!r} 的货币与文件的货币 {currency} 不符",
                    record={"file_column": name},
                    fix="Convert the amount, or set currency: in the mapping.",
                )
            )
    if len(idx) > 200:
        more = len(idx) - 200
        out.append(
            Finding(
                "E_TYPE",
                "error",
                f"… and {more} more rows with the same problem in file column {name!r}",
                source=source,
                column=name,
                message_zh=f"… 另有 {more} 行在文件列 {name!r} 中有同样的问题",
                record={"more_rows": more, "file_column": name},
            )
        )
    return out


def _simple_source(node: Any) -> str | None:
    if isinstance(node, str):
        return node
    if isinstance(node, LDict) and "col" in node and isinstance(node["col"], str):
        return node["col"]
    return None


def _roots(exprs: list[pl.Expr], ctx: _GroupCtx | None, columns: list[str]) -> list[str]:
    """Frame columns a target reads (so that filtering copies only those)."""
    names: set[str] = {ROW}
    for e in [*exprs, *(ctx.pre.values() if ctx else [])]:
        names.update(e.meta.root_names())
    return [c for c in columns if c in names]


def _mixed_signs(
    t: Target, sub: pl.DataFrame, cols: dict[str, _Value], ctx: _GroupCtx, source: str
) -> list[Finding]:
    """W_MIXED_SIGNS: rows merged by ``group_by`` whose summed values have both signs (a
    line of +3 and one of −1 for the same order and SKU silently become 2)."""
    staged = sub.select(
        pl.col(ROW),
        *[cols[k].expr.alias(f"__key_{i}") for i, k in enumerate(t.group_by)],
        *[ctx.pre[p].cast(pl.Float64, strict=False).alias(p) for p in ctx.sums],
    )
    findings: list[Finding] = []
    keys = [f"__key_{i}" for i in range(len(t.group_by))]
    for pin, file_col in ctx.sums.items():
        if not bool((staged[pin] < 0).any()):
            continue
        mixed = (
            staged.group_by(keys)
            .agg(pl.col(ROW), pl.col(pin), (pl.col(pin) > 0).any().alias("pos"))
            .filter(pl.col("pos") & pl.col(pin).list.eval(pl.element() < 0).list.any())
            .sort(pl.col(ROW).list.first())
        )
        for r in mixed.head(200).iter_rows(named=True):
            rows = [int(x) for x in r[ROW]]
            values = [v for v in r[pin]]
            key = ", ".join(f"{k}={r[a]}" for k, a in zip(t.group_by, keys, strict=True))
            total = sum(v for v in values if v is not None)
            shown = ", ".join(f"{v:g}" for v in values if v is not None)
            findings.append(
                Finding(
                    "W_MIXED_SIGNS",
                    "warn",
                    f"rows {', '.join(map(str, rows))} have the same {key} and were merged into "
                    f"one {t.table} row: file column {file_col!r} {shown} summed to {total:g}; "
                    "check that the negative row is a correction and not a duplicate",
                    source=source,
                    row=rows[0],
                    column=file_col,
                    value=shown,
                    expected="rows of one key with amounts of one sign",
                    message_zh=f"第 {', '.join(map(str, rows))} 行的 {key} 相同，已合并为一行 "
                    f"{t.table}：文件列 {file_col!r} 的 {shown} 合计为 {total:g}；请确认负数行是更正"
                    "而不是重复",
                    record={"rows": rows, "file_column": file_col, "table": t.table},
                )
            )
    return findings


def _build(
    t: Target, sub: pl.DataFrame, cols: dict[str, _Value], ctx: _GroupCtx | None
) -> pl.DataFrame:
    if ctx is None:
        if any(v.agg for v in cols.values()):
            # aggregated values without group_by: one row for the whole selection
            return sub.select(
                pl.col(ROW).min(),
                *[(v.expr if v.agg else _first(v.expr)).alias(n) for n, v in cols.items()],
            )
        return sub.select(pl.col(ROW), *[v.expr.alias(n) for n, v in cols.items()])
    keys = {k: f"__key_{i}" for i, k in enumerate(t.group_by)}
    staged = sub.with_columns(
        [cols[k].expr.alias(alias) for k, alias in keys.items()]
        + [e.alias(name) for name, e in ctx.pre.items()]
    )
    grouped = staged.group_by(list(keys.values())).agg(
        [pl.col(ROW).min().alias(ROW), *[e.alias(name) for name, e in ctx.aggs.items()]]
    )
    grouped = grouped.rename({alias: k for k, alias in keys.items()})
    finals = [v.expr.alias(name) for name, v in cols.items() if name not in keys]
    # back to the order of first appearance in the file: findings read top to bottom, and
    # the store's primary-key index builds several times faster than from hash order
    out = grouped.with_columns(finals).sort(ROW)
    return out.select([ROW, *cols])


__all__ = [
    "ROW",
    "LDict",
    "MappedTables",
    "Mapping",
    "Target",
    "TargetStats",
    "apply_mapping",
    "builtin_names",
    "detect_builtin",
    "load_builtin",
    "load_mapping",
    "normalise_name",
    "parse_inline",
    "resolve_mapping",
]
