"""The incremental ledger: fingerprints that say what changed, and the journal read back as lines.

Pure functions (frames in, frames out) used by :func:`quickturn.services.ledger.run`:

* :func:`source_fingerprints` — one fingerprint per input table (row count + hash of its rows)
  and one of the settings and ``as_of``; :func:`sources_frame` the same from fingerprints the
  database took (``quickturn ledger`` uses those: an unchanged shop loads no table).  When none changed since the last posting run, the
  journal already holds the ledger and nothing is built: the report reads the journal.
* :func:`line_fingerprints` — one fingerprint per order line (``order_id, sku_id``) of a built
  ledger, over *everything its postings are made of*: the line's row of the wide ``lines``
  frame (report dimensions and every account), its detail rows (statement lines, bills,
  returns), the cost layers it consumed (with their source), its ad-spend shares (with their
  pool) and the settings.  Because it is taken on the engine's *output*, a change that spreads
  (one shipment re-prices the FIFO layers of later sales, one week's ad spend is re-shared over
  every line of that week) marks exactly the lines whose postings move, and no others.
* :func:`changed_orders` — the orders to post again: an order with a new, changed or removed
  line (an order is posted as a whole, so its stored lines can be replaced as a whole).
* :func:`subset` — the part of a :class:`~quickturn.core.ledger.engine.LedgerResult` that
  belongs to some orders (plus every posting of no order line), for
  :func:`~quickturn.core.ledger.postings.postings`.
* :func:`journal_lines` / :func:`journal_overhead` — the journal's net amounts per order line
  and account (reversals included) shaped like the engine's ``lines`` and ``overhead`` frames,
  so :func:`~quickturn.core.ledger.reports.rollup` gives the same report from the journal as
  from a fresh build, to the micro-unit.

Hashes are Polars' ``hash_rows`` (fast, vectorised); they are stable within one Polars version.
After an upgrade every fingerprint may differ once: the next run then diffs every line against
the journal (nothing is posted twice, only slower).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date

import polars as pl

from quickturn.core.ledger.accounts import ACCOUNT_NAMES, ACCOUNTS, GROUPS, OVERHEAD_SCHEMA
from quickturn.core.ledger.engine import LedgerResult
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.postings import LINE_DIMS, POSTING_SCHEMA
from quickturn.core.ledger.schedule import LedgerSettings

#: columns of the stored line attributes (``ledger_lines`` without fingerprint and run): the
#: report dimensions a line shares with its postings, its shop, units and flags
LINE_ATTRIBUTES: dict[str, pl.DataType] = {
    **{c: POSTING_SCHEMA[c] for c in LINE_DIMS if c not in ("line_no", "currency", "fx8")},
    "shop_id": pl.String(),
    "quantity": pl.Int64(),
    "cost_known": pl.Boolean(),
    "fees_basis": pl.String(),
}
SETTINGS_SOURCE = "settings"
_HALF = 1 << 32
_KEY = ["order_id", "sku_id"]


def _table_hash(df: pl.DataFrame) -> str:
    """Row count and an order-independent hash of the rows (sums of the high and the low 32
    bits of the 64-bit row hashes: no overflow below 4 billion rows)."""
    if df.height == 0:
        return "0"
    h = df.hash_rows(seed=0)
    return f"{df.height}:{int((h // _HALF).sum())}:{int((h % _HALF).sum())}"


def settings_key(settings: LedgerSettings, as_of: date | None) -> str:
    """Text of every ledger setting and the requested ``as_of`` (``None``: the data's last day)."""
    return f"{settings!r}|as_of={as_of}"


def source_fingerprints(
    inputs: LedgerInputs, settings: LedgerSettings, as_of: date | None
) -> pl.DataFrame:
    """``name, fingerprint``: one row per input table and one for the settings."""
    names = [f.name for f in fields(inputs)]
    fps = [_table_hash(getattr(inputs, n)) for n in names]
    return pl.DataFrame(
        {
            "name": [*names, SETTINGS_SOURCE],
            "fingerprint": [*fps, settings_key(settings, as_of)],
        },
        schema={"name": pl.String, "fingerprint": pl.String},
    )


def sources_frame(
    tables: Mapping[str, str], settings: LedgerSettings, as_of: date | None
) -> pl.DataFrame:
    """``name, fingerprint`` from per-table fingerprints taken elsewhere (in the database, by
    :func:`quickturn.store.queries.ledger.table_fingerprints`) plus the settings' row."""
    names = sorted(tables)
    return pl.DataFrame(
        {
            "name": [*names, SETTINGS_SOURCE],
            "fingerprint": [*(tables[n] for n in names), settings_key(settings, as_of)],
        },
        schema={"name": pl.String, "fingerprint": pl.String},
    )


def same_sources(fresh: pl.DataFrame, stored: pl.DataFrame) -> bool:
    """True when ``stored`` holds exactly the fingerprints of ``fresh``."""
    if stored.height != fresh.height:
        return False
    a = dict(zip(fresh["name"].to_list(), fresh["fingerprint"].to_list(), strict=True))
    b = dict(zip(stored["name"].to_list(), stored["fingerprint"].to_list(), strict=True))
    return a == b


def _per_line(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """(line_no, name_hi, name_lo): sums of the high and low 32 bits of the row hashes of
    ``df``'s rows (without ``line_no``) per line — independent of row order."""
    hi, lo = f"{name}_hi", f"{name}_lo"
    if df.height == 0:
        return pl.DataFrame(schema={"line_no": pl.Int64, hi: pl.UInt64, lo: pl.UInt64})
    h = df.drop("line_no").hash_rows(seed=0)
    return (
        pl.DataFrame({"line_no": df["line_no"], hi: h // _HALF, lo: h % _HALF})
        .group_by("line_no")
        .agg(pl.col(hi).sum(), pl.col(lo).sum())
    )


def line_fingerprints(result: LedgerResult, salt: str = "") -> pl.DataFrame:
    """``order_id, sku_id, fingerprint`` (text) per order line of ``result`` (see module doc)."""
    lines = result.lines
    if lines.height == 0:
        return pl.DataFrame(
            schema={"order_id": pl.String, "sku_id": pl.String, "fingerprint": pl.String}
        )
    base = pl.DataFrame(
        {
            "line_no": lines["line_no"],
            "__l": lines.drop("line_no").hash_rows(seed=0),
        }
    )
    det = _per_line(result.details.filter(pl.col("line_no").is_not_null()), "__d")
    cons = result.consumption
    if cons.height:
        cons = cons.join(
            result.layers.select("layer_id", "source_table", "source_key"),
            on="layer_id",
            how="left",
        )
    con = _per_line(cons, "__c")
    ads = result.ad_allocations
    if ads.height:
        ads = ads.join(result.ad_pools.select("pool_id", "source_key", "rule"), on="pool_id")
    adh = _per_line(ads, "__a")
    parts = (
        base.join(det, on="line_no", how="left")
        .join(con, on="line_no", how="left")
        .join(adh, on="line_no", how="left")
        .with_columns(pl.exclude("line_no", "__l").fill_null(0), pl.lit(salt).alias("__s"))
    )
    fp = parts.drop("line_no").hash_rows(seed=0).cast(pl.String)
    out = pl.DataFrame(
        {
            "order_id": lines["order_id"],
            "sku_id": lines["sku_id"],
            "fingerprint": fp,
        }
    )
    if out.select(pl.struct(_KEY).is_duplicated().any()).item():  # not expected: key is unique
        out = out.group_by(_KEY, maintain_order=True).agg(
            pl.col("fingerprint").sort().str.join(",")
        )
    return out


def changed_orders(fresh: pl.DataFrame, stored: pl.DataFrame) -> pl.Series:
    """Order ids with a line that is new, changed or gone between ``stored`` and ``fresh``
    (both ``order_id, sku_id, fingerprint``)."""
    cols = [*_KEY, "fingerprint"]
    new_or_changed = fresh.select(cols).join(stored.select(cols), on=cols, how="anti")
    gone = stored.select(cols).join(fresh.select(cols), on=cols, how="anti")
    ids = pl.concat([new_or_changed["order_id"], gone["order_id"]]).unique().sort()
    return ids.alias("order_id")


def subset(result: LedgerResult, order_ids: pl.Series, *, overhead: bool = True) -> LedgerResult:
    """``result`` restricted to the lines of ``order_ids``; overhead (postings of no order
    line; none with ``overhead=False``) and the layers and pools are kept whole."""
    lines = result.lines
    ids = order_ids.drop_nulls()
    if lines.height and ids.len() and ids.is_sorted() and lines["order_id"].is_sorted():
        # the lines are in order-id order (as the engine makes them): the subset lies in the
        # slice between its first and last id, found by binary search — a chunk of a big
        # shop is cut in time proportional to the chunk, not to the shop
        col = lines["order_id"]
        lo = int(col.search_sorted(ids[0], side="left"))
        hi = int(col.search_sorted(ids[-1], side="right"))
        lines = lines.slice(lo, hi - lo)
    lines = lines.filter(pl.col("order_id").is_in(order_ids.implode()))
    nos = lines["line_no"]
    if nos.len() and nos.is_sorted() and int(nos[-1]) - int(nos[0]) + 1 == nos.len():
        first, last = int(nos[0]), int(nos[-1])
        keep = pl.col("line_no").is_between(first, last)
    else:
        keep = pl.col("line_no").is_in(nos.implode())
    return LedgerResult(
        lines=lines,
        details=result.details.filter(keep),
        overhead=result.overhead if overhead else result.overhead.clear(),
        layers=result.layers,
        ad_allocations=result.ad_allocations.filter(keep),
        ad_pools=result.ad_pools,
        consumption=result.consumption.filter(keep),
        standard_costs=result.standard_costs,
        settings=result.settings,
        findings=result.findings,
        as_of=result.as_of,
        by_layer=result.by_layer or result.consumption.height > 0,
    )


def line_attributes(result: LedgerResult) -> pl.DataFrame:
    """The stored attributes of each line (:data:`LINE_ATTRIBUTES`)."""
    lines = result.lines
    return lines.select(
        [
            (pl.col(c) if c in lines.columns else pl.lit(None)).cast(dt).alias(c)
            for c, dt in LINE_ATTRIBUTES.items()
        ]
    )


def _representatives() -> dict[str, str]:
    """One account per waterfall group, to carry the group's total in a journal line
    (revenue: ``revenue_adjustment``, beside ``gross_revenue`` which is kept as it is)."""
    reps: dict[str, str] = {}
    for a, (g, _s, _f) in ACCOUNTS.items():
        if a != "gross_revenue":
            reps.setdefault(g, a)
    return reps


def journal_lines(wide: pl.DataFrame) -> pl.DataFrame:
    """The wide ``lines`` frame read back from the journal.

    ``wide``: the stored line attributes (:data:`LINE_ATTRIBUTES`), ``c_<group>`` — the
    net micro-USD of the line's postings per waterfall component (a sample order's postings
    are all in ``samples``) — and ``c_gross_revenue``.  Each group's total is carried by one
    account of the group (``gross_revenue`` as posted, the rest of revenue in
    ``revenue_adjustment``), every other account is 0: :func:`~.reports.rollup` then gives
    the same figures as on the engine's lines, to the micro-unit (its groups are sums of
    accounts, and a sample line's accounts all go to ``samples``).  Adds ``line_no`` and
    ``margin``.
    """
    reps = _representatives()
    out = wide.with_columns(
        [pl.col(c).cast(dt) for c, dt in LINE_ATTRIBUTES.items()]
    ).with_row_index("line_no")
    gross = pl.col("c_gross_revenue")
    sample = pl.col("is_sample").fill_null(False)
    value: dict[str, pl.Expr] = {"gross_revenue": gross}
    for g in GROUPS:
        comp = pl.col(f"c_{g}") if f"c_{g}" in out.columns else pl.lit(0, pl.Int64)
        if g == "revenue":
            comp = comp - pl.when(sample).then(0).otherwise(gross)
        elif g == "samples":
            comp = comp - pl.when(sample).then(gross).otherwise(0)
        value[reps[g]] = comp
    out = out.with_columns(
        pl.col("line_no").cast(pl.Int64),
        *[value.get(a, pl.lit(0)).cast(pl.Int64).alias(a) for a in ACCOUNT_NAMES],
    )
    out = out.drop([c for c in out.columns if c.startswith("c_")])
    return out.with_columns(pl.sum_horizontal([pl.col(a) for a in ACCOUNT_NAMES]).alias("margin"))


def journal_overhead(amounts: pl.DataFrame) -> pl.DataFrame:
    """The ``overhead`` frame read back from the journal: postings of no order, net of
    reversals, per (SKU, content, creator, date, account); zero nets dropped."""
    have: Mapping[str, pl.DataType] = amounts.schema
    return amounts.filter(pl.col("amount_usd") != 0).select(
        [
            (pl.col(c) if c in have else pl.lit(None)).cast(dt).alias(c)
            for c, dt in OVERHEAD_SCHEMA.items()
        ]
    )


__all__ = [
    "LINE_ATTRIBUTES",
    "changed_orders",
    "journal_lines",
    "journal_overhead",
    "line_attributes",
    "line_fingerprints",
    "same_sources",
    "settings_key",
    "source_fingerprints",
    "sources_frame",
    "subset",
]
