"""Queries on the ledger's persisted journal (``ledger_postings``) and cash timeline.

A posting's *day* is its order's date, else its own business date
(``coalesce(order_date, date)``); amounts come back as float64 USD (the journal keeps
DECIMAL(18,4); these frames feed displays and simulations, never the ledger itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from quickturn.schema import get_table
from quickturn.store.base import Store, ident

DAY = "coalesce(order_date, date)"
AMOUNT = "CAST(sum(amount_usd) AS DOUBLE PRECISION)"
#: the drill-down key ``month``: yyyymm of the posting's day
MONTH_KEY = (
    f"CAST(extract(year FROM {DAY}) AS BIGINT) * 100 + CAST(extract(month FROM {DAY}) AS BIGINT)"
)

DayRange = tuple[date, date]
#: joined to ``ledger_postings``: ``r.rid`` is set on the postings a later posting reverses
REVERSED_JOIN = (
    " LEFT JOIN (SELECT DISTINCT reversal_of AS rid FROM ledger_postings "
    "WHERE reversal_of IS NOT NULL) r ON r.rid = posting_id"
)
#: a posting that still holds: not a reversal, and not reversed (with :data:`REVERSED_JOIN`)
ACTIVE = "(reversal_of IS NULL AND r.rid IS NULL)"


def _days(ranges: Sequence[DayRange]) -> tuple[list[str], list[Any]]:
    """``lo <= day <= hi`` for every (inclusive) range, ANDed."""
    conds: list[str] = []
    params: list[Any] = []
    for lo, hi in ranges:
        conds.append(f"{DAY} >= ? AND {DAY} <= ?")
        params += [lo, hi]
    return conds, params


def _column(name: str) -> str:
    get_table("ledger_postings").column(name)
    return ident(name)


#: the ledger's tables of rows that belong to one order (or, with no order, to the shop)
ORDER_SCOPED = ("orders", "order_lines", "returns", "settlement_lines", "bills")


def order_count(store: Store) -> int:
    """Orders in the store (0 without an ``orders`` table)."""
    if "orders" not in store.existing_tables():
        return 0
    return store.count("orders")


def order_id_bounds(store: Store, per_partition: int) -> list[str]:
    """The first order id of every partition but the first, when the orders are cut into
    contiguous ranges of ``per_partition`` ids (ascending by bytes, as Polars sorts)."""
    o = f"order_id{store.byte_order}"
    df = store.query(
        f"SELECT order_id FROM (SELECT order_id, row_number() OVER (ORDER BY {o}) AS rn "
        f"FROM orders) t WHERE rn > 1 AND (rn - 1) % ? = 0 ORDER BY {o}",
        [per_partition],
    )
    return [str(v) for v in df["order_id"].to_list()]


def order_partition(
    store: Store, name: str, columns: Sequence[str] | None, lo: str | None, hi: str | None
) -> pl.DataFrame:
    """The rows of order-scoped table ``name`` whose order id is in ``[lo, hi)`` (by bytes;
    ``None``: unbounded), typed as :meth:`Store.table` types them.  The first partition
    (``lo`` is None) also holds the rows of no order."""
    from quickturn.validate import polars_schema

    if name not in ORDER_SCOPED:
        raise ValueError(f"{name!r} is not an order-scoped table")
    t = get_table(name)
    cols = list(columns) if columns else t.column_names
    o = f"order_id{store.byte_order}"
    conds: list[str] = []
    params: list[Any] = []
    if lo is not None:
        conds.append(f"{o} >= ?")
        params.append(lo)
    if hi is not None:
        conds.append(f"{o} < ?")
        params.append(hi)
    where = " AND ".join(conds) or "TRUE"
    if lo is None:
        where = f"({where}) OR order_id IS NULL"
    df = store.query(
        f"SELECT {', '.join(ident(c) for c in cols)} FROM {ident(t.name)} WHERE {where}", params
    )
    schema = polars_schema(t)
    return df.with_columns([pl.col(c).cast(schema[c]) for c in cols])


def journal_has_postings(store: Store) -> bool:
    """True when the ledger has persisted at least one posting."""
    return bool(store.query("SELECT 1 AS x FROM ledger_postings LIMIT 1").height)


def posting_identities(store: Store) -> pl.DataFrame:
    """(posting_id, entry_key, reversal_of, order_id) of every stored posting (as text)."""
    df = store.query("SELECT posting_id, entry_key, reversal_of, order_id FROM ledger_postings")
    return df.with_columns(
        pl.col("posting_id").cast(pl.String),
        pl.col("entry_key").cast(pl.String),
        pl.col("reversal_of").cast(pl.String),
        pl.col("order_id").cast(pl.String),
    )


def amounts_by_sku_component(store: Store, lo: date, hi: date) -> pl.DataFrame:
    """(sku_id, component, amount_usd) over postings whose day is in ``[lo, hi]``."""
    return store.query(
        f"SELECT sku_id, component, {AMOUNT} AS amount_usd FROM ledger_postings "
        f"WHERE {DAY} >= ? AND {DAY} <= ? GROUP BY sku_id, component",
        [lo, hi],
    )


def amounts_by_component_account(store: Store, lo: date, hi: date) -> pl.DataFrame:
    """(component, account, is_sample, amount_usd) over postings whose day is in ``[lo, hi]``."""
    return store.query(
        f"SELECT component, account, is_sample, {AMOUNT} AS amount_usd FROM ledger_postings "
        f"WHERE {DAY} >= ? AND {DAY} <= ? GROUP BY component, account, is_sample",
        [lo, hi],
    )


def amounts_by_key_component(
    store: Store, key: str | None, *, days: Sequence[DayRange] = ()
) -> pl.DataFrame:
    """(key, component, amount_usd, lines) grouped by the posting column ``key`` (``None``:
    the month of the posting's day as yyyymm); ``lines`` counts distinct order lines."""
    key_sql = MONTH_KEY if key is None else _column(key)
    conds, params = _days(days)
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    # lines are counted on the postings that still hold (neither a reversal nor reversed), so
    # a cancelled order's reversed postings do not count its lines; amounts net reversals
    return store.query(
        f"SELECT {key_sql} AS key, component, {AMOUNT} AS amount_usd, "
        f"count(DISTINCT CASE WHEN order_id IS NOT NULL AND {ACTIVE} THEN order_id || '|' || "
        "coalesce(sku_id, '') END) AS lines "
        f"FROM ledger_postings{REVERSED_JOIN}{where} GROUP BY 1, component",
        params,
    )


def amounts_by_line_component(
    store: Store, *, equals: Mapping[str, Any] | None = None, days: Sequence[DayRange] = ()
) -> pl.DataFrame:
    """(order_id, sku_id, order_date, source_table, component, amount_usd) per order line
    and component of the postings where every ``equals`` column has its value (``None``:
    is empty) and the day is in every range of ``days``; postings of no order are grouped
    by their source table instead."""
    conds: list[str] = []
    params: list[Any] = []
    for col, value in (equals or {}).items():
        if value is None:
            conds.append(f"{_column(col)} IS NULL")
        else:
            conds.append(f"{_column(col)} = ?")
            params.append(value)
    day_conds, day_params = _days(days)
    conds += day_conds
    params += day_params
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    return store.query(
        "SELECT order_id, sku_id, min(order_date) AS order_date, "
        "CASE WHEN order_id IS NULL THEN source_table END AS source_table, "
        f"component, {AMOUNT} AS amount_usd FROM ledger_postings{where} "
        "GROUP BY order_id, sku_id, CASE WHEN order_id IS NULL THEN source_table END, component",
        params,
    )


def line_postings(store: Store, *, order_id: str | None, sku_id: str | None) -> pl.DataFrame:
    """Every posting of one order line (``order_id`` empty: the SKU's postings of no order;
    ``sku_id`` empty: the order's postings of no SKU) with amount, basis and source."""
    conds: list[str] = []
    params: list[Any] = []
    for col, value in (("order_id", order_id), ("sku_id", sku_id)):
        if value:
            conds.append(f"{col} = ?")
            params.append(value)
        else:
            conds.append(f"{col} IS NULL")
    return store.query(
        "SELECT posting_id, date, order_date, account, component, "
        "CAST(amount_usd AS DOUBLE PRECISION) AS amount_usd, "
        "CAST(amount AS DOUBLE PRECISION) AS amount, currency, basis, settlement, "
        "source_table, source_key, content_id, creator_id, traffic_source, route, "
        "reversal_of, note FROM ledger_postings WHERE " + " AND ".join(conds),
        params,
    )


def cash_timeline(store: Store, run_id: str) -> pl.DataFrame:
    """The daily rows of one ledger cash run (history and projection), USD as float64."""
    return store.query(
        "SELECT date, kind, CAST(inflow_usd AS DOUBLE PRECISION) AS inflow_usd, "
        "CAST(outflow_usd AS DOUBLE PRECISION) AS outflow_usd, "
        "CAST(net_usd AS DOUBLE PRECISION) AS net_usd, "
        "CAST(cumulative_usd AS DOUBLE PRECISION) AS cumulative_usd, "
        "CAST(balance_usd AS DOUBLE PRECISION) AS balance_usd, "
        "CAST(supplier_usd AS DOUBLE PRECISION) AS supplier_usd "
        "FROM ledger_cash WHERE run_id = ? ORDER BY date",
        [run_id],
    )


def sku_account_amounts(
    store: Store, lo: date, hi: date, *, sku_ids: Sequence[str] | None = None
) -> pl.DataFrame:
    """(sku_id, account, amount_usd) of the SKU postings of non-sample orders dated in
    ``[lo, hi]`` (of ``sku_ids`` when given; reversals included, so sums are current)."""
    conds = [
        "sku_id IS NOT NULL",
        "order_id IS NOT NULL",
        "NOT coalesce(is_sample, FALSE)",
        "order_date >= ?",
        "order_date <= ?",
    ]
    params: list[Any] = [lo, hi]
    if sku_ids is not None:
        if not sku_ids:
            return pl.DataFrame(
                schema={"sku_id": pl.String, "account": pl.String, "amount_usd": pl.Float64}
            )
        conds.append(f"sku_id IN ({', '.join('?' for _ in sku_ids)})")
        params.extend(sku_ids)
    return store.query(
        f"SELECT sku_id, account, {AMOUNT} AS amount_usd FROM ledger_postings "
        f"WHERE {' AND '.join(conds)} GROUP BY sku_id, account",
        params,
    )


def posted_line_units(
    store: Store, lo: date, hi: date, *, sku_ids: Sequence[str] | None = None
) -> pl.DataFrame:
    """Units the ledger posted revenue for, per SKU: ``sku_id, units, lines,
    lines_without_cost`` over the order lines of the non-sample orders with a
    ``gross_revenue`` posting dated in ``[lo, hi]``; ``lines_without_cost`` counts the lines
    of the SKU with no ``cogs`` posting (cost of goods unknown).  Postings are netted with
    their reversals: an order whose revenue was reversed (cancelled) is not counted, and a
    line whose cost of goods was reversed has none."""
    only = ""
    params: list[Any] = [lo, hi]
    if sku_ids is not None:
        if not sku_ids:
            return pl.DataFrame(
                schema={
                    "sku_id": pl.String,
                    "units": pl.Float64,
                    "lines": pl.Int64,
                    "lines_without_cost": pl.Int64,
                }
            )
        only = f" AND l.sku_id IN ({', '.join('?' for _ in sku_ids)})"
        params = [*params, *sku_ids]
    df = store.query(
        "SELECT l.sku_id, CAST(sum(l.quantity) AS DOUBLE PRECISION) AS units, "
        "count(*) AS lines, "
        "sum(CASE WHEN c.order_id IS NULL THEN 1 ELSE 0 END) AS lines_without_cost "
        "FROM order_lines l LEFT JOIN ("
        "  SELECT order_id, sku_id FROM ledger_postings "
        "  WHERE account = 'cogs' AND order_id IS NOT NULL GROUP BY order_id, sku_id "
        "  HAVING sum(amount_usd) <> 0) c "
        "ON c.order_id = l.order_id AND c.sku_id = l.sku_id "
        "WHERE l.order_id IN ("
        "  SELECT order_id FROM ledger_postings WHERE account = 'gross_revenue' "
        "  AND order_date >= ? AND order_date <= ? AND NOT coalesce(is_sample, FALSE) "
        "  GROUP BY order_id HAVING sum(amount_usd) <> 0)"
        f"{only} GROUP BY l.sku_id",
        params,
    )
    return df.with_columns(
        pl.col("units").cast(pl.Float64),
        pl.col("lines").cast(pl.Int64),
        pl.col("lines_without_cost").cast(pl.Int64),
    )


# -- incremental ledger (issue 16): the journal read back, fingerprints of the last run ------

#: amounts as exact Int64 micro-USD (the journal keeps DECIMAL(18,4): × 10,000 is an integer)
MICRO_SUM = "CAST(sum(amount_usd) * 10000 AS BIGINT)"


def journal_no_order_amounts(store: Store) -> pl.DataFrame:
    """(sku_id, content_id, creator_id, date, account, source_table, source_key, amount_usd)
    — net micro-USD of the postings of no order (storage bills, unallocated ad spend …)."""
    df = store.query(
        "SELECT sku_id, content_id, creator_id, date, account, source_table, source_key, "
        f"{MICRO_SUM} AS amount_usd FROM ledger_postings WHERE order_id IS NULL "
        "GROUP BY sku_id, content_id, creator_id, date, account, source_table, source_key"
    )
    return df.with_columns(pl.col("amount_usd").cast(pl.Int64))


def posted_line_fingerprints(store: Store) -> pl.DataFrame:
    """(order_id, sku_id, fingerprint) of every order line the journal holds (``ledger_lines``)."""
    return store.query("SELECT order_id, sku_id, fingerprint FROM ledger_lines").with_columns(
        pl.col("order_id").cast(pl.String),
        pl.col("sku_id").cast(pl.String),
        pl.col("fingerprint").cast(pl.String),
    )


def ledger_source_fingerprints(store: Store) -> pl.DataFrame:
    """(name, fingerprint, run_id) of the inputs at the last posting run (``ledger_sources``)."""
    return store.query("SELECT name, fingerprint, run_id FROM ledger_sources").with_columns(
        pl.col("name").cast(pl.String),
        pl.col("fingerprint").cast(pl.String),
        pl.col("run_id").cast(pl.String),
    )


def posting_identities_of_orders(
    store: Store, order_ids: Sequence[str], *, no_order: bool = True, chunk: int = 50_000
) -> pl.DataFrame:
    """(posting_id, entry_key, reversal_of, order_id) of the postings of ``order_ids`` (and,
    with ``no_order``, of every posting of no order) — the stored part a re-post is diffed
    against."""
    ids = [str(i) for i in order_ids]
    cols = "posting_id, entry_key, reversal_of, order_id"
    text = [
        pl.col(c).cast(pl.String) for c in ("posting_id", "entry_key", "reversal_of", "order_id")
    ]
    if len(ids) > chunk:  # most orders: one scan of the journal beats a long list
        every = store.query(f"SELECT {cols} FROM ledger_postings").with_columns(text)
        keep = pl.col("order_id").is_in(pl.Series(ids, dtype=pl.String).implode())
        return every.filter(keep | pl.col("order_id").is_null() if no_order else keep)
    # the orders as one array parameter (fast on both backends; IN lists of thousands of
    # placeholders bind slowly)
    conds = ["order_id IN (SELECT unnest(CAST(? AS TEXT[])))"]
    if no_order:
        conds.append("order_id IS NULL")
    df = store.query(f"SELECT {cols} FROM ledger_postings WHERE {' OR '.join(conds)}", [ids])
    return df.with_columns(text)


def ledger_run_summary(store: Store, run_id: str) -> dict[str, Any] | None:
    """The stored summary (JSON) of one ledger run, or None."""
    import json

    df = store.query("SELECT summary FROM runs WHERE run_id = ?", [run_id])
    if df.height == 0 or df["summary"][0] is None:
        return None
    out = json.loads(df["summary"][0])
    return out if isinstance(out, dict) else None


def journal_lines_wide(store: Store, components: Sequence[str]) -> pl.DataFrame:
    """Every order line of ``ledger_lines`` with its report attributes, one column per
    waterfall component of ``components`` (the net micro-USD of the line's postings in that
    component, reversals included; 0 when none) and ``gross_revenue`` (net of the account),
    read in one pass over the journal."""
    cols = []
    for a in [*components, "gross_revenue"]:
        if not a.isidentifier():
            raise ValueError(f"not a component name: {a!r}")
        col = "account" if a == "gross_revenue" else "component"
        cols.append(
            f"CAST(coalesce(sum(CASE WHEN {col} = '{a}' THEN amount_usd END), 0) * 10000 "
            f"AS BIGINT) AS {ident('c_' + a)}"
        )
    sums = ", ".join(cols)
    names = ", ".join(
        f"coalesce(p.{ident('c_' + a)}, 0) AS {ident('c_' + a)}"
        for a in [*components, "gross_revenue"]
    )
    df = store.query(
        "SELECT l.order_id, l.sku_id, l.order_date, l.shop_id, l.content_id, l.creator_id, "
        "l.traffic_source, l.route, l.operating_model, l.market, l.is_sample, l.quantity, "
        f"l.cost_known, l.fees_basis, {names} FROM ledger_lines l LEFT JOIN ("
        f"SELECT order_id, sku_id, {sums} FROM ledger_postings WHERE order_id IS NOT NULL "
        "GROUP BY order_id, sku_id) p ON p.order_id = l.order_id AND p.sku_id = l.sku_id"
    )
    return df.with_columns(
        [pl.col("c_" + a).cast(pl.Int64) for a in [*components, "gross_revenue"]]
    )


def table_fingerprints(store: Store, columns: Mapping[str, Sequence[str] | None]) -> dict[str, str]:
    """``table → fingerprint`` computed in the database, nothing loaded: ``"0"`` for a missing
    or empty table, else ``"<rows>:<sum of 64-bit row hashes>"`` over the named columns
    (``None``: every column) — independent of row order.  DuckDB hashes with ``hash(…)``,
    PostgreSQL with the first 60 bits of ``md5(ROW(…)::text)``: a fingerprint is compared only
    with one taken on the same database."""
    have = store.existing_tables()
    out = {t: "0" for t in columns}
    parts: list[str] = []
    for t, cols in columns.items():
        if t not in have:
            continue
        present = list(store.query(f"SELECT * FROM {ident(t)} LIMIT 0").columns)
        use = present if cols is None else [c for c in cols if c in present]
        if not use:
            continue
        names = ", ".join(ident(c) for c in use)
        if store.backend == "postgres":
            h = f"('x' || substr(md5(ROW({names})::text), 1, 15))::bit(60)::bigint"
        else:
            h = f"hash({names})"
        parts.append(
            f"SELECT '{t}' AS name, count(*) AS n, "
            f"CAST(coalesce(sum({h}), 0) AS VARCHAR(40)) AS h FROM {ident(t)}"
        )
    if parts:
        for name, n, h in store.query(" UNION ALL ".join(parts)).rows():
            out[str(name)] = f"{int(n)}:{h}" if int(n) else "0"
    return out


def _line_keys(keys: Sequence[str]) -> str:
    """``keys`` as SQL: columns that ``ledger_postings`` and ``ledger_lines`` both hold."""
    for k in keys:
        get_table("ledger_postings").column(k)
        get_table("ledger_lines").column(k)
    return ", ".join(ident(k) for k in keys)


def _order_days(lo: date | None, hi: date | None) -> tuple[str, list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    if lo is not None:
        conds.append("order_date >= ?")
        params.append(lo)
    if hi is not None:
        conds.append("order_date <= ?")
        params.append(hi)
    return "".join(f" AND {c}" for c in conds), params


def journal_line_amounts_by(
    store: Store, keys: Sequence[str], lo: date | None = None, hi: date | None = None
) -> pl.DataFrame:
    """(keys…, component, amount_usd): the net micro-USD (Int64, reversals included) of the
    postings of order lines per key and waterfall component, order dates in ``[lo, hi]``."""
    cols = _line_keys(keys)
    days, params = _order_days(lo, hi)
    df = store.query(
        f"SELECT {cols}, component, {MICRO_SUM} AS amount_usd FROM ledger_postings "
        f"WHERE order_id IS NOT NULL{days} GROUP BY {cols}, component",
        params,
    )
    return df.with_columns(pl.col("amount_usd").cast(pl.Int64))


def journal_line_counts_by(
    store: Store, keys: Sequence[str], lo: date | None = None, hi: date | None = None
) -> pl.DataFrame:
    """(keys…, orders, units, lines_cost_unknown, lines_estimated) of the posted order lines
    (``ledger_lines``) per key, order dates in ``[lo, hi]``: distinct orders, units of
    non-sample lines, lines whose cost of goods is unknown, lines with estimated fees."""
    cols = _line_keys(keys)
    days, params = _order_days(lo, hi)
    df = store.query(
        f"SELECT {cols}, count(DISTINCT order_id) AS orders, "
        "coalesce(sum(CASE WHEN NOT is_sample THEN quantity ELSE 0 END), 0) AS units, "
        "sum(CASE WHEN NOT cost_known THEN 1 ELSE 0 END) AS lines_cost_unknown, "
        "sum(CASE WHEN fees_basis = 'estimated' THEN 1 ELSE 0 END) AS lines_estimated "
        f"FROM ledger_lines WHERE order_id IS NOT NULL{days} GROUP BY {cols}",
        params,
    )
    return df.with_columns(
        [
            pl.col(c).cast(pl.Int64)
            for c in ("orders", "units", "lines_cost_unknown", "lines_estimated")
        ]
    )
