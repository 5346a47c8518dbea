"""Bulk synthetic orders for benchmarks: millions of canonical order lines in bounded memory.

The story generator (:func:`quickturn.demo.generate`) simulates a whole shop day by day; that
is the right tool up to about 10,000 SKUs × a year (≈ 0.9 M order lines).  Benchmarks that
need *more* lines (the ledger's 10-million-line roll-up) use this module instead: it draws
orders directly, chunk by chunk, so memory stays proportional to ``chunk_lines``.

Usage::

    from quickturn.demo.bulk import bulk_skus, bulk_order_lines

    skus = bulk_skus(10_000, seed=1)                       # canonical ``skus`` frame
    for chunk in bulk_order_lines(10_000_000, skus=skus, seed=1):
        store.write("orders", chunk.orders, mode="append")
        store.write("order_lines", chunk.order_lines, mode="append")
        # chunk.settlement_lines when with_settlement=True

Each chunk is a :class:`BulkChunk` with canonical ``orders`` and ``order_lines`` frames (valid
against ``validate.coerce``; order ids unique across chunks; every order line refers to an
order of the same chunk and to a SKU of ``skus``).  Chunks are independent and seeded by
``(seed, chunk number)``, so the same call always yields the same data, and chunk ``k`` can
be generated alone (``bulk_chunk``), e.g. on a Dask worker.  SKU popularity is Zipf-like
(a few best sellers, a long tail); 85% of orders have one line, 12% two, 3% three.

Cost: about 1.5 s per million lines and about 1 GB peak with 1 M-line chunks (see
benchmarks/demo_bench.py; memory scales with ``chunk_lines``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from quickturn.demo.config import CATEGORIES, DEFAULT_AS_OF
from quickturn.demo.generator import conform

#: base of the numeric order ids (distinct from the story demo's 576…/579… ids)
BULK_ORDER_BASE = 700_000_000_000_000_000
_LINES_PER_ORDER = np.array([1, 2, 3])
_LINES_P = np.array([0.85, 0.12, 0.03])


@dataclass(frozen=True)
class BulkChunk:
    """One chunk of bulk orders."""

    index: int
    orders: pl.DataFrame
    order_lines: pl.DataFrame
    settlement_lines: pl.DataFrame | None = None


def bulk_skus(n_skus: int, *, seed: int = 0) -> pl.DataFrame:
    """A canonical ``skus`` frame of ``n_skus`` SKUs with prices (USD) and costs (CNY)."""
    rng = np.random.default_rng([seed, 1_000_003])
    cats = CATEGORIES
    ci = rng.choice(
        len(cats), n_skus, p=np.array([c.share for c in cats]) / sum(c.share for c in cats)
    )
    lo = np.array([c.price_lo for c in cats])[ci]
    hi = np.array([c.price_hi for c in cats])[ci]
    price = np.floor(lo + rng.random(n_skus) * (hi - lo)) + 0.99
    cost = np.round(
        price * np.array([c.cost_share for c in cats])[ci] * 7.2 * rng.lognormal(0, 0.2, n_skus), 1
    )
    names = pl.Series([c.name for c in cats]).gather(ci)
    sku_id = pl.select(
        pl.lit("BLK-") + pl.Series(np.arange(1, n_skus + 1)).cast(pl.String).str.zfill(6)
    ).to_series()
    frame = pl.DataFrame(
        {
            "sku_id": sku_id,
            "shop_id": pl.Series([None] * n_skus, dtype=pl.String),
            "title": pl.select(pl.lit("Bulk item ") + sku_id).to_series(),
            "category": names,
            "list_price": pl.Series(price).round(2).cast(pl.Decimal(18, 4)),
            "price_currency": pl.Series(["USD"]).gather(np.zeros(n_skus, dtype=np.int64)),
            "unit_cost": pl.Series(cost).round(2).cast(pl.Decimal(18, 4)),
            "cost_currency": pl.Series(["CNY"]).gather(np.zeros(n_skus, dtype=np.int64)),
            "weight_g": np.round(rng.uniform(100, 1200, n_skus)),
        }
    )
    return conform("skus", frame)


def bulk_order_lines(
    n_lines: int,
    *,
    skus: pl.DataFrame | None = None,
    n_skus: int = 10_000,
    seed: int = 0,
    days: int = 365,
    as_of: date = DEFAULT_AS_OF,
    chunk_lines: int = 1_000_000,
    with_settlement: bool = False,
) -> Iterator[BulkChunk]:
    """Yield chunks of about ``chunk_lines`` order lines until ``n_lines`` lines in total.

    ``skus`` defaults to ``bulk_skus(n_skus, seed=seed)``.  Orders fall on the ``days`` days
    before ``as_of``; all are delivered and completed except ~2% cancelled.  With
    ``with_settlement`` each chunk also carries revenue, referral-fee (6%) and affiliate
    commission settlement lines for its delivered orders.
    """
    if n_lines < 1 or chunk_lines < 1:
        raise ValueError("n_lines and chunk_lines must be positive")
    catalog = skus if skus is not None else bulk_skus(n_skus, seed=seed)
    price_c = np.round(catalog["list_price"].cast(pl.Float64).to_numpy() * 100).astype(np.int64)
    sku_ids = catalog["sku_id"]
    done = 0
    order_offset = 0
    k = 0
    while done < n_lines:
        m = min(chunk_lines, n_lines - done)
        chunk = bulk_chunk(
            k,
            m,
            price_c,
            sku_ids,
            seed=seed,
            days=days,
            as_of=as_of,
            order_offset=order_offset,
            with_settlement=with_settlement,
        )
        yield chunk
        done += m
        order_offset += chunk.orders.height
        k += 1


def bulk_chunk(
    index: int,
    n_lines: int,
    price_cents: np.ndarray,
    sku_ids: pl.Series,
    *,
    seed: int,
    days: int,
    as_of: date,
    order_offset: int,
    with_settlement: bool = False,
) -> BulkChunk:
    """Chunk number ``index`` with exactly ``n_lines`` lines; order ids start at
    ``BULK_ORDER_BASE + order_offset``."""
    rng = np.random.default_rng([seed, index])
    n_skus = price_cents.size
    # order sizes until n_lines lines (the last order is trimmed)
    sizes = rng.choice(_LINES_PER_ORDER, n_lines // 1 + 1, p=_LINES_P)
    cum = np.cumsum(sizes)
    n_orders = int(np.searchsorted(cum, n_lines)) + 1
    sizes = sizes[:n_orders].copy()
    sizes[-1] -= int(cum[n_orders - 1] - n_lines)
    line_order = np.repeat(np.arange(n_orders), sizes)
    pos = np.arange(n_lines) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    # Zipf-like popularity; the j-th line of an order takes the next SKU (distinct in an order)
    ranks = np.arange(1, n_skus + 1, dtype=np.float64)
    p = 1.0 / (ranks + 10.0) ** 1.1
    head = rng.choice(n_skus, n_orders, p=p / p.sum())
    sku = (head[line_order] + pos) % n_skus
    qty = np.where(rng.random(n_lines) < 0.9, 1, rng.integers(2, 5, n_lines)).astype(np.int64)
    unit = price_cents[sku]
    before = unit * qty
    sd = np.where(rng.random(n_lines) < 0.2, np.round(before * 0.15), 0).astype(np.int64)
    pd_ = np.where(rng.random(n_lines) < 0.15, np.round(before * 0.08), 0).astype(np.int64)
    after = before - sd - pd_
    tax_rate = rng.choice(np.array([0.0, 0.0625, 0.0725, 0.08, 0.095]), n_orders)
    tax = np.round(after * tax_rate[line_order]).astype(np.int64)
    o_after = np.bincount(line_order, weights=after, minlength=n_orders).astype(np.int64)
    o_tax = np.bincount(line_order, weights=tax, minlength=n_orders).astype(np.int64)
    ship = np.where(o_after < 3000, 499, 0)
    start = np.datetime64(as_of - timedelta(days=days), "s")
    created = start + rng.integers(0, days * 86400, n_orders).astype("timedelta64[s]")
    shipped = created + (rng.lognormal(np.log(22), 0.5, n_orders) * 3600).astype("timedelta64[s]")
    delivered = shipped + (rng.lognormal(np.log(3.5), 0.35, n_orders) * 86400).astype(
        "timedelta64[s]"
    )
    cancelled = rng.random(n_orders) < 0.02
    nat = np.datetime64("NaT", "s")
    cut = np.datetime64(as_of, "s")
    shipped = np.where(cancelled | (shipped > cut), nat, shipped)
    delivered = np.where(cancelled | (delivered > cut) | np.isnat(shipped), nat, delivered)
    status_code = np.select([cancelled, np.isnat(shipped), np.isnat(delivered)], [0, 1, 2], 3)
    ids = pl.Series(BULK_ORDER_BASE + order_offset + np.arange(n_orders, dtype=np.int64)).cast(
        pl.String
    )
    fbt = rng.random(n_orders) < 0.25
    orders = pl.DataFrame(
        {
            "order_id": ids,
            "shop_id": _const("QT-US-001", n_orders),
            "market": _const("US", n_orders),
            "currency": _const("USD", n_orders),
            "status": pl.Series(
                ["CANCELLED", "AWAITING_SHIPMENT", "IN_TRANSIT", "COMPLETED"]
            ).gather(status_code),
            "created_at": _ts(created),
            "paid_at": _ts(created + np.timedelta64(60, "s")),
            "shipped_at": _ts(shipped),
            "delivered_at": _ts(delivered),
            "cancelled_at": _ts(np.where(cancelled, created + np.timedelta64(3600, "s"), nat)),
            "fulfillment_type": pl.Series(
                ["FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK"]
            ).gather(fbt.astype(np.int64)),
            "shipping_fee": _money(ship),
            "tax": _money(o_tax),
            "order_amount": _money(o_after + ship + o_tax),
            "is_sample_order": np.zeros(n_orders, dtype=bool),
            "cancel_initiator": pl.select(
                pl.when(pl.Series(cancelled)).then(pl.lit("BUYER"))
            ).to_series(),
        }
    )
    affiliate = rng.random(n_lines) < 0.25
    comm = np.where(affiliate, rng.choice(np.array([0.1, 0.12, 0.15, 0.2]), n_lines), np.nan)
    order_lines = pl.DataFrame(
        {
            "order_id": ids.gather(line_order),
            "sku_id": sku_ids.gather(sku),
            "quantity": qty,
            "unit_price": _money(unit),
            "subtotal_before_discount": _money(before),
            "seller_discount": _money(sd),
            "platform_discount": _money(pd_),
            "subtotal_after_discount": _money(after),
            "tax": _money(tax),
            "traffic_source": pl.Series(["organic", "affiliate"]).gather(
                affiliate.astype(np.int64)
            ),
            "commission_rate": pl.Series(comm).fill_nan(None).cast(pl.Decimal(12, 6)),
        }
    )
    settle = None
    if with_settlement:
        ok = ~np.isnat(delivered[line_order])
        stmt = (delivered[line_order].astype("datetime64[D]") + 7)[ok]
        base = (after + pd_)[ok]
        lo_ids = ids.gather(line_order[ok])
        s_ids = sku_ids.gather(sku[ok])
        parts = []
        for name, cents in (
            ("revenue", after[ok]),
            ("referral_fee", -np.round(base * 0.06).astype(np.int64)),
            (
                "affiliate_commission",
                -np.nan_to_num(np.round(comm[ok] * after[ok])).astype(np.int64),
            ),
        ):
            parts.append(
                pl.DataFrame(
                    {"statement_date": stmt, "order_id": lo_ids, "sku_id": s_ids, "cents": cents}
                ).with_columns(fee_type=pl.lit(name))
            )
        allp = pl.concat(parts).filter(pl.col("cents") != 0)
        settle = allp.select(
            (pl.lit("ST-BULK-") + pl.col("statement_date").dt.strftime("%Y%m%d")).alias(
                "statement_id"
            ),
            (pl.col("order_id") + "-" + pl.col("sku_id") + "-" + pl.col("fee_type")).alias(
                "line_id"
            ),
            "statement_date",
            "order_id",
            "sku_id",
            "fee_type",
            (pl.col("cents").cast(pl.Decimal(18, 4)) / 100).alias("amount"),
            pl.lit("USD").alias("currency"),
        )
    return BulkChunk(
        index=index,
        orders=conform("orders", orders, sort=False),
        order_lines=conform("order_lines", order_lines, sort=False),
        settlement_lines=conform("settlement_lines", settle, sort=False)
        if settle is not None
        else None,
    )


def _const(value: str, n: int) -> pl.Series:
    return pl.Series([value], dtype=pl.String).gather(np.zeros(n, dtype=np.int64))


def _ts(a: np.ndarray) -> pl.Series:
    return pl.Series(a.astype("datetime64[us]"))


def _money(cents: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(cents, dtype=np.int64)).cast(pl.Decimal(18, 4)) / 100
