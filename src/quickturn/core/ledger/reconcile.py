"""Reconciliation checks over a ledger result; each returns findings, never raises.

* ``LEDGER_SETTLEMENT_MISMATCH`` — an order's settled sales (revenue + platform discount lines)
  differ from what its order lines say (gross − seller discount) by more than the tolerance;
* ``LEDGER_FEE_MISMATCH`` — a settled referral fee or affiliate commission differs from the
  fee schedule's amount for the same order (rate changed, promotion, wrong commission rate);
* ``LEDGER_NEGATIVE_MARGIN`` — SKUs whose contribution margin over the ledger is negative;
* missing costs, unknown currencies and settlements for unknown orders are reported by the
  engine while it builds (``LEDGER_COST_UNKNOWN``, ``LEDGER_FX_MISSING``,
  ``LEDGER_SETTLEMENT_UNKNOWN_ORDER``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from quickturn.core.ledger.amounts import dec_rate, fee_cents
from quickturn.core.ledger.engine import LedgerResult
from quickturn.core.ledger.findings import finding, sample
from quickturn.errors import Finding
from quickturn.money import to_micro


def _usd(micro: int) -> str:
    return f"{micro / 10_000:,.2f}"


@dataclass
class Checks:
    """What the reconciliation findings are made from, small and additive over disjoint sets
    of orders (partitions of a big shop: :func:`combine` their checks, then :func:`report`)."""

    #: (order_id, diff): orders settled for other than their lines say, beyond the tolerance
    settlement: pl.DataFrame
    #: (account, order_id, actual, expected, diff): fees off the schedule beyond the tolerance
    fees: pl.DataFrame
    #: (sku_id, margin, units) of every SKU
    skus: pl.DataFrame


def collect(result: LedgerResult) -> Checks:
    """The checks of ``result`` (its lines and details; any set of whole orders)."""
    s = result.settings
    tol = to_micro(s.fee_tolerance_usd)
    lines = result.lines
    ids = lines.select("line_no", "order_id")
    adj = result.details.filter(pl.col("account") == "revenue_adjustment")
    settlement = (
        adj.join(ids, on="line_no")
        .group_by("order_id")
        .agg(pl.col("amount_usd").sum().alias("diff"))
        .filter(pl.col("diff").abs() > tol)
    )
    det = result.details.filter(
        (pl.col("source_table") == "settlement_lines")
        & pl.col("account").is_in(["referral_fee", "commission"])
    )
    fee_parts: list[pl.DataFrame] = []
    if det.height:
        base = pl.col("sales") + (
            pl.col("shipping_income") if s.referral_fee_includes_shipping else 0
        )
        expected = lines.select(
            "line_no",
            "order_id",
            (-fee_cents(base, dec_rate(s.referral_fee_rate))).alias("referral_fee"),
            pl.when(pl.col("comm6").is_not_null())
            .then(-fee_cents(pl.col("sales"), pl.col("comm6")))
            .otherwise(0)
            .alias("commission"),
        )
        for account in ("referral_fee", "commission"):
            actual = det.filter(pl.col("account") == account)
            if actual.height == 0:
                continue
            got = (
                actual.join(ids, on="line_no")
                .group_by("order_id")
                .agg(pl.col("amount_usd").sum().alias("actual"))
            )
            want = expected.group_by("order_id").agg(pl.col(account).sum().alias("expected"))
            cmp = got.join(want, on="order_id").with_columns(
                (pl.col("actual") - pl.col("expected")).alias("diff")
            )
            fee_parts.append(
                cmp.filter(pl.col("diff").abs() > tol).select(
                    pl.lit(account).alias("account"), "order_id", "actual", "expected", "diff"
                )
            )
    fees = (
        pl.concat(fee_parts)
        if fee_parts
        else pl.DataFrame(
            schema={
                "account": pl.String,
                "order_id": pl.String,
                "actual": pl.Int64,
                "expected": pl.Int64,
                "diff": pl.Int64,
            }
        )
    )
    skus = lines.group_by("sku_id").agg(
        pl.col("margin").sum().alias("margin"), pl.col("quantity").sum().alias("units")
    )
    return Checks(settlement, fees, skus)


def combine(parts: list[Checks]) -> Checks:
    """The checks of the union of disjoint sets of orders."""
    skus = pl.concat([p.skus for p in parts]).group_by("sku_id").agg(pl.all().sum())
    return Checks(
        pl.concat([p.settlement for p in parts], how="vertical_relaxed"),
        pl.concat([p.fees for p in parts], how="vertical_relaxed"),
        skus,
    )


def settlement_mismatches(checks: Checks) -> list[Finding]:
    per_order = checks.settlement.sort("order_id")
    if per_order.height == 0:
        return []
    examples = [f"{r['order_id']} ({_usd(r['diff'])})" for r in per_order.head(5).to_dicts()]
    return [
        finding(
            "LEDGER_SETTLEMENT_MISMATCH",
            "warn",
            "{n} order(s) were settled for a different amount than their order lines say (settled sales − (gross − seller discount)), in total ${total}: {examples}",
            fix="Compare the statement with the order export: a price change, a partial refund or a missing seller discount explains most differences; the settled amount is used.",
            source="settlement_lines",
            n=per_order.height,
            total=_usd(int(per_order["diff"].sum())),
            examples=sample(examples),
            record={"order_ids": per_order["order_id"].head(100).to_list()},
        )
    ]


def fee_mismatches(checks: Checks) -> list[Finding]:
    out: list[Finding] = []
    for account, label in (
        ("referral_fee", "referral fee"),
        ("commission", "affiliate commission"),
    ):
        bad = checks.fees.filter(pl.col("account") == account).sort("order_id")
        if bad.height == 0:
            continue
        ex = [
            f"{r['order_id']}: {_usd(-r['actual'])} vs {_usd(-r['expected'])}"
            for r in bad.head(5).to_dicts()
        ]
        out.append(
            finding(
                "LEDGER_FEE_MISMATCH",
                "warn",
                "{n} order(s) were charged a {label} that does not match the fee schedule (settled vs schedule): {examples}",
                fix="Check the ledger fee settings (referral_fee_rate, commission rates) against the current TikTok Shop rates, or the creator's commission rate.",
                source="settlement_lines",
                column=account,
                n=bad.height,
                label=label,
                examples=sample(ex),
                record={"order_ids": bad["order_id"].head(100).to_list()},
            )
        )
    return out


def negative_margin_skus(checks: Checks) -> list[Finding]:
    per = checks.skus.filter(pl.col("margin") < 0).sort("margin", "sku_id", nulls_last=True)
    if per.height == 0:
        return []
    ex = [f"{r['sku_id']} ({_usd(r['margin'])})" for r in per.head(5).to_dicts()]
    return [
        finding(
            "LEDGER_NEGATIVE_MARGIN",
            "warn",
            "{n} SKU(s) lose money after every cost (contribution margin below zero), worst first: {examples}",
            fix="Run `quickturn ledger --by sku` and `quickturn ledger explain --sku <SKU> --month <YYYY-MM>` to see which component eats the margin.",
            source="ledger",
            n=per.height,
            examples=sample(ex),
            record={"sku_ids": per["sku_id"].head(100).to_list()},
        )
    ]


def report(checks: Checks) -> list[Finding]:
    """The reconciliation findings of ``checks``."""
    return settlement_mismatches(checks) + fee_mismatches(checks) + negative_margin_skus(checks)


def reconcile(result: LedgerResult) -> list[Finding]:
    """All reconciliation findings (the engine's own findings are in ``result.findings``)."""
    return report(collect(result))
