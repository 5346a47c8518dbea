"""Read tabular files (CSV/TSV, Parquet, XLSX) into raw Polars frames.

Data flow: a path → :func:`read_file` → :class:`RawFile` whose frame holds the file's own
columns plus ``__row__``, the 1-based number of each data row below the header (the way a
spreadsheet user counts, header excluded), used in every finding.

Text sources (CSV, XLSX) come back as text columns with surrounding whitespace (including the
tab characters TikTok exports append to ids) stripped and empty cells as nulls; Parquet keeps
its types.  Typing and validation happen later (:mod:`quickturn.validate`).  Unreadable
files raise :class:`~quickturn.errors.UsageError` (exit code 2 in the CLI).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl

from quickturn.errors import UsageError

ROW = "__row__"
KINDS = ("csv", "parquet", "xlsx")


@dataclass
class RawFile:
    path: str
    kind: str  # csv | parquet | xlsx
    frame: pl.DataFrame
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]

    @property
    def rows(self) -> int:
        return self.frame.height


def file_kind(path: Path) -> str:
    """csv, parquet or xlsx from the extension, else from the first bytes."""
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv", ".txt"):
        return "csv"
    if ext in (".parquet", ".pq"):
        return "parquet"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    if ext == ".xls":
        raise UsageError(
            f"{path}: old Excel .xls workbooks are not supported; open it and save as .xlsx or CSV"
        )
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"PK":
        return "xlsx"
    return "csv"


def read_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    skip_rows: int = 0,
    delimiter: str | None = None,
    encoding: str | None = None,
    preferred_sheets: tuple[str, ...] = ("OrderSKUList",),
) -> RawFile:
    """Read ``path`` into a :class:`RawFile` (see the module docstring)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{path}: file not found")
    if p.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    kind = file_kind(p)
    try:
        if kind == "parquet":
            frame = pl.read_parquet(p)
            return RawFile(str(path), kind, _with_rows(_clean_names(frame)))
        if kind == "xlsx":
            frame, used_sheet = _read_xlsx(p, sheet, skip_rows, preferred_sheets)
            return RawFile(str(path), kind, _with_rows(_clean_text(frame)), sheet=used_sheet)
        frame, delim, enc = _read_csv(p, skip_rows, delimiter, encoding)
        return RawFile(
            str(path), kind, _with_rows(_clean_text(frame)), delimiter=delim, encoding=enc
        )
    except UsageError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError, KeyError, csv.Error) as exc:
        raise UsageError(f"{path}: cannot read the {kind.upper()} file ({exc})") from None
    except Exception as exc:  # openpyxl raises assorted errors on corrupt workbooks
        raise UsageError(f"{path}: cannot read the {kind.upper()} file ({exc})") from None


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))


def _clean_names(frame: pl.DataFrame) -> pl.DataFrame:
    return _rename_positional(frame, [str(c) for c in frame.columns])


def _clean_text(frame: pl.DataFrame) -> pl.DataFrame:
    frame = _clean_names(frame)
    text = [c for c, dt in frame.schema.items() if dt == pl.String]
    if not text:
        return frame
    return frame.with_columns([pl.col(c).str.strip_chars().replace("", None) for c in text])


#: encodings tried in order when none is given (docs/importing.md "Encodings")
AUTO_ENCODINGS = ("utf-8", "gb18030")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _mostly_chinese(text: str) -> bool:
    """GB18030 decodes many byte strings (Windows-1252 "èm" is a rare hanzi): accept it only
    when nearly every non-ASCII character is a common one (in GB2312: hanzi, punctuation)."""
    wide = {ch for ch in text if ord(ch) > 0x7F}
    if not wide:
        return True
    common = sum(1 for ch in wide if _in_gb2312(ch))
    return common >= 0.95 * len(wide)


def _decode(raw: bytes, encoding: str | None) -> tuple[bytes, str]:
    """UTF-8 bytes for Polars; BOMs removed; UTF-16 and GB18030 (GBK) files converted.

    Without ``encoding``: UTF-8 (with or without BOM), UTF-16 with a BOM, then GB18030 when
    the text reads as Chinese; anything else is rejected (name the encoding to read it)."""
    if encoding:
        try:
            return raw.decode(encoding).encode("utf-8"), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot decode the file as {encoding}: {exc}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:], "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16").encode("utf-8"), "utf-16"
    try:
        raw.decode("utf-8")
        return raw, "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _mostly_chinese(text):
        return text.encode("utf-8"), "gb18030"
    line = raw[: utf8_error.start].count(b"\n") + 1
    byte = raw[utf8_error.start : utf8_error.start + 1].hex()
    raise UsageError(
        f"line {line}: byte 0x{byte} is neither UTF-8 nor Chinese GB18030/GBK text; "
        "save the file as UTF-8 (Excel: CSV UTF-8), or name its encoding "
        "(--encoding cp1252, or read: {encoding: …} in a mapping)"
    )


def sniff_delimiter(first_line: str) -> str:
    counts = {}
    for d in (",", ";", "\t", "|"):
        in_quote = False
        n = 0
        for ch in first_line:
            if ch == '"':
                in_quote = not in_quote
            elif ch == d and not in_quote:
                n += 1
        counts[d] = n
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(
    path: Path, skip_rows: int, delimiter: str | None, encoding: str | None
) -> tuple[pl.DataFrame, str, str]:
    try:
        raw, enc = _decode(path.read_bytes(), encoding)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if not raw.strip():
        raise UsageError(f"{path}: the file is empty")
    lines = raw.split(b"\n", skip_rows + 1)
    header = lines[skip_rows] if len(lines) > skip_rows else b""
    delim = delimiter or sniff_delimiter(header.decode("utf-8", errors="replace"))
    if delim == "\\t":
        delim = "\t"
    try:
        frame = pl.read_csv(
            io.BytesIO(raw),
            separator=delim,
            infer_schema=False,
            skip_rows=skip_rows,
            has_header=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.ComputeError as exc:
        where = _ragged_line(raw, delim, skip_rows)
        if where is None:
            raise
        line, n, width = where
        raise UsageError(
            f"{path}:{line}: this line has {n} fields but the header has {width} "
            f"(delimiter {delim!r}); check quotes and delimiters on that line"
        ) from exc
    return frame, delim, enc


def _ragged_line(raw: bytes, delim: str, skip_rows: int) -> tuple[int, int, int] | None:
    """(physical line, fields, header fields) of the first row wider than the header."""
    text = io.StringIO(raw.decode("utf-8", errors="replace"))
    for _ in range(skip_rows):
        text.readline()
    reader = csv.reader(text, delimiter=delim)
    header = next(reader, None)
    if header is None:
        return None
    for row in reader:
        if len(row) > len(header):
            return reader.line_num + skip_rows, len(row), len(header)
    return None


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    return str(v)


def _read_xlsx(
    path: Path, sheet: str | None, skip_rows: int, preferred: tuple[str, ...]
) -> tuple[pl.DataFrame, str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
        if sheet is not None:
            if sheet not in names:
                raise UsageError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(names)}")
            chosen = sheet
        else:
            chosen = next((s for s in preferred if s in names), names[0])
        ws = wb[chosen]
        rows_iter = ws.iter_rows(min_row=1, min_col=1, values_only=True)
        header: list[Any] | None = None
        header_row = 0
        skipped = 0
        data: list[tuple[Any, ...]] = []
        for excel_row, r in enumerate(rows_iter, start=1):
            if header is None:
                if skipped < skip_rows:
                    skipped += 1
                    continue
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in r):
                    continue
                header = list(r)
                header_row = excel_row
                continue
            data.append(r)
    finally:
        wb.close()
    if header is None:
        raise UsageError(f"{path}: sheet {chosen!r} is empty")
    uncomputed = _uncomputed_formulas(path, chosen, header_row, len(header), data)
    if uncomputed:
        more = f" and {len(uncomputed) - 10} more" if len(uncomputed) > 10 else ""
        raise UsageError(
            f"{path}: sheet {chosen!r} cell {', '.join(uncomputed[:10])}{more} holds a formula "
            "without a saved result (the program that wrote the file did not calculate it), so "
            "its value is unknown; open the file in Excel, LibreOffice or WPS and save it "
            "(or export as CSV), then import again. Nothing was written."
        )
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    width = len(header)
    while data and all(v is None or (isinstance(v, str) and not v.strip()) for v in data[-1]):
        data.pop()
    names = [str(h) if h is not None else "" for h in header]
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for r in data:
        for i in range(width):
            columns[i].append(_cell(r[i]) if i < len(r) else None)
    frame = pl.DataFrame(
        {f"__c{i}": pl.Series(values=col, dtype=pl.String) for i, col in enumerate(columns)}
    )
    return _rename_positional(frame, names), chosen


def _has_formulas(path: Path) -> bool:
    """Any worksheet of the workbook holds a formula (``<f>`` element) — a quick byte scan."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        block = tail + chunk
                        if b"<f>" in block or b"<f " in block or b":f>" in block or b":f " in block:
                            return True
                        tail = block[-8:]
    return False


def _uncomputed_formulas(
    path: Path, sheet: str, header_row: int, width: int, data: list[tuple[Any, ...]]
) -> list[str]:
    """Cells (``B7``) of the data rows holding a formula whose cached result is missing
    (openpyxl reads them as empty with ``data_only=True``)."""
    if not data or not _has_formulas(path):
        return []
    import openpyxl
    from openpyxl.utils import get_column_letter

    found: list[str] = []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        rows = wb[sheet].iter_rows(min_row=header_row + 1, min_col=1, values_only=True)
        for k, r in enumerate(rows):
            if k >= len(data):
                break
            cached = data[k]
            for i, v in enumerate(r[:width]):
                formula = (isinstance(v, str) and v.startswith("=")) or hasattr(v, "text")
                if formula and (i >= len(cached) or cached[i] is None):
                    found.append(f"{get_column_letter(i + 1)}{header_row + 1 + k}")
    finally:
        wb.close()
    return found


def _rename_positional(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Give the columns ``names`` (blank ones become column_N, repeats get _2, _3 …)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        name = str(n).replace("\ufeff", "").strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return frame.rename(dict(zip(frame.columns, out, strict=True)))
