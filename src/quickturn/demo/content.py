"""Content of the demo shop: own videos, creator posts, LIVE sessions and GMV Max ads, their
daily metrics and the demand they drive.

Data flow: catalog arrays → content arrays (one row per piece of content) → long metrics
(content × day since posting, vectorised with ``np.repeat``) → ``content_metrics`` frame and
the content-driven demand intensity per (SKU, day) = views × the SKU's conversion rate.

Burst shape of a post's daily views, t = days since posting::

    rise(t)  = 1 − exp(−(t + 1) / 0.8)
    decay(t) = exp(−t / τ)                (exponential kernel)
             = (1 + t / c) ** (−α)        (power-law kernel, long tail)
    views(t) = V · rise(t) · decay(t) / Σ_t rise·decay · noise
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from quickturn.demo.catalog import GB_SHOP, US_SHOP, Catalog
from quickturn.demo.config import DemoConfig
from quickturn.demo.text import (
    LIVE_PROMO_RISKY,
    LIVE_TITLES,
    SCRIPT_TEMPLATE,
    SCRIPTS_OK,
    SCRIPTS_RISKY_EN,
    SCRIPTS_RISKY_ZH,
    TEMPLATE_MARKETS,
)

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741

KINDS = ("video", "creator_post", "live", "ad")


@dataclass
class Content:
    """One row per piece of content (arrays) plus the long content→SKU demand frame."""

    frames: dict[str, pl.DataFrame]
    #: long frame: sku (int), day (int), lam (float), content (int), kind (str) — US shop only
    demand: pl.DataFrame
    #: same for the GB shop
    demand_gb: pl.DataFrame
    #: per-content info used for attribution: content_id, kind, creator_id, commission_rate
    info: pl.DataFrame


def _shape(t: F, kernel: npt.NDArray[np.int8], tau: F, alpha: F, c: F) -> F:
    rise = 1.0 - np.exp(-(t + 1.0) / 0.8)
    exp_decay = np.exp(-t / tau)
    pow_decay = (1.0 + t / c) ** (-alpha)
    return rise * np.where(kernel == 1, pow_decay, exp_decay)


def build_content(
    cfg: DemoConfig, cat: Catalog, creators: pl.DataFrame, rng: np.random.Generator
) -> Content:
    st = cfg.story
    days = cfg.days
    n = cat.n
    first_day = np.maximum(cat.launch_day, 0)
    # dead SKUs stop getting content a few weeks into history
    active_end = np.where(cat.archetype == "dead", np.minimum(days, 40), days)
    active_len = np.maximum(active_end - first_day, 0)

    # --- own videos (shop account) -----------------------------------------------------------
    k_own = rng.poisson(active_len / st.own_video_every_days)
    k_own = np.where((cat.archetype == "testing") & (active_len > 0), np.maximum(k_own, 1), k_own)
    own_sku = np.repeat(np.arange(n), k_own)
    own_day = first_day[own_sku] + np.floor(rng.random(own_sku.size) * active_len[own_sku]).astype(
        np.int64
    )
    own_views = st.own_video_views * rng.lognormal(0, 1.0, own_sku.size)
    own_kernel = np.zeros(own_sku.size, dtype=np.int8)
    own_tau = rng.uniform(1.0, 2.5, own_sku.size)

    # --- creator posts: burst SKUs (viral) and a few for steady ones --------------------------
    burst = cat.archetype == "burst"
    dead = cat.archetype == "dead"
    k_cr = np.where(burst, 1 + rng.poisson(st.creator_posts_per_burst_sku - 1, n), 0)
    k_cr = np.where(
        cat.archetype == "steady", rng.poisson(st.creator_posts_per_steady_sku, n), k_cr
    )
    k_cr = np.where(cat.archetype == "slow", rng.poisson(0.5, n), k_cr)
    k_cr = np.where(dead & (cat.launch_day > -40), 1, k_cr)
    cr_sku = np.repeat(np.arange(n), k_cr)
    rank = np.arange(cr_sku.size) - np.repeat(np.cumsum(k_cr) - k_cr, k_cr)
    window = np.maximum(active_end[cr_sku] - first_day[cr_sku] - 3, 1)
    cr_day = np.where(
        rank == 0,
        first_day[cr_sku] + np.minimum(rng.integers(2, 30, cr_sku.size), window - 1).clip(0),
        first_day[cr_sku] + np.floor(rng.random(cr_sku.size) * window).astype(np.int64),
    )
    cr_day = np.clip(cr_day, 0, days - 1)
    viral = burst[cr_sku] | dead[cr_sku]
    cr_views = np.where(
        viral & (rank == 0),
        st.viral_views * rng.lognormal(0, 0.8, cr_sku.size),
        st.viral_views * 0.12 * rng.lognormal(0, 1.0, cr_sku.size),
    )
    cr_kernel = (cat.kernel[cr_sku] == "power_law").astype(np.int8)
    cr_tau = rng.uniform(*st.exp_tau_days, cr_sku.size)
    n_creators = creators.height
    cr_creator = rng.integers(0, n_creators, cr_sku.size)

    # --- LIVE sessions (shop account; a few hosted by creators) -----------------------------
    n_live = int(days / st.live_every_days)
    live_day = np.sort(rng.integers(0, days, n_live))
    live_views = st.live_views * rng.lognormal(0, 0.6, n_live)
    # featured SKUs: 3–8 SKUs active on that day
    k_feat = rng.integers(3, 9, n_live)
    live_rep = np.repeat(np.arange(n_live), k_feat)
    cand = rng.integers(0, n, live_rep.size)
    ok = (first_day[cand] <= live_day[live_rep]) & (active_end[cand] > live_day[live_rep])
    live_sku_content = live_rep[ok]
    live_sku = cand[ok]
    pairs = pl.DataFrame({"c": live_sku_content, "s": live_sku}).unique(maintain_order=True)
    live_sku_content = pairs["c"].to_numpy()
    live_sku = pairs["s"].to_numpy()

    # --- assemble content rows ---------------------------------------------------------------
    n_own, n_cr = own_sku.size, cr_sku.size
    kind = np.concatenate(
        [np.full(n_own, "video"), np.full(n_cr, "creator_post"), np.full(n_live, "live")]
    )
    post_day = np.concatenate([own_day, cr_day, live_day]).astype(np.int64)
    views = np.concatenate([own_views, cr_views, live_views])
    kern = np.concatenate([own_kernel, cr_kernel, np.zeros(n_live, dtype=np.int8)])
    tau = np.concatenate([own_tau, cr_tau, np.full(n_live, 0.3)])
    alpha = rng.uniform(*st.power_alpha, kind.size)
    cpar = rng.uniform(*st.power_c_days, kind.size)
    horizon = np.concatenate(
        [
            np.full(n_own, 21),
            np.full(n_cr, st.metrics_horizon_days),
            np.ones(n_live, dtype=np.int64),
        ]
    )
    horizon = np.minimum(horizon, days - post_day)
    nc = kind.size
    content_id = np.array([f"VID-{i + 1:06d}" for i in range(nc)])
    content_id[n_own : n_own + n_cr] = [f"CP-{i + 1:06d}" for i in range(n_cr)]
    content_id[n_own + n_cr :] = [f"LIVE-{i + 1:05d}" for i in range(n_live)]
    creator_idx = np.full(nc, -1)
    creator_idx[n_own : n_own + n_cr] = cr_creator
    live_by_creator = rng.random(n_live) < 0.2
    creator_idx[n_own + n_cr :] = np.where(live_by_creator, rng.integers(0, n_creators, n_live), -1)
    creator_ids = creators["creator_id"].to_numpy()
    creator_rate = creators["commission_rate"].to_numpy()
    primary_sku = np.concatenate([own_sku, cr_sku, np.full(n_live, -1)])
    # content commission: creators get their rate, sometimes a targeted plan above it
    comm = np.where(creator_idx >= 0, creator_rate[np.clip(creator_idx, 0, None)], np.nan)
    boost = (creator_idx >= 0) & (rng.random(nc) < 0.3)
    comm = np.where(boost, np.minimum(comm + 0.05, 0.3), comm)

    # --- daily metrics (long: content × day since posting) ----------------------------------
    reps = np.maximum(horizon, 0)
    ci = np.repeat(np.arange(nc), reps)
    t = (np.arange(ci.size) - np.repeat(np.cumsum(reps) - reps, reps)).astype(np.float64)
    shp = _shape(t, kern[ci], tau[ci], alpha[ci], cpar[ci])
    # normalise each content's shape over its full (untruncated) horizon
    full_h = np.where(
        kind == "creator_post", st.metrics_horizon_days, np.where(kind == "live", 1, 21)
    )
    norm = _norm(kern, tau, alpha, cpar, full_h)
    v = views[ci] * shp / norm[ci] * rng.lognormal(0, 0.12, ci.size)
    day = post_day[ci] + t.astype(np.int64)
    vi = np.round(v).astype(np.int64)
    keep = vi >= 1
    ci, day, vi, t = ci[keep], day[keep], vi[keep], t[keep]
    like_rate = rng.uniform(0.03, 0.09, nc)
    likes = rng.binomial(vi, like_rate[ci])
    shares = rng.binomial(vi, like_rate[ci] * 0.08)
    comments = rng.binomial(vi, like_rate[ci] * 0.05)
    clicks = rng.binomial(vi, np.where(kind[ci] == "live", 0.06, 0.02))
    start = np.datetime64(cfg.start, "D")
    metrics = pl.DataFrame(
        {
            "content_id": pl.Series(content_id).gather(ci),
            "date": start + day,
            "views": vi,
            "likes": likes,
            "shares": shares,
            "comments": comments,
            "clicks": clicks,
        }
    )

    # --- content → SKU links and the demand they drive -------------------------------------
    link_c = np.concatenate([np.arange(n_own + n_cr), n_own + n_cr + live_sku_content])
    link_s = np.concatenate([primary_sku[: n_own + n_cr], live_sku])
    content_skus = pl.DataFrame(
        {
            "content_id": pl.Series(content_id).gather(link_c),
            "sku_id": pl.Series(cat.sku_id).gather(link_s),
        }
    )
    # share of a LIVE's views that goes to each featured SKU
    n_feat = np.bincount(link_c, minlength=nc).astype(np.float64)
    mdf = pl.DataFrame({"c": ci, "day": day, "views": vi})
    ldf = pl.DataFrame(
        {"c": link_c, "sku": link_s, "conv": cat.conversion[link_s] * cfg.scale / n_feat[link_c]}
    )
    live_boost = np.where(kind == "live", st.live_boost, 1.0)
    dem = (
        mdf.join(ldf, on="c", maintain_order="left")
        .with_columns(
            lam=pl.col("views")
            * pl.col("conv")
            * pl.lit(pl.Series(live_boost)).gather(pl.col("c")),
        )
        .select("sku", "day", "lam", "c")
    )

    # --- text ------------------------------------------------------------------------------
    frames_content, gb_extra = _content_text(
        cfg,
        cat,
        rng,
        content_id,
        kind,
        primary_sku,
        creator_idx,
        creator_ids,
        post_day,
        comm,
        live_by_creator,
    )
    info = pl.DataFrame(
        {
            "c": np.arange(nc),
            "content_id": content_id,
            "kind": kind,
            "creator_id": pl.select(
                pl.when(pl.Series(creator_idx >= 0)).then(
                    pl.Series(creator_ids[np.clip(creator_idx, 0, None)].astype(str))
                )
            ).to_series(),
            "commission_rate": comm,
        }
    ).with_columns(pl.col("commission_rate").fill_nan(None))
    frames = {
        "content": frames_content,
        "content_skus": content_skus,
        "content_metrics": metrics,
    }
    # templated GB / MY copies: metrics and links (small)
    if gb_extra is not None:
        frames["content"] = pl.concat(
            [frames["content"], gb_extra["content"]], how="vertical_relaxed"
        )
        frames["content_skus"] = pl.concat(
            [frames["content_skus"], gb_extra["content_skus"]], how="vertical_relaxed"
        )
        frames["content_metrics"] = pl.concat(
            [frames["content_metrics"], gb_extra["metrics"]], how="vertical_relaxed"
        )
    demand_gb = gb_extra["demand"] if gb_extra is not None else _empty_demand()
    return Content(frames=frames, demand=dem, demand_gb=demand_gb, info=info)


def _empty_demand() -> pl.DataFrame:
    return pl.DataFrame(schema={"sku": pl.Int64, "day": pl.Int64, "lam": pl.Float64, "c": pl.Int64})


def _norm(kern: npt.NDArray[np.int8], tau: F, alpha: F, c: F, full_h: I) -> F:
    hmax = int(full_h.max()) if full_h.size else 1
    t = np.arange(hmax, dtype=np.float64)
    out = np.empty(kern.size)
    # chunked to bound memory: (chunk × hmax)
    for lo in range(0, kern.size, 20_000):
        hi = min(lo + 20_000, kern.size)
        s = _shape(
            t[None, :], kern[lo:hi, None], tau[lo:hi, None], alpha[lo:hi, None], c[lo:hi, None]
        )
        s = np.where(t[None, :] < full_h[lo:hi, None], s, 0.0)
        out[lo:hi] = s.sum(axis=1)
    return out


def _content_text(
    cfg: DemoConfig,
    cat: Catalog,
    rng: np.random.Generator,
    content_id: npt.NDArray[np.str_],
    kind: npt.NDArray[np.str_],
    primary_sku: I,
    creator_idx: I,
    creator_ids: npt.NDArray[np.object_],
    post_day: I,
    comm: F,
    live_by_creator: npt.NDArray[np.bool_],
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame] | None]:
    nc = content_id.size
    start = np.datetime64(cfg.start, "D")
    hours = rng.integers(14, 30, nc)  # mostly US afternoon/evening, in UTC
    posted = (start + post_day).astype("datetime64[us]") + hours.astype("timedelta64[h]")
    titles = cat.frames["skus"]["title"].to_numpy()
    cats = cat.category
    price = cat.price
    scripts = np.empty(nc, dtype=object)
    lang = np.full(nc, "en", dtype=object)
    title = np.empty(nc, dtype=object)
    caption = np.empty(nc, dtype=object)
    u = rng.random(nc)
    pick = rng.integers(0, 1000, nc)
    supp_done = 0
    for i in range(nc):
        s = primary_sku[i]
        if kind[i] == "live":
            title[i] = LIVE_TITLES[pick[i] % len(LIVE_TITLES)]
            risky = u[i] < 0.08
            scripts[i] = "Welcome to our LIVE! Today's deals on our best sellers. " + (
                LIVE_PROMO_RISKY if risky else "Follow for restock alerts."
            )
            caption[i] = title[i]
            continue
        name = str(titles[s])
        p = f"${price[s]:.2f}"
        c = str(cats[s])
        if c == "supplements" and (u[i] < 0.45 or supp_done < 2):
            if supp_done % 3 == 2 or u[i] < 0.12:
                scripts[i] = SCRIPTS_RISKY_ZH[pick[i] % len(SCRIPTS_RISKY_ZH)].format(
                    name=name, price=p
                )
                lang[i] = "zh"
            else:
                scripts[i] = SCRIPTS_RISKY_EN[pick[i] % len(SCRIPTS_RISKY_EN)].format(
                    name=name, price=p
                )
            supp_done += 1
        elif c == "beauty" and u[i] < 0.1:
            scripts[i] = SCRIPTS_RISKY_EN[2].format(name=name, price=p)
        else:
            scripts[i] = SCRIPTS_OK[c].format(name=name, price=p)
        title[i] = name if kind[i] == "video" else f"{name} review"
        caption[i] = f"{name} #tiktokmademebuyit #{c}"
    content = pl.DataFrame(
        {
            "content_id": content_id,
            "shop_id": [US_SHOP] * nc,
            "kind": kind,
            "creator_id": [creator_ids[k] if k >= 0 else None for k in creator_idx],
            "posted_at": posted,
            "market": ["US"] * nc,
            "language": lang.tolist(),
            "title": title.tolist(),
            "caption": caption.tolist(),
            "script": scripts.tolist(),
            "commission_rate": comm,
        }
    ).with_columns(pl.col("commission_rate").fill_nan(None))
    gb = _templated(cfg, cat, rng)
    return content, gb


def _templated(
    cfg: DemoConfig, cat: Catalog, rng: np.random.Generator
) -> dict[str, pl.DataFrame] | None:
    """Templated cross-market videos: the same script posted for US, GB and MY with small
    edits, plus the GB shop's own demand (GB-listed SKUs, from the GB shop's opening)."""
    st = cfg.story
    days = cfg.days
    gb_idx = np.flatnonzero(cat.gb_listed & (cat.launch_day < days - 30))
    if gb_idx.size == 0:
        return None
    gb_open = max(days - st.gb_shop_age_days, 0)
    n_tpl = min(5, gb_idx.size)
    tpl_sku = gb_idx[:n_tpl]
    titles = cat.frames["skus"]["title"].to_numpy()
    rows: list[dict[str, object]] = []
    links: list[tuple[str, str]] = []
    met: list[tuple[str, date, int]] = []
    for k, s in enumerate(tpl_sku):
        base_day = int(np.clip(gb_open + 5 + 17 * k, 0, days - 3))
        for j, (market, m) in enumerate(TEMPLATE_MARKETS.items()):
            cid = f"TPL-{k + 1:03d}-{market}"
            price = {
                "US": f"${cat.price[s]:.2f}",
                "GB": f"£{np.floor(cat.price[s] * st.gbp_per_usd) + 0.99:.2f}",
                "MY": f"RM{np.floor(cat.price[s] * st.myr_per_usd) + 0.90:.2f}",
            }[market]
            text = SCRIPT_TEMPLATE.format(
                name=titles[s], hi=m["hi"], origin=m["origin"], price=price, cart=m["cart"]
            )
            d = base_day + j
            rows.append(
                {
                    "content_id": cid,
                    "shop_id": {"US": US_SHOP, "GB": GB_SHOP}.get(market),
                    "kind": "video",
                    "creator_id": None,
                    "posted_at": datetime.combine(cfg.start, datetime.min.time())
                    + timedelta(days=d, hours=15),
                    "market": market,
                    "language": m["lang"],
                    "title": str(titles[s]),
                    "caption": f"{titles[s]} #fyp",
                    "script": text,
                    "commission_rate": None,
                }
            )
            links.append((cid, str(cat.sku_id[s])))
            v0 = 3000.0 * rng.lognormal(0, 0.5)
            for t in range(min(10, days - d)):
                vv = int(v0 * np.exp(-t / 2.0))
                if vv >= 1:
                    met.append((cid, cfg.start + timedelta(days=d + t), vv))
    content = pl.DataFrame(rows)
    metrics = pl.DataFrame(met, schema=["content_id", "date", "views"], orient="row").with_columns(
        likes=(pl.col("views") * 0.05).cast(pl.Int64),
        shares=(pl.col("views") * 0.004).cast(pl.Int64),
        comments=(pl.col("views") * 0.002).cast(pl.Int64),
        clicks=(pl.col("views") * 0.02).cast(pl.Int64),
    )
    # GB demand: steady baseline for GB-listed SKUs since the GB shop opened
    n_days_gb = days - gb_open
    lam = (
        np.maximum(cat.level[gb_idx], 0.3 * cfg.scale)[:, None]
        * st.gb_demand_factor
        * rng.lognormal(0, 0.3, (gb_idx.size, 1))
        * np.ones((1, n_days_gb))
    )
    sku = np.repeat(gb_idx, n_days_gb)
    day = np.tile(np.arange(gb_open, days), gb_idx.size)
    demand = pl.DataFrame(
        {"sku": sku, "day": day.astype(np.int64), "lam": lam.ravel(), "c": np.full(sku.size, -1)}
    )
    return {
        "content": content,
        "content_skus": pl.DataFrame(links, schema=["content_id", "sku_id"], orient="row"),
        "metrics": metrics,
        "demand": demand,
    }
