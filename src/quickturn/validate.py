"""Coerce and validate frames against the canonical tables (pure, vectorised, no IO).

``coerce(table, frame)`` turns a frame of text (as read from CSV / XLSX) or of loosely typed
columns into the table's exact dtypes and returns every problem as a :class:`Finding` with
the row, column, the value seen and what was expected.  Checks: missing required columns,
unparseable values, empty required cells, enumerations, numeric ranges, duplicate natural
keys and impossible date orders.  References to other tables need the store and are checked
by ``check_references`` with the known keys passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from quickturn.errors import Finding
from quickturn.schema import DECIMAL_SCALE, Column, Table

#: at most this many findings of one code and column are listed individually
MAX_FINDINGS_PER_CHECK = 200

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


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    return {c.name: polars_dtype(c) for c in table.columns}


def empty_frame(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table))


@dataclass(frozen=True)
class DateOrder:
    """How to read ambiguous slash dates: ``auto`` detects from the data, else forced."""

    mode: str = "auto"  # auto | mdy | dmy

    def resolve(self, samples: pl.Series) -> str:
        if self.mode in ("mdy", "dmy"):
            return self.mode
        return detect_date_order(samples)


def detect_date_order(values: pl.Series) -> str:
    """``dmy`` if some slash date has a first part above 12, else ``mdy`` (US default)."""
    s = values.drop_nulls().cast(pl.String).str.strip_chars()
    m = s.str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
    first = m.struct.field("1").cast(pl.Int32, strict=False)
    second = m.struct.field("2").cast(pl.Int32, strict=False)
    if bool((first > 12).any()):
        return "dmy"
    if bool((second > 12).any()):
        return "mdy"
    return "mdy"


def _slash_formats(order: str) -> list[str]:
    base = "%m/%d/%Y" if order == "mdy" else "%d/%m/%Y"
    return [base + suf for suf in ("", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p")]


def parse_datetime(s: pl.Series, order: str = "mdy") -> pl.Series:
    """Parse text timestamps in the usual export formats to naive UTC; nulls where unreadable.

    Accepts ISO 8601 with or without ``T``, fractional seconds and an offset or ``Z`` (converted
    to UTC), ``YYYY/MM/DD``, slash dates in the given day/month order, and Unix epoch seconds.
    """
    text = s.cast(pl.String).str.strip_chars().replace("", None)
    with_tz = text.str.replace(r"Z$", "+00:00")
    candidates: list[pl.Series] = []
    for fmt in ("%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%:z"):
        parsed = with_tz.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us")
        candidates.append(parsed.dt.replace_time_zone(None))
    for d in _DATE_FORMATS_ISO:
        for suf in _TIME_SUFFIXES:
            if d == "%Y%m%d" and suf:
                continue
            candidates.append(text.str.to_datetime(d + suf, strict=False, time_unit="us"))
    for fmt in _slash_formats(order):
        candidates.append(text.str.to_datetime(fmt, strict=False, time_unit="us"))
    frame = pl.DataFrame({f"c{i}": c for i, c in enumerate(candidates)}).with_columns(
        text.cast(pl.Int64, strict=False).alias("epoch")
    )
    epoch_seconds = pl.col("epoch").is_between(100_000_000, 10_000_000_000)
    return frame.select(
        pl.coalesce(
            [pl.col(f"c{i}") for i in range(len(candidates))]
            + [pl.when(epoch_seconds).then(pl.col("epoch") * 1_000_000).cast(pl.Datetime("us"))]
        ).alias(s.name)
    ).to_series()


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


def _clean_number_text(s: pl.Series) -> pl.Series:
    text = s.cast(pl.String).str.strip_chars()
    text = text.str.replace_all(r"[,$¥€£\s]", "").str.replace(r"^(US|USD|CNY|RMB)", "")
    # accounting negatives "(12.50)"
    text = text.str.replace(r"^\((.*)\)$", "-$1")
    return text.replace("", None)


def coerce_series(column: Column, s: pl.Series, *, date_order: str = "mdy") -> pl.Series:
    """Cast one column to its canonical dtype; unreadable values become null."""
    target = polars_dtype(column)
    if column.type == "str" and s.dtype == pl.String:
        return s.str.strip_chars().replace("", None)
    if s.dtype == target:
        return s
    if s.dtype == pl.Null:
        return pl.Series(column.name, [None] * len(s), dtype=target)
    t = column.type
    if t == "str":
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
    text = _clean_number_text(s)
    if t == "int":
        as_float = text.cast(pl.Float64, strict=False)
        whole = as_float.is_not_null() & (as_float == as_float.round(0)) & (as_float.abs() < 9e18)
        return (
            pl.DataFrame({"v": as_float, "ok": whole})
            .select(
                pl.when(pl.col("ok")).then(pl.col("v")).otherwise(None).cast(pl.Int64).alias(s.name)
            )
            .to_series()
        )
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


def expected_text(column: Column) -> str:
    exp = _EXPECTED[column.type]
    if column.choices:
        exp = "one of: " + ", ".join(column.choices)
    if column.unit and column.type in ("int", "float"):
        exp += f" ({column.unit})"
    return exp


class _Collector:
    def __init__(self, source: str, table: Table) -> None:
        self.source = source
        self.table = table
        self.findings: list[Finding] = []

    def add_rows(
        self,
        code: str,
        frame: pl.DataFrame,
        mask: pl.Series,
        column: str,
        message: str,
        expected: str,
        value_col: str | None = None,
        severity: str = "error",
    ) -> None:
        bad = frame.filter(mask)
        if bad.height == 0:
            return
        shown = bad.head(MAX_FINDINGS_PER_CHECK)
        vcol = value_col or column
        values = shown[vcol].to_list() if vcol in shown.columns else [None] * shown.height
        for row, value in zip(shown[ROW].to_list(), values, strict=True):
            self.findings.append(
                Finding(
                    code,
                    severity,  # type: ignore[arg-type]
                    message.format(
                        column=column, value=value, expected=expected, table=self.table.name
                    ),
                    source=self.source,
                    row=int(row),
                    column=column,
                    value=value,
                    expected=expected,
                )
            )
        if bad.height > shown.height:
            self.findings.append(
                Finding(
                    code,
                    severity,  # type: ignore[arg-type]
                    f"… and {bad.height - shown.height} more rows with the same problem in column {column!r}",
                    source=self.source,
                    column=column,
                    expected=expected,
                    record={"more_rows": bad.height - shown.height},
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
) -> tuple[pl.DataFrame, list[Finding]]:
    """Validate ``frame`` against ``table`` and return (typed frame, findings).

    The typed frame has exactly the table's columns in order.  ``row_numbers`` gives the
    1-based data-row number of each row in the source file (defaults to 1..n).
    """
    col = _Collector(source or table.name, table)
    order = date_order if isinstance(date_order, DateOrder) else DateOrder(date_order)
    n = frame.height
    rows = (
        row_numbers if row_numbers is not None else pl.Series(ROW, range(1, n + 1), dtype=pl.Int64)
    )
    missing = [c for c in table.required if c not in frame.columns]
    for name in missing:
        col.findings.append(
            Finding(
                "E_MISSING_COLUMN",
                "error",
                f"required column {name!r} is missing; the file has: {', '.join(frame.columns) or '(no columns)'}",
                source=col.source,
                column=name,
                expected=f"a column named {name!r} ({table.column(name).description})",
            )
        )
    extra = [c for c in frame.columns if c not in table.column_names and c != ROW]
    if extra and not allow_extra:
        col.findings.append(
            Finding(
                "W_EXTRA_COLUMN",
                "warning",
                f"columns not in table {table.name!r} were ignored: {', '.join(extra)}",
                source=col.source,
            )
        )
    typed: dict[str, pl.Series] = {}
    checks = pl.DataFrame({ROW: rows.cast(pl.Int64)})
    for c in table.columns:
        if c.name not in frame.columns:
            default = c.default
            typed[c.name] = (
                pl.Series(c.name, [default] * n, dtype=polars_dtype(c))
                if default is not None
                else pl.Series(c.name, [None] * n, dtype=polars_dtype(c))
            )
            continue
        raw = frame[c.name]
        resolved = (
            order.resolve(raw)
            if c.type in ("date", "timestamp") and raw.dtype == pl.String
            else "mdy"
        )
        try:
            out = coerce_series(c, raw, date_order=resolved)
        except pl.exceptions.PolarsError:
            out = pl.Series(c.name, [None] * n, dtype=polars_dtype(c))
        out = out.alias(c.name)
        raw_present = raw.is_not_null()
        if raw.dtype == pl.String:
            raw_present = raw_present & (raw.str.strip_chars() != "")
        bad_parse = raw_present & out.is_null()
        view = pl.DataFrame({ROW: checks[ROW], c.name: raw.cast(pl.String, strict=False)})
        exp = expected_text(c)
        col.add_rows(
            "E_TYPE", view, bad_parse, c.name, "column {column!r}: {value!r} is not " + exp, exp
        )
        if c.default is not None:
            out = out.fill_null(pl.lit(c.default, dtype=polars_dtype(c)))
        typed[c.name] = out
        if c.required or c.name in table.key:
            empty = (~raw_present) & out.is_null()
            col.add_rows(
                "E_REQUIRED",
                view,
                empty,
                c.name,
                "column {column!r} is empty; a value is required (" + exp + ")",
                exp,
            )
        if c.choices:
            bad = out.is_not_null() & ~out.is_in(list(c.choices))
            col.add_rows(
                "E_CHOICE",
                view,
                bad,
                c.name,
                "column {column!r}: {value!r} is not one of " + ", ".join(c.choices),
                exp,
            )
        if c.min_value is not None and c.type in ("int", "float", "money", "rate", "fx"):
            bad = out.is_not_null() & (out.cast(pl.Float64) < c.min_value)
            what = "negative" if c.min_value == 0 else f"below {c.min_value}"
            col.add_rows(
                "E_RANGE",
                view,
                bad,
                c.name,
                "column {column!r}: {value!r} is " + what + f"; expected ≥ {c.min_value:g}",
                f"≥ {c.min_value:g}",
            )
        if c.max_value is not None and c.type in ("int", "float", "money", "rate", "fx"):
            bad = out.is_not_null() & (out.cast(pl.Float64) > c.max_value)
            col.add_rows(
                "E_RANGE",
                view,
                bad,
                c.name,
                "column {column!r}: {value!r} is above " + f"{c.max_value:g}",
                f"≤ {c.max_value:g}",
            )
    out_frame = pl.DataFrame(list(typed.values()))
    with_rows = out_frame.with_columns(checks[ROW])
    for earlier, later in table.ordered:
        a, b = with_rows[earlier], with_rows[later]
        if a.dtype != b.dtype:
            a, b = a.cast(pl.Datetime("us")), b.cast(pl.Datetime("us"))
        bad = a.is_not_null() & b.is_not_null() & (b < a)
        view = with_rows.select(
            ROW, pl.format("{} before {} {}", pl.col(later), earlier, pl.col(earlier)).alias(later)
        )
        col.add_rows(
            "E_DATE_ORDER",
            view,
            bad,
            later,
            "column {column!r}: {value} — impossible, it cannot be earlier than " + repr(earlier),
            f"{later} on or after {earlier}",
        )
    if check_duplicates and all(k in frame.columns for k in table.key) and n:
        keyed = with_rows.select([*table.key, ROW])
        dup = keyed.select(pl.struct(table.key).is_duplicated().alias("d"))["d"]
        if bool(dup.any()):
            first = (
                keyed.filter(dup)
                .group_by(table.key, maintain_order=True)
                .agg(pl.col(ROW).min().alias("first"))
            )
            keyed = keyed.join(first, on=table.key, how="left")
            laters = dup & (keyed[ROW] != keyed["first"])
            view = keyed.select(
                ROW,
                pl.concat_str(
                    [pl.col(k).cast(pl.String).fill_null("") for k in table.key], separator="/"
                ).alias("key"),
                pl.col("first"),
            ).with_columns(
                pl.format("{} (first seen on row {})", pl.col("key"), pl.col("first")).alias("key")
            )
            col.add_rows(
                "E_DUPLICATE_KEY",
                view,
                laters,
                "key",
                "duplicate key " + "/".join(table.key) + " = {value}",
                "each " + "/".join(table.key) + " only once",
            )
    findings = sorted(col.findings, key=lambda f: (f.row is None, f.row or 0, f.column or ""))
    return out_frame, findings


def check_references(
    table: Table,
    frame: pl.DataFrame,
    known: Mapping[str, Iterable[object]],
    *,
    source: str = "",
    row_numbers: pl.Series | None = None,
) -> list[Finding]:
    """Report values of reference columns not present in ``known[target]``.

    ``known`` maps ``"table.column"`` to the set of existing keys (store + same import).
    """
    col = _Collector(source or table.name, table)
    rows = (
        row_numbers
        if row_numbers is not None
        else pl.Series(ROW, range(1, frame.height + 1), dtype=pl.Int64)
    )
    for c in table.columns:
        if not c.references or c.name not in frame.columns or c.references not in known:
            continue
        keys = pl.Series(list(known[c.references]), dtype=pl.String)
        values = frame[c.name].cast(pl.String)
        bad = values.is_not_null() & ~values.is_in(keys)
        view = pl.DataFrame({ROW: rows.cast(pl.Int64), c.name: values})
        target_table = c.references.split(".")[0]
        col.add_rows(
            "E_UNKNOWN_REFERENCE",
            view,
            bad,
            c.name,
            "column {column!r}: {value!r} is not a known "
            + c.references
            + f" (import {target_table} first, or fix the id)",
            f"an existing {c.references}",
        )
    return col.findings
