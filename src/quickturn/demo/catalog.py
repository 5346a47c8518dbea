"""The demo catalog: shops, suppliers, locations, routes, SKUs, BOM, certificates, creators.

Data flow: ``DemoConfig`` + RNG → :class:`Catalog` (per-SKU NumPy arrays used by the demand,
order and finance generators, plus the canonical frames of the master-data tables).
Python loops here run over SKUs (at most tens of thousands), never over orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from quickturn.demo.config import DemoConfig
from quickturn.demo.text import ADJECTIVES, COLORS, NOUNS

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741
B = npt.NDArray[np.bool_]
S = npt.NDArray[np.str_]

US_SHOP = "QT-US-001"
GB_SHOP = "QT-GB-001"
CN_WH = "CN-SZ-WH"
CN_FACTORY = "CN-DG-FAC"
W3PL = "US-3PL-WEST"
E3PL = "US-3PL-EAST"
FBT = "US-FBT-1"
POD = "US-POD-1"
#: index of stocking locations used in per-SKU arrays
STOCK_LOCATIONS = (W3PL, E3PL, FBT)
#: route from the CN warehouse to each stocking location, by mode
INBOUND_ROUTES: dict[str, dict[str, str]] = {
    W3PL: {"sea": "R-SEA-W", "sea_express": "R-SEX-W", "air": "R-AIR-W"},
    E3PL: {"sea": "R-SEA-E", "sea_express": "R-SEX-E", "air": "R-AIR-E"},
    FBT: {"sea": "R-SEA-FBT", "sea_express": "R-SEX-FBT", "air": "R-AIR-FBT"},
}
LAST_MILE = {W3PL: "R-LM-W", E3PL: "R-LM-E", FBT: "R-LM-FBT", POD: "R-LM-POD", CN_WH: "R-CB-GB"}

ARCHETYPES = ("steady", "burst", "slow", "testing", "dead")


@dataclass
class Catalog:
    """Per-SKU arrays (index = SKU position) and the master-data frames."""

    sku_id: S
    category: S
    cat_index: I
    archetype: S
    kernel: S  # "exponential" | "power_law" | "none"
    price: F  # USD list price
    cost_cny: F  # factory unit cost (CNY)
    weight_g: F
    volume_cbm: F
    duty_rate: F
    launch_day: I  # day index (0 = first history day; negative = before history)
    location: I  # index into STOCK_LOCATIONS, -1 for POD-only SKUs
    pod_only: B
    gb_listed: B
    conversion: F  # units per content view
    level: F  # baseline daily units (US)
    supplier_idx: I
    case_pack: I
    moq: I
    production_days: F
    return_rate: F
    defect_share: F
    quality_bad: B  # SKUs with a quality problem (more 1–2★, more defects)
    toy: B
    supplement: B
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.sku_id.shape[0])


def _allocate(shares: list[float], n: int) -> list[int]:
    raw = np.array(shares) / sum(shares) * n
    counts = np.floor(raw).astype(int)
    rest = n - counts.sum()
    order = np.argsort(-(raw - counts))
    counts[order[:rest]] += 1
    return [int(c) for c in counts]


def build_catalog(cfg: DemoConfig, rng: np.random.Generator) -> Catalog:
    st = cfg.story
    n = cfg.n_skus
    cats = st.categories
    counts = _allocate([c.share for c in cats], n)
    # apparel comes in whole designs (one variant per size); the remainder goes to home
    a = next(i for i, c in enumerate(cats) if c.name == "apparel")
    h = next(i for i, c in enumerate(cats) if c.name == "home")
    nsize = len(st.apparel_sizes)
    spare = counts[a] % nsize
    counts[a] -= spare
    counts[h] += spare
    cat_index = np.repeat(np.arange(len(cats)), counts).astype(np.int64)
    category = np.array([cats[i].name for i in cat_index])
    is_app = category == "apparel"

    # --- archetypes: apparel variants of one design share the design's archetype ----------
    names = [a_ for a_, _ in st.archetypes]
    probs = np.array([p for _, p in st.archetypes], dtype=float)
    probs /= probs.sum()
    arche_idx = rng.choice(len(names), size=n, p=probs)
    design = np.full(n, -1, dtype=np.int64)
    app_pos = np.flatnonzero(is_app)
    design[app_pos] = np.arange(app_pos.size) // nsize
    if app_pos.size:
        first = app_pos[::nsize]
        arche_idx[app_pos] = np.repeat(arche_idx[first], nsize)
    archetype = np.array(names)[arche_idx]
    # guarantee at least one of each archetype among non-apparel SKUs (the story needs them)
    free = np.flatnonzero(~is_app)
    for k, name in enumerate(names):
        if not (archetype == name).any() and free.size > k:
            archetype[free[k * 3 % free.size]] = name
    kernel = np.where(
        archetype == "burst",
        np.where(rng.random(n) < st.power_law_share, "power_law", "exponential"),
        "none",
    )
    # at least one burst SKU with each kernel
    bursts = np.flatnonzero(archetype == "burst")
    if bursts.size >= 2:
        kernel[bursts[0]] = "exponential"
        kernel[bursts[1]] = "power_law"

    # --- economics ---------------------------------------------------------------------------
    lo = np.array([cats[i].price_lo for i in cat_index])
    hi = np.array([cats[i].price_hi for i in cat_index])
    price = np.floor(lo + rng.random(n) * (hi - lo)) + 0.99
    if app_pos.size:  # a design's variants share the price
        price[app_pos] = np.repeat(price[app_pos[::nsize]], nsize)
    cost_share = np.array([cats[i].cost_share for i in cat_index]) * rng.lognormal(0, 0.2, n)
    cost_cny = np.round(price * cost_share * st.cny_per_usd, 1)
    wlo = np.array([cats[i].weight_g[0] for i in cat_index])
    whi = np.array([cats[i].weight_g[1] for i in cat_index])
    weight = np.round(wlo + rng.random(n) * (whi - wlo))
    dims = np.array([cats[i].dims_cm for i in cat_index]) * rng.uniform(0.7, 1.3, (n, 1))
    dims = np.round(dims, 1)
    volume = dims.prod(axis=1) / 1e6
    duty = np.array([cats[i].duty_rate for i in cat_index])

    # --- lifecycle -----------------------------------------------------------------------------
    days = cfg.days
    launch = np.where(
        archetype == "testing",
        days - rng.integers(7, 45, n),
        np.where(
            archetype == "dead",
            -rng.integers(30, 200, n),
            np.where(
                archetype == "burst",
                rng.integers(-60, max(days - 60, 1), n),
                -rng.integers(30, 500, n),
            ),
        ),
    ).astype(np.int64)
    launch = np.maximum(launch, -600)
    if app_pos.size:
        launch[app_pos] = np.repeat(launch[app_pos[::nsize]], nsize)
    scale = cfg.scale
    level = (
        np.select(
            [
                archetype == "steady",
                archetype == "slow",
                archetype == "testing",
                archetype == "burst",
            ],
            [
                st.steady_level * rng.lognormal(0, 0.6, n),
                st.slow_level * rng.lognormal(0, 0.5, n),
                st.testing_level * rng.lognormal(0, 0.5, n),
                0.6 * rng.lognormal(0, 0.5, n),
            ],
            default=1.5 * rng.lognormal(0, 0.4, n),  # dead: sold before, decays away
        )
        * scale
    )
    conversion = st.conversion_median * rng.lognormal(0, st.conversion_sigma, n)
    size_idx = np.full(n, -1)
    size_idx[app_pos] = np.arange(app_pos.size) % nsize
    size_names = np.array(st.apparel_sizes)
    pod_only = is_app & np.isin(size_names[np.clip(size_idx, 0, nsize - 1)], st.pod_sizes)
    size_weight = np.array([0.8, 1.2, 1.0, 0.55, 0.3])[np.clip(size_idx, 0, 4)]
    level = np.where(is_app, level * size_weight, level)
    # stocking location: FBT for a share, else the west or east 3PL
    u = rng.random(n)
    location = np.where(u < st.fbt_share, 2, np.where(u < st.fbt_share + 0.5, 0, 1)).astype(
        np.int64
    )
    location = np.where(pod_only, -1, location)
    gb_ok = np.isin(category, ["toys", "home", "beauty", "pet", "electronics"]) & (
        archetype != "dead"
    )
    gb_listed = (rng.random(n) < st.gb_share) & gb_ok
    # the UK shop always lists at least one established SKU (the cross-market story needs it)
    est = np.flatnonzero(gb_ok & np.isin(archetype, ["steady", "slow"]))
    if est.size:
        gb_listed[est[0]] = True

    toy = category == "toys"
    supp = category == "supplements"
    quality_bad = rng.random(n) < 0.08
    ret = np.array([cats[i].return_rate for i in cat_index]) * np.where(quality_bad, 2.0, 1.0)
    defect = np.array([cats[i].defect_share for i in cat_index])

    # --- suppliers ---------------------------------------------------------------------------
    n_sup_per_cat = max(1, min(30, n // 40))
    supplier_idx = cat_index * n_sup_per_cat + rng.integers(0, n_sup_per_cat, n)
    case_pack = rng.choice(np.array([12, 24, 36, 48, 50, 100]), n).astype(np.int64)
    case_pack = np.where(weight > 800, case_pack // 4, case_pack).clip(6)
    moq = case_pack * rng.integers(4, 12, n)
    production = np.round(rng.uniform(*st.production_days, n), 0)

    # --- ids and titles ------------------------------------------------------------------------
    ids: list[str] = []
    titles: list[str] = []
    parents: list[str | None] = []
    colors = rng.integers(0, len(COLORS), n)
    adj = rng.integers(0, len(ADJECTIVES), n)
    noun_pick = rng.integers(0, 1000, n)
    seq = np.zeros(len(cats), dtype=int)
    for i in range(n):
        c = cats[cat_index[i]]
        nouns = NOUNS[c.name]
        noun = nouns[noun_pick[i] % len(nouns)]
        if is_app[i]:
            d = int(design[i])
            size = size_names[size_idx[i]]
            dn = nouns[(noun_pick[app_pos[d * nsize]]) % len(nouns)]
            col = COLORS[colors[app_pos[d * nsize]]]
            ids.append(f"APP-{d + 1:05d}-{size}")
            titles.append(f"{dn} – {col} – {size}")
            parents.append(f"APP-{d + 1:05d}")
        else:
            seq[cat_index[i]] += 1
            ids.append(f"{c.prefix}-{seq[cat_index[i]]:05d}")
            titles.append(f"{ADJECTIVES[adj[i]]}{noun} ({COLORS[colors[i]]})")
            parents.append(None)
    sku_id = np.array(ids)

    cat = Catalog(
        sku_id=sku_id,
        category=category,
        cat_index=cat_index,
        archetype=archetype,
        kernel=kernel,
        price=price,
        cost_cny=cost_cny,
        weight_g=weight,
        volume_cbm=volume,
        duty_rate=duty,
        launch_day=launch,
        location=location,
        pod_only=pod_only,
        gb_listed=gb_listed,
        conversion=conversion,
        level=level,
        supplier_idx=supplier_idx,
        case_pack=case_pack,
        moq=moq,
        production_days=production,
        return_rate=ret,
        defect_share=defect,
        quality_bad=quality_bad,
        toy=toy,
        supplement=supp,
    )
    flags = _flags(cat, rng)
    start = cfg.start
    launch_dates = np.datetime64(start, "D") + launch
    pod_cost = np.where(is_app, np.round(rng.uniform(*st.pod_unit_cost_cny, n), 1), np.nan)
    status = np.where((archetype == "dead") & (rng.random(n) < 0.25), "inactive", "active").astype(
        object
    )
    status[(archetype == "dead") & (rng.random(n) < 0.05)] = "discontinued"
    descriptions = [f"{t}. Ships from our US warehouse." for t in titles]
    skus = pl.DataFrame(
        {
            "sku_id": ids,
            "shop_id": [US_SHOP] * n,
            "title": titles,
            "description": descriptions,
            "category": category.tolist(),
            "subcategory": [None] * n,
            "parent_sku_id": parents,
            "status": status.tolist(),
            "launch_date": launch_dates,
            "list_price": price,
            "price_currency": ["USD"] * n,
            "unit_cost": cost_cny,
            "cost_currency": ["CNY"] * n,
            "supplier_id": [f"SUP-{s + 1:03d}" for s in supplier_idx],
            "weight_g": weight,
            "length_cm": dims[:, 0],
            "width_cm": dims[:, 1],
            "height_cm": dims[:, 2],
            "hs_code": [cats[i].hs_code for i in cat_index],
            "duty_rate": duty,
            "moq_qty": moq,
            "case_pack_qty": case_pack,
            "production_lead_time_days": production,
            "pod_eligible": is_app,
            "pod_unit_cost": pod_cost,
            "pod_lead_time_days": np.where(is_app, st.pod_lead_time_days, np.nan),
            **flags,
        },
        strict=False,
    ).with_columns(
        pl.col("pod_unit_cost").fill_nan(None),
        pl.col("pod_lead_time_days").fill_nan(None),
    )
    cat.frames["skus"] = skus
    cat.frames["bom"] = _bom(cat, skus, st.pod_unit_cost_cny)
    cat.frames["certificates"] = _certificates(cat, skus, cfg.as_of, rng)
    n_sup = len(cats) * n_sup_per_cat
    cat.frames["suppliers"] = _suppliers(n_sup, n_sup_per_cat, rng)
    cat.frames["shops"] = pl.DataFrame(
        {
            "shop_id": [US_SHOP, GB_SHOP],
            "name": ["Quickturn Demo Store US", "Quickturn Demo Store UK"],
            "market": ["US", "GB"],
            "seller_type": ["CROSS_BORDER", "CROSS_BORDER"],
            "currency": ["USD", "GBP"],
            "timezone": ["America/Los_Angeles", "Europe/London"],
            "cipher": [None, None],
            "created_at": [
                datetime.combine(start - timedelta(days=420), datetime.min.time()),
                datetime.combine(
                    cfg.as_of - timedelta(days=st.gb_shop_age_days), datetime.min.time()
                ),
            ],
        }
    )
    cat.frames["locations"] = _locations()
    cat.frames["routes"] = _routes()
    return cat


def _flags(cat: Catalog, rng: np.random.Generator) -> dict[str, B]:
    n = cat.n
    c = cat.category
    u = rng.random(n)
    toy = c == "toys"
    elec = c == "electronics"
    beauty = c == "beauty"
    radio_toy = toy & (u < 0.15)
    battery = (elec & (u < 0.6)) | radio_toy
    radio = radio_toy | (elec & (u >= 0.6) & (u < 0.85))
    device = beauty & (u < 0.35)
    # make sure the story's special SKUs exist
    for mask, cond in ((battery, elec), (device, beauty), (radio_toy, toy)):
        if not mask.any() and cond.any():
            mask[np.flatnonzero(cond)[0]] = True
    battery |= radio_toy
    radio |= radio_toy
    return {
        "is_battery": battery,
        "is_children": toy,
        "has_small_parts": toy & (rng.random(n) < 0.4),
        "is_cosmetic": beauty & ~device,
        "is_supplement": c == "supplements",
        "is_beauty_device": device,
        "is_pet_food": (c == "pet") & (rng.random(n) < 0.3),
        "has_radio": radio,
        "is_flammable": (c == "home") & (rng.random(n) < 0.1),
    }


def _bom(cat: Catalog, skus: pl.DataFrame, pod_cost: tuple[float, float]) -> pl.DataFrame:
    """Apparel: blank + print + bag (POD modules); battery gadgets: body + battery module."""
    app = skus.filter(pl.col("category") == "apparel").select(
        "sku_id", "parent_sku_id", "unit_cost"
    )
    size = app["sku_id"].str.extract(r"-([A-Z0-9]+)$")
    blank = pl.DataFrame(
        {
            "sku_id": app["sku_id"],
            "component_id": "BLANK-TEE-" + size,
            "component_qty": 1.0,
            "component_unit_cost": (app["unit_cost"] * 0.55).round(1),
            "cost_currency": "CNY",
            "lead_time_days": 3.0,
        }
    )
    prt = pl.DataFrame(
        {
            "sku_id": app["sku_id"],
            "component_id": "PRINT-" + app["parent_sku_id"],
            "component_qty": 1.0,
            "component_unit_cost": (app["unit_cost"] * 0.35).round(1),
            "cost_currency": "CNY",
            "lead_time_days": 1.0,
        }
    )
    bag = pl.DataFrame(
        {
            "sku_id": app["sku_id"],
            "component_id": pl.Series(["POLY-MAILER"] * app.height, dtype=pl.String),
            "component_qty": 1.0,
            "component_unit_cost": 0.6,
            "cost_currency": "CNY",
            "lead_time_days": 0.0,
        }
    )
    bat = skus.filter(pl.col("is_battery") & (pl.col("category") == "electronics")).select(
        "sku_id", "unit_cost"
    )
    body = pl.DataFrame(
        {
            "sku_id": bat["sku_id"],
            "component_id": "BODY-" + bat["sku_id"],
            "component_qty": 1.0,
            "component_unit_cost": (bat["unit_cost"] * 0.7).round(1),
            "cost_currency": "CNY",
            "lead_time_days": 15.0,
        }
    )
    cell = pl.DataFrame(
        {
            "sku_id": bat["sku_id"],
            "component_id": pl.Series(["LI-ION-18650"] * bat.height, dtype=pl.String),
            "component_qty": 1.0,
            "component_unit_cost": (bat["unit_cost"] * 0.3).round(1),
            "cost_currency": "CNY",
            "lead_time_days": 20.0,
        }
    )
    return pl.concat([blank, prt, bag, body, cell], how="vertical_relaxed")


def _certificates(
    cat: Catalog, skus: pl.DataFrame, as_of: date, rng: np.random.Generator
) -> pl.DataFrame:
    """Documents held per SKU.  The story: some children's certificates expired (issued more
    than a year ago) or missing, a battery gadget without its SDS, supplements without cGMP,
    a Chinese-language CPC, beauty devices without FDA listing."""
    rows: list[dict[str, object]] = []
    labs = ("SGS Shenzhen", "Intertek Guangzhou", "TÜV Rheinland HK", "Bureau Veritas Shanghai")
    flags = {c: skus[c].to_numpy() for c in skus.columns if c.startswith(("is_", "has_"))}
    sku_ids = skus["sku_id"].to_list()
    n = len(sku_ids)
    u = rng.random((n, 8))
    age = rng.integers(20, 330, n)
    old_age = rng.integers(400, 720, n)
    lab = rng.integers(0, len(labs), n)

    def add(
        i: int, kind: str, issued_days_ago: int | None, expires_days: int | None, lang: str = "en"
    ) -> None:
        issued = (
            as_of - timedelta(days=int(issued_days_ago)) if issued_days_ago is not None else None
        )
        expires = issued + timedelta(days=expires_days) if issued and expires_days else None
        rows.append(
            {
                "certificate_id": f"DOC-{sku_ids[i]}-{kind}",
                "sku_id": sku_ids[i],
                "cert_type": kind,
                "number": f"{kind[:3]}{(i * 7919 + len(kind) * 104729) % 10_000_000:07d}",
                "issuer": labs[lab[i]],
                "issued_on": issued,
                "expires_on": expires,
                "language": lang,
            }
        )

    children = np.flatnonzero(flags["is_children"])
    for k, i in enumerate(children):
        r = u[i, 0]
        # story: first children's SKU has an expired CPC, second has none at all
        if k == 0 or (k > 1 and r < 0.15):
            add(i, "CPC", int(old_age[i]), 365)  # issued more than a year ago: expired
        elif k == 1 or r < 0.28:
            pass  # missing CPC
        elif r < 0.31:
            add(i, "CPC", int(age[i]), 365, lang="zh")  # not in English
        else:
            add(i, "CPC", int(age[i]), 365)
        if u[i, 1] < 0.9:
            add(i, "LAB_REPORT", int(age[i]) + 5, None)
        if u[i, 2] < 0.88:
            add(i, "TRACKING_LABEL", int(age[i]), None)
        if u[i, 3] < 0.85:
            add(i, "COC", int(age[i]), None)
        if flags["has_small_parts"][i] and u[i, 4] < 0.8:
            add(i, "CHOKING_WARNING", int(age[i]), None)
    for k, i in enumerate(np.flatnonzero(flags["is_battery"])):
        if k > 0 and u[i, 5] < 0.92:  # the first battery gadget lacks its UN38.3 report
            add(i, "UN38_3", int(age[i]) + 30, None)
        if k != 1 and u[i, 6] < 0.88:  # the second lacks its SDS
            add(i, "SDS", int(age[i]), None)
    for i in np.flatnonzero(flags["has_radio"]):
        if u[i, 7] < 0.85:
            add(i, "FCC", int(age[i]) + 60, None)
    for k, i in enumerate(np.flatnonzero(flags["is_supplement"])):
        if k > 0 and u[i, 0] < 0.85:
            add(i, "FDA_FACILITY", int(age[i]), 730)
        if u[i, 1] < 0.6:
            add(i, "CGMP", int(age[i]), 365)
    for k, i in enumerate(np.flatnonzero(flags["is_beauty_device"])):
        if k > 0 and u[i, 2] < 0.8:
            add(i, "FDA_DEVICE", int(age[i]), None)
    for i in np.flatnonzero(flags["is_pet_food"]):
        if u[i, 3] < 0.8:
            add(i, "FDA_FACILITY", int(age[i]), 730)
    for i in np.flatnonzero(flags["is_flammable"]):
        if u[i, 4] < 0.8:
            add(i, "SDS", int(age[i]), None)
    schema = {
        "certificate_id": pl.String,
        "sku_id": pl.String,
        "cert_type": pl.String,
        "number": pl.String,
        "issuer": pl.String,
        "issued_on": pl.Date,
        "expires_on": pl.Date,
        "language": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _suppliers(n_sup: int, per_cat: int, rng: np.random.Generator) -> pl.DataFrame:
    terms = rng.integers(0, 4, n_sup)
    cities = ("Shenzhen", "Dongguan", "Yiwu", "Guangzhou", "Ningbo", "Shantou")
    return pl.DataFrame(
        {
            "supplier_id": [f"SUP-{i + 1:03d}" for i in range(n_sup)],
            "name": [
                f"{cities[i % len(cities)]} Factory {i + 1:03d} Co., Ltd." for i in range(n_sup)
            ],
            "country": ["CN"] * n_sup,
            "currency": ["CNY"] * n_sup,
            "deposit_rate": np.array([0.3, 0.3, 0.5, 0.0])[terms],
            "balance_due": np.array(["on_ready", "on_shipment", "on_ready", "net_days"])[
                terms
            ].tolist(),
            "balance_days": np.array([0, 0, 0, 30])[terms],
            "production_lead_time_days": np.round(rng.uniform(12, 30, n_sup)),
        }
    )


def _locations() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "location_id": [CN_FACTORY, CN_WH, W3PL, E3PL, FBT, POD],
            "name": [
                "Dongguan partner factory",
                "Shenzhen consolidation warehouse",
                "Ontario CA 3PL (west)",
                "Edison NJ 3PL (east)",
                "Fulfilled by TikTok – US",
                "US print-on-demand partner",
            ],
            "kind": ["factory", "cn_warehouse", "us_3pl", "us_3pl", "fbt", "pod_partner"],
            "country": ["CN", "CN", "US", "US", "US", "US"],
            "storage_cost_per_cbm_day_usd": [0.0, 0.08, 0.70, 0.62, 0.55, 0.0],
            "inbound_cost_per_unit_usd": [0.0, 0.05, 0.30, 0.28, 0.0, 0.0],
            "outbound_cost_per_unit_usd": [0.0, 0.35, 1.25, 1.15, 0.0, 0.0],
            "capacity_cbm": [None, None, 400.0, 300.0, None, None],
        }
    )


def _routes() -> pl.DataFrame:
    rows = [
        # route, origin, destination, mode, mean, sd, min, per kg, per cbm, per unit, fixed, min charge, divisor
        ("R-SEA-W", CN_WH, W3PL, "sea", 30.0, 5.0, 22.0, None, 140.0, None, 450.0, 250.0, None),
        (
            "R-SEX-W",
            CN_WH,
            W3PL,
            "sea_express",
            18.0,
            3.0,
            13.0,
            2.9,
            None,
            None,
            250.0,
            200.0,
            None,
        ),
        ("R-AIR-W", CN_WH, W3PL, "air", 9.0, 2.0, 6.0, 6.8, None, None, 120.0, 150.0, 6000.0),
        ("R-SEA-E", CN_WH, E3PL, "sea", 40.0, 6.0, 30.0, None, 165.0, None, 500.0, 250.0, None),
        (
            "R-SEX-E",
            CN_WH,
            E3PL,
            "sea_express",
            24.0,
            4.0,
            17.0,
            3.2,
            None,
            None,
            300.0,
            200.0,
            None,
        ),
        ("R-AIR-E", CN_WH, E3PL, "air", 10.0, 2.0, 7.0, 7.2, None, None, 120.0, 150.0, 6000.0),
        ("R-SEA-FBT", CN_WH, FBT, "sea", 33.0, 5.0, 24.0, None, 150.0, None, 550.0, 250.0, None),
        (
            "R-SEX-FBT",
            CN_WH,
            FBT,
            "sea_express",
            20.0,
            3.0,
            14.0,
            3.0,
            None,
            None,
            300.0,
            200.0,
            None,
        ),
        ("R-AIR-FBT", CN_WH, FBT, "air", 10.0, 2.0, 7.0, 7.0, None, None, 150.0, 150.0, 6000.0),
        (
            "R-LM-W",
            W3PL,
            "buyer",
            "express_parcel",
            3.6,
            1.6,
            1.0,
            None,
            None,
            4.9,
            None,
            None,
            5000.0,
        ),
        (
            "R-LM-E",
            E3PL,
            "buyer",
            "express_parcel",
            3.4,
            1.5,
            1.0,
            None,
            None,
            4.9,
            None,
            None,
            5000.0,
        ),
        (
            "R-LM-FBT",
            FBT,
            "buyer",
            "express_parcel",
            2.6,
            0.9,
            1.0,
            None,
            None,
            None,
            None,
            None,
            5000.0,
        ),
        ("R-LM-POD", POD, "buyer", "pod", 4.0, 1.2, 2.0, None, None, 5.2, None, None, None),
        (
            "R-CB-GB",
            CN_WH,
            "buyer",
            "express_parcel",
            8.5,
            2.2,
            5.0,
            9.5,
            None,
            1.2,
            None,
            None,
            6000.0,
        ),
    ]
    cols = [
        "route_id",
        "origin_id",
        "destination_id",
        "mode",
        "lead_time_mean_days",
        "lead_time_sd_days",
        "lead_time_min_days",
        "cost_per_kg_usd",
        "cost_per_cbm_usd",
        "cost_per_unit_usd",
        "fixed_cost_usd",
        "min_charge_usd",
        "volumetric_divisor",
    ]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return df.with_columns(pl.lit("lognormal").alias("lead_time_dist"))


def route_params(routes: pl.DataFrame) -> dict[str, tuple[float, float, float]]:
    """route_id → (mean, sd, min) lead time in days."""
    return {
        r["route_id"]: (r["lead_time_mean_days"], r["lead_time_sd_days"], r["lead_time_min_days"])
        for r in routes.iter_rows(named=True)
    }


def lognormal_days(
    rng: np.random.Generator, mean: float, sd: float, minimum: float, size: int | tuple[int, ...]
) -> F:
    """Lead times: ``minimum`` + a lognormal with the given mean and sd of the total."""
    m = max(mean - minimum, 0.1)
    sigma2 = np.log1p((sd / m) ** 2)
    mu = np.log(m) - sigma2 / 2
    return minimum + rng.lognormal(mu, np.sqrt(sigma2), size)


def creators_frame(cfg: DemoConfig, rng: np.random.Generator) -> pl.DataFrame:
    n = int(np.clip(cfg.n_skus // 5, 12, 2000))
    st = cfg.story
    first = (
        "bella",
        "mike",
        "kayla",
        "jay",
        "sophie",
        "tyler",
        "mia",
        "dan",
        "zoe",
        "liam",
        "ava",
        "noah",
    )
    topic = ("finds", "momlife", "deals", "glow", "gadgets", "petpals", "homehacks", "fitfam")
    handles = [
        f"@{first[i % len(first)]}.{topic[(i // len(first)) % len(topic)]}{i // 96 or ''}"
        for i in range(n)
    ]
    market = np.where(rng.random(n) < 0.85, "US", "GB")
    return pl.DataFrame(
        {
            "creator_id": [f"CR-{i + 1:04d}" for i in range(n)],
            "handle": handles,
            "market": market.tolist(),
            "commission_rate": np.round(rng.uniform(*st.creator_commission, n), 2),
            "followers": np.round(rng.lognormal(np.log(60_000), 1.2, n)).astype(np.int64),
        }
    )
