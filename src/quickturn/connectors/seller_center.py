"""TikTok Shop Seller Center order exports ("Export orders", sheet ``OrderSKUList``).

Data flow: :func:`quickturn.connectors.files.read_file` (CSV or XLSX, text cells, tabs
stripped) → :func:`prepare` (recognise the layout, drop the description row under the
header, check the SKU columns) → the built-in mapping ``mappings/seller_center.yaml`` →
orders, order_lines, skus (new ones only) and returns.

The layout (``/work/shared/reference/tiktok-shop-us.md`` §6) varies by market: extra or
missing address columns are ignored; dates come as ``MM/DD/YYYY …`` or ``DD/MM/YYYY …``
and the import service detects which (or takes ``--date-format``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from quickturn.connectors.column_mapping import ROW, normalise_name
from quickturn.errors import Finding

NAME = "seller_center"
#: columns whose presence identifies the export
MARKERS = ("Order ID", "Order Status", "Quantity", "Created Time")
SKU_COLUMNS = ("Seller SKU", "SKU ID")
_ID_LIKE = re.compile(r"^[A-Za-z0-9_\-]+$")


def looks_like_seller_center(columns: Iterable[str]) -> bool:
    have = {normalise_name(c) for c in columns}
    return all(normalise_name(m) in have for m in MARKERS) and any(
        normalise_name(c) in have for c in SKU_COLUMNS
    )


def _find(frame: pl.DataFrame, name: str) -> str | None:
    want = normalise_name(name)
    return next((c for c in frame.columns if normalise_name(c) == want), None)


def prepare(frame: pl.DataFrame, *, source: str = "") -> tuple[pl.DataFrame, list[Finding]]:
    """Drop the description row (if any) and check that a SKU column exists.

    Returns the frame (``__row__`` numbers unchanged, so findings still point at the file's
    rows) and informational / error findings.
    """
    findings: list[Finding] = []
    order_col = _find(frame, "Order ID")
    if order_col is not None and frame.height:
        first = frame[order_col][0]
        if first is None or not _ID_LIKE.match(str(first).strip()):
            frame = frame.slice(1)
            findings.append(
                Finding(
                    "I_DESCRIPTION_ROW",
                    "info",
                    f"skipped the description row under the header (Order ID cell {first!r})",
                    message_zh=f"已跳过表头下方的说明行（Order ID 单元格为 {first!r}）",
                    source=source,
                    row=1,
                )
            )
    if not any(_find(frame, c) for c in SKU_COLUMNS):
        findings.append(
            Finding(
                "E_MISSING_COLUMN",
                "error",
                "the export has neither a 'Seller SKU' nor a 'SKU ID' column; one is needed to know which SKU each row sold",
                message_zh="导出文件既没有 'Seller SKU' 列也没有 'SKU ID' 列；至少需要一列来识别每行卖出的 SKU",
                source=source,
                column="Seller SKU",
                expected="a 'Seller SKU' or 'SKU ID' column",
            )
        )
    return frame, findings


__all__ = ["MARKERS", "NAME", "ROW", "looks_like_seller_center", "prepare"]
