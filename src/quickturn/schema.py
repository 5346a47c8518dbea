"""Canonical data model: the single source of truth for every table quickturn stores.

Each :class:`Table` lists its columns with a logical type, unit and description, its natural
key (used for idempotent upserts) and its references to other tables.  The store generates
portable SQL DDL from these definitions, importers validate incoming frames against them,
and ``docs/data-model.md`` is generated from them (a test checks the file is current).

Conventions (see docs/architecture.md):

* Timestamps are naive UTC (``timestamp``); dates are calendar dates in the shop's time zone.
* Money is exact: ``money`` columns are DECIMAL(18,4) in the store and ``Decimal`` / integer
  minor units in the ledger; the currency is in the column name (``_usd``) or in a
  ``*currency`` column of the same table.
* Rates are fractions in 0..1 (``_rate``), stored as DECIMAL(12,6) so that fee arithmetic is
  exact.  Quantities end in ``_qty``, durations in ``_days``, weights in ``_g``, lengths in
  ``_cm``, volumes in ``_cbm``.

This module has no IO; ``validate(table, frame)`` returns findings instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalType = Literal["str", "int", "float", "money", "rate", "fx", "bool", "date", "timestamp"]

#: SQL type per logical type; identical on DuckDB and PostgreSQL.
SQL_TYPES: dict[str, str] = {
    "str": "TEXT",
    "int": "BIGINT",
    "float": "DOUBLE PRECISION",
    "money": "DECIMAL(18,4)",
    "rate": "DECIMAL(12,6)",
    "fx": "DECIMAL(18,8)",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

#: Scale (digits after the decimal point) of the exact numeric types.
DECIMAL_SCALE: dict[str, tuple[int, int]] = {"money": (18, 4), "rate": (12, 6), "fx": (18, 8)}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: LogicalType
    description: str
    unit: str = ""
    required: bool = False
    #: allowed values for enumerations (compared case-sensitively after normalisation)
    choices: tuple[str, ...] | None = None
    #: smallest allowed value for numbers (``None``: any)
    min_value: float | None = None
    max_value: float | None = None
    #: ``"table.column"`` this column refers to
    references: str | None = None
    default: object | None = None


@dataclass(frozen=True)
class Table:
    """A canonical table: columns, natural key and description."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    group: str = "input"  # "input" (seller data) or a module name for derived tables
    #: pairs of (earlier, later) timestamp/date columns that must be ordered when both present
    ordered: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required or c.name in self.key]


def _c(name: str, type_: LogicalType, description: str, unit: str = "", **kw: object) -> Column:
    return Column(name, type_, description, unit, **kw)  # type: ignore[arg-type]


def _money(name: str, description: str, **kw: object) -> Column:
    unit = (
        "USD" if name.endswith("_usd") else ("CNY" if name.endswith("_cny") else "currency of row")
    )
    kw.setdefault("min_value", 0)
    return _c(name, "money", description, unit, **kw)


def _rate(name: str, description: str, **kw: object) -> Column:
    kw.setdefault("min_value", 0)
    kw.setdefault("max_value", 1)
    return _c(name, "rate", description, "fraction 0–1", **kw)


CURRENCIES = (
    "USD",
    "CNY",
    "GBP",
    "EUR",
    "HKD",
    "MXN",
    "CAD",
    "JPY",
    "SGD",
    "MYR",
    "THB",
    "VND",
    "PHP",
    "IDR",
    "BRL",
    "AUD",
)
ORDER_STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)
FULFILLMENT_TYPES = ("FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK", "FULFILLMENT_BY_PLATFORM")
TRAFFIC_SOURCES = ("video", "live", "affiliate", "ads", "organic", "search", "showcase", "other")
OPERATING_MODELS = ("self_operated", "semi_managed", "fully_managed")
ROUTE_MODES = ("sea", "sea_express", "air", "express_parcel", "truck", "pod")
LOCATION_KINDS = (
    "factory",
    "cn_warehouse",
    "us_3pl",
    "fbt",
    "platform_warehouse",
    "pod_partner",
    "other",
)
FAULTS = ("buyer", "seller", "logistics", "platform", "unknown")
DISPOSITIONS = ("resellable", "unsellable", "not_returned", "replacement", "pending")
RETURN_TYPES = ("return_refund", "refund_only", "replacement", "cancellation_refund")
CERT_TYPES = (
    "CPC",
    "LAB_REPORT",
    "TRACKING_LABEL",
    "COC",
    "FCC",
    "FDA_FACILITY",
    "CGMP",
    "FDA_DEVICE",
    "SDS",
    "UN38_3",
    "CHOKING_WARNING",
    "OTHER",
)
CONTENT_KINDS = ("video", "live", "ad", "creator_post", "image")
ORDER_TYPES = ("regular", "pre_order", "made_to_order", "back_order", "custom_handling")


TABLES: tuple[Table, ...] = (
    Table(
        "shops",
        "A TikTok Shop (one market, one seller type).",
        (
            _c(
                "shop_id",
                "str",
                "Shop identifier (the platform's shop id or your own).",
                required=True,
            ),
            _c("name", "str", "Shop display name.", required=True),
            _c(
                "market",
                "str",
                "Market the shop sells in, ISO country code.",
                "ISO 3166-1",
                required=True,
            ),
            _c(
                "seller_type",
                "str",
                "LOCAL or CROSS_BORDER (POP).",
                choices=("LOCAL", "CROSS_BORDER"),
            ),
            _c(
                "currency",
                "str",
                "Currency of prices and settlements.",
                "ISO 4217",
                choices=CURRENCIES,
            ),
            _c(
                "timezone",
                "str",
                "IANA time zone of the shop's business day.",
                default="America/Los_Angeles",
            ),
            _c("cipher", "str", "Open API shop cipher (connector only)."),
            _c("created_at", "timestamp", "When the shop was opened.", "UTC"),
        ),
        ("shop_id",),
    ),
    Table(
        "suppliers",
        "A factory or trading company and its payment terms.",
        (
            _c("supplier_id", "str", "Supplier identifier.", required=True),
            _c("name", "str", "Supplier name.", required=True),
            _c("country", "str", "Country of the supplier.", "ISO 3166-1"),
            _c(
                "currency",
                "str",
                "Currency the supplier invoices in.",
                "ISO 4217",
                choices=CURRENCIES,
            ),
            _rate("deposit_rate", "Share of a purchase order paid as deposit when ordered."),
            _c(
                "balance_due",
                "str",
                "When the balance is paid: on_ready (before shipping), on_shipment, on_arrival or net_days after shipment.",
                choices=("on_ready", "on_shipment", "on_arrival", "net_days"),
            ),
            _c(
                "balance_days",
                "int",
                "Days after the balance event the balance is due (net terms).",
                "days",
                min_value=0,
            ),
            _c(
                "production_lead_time_days",
                "float",
                "Default production lead time.",
                "days",
                min_value=0,
            ),
        ),
        ("supplier_id",),
    ),
    Table(
        "skus",
        "A sellable SKU with its cost, physical and compliance attributes.",
        (
            _c("sku_id", "str", "Seller SKU code.", required=True),
            _c("shop_id", "str", "Shop the SKU is listed in.", references="shops.shop_id"),
            _c("title", "str", "Product title as listed.", required=True),
            _c("description", "str", "Listing description text."),
            _c(
                "category",
                "str",
                "Top-level category (e.g. toys, apparel, beauty, supplements, electronics, home, pet).",
                default="uncategorised",
            ),
            _c("subcategory", "str", "Finer category."),
            _c(
                "parent_sku_id",
                "str",
                "Parent product for variants (e.g. a print-on-demand design).",
            ),
            _c(
                "status",
                "str",
                "active, inactive or discontinued.",
                choices=("active", "inactive", "discontinued"),
                default="active",
            ),
            _c("launch_date", "date", "First day the SKU was on sale."),
            _money("list_price", "Regular selling price per unit, in price_currency."),
            _c(
                "price_currency",
                "str",
                "Currency of list_price.",
                "ISO 4217",
                choices=CURRENCIES,
                default="USD",
            ),
            _money(
                "unit_cost",
                "Factory cost per unit, in cost_currency (ex-works); empty when unknown (the ledger reports it).",
            ),
            _c(
                "cost_currency",
                "str",
                "Currency of unit_cost and pod_unit_cost.",
                "ISO 4217",
                choices=CURRENCIES,
            ),
            _c("supplier_id", "str", "Main supplier.", references="suppliers.supplier_id"),
            _c("weight_g", "float", "Shipping weight per unit incl. packaging.", "g", min_value=0),
            _c("length_cm", "float", "Package length.", "cm", min_value=0),
            _c("width_cm", "float", "Package width.", "cm", min_value=0),
            _c("height_cm", "float", "Package height.", "cm", min_value=0),
            _c("hs_code", "str", "Harmonized System code for US import."),
            _rate(
                "duty_rate",
                "Ad-valorem import duty on customs value (HTS general rate; extra tariffs are configuration).",
            ),
            _c("moq_qty", "int", "Minimum order quantity at the supplier.", "units", min_value=0),
            _c(
                "case_pack_qty",
                "int",
                "Units per carton; orders are rounded up to it.",
                "units",
                min_value=1,
            ),
            _c(
                "production_lead_time_days",
                "float",
                "Production lead time for this SKU.",
                "days",
                min_value=0,
            ),
            _c("pod_eligible", "bool", "Can be made to order / printed on demand.", default=False),
            _money(
                "pod_unit_cost",
                "Unit cost when made on demand (incl. blank and print), in cost_currency.",
            ),
            _c(
                "pod_lead_time_days",
                "float",
                "Production plus delivery days for a POD unit to reach the buyer.",
                "days",
                min_value=0,
            ),
            _c("is_battery", "bool", "Contains or ships with a lithium battery.", default=False),
            _c(
                "is_children",
                "bool",
                "Children's product (intended for 12 years or younger).",
                default=False,
            ),
            _c(
                "has_small_parts",
                "bool",
                "Contains small parts (choking hazard for under 3s).",
                default=False,
            ),
            _c("is_cosmetic", "bool", "Cosmetic or personal-care product.", default=False),
            _c("is_supplement", "bool", "Dietary supplement.", default=False),
            _c(
                "is_beauty_device",
                "bool",
                "Beauty device regulated by FDA (class I/II).",
                default=False,
            ),
            _c("is_pet_food", "bool", "Pet food or treats.", default=False),
            _c(
                "has_radio",
                "bool",
                "Has a radio transmitter (Bluetooth, Wi-Fi, RF remote).",
                default=False,
            ),
            _c(
                "is_flammable",
                "bool",
                "Aerosol, flammable or corrosive (needs a safety data sheet).",
                default=False,
            ),
        ),
        ("sku_id",),
    ),
    Table(
        "bom",
        "Modules / components of a modular or print-on-demand SKU (bill of materials).",
        (
            _c("sku_id", "str", "Finished SKU.", required=True, references="skus.sku_id"),
            _c(
                "component_id",
                "str",
                "Component or module code (e.g. blank tee M black, print).",
                required=True,
            ),
            _c(
                "component_qty",
                "float",
                "Component units per finished unit.",
                "units",
                min_value=0,
                required=True,
            ),
            _money("component_unit_cost", "Cost of one component unit, in cost_currency."),
            _c(
                "cost_currency",
                "str",
                "Currency of component_unit_cost.",
                "ISO 4217",
                choices=CURRENCIES,
            ),
            _c(
                "lead_time_days",
                "float",
                "Lead time to make or buy the component.",
                "days",
                min_value=0,
            ),
        ),
        ("sku_id", "component_id"),
    ),
    Table(
        "certificates",
        "A compliance document held for a SKU.",
        (
            _c("certificate_id", "str", "Document identifier.", required=True),
            _c(
                "sku_id", "str", "SKU the document covers.", required=True, references="skus.sku_id"
            ),
            _c("cert_type", "str", "Document type.", choices=CERT_TYPES, required=True),
            _c("number", "str", "Certificate or report number."),
            _c("issuer", "str", "Issuing lab or authority."),
            _c("issued_on", "date", "Issue date."),
            _c("expires_on", "date", "Expiry date (empty: does not expire)."),
            _c("language", "str", "Language of the document.", "ISO 639-1", default="en"),
        ),
        ("certificate_id",),
        ordered=(("issued_on", "expires_on"),),
    ),
    Table(
        "locations",
        "Where stock is made or held, with its storage and handling costs.",
        (
            _c("location_id", "str", "Location identifier.", required=True),
            _c("name", "str", "Location name.", required=True),
            _c(
                "kind",
                "str",
                "factory, cn_warehouse, us_3pl, fbt, platform_warehouse, pod_partner, other.",
                choices=LOCATION_KINDS,
                required=True,
            ),
            _c("country", "str", "Country.", "ISO 3166-1"),
            _money("storage_cost_per_cbm_day_usd", "Storage fee per cubic metre per day."),
            _money("inbound_cost_per_unit_usd", "Receiving fee per unit."),
            _money(
                "outbound_cost_per_unit_usd",
                "Pick, pack and hand-over fee per unit shipped to a buyer.",
            ),
            _c("capacity_cbm", "float", "Storage capacity (empty: unlimited).", "m³", min_value=0),
        ),
        ("location_id",),
    ),
    Table(
        "routes",
        "A way to move goods between two locations, with its lead-time distribution and costs.",
        (
            _c("route_id", "str", "Route identifier.", required=True),
            _c(
                "origin_id",
                "str",
                "From location.",
                required=True,
                references="locations.location_id",
            ),
            _c(
                "destination_id",
                "str",
                "To location (or 'buyer' for direct parcels).",
                required=True,
            ),
            _c(
                "mode",
                "str",
                "sea, sea_express, air, express_parcel, truck or pod.",
                choices=ROUTE_MODES,
                required=True,
            ),
            _c(
                "lead_time_dist",
                "str",
                "Lead-time distribution family.",
                choices=("lognormal", "gamma", "fixed", "empirical"),
                default="lognormal",
            ),
            _c(
                "lead_time_mean_days",
                "float",
                "Mean door-to-door lead time.",
                "days",
                min_value=0,
                required=True,
            ),
            _c(
                "lead_time_sd_days",
                "float",
                "Standard deviation of the lead time.",
                "days",
                min_value=0,
                default=0.0,
            ),
            _c(
                "lead_time_min_days",
                "float",
                "Shortest possible lead time.",
                "days",
                min_value=0,
                default=0.0,
            ),
            _money("cost_per_kg_usd", "Freight per chargeable kg."),
            _money("cost_per_cbm_usd", "Freight per cubic metre."),
            _money("cost_per_unit_usd", "Freight or handling per unit."),
            _money("fixed_cost_usd", "Fixed cost per shipment (customs clearance, trucking)."),
            _money("min_charge_usd", "Minimum charge per shipment."),
            _c(
                "volumetric_divisor",
                "float",
                "cm³ per chargeable kg (air/express), empty: actual weight.",
                "cm³/kg",
                min_value=1,
            ),
        ),
        ("route_id",),
    ),
    Table(
        "creators",
        "An affiliate creator.",
        (
            _c("creator_id", "str", "Creator identifier.", required=True),
            _c("handle", "str", "@handle.", required=True),
            _c("market", "str", "Market of the audience.", "ISO 3166-1"),
            _rate("commission_rate", "Default affiliate commission on attributed sales."),
            _c("followers", "int", "Follower count.", "people", min_value=0),
        ),
        ("creator_id",),
    ),
    Table(
        "content",
        "A video, LIVE session, ad or creator post.",
        (
            _c("content_id", "str", "Content identifier.", required=True),
            _c("shop_id", "str", "Shop.", references="shops.shop_id"),
            _c(
                "kind",
                "str",
                "video, live, ad, creator_post or image.",
                choices=CONTENT_KINDS,
                required=True,
            ),
            _c(
                "creator_id",
                "str",
                "Creator who posted it (empty: the shop's own account).",
                references="creators.creator_id",
            ),
            _c("posted_at", "timestamp", "When it went live.", "UTC", required=True),
            _c("market", "str", "Market it targets.", "ISO 3166-1", required=True),
            _c("language", "str", "Language.", "ISO 639-1"),
            _c("title", "str", "Title."),
            _c("caption", "str", "Caption text."),
            _c("script", "str", "Script or transcript."),
            _rate(
                "commission_rate",
                "Commission for sales attributed to this content (overrides creator rate).",
            ),
        ),
        ("content_id",),
    ),
    Table(
        "content_skus",
        "Which SKUs a piece of content features.",
        (
            _c("content_id", "str", "Content.", required=True, references="content.content_id"),
            _c("sku_id", "str", "SKU featured.", required=True, references="skus.sku_id"),
        ),
        ("content_id", "sku_id"),
    ),
    Table(
        "content_metrics",
        "Daily engagement of a piece of content.",
        (
            _c("content_id", "str", "Content.", required=True, references="content.content_id"),
            _c("date", "date", "Day (shop time zone).", required=True),
            _c("views", "int", "Views that day.", "views", min_value=0, default=0),
            _c("likes", "int", "Likes that day.", "likes", min_value=0, default=0),
            _c("shares", "int", "Shares that day.", "shares", min_value=0, default=0),
            _c("comments", "int", "Comments that day.", "comments", min_value=0, default=0),
            _c("clicks", "int", "Product clicks that day.", "clicks", min_value=0, default=0),
        ),
        ("content_id", "date"),
    ),
    Table(
        "orders",
        "A buyer order (header): status, timestamps, SLA deadlines, fulfilment and amounts.",
        (
            _c("order_id", "str", "Order identifier.", required=True),
            _c("shop_id", "str", "Shop.", references="shops.shop_id"),
            _c("market", "str", "Market of the buyer.", "ISO 3166-1", default="US"),
            _c(
                "currency",
                "str",
                "Currency of the amounts.",
                "ISO 4217",
                choices=CURRENCIES,
                required=True,
            ),
            _c("status", "str", "Platform order status.", choices=ORDER_STATUSES, required=True),
            _c(
                "order_type",
                "str",
                "regular, pre_order, made_to_order, back_order, custom_handling.",
                choices=ORDER_TYPES,
                default="regular",
            ),
            _c("created_at", "timestamp", "Order placed.", "UTC", required=True),
            _c("paid_at", "timestamp", "Payment confirmed.", "UTC"),
            _c("rts_at", "timestamp", "Marked ready to ship.", "UTC"),
            _c("shipped_at", "timestamp", "First carrier scan (collection).", "UTC"),
            _c("delivered_at", "timestamp", "Delivered to the buyer.", "UTC"),
            _c("cancelled_at", "timestamp", "Cancelled.", "UTC"),
            _c("rts_sla_at", "timestamp", "Dispatch deadline (rts_sla_time).", "UTC"),
            _c(
                "shipping_due_at",
                "timestamp",
                "Carrier collection deadline (shipping_due_time).",
                "UTC",
            ),
            _c("delivery_sla_at", "timestamp", "Deliver-by date (delivery_sla_time).", "UTC"),
            _c(
                "fulfillment_type",
                "str",
                "Who fulfils the order.",
                choices=FULFILLMENT_TYPES,
                default="FULFILLMENT_BY_SELLER",
            ),
            _c(
                "warehouse_id",
                "str",
                "Location the order ships from.",
                references="locations.location_id",
            ),
            _c(
                "route_id",
                "str",
                "Last-mile route (e.g. direct cross-border parcel).",
                references="routes.route_id",
            ),
            _c("carrier", "str", "Shipping provider."),
            _c("tracking_id", "str", "Tracking number."),
            _c("tracking_valid", "bool", "Tracking number valid with real carrier scans."),
            _money("shipping_fee", "Shipping fee paid by the buyer after discounts."),
            _money("shipping_fee_seller_discount", "Shipping discount funded by the seller."),
            _money("shipping_fee_platform_discount", "Shipping discount funded by the platform."),
            _money("tax", "Sales tax collected (remitted by the platform)."),
            _money("order_amount", "Total the buyer paid."),
            _c("is_sample_order", "bool", "Free creator sample order.", default=False),
            _c(
                "cancel_initiator",
                "str",
                "Who cancelled: BUYER, SELLER or SYSTEM.",
                choices=("BUYER", "SELLER", "SYSTEM"),
            ),
            _c("cancel_reason", "str", "Cancellation reason text."),
            _c(
                "cancel_fault",
                "str",
                "Whose fault the cancellation is (seller-fault ones count in SFCR).",
                choices=FAULTS,
            ),
            _c(
                "operating_model",
                "str",
                "Operating model of the sale.",
                choices=OPERATING_MODELS,
                default="self_operated",
            ),
        ),
        ("order_id",),
        ordered=(
            ("created_at", "shipped_at"),
            ("shipped_at", "delivered_at"),
            ("created_at", "cancelled_at"),
            ("created_at", "delivered_at"),
        ),
    ),
    Table(
        "order_lines",
        "One SKU in an order, with quantity, prices, discounts and attribution.",
        (
            _c("order_id", "str", "Order.", required=True, references="orders.order_id"),
            _c("sku_id", "str", "SKU.", required=True, references="skus.sku_id"),
            _c("quantity", "int", "Units ordered.", "units", min_value=1, required=True),
            _money("unit_price", "Original unit price before discounts.", required=True),
            _money("subtotal_before_discount", "quantity × unit_price."),
            _money("seller_discount", "Discount funded by the seller."),
            _money(
                "platform_discount", "Discount funded by the platform (paid back to the seller)."
            ),
            _money(
                "subtotal_after_discount",
                "What the buyer paid for these units before tax and shipping.",
            ),
            _money("tax", "Tax on these units."),
            _c(
                "traffic_source",
                "str",
                "Where the sale came from.",
                choices=TRAFFIC_SOURCES,
                default="organic",
            ),
            _c(
                "content_id",
                "str",
                "Video / LIVE / ad the sale is attributed to.",
                references="content.content_id",
            ),
            _c(
                "creator_id",
                "str",
                "Affiliate creator the sale is attributed to.",
                references="creators.creator_id",
            ),
            _rate(
                "commission_rate",
                "Affiliate commission rate applied (empty: from content or creator).",
            ),
        ),
        ("order_id", "sku_id"),
    ),
    Table(
        "returns",
        "A return, refund or replacement request and its outcome.",
        (
            _c("return_id", "str", "Return / refund identifier.", required=True),
            _c("order_id", "str", "Order.", required=True, references="orders.order_id"),
            _c("sku_id", "str", "SKU.", required=True, references="skus.sku_id"),
            _c(
                "quantity",
                "int",
                "Units returned or refunded.",
                "units",
                min_value=1,
                required=True,
            ),
            _c(
                "return_type",
                "str",
                "return_refund, refund_only, replacement, cancellation_refund.",
                choices=RETURN_TYPES,
                required=True,
            ),
            _c("reason", "str", "Buyer's reason."),
            _c(
                "fault",
                "str",
                "Whose fault (non-buyer-fault returns count in the shop's metrics).",
                choices=FAULTS,
                default="unknown",
            ),
            _c(
                "status",
                "str",
                "requested, approved, rejected, completed.",
                choices=("requested", "approved", "rejected", "completed"),
                default="completed",
            ),
            _c("requested_at", "timestamp", "Request made.", "UTC", required=True),
            _c("completed_at", "timestamp", "Refund paid / return closed.", "UTC"),
            _c(
                "currency",
                "str",
                "Currency of the amounts.",
                "ISO 4217",
                choices=CURRENCIES,
                required=True,
            ),
            _money("refund_amount", "Amount refunded to the buyer."),
            _money("return_shipping_cost", "Return label cost borne by the seller."),
            _c(
                "disposition",
                "str",
                "What happened to the goods.",
                choices=DISPOSITIONS,
                default="pending",
            ),
        ),
        ("return_id",),
        ordered=(("requested_at", "completed_at"),),
    ),
    Table(
        "reviews",
        "A product review.",
        (
            _c("review_id", "str", "Review identifier.", required=True),
            _c("order_id", "str", "Order reviewed.", required=True, references="orders.order_id"),
            _c("sku_id", "str", "SKU reviewed.", references="skus.sku_id"),
            _c("rating", "int", "Stars.", "1–5", min_value=1, max_value=5, required=True),
            _c("created_at", "timestamp", "When it was posted.", "UTC", required=True),
            _c("text", "str", "Review text."),
        ),
        ("review_id",),
    ),
    Table(
        "settlement_lines",
        "A line of a platform settlement statement (revenue, fee, adjustment or reserve).",
        (
            _c("statement_id", "str", "Statement.", required=True),
            _c(
                "line_id",
                "str",
                "Transaction / line identifier within the statement.",
                required=True,
            ),
            _c("statement_date", "date", "Date the statement was paid out.", required=True),
            _c(
                "order_id",
                "str",
                "Order (empty for shop-level adjustments).",
                references="orders.order_id",
            ),
            _c("sku_id", "str", "SKU when the line is SKU-level.", references="skus.sku_id"),
            _c(
                "fee_type",
                "str",
                "revenue, shipping, referral_fee, refund_administration_fee, affiliate_commission, affiliate_ads_commission, fbt_fulfillment_fee, transaction_fee, ads_payment, penalty, sample_shipping_fee, reserve_hold, reserve_release, refund, adjustment, other.",
                required=True,
                choices=(
                    "revenue",
                    "shipping",
                    "platform_discount",
                    "referral_fee",
                    "refund_administration_fee",
                    "affiliate_commission",
                    "affiliate_ads_commission",
                    "fbt_fulfillment_fee",
                    "transaction_fee",
                    "ads_payment",
                    "penalty",
                    "sample_shipping_fee",
                    "reserve_hold",
                    "reserve_release",
                    "refund",
                    "adjustment",
                    "shipping_label",
                    "other",
                ),
            ),
            _money(
                "amount",
                "Signed amount: positive credits the seller, negative debits.",
                min_value=None,
                required=True,
            ),
            _c("currency", "str", "Currency.", "ISO 4217", choices=CURRENCIES, required=True),
        ),
        ("statement_id", "line_id"),
    ),
    Table(
        "ad_spend",
        "Daily ad spend per campaign, optionally tied to a SKU or content.",
        (
            _c("campaign_id", "str", "Campaign.", required=True),
            _c("date", "date", "Day.", required=True),
            _c("shop_id", "str", "Shop.", references="shops.shop_id"),
            _c("sku_id", "str", "SKU promoted (empty: shop-wide).", references="skus.sku_id"),
            _c("content_id", "str", "Content promoted.", references="content.content_id"),
            _money("spend", "Spend that day.", required=True),
            _c("currency", "str", "Currency.", "ISO 4217", choices=CURRENCIES, required=True),
            _c("impressions", "int", "Impressions.", "impressions", min_value=0),
            _c("clicks", "int", "Clicks.", "clicks", min_value=0),
        ),
        ("campaign_id", "date"),
    ),
    Table(
        "inventory_snapshots",
        "Stock on hand per SKU and location at the end of a day.",
        (
            _c("date", "date", "Day.", required=True),
            _c("sku_id", "str", "SKU.", required=True, references="skus.sku_id"),
            _c(
                "location_id", "str", "Location.", required=True, references="locations.location_id"
            ),
            _c("on_hand_qty", "int", "Units on hand.", "units", min_value=0, required=True),
            _c(
                "reserved_qty",
                "int",
                "Units reserved for open orders.",
                "units",
                min_value=0,
                default=0,
            ),
        ),
        ("date", "sku_id", "location_id"),
    ),
    Table(
        "purchase_orders",
        "A purchase-order line placed with a supplier.",
        (
            _c("po_id", "str", "Purchase order.", required=True),
            _c("sku_id", "str", "SKU.", required=True, references="skus.sku_id"),
            _c("supplier_id", "str", "Supplier.", references="suppliers.supplier_id"),
            _c("ordered_on", "date", "Order date (FX date for the cost).", required=True),
            _c("quantity", "int", "Units ordered.", "units", min_value=1, required=True),
            _money("unit_cost", "Unit cost agreed, in currency.", required=True),
            _c(
                "currency",
                "str",
                "Currency of unit_cost.",
                "ISO 4217",
                choices=CURRENCIES,
                required=True,
            ),
            _rate("deposit_rate", "Deposit share (empty: supplier's terms)."),
            _c("ready_on", "date", "Expected or actual production completion."),
            _c(
                "destination_id",
                "str",
                "Planned destination location.",
                references="locations.location_id",
            ),
            _c(
                "status",
                "str",
                "open, ready, shipped, received, cancelled.",
                choices=("open", "ready", "shipped", "received", "cancelled"),
                default="open",
            ),
        ),
        ("po_id", "sku_id"),
        ordered=(("ordered_on", "ready_on"),),
    ),
    Table(
        "shipments",
        "A shipment (container, air cargo, parcel batch) on a route, with its freight bill.",
        (
            _c("shipment_id", "str", "Shipment.", required=True),
            _c("route_id", "str", "Route.", required=True, references="routes.route_id"),
            _c("origin_id", "str", "From.", references="locations.location_id"),
            _c("destination_id", "str", "To.", references="locations.location_id"),
            _c("shipped_on", "date", "Departure.", required=True),
            _c("eta_on", "date", "Expected arrival."),
            _c("arrived_on", "date", "Actual arrival (empty: in transit)."),
            _money("freight_cost", "Freight bill for the whole shipment, in currency."),
            _money(
                "duty_cost",
                "Import duty paid for the whole shipment, in currency (empty: computed from HS rates).",
            ),
            _money("inbound_fee", "Receiving fees at the destination, in currency."),
            _c(
                "currency",
                "str",
                "Currency of the costs.",
                "ISO 4217",
                choices=CURRENCIES,
                default="USD",
            ),
            _c(
                "allocation",
                "str",
                "How freight is spread over units: weight, volume or value.",
                choices=("weight", "volume", "value"),
                default="weight",
            ),
        ),
        ("shipment_id",),
        ordered=(("shipped_on", "arrived_on"), ("shipped_on", "eta_on")),
    ),
    Table(
        "shipment_lines",
        "Units of a SKU in a shipment.",
        (
            _c(
                "shipment_id", "str", "Shipment.", required=True, references="shipments.shipment_id"
            ),
            _c("sku_id", "str", "SKU.", required=True, references="skus.sku_id"),
            _c("po_id", "str", "Purchase order the units come from."),
            _c("quantity", "int", "Units.", "units", min_value=1, required=True),
        ),
        ("shipment_id", "sku_id"),
    ),
    Table(
        "bills",
        "A line of a 3PL, FBT or other service bill (storage, inbound, pick & pack, …).",
        (
            _c("bill_id", "str", "Bill / invoice.", required=True),
            _c("line_id", "str", "Line within the bill.", required=True),
            _c("vendor_id", "str", "Warehouse or service provider (location id when it is one)."),
            _c("bill_date", "date", "Invoice date.", required=True),
            _c("due_date", "date", "Payment due."),
            _c("period_start", "date", "Service period start."),
            _c("period_end", "date", "Service period end."),
            _c(
                "charge_type",
                "str",
                "storage, inbound, pick_pack, fbt_fulfillment, fbt_storage, last_mile, other.",
                required=True,
                choices=(
                    "storage",
                    "inbound",
                    "pick_pack",
                    "fbt_fulfillment",
                    "fbt_storage",
                    "last_mile",
                    "disposal",
                    "other",
                ),
            ),
            _c("sku_id", "str", "SKU the line is for.", references="skus.sku_id"),
            _c("order_id", "str", "Order the line is for.", references="orders.order_id"),
            _money("amount", "Amount charged.", required=True),
            _c("currency", "str", "Currency.", "ISO 4217", choices=CURRENCIES, required=True),
        ),
        ("bill_id", "line_id"),
        ordered=(("period_start", "period_end"),),
    ),
    Table(
        "fx_rates",
        "Exchange rates: value of one unit of currency in USD on a day.",
        (
            _c("date", "date", "Day.", required=True),
            _c("currency", "str", "Currency.", "ISO 4217", choices=CURRENCIES, required=True),
            _c(
                "usd_per_unit",
                "fx",
                "USD for one unit of currency.",
                "USD",
                min_value=0,
                required=True,
            ),
        ),
        ("date", "currency"),
    ),
)

# Module-owned (derived) tables.  Each module adds its tables in its own section below and a
# migration file in its number range (ledger 01xx, sense 02xx, plan 03xx, health 04xx,
# comply 05xx, connector 06xx, web 07xx).

# --- ledger tables ---
LEDGER_ACCOUNTS = (
    "gross_revenue",
    "revenue_adjustment",
    "shipping_income",
    "seller_discount",
    "referral_fee",
    "referral_fee_refund",
    "refund_admin_fee",
    "payment_fee",
    "other_platform_fees",
    "commission",
    "commission_clawback",
    "ads",
    "fbt_fee",
    "pick_pack",
    "warehousing",
    "shipping_cost",
    "refunds",
    "return_shipping",
    "return_handling",
    "return_write_off",
    "replacement",
    "cogs",
    "cogs_reversal",
    "sample_shipping",
)
LEDGER_COMPONENTS = (
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
)
LEDGER_TABLES: tuple[Table, ...] = (
    Table(
        "ledger_postings",
        "Immutable journal of ledger postings (append-only; a changed figure is a reversal plus a new posting).",
        (
            _c("posting_id", "str", "Posting identifier (unique, never reused).", required=True),
            _c(
                "entry_key",
                "str",
                "Stable hash of what the posting says (identity, amount, basis); equal entries are not posted twice.",
                required=True,
            ),
            _c("run_id", "str", "Ledger run that wrote the posting (see runs).", required=True),
            _c("posted_at", "timestamp", "When it was written.", "UTC", required=True),
            _c(
                "date",
                "date",
                "Business date of the event (order, return, statement, bill, spend).",
            ),
            _c("order_date", "date", "Date of the order the posting belongs to (empty: no order)."),
            _c("order_id", "str", "Order (empty for SKU- or shop-level postings)."),
            _c("sku_id", "str", "SKU (empty for shop-level postings)."),
            _c("account", "str", "Ledger account.", choices=LEDGER_ACCOUNTS, required=True),
            _c(
                "component",
                "str",
                "Waterfall component the account rolls up to (samples for sample orders).",
                choices=LEDGER_COMPONENTS,
                required=True,
            ),
            _money(
                "amount_usd",
                "Signed amount in USD: positive is income, negative a cost.",
                min_value=None,
                required=True,
            ),
            _money(
                "amount",
                "Signed amount in the source row's currency (empty when computed in USD).",
                min_value=None,
            ),
            _c("currency", "str", "Currency of amount.", "ISO 4217", choices=CURRENCIES),
            _c(
                "basis",
                "str",
                "actual (from a settlement line, bill or recorded cost) or estimated (from the fee schedule or a standard cost).",
                choices=("actual", "estimated"),
                required=True,
            ),
            _c(
                "settlement",
                "bool",
                "Paid or deducted through the platform settlement.",
                default=False,
            ),
            _c("source_table", "str", "Table the posting comes from.", required=True),
            _c(
                "source_key",
                "str",
                "Natural key of the source row(s): col=value;col=value (a..b: date range; NULL: empty).",
                required=True,
            ),
            _c("content_id", "str", "Content the sale is attributed to."),
            _c("creator_id", "str", "Creator the sale (or sample) is attributed to."),
            _c("traffic_source", "str", "Traffic source of the sale.", choices=TRAFFIC_SOURCES),
            _c("route", "str", "Route / fulfilment path (route id, FBT, 3PL:<warehouse>, seller)."),
            _c("operating_model", "str", "Operating model of the sale.", choices=OPERATING_MODELS),
            _c("market", "str", "Market of the buyer.", "ISO 3166-1"),
            _c("is_sample", "bool", "Belongs to a free creator sample order.", default=False),
            _c("note", "str", "How the amount was computed, in words."),
            _c(
                "reversal_of",
                "str",
                "posting_id this posting reverses (empty: an original posting).",
            ),
        ),
        ("posting_id",),
        group="ledger",
    ),
    Table(
        "ledger_cost_layers",
        "Landed-cost layers from the latest ledger run: factory + freight + duty + inbound per shipment line.",
        (
            _c("layer_id", "str", "Layer (source table and key).", required=True),
            _c("run_id", "str", "Ledger run.", required=True),
            _c("sku_id", "str", "SKU.", required=True),
            _c("source_table", "str", "shipment_lines or purchase_orders.", required=True),
            _c("source_key", "str", "Natural key of the source row.", required=True),
            _c("received_on", "date", "Arrival (empty: in transit)."),
            _c("quantity", "int", "Units in the layer.", "units", min_value=0),
            _money("factory_usd", "Factory cost (PO currency at the PO-date FX rate)."),
            _money("freight_usd", "First-leg freight allocated to the layer."),
            _money("duty_usd", "Import duty incl. extra tariffs."),
            _money("inbound_usd", "Receiving fees."),
            _money("landed_usd", "Total landed cost of the layer."),
            _money("unit_landed_usd", "Landed cost per unit (rounded to 1/10,000)."),
            _c("cost_known", "bool", "The factory cost is known.", default=True),
            _c("basis", "str", "actual or estimated.", choices=("actual", "estimated")),
            _c("in_transit", "bool", "Not arrived yet.", default=False),
        ),
        ("layer_id",),
        group="ledger",
    ),
    Table(
        "ledger_cash",
        "Daily cash timeline and projection from a ledger cash run (USD).",
        (
            _c("run_id", "str", "Run.", required=True),
            _c("date", "date", "Day.", required=True),
            _c(
                "kind",
                "str",
                "history or projection.",
                choices=("history", "projection"),
                required=True,
            ),
            _money(
                "settlements_usd",
                "Platform settlements (actual statements and estimated payouts).",
                min_value=None,
            ),
            _money(
                "expected_sales_usd", "Projected settlements of expected sales.", min_value=None
            ),
            _money("supplier_usd", "Supplier deposits and balances.", min_value=None),
            _money("freight_duty_usd", "Freight, duty and inbound fees.", min_value=None),
            _money("bills_usd", "3PL and FBT bills.", min_value=None),
            _money("ads_usd", "Ad spend.", min_value=None),
            _money("fulfilment_usd", "3PL and return costs of expected sales.", min_value=None),
            _money("inflow_usd", "Money in."),
            _money("outflow_usd", "Money out (negative).", min_value=None),
            _money("net_usd", "Inflow + outflow.", min_value=None),
            _money("cumulative_usd", "Running total of net from the first day.", min_value=None),
            _money(
                "balance_usd",
                "Projected balance: opening cash + net since today (projection days only).",
                min_value=None,
            ),
        ),
        ("run_id", "date"),
        group="ledger",
    ),
    Table(
        "ledger_lines",
        "The order lines the journal holds postings for (incremental ledger): report attributes the postings do not carry, and a fingerprint of what was posted.",
        (
            _c("order_id", "str", "Order.", required=True),
            _c("sku_id", "str", "SKU.", required=True),
            _c("order_date", "date", "Order date (shop time zone)."),
            _c("shop_id", "str", "Shop."),
            _c("content_id", "str", "Content the sale is attributed to."),
            _c("creator_id", "str", "Creator the sale (or sample) is attributed to."),
            _c("traffic_source", "str", "Traffic source of the sale."),
            _c("route", "str", "Route / fulfilment path."),
            _c("operating_model", "str", "Operating model of the sale."),
            _c("market", "str", "Market of the buyer.", "ISO 3166-1"),
            _c("is_sample", "bool", "Belongs to a free creator sample order.", default=False),
            _c("quantity", "int", "Units on the line.", "units", min_value=0),
            _c("cost_known", "bool", "The cost of goods of every unit is known.", default=True),
            _c(
                "fees_basis",
                "str",
                "actual or estimated platform fees.",
                choices=("actual", "estimated"),
            ),
            _c(
                "fingerprint",
                "str",
                "Hash of everything the line's postings are made of; a line whose fingerprint is unchanged is not posted again.",
                required=True,
            ),
            _c("run_id", "str", "Ledger run that last posted the line.", required=True),
        ),
        ("order_id", "sku_id"),
        group="ledger",
    ),
    Table(
        "ledger_sources",
        "Fingerprints of the ledger's input tables and settings at its last posting run: when none changed, the ledger reads the journal instead of rebuilding.",
        (
            _c("name", "str", "Input table, or settings.", required=True),
            _c("fingerprint", "str", "Row count and hash of the table's rows.", required=True),
            _c("run_id", "str", "Ledger run that stored it.", required=True),
        ),
        ("name",),
        group="ledger",
    ),
)

# --- sense tables ---
SENSE_TABLES: tuple[Table, ...] = (
    Table(
        "forecasts",
        "Daily demand forecast per SKU from a sense run (units).",
        (
            _c("run_id", "str", "Run (see runs).", required=True),
            _c("sku_id", "str", "SKU.", required=True),
            _c("ds", "date", "Forecast day.", required=True),
            _c("model", "str", "Model that produced the forecast (after fallback).", required=True),
            _c("mean", "float", "Expected units.", "units", min_value=0),
            _c("lo_50", "float", "50% interval lower bound.", "units", min_value=0),
            _c("hi_50", "float", "50% interval upper bound.", "units", min_value=0),
            _c("lo_80", "float", "80% interval lower bound.", "units", min_value=0),
            _c("hi_80", "float", "80% interval upper bound.", "units", min_value=0),
            _c("lo_95", "float", "95% interval lower bound.", "units", min_value=0),
            _c("hi_95", "float", "95% interval upper bound.", "units", min_value=0),
        ),
        ("run_id", "sku_id", "ds"),
        group="sense",
    ),
    Table(
        "sku_phases",
        "Lifecycle phase, receding-traffic alert and remaining demand per SKU from a sense run.",
        (
            _c("run_id", "str", "Run.", required=True),
            _c("sku_id", "str", "SKU.", required=True),
            _c("as_of", "date", "Last day of history used.", required=True),
            _c(
                "phase",
                "str",
                "Most likely phase.",
                choices=("testing", "rising", "peaking", "steady", "decaying", "dead"),
                required=True,
            ),
            _c("p_testing", "float", "Probability of the testing phase.", "probability"),
            _c("p_rising", "float", "Probability of the rising phase.", "probability"),
            _c("p_peaking", "float", "Probability of the peaking phase.", "probability"),
            _c("p_steady", "float", "Probability of steady (mature) demand.", "probability"),
            _c("p_decaying", "float", "Probability of the decaying phase.", "probability"),
            _c("p_dead", "float", "Probability the SKU is dead.", "probability"),
            _c("receding", "bool", "Traffic-receding alert raised.", default=False),
            _c("receding_since", "date", "Change point where traffic started to recede."),
            _c(
                "kernel",
                "str",
                "Burst decay kernel chosen (exponential or power_law).",
                choices=("exponential", "power_law", "none"),
            ),
            _c(
                "velocity_7d",
                "float",
                "Mean daily units over the last 7 days.",
                "units/day",
                min_value=0,
            ),
            _c(
                "remaining_demand_mean",
                "float",
                "Expected remaining lifecycle demand.",
                "units",
                min_value=0,
            ),
            _c(
                "remaining_demand_p10",
                "float",
                "10th percentile of remaining lifecycle demand.",
                "units",
                min_value=0,
            ),
            _c(
                "remaining_demand_p90",
                "float",
                "90th percentile of remaining lifecycle demand.",
                "units",
                min_value=0,
            ),
        ),
        ("run_id", "sku_id"),
        group="sense",
    ),
)

# --- plan tables ---
PLAN_TABLES: tuple[Table, ...] = (
    Table(
        "plan_sku_results",
        "Simulated outcome of each policy family per SKU in a plan run (expectations over scenarios, USD).",
        (
            _c("run_id", "str", "Run.", required=True),
            _c("sku_id", "str", "SKU.", required=True),
            _c(
                "policy",
                "str",
                "Policy family.",
                choices=("heavy", "qr", "dual", "pod", "hybrid"),
                required=True,
            ),
            _c("chosen", "bool", "The policy recommended for this SKU.", default=False),
            _c("params", "str", "Optimised policy parameters (JSON)."),
            _c("expected_profit_usd", "float", "Expected profit over the horizon.", "USD"),
            _c("profit_p05_usd", "float", "5th percentile of profit.", "USD"),
            _c(
                "cvar_usd",
                "float",
                "CVaR_α of loss (mean of the worst 1−α outcomes, as a loss).",
                "USD",
            ),
            _c("objective_usd", "float", "Expected profit − λ·CVaR.", "USD"),
            _c("expected_sales_qty", "float", "Expected units sold.", "units", min_value=0),
            _c(
                "lost_sales_qty",
                "float",
                "Expected units of demand lost to stock-outs.",
                "units",
                min_value=0,
            ),
            _c(
                "fill_rate",
                "float",
                "Units sold ÷ units demanded.",
                "fraction 0–1",
                min_value=0,
                max_value=1,
            ),
            _c(
                "stockout_prob",
                "float",
                "Probability of a stock-out before the next arrival.",
                "probability",
                min_value=0,
                max_value=1,
            ),
            _c(
                "oos_demand_share",
                "float",
                "Share of demand arriving while out of stock.",
                "fraction 0–1",
                min_value=0,
                max_value=1,
            ),
            _c(
                "dead_stock_qty",
                "float",
                "Expected units left at end of life / horizon.",
                "units",
                min_value=0,
            ),
            _c("dead_stock_value_usd", "float", "Landed value of that dead stock.", "USD"),
            _c("peak_cash_usd", "float", "Expected peak cash tied up.", "USD"),
            _c("holding_cost_usd", "float", "Expected storage and capital cost.", "USD"),
            _c("freight_cost_usd", "float", "Expected freight and duty.", "USD"),
            _c(
                "order_qty",
                "float",
                "Expected units ordered over the horizon.",
                "units",
                min_value=0,
            ),
            _c(
                "fulfilment_days_mean",
                "float",
                "Mean days from order to delivery under this policy's fulfilment path.",
                "days",
                min_value=0,
            ),
            _c(
                "fulfilment_days_sd",
                "float",
                "Standard deviation of those days.",
                "days",
                min_value=0,
            ),
            _c("held_back_by_budget", "bool", "Orders reduced by the cash budget.", default=False),
            _c(
                "gated_by_compliance",
                "bool",
                "No purchase order because of a blocking compliance finding.",
                default=False,
            ),
            _c("reason", "str", "Why this policy was (not) chosen, in words."),
        ),
        ("run_id", "sku_id", "policy"),
        group="plan",
    ),
    Table(
        "plan_actions",
        "Today's actions from a plan run: purchase orders, transfers, POD switches.",
        (
            _c("run_id", "str", "Run.", required=True),
            _c("action_id", "str", "Action identifier within the run.", required=True),
            _c(
                "kind",
                "str",
                "purchase_order, transfer or pod.",
                choices=("purchase_order", "transfer", "pod"),
                required=True,
            ),
            _c("sku_id", "str", "SKU.", required=True),
            _c(
                "policy",
                "str",
                "Policy the action comes from.",
                choices=("heavy", "qr", "dual", "pod", "hybrid"),
            ),
            _c("supplier_id", "str", "Supplier."),
            _c("route_id", "str", "Route."),
            _c("origin_id", "str", "From location."),
            _c("destination_id", "str", "To location."),
            _c("quantity", "int", "Units.", "units", min_value=0, required=True),
            _c("order_date", "date", "Date to place the order.", required=True),
            _c("expected_arrival", "date", "Expected arrival (median)."),
            _c("unit_cost", "float", "Unit cost in currency.", "currency of row"),
            _c("currency", "str", "Currency of unit_cost.", "ISO 4217", choices=CURRENCIES),
            _c("total_cost_usd", "float", "Goods + freight + duty.", "USD"),
            _c("reason", "str", "Why, in words."),
        ),
        ("run_id", "action_id"),
        group="plan",
    ),
)

# --- health tables ---
HEALTH_METRIC_NAMES = (
    "late_dispatch_rate",
    "valid_tracking_rate",
    "seller_fault_cancellation_rate",
    "on_time_delivery_rate",
    "negative_review_rate",
    "non_buyer_fault_return_rate",
)
HEALTH_STATUSES = ("ok", "near", "breach", "no_data")
HEALTH_TABLES: tuple[Table, ...] = (
    Table(
        "health_metrics",
        "Shop performance metrics of a health run: rolling window and weekly trend vs thresholds.",
        (
            _c("run_id", "str", "Run (see runs).", required=True),
            _c("metric", "str", "Metric.", choices=HEALTH_METRIC_NAMES, required=True),
            _c(
                "period",
                "str",
                "window (the metric's rolling window) or week (Monday-start week).",
                choices=("window", "week"),
                required=True,
            ),
            _c("period_start", "date", "First day of the period (shop time zone).", required=True),
            _c("period_end", "date", "Last day of the period.", required=True),
            _c("partial", "bool", "The week is not over yet.", default=False),
            _c(
                "value",
                "float",
                "Metric value (empty: no orders).",
                "fraction 0–1",
                min_value=0,
                max_value=1,
            ),
            _c("numerator", "int", "Orders in the metric's numerator.", "orders", min_value=0),
            _c("denominator", "int", "Orders the metric is computed over.", "orders", min_value=0),
            _c("offending", "int", "Orders counting against the metric.", "orders", min_value=0),
            _c("threshold", "float", "Threshold in force.", "fraction 0–1"),
            _c("status", "str", "ok, near, breach or no_data.", choices=HEALTH_STATUSES),
        ),
        ("run_id", "metric", "period", "period_start"),
        group="health",
    ),
    Table(
        "health_projections",
        "Metrics projected under a plan run: current, the plan's chosen policies, heavy pre-stock.",
        (
            _c("run_id", "str", "Health run.", required=True),
            _c("plan_run_id", "str", "Plan run projected.", required=True),
            _c(
                "scenario",
                "str",
                "current, chosen (the plan's recommendation) or a policy family (heavy, …).",
                required=True,
            ),
            _c("metric", "str", "Metric.", choices=HEALTH_METRIC_NAMES, required=True),
            _c("value", "float", "Projected value.", "fraction 0–1", min_value=0, max_value=1),
            _c("threshold", "float", "Threshold in force.", "fraction 0–1"),
            _c("status", "str", "ok, near, breach or no_data.", choices=HEALTH_STATUSES),
            _c(
                "projected",
                "bool",
                "The plan changes this metric (else the current value is carried).",
                default=False,
            ),
        ),
        ("run_id", "scenario", "metric"),
        group="health",
    ),
)

# --- comply tables ---
COMPLY_TABLES: tuple[Table, ...] = (
    Table(
        "comply_findings",
        "Findings of a comply run: listing, content and promotion text rules, category documents, templated content.",
        (
            _c("run_id", "str", "Run (see runs).", required=True),
            _c(
                "finding_id",
                "int",
                "Position of the finding within the run (1-based).",
                required=True,
            ),
            _c("as_of", "date", "Day the documents were checked against."),
            _c("code", "str", "Rule code (see docs/comply.md).", required=True),
            _c(
                "severity",
                "str",
                "block (must fix before publishing / ordering), warn or info.",
                choices=("block", "warn", "info"),
                required=True,
            ),
            _c(
                "kind",
                "str",
                "text, documents or templated.",
                choices=("text", "documents", "templated"),
            ),
            _c(
                "scope",
                "str",
                "Where the text sits (listing_title, video_script, …) or sku_documents.",
            ),
            _c(
                "source",
                "str",
                "What the finding is about: sku:<id>, content:<id>, a file or text.",
            ),
            _c("sku_id", "str", "SKU concerned."),
            _c("content_id", "str", "Content concerned."),
            _c("field", "str", "Field holding the evidence (title, description, caption, script)."),
            _c(
                "span_start",
                "int",
                "Start of the evidence in the field (characters, 0-based).",
                min_value=0,
            ),
            _c("span_end", "int", "End of the evidence in the field (exclusive).", min_value=0),
            _c("match_text", "str", "The evidence text (or the matching script / certificate)."),
            _c("message", "str", "Message in English.", required=True),
            _c("message_zh", "str", "Message in Simplified Chinese."),
            _c("fix", "str", "How to fix it, in English."),
            _c("fix_zh", "str", "How to fix it, in Simplified Chinese."),
            _c("rule_source", "str", "Where the rule comes from (policy page, regulation)."),
            _c("detail", "str", "Further evidence (JSON)."),
        ),
        ("run_id", "finding_id"),
        group="comply",
    ),
)

# --- connector tables ---
CONNECTOR_TABLES: tuple[Table, ...] = (
    Table(
        "tiktok_webhook_events",
        "TikTok Shop webhook notifications queued for a re-fetch (de-duplicated by notification id).",
        (
            _c("notification_id", "str", "tts_notification_id of the push.", required=True),
            _c("shop_id", "str", "Shop the notification is about."),
            _c(
                "type",
                "int",
                "Notification type (1 order status, 11 cancellation, 12 return).",
                required=True,
            ),
            _c(
                "resource",
                "str",
                "What to re-fetch.",
                choices=("order", "return", "other"),
                required=True,
            ),
            _c("resource_id", "str", "Id of the order or return to re-fetch."),
            _c("order_id", "str", "Order the notification concerns."),
            _c("event_time", "timestamp", "Platform timestamp of the notification.", "UTC"),
            _c("received_at", "timestamp", "When quickturn received it.", "UTC", required=True),
            _c("payload", "str", "The notification's data block (JSON)."),
            _c(
                "status",
                "str",
                "pending, done, failed or ignored.",
                choices=("pending", "done", "failed", "ignored"),
                default="pending",
                required=True,
            ),
            _c("attempts", "int", "Processing attempts.", min_value=0, default=0),
            _c("processed_at", "timestamp", "When the re-fetch was done.", "UTC"),
            _c("error", "str", "Last processing error."),
        ),
        ("notification_id",),
        group="connector",
    ),
)

# --- web tables ---
WEB_TABLES: tuple[Table, ...] = ()

SYSTEM_TABLES: tuple[Table, ...] = (
    Table(
        "runs",
        "A module run (sense forecast, plan, ...) with its parameters and summary.",
        (
            _c("run_id", "str", "Run identifier.", required=True),
            _c(
                "module", "str", "Module: sense, plan, ledger, health, comply, sync.", required=True
            ),
            _c("created_at", "timestamp", "When the run finished.", "UTC", required=True),
            _c("as_of", "date", "Business date the run is for."),
            _c("params", "str", "Parameters (JSON)."),
            _c("summary", "str", "Summary figures (JSON)."),
        ),
        ("run_id",),
        group="system",
    ),
    Table(
        "state",
        "Small key/value state kept by quickturn itself (sync high-water marks, last runs).",
        (
            _c("namespace", "str", "Owner, e.g. 'sync:tiktok:<shop_id>'.", required=True),
            _c("key", "str", "Key within the namespace.", required=True),
            _c("value", "str", "Value (JSON text).", required=True),
            _c("updated_at", "timestamp", "Last change.", "UTC", required=True),
        ),
        ("namespace", "key"),
        group="system",
    ),
)

TABLES = (
    TABLES
    + LEDGER_TABLES
    + SENSE_TABLES
    + PLAN_TABLES
    + HEALTH_TABLES
    + COMPLY_TABLES
    + CONNECTOR_TABLES
    + WEB_TABLES
    + SYSTEM_TABLES
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def get_table(name: str) -> Table:
    """Return the table definition, with a helpful error for unknown names."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(TABLES_BY_NAME))
        raise KeyError(f"unknown table {name!r}; known tables: {known}") from None


def input_tables() -> list[Table]:
    """Tables holding the seller's own data (as opposed to module results)."""
    return [t for t in TABLES if t.group == "input"]


def markdown() -> str:
    """The data-model reference (``docs/data-model.md``), generated from the definitions."""
    lines = [
        "# Data model",
        "",
        "Generated from `src/quickturn/schema.py` by `make docs` (a test checks it is current).",
        "Timestamps are naive UTC; dates are the shop's calendar days. Money is DECIMAL(18,4);",
        "rates are fractions 0–1 (DECIMAL(12,6)); FX rates DECIMAL(18,8).",
        "",
    ]
    groups: dict[str, list[Table]] = {}
    for t in TABLES_BY_NAME.values():
        groups.setdefault(t.group, []).append(t)
    for group, tables in groups.items():
        lines += [f"## {'Seller data' if group == 'input' else group.capitalize() + ' tables'}", ""]
        for t in tables:
            lines += [
                f"### `{t.name}`",
                "",
                t.description,
                "",
                f"Natural key: `{', '.join(t.key)}`",
                "",
            ]
            lines += ["| column | type | unit | required | description |", "|---|---|---|---|---|"]
            for c in t.columns:
                desc = c.description
                if c.choices:
                    desc += " Values: " + ", ".join(f"`{v}`" for v in c.choices) + "."
                if c.references:
                    desc += f" → `{c.references}`."
                if c.default is not None:
                    desc += f" Default `{c.default}`."
                req = "yes" if (c.required or c.name in t.key) else ""
                lines.append(
                    f"| `{c.name}` | {SQL_TYPES[c.type]} | {c.unit} | {req} | {desc.replace('|', '/')} |"
                )
            lines.append("")
    return "\n".join(lines)
