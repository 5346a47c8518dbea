"""Landed cost layers: factory cost + first-leg freight + duty + inbound fees, per shipment line.

Data flow: ``shipment_lines`` ⋈ ``shipments`` ⋈ ``purchase_orders`` ⋈ ``skus`` (⋈ ``suppliers``,
``routes``, ``locations``, ``fx_rates``) → one cost layer per shipment line, available from the
shipment's arrival date.  Received purchase-order lines that never appear in a shipment become
layers at their ready date (factory cost and duty only).

Formulas (all exact integers in micro-USD, see ``docs/ledger.md``):

* factory = quantity × PO unit cost × FX(PO currency, PO date);  without a PO line the SKU's
  unit cost at the shipping date (estimated);  neither → the layer's cost is unknown;
* freight = shipment freight bill × FX(shipment date), allocated over the shipment's lines by
  weight (qty × g), volume (qty × cm³) or value (factory cost) — telescoping, exact; with no
  bill, estimated from the route's rates (per chargeable kg, per m³, per unit, fixed, minimum);
* duty = shipment duty bill allocated by value, else factory × (HTS duty rate + extra tariffs
  from configuration), rounded to the cent;
* inbound = shipment inbound fee allocated by units, else destination's inbound fee per unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
import polars as pl
from numpy.typing import NDArray

from quickturn.core.ledger.amounts import (
    CENT,
    FX_ONE,
    RATE_ONE,
    allocate,
    convert_fx,
    dec_rate,
    div_half_up,
    fee_cents,
    micro,
    rate6,
)
from quickturn.core.ledger.findings import finding, sample
from quickturn.core.ledger.fx import attach_fx
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding

F = TypeVar("F", float, NDArray[np.float64])

LAYER_COLUMNS = [
    "layer_id",
    "source_table",
    "source_key",
    "sku_id",
    "received_on",
    "quantity",
    "factory_usd",
    "freight_usd",
    "duty_usd",
    "inbound_usd",
    "landed_usd",
    "known",
    "basis",
    "shipment_id",
    "po_id",
    "route_id",
    "in_transit",
]


def tariff_rate(
    skus: pl.DataFrame, suppliers: pl.DataFrame, settings: LedgerSettings
) -> pl.DataFrame:
    """(sku_id, duty6): HTS duty rate + matching extra tariffs, in millionths."""
    sup = suppliers.select("supplier_id", pl.col("country").str.to_uppercase().alias("__country"))
    df = skus.select("sku_id", "hs_code", "supplier_id", rate6(pl.col("duty_rate")).alias("__base"))
    df = df.join(sup, on="supplier_id", how="left")
    extra = pl.lit(0, pl.Int64)
    for t in settings.extra_tariffs:
        cond = pl.lit(True)
        if t.hs_prefix:
            cond = cond & pl.col("hs_code").fill_null("").str.replace_all(
                r"[.\s]", ""
            ).str.starts_with(t.hs_prefix.replace(".", ""))
        if t.origin_country:
            cond = cond & (pl.col("__country").fill_null("") == t.origin_country)
        extra = extra + pl.when(cond).then(pl.lit(dec_rate(t.rate))).otherwise(0)
    return df.select(
        "sku_id",
        (pl.col("__base").fill_null(0) + extra).alias("duty6"),
        pl.col("__base").is_null().alias("duty_rate_missing"),
    )


def _phys(skus: pl.DataFrame) -> pl.DataFrame:
    """Integer physical measures per unit: milligrams and cubic millimetres."""
    return skus.select(
        "sku_id",
        (pl.col("weight_g") * 1000).round(0).cast(pl.Int64).alias("mg"),
        (pl.col("length_cm") * pl.col("width_cm") * pl.col("height_cm") * 1000)
        .round(0)
        .cast(pl.Int64)
        .alias("mm3"),
    )


def cost_layers(
    inputs: LedgerInputs, settings: LedgerSettings, fx: pl.DataFrame
) -> tuple[pl.DataFrame, list[Finding]]:
    """One row per cost layer (see ``LAYER_COLUMNS``); amounts are Int64 micro-USD."""
    findings: list[Finding] = []
    sl = inputs.shipment_lines
    sh = inputs.shipments
    po = inputs.purchase_orders.select(
        "po_id",
        "sku_id",
        "ordered_on",
        "ready_on",
        "status",
        micro(pl.col("unit_cost")).alias("po_cost"),
        pl.col("currency").alias("po_currency"),
        pl.col("quantity").alias("po_qty"),
        "destination_id",
    )
    skus = inputs.skus.select(
        "sku_id",
        micro(pl.col("unit_cost")).alias("sku_cost"),
        pl.col("cost_currency").fill_null("USD").alias("sku_currency"),
    )
    duty = tariff_rate(inputs.skus, inputs.suppliers, settings)
    phys = _phys(inputs.skus)
    loc = inputs.locations.select(
        pl.col("location_id").alias("destination_id"),
        micro(pl.col("inbound_cost_per_unit_usd")).alias("loc_inbound"),
    )

    df = (
        sl.select("shipment_id", "sku_id", "po_id", "quantity")
        .join(
            sh.select(
                "shipment_id",
                "route_id",
                "shipped_on",
                "eta_on",
                "arrived_on",
                "destination_id",
                micro(pl.col("freight_cost")).alias("freight_bill"),
                micro(pl.col("duty_cost")).alias("duty_bill"),
                micro(pl.col("inbound_fee")).alias("inbound_bill"),
                pl.col("currency").fill_null("USD").alias("sh_currency"),
                pl.col("allocation"),
            ),
            on="shipment_id",
            how="left",
        )
        .join(po.drop("destination_id"), on=["po_id", "sku_id"], how="left")
        .join(skus, on="sku_id", how="left")
        .join(duty, on="sku_id", how="left")
        .join(phys, on="sku_id", how="left")
        .join(loc, on="destination_id", how="left")
        .sort("shipment_id", "sku_id")
    )
    orphan = df.filter(pl.col("shipped_on").is_null())
    if orphan.height:
        ids = orphan["shipment_id"].unique().sort().to_list()
        findings.append(
            finding(
                "LEDGER_SHIPMENT_UNKNOWN",
                "error",
                "{n} shipment line(s) refer to shipments that do not exist: {ids}",
                fix="Import the shipments table (shipment_id, route_id, shipped_on, freight_cost, …) or fix the shipment_id.",
                source="shipment_lines",
                column="shipment_id",
                n=orphan.height,
                ids=sample(ids),
            )
        )
        df = df.filter(pl.col("shipped_on").is_not_null())

    # -- factory cost ----------------------------------------------------------------------
    df = attach_fx(df, "ordered_on", "po_currency", fx, "fx_po")
    df = attach_fx(df, "shipped_on", "sku_currency", fx, "fx_sku")
    df = attach_fx(df, "shipped_on", "sh_currency", fx, "fx_sh")
    has_po = pl.col("po_cost").is_not_null()
    df = df.with_columns(
        pl.when(has_po & pl.col("fx_po").is_not_null())
        .then(convert_fx(pl.col("po_cost") * pl.col("quantity"), pl.col("fx_po")))
        .when(~has_po & pl.col("sku_cost").is_not_null() & pl.col("fx_sku").is_not_null())
        .then(convert_fx(pl.col("sku_cost") * pl.col("quantity"), pl.col("fx_sku")))
        .otherwise(None)
        .alias("factory_usd"),
        has_po.alias("factory_actual"),
    )
    unknown = df.filter(pl.col("factory_usd").is_null())
    if unknown.height:
        skus_u = unknown["sku_id"].unique().sort().to_list()
        findings.append(
            finding(
                "LEDGER_LAYER_COST_UNKNOWN",
                "error",
                "{n} shipment line(s) of {k} SKU(s) have no factory cost (no purchase-order line and no SKU unit cost, or no FX rate): {skus}",
                fix="Give the shipment line a po_id with a unit cost, or set skus.unit_cost and cost_currency (and the FX rate).",
                source="shipment_lines",
                column="po_id",
                n=unknown.height,
                k=len(skus_u),
                skus=sample(skus_u),
                record={"sku_ids": skus_u[:50]},
            )
        )

    # -- freight ---------------------------------------------------------------------------
    alloc = pl.col("allocation").fill_null(settings.freight_allocation)
    weight = (
        pl.when(alloc == "weight")
        .then(pl.col("quantity") * pl.col("mg").fill_null(0))
        .when(alloc == "volume")
        .then(pl.col("quantity") * pl.col("mm3").fill_null(0))
        .otherwise(pl.col("factory_usd").fill_null(0))
    )
    wsum = weight.sum().over("shipment_id")
    df = df.with_columns(
        pl.when(wsum > 0).then(weight).otherwise(pl.col("quantity")).alias("__w"),
    )
    routes = inputs.routes.select(
        "route_id",
        micro(pl.col("cost_per_kg_usd")).alias("r_kg"),
        micro(pl.col("cost_per_cbm_usd")).alias("r_cbm"),
        micro(pl.col("cost_per_unit_usd")).alias("r_unit"),
        micro(pl.col("fixed_cost_usd")).alias("r_fixed"),
        micro(pl.col("min_charge_usd")).alias("r_min"),
        pl.col("volumetric_divisor").round(0).cast(pl.Int64).alias("r_div"),
    )
    per_ship = (
        df.group_by("shipment_id")
        .agg(
            (pl.col("quantity") * pl.col("mg").fill_null(0)).sum().alias("s_mg"),
            (pl.col("quantity") * pl.col("mm3").fill_null(0)).sum().alias("s_mm3"),
            pl.col("quantity").sum().alias("s_units"),
            pl.col("route_id").first(),
        )
        .join(routes, on="route_id", how="left")
        .with_columns(
            # chargeable mg: max(actual, volumetric); volumetric mg = cm³ / divisor (kg) × 1e6
            pl.when(pl.col("r_div") > 0)
            .then(pl.max_horizontal("s_mg", (pl.col("s_mm3") * 1000) // pl.col("r_div")))
            .otherwise(pl.col("s_mg"))
            .alias("s_charge_mg")
        )
        .with_columns(
            (
                div_half_up(
                    pl.col("s_charge_mg").cast(pl.Int128) * pl.col("r_kg").fill_null(0), 1_000_000
                )
                + div_half_up(
                    pl.col("s_mm3").cast(pl.Int128) * pl.col("r_cbm").fill_null(0), 1_000_000_000
                )
                + pl.col("s_units") * pl.col("r_unit").fill_null(0)
                + pl.col("r_fixed").fill_null(0)
            ).alias("__est"),
            pl.any_horizontal(
                pl.col(c).is_not_null() for c in ("r_kg", "r_cbm", "r_unit", "r_fixed")
            ).alias("__has_rates"),
        )
        .with_columns(
            pl.when(pl.col("__has_rates"))
            .then(pl.max_horizontal("__est", pl.col("r_min").fill_null(0)))
            .otherwise(None)
            .alias("freight_est")
        )
        .select("shipment_id", "freight_est")
    )
    df = df.join(per_ship, on="shipment_id", how="left").sort("shipment_id", "sku_id")
    freight_total = (
        pl.when(pl.col("freight_bill").is_not_null() & pl.col("fx_sh").is_not_null())
        .then(convert_fx(pl.col("freight_bill"), pl.col("fx_sh")))
        .otherwise(pl.col("freight_est"))
    )
    df = df.with_columns(
        freight_total.alias("__ft"),
        pl.col("freight_bill").is_not_null().alias("freight_actual"),
    )
    no_freight = df.filter(pl.col("__ft").is_null())["shipment_id"].unique().sort().to_list()
    if no_freight:
        findings.append(
            finding(
                "LEDGER_FREIGHT_UNKNOWN",
                "warn",
                "{n} shipment(s) have no freight bill and their route has no rates; their freight is counted as 0: {ids}",
                fix="Add freight_cost to the shipment, or cost_per_kg_usd / cost_per_cbm_usd to its route.",
                source="shipments",
                column="freight_cost",
                n=len(no_freight),
                ids=sample(no_freight),
            )
        )
    df = allocate(df, pl.col("__ft").fill_null(0), pl.col("__w"), "shipment_id", "freight_usd")

    # -- duty ------------------------------------------------------------------------------
    duty_total = convert_fx(pl.col("duty_bill"), pl.col("fx_sh")).fill_null(0)
    df = allocate(df, duty_total, pl.col("factory_usd"), "shipment_id", "__duty_alloc")
    df = df.with_columns(
        pl.when(pl.col("duty_bill").is_not_null() & pl.col("fx_sh").is_not_null())
        .then(pl.col("__duty_alloc"))
        .otherwise(fee_cents(pl.col("factory_usd").fill_null(0), pl.col("duty6").fill_null(0)))
        .alias("duty_usd"),
        pl.col("duty_bill").is_not_null().alias("duty_actual"),
    )
    missing_duty = (
        df.filter(pl.col("duty_bill").is_null() & pl.col("duty_rate_missing").fill_null(True))[
            "sku_id"
        ]
        .unique()
        .sort()
        .to_list()
    )
    if missing_duty:
        findings.append(
            finding(
                "LEDGER_DUTY_RATE_MISSING",
                "info",
                "{n} SKU(s) arrived without a duty bill and without an HTS duty rate; only configured extra tariffs were applied: {skus}",
                fix="Set skus.duty_rate (and hs_code), or put the duty paid on the shipment (duty_cost).",
                source="skus",
                column="duty_rate",
                n=len(missing_duty),
                skus=sample(missing_duty),
            )
        )

    # -- inbound ---------------------------------------------------------------------------
    inbound_total = convert_fx(pl.col("inbound_bill"), pl.col("fx_sh")).fill_null(0)
    df = allocate(df, inbound_total, pl.col("quantity"), "shipment_id", "__inbound_alloc")
    df = df.with_columns(
        pl.when(pl.col("inbound_bill").is_not_null() & pl.col("fx_sh").is_not_null())
        .then(pl.col("__inbound_alloc"))
        .otherwise(pl.col("loc_inbound").fill_null(0) * pl.col("quantity"))
        .alias("inbound_usd"),
        pl.col("inbound_bill").is_not_null().alias("inbound_actual"),
    )

    ship_layers = df.select(
        pl.format("shipment_lines:{}:{}", "shipment_id", "sku_id").alias("layer_id"),
        pl.lit("shipment_lines").alias("source_table"),
        pl.format("shipment_id={};sku_id={}", "shipment_id", "sku_id").alias("source_key"),
        "sku_id",
        pl.col("arrived_on").alias("received_on"),
        pl.col("quantity").cast(pl.Int64),
        "factory_usd",
        "freight_usd",
        "duty_usd",
        "inbound_usd",
        (
            pl.col("factory_usd")
            + pl.col("freight_usd")
            + pl.col("duty_usd")
            + pl.col("inbound_usd")
        ).alias("landed_usd"),
        pl.col("factory_usd").is_not_null().alias("known"),
        pl.when(
            pl.col("factory_actual")
            & pl.col("freight_actual")
            & (pl.col("duty_actual") | pl.col("duty6").is_not_null())
        )
        .then(pl.lit("actual"))
        .otherwise(pl.lit("estimated"))
        .alias("basis"),
        "shipment_id",
        "po_id",
        "route_id",
        pl.col("arrived_on").is_null().alias("in_transit"),
    )

    # -- received purchase-order lines without any shipment line --------------------------
    shipped_pos = sl.select("po_id", "sku_id").drop_nulls().unique()
    direct = (
        po.filter(pl.col("status") == "received")
        .join(shipped_pos, on=["po_id", "sku_id"], how="anti")
        .join(duty.select("sku_id", "duty6"), on="sku_id", how="left")
        .join(loc, on="destination_id", how="left")
    )
    direct = attach_fx(direct, "ordered_on", "po_currency", fx, "fx_po")
    direct = direct.with_columns(
        convert_fx(pl.col("po_cost") * pl.col("po_qty"), pl.col("fx_po")).alias("factory_usd")
    ).with_columns(
        fee_cents(pl.col("factory_usd").fill_null(0), pl.col("duty6").fill_null(0)).alias(
            "duty_usd"
        ),
        (pl.col("loc_inbound").fill_null(0) * pl.col("po_qty")).alias("inbound_usd"),
    )
    po_layers = direct.select(
        pl.format("purchase_orders:{}:{}", "po_id", "sku_id").alias("layer_id"),
        pl.lit("purchase_orders").alias("source_table"),
        pl.format("po_id={};sku_id={}", "po_id", "sku_id").alias("source_key"),
        "sku_id",
        pl.coalesce("ready_on", "ordered_on").alias("received_on"),
        pl.col("po_qty").cast(pl.Int64).alias("quantity"),
        "factory_usd",
        pl.lit(0, pl.Int64).alias("freight_usd"),
        "duty_usd",
        "inbound_usd",
        (pl.col("factory_usd") + pl.col("duty_usd") + pl.col("inbound_usd")).alias("landed_usd"),
        pl.col("factory_usd").is_not_null().alias("known"),
        pl.lit("estimated").alias("basis"),
        pl.lit(None, pl.String).alias("shipment_id"),
        "po_id",
        pl.lit(None, pl.String).alias("route_id"),
        pl.lit(False).alias("in_transit"),
    )
    layers = pl.concat([ship_layers, po_layers], how="vertical_relaxed").sort(
        "sku_id", "received_on", "layer_id", nulls_last=True
    )
    return layers, findings


def standard_costs(
    inputs: LedgerInputs,
    settings: LedgerSettings,
    fx: pl.DataFrame,
    layers: pl.DataFrame,
    on: object,
) -> pl.DataFrame:
    """(sku_id, std_unit_usd, std_basis): cost per unit when no received layer covers a sale.

    The latest received layer's landed cost per unit when the SKU has one; otherwise the SKU's
    unit cost (else its POD unit cost, else its bill of materials) × FX + duty.  Null when
    nothing is known (the engine reports it).
    """
    last_layer = (
        layers.filter(pl.col("known") & ~pl.col("in_transit") & (pl.col("quantity") > 0))
        .sort("received_on")
        .group_by("sku_id")
        .agg(
            (pl.col("landed_usd").last() // pl.col("quantity").last()).alias("layer_unit"),
        )
    )
    bom = (
        inputs.bom.filter(pl.col("component_unit_cost").is_not_null())
        .with_columns(
            pl.col("cost_currency").fill_null("USD"),
            (pl.col("component_qty") * RATE_ONE).round(0).cast(pl.Int64).alias("__q6"),
        )
        .group_by("sku_id", "cost_currency")
        .agg(
            div_half_up(
                (micro(pl.col("component_unit_cost")).cast(pl.Int128) * pl.col("__q6")).sum(),
                RATE_ONE,
            ).alias("bom_cost")
        )
        .unique("sku_id", keep="first")
        .rename({"cost_currency": "bom_currency"})
    )
    duty = tariff_rate(inputs.skus, inputs.suppliers, settings)
    base = (
        inputs.skus.select(
            "sku_id",
            micro(pl.col("unit_cost")).alias("uc"),
            micro(pl.col("pod_unit_cost")).alias("pod"),
            pl.col("cost_currency").fill_null("USD").alias("cur"),
        )
        .join(bom, on="sku_id", how="left")
        .with_columns(
            pl.coalesce("uc", "pod", "bom_cost").alias("__c"),
            pl.when(pl.col("uc").is_not_null() | pl.col("pod").is_not_null())
            .then(pl.col("cur"))
            .otherwise(pl.col("bom_currency"))
            .alias("__cur"),
            pl.lit(on, pl.Date).alias("__on"),
        )
    )
    base = attach_fx(base, "__on", "__cur", fx, "__fx")
    base = base.join(duty.select("sku_id", "duty6"), on="sku_id", how="left").with_columns(
        convert_fx(pl.col("__c"), pl.col("__fx")).alias("__usd")
    )
    base = base.with_columns(
        (pl.col("__usd") + fee_cents(pl.col("__usd"), pl.col("duty6").fill_null(0))).alias("__std")
    )
    out = base.join(last_layer, on="sku_id", how="left").select(
        "sku_id",
        pl.coalesce("layer_unit", "__std").alias("std_unit_usd"),
        pl.when(pl.col("layer_unit").is_not_null())
        .then(pl.lit("last_layer"))
        .when(pl.col("__std").is_not_null())
        .then(pl.lit("sku_unit_cost"))
        .otherwise(None)
        .alias("std_basis"),
    )
    return out


#: columns of :func:`unit_cost_parts` (float64 USD per unit, except the rate)
UNIT_COST_PARTS = ("sku_id", "unit_cost_usd", "duty_rate", "duty_usd", "unit_cost_basis")


def unit_cost_parts(
    skus: pl.DataFrame,
    suppliers: pl.DataFrame,
    settings: LedgerSettings,
    fx_usd: Mapping[str, float],
    layers: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The landed-cost parts of one unit bought today, per SKU (float64 USD; feeds the plan).

    One definition with :func:`cost_layers`: landed = factory + freight + duty + inbound, with
    duty = factory × (HTS duty rate + the configured extra tariffs, :func:`tariff_rate`)
    (a layer without a duty bill rounds it to the cent).  Here

    * ``unit_cost_usd`` (factory) = the SKU's unit cost × ``fx_usd[cost_currency]``; a SKU
      without a unit cost takes the factory cost per unit of its latest received ``layers``
      row (:func:`cost_layers` or the stored ``ledger_cost_layers``: the ledger's own
      source, ``factory_usd ÷ quantity``);
      neither → null (the plan reports it);
    * ``duty_rate`` = HTS + extra tariffs (a fraction), ``duty_usd`` = duty of one unit
      (``unit_cost_usd × duty_rate``; a layer rounds its total to the cent);
    * ``unit_cost_basis`` = ``"skus"``, ``"cost_layer"`` or null.

    Freight and inbound depend on the route: the planner adds them per route
    (``core.plan.inputs.freight_per_unit``) and :func:`landed_per_unit` sums the parts.

    >>> skus = pl.DataFrame({"sku_id": ["A"], "hs_code": ["9503"], "supplier_id": ["S"],
    ...     "duty_rate": [0.1], "unit_cost": [10.0], "cost_currency": ["CNY"]})
    >>> sup = pl.DataFrame({"supplier_id": ["S"], "country": ["CN"]})
    >>> unit_cost_parts(skus, sup, LedgerSettings(), {"CNY": 0.125}).row(0)
    ('A', 1.25, 0.1, 0.125, 'skus')
    """
    # frames of any width (a plan test passes a few columns): what is absent is unknown
    skus = skus.with_columns(
        pl.lit(None, dtype).alias(c)
        for c, dtype in (
            ("hs_code", pl.String),
            ("supplier_id", pl.String),
            ("duty_rate", pl.Float64),
            ("unit_cost", pl.Float64),
            ("cost_currency", pl.String),
        )
        if c not in skus.columns
    )
    suppliers = suppliers.with_columns(
        pl.lit(None, dtype).alias(c)
        for c, dtype in (("supplier_id", pl.String), ("country", pl.String))
        if c not in suppliers.columns
    )
    duty = tariff_rate(skus, suppliers, settings).select(
        "sku_id", (pl.col("duty6").cast(pl.Float64) / RATE_ONE).alias("duty_rate")
    )
    rates = pl.DataFrame(
        {"__cur": list(fx_usd), "__fx": [float(v) for v in fx_usd.values()]},
        schema={"__cur": pl.String, "__fx": pl.Float64},
    )
    base = (
        skus.select(
            "sku_id",
            pl.col("unit_cost").cast(pl.Float64).alias("__uc"),
            pl.col("cost_currency").fill_null("USD").alias("__cur"),
        )
        .join(rates, on="__cur", how="left")
        .with_columns((pl.col("__uc") * pl.col("__fx")).alias("__sku_usd"))
    )
    if layers is not None and layers.height:
        known = "known" if "known" in layers.columns else "cost_known"  # stored: cost_known
        last = (
            layers.filter(
                pl.col(known).fill_null(False)
                & pl.col("received_on").is_not_null()
                & ~pl.col("in_transit").fill_null(False)
                & (pl.col("quantity") > 0)
            )
            .sort("received_on")
            .group_by("sku_id")
            .agg(
                (
                    pl.col("factory_usd").last().cast(pl.Float64)
                    / pl.col("quantity").last().cast(pl.Float64)
                ).alias("__layer_usd")
            )
        )
        base = base.join(last, on="sku_id", how="left")
    else:
        base = base.with_columns(pl.lit(None, pl.Float64).alias("__layer_usd"))
    unit = pl.coalesce("__sku_usd", "__layer_usd")
    return (
        base.join(duty, on="sku_id", how="left")
        .with_columns(pl.col("duty_rate").fill_null(0.0), unit.alias("unit_cost_usd"))
        .select(
            "sku_id",
            "unit_cost_usd",
            "duty_rate",
            # per unit, unrounded: the ledger rounds a layer's duty to the cent, which is
            # at most half a cent ÷ the layer's quantity per unit
            (pl.col("unit_cost_usd") * pl.col("duty_rate")).alias("duty_usd"),
            pl.when(pl.col("__sku_usd").is_not_null())
            .then(pl.lit("skus"))
            .when(pl.col("__layer_usd").is_not_null())
            .then(pl.lit("cost_layer"))
            .otherwise(None)
            .alias("unit_cost_basis"),
        )
    )


def landed_per_unit(unit_cost_usd: F, duty_usd: F, freight_usd: F, inbound_usd: F) -> F:
    """Landed cost of one unit: factory + freight + duty + inbound (a layer's ``landed_usd``
    ÷ its quantity; the planner's no-ledger landed cost).  Floats or NumPy arrays.

    >>> landed_per_unit(1.25, 0.125, 0.5, 0.25)
    2.125
    """
    return unit_cost_usd + freight_usd + duty_usd + inbound_usd


__all__ = [
    "CENT",
    "FX_ONE",
    "LAYER_COLUMNS",
    "UNIT_COST_PARTS",
    "cost_layers",
    "landed_per_unit",
    "standard_costs",
    "tariff_rate",
    "unit_cost_parts",
]
