"""Read listings, scripts and promotions to check from a CSV or JSON file.

Data flow: ``listings.csv`` / ``listings.json`` → :func:`read_texts` → one plain dict per
row with ``row`` (1-based data row), ``id``, ``scope`` (listing, video, live, promotion or
text), the text fields (``title``, ``description``, ``caption``, ``script``, ``text``) and the
optional attributes ``sku_id``, ``content_id``, ``market``, ``category``, ``price_usd``.
The comply service turns these into text items.  Unreadable files raise
:class:`~quickturn.errors.UsageError` naming the file (and line for JSON).

Accepted shapes: CSV with a header row; JSON as a list of objects, or an object with a
``listings`` / ``items`` / ``texts`` list; JSON Lines (``.jsonl``); ``-`` for standard input.  Column names are matched
case-insensitively; unknown columns are ignored.  When ``scope`` is missing it is inferred:
title/description → listing, caption/script → video, otherwise text (every rule applies).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from quickturn.errors import UsageError

TEXT_FIELDS = ("title", "description", "caption", "script", "text")
SCOPES = ("listing", "video", "live", "promotion", "text")
_ALIASES = {
    "sku": "sku_id",
    "seller_sku": "sku_id",
    "product_name": "title",
    "name": "title",
    "product_title": "title",
    "desc": "description",
    "product_description": "description",
    "body": "text",
    "content": "text",
    "transcript": "script",
    "kind": "scope",
    "type": "scope",
    "price": "price_usd",
    "list_price": "price_usd",
}
_SCOPE_ALIASES = {
    "listing": "listing",
    "listings": "listing",
    "product": "listing",
    "video": "video",
    "ad": "video",
    "creator_post": "video",
    "image": "video",
    "post": "video",
    "live": "live",
    "livestream": "live",
    "promotion": "promotion",
    "promo": "promotion",
    "campaign": "promotion",
    "text": "text",
    "script": "video",
    "video_script": "video",
    "caption": "video",
    "live_script": "live",
    "": "",
}


def read_texts(path: str | Path) -> list[dict[str, Any]]:
    """Rows of ``path`` (CSV, JSON or JSON Lines) as dicts ready for the comply service;
    ``"-"`` reads standard input (format told by its first character: ``[`` JSON, ``{`` or
    ``"`` JSON Lines, otherwise CSV with a header)."""
    if str(path) == "-":
        raw = sys.stdin.read()
        if raw.startswith("\ufeff"):
            raw = raw[1:]
        head = raw.lstrip()[:1]
        suffix = ".json" if head == "[" else ".jsonl" if head in ("{", '"') else ".csv"
        return parse_texts(raw, Path("stdin"), suffix)
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: file not found")
    try:
        raw = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_texts(raw, p, p.suffix.lower())


def parse_texts(raw: str, p: Path, suffix: str) -> list[dict[str, Any]]:
    """The rows of file text ``raw`` in the format of ``suffix`` (``p`` names it in errors)."""
    if suffix == ".json":
        records = _json_records(raw, p)
    elif suffix in (".jsonl", ".ndjson"):
        records = []
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UsageError(f"{p}:{n}: not valid JSON ({exc.msg})") from None
    elif suffix in (".csv", ".tsv", ".txt"):
        dialect = "excel-tab" if suffix == ".tsv" else "excel"
        reader = csv.DictReader(io.StringIO(raw), dialect=dialect)
        if not reader.fieldnames:
            raise UsageError(
                f"{p}: empty file, expected a header row with e.g. id,title,description"
            )
        records = [dict(r) for r in reader]
    else:
        raise UsageError(
            f"{p}: unsupported file type {suffix or '(none)'}; use .csv, .json or .jsonl"
        )
    rows = [_normalise(r, i, p) for i, r in enumerate(records, start=1)]
    if rows and not any(any(r.get(f) for f in TEXT_FIELDS) for r in rows):
        raise UsageError(f"{p}: no text to check; expected columns among {', '.join(TEXT_FIELDS)}")
    return rows


def _json_records(raw: str, p: Path) -> list[Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        for key in ("listings", "items", "texts", "content", "promotions"):
            if isinstance(data.get(key), list):
                return list(data[key])
        raise UsageError(f"{p}: expected a list of objects or an object with a 'listings' list")
    if not isinstance(data, list):
        raise UsageError(f"{p}: expected a list of objects, got {type(data).__name__}")
    return data


def _normalise(record: Any, index: int, p: Path) -> dict[str, Any]:
    if isinstance(record, str):
        record = {"text": record}
    if not isinstance(record, dict):
        raise UsageError(f"{p}: item {index} must be an object, got {type(record).__name__}")
    row: dict[str, Any] = {"row": index}
    for key, value in record.items():
        k = str(key).strip().lower().replace(" ", "_")
        k = _ALIASES.get(k, k)
        if value is None:
            continue
        if k in TEXT_FIELDS or k in ("id", "sku_id", "content_id", "market", "category", "scope"):
            row[k] = str(value).strip() if k not in TEXT_FIELDS else str(value)
        elif k == "price_usd":
            try:
                row[k] = float(str(value).replace("$", "").replace(",", "").strip())
            except ValueError:
                raise UsageError(f"{p}: item {index}: price {value!r} is not a number") from None
    scope = _SCOPE_ALIASES.get(str(row.get("scope", "")).lower())
    if scope is None:
        raise UsageError(
            f"{p}: item {index}: unknown scope {row.get('scope')!r}; expected one of: {', '.join(SCOPES)}"
        )
    if not scope:
        if row.get("title") or row.get("description"):
            scope = "listing"
        elif row.get("caption") or row.get("script"):
            scope = "video"
        else:
            scope = "text"
    row["scope"] = scope
    row.setdefault("id", row.get("sku_id") or row.get("content_id") or "")
    return row
