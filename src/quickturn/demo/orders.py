"""Orders, order lines, returns and reviews of the demo shop, fully vectorised.

Data flow: sales matrix (US, stock-censored), GB demand, stock-out overflow and creator
sample requests → cells (SKU, day, shop, kind, units) → units (``np.repeat``) → lines (a unit
joins the previous unit's line with a small probability) → orders (neighbouring lines of the
same day and warehouse pair up) → timestamps (time of day, dispatch, carrier scan, transit by
route), SLA deadlines (US business days), statuses as of the as-of day, prices, discounts,
tax, shipping → returns (reason, fault, disposition) and reviews (ratings calibrated on
Olist: late deliveries get far more 1–2★).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from quickturn.demo.calendar import (
    business_day_offset,
    london_offset_hours,
    pacific_offset_hours,
    us_federal_holidays,
)
from quickturn.demo.catalog import (
    CN_WH,
    LAST_MILE,
    POD,
    STOCK_LOCATIONS,
    Catalog,
    lognormal_days,
    route_params,
)
from quickturn.demo.config import DemoConfig
from quickturn.demo.content import Content
from quickturn.demo.demand import Simulation
from quickturn.demo.text import RETURN_REASONS, REVIEW_TEXT

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741
B = npt.NDArray[np.bool_]

# Review ratings calibrated on the Olist sample (../shared/data/olist): delivered orders with a
# review, late = delivered after the estimated delivery date (calendar day).  Counts of
# 1..5★ for the first review per order: on time [897, 361, 1127, 2764, 8368] (13,517 orders),
# late [496, 80, 110, 93, 152] (931 orders).  P(1–2★) = 0.0931 on time vs 0.6187 late; mean
# 4.28★ vs 2.27★.  tests/test_demo_story.py recomputes these from Olist when it is present.
OLIST_STARS_ON_TIME = (0.06636, 0.02671, 0.08338, 0.20449, 0.61907)
OLIST_STARS_LATE = (0.53276, 0.08593, 0.11815, 0.09989, 0.16327)
OLIST_P_NEG_ON_TIME = 0.0931
OLIST_P_NEG_LATE = 0.6187

#: order-time weights by local hour (evening peak of TikTok shopping)
HOUR_WEIGHTS = np.array(
    [
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.4,
        0.8,
        1.2,
        1.5,
        1.7,
        1.8,
        1.9,
        2.0,
        2.0,
        1.9,
        1.9,
        2.0,
        2.3,
        2.7,
        3.0,
        3.2,
        3.0,
        2.4,
        1.6,
    ]
)
US_TAX_RATES = np.array([0.0, 0.0625, 0.07, 0.0725, 0.08, 0.0875, 0.095])
US_TAX_WEIGHTS = np.array([0.1, 0.2, 0.2, 0.15, 0.15, 0.1, 0.1])

TRAFFIC = ("video", "live", "affiliate", "ads", "organic", "search", "showcase", "other")
# cell kinds
SALE, OVERSOLD, SAMPLE = 0, 1, 2
# location codes used for orders: 0..2 = STOCK_LOCATIONS, 3 = POD partner, 4 = CN (GB direct)
LOC_IDS = (*STOCK_LOCATIONS, POD, CN_WH)
CARRIERS = {
    0: ("USPS", "UPS", "FedEx"),
    1: ("USPS", "UPS", "FedEx"),
    2: ("TikTok Shipping",),
    3: ("USPS",),
    4: ("Yanwen", "4PX", "Royal Mail"),
}
US_S = np.int64(1_000_000)


@dataclass
class OrderData:
    frames: dict[str, pl.DataFrame]
    #: one row per order line with internal columns used by the finance generator
    lines: pl.DataFrame


def _us(dt64: npt.NDArray[np.datetime64]) -> pl.Series:
    return pl.Series(dt64.astype("datetime64[us]"))


def build_orders(
    cfg: DemoConfig,
    cat: Catalog,
    sim: Simulation,
    content: Content,
    rng: np.random.Generator,
) -> OrderData:
    st = cfg.story
    days = cfg.days
    start = np.datetime64(cfg.start, "D")

    # --- cells: (sku, day, shop, kind, units) -------------------------------------------------
    si, di = np.nonzero(sim.sales)
    cnt = sim.sales[si, di]
    oi, odi = np.nonzero((sim.sales > 0) & (sim.lost > 0))
    ocnt = np.minimum(rng.binomial(sim.lost[oi, odi], st.stockout_cancel_share), 6)
    gi, gdi = np.nonzero(sim.demand_gb)
    gcnt = sim.demand_gb[gi, gdi]
    # creator sample orders: one unit of the featured SKU, 5–20 days before each creator post
    info = content.info
    cp = info.filter(pl.col("kind") == "creator_post")
    cp_rows = cp["c"].to_numpy()
    cs = content.frames["content_skus"]
    sku_index = {s: i for i, s in enumerate(cat.sku_id.tolist())}
    prim = (
        pl.DataFrame({"content_id": cp["content_id"]})
        .join(
            cs.unique(subset="content_id", keep="first", maintain_order=True),
            on="content_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.col("sku_id")
            .replace_strict(sku_index, default=-1, return_dtype=pl.Int64)
            .alias("sku")
        )
    )
    post_day = (
        content.frames["content"]
        .filter(pl.col("kind") == "creator_post")
        .select((pl.col("posted_at").dt.date() - pl.lit(cfg.start)).dt.total_days().alias("d"))["d"]
        .to_numpy()
    )
    sday = post_day - rng.integers(
        st.sample_lead_days[0], st.sample_lead_days[1] + 1, post_day.size
    )
    psku = prim["sku"].to_numpy()
    sample_ok = (sday >= 0) & (psku >= 0)
    # a sample ships from stock: none while the SKU is out of stock
    stocked = cat.location[np.clip(psku, 0, None)] >= 0
    in_stock = sim.on_hand[np.clip(psku, 0, None), np.clip(sday, 0, days - 1)] > 0
    sample_ok &= ~stocked | in_stock
    smp_sku = prim["sku"].to_numpy()[sample_ok]
    smp_day = sday[sample_ok]
    smp_c = cp_rows[sample_ok]

    cell_sku = np.concatenate([si, oi, gi, smp_sku]).astype(np.int64)
    cell_day = np.concatenate([di, odi, gdi, smp_day]).astype(np.int64)
    cell_shop = np.concatenate(
        [
            np.zeros(si.size + oi.size, np.int64),
            np.ones(gi.size, np.int64),
            np.zeros(smp_sku.size, np.int64),
        ]
    )
    cell_kind = np.concatenate(
        [
            np.full(si.size, SALE),
            np.full(oi.size, OVERSOLD),
            np.full(gi.size, SALE),
            np.full(smp_sku.size, SAMPLE),
        ]
    ).astype(np.int64)
    cell_cnt = np.concatenate([cnt, ocnt, gcnt, np.ones(smp_sku.size, np.int64)]).astype(np.int64)
    cell_c = np.concatenate([np.full(si.size + oi.size + gi.size, -1), smp_c]).astype(np.int64)
    keep = cell_cnt > 0
    cell_sku, cell_day, cell_shop, cell_kind, cell_cnt, cell_c = (
        a[keep] for a in (cell_sku, cell_day, cell_shop, cell_kind, cell_cnt, cell_c)
    )

    # --- units → lines ----------------------------------------------------------------------
    unit_cell = np.repeat(np.arange(cell_cnt.size), cell_cnt)
    first_unit = np.zeros(unit_cell.size, dtype=bool)
    first_unit[np.cumsum(cell_cnt) - cell_cnt] = True
    new_line = first_unit | (rng.random(unit_cell.size) >= st.p_unit_continues_line)
    new_line |= cell_kind[unit_cell] == SAMPLE
    line_of_unit = np.cumsum(new_line) - 1
    line_cell = unit_cell[new_line]
    qty = np.bincount(line_of_unit).astype(np.int64)
    L = line_cell.size
    l_sku = cell_sku[line_cell]
    l_day = cell_day[line_cell]
    l_shop = cell_shop[line_cell]
    l_kind = cell_kind[line_cell]
    l_c = cell_c[line_cell]
    l_loc = np.where(l_shop == 1, 4, np.where(cat.location[l_sku] < 0, 3, cat.location[l_sku]))

    # --- lines → orders: pair neighbouring lines of the same day, warehouse and kind ----------
    r1 = rng.random(L)
    order = np.lexsort((r1, l_kind, l_loc, l_day, l_shop))
    l_sku, l_day, l_shop, l_kind, l_loc, l_c, qty = (
        a[order] for a in (l_sku, l_day, l_shop, l_kind, l_loc, l_c, qty)
    )
    key_change = np.ones(L, dtype=bool)
    if L > 1:
        key_change[1:] = (
            (l_shop[1:] != l_shop[:-1])
            | (l_day[1:] != l_day[:-1])
            | (l_loc[1:] != l_loc[:-1])
            | (l_kind[1:] != l_kind[:-1])
        )
    gstart = np.maximum.accumulate(np.where(key_change, np.arange(L), 0))
    rank = np.arange(L) - gstart
    prev_sku = np.concatenate([[-1], l_sku[:-1]])
    merge = (
        (rank % 2 == 1)
        & (rng.random(L) < st.p_two_line_order)
        & (l_sku != prev_sku)
        & (l_kind != SAMPLE)
    )
    l_order = np.cumsum(~merge) - 1
    NO = int(l_order[-1]) + 1 if L else 0
    head = np.flatnonzero(~merge)
    o_shop, o_day, o_loc, o_kind = l_shop[head], l_day[head], l_loc[head], l_kind[head]
    o_lines = np.bincount(l_order, minlength=NO)
    o_units = np.bincount(l_order, weights=qty, minlength=NO).astype(np.int64)

    # --- attribution ------------------------------------------------------------------------
    lam_c = sim.lam_content[l_sku, l_day]
    lam_a = sim.lam_ads[l_sku, l_day]
    lam_t = sim.lam_base[l_sku, l_day] + lam_c + lam_a
    p_c = np.where(lam_t > 0, lam_c / np.maximum(lam_t, 1e-12), 0.0)
    p_a = np.where(lam_t > 0, lam_a / np.maximum(lam_t, 1e-12), 0.0)
    u = rng.random(L)
    us_line = l_shop == 0
    is_c = us_line & (u < p_c) & (l_kind != SAMPLE)
    is_a = us_line & ~is_c & (u < p_c + p_a) & (l_kind != SAMPLE)
    # the content that drove most of a (SKU, day)'s demand (dense lookup, no join)
    cd = content.demand.filter(pl.col("day") < days)
    key = cd["sku"].to_numpy() * days + cd["day"].to_numpy()
    order_k = np.lexsort((cd["lam"].to_numpy(), key))
    last = np.ones(order_k.size, dtype=bool)
    last[:-1] = key[order_k][1:] != key[order_k][:-1]
    top_dense = np.full(cat.n * days, -1, dtype=np.int64)
    top_dense[key[order_k][last]] = cd["c"].to_numpy()[order_k][last]
    top_c = top_dense[l_sku * days + l_day]
    del cd, key, order_k, last, top_dense
    is_c &= top_c >= 0
    attr_c = np.where(l_kind == SAMPLE, l_c, np.where(is_c, top_c, -1))
    ckind = info["kind"].to_numpy().astype(str)
    ccreator_null = info["creator_id"].is_null().to_numpy()
    crate = info["commission_rate"].to_numpy()
    has_c = attr_c >= 0
    ac = np.clip(attr_c, 0, None)
    kind_code = np.select(
        [ckind == "video", ckind == "live", ckind == "creator_post"], [0, 1, 2], 7
    )
    # traffic codes index TRAFFIC: video, live, affiliate, ads, organic, search, showcase, other
    organic = 4 + rng.choice(3, L, p=[0.45, 0.3, 0.25])
    traffic_code = np.where(
        l_kind == SAMPLE, 2, np.where(is_c, kind_code[ac], np.where(is_a, 3, organic))
    )
    traffic = _pick(TRAFFIC, traffic_code)
    ad_ids = pl.select(pl.lit("AD-") + pl.Series(cat.sku_id)).to_series()
    content_id = pl.select(
        pl.when(pl.Series(has_c))
        .then(info["content_id"].gather(ac))
        .when(pl.Series(is_a))
        .then(ad_ids.gather(l_sku))
    ).to_series()
    has_creator = has_c & ~ccreator_null[ac]
    creator = _masked_series(info["creator_id"].gather(ac), has_creator)
    comm = np.where(has_creator, crate[ac].astype(np.float64), np.nan)
    comm = np.where(l_kind == SAMPLE, np.nan, comm)

    # --- timestamps ----------------------------------------------------------------------------
    o_date = start + o_day
    hour = rng.choice(24, NO, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    secs = hour * 3600 + rng.integers(0, 3600, NO)
    off_us = pacific_offset_hours(o_date)
    off_gb = london_offset_hours(o_date)
    off = np.where(o_shop == 1, off_gb, off_us)
    local = o_date.astype("datetime64[s]") + secs
    created = local + (off * 3600).astype("timedelta64[s]")
    paid = created + rng.integers(5, 900, NO).astype("timedelta64[s]")
    years = range(cfg.start.year - 1, cfg.as_of.year + 2)
    hol = us_federal_holidays(years.start, years.stop)
    pod = o_loc == 3
    gb = o_shop == 1
    rts_bd = np.where(pod, 5, np.where(gb, 3, 2))
    dlv_bd = np.where(pod, 10, np.where(gb, 12, 6))

    def end_of_local_day(n_bd: I) -> npt.NDArray[np.datetime64]:
        out = np.empty(NO, dtype="datetime64[D]")
        for k in np.unique(n_bd):
            m = n_bd == k
            out[m] = business_day_offset(o_date[m], int(k), hol)
        o = np.where(gb, london_offset_hours(out), pacific_offset_hours(out))
        return out.astype("datetime64[s]") + (86399 + o * 3600).astype("timedelta64[s]")

    rts_sla = end_of_local_day(rts_bd)
    ship_due = end_of_local_day(rts_bd + 1)
    dlv_sla = end_of_local_day(dlv_bd)
    auto_cancel = end_of_local_day(np.where(pod, 9, 7))

    med = np.select(
        [o_loc == 2, o_loc == 4, o_loc == 3],
        [st.dispatch_hours_fbt[0], st.dispatch_hours_cn[0], st.pod_lead_time_days * 24],
        st.dispatch_hours_3pl[0],
    )
    sig = np.select(
        [o_loc == 2, o_loc == 4, o_loc == 3],
        [st.dispatch_hours_fbt[1], st.dispatch_hours_cn[1], 0.25],
        st.dispatch_hours_3pl[1],
    )
    hours = med * np.exp(sig * rng.standard_normal(NO))
    b0, blen, bextra = st.backlog
    in_backlog = (o_loc == 1) & (o_day >= days - b0) & (o_day < days - b0 + blen)
    hours = hours + np.where(in_backlog, bextra * rng.uniform(0.6, 1.6, NO), 0.0)
    hours = hours + np.where((o_loc <= 1) & (rng.random(NO) < 0.015), rng.uniform(24, 60, NO), 0.0)
    rts = paid + (hours * 3600).astype("timedelta64[s]")
    # warehouses (not FBT) do not ship at weekends: Saturday/Sunday work moves to Monday
    rts_local_day = (rts - (off * 3600).astype("timedelta64[s]")).astype("datetime64[D]")
    wd = (rts_local_day.astype(np.int64) + 3) % 7
    shift = np.where((o_loc != 2) & (wd >= 5), 7 - wd, 0)
    rts = rts + (shift * 86400).astype("timedelta64[s]")
    scan_h = st.carrier_scan_hours[0] * np.exp(st.carrier_scan_hours[1] * rng.standard_normal(NO))
    shipped = rts + (scan_h * 3600).astype("timedelta64[s]")
    params = route_params(cat.frames["routes"])
    transit = np.empty(NO)
    for code in range(5):
        m = o_loc == code
        if m.any():
            mean, sd, mn = params[LAST_MILE[LOC_IDS[code]]]
            transit[m] = lognormal_days(rng, mean, sd, mn, int(m.sum()))
    s0, slen, sextra = st.storm
    ship_day = (
        (shipped - np.datetime64(cfg.start, "D").astype("datetime64[s]"))
        .astype("timedelta64[D]")
        .astype(np.int64)
    )
    in_storm = (o_shop == 0) & (ship_day >= days - s0) & (ship_day < days - s0 + slen)
    transit = transit + np.where(in_storm, sextra * rng.uniform(0.5, 1.5, NO), 0.0)
    delivered = shipped + (transit * 86400).astype("timedelta64[s]")

    # --- cancellations ---------------------------------------------------------------------------
    nat = np.datetime64("NaT", "s")
    buyer_cancel = (o_kind == SALE) & (rng.random(NO) < st.buyer_cancel_rate)
    oversold = o_kind == OVERSOLD
    system_cancel = (o_kind == SALE) & ~buyer_cancel & (shipped > auto_cancel)
    cancelled = np.where(
        buyer_cancel,
        created
        + (np.minimum(rng.uniform(0.1, 12, NO), hours * 0.8) * 3600).astype("timedelta64[s]"),
        np.where(
            oversold,
            created + (rng.uniform(2, 30, NO) * 3600).astype("timedelta64[s]"),
            np.where(system_cancel, auto_cancel, nat),
        ),
    )
    is_cancel = buyer_cancel | oversold | system_cancel
    never_ship = buyer_cancel | oversold | system_cancel
    rts = np.where(never_ship & ~system_cancel, nat, rts)
    rts = np.where(system_cancel, nat, rts)
    shipped = np.where(never_ship, nat, shipped)
    delivered = np.where(never_ship, nat, delivered)

    # --- as-of cut: later events have not happened yet -----------------------------------------
    asof = np.datetime64(cfg.as_of, "D")
    cut_us = asof.astype("datetime64[s]") + np.timedelta64(
        int(pacific_offset_hours(np.array([asof]))[0]) * 3600, "s"
    )
    cut_gb = asof.astype("datetime64[s]") + np.timedelta64(
        int(london_offset_hours(np.array([asof]))[0]) * 3600, "s"
    )
    cut = np.where(gb, cut_gb, cut_us)

    def clip(a: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
        return np.where(a > cut, nat, a)

    cancelled = clip(cancelled)
    is_cancel &= ~np.isnat(cancelled)
    rts, shipped, delivered = clip(rts), clip(shipped), clip(delivered)
    completed_cut = delivered + np.timedelta64(7 * 86400, "s")
    status_code = np.select(
        [
            is_cancel,
            np.isnat(shipped) & np.isnat(rts),
            np.isnat(shipped),
            np.isnat(delivered),
            completed_cut > cut,
        ],
        [0, 1, 2, 3, 4],
        5,
    )
    status = _pick(
        (
            "CANCELLED",
            "AWAITING_SHIPMENT",
            "AWAITING_COLLECTION",
            "IN_TRANSIT",
            "DELIVERED",
            "COMPLETED",
        ),
        status_code,
    )
    cancel_code = np.select([buyer_cancel, oversold, system_cancel], [0, 1, 2], 0)
    cancel_initiator_s = _masked_series(
        _pick(("BUYER", "SELLER", "SYSTEM"), cancel_code), is_cancel
    )
    cancel_reason_s = _masked_series(
        _pick(
            ("No longer needed", "Out of stock", "Not shipped in time (auto-cancelled)"),
            cancel_code,
        ),
        is_cancel,
    )
    cancel_fault_s = _masked_series(_pick(("buyer", "seller", "seller"), cancel_code), is_cancel)

    # --- prices ---------------------------------------------------------------------------------
    price_usd = cat.price[l_sku]
    price_gb = np.floor(price_usd * st.gbp_per_usd) + 0.99
    unit_c = np.round(np.where(l_shop == 1, price_gb, price_usd) * 100).astype(np.int64)
    before = unit_c * qty
    q4 = np.isin((start + l_day).astype("datetime64[M]").astype(np.int64) % 12, [10, 11])
    promo = rng.random(L) < st.seller_promo_share * np.where(q4, 1.6, 1.0)
    sd = np.where(promo, np.round(before * rng.choice(np.array([0.10, 0.15, 0.20]), L)), 0).astype(
        np.int64
    )
    coupon = (rng.random(L) < st.platform_coupon_share) & (l_shop == 0)
    pd_ = np.where(coupon, np.round(before * rng.uniform(0.05, 0.15, L)), 0).astype(np.int64)
    sample_l = l_kind == SAMPLE
    sd = np.where(sample_l, before, sd)
    pd_ = np.where(sample_l, 0, pd_)
    after = before - sd - pd_
    tax_rate_o = np.where(
        o_shop == 1,
        st.gb_vat_rate,
        US_TAX_RATES[rng.choice(US_TAX_RATES.size, NO, p=US_TAX_WEIGHTS)],
    )
    tax_l = np.round(after * tax_rate_o[l_order]).astype(np.int64)
    o_after = np.bincount(l_order, weights=after, minlength=NO).round().astype(np.int64)
    o_tax = np.bincount(l_order, weights=tax_l, minlength=NO).round().astype(np.int64)
    threshold = np.where(o_shop == 1, 2500, int(st.free_shipping_threshold_usd * 100))
    ship_orig = np.where(
        (o_after < threshold) & (o_kind != SAMPLE),
        np.where(o_shop == 1, 299, int(st.buyer_shipping_fee_usd * 100)),
        0,
    )
    us_ship = rng.random(NO)
    ship_pd = np.where(us_ship < 0.35, ship_orig, 0)
    ship_sd = np.where((us_ship >= 0.35) & (us_ship < 0.45), ship_orig, 0)
    ship_fee = ship_orig - ship_pd - ship_sd
    amount = o_after + ship_fee + o_tax

    # --- order ids: sortable by time, TikTok-like 18 digits ----------------------------------
    o_sort = np.argsort(created, kind="stable")
    o_rank = np.empty(NO, dtype=np.int64)
    o_rank[o_sort] = np.arange(NO)
    o_num = (
        np.where(o_shop == 1, 579_000_000_000_000_000, 576_000_000_000_000_000) + o_rank * 7919 + 13
    )
    order_id = pl.Series("order_id", o_num).cast(pl.String)
    carrier_names = [c for names in CARRIERS.values() for c in names]
    carrier_off = np.cumsum([0] + [len(v) for v in CARRIERS.values()])[:-1]
    carrier_len = np.array([len(v) for v in CARRIERS.values()])
    carrier = _pick(carrier_names, carrier_off[o_loc] + rng.integers(0, 3, NO) % carrier_len[o_loc])
    has_track = ~np.isnat(shipped)
    tracking = pl.Series(rng.integers(10**11, 10**12, NO) * 1000 + o_rank % 1000).cast(pl.String)
    tracking = pl.select(pl.when(pl.Series(has_track)).then(pl.lit("TT") + tracking)).to_series()
    tracking_valid = _masked(
        ~((o_loc != 2) & (rng.random(NO) < st.invalid_tracking_rate)), has_track
    )
    shop_ids = cat.frames["shops"]["shop_id"].gather(o_shop)
    route_ids = _pick([LAST_MILE[x] for x in LOC_IDS], o_loc)
    sku_ids = pl.Series(cat.sku_id).gather(l_sku)

    orders = pl.DataFrame(
        {
            "order_id": order_id,
            "shop_id": shop_ids,
            "market": _pick(("US", "GB"), o_shop),
            "currency": _pick(("USD", "GBP"), o_shop),
            "status": status,
            "order_type": _pick(("regular", "made_to_order"), pod.astype(np.int64)),
            "created_at": _us(created),
            "paid_at": _us(paid),
            "rts_at": _us(rts),
            "shipped_at": _us(shipped),
            "delivered_at": _us(delivered),
            "cancelled_at": _us(cancelled),
            "rts_sla_at": _us(rts_sla),
            "shipping_due_at": _us(ship_due),
            "delivery_sla_at": _us(dlv_sla),
            "fulfillment_type": _pick(
                ("FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK"), (o_loc == 2).astype(np.int64)
            ),
            "warehouse_id": _pick(LOC_IDS, o_loc),
            "route_id": route_ids,
            "carrier": carrier,
            "tracking_id": tracking,
            "tracking_valid": tracking_valid,
            "shipping_fee": _money(ship_fee),
            "shipping_fee_seller_discount": _money(ship_sd),
            "shipping_fee_platform_discount": _money(ship_pd),
            "tax": _money(o_tax),
            "order_amount": _money(amount),
            "is_sample_order": o_kind == SAMPLE,
            "cancel_initiator": cancel_initiator_s,
            "cancel_reason": cancel_reason_s,
            "cancel_fault": cancel_fault_s,
            "operating_model": _pick(("self_operated",), np.zeros(NO, dtype=np.int64)),
        }
    )
    line_order_id = order_id.gather(l_order)
    order_lines = pl.DataFrame(
        {
            "order_id": line_order_id,
            "sku_id": sku_ids,
            "quantity": qty,
            "unit_price": _money(unit_c),
            "subtotal_before_discount": _money(before),
            "seller_discount": _money(sd),
            "platform_discount": _money(pd_),
            "subtotal_after_discount": _money(after),
            "tax": _money(tax_l),
            "traffic_source": traffic,
            "content_id": content_id,
            "creator_id": creator,
            "commission_rate": pl.Series(comm).fill_nan(None).round(6).cast(pl.Decimal(12, 6)),
        }
    )

    # --- internal line frame for returns, reviews and settlement --------------------------------
    lo = l_order
    first_line = np.zeros(L, dtype=bool)
    first_line[head] = True
    lines = pl.DataFrame(
        {
            "i": np.arange(L),
            "order_id": line_order_id,
            "sku": l_sku,
            "sku_id": sku_ids,
            "shop": l_shop,
            "kind": l_kind,
            "loc": l_loc,
            "day": l_day,
            "qty": qty,
            "after_c": after,
            "pd_c": pd_,
            "tax_c": tax_l,
            "ship_fee_c": np.where(first_line, ship_fee[lo], 0),
            "ship_pd_c": np.where(first_line, ship_pd[lo], 0),
            "first_line": first_line,
            "order_units": o_units[lo],
            "order_lines": o_lines[lo],
            "comm": pl.Series(comm).fill_nan(None),
            "cancelled": is_cancel[lo],
            "created": _us(created[lo]),
            "shipped": _us(shipped[lo]),
            "delivered": _us(delivered[lo]),
            "dlv_sla": _us(dlv_sla[lo]),
            "cut": _us(cut[lo]),
        }
    )
    return OrderData(frames={"orders": orders, "order_lines": order_lines}, lines=lines)


def add_returns_reviews(
    cfg: DemoConfig, cat: Catalog, od: OrderData, rng: np.random.Generator
) -> None:
    """Add the ``returns`` and ``reviews`` frames (after ``build_orders`` freed its arrays)."""
    od.frames["returns"], od.frames["reviews"] = _returns_reviews(cfg, cat, od.lines, rng)


def _masked(values: npt.NDArray[np.generic], mask: npt.NDArray[np.bool_]) -> pl.Series:
    """``values`` where ``mask`` holds, null elsewhere."""
    return pl.select(pl.when(pl.Series(mask)).then(pl.Series(values))).to_series()


def _pick(names: tuple[str, ...] | list[str], codes: npt.NDArray[np.integer]) -> pl.Series:
    """Strings by integer code (fast: no NumPy unicode arrays)."""
    return pl.Series(list(names), dtype=pl.String).gather(np.asarray(codes, dtype=np.int64))


def _masked_series(values: pl.Series, mask: npt.NDArray[np.bool_]) -> pl.Series:
    return pl.select(pl.when(pl.Series(mask)).then(values)).to_series()


def _ids(prefix: str, k: int) -> pl.Series:
    """``PREFIX00000001`` … as a String series (vectorised)."""
    return pl.select(
        pl.lit(prefix) + pl.Series(np.arange(1, k + 1, dtype=np.int64)).cast(pl.String).str.zfill(8)
    ).to_series()


def _money(cents: npt.NDArray[np.int64] | npt.NDArray[np.float64]) -> pl.Series:
    """Integer cents → exact DECIMAL(18,4) amounts."""
    return pl.Series(np.asarray(cents, dtype=np.int64)).cast(pl.Decimal(18, 4)) / 100


def _returns_reviews(
    cfg: DemoConfig, cat: Catalog, lines: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    st = cfg.story
    dl = lines.filter(pl.col("delivered").is_not_null() & (pl.col("kind") == SALE))
    m = dl.height
    sku = dl["sku"].to_numpy()
    late = (dl["delivered"] > dl["dlv_sla"]).to_numpy()
    delivered = dl["delivered"].to_numpy().astype("datetime64[s]")
    cut = dl["cut"].to_numpy().astype("datetime64[s]")
    # --- returns ----------------------------------------------------------------------------
    p_ret = cat.return_rate[sku] * np.where(late, 1.8, 1.0)
    is_ret = rng.random(m) < p_ret
    idx = np.flatnonzero(is_ret)
    k = idx.size
    s = sku[idx]
    apparel = cat.category[s] == "apparel"
    seller_share = cat.defect_share[s] * np.where(cat.quality_bad[s], 1.5, 1.0)
    u = rng.random(k)
    logistics = np.where(late[idx], 0.35, 0.05)
    # reasons: 0–2 buyer, 3–5 seller, 6–7 logistics
    reason = np.where(
        u < seller_share,
        3 + rng.choice(3, k, p=[0.5, 0.3, 0.2]),
        np.where(
            u < seller_share + logistics,
            np.where(late[idx], 7, 6),
            np.where(apparel, 0, 1 + rng.choice(2, k, p=[0.7, 0.3])),
        ),
    )
    rr = np.array(RETURN_REASONS, dtype=object)
    req = delivered[idx] + (np.clip(rng.exponential(4.0, k), 0.05, 29.0) * 86400).astype(
        "timedelta64[s]"
    )
    rtype = rr[reason, 2].astype(str)
    done_days = np.where(
        rtype == "refund_only", rng.uniform(0.3, 2.0, k), rng.uniform(4.0, 12.0, k)
    )
    comp = req + (done_days * 86400).astype("timedelta64[s]")
    ok = req <= cut[idx]
    completed = comp <= cut[idx]
    comp = np.where(completed, comp, np.datetime64("NaT", "s"))
    after = dl["after_c"].to_numpy()[idx]
    tax = dl["tax_c"].to_numpy()[idx]
    refund = np.where(rtype == "replacement", 0, after + tax)
    fault = rr[reason, 1].astype(str)
    label = np.where(
        (rtype == "return_refund") & (fault != "buyer"),
        np.round(rng.uniform(5.0, 8.5, k) * 100),
        0,
    ).astype(np.int64)
    disp = np.where(completed, rr[reason, 3].astype(str), "pending")
    shop = dl["shop"].to_numpy()[idx]
    returns = pl.DataFrame(
        {
            "return_id": _ids("RET-", k),
            "order_id": dl["order_id"].gather(idx),
            "sku_id": dl["sku_id"].gather(idx),
            "quantity": dl["qty"].gather(idx),
            "return_type": rtype,
            "reason": rr[reason, 0].astype(str),
            "fault": fault,
            "status": np.where(completed, "completed", "approved"),
            "requested_at": _us(req),
            "completed_at": _us(comp),
            "currency": np.where(shop == 1, "GBP", "USD"),
            "refund_amount": _money(refund),
            "return_shipping_cost": _money(label),
            "disposition": disp,
        }
    ).filter(pl.Series(ok))
    # --- reviews: ratings from the Olist-calibrated distributions ------------------------------
    has_rev = (rng.random(m) < st.review_rate) & dl["first_line"].to_numpy()
    ridx = np.flatnonzero(has_rev)
    rl = late[ridx]
    cdf_on = np.cumsum(OLIST_STARS_ON_TIME)
    cdf_late = np.cumsum(OLIST_STARS_LATE)
    uu = rng.random(ridx.size)
    stars = (
        np.where(
            rl,
            np.searchsorted(cdf_late / cdf_late[-1], uu),
            np.searchsorted(cdf_on / cdf_on[-1], uu),
        )
        + 1
    )
    bad = cat.quality_bad[sku[ridx]] & (rng.random(ridx.size) < 0.35)
    stars = np.clip(np.where(bad, stars - 2, stars), 1, 5).astype(np.int64)
    rcreated = delivered[ridx] + ((rng.exponential(3.0, ridx.size) + 0.25) * 86400).astype(
        "timedelta64[s]"
    )
    rok = rcreated <= cut[ridx]
    pick = rng.integers(0, 1000, ridx.size)
    texts = np.empty(ridx.size, dtype=object)
    for star in range(1, 6):
        mm = stars == star
        opts = np.array(REVIEW_TEXT[star], dtype=object)
        texts[mm] = opts[pick[mm] % opts.size]
    reviews = pl.DataFrame(
        {
            "review_id": _ids("RV-", ridx.size),
            "order_id": dl["order_id"].gather(ridx),
            "sku_id": dl["sku_id"].gather(ridx),
            "rating": stars,
            "created_at": _us(rcreated),
            "text": pl.Series(texts, dtype=pl.String),
        }
    ).filter(pl.Series(rok))
    return returns, reviews
