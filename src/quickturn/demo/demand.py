"""Demand, ads and the inventory simulation of the demo shop.

Data flow: catalog + content demand → intensity matrix λ[SKU, day] (baseline × weekly ×
season × lifecycle + content bursts + GMV Max ads) → Poisson demand → day-by-day inventory
simulation, vectorised over SKUs (the only loop is over days): sales are censored by stock
(no stock, no sales), a weekly review places purchase orders that ride pre-drawn sailings
(sea, sea-express, air) and arrive later → sales matrix, lost demand, end-of-day stock,
purchase-order events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from quickturn.demo.catalog import (
    INBOUND_ROUTES,
    STOCK_LOCATIONS,
    Catalog,
    lognormal_days,
    route_params,
)
from quickturn.demo.config import DemoConfig

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741

MODES = ("sea", "sea_express", "air")


@dataclass
class Sailings:
    """Pre-drawn departures per inbound route: day index of departure and arrival."""

    route_ids: list[str]
    dep: list[I]
    arr: list[I]


@dataclass
class Simulation:
    lam_base: F  # baseline + ads intensity (for attribution)
    lam_ads: F
    lam_content: F
    demand: I
    sales: I
    lost: I
    on_hand: I  # end-of-day stock (stocked SKUs; 0 for POD-only)
    stocked_from: I  # first day with stock records per SKU (days if never)
    po: pl.DataFrame  # events: sku, day, qty, route (index), sailing, ready, dep, arr
    sailings: Sailings
    ads: pl.DataFrame  # sku, day, spend_usd, impressions, clicks, campaign
    demand_gb: I  # (n, days) GB units (not stock-constrained)


def seasonality(cfg: DemoConfig, cat: Catalog) -> F:
    """Multiplier per (SKU, day): weekend lift and a Q4 peak (toys peak twice as much)."""
    st = cfg.story
    days = np.datetime64(cfg.start, "D") + np.arange(cfg.days)
    dow = (days.astype(np.int64) + 3) % 7  # Monday = 0
    week = np.where(dow >= 5, st.weekend_lift, 1.0)
    week = week / week.mean()
    md = (days - days.astype("datetime64[Y]")).astype(np.int64)  # day of year (0-based)
    # Black Friday → Christmas: a smooth bump centred on ~Dec 5, plus January slump
    q4 = np.exp(-0.5 * ((md - 338) / 14.0) ** 2)
    jan = np.where(md < 25, -0.12, 0.0)
    lift_toys = 1 + 2 * (st.q4_lift - 1) * q4 + jan
    lift = 1 + (st.q4_lift - 1) * q4 + jan
    out = np.where(cat.toy[:, None], lift_toys[None, :], lift[None, :]) * week[None, :]
    return np.asarray(out, dtype=np.float64)


def baseline(cfg: DemoConfig, cat: Catalog, rng: np.random.Generator) -> F:
    n, days = cat.n, cfg.days
    d = np.arange(days)[None, :]
    launch = cat.launch_day[:, None]
    alive = d >= launch
    trend = 1 + rng.uniform(-0.2, 0.35, n)[:, None] * (d / 365.0)
    a = cat.archetype[:, None]
    # dead SKUs: demand fades out within the first months of history (or its first half)
    end_hi = max(min(130, int(0.55 * days)), 12)
    dead_end = rng.integers(end_hi // 2, end_hi + 1, n)[:, None]
    dead_tau = np.minimum(rng.uniform(12, 30, n)[:, None], dead_end / 3)
    shape = np.where(
        a == "dead",
        2.0 * np.exp(-d / dead_tau) * (d < dead_end),
        np.where(a == "steady", trend, 1.0),
    )
    lam = cat.level[:, None] * shape * alive * seasonality(cfg, cat)
    return np.asarray(lam, dtype=np.float64)


def make_sailings(cfg: DemoConfig, routes: pl.DataFrame, rng: np.random.Generator) -> Sailings:
    params = route_params(routes)
    ids: list[str] = []
    deps: list[I] = []
    arrs: list[I] = []
    first, last = -420, cfg.days + 120
    for loc in STOCK_LOCATIONS:
        for mode in MODES:
            rid = INBOUND_ROUTES[loc][mode]
            step = 2 if mode == "air" else 7
            off = int(rng.integers(0, step))
            dep = np.arange(first + off, last, step, dtype=np.int64)
            mean, sd, mn = params[rid]
            transit = np.ceil(lognormal_days(rng, mean, sd, mn, dep.size)).astype(np.int64)
            ids.append(rid)
            deps.append(dep)
            arrs.append(dep + transit)
    return Sailings(ids, deps, arrs)


def _route_index(location: I, mode: I) -> I:
    return location * len(MODES) + mode


def ads_campaigns(
    cfg: DemoConfig, cat: Catalog, lam_base: F, rng: np.random.Generator
) -> tuple[F, pl.DataFrame]:
    """GMV Max campaigns on a share of live SKUs: extra demand and the daily spend."""
    st = cfg.story
    n, days = cat.n, cfg.days
    eligible = np.isin(cat.archetype, ["steady", "burst", "testing"]) & ~cat.pod_only
    on = eligible & (rng.random(n) < st.gmv_max_share)
    first = np.maximum(cat.launch_day, 0)
    c_start = first + rng.integers(0, max(days // 2, 1), n)
    c_len = rng.integers(30, 200, n)
    d = np.arange(days)[None, :]
    active = on[:, None] & (d >= c_start[:, None]) & (d < (c_start + c_len)[:, None])
    uplift = rng.uniform(*st.gmv_max_uplift, n)[:, None]
    lam_ads = np.where(active, lam_base * uplift + 0.1 * cfg.scale, 0.0)
    roas = rng.uniform(*st.gmv_max_roas, n)
    cpm = rng.uniform(6.0, 14.0, n)
    ctr = rng.uniform(0.008, 0.02, n)
    si, di = np.nonzero(active)
    expected_gmv = lam_ads[si, di] * cat.price[si] * 0.93
    spend = np.round(expected_gmv / roas[si] * rng.lognormal(0, 0.25, si.size), 2)
    impressions = np.round(spend / cpm[si] * 1000).astype(np.int64)
    clicks = rng.binomial(impressions, ctr[si])
    ads = pl.DataFrame(
        {"sku": si, "day": di, "spend": spend, "impressions": impressions, "clicks": clicks}
    )
    return np.asarray(lam_ads, dtype=np.float64), ads


def simulate(
    cfg: DemoConfig,
    cat: Catalog,
    content_demand: pl.DataFrame,
    content_demand_gb: pl.DataFrame,
    routes: pl.DataFrame,
    rng: np.random.Generator,
) -> Simulation:
    st = cfg.story
    n, days = cat.n, cfg.days
    lam_base = baseline(cfg, cat, rng)
    lam_content = np.zeros((n, days))
    if content_demand.height:
        cd = content_demand.filter(pl.col("day") < days)
        np.add.at(lam_content, (cd["sku"].to_numpy(), cd["day"].to_numpy()), cd["lam"].to_numpy())
    lam_content *= seasonality(cfg, cat) ** 0.5
    lam_ads, ads = ads_campaigns(cfg, cat, lam_base + lam_content, rng)
    lam = lam_base + lam_content + lam_ads
    demand = rng.poisson(lam).astype(np.int64)
    gb = np.zeros((n, days))
    if content_demand_gb.height:
        np.add.at(
            gb,
            (content_demand_gb["sku"].to_numpy(), content_demand_gb["day"].to_numpy()),
            content_demand_gb["lam"].to_numpy(),
        )
    demand_gb = rng.poisson(gb).astype(np.int64)

    sailings = make_sailings(cfg, routes, rng)
    stocked = cat.location >= 0
    loc = np.clip(cat.location, 0, None)
    params = route_params(routes)
    sea_lead = np.array([params[INBOUND_ROUTES[STOCK_LOCATIONS[k]]["sea"]][0] for k in loc])
    prod = cat.production_days.astype(np.int64)

    # --- initial stock and launch batches -----------------------------------------------------
    horizon = days + 1
    arrivals = np.zeros((n, horizon), dtype=np.int64)
    early = lam[:, : min(days, 30)].mean(axis=1)
    launch = cat.launch_day
    first_lam = np.array(
        [
            lam[i, max(launch[i], 0) : max(launch[i], 0) + 21].mean() if launch[i] < days else 0.0
            for i in range(n)
        ]
    )
    est = np.where(launch < 0, early, first_lam) * rng.lognormal(0, 0.3, n)
    est = np.maximum(est, 0.05)
    # dead SKUs were stocked for a peak that never came back: 1.8–3.5× what they will sell
    cover0 = np.where(
        cat.archetype == "dead",
        lam.sum(axis=1) * rng.uniform(*st.dead_stock_multiple, n) + 40,
        est * rng.uniform(25, 70, n),
    )
    on_hand = np.where(
        stocked & (launch < 0), np.ceil(cover0 / cat.case_pack) * cat.case_pack, 0
    ).astype(np.int64)
    # launch batches (SKUs launched during history): small air batches for tests, else sea
    events: list[dict[str, I]] = []
    lb = np.flatnonzero(stocked & (launch >= 0) & (launch < days))
    if lb.size:
        mode = np.where(cat.archetype[lb] == "testing", 2, 0)
        qty = np.maximum(
            np.ceil(est[lb] * np.where(mode == 2, 25, 50) / cat.case_pack[lb]) * cat.case_pack[lb],
            np.where(mode == 2, cat.case_pack[lb], cat.moq[lb]),
        ).astype(np.int64)
        ridx = _route_index(loc[lb], mode)
        sail = np.empty(lb.size, dtype=np.int64)
        arr = np.empty(lb.size, dtype=np.int64)
        dep = np.empty(lb.size, dtype=np.int64)
        for r in np.unique(ridx):
            m = ridx == r
            # the last sailing that arrives by launch day (arrivals sorted by a running max)
            a_sorted = np.maximum.accumulate(sailings.arr[r])
            k = np.searchsorted(a_sorted, launch[lb[m]], side="right") - 1
            k = np.clip(k, 0, a_sorted.size - 1)
            sail[m] = k
            dep[m] = sailings.dep[r][k]
            arr[m] = sailings.arr[r][k]
        ready = dep - 2
        ordered = ready - prod[lb]
        land = np.clip(arr, 0, None)
        np.add.at(arrivals, (lb, np.minimum(land, days)), qty)
        events.append(
            {
                "sku": lb,
                "day": ordered,
                "qty": qty,
                "route": ridx,
                "sailing": sail,
                "ready": ready,
                "dep": dep,
                "arr": arr,
            }
        )

    # --- the day loop (vectorised over SKUs) ------------------------------------------------
    sales = np.zeros((n, days), dtype=np.int64)
    stock = np.zeros((n, days), dtype=np.int64)
    vel = est.copy()
    on_order = np.zeros(n, dtype=np.int64)
    if lb.size:
        np.add.at(on_order, lb, events[0]["qty"])
    safety = rng.uniform(0.55, 1.3, n)  # some sellers cut it fine → stock-outs
    review_off = rng.integers(0, st.review_every_days, n)
    reorders = (cat.archetype != "dead") & stocked
    sail_len = np.array([a.size for a in sailings.dep], dtype=np.int64)
    sail_off = np.concatenate([[0], np.cumsum(sail_len)[:-1]]).astype(np.int64)
    all_dep = np.concatenate(sailings.dep)
    all_arr = np.concatenate(sailings.arr)
    for d in range(days):
        arr_today = arrivals[:, d]
        on_order -= arr_today
        avail = on_hand + arr_today
        dem = demand[:, d]
        s = np.where(stocked, np.minimum(dem, avail), dem)
        sales[:, d] = s
        in_stock = avail > 0
        on_hand = np.where(stocked, avail - s, 0)
        stock[:, d] = on_hand
        vel = np.where(in_stock & (d >= launch), vel + 0.12 * (s - vel), vel)
        review = reorders & ((d + review_off) % st.review_every_days == 0) & (d >= launch - 10)
        if not review.any():
            continue
        lead = prod + sea_lead
        position = on_hand + on_order
        rop = vel * (lead + st.review_every_days) * safety
        need = review & (position < rop) & (vel > 0.02)
        idx = np.flatnonzero(need)
        if idx.size == 0:
            continue
        target = vel[idx] * (lead[idx] + st.cover_days)
        q = np.ceil(np.maximum(target - position[idx], 1) / cat.case_pack[idx]) * cat.case_pack[idx]
        q = np.maximum(q, cat.moq[idx]).astype(np.int64)
        urgent = on_hand[idx] < vel[idx] * (prod[idx] + 14)
        mode = np.where(urgent, np.where(vel[idx] * cat.price[idx] > st.air_threshold_usd, 2, 1), 0)
        ridx = _route_index(loc[idx], mode)
        ready = d + prod[idx]
        sail = np.empty(idx.size, dtype=np.int64)
        for r in np.unique(ridx):
            m = ridx == r
            sail[m] = np.searchsorted(sailings.dep[r], ready[m] + 2)
        sail = np.minimum(sail, sail_len[ridx] - 1)
        flat = sail_off[ridx] + sail
        dep, arr = all_dep[flat], all_arr[flat]
        inside = arr < days
        np.add.at(arrivals, (idx[inside], arr[inside]), q[inside])
        on_order[idx] += q
        events.append(
            {
                "sku": idx,
                "day": np.full(idx.size, d),
                "qty": q,
                "route": ridx,
                "sailing": sail,
                "ready": ready,
                "dep": dep,
                "arr": arr,
            }
        )
    lost = demand - sales
    po = (
        pl.concat([pl.DataFrame(e) for e in events])
        if events
        else pl.DataFrame(
            schema={
                k: pl.Int64
                for k in ("sku", "day", "qty", "route", "sailing", "ready", "dep", "arr")
            }
        )
    )
    first_stock_day = np.where(launch < 0, 0, np.minimum(np.clip(launch, 0, None), days))
    stocked_from = np.where(stocked, first_stock_day, days)
    return Simulation(
        lam_base=lam_base,
        lam_ads=lam_ads,
        lam_content=lam_content,
        demand=demand,
        sales=sales,
        lost=lost,
        on_hand=stock,
        stocked_from=stocked_from.astype(np.int64),
        po=po,
        sailings=sailings,
        ads=ads,
        demand_gb=demand_gb,
    )
