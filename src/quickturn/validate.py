"""Coerce and validate frames against the canonical tables (pure, vectorised, no IO).

``coerce(table, frame)`` turns a frame of text (as read from CSV / XLSX) or of loosely typed
columns into the table's exact dtypes and returns every problem as a :class:`Finding` with
the row, column, the value seen and what was expected.  Checks: missing required columns,
unparseable values, empty required cells, enumerations, numeric ranges, duplicate natural
keys and impossible date orders.  References to other tables need the store and are checked
by ``check_references`` with the known keys passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl

from quickturn.errors import Finding
from quickturn.schema import DECIMAL_SCALE, Column, Table

#: at most this many findings of one code and column are listed individually
MAX_FINDINGS_PER_CHECK = 200
#: dates further in the future than this are accepted with a W_FUTURE_DATE warning
FUTURE_DAYS = 366

ROW = "__row__"

_DATE_FORMATS_ISO = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
_TIME_SUFFIXES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M", " %H:%M:%S%.f", "T%H:%M:%S%.f")
_TRUE = {"true", "t", "yes", "y", "1", "是", "x"}
_FALSE = {"false", "f", "no", "n", "0", "否", ""}


def polars_dtype(column: Column) -> pl.DataType:
    """Polars dtype used for a column of the canonical model."""
    t = column.type
    if t == "str":
        return pl.String()
    if t == "int":
        return pl.Int64()
    if t == "float":
        return pl.Float64()
    if t in DECIMAL_SCALE:
        precision, scale = DECIMAL_SCALE[t]
        return pl.Decimal(precision, scale)
    if t == "bool":
        return pl.Boolean()
    if t == "date":
        return pl.Date()
    if t == "timestamp":
        return pl.Datetime("us")
    raise AssertionError(t)


def _nulls(name: str, n: int, dtype: pl.DataType) -> pl.Series:
    """A null column of length ``n`` (without building a Python list)."""
    return pl.repeat(None, n, dtype=dtype, eager=True).alias(name)


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    return {c.name: polars_dtype(c) for c in table.columns}


def empty_frame(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table))


@dataclass(frozen=True)
class DateOrder:
    """How to read ambiguous slash dates: ``auto`` detects from the data, ``mdy`` / ``dmy``
    force an order, and a strftime pattern (``%d/%m/%Y %H:%M``) forces one exact format."""

    mode: str = "auto"  # auto | mdy | dmy | a strftime pattern

    def resolve(self, samples: pl.Series) -> str:
        if self.mode in ("mdy", "dmy") or "%" in self.mode:
            return self.mode
        return detect_date_order(samples)


def normalise_date_format(value: str | None) -> str:
    """``--date-format`` value → ``auto``, ``mdy``, ``dmy`` or a strftime pattern."""
    if value is None:
        return "auto"
    v = value.strip()
    aliases = {
        "auto": "auto",
        "mdy": "mdy",
        "us": "mdy",
        "mm/dd/yyyy": "mdy",
        "dmy": "dmy",
        "dd/mm/yyyy": "dmy",
        "eu": "dmy",
        "iso": "%Y-%m-%d",
    }
    key = v.lower()
    if key in aliases:
        return aliases[key]
    if "%" in v:
        return v
    raise ValueError(
        f"unknown date format {value!r}; use auto, mdy (MM/DD/YYYY), dmy (DD/MM/YYYY) "
        "or a pattern such as %d.%m.%Y %H:%M"
    )


def date_order_votes(values: pl.Series) -> tuple[int, int]:
    """(values whose first part is above 12, values whose second part is above 12) among
    slash dates ``A/B/YYYY``: the first count proves DD/MM, the second MM/DD."""
    s = values.drop_nulls().cast(pl.String).str.strip_chars()
    m = s.str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
    first = m.struct.field("1").cast(pl.Int32, strict=False)
    second = m.struct.field("2").cast(pl.Int32, strict=False)
    return int((first > 12).sum()), int((second > 12).sum())


def detect_date_order(values: pl.Series) -> str:
    """``dmy`` if slash dates with a first part above 12 outnumber those with a second part
    above 12, else ``mdy`` (the US default, also when nothing tells them apart)."""
    dmy, mdy = date_order_votes(values)
    return "dmy" if dmy > mdy else "mdy"


def _slash_formats(order: str) -> list[str]:
    base = "%m/%d/%Y" if order == "mdy" else "%d/%m/%Y"
    return [base + suf for suf in ("", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p")]


def _iso_tz_formats() -> list[str]:
    return ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%:z"]


def datetime_formats(order: str = "mdy") -> list[str]:
    """Formats tried, in order, for text timestamps (see :func:`parse_datetime`)."""
    out: list[str] = []
    for d in _DATE_FORMATS_ISO:
        for suf in _TIME_SUFFIXES:
            if d == "%Y%m%d" and suf:
                continue
            out.append(d + suf)
    out += _slash_formats(order)
    return out


def parse_datetime(s: pl.Series, order: str = "mdy") -> pl.Series:
    """Parse text timestamps in the usual export formats to naive UTC; nulls where unreadable.

    Accepts ISO 8601 with or without ``T``, fractional seconds and an offset or ``Z`` (converted
    to UTC), ``YYYY/MM/DD``, slash dates in the given day/month order (``mdy`` or ``dmy``),
    and Unix epoch seconds.  ``order`` may also be one strftime pattern, used alone.

    Formats are tried one after another on the values still unread, so a column written in a
    single format costs one parse.
    """
    text = s.cast(pl.String).str.strip_chars().replace("", None)
    n = len(text)
    out = _nulls(s.name, n, pl.Datetime("us"))
    todo = text.is_not_null()
    if not bool(todo.any()):
        return out
    if "%" in order:
        return text.str.to_datetime(order, strict=False, time_unit="us").alias(s.name)
    candidates: list[tuple[str, bool]] = [(f, False) for f in datetime_formats(order)]
    if bool(text.str.contains(r"(?:Z|[+-]\d\d:\d\d)$").any()):
        candidates = [(f, True) for f in _iso_tz_formats()] + candidates
    for fmt, tz in candidates:
        pos = todo.arg_true()
        if len(pos) == 0:
            break
        sub = text.gather(pos)
        if tz:
            parsed = (
                sub.str.replace(r"Z$", "+00:00")
                .str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
                .dt.replace_time_zone(None)
            )
        else:
            parsed = sub.str.to_datetime(fmt, strict=False, time_unit="us")
        ok = parsed.is_not_null()
        if bool(ok.any()):
            hit = pos.filter(ok)
            out = out.scatter(hit, parsed.filter(ok))
            todo = todo.scatter(hit, False)
    pos = todo.arg_true()
    if len(pos):
        epoch = text.gather(pos).cast(pl.Int64, strict=False)
        ok = epoch.is_between(100_000_000, 10_000_000_000).fill_null(False)
        if bool(ok.any()):
            values = (epoch.filter(ok) * 1_000_000).cast(pl.Datetime("us"))
            out = out.scatter(pos.filter(ok), values)
    return out


def parse_bool(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Boolean:
        return s
    text = s.cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.DataFrame({"t": text})
        .select(
            pl.when(pl.col("t").is_in(list(_TRUE)))
            .then(True)
            .when(pl.col("t").is_in(list(_FALSE - {""})))
            .then(False)
            .otherwise(None)
            .alias(s.name)
        )
        .to_series()
    )


# -- numbers and money written as text -------------------------------------------------------
#
# Accepted (docs/importing.md "Numbers and money"): ``1234.50``, ``1,234.50`` (comma
# thousands in groups of three), a sign before or after the currency (``-$12``, ``$-12``),
# accounting negatives ``(12.50)``, a currency symbol or ISO code before or after the number
# (``$12``, ``US$12``, ``USD 12``, ``12.50 USD``, ``¥12``, ``CN¥12``, ``RMB 12``, ``€5``) and,
# for ``rate`` columns, a trailing ``%``.  Rejected: letters (``abc12``, ``e5``, ``inf``),
# decimal commas (``12,50``, ``1.234,50``) unless the import says ``decimal_comma``, and a
# currency that contradicts the column's (``¥12`` in a USD column).

#: currency markers → the ISO currencies they may stand for
CURRENCY_MARKERS: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "HKD", "SGD", "MXN", "AUD", "NZD", "TWD"),
    "US$": ("USD",),
    "U$": ("USD",),
    "C$": ("CAD",),
    "CA$": ("CAD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "SG$": ("SGD",),
    "MX$": ("MXN",),
    "A$": ("AUD",),
    "NT$": ("TWD",),
    "¥": ("CNY", "JPY"),
    "￥": ("CNY", "JPY"),
    "CN¥": ("CNY",),
    "JP¥": ("JPY",),
    "RMB": ("CNY",),
    "元": ("CNY",),
    "€": ("EUR",),
    "£": ("GBP",),
    "₩": ("KRW",),
    "฿": ("THB",),
    "₫": ("VND",),
    "₱": ("PHP",),
    "RP": ("IDR",),
    "RM": ("MYR",),
}
_ISO_CODES = ("USD", "CNY", "GBP", "EUR", "HKD", "MXN", "CAD", "JPY", "SGD", "MYR")
_ISO_CODES += ("THB", "VND", "PHP", "IDR", "KRW", "AUD", "NZD", "TWD", "INR", "BRL")
for _code in _ISO_CODES:
    CURRENCY_MARKERS.setdefault(_code, (_code,))
_MARKER_PAIRS = sorted(f"{m}|{c}" for m, cs in CURRENCY_MARKERS.items() for c in cs)
_MARKER_RE = "|".join(re.escape(m) for m in sorted(CURRENCY_MARKERS, key=len, reverse=True))
_NUMBER_RE = (
    r"^(?P<open>\()?\s*(?P<s1>[-+−])?\s*(?P<c1>" + _MARKER_RE + r")?\s*(?P<s2>[-+−])?\s*"
    r"(?P<num>[0-9][0-9.,]*|[.,][0-9]+)(?P<exp>[eE][-+]?[0-9]+)?\s*(?P<pct>%)?\s*"
    r"(?P<c2>" + _MARKER_RE + r")?\s*(?P<close>\))?$"
)
_POINT_BODY = r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.[0-9]*)?$"
_COMMA_BODY = r"^(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)?(?:,[0-9]*)?$"

#: why a text cell is not a number (``number_problem``)
NUMBER_PROBLEMS = {
    "letters": "letters or symbols that are not a currency",
    "decimal_comma": "a decimal comma (12,50 / 1.234,50), which is ambiguous",
    "format": "a malformed number",
    "exponent": "an exponent, which is not accepted here",
    "percent": "a % sign, which only rate columns accept",
}


def _num_parts(e: pl.Expr) -> pl.Expr:
    text = e.cast(pl.String).str.replace_all("[\u00a0\u202f\u2009]", " ").str.strip_chars()
    return text.str.to_uppercase().str.extract_groups(_NUMBER_RE)


def number_text(
    e: pl.Expr,
    *,
    decimal_comma: bool = False,
    exponent: bool = False,
    percent: bool = False,
) -> pl.Expr:
    """Text → plain decimal text (``-1234.50``, ``1.5e3``, ``15%``) or null if unreadable.

    Vectorised; the currency marker is dropped (see :func:`currency_marker`)."""
    p = _num_parts(e)
    body = p.struct.field("num")
    if decimal_comma:
        ok_body = body.str.contains(_COMMA_BODY)
        plain = body.str.replace_all(r"\.", "").str.replace(",", ".")
    else:
        ok_body = body.str.contains(_POINT_BODY)
        plain = body.str.replace_all(",", "")
    opened = p.struct.field("open").is_not_null()
    closed = p.struct.field("close").is_not_null()
    s1, s2 = p.struct.field("s1"), p.struct.field("s2")
    c1, c2 = p.struct.field("c1"), p.struct.field("c2")
    minus = (s1.is_in(["-", "−"]) | s2.is_in(["-", "−"])).fill_null(False) | opened
    ok = (
        ok_body
        & (opened == closed)
        & ~(s1.is_not_null() & s2.is_not_null())
        & ~(opened & (s1.is_not_null() | s2.is_not_null()))
        & ~(c1.is_not_null() & c2.is_not_null())
        & plain.str.contains(r"[0-9]")
    )
    if not exponent:
        ok = ok & p.struct.field("exp").is_null()
    if not percent:
        ok = ok & p.struct.field("pct").is_null()
    text = pl.concat_str(
        [
            pl.when(minus).then(pl.lit("-")).otherwise(pl.lit("")),
            plain.str.replace(r"^\.", "0."),
            p.struct.field("exp").fill_null(""),
            p.struct.field("pct").fill_null(""),
        ]
    )
    return pl.when(ok.fill_null(False)).then(text).otherwise(None)


def currency_marker(e: pl.Expr) -> pl.Expr:
    """The currency symbol or code written in a number cell (``US$``, ``¥``, ``USD``), or null."""
    p = _num_parts(e)
    return pl.coalesce(p.struct.field("c1"), p.struct.field("c2"))


def currency_matches(marker: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """False where a marker is written and cannot stand for ``currency`` (nulls: True)."""
    pair = pl.concat_str([marker, pl.lit("|"), currency.str.to_uppercase()])
    return (marker.is_null() | currency.is_null() | pair.is_in(_MARKER_PAIRS)).fill_null(True)


def number_problem(e: pl.Expr, *, decimal_comma: bool = False, percent: bool = False) -> pl.Expr:
    """Why text is not a number: a key of :data:`NUMBER_PROBLEMS` (null when it is one)."""
    text = e.cast(pl.String).str.strip_chars()
    p = _num_parts(e)
    body = p.struct.field("num")
    comma = pl.lit(False)
    if not decimal_comma:
        comma = body.str.contains(
            r"^[0-9]+,[0-9]{1,2}$|^[0-9]{1,3}(\.[0-9]{3})+,[0-9]*$|^[0-9]+,[0-9]{4,}$"
        )
    return (
        pl.when(p.struct.field("num").is_null() & text.str.contains(r"[A-Za-z]|[^\x00-\x7f]"))
        .then(pl.lit("letters"))
        .when(comma.fill_null(False))
        .then(pl.lit("decimal_comma"))
        .when(p.struct.field("exp").is_not_null())
        .then(pl.lit("exponent"))
        .when(p.struct.field("pct").is_not_null() & pl.lit(not percent))
        .then(pl.lit("percent"))
        .otherwise(pl.lit("format"))
    )


def coerce_series(
    column: Column, s: pl.Series, *, date_order: str = "mdy", decimal_comma: bool = False
) -> pl.Series:
    """Cast one column to its canonical dtype; unreadable values become null."""
    target = polars_dtype(column)
    if column.type == "str" and s.dtype == pl.String:
        return s.str.strip_chars().replace("", None)
    if s.dtype == target:
        return s
    if s.dtype == pl.Null:
        return _nulls(column.name, len(s), target)
    t = column.type
    if t == "str":
        if s.dtype.is_float():
            # ids read as numbers (Excel, Parquet): 17850.0 -> "17850"
            whole = s.is_not_null() & s.is_finite() & (s == s.round(0)) & (s.abs() < 1e15)
            as_int = s.cast(pl.Int64, strict=False).cast(pl.String)
            out = (
                pl.DataFrame({"w": whole, "i": as_int, "f": s.cast(pl.String)})
                .select(pl.when(pl.col("w")).then(pl.col("i")).otherwise(pl.col("f")))
                .to_series()
                .alias(s.name)
            )
            return out
        out = s.cast(pl.String).str.strip_chars()
        return out.replace("", None)
    if t == "bool":
        return parse_bool(s)
    if t in ("date", "timestamp"):
        if s.dtype == pl.Date:
            return s.cast(target)
        if isinstance(s.dtype, pl.Datetime):
            if s.dtype.time_zone is not None:
                s = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return s.dt.cast_time_unit("us").cast(target)
        parsed = parse_datetime(s, date_order)
        return parsed.dt.date() if t == "date" else parsed
    if s.dtype.is_numeric() and t in ("int", "float"):
        if t == "int" and s.dtype.is_float():
            ok = s.is_null() | (s == s.round(0))
            return (
                pl.DataFrame({"v": s, "ok": ok})
                .select(
                    pl.when(pl.col("ok"))
                    .then(pl.col("v"))
                    .otherwise(None)
                    .cast(pl.Int64)
                    .alias(s.name)
                )
                .to_series()
            )
        return s.cast(target, strict=False)
    if s.dtype.is_numeric() or s.dtype == pl.Decimal:
        if t in DECIMAL_SCALE and s.dtype.is_float():
            s = s.round(DECIMAL_SCALE[t][1])
        return s.cast(target, strict=False)
    t_ = column.type
    text = (
        pl.DataFrame({"v": s.cast(pl.String)})
        .select(
            number_text(
                pl.col("v"),
                decimal_comma=decimal_comma,
                exponent=t_ == "float",
                percent=t_ == "rate",
            ).alias(s.name)
        )
        .to_series()
    )
    if t == "int":
        # exact: whole-number text straight to Int64 (never through float); "12.0" allowed
        whole = text.str.replace(r"\.0*$", "")
        return whole.cast(pl.Int64, strict=False).alias(s.name)
    if t == "float":
        return text.cast(pl.Float64, strict=False)
    if t == "rate":
        # accept "15%" as 0.15
        pct = text.str.ends_with("%")
        num = text.str.replace("%$", "").cast(pl.Decimal(38, 8), strict=False)
        frame = pl.DataFrame({"n": num, "p": pct})
        return frame.select(
            pl.when(pl.col("p"))
            .then(pl.col("n") / 100)
            .otherwise(pl.col("n"))
            .cast(target, strict=False)
            .alias(s.name)
        ).to_series()
    return text.cast(target, strict=False)


_EXPECTED = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "money": "an amount such as 12.50",
    "rate": "a fraction 0–1 such as 0.15 (or 15%)",
    "fx": "an exchange rate such as 0.1389",
    "bool": "true/false (also yes/no, 1/0)",
    "date": "a date such as 2026-10-31",
    "timestamp": "a date and time such as 2026-10-31 14:05:00",
}
_EXPECTED_ZH = {
    "str": "文本",
    "int": "整数",
    "float": "数字",
    "money": "金额，例如 12.50",
    "rate": "0–1 之间的比例，例如 0.15（或 15%）",
    "fx": "汇率，例如 0.1389",
    "bool": "true/false（也可用 yes/no、1/0）",
    "date": "日期，例如 2026-10-31",
    "timestamp": "日期时间，例如 2026-10-31 14:05:00",
}
_ORDER_LABEL = {"mdy": "MM/DD/YYYY", "dmy": "DD/MM/YYYY"}


def expected_text(column: Column, lang: str = "en") -> str:
    if column.choices:
        return ("one of: " if lang == "en" else "以下值之一：") + ", ".join(column.choices)
    exp = (_EXPECTED if lang == "en" else _EXPECTED_ZH)[column.type]
    if column.unit and column.type in ("int", "float"):
        exp += f" ({column.unit})"
    return exp


def show_value(value: object) -> str:
    """A value as quoted in messages: text in quotes, numbers and dates plain."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value else str(value)
        return text
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


class _Collector:
    """Turns boolean masks over a frame into findings (at most MAX_FINDINGS_PER_CHECK each)."""

    def __init__(self, source: str, table: Table, rows: pl.Series) -> None:
        self.source = source
        self.table = table
        self.rows = rows
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        mask: pl.Series,
        column: str,
        values: pl.Series | None,
        message: str,
        message_zh: str,
        expected: str,
        severity: str = "error",
        fix: str | None = None,
        fix_zh: str | None = None,
        other: pl.Series | None = None,
    ) -> None:
        """``message`` / ``message_zh`` may use ``{column}``, ``{value}`` and ``{other}``
        (the value of ``other`` on the same row)."""
        mask = mask.fill_null(False)
        if not bool(mask.any()):
            return
        idx = mask.arg_true()
        total = len(idx)
        shown = idx.head(MAX_FINDINGS_PER_CHECK)
        rows = self.rows.gather(shown).to_list()
        vals = values.gather(shown).to_list() if values is not None else [None] * len(shown)
        others = other.gather(shown).to_list() if other is not None else [None] * len(shown)
        for row, value, second in zip(rows, vals, others, strict=True):
            shown_value = show_value(value)
            shown_other = show_value(second)
            self.findings.append(
                Finding(
                    code,
                    severity,  # type: ignore[arg-type]
                    message.format(column=column, value=shown_value, other=shown_other),
                    source=self.source,
                    row=int(row),
                    column=column,
                    value=value,
                    expected=expected,
                    message_zh=message_zh.format(
                        column=column, value=shown_value, other=shown_other
                    ),
                    fix=fix,
                    fix_zh=fix_zh,
                )
            )
        if total > len(shown):
            more = total - len(shown)
            self.findings.append(
                Finding(
                    code,
                    severity,  # type: ignore[arg-type]
                    f"… and {more} more rows with the same problem in column {column!r}",
                    source=self.source,
                    column=column,
                    expected=expected,
                    message_zh=f"… 另有 {more} 行在列 {column!r} 中有同样的问题",
                    record={"more_rows": more},
                )
            )


def coerce(
    table: Table,
    frame: pl.DataFrame,
    *,
    source: str = "",
    row_numbers: pl.Series | None = None,
    date_order: DateOrder | str = "auto",
    allow_extra: bool = True,
    check_duplicates: bool = True,
    decimal_comma: bool = False,
) -> tuple[pl.DataFrame, list[Finding]]:
    """Validate ``frame`` against ``table`` and return (typed frame, findings).

    The typed frame has exactly the table's columns in order.  ``row_numbers`` gives the
    1-based data-row number of each row in the source file (defaults to the ``__row__``
    column when present, else 1..n).  Checks: missing required columns, unreadable values
    (wrong type, impossible dates), empty required cells, enumerations, ranges (e.g.
    negative amounts), impossible date orders and duplicate natural keys.
    """
    n = frame.height
    if row_numbers is not None:
        rows = row_numbers.cast(pl.Int64)
    elif ROW in frame.columns:
        rows = frame[ROW].cast(pl.Int64)
    else:
        rows = pl.Series(ROW, range(1, n + 1), dtype=pl.Int64)
    col = _Collector(source or table.name, table, rows)
    order = date_order if isinstance(date_order, DateOrder) else DateOrder(date_order)
    missing = [c for c in table.required if c not in frame.columns]
    have = ", ".join(c for c in frame.columns if c != ROW) or "(no columns)"
    for name in missing:
        col.findings.append(
            Finding(
                "E_MISSING_COLUMN",
                "error",
                f"required column {name!r} is missing; the file has: {have}",
                source=col.source,
                column=name,
                expected=f"a column named {name!r} ({table.column(name).description})",
                message_zh=f"缺少必需的列 {name!r}；文件中的列：{have}",
                fix=f"Add a column {name!r}, or map one of your columns to it with --map.",
                fix_zh=f"请添加列 {name!r}，或用 --map 把已有的列映射到它。",
            )
        )
    extra = [c for c in frame.columns if c not in table.column_names and c != ROW]
    if extra and not allow_extra:
        col.findings.append(
            Finding(
                "W_EXTRA_COLUMN",
                "warn",
                f"columns not in table {table.name!r} were ignored: {', '.join(extra)}",
                source=col.source,
                message_zh=f"以下列不属于表 {table.name!r}，已忽略：{', '.join(extra)}",
            )
        )
    typed: dict[str, pl.Series] = {}
    for c in table.columns:
        dtype = polars_dtype(c)
        if c.name not in frame.columns:
            typed[c.name] = pl.repeat(c.default, n, dtype=dtype, eager=True).alias(c.name)
            continue
        raw = frame[c.name]
        resolved = "mdy"
        if c.type in ("date", "timestamp") and raw.dtype == pl.String:
            resolved = order.resolve(raw)
        try:
            out = coerce_series(c, raw, date_order=resolved, decimal_comma=decimal_comma)
        except pl.exceptions.PolarsError:
            out = _nulls(c.name, n, dtype)
        out = out.alias(c.name)
        if out.dtype != dtype:
            out = out.cast(dtype, strict=False)
        raw_present = raw.is_not_null()
        if raw.dtype == pl.String:
            raw_present = raw_present & (raw.str.strip_chars() != "")
        exp = expected_text(c)
        exp_zh = expected_text(c, "zh")
        if resolved in _ORDER_LABEL and c.type in ("date", "timestamp"):
            exp += f" (slash dates read as {_ORDER_LABEL[resolved]})"
            exp_zh += f"（斜杠日期按 {_ORDER_LABEL[resolved]} 读取）"
        elif "%" in resolved:
            exp += f" in the format {resolved}"
            exp_zh += f"，格式为 {resolved}"
        if raw.dtype == pl.String:
            # PostgreSQL text cannot hold NUL and DuckDB would keep it invisibly: refuse both
            col.add(
                "E_NUL",
                raw.str.contains("\x00", literal=True),
                c.name,
                raw,
                "column {column!r}: {value} contains a NUL byte (\\x00), which text cannot "
                "hold; remove it",
                "列 {column!r}：{value} 含有 NUL 字节（\\x00），文本中不能出现；请删除",
                exp,
                fix="Re-export the file, or delete the invisible NUL characters in that cell.",
                fix_zh="请重新导出文件，或删除该单元格中不可见的 NUL 字符。",
            )
        if c.type in ("date", "timestamp") and (
            out.dtype == pl.Date or isinstance(out.dtype, pl.Datetime)
        ):
            horizon = date.today() + timedelta(days=FUTURE_DAYS)
            day = out.cast(pl.Date) if out.dtype != pl.Date else out
            col.add(
                "W_FUTURE_DATE",
                day.is_not_null() & (day > horizon),
                c.name,
                raw,
                "column {column!r}: {value} is more than a year in the future (after "
                f"{horizon.isoformat()}); accepted, but check the year",
                "列 {column!r}：{value} 在一年以后（晚于 "
                + horizon.isoformat()
                + "）；已接受，请核对年份",
                f"a date up to {horizon.isoformat()}",
                severity="warn",
            )
        bad_parse = raw_present & out.is_null()
        numeric = c.type in ("int", "float", "money", "rate", "fx")
        if numeric and raw.dtype == pl.String and bool(bad_parse.any()):
            _number_findings(col, c, raw, bad_parse, exp, exp_zh, decimal_comma)
        else:
            col.add(
                "E_TYPE",
                bad_parse,
                c.name,
                raw,
                "column {column!r}: {value} is not " + exp,
                "列 {column!r}：{value} 不是" + exp_zh,
                exp,
            )
        if c.type == "float" and out.dtype.is_float():
            col.add(
                "E_TYPE",
                out.is_nan() | out.is_infinite(),
                c.name,
                raw,
                "column {column!r}: {value} is not a finite number; expected " + exp,
                "列 {column!r}：{value} 不是有限的数字；应为" + exp_zh,
                exp,
            )
        if c.type == "money" and raw.dtype == pl.String:
            _currency_findings(col, table, c, frame, raw, out)
        if c.default is not None:
            out = out.fill_null(pl.lit(c.default, dtype=dtype))
        typed[c.name] = out
        if c.required or c.name in table.key:
            col.add(
                "E_REQUIRED",
                (~raw_present) & out.is_null(),
                c.name,
                None,
                "column {column!r} is empty; a value is required (" + exp + ")",
                "列 {column!r} 为空；此列必须填写（" + exp_zh + "）",
                exp,
            )
        if c.choices:
            col.add(
                "E_CHOICE",
                out.is_not_null() & ~out.is_in(list(c.choices)),
                c.name,
                out,
                "column {column!r}: {value} is not one of " + ", ".join(c.choices),
                "列 {column!r}：{value} 不是以下值之一：" + ", ".join(c.choices),
                exp,
            )
        if numeric and c.min_value is not None:
            low = out.is_not_null() & (out.cast(pl.Float64) < c.min_value)
            if c.min_value == 0:
                what, what_zh = "negative", "为负数"
            else:
                what, what_zh = f"below {c.min_value:g}", f"小于 {c.min_value:g}"
            col.add(
                "E_RANGE",
                low,
                c.name,
                out,
                "column {column!r}: {value} is " + what + f"; expected ≥ {c.min_value:g}",
                "列 {column!r}：{value} " + what_zh + f"；应 ≥ {c.min_value:g}",
                f"≥ {c.min_value:g}",
            )
        if numeric and c.max_value is not None:
            col.add(
                "E_RANGE",
                out.is_not_null() & (out.cast(pl.Float64) > c.max_value),
                c.name,
                out,
                "column {column!r}: {value} is above " + f"{c.max_value:g}",
                "列 {column!r}：{value} 大于 " + f"{c.max_value:g}",
                f"≤ {c.max_value:g}",
            )
    out_frame = pl.DataFrame(list(typed.values()))
    for earlier, later in table.ordered:
        a, b = out_frame[earlier], out_frame[later]
        if a.dtype != b.dtype:
            a, b = a.cast(pl.Datetime("us")), b.cast(pl.Datetime("us"))
        bad = a.is_not_null() & b.is_not_null() & (b < a)
        if not bool(bad.fill_null(False).any()):
            continue
        col.add(
            "E_DATE_ORDER",
            bad,
            later,
            out_frame[later],
            "column {column!r}: {value} is before "
            + earlier
            + " {other} — impossible; "
            + later
            + " cannot be earlier than "
            + earlier,
            "列 {column!r}：{value} 早于 " + earlier + " {other} — 不可能",
            f"{later} on or after {earlier}",
            other=out_frame[earlier],
        )
    if check_duplicates and n and all(k in frame.columns for k in table.key):
        _check_duplicates(table, out_frame, rows, col)
    findings = sorted(col.findings, key=lambda f: (f.row is None, f.row or 0, f.column or ""))
    return out_frame, findings


NUMBER_PROBLEMS_ZH = {
    "letters": "含有不是货币符号的字母或符号",
    "decimal_comma": "使用了小数逗号（12,50 / 1.234,50），含义不明确",
    "format": "数字格式不正确",
    "exponent": "使用了指数写法，此处不接受",
    "percent": "带有 %，只有比例列接受",
}


def _number_findings(
    col: _Collector,
    c: Column,
    raw: pl.Series,
    bad: pl.Series,
    exp: str,
    exp_zh: str,
    decimal_comma: bool,
) -> None:
    """E_TYPE for unreadable number text, saying why (letters, decimal comma, …)."""
    problem = (
        pl.DataFrame({"v": raw})
        .select(number_problem(pl.col("v"), decimal_comma=decimal_comma, percent=c.type == "rate"))
        .to_series()
    )
    for key, why in NUMBER_PROBLEMS.items():
        fix = None
        if key == "decimal_comma":
            fix = (
                "Write 12.50 (a point for decimals, commas only between thousands), "
                "or import with --decimal-comma if the whole file uses 1.234,50."
            )
        col.add(
            "E_TYPE",
            bad & (problem == key),
            c.name,
            raw,
            "column {column!r}: {value} is not " + exp + f" (it has {why})",
            "列 {column!r}：{value} 不是" + exp_zh + f"（{NUMBER_PROBLEMS_ZH[key]}）",
            exp,
            fix=fix,
        )


def currency_column(table: Table, column: Column) -> str | None:
    """The column holding ``column``'s currency (``price_currency`` for ``list_price``)."""
    names = [x.name for x in table.columns if x.name.endswith("currency")]
    m = re.search(r"\bin (\w*currency)\b", column.description)
    if m and m.group(1) in names:
        return m.group(1)
    return names[0] if len(names) == 1 else None


def _currency_findings(
    col: _Collector, table: Table, c: Column, frame: pl.DataFrame, raw: pl.Series, out: pl.Series
) -> None:
    """E_CURRENCY where a cell's currency symbol contradicts the column's (or row's) currency."""
    if c.unit in ("USD", "CNY"):
        expected = pl.repeat(c.unit, len(raw), dtype=pl.String, eager=True)
    else:
        cur = currency_column(table, c)
        if cur is None:  # no currency column (order_lines): the shop's currency, USD
            cur_default: object = "USD"
            expected = pl.repeat("USD", len(raw), dtype=pl.String, eager=True)
        else:
            cur_default = table.column(cur).default
            if cur in frame.columns:
                expected = frame[cur].cast(pl.String).str.strip_chars().str.to_uppercase()
            else:
                expected = pl.repeat(None, len(raw), dtype=pl.String, eager=True)
        expected = expected.fill_null(str(cur_default) if cur_default is not None else "USD")
    check = pl.DataFrame({"v": raw, "c": expected}).select(
        currency_marker(pl.col("v")).alias("m"),
        currency_matches(currency_marker(pl.col("v")), pl.col("c")).alias("ok"),
    )
    col.add(
        "E_CURRENCY",
        out.is_not_null() & ~check["ok"],
        c.name,
        raw,
        "column {column!r}: {value} is written in another currency than the column's {other}",
        "列 {column!r}：{value} 的货币与该列的货币 {other} 不符",
        "an amount in the column's currency",
        fix="Remove the symbol if the amount is in that currency, or fix the currency column.",
        fix_zh="如果金额本来就是该货币，请去掉符号；否则请修正货币列。",
        other=expected,
    )


def _check_duplicates(table: Table, typed: pl.DataFrame, rows: pl.Series, col: _Collector) -> None:
    keys = list(table.key)
    # fast exact pre-check: distinct 64-bit hashes of the keys mean distinct keys
    hashes = typed.select(pl.struct(keys).hash().alias("h"))["h"]
    if hashes.n_unique() == typed.height:
        return
    keyed = typed.select(keys).with_columns(rows.alias(ROW))
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    dup = keyed.select((pl.struct(keys).is_duplicated() & complete).alias("d"))["d"]
    if not bool(dup.any()):
        return
    first = keyed.filter(dup).group_by(keys).agg(pl.col(ROW).min().alias("first"))
    joined = keyed.with_row_index("__i").join(first, on=keys, how="left").sort("__i")
    later = dup & (joined[ROW] != joined["first"]).fill_null(False)
    label = joined.select(
        pl.format(
            "{} (first seen on row {})",
            pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in keys], separator="/"),
            pl.col("first"),
        )
    ).to_series()
    name = "/".join(keys)
    col.add(
        "E_DUPLICATE_KEY",
        later,
        name,
        label,
        "duplicate key " + name + " = {value}",
        "重复的键 " + name + " = {value}",
        "each " + name + " only once",
        fix="Keep one row per key (or use a mapping with group_by to merge them).",
        fix_zh="每个键只保留一行（或在映射中用 group_by 合并）。",
    )


def check_references(
    table: Table,
    frame: pl.DataFrame,
    known: Mapping[str, Iterable[object] | pl.Series],
    *,
    source: str = "",
    row_numbers: pl.Series | None = None,
) -> list[Finding]:
    """Report values of reference columns not present in ``known[target]``.

    ``known`` maps ``"table.column"`` to the existing keys (store + same import).
    """
    if row_numbers is not None:
        rows = row_numbers.cast(pl.Int64)
    elif ROW in frame.columns:
        rows = frame[ROW].cast(pl.Int64)
    else:
        rows = pl.Series(ROW, range(1, frame.height + 1), dtype=pl.Int64)
    col = _Collector(source or table.name, table, rows)
    for c in table.columns:
        if not c.references or c.name not in frame.columns or c.references not in known:
            continue
        ref = known[c.references]
        keys = (
            ref.cast(pl.String)
            if isinstance(ref, pl.Series)
            else pl.Series(list(ref), dtype=pl.String)
        )
        values = frame[c.name].cast(pl.String)
        bad = values.is_not_null() & ~values.is_in(keys.implode())
        target_table = c.references.split(".")[0]
        col.add(
            "E_UNKNOWN_REFERENCE",
            bad,
            c.name,
            values,
            "column {column!r}: {value} is not a known "
            + c.references
            + f" (import {target_table} first, or fix the id)",
            "列 {column!r}：{value} 不是已知的 "
            + c.references
            + f"（请先导入 {target_table}，或修正该 id）",
            f"an existing {c.references}",
        )
    return col.findings
