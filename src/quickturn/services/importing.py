"""The import use case: one file → validated canonical tables → one transaction (or nothing).

Data flow::

    path ──connectors.files.read_file──▶ raw frame (+ __row__ = data row in the file)
         ──choose a mapping──▶ canonical (pass-through), --map (YAML / inline / built-in),
                                Seller Center export (auto-detected or --format), …
         ──connectors.column_mapping.apply_mapping──▶ {table: frame}
         ──validate.coerce (types, required, choices, ranges, dates, duplicate keys)
         ──validate.check_references (store keys ∪ keys of this import)
         ──all findings──▶ errors?  yes: report, write nothing
                                     no:  store.write_many in ONE transaction (upsert by
                                          natural key; "insert_missing" targets skip keys
                                          that exist) → inserted / updated per table

Every step is vectorised (Polars); nothing loops over rows in Python.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.connectors import seller_center
from quickturn.connectors.column_mapping import (
    LDict,
    MappedTables,
    Mapping,
    Target,
    apply_mapping,
    builtin_names,
    detect_builtin,
    load_builtin,
    normalise_name,
    resolve_mapping,
)
from quickturn.connectors.files import RawFile, read_file
from quickturn.errors import Finding, UsageError, has_errors
from quickturn.schema import TABLES, TABLES_BY_NAME, Table, get_table
from quickturn.store import Store
from quickturn.validate import (
    ROW,
    DateOrder,
    check_references,
    coerce,
    date_order_votes,
    normalise_date_format,
)

#: progress callback: (what is happening, steps done, steps in total)
Progress = Callable[[str, int, int], None]

FORMATS = ("auto", "canonical", "seller-center")
_TABLE_ORDER = {t.name: i for i, t in enumerate(TABLES)}


@dataclass
class TableResult:
    table: str
    rows: int  # rows after mapping / merging, validated
    inserted: int = 0
    updated: int = 0
    #: rows not written because their key already exists (``insert_missing`` targets)
    kept_existing: int = 0
    #: source rows picked for this table, and how many were merged into another row
    selected: int = 0
    merged: int = 0


@dataclass
class ImportReport:
    """What an import did (or would do, with ``dry_run``); JSON-able via ``to_dict``."""

    source: str
    format: str
    mapping: str | None
    rows_read: int
    dry_run: bool
    tables: list[TableResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    date_order: str | None = None
    #: the text encoding the file was read in (CSV), e.g. utf-8, utf-8-sig, gb18030
    encoding: str | None = None
    unused_rows: int = 0
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "dry_run": self.dry_run,
            "source": self.source,
            "format": self.format,
            "mapping": self.mapping,
            "rows_read": self.rows_read,
            "date_order": self.date_order,
            "encoding": self.encoding,
            "tables": [dataclasses.asdict(t) for t in self.tables],
            "counts": dict(self.counts),
            "unused_rows": self.unused_rows,
            "errors": len(self.errors),
            "findings": [f.to_dict() for f in self.findings],
            "seconds": round(self.seconds, 3),
        }


def importable_tables() -> list[str]:
    return [t.name for t in TABLES if t.group == "input"]


def resolve_target(target: str) -> tuple[str | None, Mapping | None]:
    """``TABLE`` argument → (canonical table, None) or (None, built-in mapping)."""
    key = target.strip().lower().replace("-", "_")
    if key in TABLES_BY_NAME:
        if TABLES_BY_NAME[key].group != "input":
            raise UsageError(
                f"table {key!r} holds results computed by quickturn and cannot be imported; "
                f"importable tables: {', '.join(importable_tables())}"
            )
        return key, None
    if key in builtin_names():
        return None, load_builtin(key)
    raise UsageError(
        f"unknown table {target!r}; importable tables: {', '.join(importable_tables())}; "
        f"built-in formats: {', '.join(n.replace('_', '-') for n in builtin_names())}"
    )


def canonical_mapping(table: str) -> Mapping:
    """Pass-through: columns named like the table's (case, spaces and _ ignored)."""
    cols = LDict()
    cols.lines = {}
    m = Mapping(name="canonical", origin="canonical")
    m.targets = [Target(table, cols, pass_through=True)]
    return m


def _has_canonical_key(table: str, columns: list[str]) -> bool:
    have = {normalise_name(c).replace(" ", "_") for c in columns}
    return all(k in have for k in get_table(table).key)


def import_file(
    store: Store,
    target: str,
    path: str | Path,
    *,
    mapping: str | None = None,
    fmt: str = "auto",
    date_format: str | None = None,
    timezone: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    decimal_comma: bool = False,
    encoding: str | None = None,
) -> ImportReport:
    """Import ``path`` into the canonical ``target`` table (or a built-in format's tables).

    Raises :class:`UsageError` / :class:`ConfigError` for usage problems (unknown table,
    unreadable file, bad mapping); returns a report whose ``findings`` list every data
    problem otherwise.  Nothing is written when any finding is an error or ``dry_run``.
    """
    started = time.perf_counter()
    table, m = resolve_target(target)
    fmt_key = fmt.strip().lower().replace("_", "-")
    if fmt_key not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if mapping is not None:
        if m is not None:
            raise UsageError(f"{target} is a built-in format; --map cannot be combined with it")
        m = resolve_mapping(mapping)
    if fmt_key == "seller-center":
        if m is not None and m.name != seller_center.NAME:
            raise UsageError("--format seller-center cannot be combined with --map")
        m = load_builtin(seller_center.NAME)
    elif fmt_key == "canonical":
        if m is not None:
            raise UsageError("--format canonical cannot be combined with --map")
        if table is None:
            raise UsageError(f"{target} is a built-in format, not a table; drop --format canonical")
    try:
        order_mode = normalise_date_format(date_format) if date_format else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    steps = [0, 4]

    def step(what: str) -> None:
        if progress is not None:
            progress(what, steps[0], steps[1])
        steps[0] += 1

    step("reading")
    read_opts: dict[str, Any] = dict(m.read) if m is not None else {}
    if sheet is not None:
        read_opts["sheet"] = sheet
    if encoding is not None:
        read_opts["encoding"] = encoding
    raw = _read(path, read_opts)
    findings: list[Finding] = []
    kind = "mapping"
    if m is None:
        assert table is not None
        if fmt_key == "auto":
            # a recognised export wins over canonical names ("Order ID" would pass as order_id)
            if seller_center.looks_like_seller_center(raw.columns):
                m = load_builtin(seller_center.NAME)
            elif not _has_canonical_key(table, raw.columns):
                m = detect_builtin(raw.columns)
            if (
                m is not None and m.read and any(k != "sheet" and m.read.get(k) for k in m.read)
            ):  # re-read with the format's options
                raw = _read(
                    path,
                    {
                        **m.read,
                        **({"sheet": sheet} if sheet else {}),
                        **({"encoding": encoding} if encoding else {}),
                    },
                )
        if m is None:
            m = canonical_mapping(table)
            kind = "canonical"
    if m.name == seller_center.NAME:
        kind = "seller-center"
        frame, extra = seller_center.prepare(raw.frame, source=str(path))
        findings += extra
    elif m.name != "canonical" and m.origin.endswith(".yaml") and m.name in builtin_names():
        kind = m.name.replace("_", "-")
        frame = raw.frame
    else:
        frame = raw.frame
    report = ImportReport(
        source=str(path),
        format=kind,
        mapping=None if kind == "canonical" else m.origin,
        rows_read=raw.rows,
        dry_run=dry_run,
        encoding=raw.encoding,
    )
    if raw.encoding not in (None, "utf-8", "utf-8-sig"):
        findings.append(
            Finding(
                "I_ENCODING",
                "info",
                f"read the file as {raw.encoding} (it is not UTF-8)",
                message_zh=f"文件不是 UTF-8，已按 {raw.encoding} 读取",
                source=str(path),
                fix="If the text looks wrong, name the encoding with --encoding.",
                fix_zh="如果文字显示不正确，请用 --encoding 指定编码。",
            )
        )
    if decimal_comma:
        m = dataclasses.replace(m, decimal_comma=True)
    if m.single is not None:
        if table is None:
            raise UsageError(
                "an inline or single-table mapping needs a table name, e.g. `quickturn import orders FILE --map …`"
            )
        m = m.for_table(table)
    if table is not None and table not in m.tables:
        raise UsageError(
            f"mapping {m.name} fills {', '.join(m.tables)}, not {table}; "
            f"use `quickturn import {m.tables[0]} …`"
        )
    if has_errors(findings):
        report.findings = findings
        report.seconds = time.perf_counter() - started
        return report

    step("mapping")
    mapped = apply_mapping(m, frame, source=str(path), table=table)
    findings += mapped.findings
    report.counts = mapped.counts
    report.unused_rows = mapped.unused_rows
    if kind in ("canonical", "mapping") and m.targets and m.targets[0].pass_through:
        findings += _ignored_columns(raw, mapped, m.targets[0].table, str(path))
    if not mapped.frames:  # missing columns: nothing could be mapped
        report.findings = findings
        report.seconds = time.perf_counter() - started
        return report

    tables = sorted(mapped.frames, key=lambda t: _TABLE_ORDER[t])
    steps[1] = 3 + 2 * len(tables)
    order, order_findings = _date_order(
        mapped,
        order_mode or (normalise_date_format(m.date_format) if m.date_format else None),
        str(path),
    )
    findings += order_findings
    report.date_order = order
    tz = timezone or m.timezone
    typed: dict[str, pl.DataFrame] = {}
    rows: dict[str, pl.Series] = {}
    multi = len(tables) > 1
    # cells the mapping could not read as numbers are reported once, by their file column
    unreadable = {
        (f.row, f.record.get("file_column")) for f in mapped.findings if f.code == "E_TYPE"
    }
    for name in tables:
        step(f"validating {name}")
        t = get_table(name)
        frame_t = mapped.frames[name]
        out, found = coerce(
            t,
            frame_t,
            source=str(path),
            date_order=DateOrder(order),
            decimal_comma=m.decimal_comma,
        )
        if kind in ("canonical", "mapping"):
            found = [_file_columns(f, raw) for f in found]
        if tz:
            out = _to_utc(out, t, tz)
        typed[name] = out
        rows[name] = frame_t[ROW]
        findings += [
            _locate(f, name, multi, mapped.sources)
            for f in found
            if (f.row, mapped.sources.get((name, f.column or ""))) not in unreadable
        ]
    step("checking references")
    findings += _references(store, typed, rows, str(path), multi, mapped)
    report.findings = sorted(findings, key=_finding_order)
    stats = mapped.stats
    results = {
        name: TableResult(
            name,
            typed[name].height,
            selected=stats[name].selected if name in stats else typed[name].height,
            merged=stats[name].merged if name in stats else 0,
        )
        for name in tables
    }
    report.tables = [results[n] for n in tables]
    if not report.ok:
        report.seconds = time.perf_counter() - started
        return report

    # rows of insert-only targets whose key exists are kept as they are
    to_write: dict[str, pl.DataFrame] = {}
    for name in tables:
        frame_t = typed[name]
        if name in mapped.insert_missing and frame_t.height:
            t = get_table(name)
            existing = _existing_keys(store, t, frame_t)
            if existing is not None and existing.height:
                before = frame_t.height
                frame_t = frame_t.join(existing, on=list(t.key), how="anti")
                results[name].kept_existing = before - frame_t.height
        to_write[name] = frame_t
    if dry_run:
        for name in tables:
            existing_n = store.count_existing(name, to_write[name]) if to_write[name].height else 0
            results[name].updated = existing_n
            results[name].inserted = to_write[name].height - existing_n
        report.seconds = time.perf_counter() - started
        return report
    with store.transaction():
        for name in tables:
            step(f"writing {name}")
            res = store.write(name, to_write[name])
            results[name].inserted = res.inserted
            results[name].updated = res.updated
    report.written = True
    step("done")
    report.seconds = time.perf_counter() - started
    return report


def _read(path: str | Path, opts: dict[str, Any]) -> RawFile:
    return read_file(
        path,
        sheet=opts.get("sheet"),
        skip_rows=int(opts.get("skip_rows") or 0),
        delimiter=opts.get("delimiter"),
        encoding=opts.get("encoding"),
    )


def _file_columns(f: Finding, raw: RawFile) -> Finding:
    """Missing-column findings list the file's own columns (not the mapped ones)."""
    if f.code != "E_MISSING_COLUMN" or f.column is None:
        return f
    have = ", ".join(raw.columns) or "(no columns)"
    return dataclasses.replace(
        f,
        message=f"required column {f.column!r} is missing; the file has: {have}",
        message_zh=f"缺少必需的列 {f.column!r}；文件中的列：{have}",
    )


def _finding_order(f: Finding) -> tuple[int, int, str, str]:
    return (0 if f.row is None else 1, f.row or 0, f.source, f.column or "")


def _ignored_columns(raw: RawFile, mapped: MappedTables, table: str, source: str) -> list[Finding]:
    used = {v for (t, _), v in mapped.sources.items() if t == table}
    ignored = [c for c in raw.columns if c not in used]
    if not ignored:
        return []
    cols = ", ".join(ignored)
    return [
        Finding(
            "I_IGNORED_COLUMNS",
            "info",
            f"columns that are not in table {table!r} were ignored: {cols}",
            message_zh=f"以下列不属于表 {table!r}，已忽略：{cols}",
            source=source,
            fix="Map them with --map 'Their column=our_column' if they hold data you need.",
            fix_zh="如果这些列包含需要的数据，请用 --map '原列名=目标列名' 映射。",
        )
    ]


def _date_order(mapped: MappedTables, forced: str | None, source: str) -> tuple[str, list[Finding]]:
    """One day/month order for the whole file, from every text date it maps."""
    if forced:
        return forced, []
    texts: list[pl.Series] = []
    for name, frame in mapped.frames.items():
        t = get_table(name)
        for c in t.columns:
            if c.type in ("date", "timestamp") and c.name in frame.columns:
                s = frame[c.name]
                if s.dtype == pl.String:
                    texts.append(s.drop_nulls())
    if not texts:
        return "mdy", []
    values = pl.concat(texts)
    dmy, mdy = date_order_votes(values)
    slash = int(values.str.contains(r"^\s*\d{1,2}/\d{1,2}/\d{4}").sum())
    findings: list[Finding] = []
    if dmy and mdy:
        order = "dmy" if dmy > mdy else "mdy"
        label = "DD/MM/YYYY" if order == "dmy" else "MM/DD/YYYY"
        findings.append(
            Finding(
                "W_DATE_ORDER_MIXED",
                "warn",
                f"slash dates disagree: {dmy} can only be DD/MM/YYYY and {mdy} only MM/DD/YYYY; "
                f"read as {label}, the others are reported as errors",
                message_zh=f"斜杠日期不一致：{dmy} 个只能是 DD/MM/YYYY，{mdy} 个只能是 MM/DD/YYYY；"
                f"按 {label} 读取，其余作为错误报告",
                source=source,
                fix="Set the order explicitly with --date-format dmy or --date-format mdy.",
                fix_zh="请用 --date-format dmy 或 --date-format mdy 明确指定。",
            )
        )
        return order, findings
    if dmy:
        return "dmy", findings
    if slash and not mdy:
        findings.append(
            Finding(
                "I_DATE_ORDER_ASSUMED",
                "info",
                f"{slash} slash dates could be read either way (no day above 12); read as MM/DD/YYYY",
                message_zh=f"{slash} 个斜杠日期无法判断日/月顺序（没有大于 12 的日）；按 MM/DD/YYYY 读取",
                source=source,
                fix="If they are DD/MM/YYYY, import again with --date-format dmy.",
                fix_zh="如果是 DD/MM/YYYY，请加 --date-format dmy 重新导入。",
            )
        )
    return "mdy", findings


def _to_utc(frame: pl.DataFrame, t: Table, tz: str) -> pl.DataFrame:
    cols = [c.name for c in t.columns if c.type == "timestamp" and c.name in frame.columns]
    if not cols:
        return frame
    return frame.with_columns(
        [
            pl.col(c)
            .dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)
            for c in cols
        ]
    )


def _locate(f: Finding, table: str, multi: bool, sources: dict[tuple[str, str], str]) -> Finding:
    """Say which table (when several) and which file column a finding is about."""
    message, message_zh = f.message, f.message_zh or f.message
    src = sources.get((table, f.column or ""))
    if src is not None and normalise_name(src).replace(" ", "_") != f.column:
        message = message.replace(
            f"column {f.column!r}", f"column {f.column!r} (file column {src!r})", 1
        )
        message_zh = message_zh.replace(f"列 {f.column!r}", f"列 {f.column!r}（文件列 {src!r}）", 1)
    if multi:
        message, message_zh = f"{table}: {message}", f"{table}：{message_zh}"
    return dataclasses.replace(
        f, message=message, message_zh=message_zh, record={**f.record, "table": table}
    )


def _key_series(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame[column].drop_nulls().cast(pl.String).unique()


def _references(
    store: Store,
    typed: dict[str, pl.DataFrame],
    rows: dict[str, pl.Series],
    source: str,
    multi: bool,
    mapped: MappedTables,
) -> list[Finding]:
    """References are checked against this import's own rows first, the store second."""
    out: list[Finding] = []
    have_tables: set[str] | None = None
    for name, frame in typed.items():
        t = get_table(name)
        known: dict[str, pl.Series] = {}
        for c in t.columns:
            if not c.references or c.name not in frame.columns:
                continue
            ref_table, ref_col = c.references.split(".")
            values = _key_series(frame, c.name)
            if values.len() == 0:
                continue
            keys = (
                _key_series(typed[ref_table], ref_col)
                if ref_table in typed
                else pl.Series([], dtype=pl.String)
            )
            unresolved = values.filter(~values.is_in(keys.implode()))
            if unresolved.len():
                if have_tables is None:
                    have_tables = store.existing_tables()
                if ref_table in have_tables:
                    stored = pl.Series(
                        [str(k) for k in store.keys(c.references) if k is not None], dtype=pl.String
                    )
                    keys = pl.concat([keys, stored])
            known[c.references] = keys
        if known:
            found = check_references(t, frame, known, source=source, row_numbers=rows[name])
            out += [_locate(f, name, multi, mapped.sources) for f in found]
    return out


def _existing_keys(store: Store, t: Table, frame: pl.DataFrame) -> pl.DataFrame | None:
    """Stored keys among ``frame``'s keys (single-column keys via ``store.keys``)."""
    if len(t.key) == 1:
        k = t.key[0]
        stored = store.keys(f"{t.name}.{k}")
        if not stored:
            return None
        dtype = frame.schema[k]
        return pl.DataFrame({k: pl.Series(list(stored)).cast(dtype)})
    existing = store.table(t.name, columns=list(t.key))
    return existing if isinstance(existing, pl.DataFrame) else None


__all__ = [
    "FORMATS",
    "ImportReport",
    "TableResult",
    "import_file",
    "importable_tables",
    "resolve_target",
]
