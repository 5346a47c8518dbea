"""Small ledgers written in the test itself (beancount style).

Each non-blank line is ``<table> key=value key=value …``; values are text, parsed and checked
by :func:`quickturn.validate.coerce` exactly as an import would.  ``#`` starts a comment.
Example::

    skus         sku_id=MUG title=Mug unit_cost=2.00 cost_currency=USD weight_g=300
    orders       order_id=O1 currency=USD status=DELIVERED created_at=2026-03-02T18:00
    order_lines  order_id=O1 sku_id=MUG quantity=1 unit_price=20.00
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from decimal import Decimal

import polars as pl

from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.schema import get_table
from quickturn.validate import coerce


def frames(text: str) -> dict[str, pl.DataFrame]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        table, *pairs = shlex.split(line)
        row = {}
        for p in pairs:
            k, _, v = p.partition("=")
            row[k] = v
        rows[table].append(row)
    out: dict[str, pl.DataFrame] = {}
    for table, rs in rows.items():
        cols = sorted({k for r in rs for k in r})
        raw_df = pl.DataFrame(
            {c: [r.get(c) for r in rs] for c in cols}, schema={c: pl.String for c in cols}
        )
        typed, findings = coerce(get_table(table), raw_df, source=table)
        errors = [f for f in findings if f.is_error]
        assert not errors, "snippet does not validate:\n" + "\n".join(f.format() for f in errors)
        out[table] = typed
    return out


def inputs(text: str) -> LedgerInputs:
    return LedgerInputs.from_frames(frames(text))


def usd(micro: int) -> Decimal:
    """Micro-units → Decimal dollars (for readable assertions)."""
    return Decimal(micro).scaleb(-4)


def line(result: object, order_id: str, sku_id: str) -> dict[str, object]:
    lines = result.lines  # type: ignore[attr-defined]
    rows = lines.filter((pl.col("order_id") == order_id) & (pl.col("sku_id") == sku_id)).to_dicts()
    assert len(rows) == 1, f"expected one line for {order_id}/{sku_id}, got {len(rows)}"
    return rows[0]
