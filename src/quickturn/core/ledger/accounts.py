"""The ledger's chart of accounts: every amount on an order line belongs to one account, and
every account to one group of the contribution-margin waterfall.

Signs: positive amounts are income to the seller, negative amounts are costs.  Contribution
margin is the plain sum of all accounts.  Sample orders (free creator samples) move all their
amounts into the ``samples`` group, charged to the creator who received them.
"""

from __future__ import annotations

import polars as pl

#: waterfall order (the margin is their sum)
GROUPS: tuple[str, ...] = (
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

#: account → (group, flows through the platform settlement by default, replaceable family).
#: An estimated account is replaced, for the whole order, when actual amounts of its family
#: exist for that order (a settlement line or a bill).  Each account is its own family, so a
#: refund that happened after the order was settled stays estimated until a statement shows
#: its referral-fee refund or commission claw-back.
ACCOUNTS: dict[str, tuple[str, bool, str | None]] = {
    "gross_revenue": ("revenue", True, None),
    "revenue_adjustment": ("revenue", True, None),
    "shipping_income": ("revenue", True, "shipping_income"),
    "seller_discount": ("discounts", True, None),
    "referral_fee": ("platform_fees", True, "referral_fee"),
    "referral_fee_refund": ("platform_fees", True, "referral_fee_refund"),
    "refund_admin_fee": ("platform_fees", True, "refund_admin_fee"),
    "payment_fee": ("platform_fees", True, "payment_fee"),
    "other_platform_fees": ("platform_fees", True, None),
    "commission": ("commission", True, "commission"),
    "commission_clawback": ("commission", True, "commission_clawback"),
    "ads": ("ads", False, None),
    "fbt_fee": ("fulfilment", True, "fbt_fee"),
    "pick_pack": ("fulfilment", False, "pick_pack"),
    "warehousing": ("fulfilment", False, None),
    "shipping_cost": ("shipping", True, "shipping_cost"),
    "refunds": ("returns", True, "refunds"),
    "return_shipping": ("returns", False, None),
    "return_handling": ("returns", False, None),
    "return_write_off": ("returns", False, None),
    "replacement": ("returns", False, None),
    "cogs": ("landed_cost", False, None),
    "cogs_reversal": ("landed_cost", False, None),
    "sample_shipping": ("samples", True, None),
}

ACCOUNT_NAMES: tuple[str, ...] = tuple(ACCOUNTS)

#: settlement statement fee type → account (by sign where it matters); None: cash only
SETTLEMENT_ACCOUNTS: dict[str, tuple[str, str] | tuple[str] | None] = {
    # fee_type: (account when negative, account when positive) or (account,)
    "revenue": ("settled_sales",),
    "platform_discount": ("settled_sales",),
    "shipping": ("shipping_income",),
    "shipping_label": ("shipping_cost",),
    "referral_fee": ("referral_fee", "referral_fee_refund"),
    "refund_administration_fee": ("refund_admin_fee",),
    "affiliate_commission": ("commission", "commission_clawback"),
    "affiliate_ads_commission": ("commission", "commission_clawback"),
    "fbt_fulfillment_fee": ("fbt_fee",),
    "transaction_fee": ("payment_fee",),
    "refund": ("refunds",),
    "penalty": ("other_platform_fees",),
    "adjustment": ("other_platform_fees",),
    "other": ("other_platform_fees",),
    "sample_shipping_fee": ("sample_shipping",),
    "ads_payment": None,  # paying ad spend already counted from ad_spend: cash only
    "reserve_hold": None,
    "reserve_release": None,
}

#: 3PL / FBT bill charge type → account when the bill line names an order
BILL_ORDER_ACCOUNTS: dict[str, str] = {
    "pick_pack": "pick_pack",
    "fbt_fulfillment": "fbt_fee",
    "last_mile": "shipping_cost",
    "storage": "warehousing",
    "fbt_storage": "warehousing",
    "inbound": "warehousing",
    "disposal": "warehousing",
    "other": "warehousing",
}

ESTIMATED_LINE_ACCOUNTS: tuple[str, ...] = (
    "shipping_income",
    "shipping_cost",
    "referral_fee",
    "payment_fee",
    "commission",
    "fbt_fee",
    "pick_pack",
)


def group_of(account: str) -> str:
    return ACCOUNTS[account][0]


def family_of(account: str) -> str | None:
    return ACCOUNTS[account][2]


#: columns of ``LedgerResult.details`` (one row per source row and account)
DETAIL_SCHEMA: dict[str, pl.DataType] = {
    "line_no": pl.Int64(),
    "account": pl.String(),
    "amount_usd": pl.Int64(),
    "amount": pl.Int64(),
    "currency": pl.String(),
    "basis": pl.String(),
    "settlement": pl.Boolean(),
    "source_table": pl.String(),
    "source_key": pl.String(),
    "date": pl.Date(),
    "family": pl.String(),
    "note": pl.String(),
}

#: columns of ``LedgerResult.overhead`` (postings that belong to no order line)
OVERHEAD_SCHEMA: dict[str, pl.DataType] = {
    "sku_id": pl.String(),
    "content_id": pl.String(),
    "creator_id": pl.String(),
    "account": pl.String(),
    "amount_usd": pl.Int64(),
    "amount": pl.Int64(),
    "currency": pl.String(),
    "basis": pl.String(),
    "settlement": pl.Boolean(),
    "source_table": pl.String(),
    "source_key": pl.String(),
    "date": pl.Date(),
    "note": pl.String(),
}
