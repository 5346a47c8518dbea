"""Demo configuration: the size flags (:class:`DemoConfig`) and every story parameter
(:class:`Story`) in one place.

Nothing here reads a clock: the as-of day is a field with a fixed default so that the same
config always generates the same shop.  The CLI passes today's date explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

#: default as-of day when none is given (pure default; the CLI passes "today")
DEFAULT_AS_OF = date(2026, 3, 2)


@dataclass(frozen=True)
class Category:
    """A product category of the demo catalog and its economics."""

    name: str
    prefix: str
    share: float  # share of the catalog's SKUs
    price_lo: float  # USD list price range
    price_hi: float
    cost_share: float  # factory cost as a share of the USD list price (before FX)
    weight_g: tuple[float, float]
    dims_cm: tuple[float, float, float]
    hs_code: str
    duty_rate: float
    return_rate: float  # base probability that a delivered line is returned / refunded
    defect_share: float  # share of returns that are seller-fault (defective, not as described)


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category("toys", "TOY", share=0.18, price_lo=9.99, price_hi=39.99, cost_share=0.22,
             weight_g=(150, 900), dims_cm=(25, 18, 8), hs_code="9503.00.0073", duty_rate=0.0,
             return_rate=0.04, defect_share=0.3),
    Category("electronics", "GAD", share=0.11, price_lo=14.99, price_hi=59.99, cost_share=0.30,
             weight_g=(120, 600), dims_cm=(18, 12, 6), hs_code="8543.70.9960", duty_rate=0.026,
             return_rate=0.06, defect_share=0.35),
    Category("supplements", "SUP", share=0.08, price_lo=19.99, price_hi=39.99, cost_share=0.14,
             weight_g=(120, 300), dims_cm=(12, 7, 7), hs_code="2106.90.9998", duty_rate=0.064,
             return_rate=0.03, defect_share=0.2),
    Category("beauty", "BEA", share=0.12, price_lo=9.99, price_hi=69.99, cost_share=0.19,
             weight_g=(80, 500), dims_cm=(16, 10, 6), hs_code="3304.99.5000", duty_rate=0.0,
             return_rate=0.05, defect_share=0.3),
    Category("apparel", "APP", share=0.25, price_lo=17.99, price_hi=34.99, cost_share=0.24,
             weight_g=(180, 400), dims_cm=(28, 22, 3), hs_code="6109.10.0012", duty_rate=0.165,
             return_rate=0.09, defect_share=0.15),
    Category("home", "HOM", share=0.16, price_lo=9.99, price_hi=44.99, cost_share=0.23,
             weight_g=(200, 1500), dims_cm=(30, 20, 12), hs_code="3924.10.4000", duty_rate=0.034,
             return_rate=0.04, defect_share=0.25),
    Category("pet", "PET", share=0.10, price_lo=7.99, price_hi=29.99, cost_share=0.20,
             weight_g=(150, 1200), dims_cm=(22, 16, 8), hs_code="4201.00.3000", duty_rate=0.024,
             return_rate=0.035, defect_share=0.25),
)
# fmt: on


@dataclass(frozen=True)
class Story:
    """Every tunable number of the demo story.  Defaults are plausible for a small
    cross-border TikTok Shop US seller in 2026 (see docs/demo.md for the sources)."""

    # --- catalog -------------------------------------------------------------------------
    categories: tuple[Category, ...] = CATEGORIES
    #: lifecycle archetype mix of SKUs (must sum to 1)
    archetypes: tuple[tuple[str, float], ...] = (
        ("steady", 0.30),
        ("burst", 0.24),
        ("slow", 0.20),
        ("testing", 0.12),
        ("dead", 0.14),
    )
    #: share of burst SKUs whose bursts have a long power-law tail (the rest: exponential)
    power_law_share: float = 0.5
    cny_per_usd: float = 7.20
    gbp_per_usd: float = 0.79
    myr_per_usd: float = 4.45
    #: share of SKUs stocked at FBT (rest: US 3PL west/east)
    fbt_share: float = 0.25
    #: share of SKUs also listed in the second (GB, direct cross-border) shop
    gb_share: float = 0.15
    gb_demand_factor: float = 0.20
    gb_shop_age_days: int = 150
    #: apparel: designs × sizes; variants of these sizes are POD-only (long tail)
    apparel_sizes: tuple[str, ...] = ("S", "M", "L", "XL", "2XL")
    pod_sizes: tuple[str, ...] = ("XL", "2XL")
    pod_unit_cost_cny: tuple[float, float] = (48.0, 62.0)
    pod_lead_time_days: float = 6.0
    # --- demand --------------------------------------------------------------------------
    #: mean daily units of a steady seller (lognormal median) in a 300-SKU shop
    steady_level: float = 1.8
    slow_level: float = 0.35
    testing_level: float = 0.4
    #: per-SKU demand scales with catalog size as (n_skus / 300) ** size_exponent (long tail)
    size_exponent: float = -0.5
    weekend_lift: float = 1.15
    #: Black Friday → Christmas lift (toys lift twice as much)
    q4_lift: float = 1.6
    #: units per view for content-driven demand (lognormal median; per SKU)
    conversion_median: float = 0.0012
    conversion_sigma: float = 0.6
    # --- content -------------------------------------------------------------------------
    own_video_every_days: float = 21.0
    own_video_views: float = 3_000.0
    creator_posts_per_burst_sku: float = 3.0
    creator_posts_per_steady_sku: float = 3.0
    viral_views: float = 150_000.0
    live_every_days: float = 4.0
    live_views: float = 6_000.0
    exp_tau_days: tuple[float, float] = (2.5, 6.0)
    power_alpha: tuple[float, float] = (1.1, 1.5)
    power_c_days: tuple[float, float] = (1.5, 4.0)
    metrics_horizon_days: int = 120
    #: a LIVE converts views into orders this many times better than a video
    live_boost: float = 2.5
    #: creator samples ship this many days before the post
    sample_lead_days: tuple[int, int] = (5, 20)
    # --- orders and fulfilment -----------------------------------------------------------
    p_unit_continues_line: float = 0.12  # a unit joins the previous unit's line (qty > 1)
    p_two_line_order: float = 0.18  # an order line merges into another order (same day, place)
    sales_tax_rate: tuple[float, float] = (0.0, 0.10)
    gb_vat_rate: float = 0.20
    free_shipping_threshold_usd: float = 30.0
    buyer_shipping_fee_usd: float = 4.99
    seller_promo_share: float = 0.22  # lines with a seller-funded discount
    platform_coupon_share: float = 0.15  # lines with a platform-funded discount
    buyer_cancel_rate: float = 0.018
    #: share of stock-out demand that still became an order, later cancelled by the seller
    stockout_cancel_share: float = 0.25
    #: dispatch hours (lognormal median, sigma) after payment at a US 3PL
    dispatch_hours_3pl: tuple[float, float] = (20.0, 0.55)
    dispatch_hours_fbt: tuple[float, float] = (10.0, 0.45)
    dispatch_hours_cn: tuple[float, float] = (30.0, 0.5)
    #: a 3PL backlog episode: (days before as-of it starts, length in days, extra hours)
    backlog: tuple[int, int, float] = (100, 12, 40.0)
    carrier_scan_hours: tuple[float, float] = (4.0, 0.6)
    #: a winter-storm week: (days before as-of it starts, length in days, extra transit days)
    storm: tuple[int, int, float] = (75, 8, 3.0)
    #: velocity × price (USD/day) above which an urgent reorder flies instead of sea-express
    air_threshold_usd: float = 400.0
    #: valid tracking: probability a seller-fulfilled package's tracking never scans
    invalid_tracking_rate: float = 0.01
    review_rate: float = 0.07
    # --- finance -------------------------------------------------------------------------
    referral_fee_rate: float = 0.06
    refund_admin_share: float = 0.20
    refund_admin_cap_usd: float = 5.0
    fbt_fee_single_usd: float = 3.58
    fbt_fee_multi_usd: float = 2.86
    settlement_days: int = 7
    #: GB shop is in its introductory period: share held in reserve and days until release
    reserve_rate: float = 0.10
    reserve_days: int = 30
    creator_commission: tuple[float, float] = (0.08, 0.20)
    #: TikTok Shipping label for a 3PL parcel: base + per kg, capped
    label_base_usd: float = 3.60
    label_per_kg_usd: float = 2.20
    label_cap_usd: float = 12.0
    #: POD partner's last-mile charge per order line
    pod_last_mile_usd: float = 5.20
    gmv_max_share: float = 0.30  # live SKUs with a GMV Max campaign
    gmv_max_uplift: tuple[float, float] = (0.5, 1.2)  # ad-driven demand ÷ organic demand
    gmv_max_roas: tuple[float, float] = (2.5, 6.0)
    # --- supply --------------------------------------------------------------------------
    production_days: tuple[float, float] = (12.0, 30.0)
    review_every_days: int = 7
    cover_days: float = 45.0
    #: dead SKUs hold this multiple of the demand they have left (the batch bought for a peak)
    dead_stock_multiple: tuple[float, float] = (1.8, 3.5)


@dataclass(frozen=True)
class DemoConfig:
    """Size and seed of a demo shop.  History covers ``days`` days ending the day before
    ``as_of``."""

    n_skus: int = 300
    days: int = 365
    seed: int = 7
    as_of: date = DEFAULT_AS_OF
    story: Story = field(default_factory=Story)

    def __post_init__(self) -> None:
        if self.n_skus < 10:
            raise ValueError(f"n_skus must be at least 10, got {self.n_skus}")
        if self.days < 30:
            raise ValueError(f"days must be at least 30, got {self.days}")

    @property
    def start(self) -> date:
        """First day of history."""
        return self.as_of - timedelta(days=self.days)

    @property
    def scale(self) -> float:
        """Per-SKU demand multiplier for the catalog size: 1 up to 300 SKUs, then smaller
        (a long tail in big catalogs)."""
        return float(min(1.0, (self.n_skus / 300.0) ** self.story.size_exponent))
