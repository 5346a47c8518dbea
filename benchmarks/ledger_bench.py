"""Ledger benchmark: N order lines → contribution margin by SKU × day with every component.

Prints one JSON document.  The same seeded shop is written to Parquet once: SKUs, orders,
order lines and settlement lines from the demo's bulk generator
(:func:`quickturn.demo.bulk.bulk_order_lines`, 10,000 SKUs, a year of orders, FBT and 3PL
fulfilment, traffic sources), enriched (see :func:`generate`) with the tables it does not
produce: creators, 3PL warehouses, duty rates, returns with every outcome, landed-cost layers
in CNY (POs, shipments), ad spend and FX rates; then two child processes each read it
and compute the roll-up, so that each one's seconds and peak memory (``ru_maxrss``) are its own:

* ``quickturn``: :func:`quickturn.core.ledger.stream.rollup_partitions` by SKU × day — the
  ledger (exact integer micro-units, Numba FIFO) over 1M-line order-id partitions streamed from
  Parquet, equal to :func:`~quickturn.core.ledger.engine.build_ledger` +
  :func:`~quickturn.core.ledger.reports.rollup` on the whole shop;
* ``pandas`` (baseline): a straightforward pandas implementation of the same roll-up (float
  dollars, merges, ``groupby().transform`` allocations, FIFO per SKU in a Python loop over
  SKUs with NumPy inside).

The two results are compared cell by cell (largest absolute difference of any component).

    uv run python benchmarks/ledger_bench.py            # 10 million order lines
    uv run python benchmarks/ledger_bench.py --quick    # 20,000 lines (smoke test)
    uv run python benchmarks/ledger_bench.py --lines 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

GROUPS = (
    "revenue",
    "discounts",
    "platform_fees",
    "commission",
    "ads",
    "fulfilment",
    "shipping",
    "returns",
    "landed_cost",
    "samples",
    "margin",
)
START = date(2025, 1, 1)
DAYS = 365


# -- the synthetic shop ----------------------------------------------------------------------


def _money(cents: np.ndarray) -> pl.Series:
    """Integer cents → Decimal(18,4) (exact)."""
    s = pl.Series(cents.astype(np.int64))
    return (s.cast(pl.Decimal(38, 0)).cast(pl.Decimal(38, 4)) / 100).cast(pl.Decimal(18, 4))


def _ids(prefix: str, idx: np.ndarray) -> pl.Series:
    digits = pl.Series("i", idx.astype(np.int64)).cast(pl.String).str.zfill(8)
    return pl.select(pl.concat_str([pl.lit(prefix), digits])).to_series()


def generate(n_lines: int, seed: int = 7, n_skus: int = 10_000) -> dict[str, pl.DataFrame]:
    """Canonical frames of a shop with ``n_lines`` order lines.

    Orders, order lines and settlement lines come from the demo shop's bulk generator
    (:func:`quickturn.demo.bulk.bulk_order_lines`); statements are kept for 10% of the
    orders (the rest are estimated).  Around them, vectorised and seeded: creators on the
    affiliate lines, 3PL warehouses on the self-fulfilled orders, HTS duty rates, cost layers
    (4 sea shipments per SKU in CNY covering ~95% of its sales), 5% returns with every
    outcome, shop-wide and per-SKU ad spend, and daily CNY rates.
    """
    from quickturn.core.ledger.inputs import typed
    from quickturn.demo.bulk import bulk_order_lines, bulk_skus

    rng = np.random.default_rng(seed)
    n_skus = max(20, min(n_skus, n_lines // 20))
    skus = bulk_skus(n_skus, seed=seed)
    orders_p, lines_p, stmt_p = [], [], []
    for chunk in bulk_order_lines(n_lines, skus=skus, seed=seed, with_settlement=True):
        orders_p.append(chunk.orders)
        lines_p.append(chunk.order_lines)
        st = chunk.settlement_lines
        if st is not None:  # statements for 10% of the orders
            stmt_p.append(st.filter(pl.col("order_id").str.slice(-1) == "7"))
    orders = pl.concat(orders_p)
    lines = pl.concat(lines_p)
    del orders_p, lines_p
    n_orders, n_lines = orders.height, lines.height
    sku_ids = skus["sku_id"]
    fbt = (orders["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK").to_numpy()
    orders = orders.with_columns(
        pl.Series(np.where(fbt, "", np.where(rng.random(n_orders) < 0.5, "WH1", "WH2")))
        .replace("", None)
        .alias("warehouse_id"),
        _money(np.where(rng.random(n_orders) < 0.3, 100, 0)).alias("shipping_fee_seller_discount"),
    )
    n_creators = max(5, n_skus // 5)
    affiliate = (lines["traffic_source"] == "affiliate").to_numpy()
    creator = np.where(affiliate, rng.integers(0, n_creators, n_lines), -1)
    lines = lines.with_columns(
        _ids("C", np.maximum(creator, 0))
        .zip_with(pl.Series(creator >= 0), pl.Series([None] * n_lines, dtype=pl.String))
        .alias("creator_id"),
        pl.lit(None, pl.Decimal(12, 6)).alias("commission_rate"),  # from the creator instead
    )
    creators = pl.DataFrame(
        {
            "creator_id": _ids("C", np.arange(n_creators)),
            "handle": _ids("@c", np.arange(n_creators)),
            "commission_rate": pl.Series(rng.choice([0.08, 0.12, 0.2], n_creators)).cast(
                pl.Decimal(12, 6)
            ),
        }
    )
    skus = skus.with_columns(
        pl.Series(rng.choice([0.0, 0.04, 0.165], n_skus))
        .cast(pl.Decimal(12, 6))
        .alias("duty_rate"),
        pl.Series(rng.choice(["9503.00", "6109.10", "8516.79"], n_skus)).alias("hs_code"),
    )
    # returns: 5% of the lines, every outcome
    qty = lines["quantity"].to_numpy()
    r = np.flatnonzero(rng.random(n_lines) < 0.05)
    paid = (
        lines["subtotal_after_discount"].cast(pl.Float64).fill_null(0)
        + lines["tax"].cast(pl.Float64).fill_null(0)
    ).to_numpy()
    created_of = lines.select("order_id").join(
        orders.select("order_id", "created_at"), on="order_id", how="left", maintain_order="left"
    )["created_at"]
    returns = pl.DataFrame(
        {
            "return_id": _ids("R", np.arange(len(r))),
            "order_id": lines["order_id"].gather(r),
            "sku_id": lines["sku_id"].gather(r),
            "quantity": qty[r],
            "return_type": rng.choice(["return_refund", "refund_only"], len(r), p=[0.8, 0.2]),
            "requested_at": created_of.gather(r) + timedelta(days=9),
            "currency": pl.Series(["USD"] * len(r)),
            "refund_amount": _money(np.round(paid[r] * 100).astype(np.int64)),
            "return_shipping_cost": _money(np.where(rng.random(len(r)) < 0.5, 450, 0)),
            "disposition": rng.choice(
                ["resellable", "unsellable", "not_returned"], len(r), p=[0.6, 0.25, 0.15]
            ),
            "status": pl.Series(["completed"] * len(r)),
        }
    )
    # cost layers: 4 sea shipments a year per SKU covering ~95% of its sales
    sku_idx = lines.select(pl.col("sku_id").str.slice(4).cast(pl.Int64) - 1)["sku_id"].to_numpy()
    sold = np.bincount(sku_idx, weights=qty, minlength=n_skus)
    first_day = orders["created_at"].min().date()  # type: ignore[union-attr]
    n_ship = 4
    sh_sku = np.repeat(np.arange(n_skus), n_ship)
    sh_k = np.tile(np.arange(n_ship), n_skus)
    sh_qty = np.maximum(1, (sold[sh_sku] * 0.95 / n_ship).astype(np.int64))
    arrive = sh_k * (DAYS // n_ship) - 5
    day0 = np.datetime64(first_day)
    cost_fen = np.round(skus["unit_cost"].cast(pl.Float64).to_numpy() * 100).astype(np.int64)
    weight = skus["weight_g"].to_numpy()
    ship_ids = _ids("SH", np.arange(len(sh_sku)))
    po_ids = _ids("PO", np.arange(len(sh_sku)))
    purchase_orders = pl.DataFrame(
        {
            "po_id": po_ids,
            "sku_id": sku_ids.gather(sh_sku),
            "ordered_on": pl.Series(
                (day0 + (arrive - 60).astype("timedelta64[D]")).astype("datetime64[D]")
            ),
            "quantity": sh_qty,
            "unit_cost": _money(cost_fen[sh_sku]),
            "currency": pl.Series(["CNY"] * len(sh_sku)),
            "status": pl.Series(["received"] * len(sh_sku)),
        }
    )
    shipments = pl.DataFrame(
        {
            "shipment_id": ship_ids,
            "route_id": pl.Series(["SEA"] * len(sh_sku)),
            "shipped_on": pl.Series(
                (day0 + (arrive - 35).astype("timedelta64[D]")).astype("datetime64[D]")
            ),
            "arrived_on": pl.Series(
                (day0 + arrive.astype("timedelta64[D]")).astype("datetime64[D]")
            ),
            "freight_cost": _money(sh_qty * (weight[sh_sku] * 0.12).astype(np.int64)),
            "currency": pl.Series(["USD"] * len(sh_sku)),
            "destination_id": pl.Series(["WH1"] * len(sh_sku)),
        }
    )
    shipment_lines = pl.DataFrame(
        {
            "shipment_id": ship_ids,
            "sku_id": sku_ids.gather(sh_sku),
            "po_id": po_ids,
            "quantity": sh_qty,
        }
    )
    locations = pl.DataFrame(
        {
            "location_id": ["WH1", "WH2"],
            "name": ["LA", "NJ"],
            "kind": ["us_3pl", "us_3pl"],
            "outbound_cost_per_unit_usd": _money(np.array([150, 175])),
            "inbound_cost_per_unit_usd": _money(np.array([20, 25])),
        }
    )
    # ad spend: shop-wide every day + 5% of the SKUs every day
    ad_days = pl.Series(day0 + np.arange(DAYS + 1).astype("timedelta64[D]")).cast(pl.Date)
    promoted = rng.choice(n_skus, max(1, n_skus // 20), replace=False)
    ad_shop = pl.DataFrame(
        {
            "campaign_id": pl.Series(["GMV-MAX"] * len(ad_days)),
            "date": ad_days,
            "spend": _money(
                rng.integers(10_000, 50_000, len(ad_days)) * max(1, n_lines // 1_000_000)
            ),
            "currency": pl.Series(["USD"] * len(ad_days)),
        }
    )
    ad_sku = pl.DataFrame(
        {
            "campaign_id": _ids("K", np.repeat(promoted, len(ad_days))),
            "date": pl.concat([ad_days] * len(promoted)),
            "sku_id": sku_ids.gather(np.repeat(promoted, len(ad_days))),
            "spend": _money(rng.integers(100, 3000, len(ad_days) * len(promoted))),
            "currency": pl.Series(["USD"] * (len(ad_days) * len(promoted))),
        }
    )
    fx = pl.DataFrame(
        {
            "date": ad_days,
            "currency": pl.Series(["CNY"] * len(ad_days)),
            "usd_per_unit": pl.Series(0.138 + 0.004 * np.sin(np.arange(len(ad_days)) / 40))
            .round(6)
            .cast(pl.Decimal(18, 8)),
        }
    )
    frames = {
        "skus": skus,
        "orders": orders,
        "order_lines": lines,
        "creators": creators,
        "returns": returns,
        "settlement_lines": pl.concat(stmt_p) if stmt_p else None,
        "purchase_orders": purchase_orders,
        "shipments": shipments,
        "shipment_lines": shipment_lines,
        "locations": locations,
        "ad_spend": pl.concat([ad_shop, ad_sku], how="diagonal"),
        "fx_rates": fx,
    }
    return {k: typed(k, v) for k, v in frames.items() if v is not None}


# -- the two implementations ---------------------------------------------------------------


ORDER_SCOPED = ("orders", "order_lines", "returns", "settlement_lines", "bills")
PANDAS_COLUMNS = {
    "orders": [
        "order_id",
        "status",
        "created_at",
        "fulfillment_type",
        "warehouse_id",
        "shipping_fee",
        "shipping_fee_seller_discount",
        "is_sample_order",
    ],
    "order_lines": [
        "order_id",
        "sku_id",
        "quantity",
        "unit_price",
        "subtotal_before_discount",
        "seller_discount",
        "platform_discount",
        "tax",
        "traffic_source",
        "creator_id",
        "commission_rate",
    ],
}
#: order lines per partition of the streamed roll-up (env LEDGER_BENCH_PARTITION_LINES, e.g.
#: to check on a small run that partitioning does not change the result)
LINES_PER_PARTITION = int(os.environ.get("LEDGER_BENCH_PARTITION_LINES", "1000000"))


def run_quickturn(folder: Path) -> pl.DataFrame:
    """Partitions = contiguous order-id ranges read from Parquet (row groups pruned by their
    order-id statistics), streamed through :func:`quickturn.core.ledger.stream.rollup_partitions`."""
    from quickturn.core.ledger.engine import LINE_COLUMNS, ORDER_COLUMNS
    from quickturn.core.ledger.inputs import LedgerInputs
    from quickturn.core.ledger.stream import rollup_partitions

    READ_COLUMNS = {"orders": list(ORDER_COLUMNS), "order_lines": list(LINE_COLUMNS)}

    t0 = _start()
    files = {p.stem: p for p in folder.glob("*.parquet")}
    small = {t: pl.read_parquet(p) for t, p in files.items() if t not in ORDER_SCOPED}
    n_lines = pl.scan_parquet(files["order_lines"]).select(pl.len()).collect().item()
    k = max(1, -(-n_lines // LINES_PER_PARTITION))
    ids = pl.scan_parquet(files["orders"]).select("order_id").collect()["order_id"].sort()
    bounds = [ids[len(ids) * i // k] for i in range(1, k)]
    del ids

    def partitions():  # type: ignore[no-untyped-def]
        for i in range(k):
            c = pl.col("order_id")
            cond = pl.lit(True)
            if i > 0:
                cond = cond & (c >= bounds[i - 1])
            if i < k - 1:
                cond = cond & (c < bounds[i])
            cond = cond.fill_null(i == 0)  # shop-level rows (no order) in the first partition
            frames = {}
            for t in ORDER_SCOPED:
                if t in files:
                    scan = pl.scan_parquet(files[t]).filter(cond)
                    if t in READ_COLUMNS:  # only the columns the ledger reads
                        scan = scan.select(READ_COLUMNS[t])
                    frames[t] = scan.collect()
            part = LedgerInputs.from_frames({**small, **frames})
            del frames
            yield part
            del part

    out, _findings = rollup_partitions(partitions(), by=["sku", "day"])
    _report(t0)
    return out


def run_pandas(folder: Path) -> pl.DataFrame:
    """The baseline: what a careful analyst would write in pandas (float dollars)."""
    import pandas as pd

    read = {}
    for p in folder.glob("*.parquet"):
        if p.stem.startswith("result"):
            continue
        # only the columns used, as a careful analyst would read them
        df = pl.read_parquet(p, columns=PANDAS_COLUMNS.get(p.stem))
        df = df.with_columns(
            [pl.col(c).cast(pl.Float64) for c, t in df.schema.items() if isinstance(t, pl.Decimal)]
        )
        read[p.stem] = df.to_pandas()
        del df
    t0 = _start()
    o, ol, sk = read["orders"], read["order_lines"], read["skus"]
    o = o[~o["status"].isin(["CANCELLED", "UNPAID"])]
    df = ol.merge(
        o[
            [
                "order_id",
                "created_at",
                "fulfillment_type",
                "warehouse_id",
                "shipping_fee",
                "shipping_fee_seller_discount",
                "is_sample_order",
            ]
        ],
        on="order_id",
    )
    df["day"] = df["created_at"].dt.tz_localize("UTC").dt.tz_convert("America/Los_Angeles").dt.date
    df = df.sort_values(["order_id", "sku_id"]).reset_index(drop=True)
    df["gross"] = df["subtotal_before_discount"].fillna(df["unit_price"] * df["quantity"])
    df["sdisc"] = df["seller_discount"].fillna(0)
    df["sales"] = df["gross"] - df["sdisc"]
    df["paid"] = df["sales"] - df["platform_discount"].fillna(0) + df["tax"].fillna(0)
    share = df["sales"] / df.groupby("order_id")["sales"].transform("sum")
    fbt = df["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK"
    df["ship_income"] = df["shipping_fee"].fillna(0) * share
    df["ship_cost"] = np.where(
        fbt,
        0.0,
        -(df["shipping_fee"].fillna(0) + df["shipping_fee_seller_discount"].fillna(0)) * share,
    )
    df["referral"] = -(df["sales"] * 0.06).round(2)
    cr = read["creators"][["creator_id", "commission_rate"]]
    df = df.drop(columns=["commission_rate"]).merge(cr, on="creator_id", how="left")
    df["commission"] = np.where(
        df["creator_id"].notna() & ~df["is_sample_order"],
        -(df["sales"] * df["commission_rate"].fillna(0.10)).round(2),
        0.0,
    )
    lb = df["sku_id"].map(sk.set_index("sku_id")["weight_g"]) / 453.59237
    units = df.groupby("order_id")["quantity"].transform("sum")
    cards = [
        (0.5, 3.58, 2.86),
        (1, 4.18, 3.46),
        (2, 5.08, 4.36),
        (3, 5.98, 5.26),
        (5, 7.38, 6.66),
        (10, 10.38, 9.66),
        (1e9, 16.98, 16.26),
    ]
    fee = np.select([lb <= c[0] for c in cards], [np.where(units == 1, c[1], c[2]) for c in cards])
    df["fbt"] = np.where(fbt, -fee * df["quantity"], 0.0)
    out_cost = (
        read["locations"].set_index("location_id")["outbound_cost_per_unit_usd"].astype(float)
    )
    df["pick"] = np.where(~fbt, -df["warehouse_id"].map(out_cost).fillna(0) * df["quantity"], 0.0)
    # settlement statements replace the estimated referral fee and revenue of their orders
    st = read["settlement_lines"]
    for fee_type, col in (("referral_fee", "referral"), ("affiliate_commission", "commission")):
        per_line = (
            st[st.fee_type == fee_type]
            .groupby(["order_id", "sku_id"])["amount"]
            .sum()
            .rename(f"{col}_act")
        )
        settled_orders = set(st.loc[st.fee_type == fee_type, "order_id"])
        df = df.merge(per_line, left_on=["order_id", "sku_id"], right_index=True, how="left")
        has = df["order_id"].isin(settled_orders)
        df.loc[has, col] = df.loc[has, f"{col}_act"].fillna(0)
    sold_st = (
        st[st.fee_type.isin(["revenue", "platform_discount"])]
        .groupby(["order_id", "sku_id"])["amount"]
        .sum()
        .rename("settled")
    )
    df = df.merge(sold_st, left_on=["order_id", "sku_id"], right_index=True, how="left")
    df["rev_adj"] = (df["settled"] - df["sales"]).fillna(0)
    # returns
    rt = read["returns"]
    rt = rt.merge(
        df[["order_id", "sku_id", "quantity", "sales", "paid", "referral", "commission"]],
        on=["order_id", "sku_id"],
        suffixes=("", "_line"),
    )
    sh = (rt["refund_amount"].clip(upper=rt["paid"]) / rt["paid"]).fillna(0)
    # the seller bears its share of the sales (the tax and platform discount are not its own)
    rt["seller_refund"] = np.where(
        rt["paid"] > 0,
        (rt["sales"] * sh).round(4) + (rt["refund_amount"] - rt["paid"]).clip(lower=0),
        rt["refund_amount"],
    )
    rt["ref_back"] = (-rt["referral"] * sh).round(2)
    rt["admin"] = -np.minimum((rt["ref_back"] * 0.2).round(2), 5.0)
    rt["claw"] = (-rt["commission"] * sh).round(2)
    rt["handling"] = np.where(rt["disposition"] == "resellable", -1.0 * rt["quantity"], 0.0)
    agg_r = rt.groupby(["order_id", "sku_id"]).agg(
        refunds=("seller_refund", "sum"),
        ref_back=("ref_back", "sum"),
        admin=("admin", "sum"),
        claw=("claw", "sum"),
        ret_ship=("return_shipping_cost", "sum"),
        handling=("handling", "sum"),
        r_qty=("quantity", "sum"),
        disp=("disposition", "first"),
    )
    df = df.merge(agg_r, left_on=["order_id", "sku_id"], right_index=True, how="left")
    for c in ("refunds", "ref_back", "admin", "claw", "ret_ship", "handling"):
        df[c] = df[c].fillna(0)
    # landed cost layers
    fx = read["fx_rates"].sort_values("date")
    fx["date"] = pd.to_datetime(fx["date"])
    po = read["purchase_orders"].copy()
    po["ordered_on"] = pd.to_datetime(po["ordered_on"])
    po = pd.merge_asof(
        po.sort_values("ordered_on"),
        fx[["date", "usd_per_unit"]],
        left_on="ordered_on",
        right_on="date",
        direction="backward",
    )
    po["usd_per_unit"] = po["usd_per_unit"].fillna(fx["usd_per_unit"].iloc[0])
    lay = (
        read["shipment_lines"]
        .merge(read["shipments"], on="shipment_id")
        .merge(po[["po_id", "sku_id", "unit_cost", "usd_per_unit"]], on=["po_id", "sku_id"])
    )
    lay["factory"] = lay["quantity"] * lay["unit_cost"] * lay["usd_per_unit"]
    lay["w"] = lay["quantity"] * lay["sku_id"].map(sk.set_index("sku_id")["weight_g"])
    lay["freight"] = (
        lay["freight_cost"] * lay["w"] / lay.groupby("shipment_id")["w"].transform("sum")
    )
    lay["duty"] = lay["factory"] * lay["sku_id"].map(
        sk.set_index("sku_id")["duty_rate"].astype(float)
    )
    lay["inbound"] = 0.20 * lay["quantity"]
    lay["landed"] = lay["factory"] + lay["freight"] + lay["duty"] + lay["inbound"]
    # FIFO per SKU over receipts, sales and returns, in time order (a plain Python loop)
    # units beyond the layers: the latest layer's unit cost, else unit cost × FX + duty
    std = sk.set_index("sku_id")["unit_cost"].astype(float) * fx["usd_per_unit"].iloc[-1]
    std = std * (1 + sk.set_index("sku_id")["duty_rate"].astype(float))
    last = lay.sort_values("arrived_on").groupby("sku_id").last()
    std.update(last["landed"] / last["quantity"])
    line_key = pd.Series(
        np.arange(len(df)), index=pd.MultiIndex.from_arrays([df["order_id"], df["sku_id"]])
    )
    rt_all = read["returns"]
    rt_all = rt_all[rt_all["disposition"].isin(["resellable", "unsellable", "not_returned"])]
    ret_line = line_key.reindex(
        pd.MultiIndex.from_arrays([rt_all["order_id"], rt_all["sku_id"]])
    ).to_numpy()
    known = ~np.isnan(ret_line.astype(float))  # returns of cancelled orders: no line
    rt_all, ret_line = rt_all[known], ret_line[known].astype(np.int64)
    ev = pd.concat(
        [
            pd.DataFrame(
                {
                    "sku": lay["sku_id"],
                    "t": pd.to_datetime(lay["arrived_on"]),
                    "kind": 0,
                    "qty": lay["quantity"],
                    "cost": lay["landed"],
                    "ref": -1,
                }
            ),
            pd.DataFrame(
                {
                    "sku": df["sku_id"],
                    "t": df["created_at"],
                    "kind": 1,
                    "qty": df["quantity"],
                    "cost": 0.0,
                    "ref": np.arange(len(df)),
                }
            ),
            pd.DataFrame(
                {
                    "sku": rt_all["sku_id"].to_numpy(),
                    "t": np.maximum(
                        rt_all["requested_at"].to_numpy(), df["created_at"].to_numpy()[ret_line]
                    ),
                    "kind": np.where(rt_all["disposition"] == "resellable", 2, 3),
                    "qty": rt_all["quantity"].to_numpy(),
                    "cost": 0.0,
                    "ref": ret_line,
                }
            ),
        ]
    ).sort_values(["sku", "t", "kind"], kind="stable")
    cogs = np.zeros(len(df))
    rev = np.zeros(len(df))
    off = np.zeros(len(df))
    qty_line = df["quantity"].to_numpy()
    current, layers = None, []
    for sku, kind, qn, cost, ref in zip(
        ev["sku"].to_numpy(),
        ev["kind"].to_numpy(),
        ev["qty"].to_numpy(),
        ev["cost"].to_numpy(),
        ev["ref"].to_numpy(),
        strict=True,
    ):
        if sku != current:
            current, layers, head = sku, [], 0
        if kind == 0:
            layers.append([qn, cost])
        elif kind == 1:
            need, c = qn, 0.0
            while need and head < len(layers):
                u, v = layers[head]
                take = min(need, u)
                part = v * take / u
                c += part
                layers[head] = [u - take, v - part]
                need -= take
                if layers[head][0] == 0:
                    head += 1
            cogs[ref] = -(c + need * std.get(sku, 0.0))
        else:
            part = -cogs[ref] * qn / qty_line[ref]
            rev[ref] += part
            if kind == 2:
                layers.append([qn, part])
            else:
                off[ref] -= part
    df["cogs"] = cogs
    df["cogs_rev"] = rev
    df["write_off"] = off
    # ads: shop pool → ads-attributed lines of the week by sales; SKU pools → that SKU's lines
    ads = read["ad_spend"].copy()
    ads["week"] = pd.to_datetime(ads["date"]).dt.to_period("W-SUN").dt.start_time
    df["week"] = pd.to_datetime(df["day"]).dt.to_period("W-SUN").dt.start_time
    df["ads"] = 0.0
    elig = ~df["is_sample_order"] & (df["sales"] > 0)
    shop = ads[ads["sku_id"].isna()].groupby("week")["spend"].sum()
    m = elig & (df["traffic_source"] == "ads")
    w = df["sales"].where(m, 0.0)
    df["ads"] -= (
        w
        / w.groupby(df["week"]).transform("sum").replace(0, np.nan)
        * df["week"].map(shop).fillna(0)
    ).fillna(0)
    # weeks whose shop spend found no ads-attributed sale: spread over all that week's sales
    ads_weeks = set(df.loc[m, "week"].unique())
    m_all = elig & ~df["week"].isin(ads_weeks)
    w_all = df["sales"].where(m_all, 0.0)
    df["ads"] -= (
        w_all
        / w_all.groupby(df["week"]).transform("sum").replace(0, np.nan)
        * df["week"].map(shop).fillna(0)
    ).fillna(0)
    skup = ads[ads["sku_id"].notna()].groupby(["sku_id", "week"])["spend"].sum()
    m2 = elig & (df["traffic_source"] == "ads") & df["sku_id"].isin(skup.index.get_level_values(0))
    w2 = df["sales"].where(m2, 0.0)
    tot2 = w2.groupby([df["sku_id"], df["week"]]).transform("sum")
    key = pd.MultiIndex.from_arrays([df["sku_id"], df["week"]])
    spend2 = pd.Series(skup.reindex(key).to_numpy(), index=df.index).fillna(0)
    m3 = elig & df["sku_id"].isin(skup.index.get_level_values(0)) & (tot2 == 0)
    w3 = df["sales"].where(m3, 0.0)
    tot3 = w3.groupby([df["sku_id"], df["week"]]).transform("sum")
    df["ads"] -= (w2 / tot2.replace(0, np.nan) * spend2).fillna(0) + (
        w3 / tot3.replace(0, np.nan) * spend2
    ).fillna(0)
    df["ads"] = df["ads"].fillna(0)
    # pools with no sale in their week stay unallocated, charged to the SKU (or the shop)
    sold_weeks = df.loc[elig, ["sku_id", "week"]].drop_duplicates()
    orphan_sku = skup.reset_index().merge(
        sold_weeks, on=["sku_id", "week"], how="left", indicator=True
    )
    orphan_sku = orphan_sku[orphan_sku["_merge"] == "left_only"]
    orphan_shop = shop[~shop.index.isin(df.loc[elig, "week"].unique())].reset_index()
    overhead = pd.concat(
        [
            pd.DataFrame(
                {
                    "sku_id": orphan_sku["sku_id"],
                    "day": orphan_sku["week"].dt.date,
                    "ads": -orphan_sku["spend"],
                }
            ),
            pd.DataFrame(
                {"sku_id": None, "day": orphan_shop["week"].dt.date, "ads": -orphan_shop["spend"]}
            ),
        ]
    )
    # waterfall
    s = df["is_sample_order"]
    comp = pd.DataFrame({"sku_id": df["sku_id"], "day": df["day"]})
    comp["revenue"] = df["gross"] + df["rev_adj"] + df["ship_income"]
    comp["discounts"] = -df["sdisc"]
    comp["platform_fees"] = df["referral"] + df["ref_back"] + df["admin"]
    comp["commission"] = df["commission"] + df["claw"]
    comp["ads"] = df["ads"]
    comp["fulfilment"] = df["fbt"] + df["pick"]
    comp["shipping"] = df["ship_cost"]
    comp["returns"] = -df["refunds"] - df["ret_ship"] + df["handling"] + df["write_off"]
    comp["landed_cost"] = df["cogs"] + df["cogs_rev"]
    cols = list(GROUPS[:-2])
    comp["samples"] = np.where(s, comp[cols].sum(axis=1), 0.0)
    comp.loc[s, cols] = 0.0
    comp["margin"] = comp[list(GROUPS[:-1])].sum(axis=1)
    over = overhead.assign(**{g: 0.0 for g in GROUPS if g != "ads"})
    over["margin"] = over["ads"]
    comp = pd.concat([comp, over[["sku_id", "day", *GROUPS]]], ignore_index=True)
    out = comp.groupby(["sku_id", "day"], as_index=False, dropna=False)[list(GROUPS)].sum()
    _report(t0)
    return pl.from_pandas(out)


_CPU0 = 0.0


def _start() -> float:
    global _CPU0
    _CPU0 = time.process_time()
    return time.perf_counter()


def _report(t0: float) -> None:
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - _CPU0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    sys.stderr.write(
        json.dumps(
            {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak)}
        )
        + "\n"
    )


def _child(impl: str, folder: Path, out: Path) -> None:
    if impl == "generate":
        n, seed = (int(x) for x in out.name.split("_"))
        t0 = time.perf_counter()
        frames = generate(n, seed=seed)
        gen_s = time.perf_counter() - t0
        for name, df in frames.items():
            df.write_parquet(folder / f"{name}.parquet")
        sizes = {k: v.height for k, v in frames.items()}
        sys.stderr.write(json.dumps({"sizes": sizes, "seconds": round(gen_s, 2)}) + "\n")
        return
    table = run_quickturn(folder) if impl == "quickturn" else run_pandas(folder)
    if impl == "quickturn":
        table = table.with_columns([(pl.col(g).cast(pl.Float64) / 10_000) for g in GROUPS])
    table.select("sku_id", "day", *GROUPS).write_parquet(out)


def _spawn(impl: str, folder: Path) -> dict[str, object]:
    out = folder / f"result_{impl}.pq"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", impl, "--folder", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{impl} failed:\n{proc.stderr[-4000:]}")
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    stats["result"] = str(out)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--quick", action="store_true", help="20,000 lines (smoke test)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--child", choices=["generate", "quickturn", "pandas"])
    ap.add_argument("--folder")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        _child(args.child, Path(args.folder), Path(args.out))
        return
    n = 20_000 if args.quick else args.lines
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        folder = Path(tmp)
        # each step in its own process: ru_maxrss survives exec, so the parent stays small
        gen = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "generate",
                "--folder",
                tmp,
                "--out",
                f"{n}_{args.seed}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if gen.returncode != 0:
            raise RuntimeError(f"generator failed:\n{gen.stderr[-4000:]}")
        g = json.loads(gen.stderr.strip().splitlines()[-1])
        sizes, gen_s = g["sizes"], g["seconds"]
        q = _spawn("quickturn", folder)
        b = None if args.no_baseline else _spawn("pandas", folder)
        comparison: dict[str, object] = {}
        if b is not None:
            a = pl.read_parquet(str(q["result"]))
            c = pl.read_parquet(str(b["result"]))
            j = a.join(
                c, on=["sku_id", "day"], how="full", coalesce=True, suffix="_pd", nulls_equal=True
            ).fill_null(0)
            diffs = {
                g: float(j.select((pl.col(g) - pl.col(f"{g}_pd")).abs().max()).item())
                for g in GROUPS
            }
            comparison = {
                "cells": j.height,
                "max_abs_diff_usd": diffs,
                "total_margin_usd": round(float(a["margin"].sum()), 2),
                "total_margin_usd_pandas": round(float(c["margin"].sum()), 2),
            }
    report = {
        "benchmark": "ledger",
        "task": "order lines → contribution margin by SKU × day with every component (exact)",
        "inputs": {
            "order_lines": sizes["order_lines"],
            "generator": "quickturn.demo.bulk.bulk_order_lines + benchmarks/ledger_bench.py:generate",
            "seed": args.seed,
            "quick": args.quick,
        },
        "sizes": sizes,
        "generate_seconds": round(gen_s, 2),
        "quickturn": {k: q[k] for k in ("seconds", "cpu_seconds", "peak_rss_mb")},
        "baseline_pandas": None
        if b is None
        else {k: b[k] for k in ("seconds", "cpu_seconds", "peak_rss_mb")},
        "speedup_vs_pandas": None
        if b is None
        else round(float(b["seconds"]) / max(float(q["seconds"]), 1e-9), 2),
        "memory_ratio_vs_pandas": None
        if b is None
        else round(float(q["peak_rss_mb"]) / max(float(b["peak_rss_mb"]), 1e-9), 2),
        "comparison": comparison,
        "targets": {"seconds": 30, "peak_rss_mb": 4096},
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "when": datetime.now().isoformat(timespec="seconds"),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
