"""Ledger use cases: load the seller's tables from the store → run the pure engine
(:mod:`quickturn.core.ledger`) → persist the journal, cost layers and cash timeline → frames
for the CLI, the web dashboard and the Python API.

* :func:`run` — build the ledger, append new postings and reversals to the immutable journal
  (``ledger_postings``), replace ``ledger_cost_layers``, record the run; returns findings;
* :func:`margins` — contribution margin by any dimension (USD or CNY), exact Decimals;
* :func:`waterfall` / :func:`line_waterfalls` — the components of one line or of every line;
* :func:`losers` — "who loses money": SKUs, videos, creators with negative margin;
* :func:`drilldown` — the postings behind one figure (for a table cell or chart point);
* :func:`cash` — daily cash timeline + projection, peak cash need, lowest-balance date;
* :func:`explain` — every component of an order's or a SKU-month's figure with its source rows;
* :func:`unit_economics` — per-SKU price, landed and variable cost per unit (for the planner);
* :func:`demo_step` — the ledger's part of ``quickturn demo``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from quickturn.config import Settings
from quickturn.core.ledger import economics
from quickturn.core.ledger import explain as ex
from quickturn.core.ledger import incremental as inc
from quickturn.core.ledger.accounts import GROUPS
from quickturn.core.ledger.amounts import to_decimal_expr
from quickturn.core.ledger.cash import CATEGORIES, CashResult, cash_flow, sparkline
from quickturn.core.ledger.engine import LINE_COLUMNS, ORDER_COLUMNS, LedgerResult, build_ledger
from quickturn.core.ledger.fx import fx_table
from quickturn.core.ledger.inputs import TABLES, LedgerInputs
from quickturn.core.ledger.postings import POSTING_SCHEMA, journal_diff, postings, reverse
from quickturn.core.ledger.reconcile import reconcile
from quickturn.core.ledger.reports import (
    AMOUNT_COLUMNS,
    BY_CHOICES,
    SUM_DIMENSIONS,
    cny_rates,
    rollup,
    rollup_sums,
    sum_keys,
)
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding, UsageError
from quickturn.money import MICRO
from quickturn.store import Store, queries
from quickturn.store.queries import ledger as q

if TYPE_CHECKING:
    from quickturn.core.ledger.stream import SpilledLedger
    from quickturn.services.demo import DemoContext

SettingsLike = Settings | Mapping[str, Any] | LedgerSettings | None
#: sample paths drawn from the sense module for the expected sales of the cash projection
SENSE_PATHS = 100
MONEY_POSTING_COLUMNS = ("amount_usd", "amount")


def ledger_settings(settings: SettingsLike) -> LedgerSettings:
    """The ``ledger:`` section of the settings merged over the documented defaults."""
    if isinstance(settings, LedgerSettings):
        return settings
    if isinstance(settings, Settings):
        return LedgerSettings.from_mapping(settings.section("ledger"))
    return LedgerSettings.from_mapping(settings or {})


#: the columns the ledger reads of its wide input tables (the others: every column)
_ONLY = {"orders": list(ORDER_COLUMNS), "order_lines": list(LINE_COLUMNS)}


def load_inputs(store: Store) -> LedgerInputs:
    """Every table the ledger reads (missing tables are empty)."""
    have = store.existing_tables()
    only = _ONLY
    frames = {t: store.table(t, columns=only.get(t)) for t in TABLES if t in have}
    return LedgerInputs.from_frames(frames)


#: a shop with more orders than this is built by partitions of this many orders (contiguous
#: ranges of order ids, :func:`load_partitions`): the line stage, the bulk of a build, then
#: holds one partition at a time (a 2M-line shop: ~3 GB less at the peak)
PARTITION_ORDERS = 250_000


def load_partitions(store: Store, per_partition: int = PARTITION_ORDERS) -> Iterator[LedgerInputs]:
    """The ledger's inputs as partitions of orders for
    :func:`~quickturn.core.ledger.stream.build_partitions`: the shared tables read once, the
    order-scoped ones (:data:`~quickturn.store.queries.ledger.ORDER_SCOPED`) one range of
    ``per_partition`` order ids at a time, ascending; rows of no order in the first."""
    have = store.existing_tables()
    shared = {
        t: store.table(t, columns=_ONLY.get(t))
        for t in TABLES
        if t in have and t not in q.ORDER_SCOPED
    }
    bounds = q.order_id_bounds(store, per_partition) if "orders" in have else []
    edges: list[str | None] = [None, *bounds, None]
    for lo, hi in itertools.pairwise(edges):
        scoped = {
            t: q.order_partition(store, t, _ONLY.get(t), lo, hi)
            for t in q.ORDER_SCOPED
            if t in have
        }
        yield LedgerInputs.from_frames({**shared, **scoped})


def build(
    store: Store,
    *,
    settings: SettingsLike = None,
    as_of: date | None = None,
    detail: bool = True,
    inputs: LedgerInputs | None = None,
) -> LedgerResult:
    """Run the ledger on the store's data (nothing is written).  Without ``inputs``, a shop
    of more than :data:`PARTITION_ORDERS` orders is built by partitions of orders (the same
    ledger, in less memory)."""
    lset = ledger_settings(settings)
    if inputs is None and q.order_count(store) > PARTITION_ORDERS:
        from quickturn.core.ledger.stream import build_partitions

        result = build_partitions(load_partitions(store), lset, as_of=as_of, detail=detail)
    else:
        inputs = inputs if inputs is not None else load_inputs(store)
        result = build_ledger(inputs, lset, as_of=as_of, detail=detail)
    result.findings.extend(reconcile(result))
    return result


# -- run and persist ------------------------------------------------------------------------


@dataclass
class LedgerRun:
    run_id: str
    #: the ledger (``None`` after an ``unchanged`` run until first used: :attr:`result` reads
    #: it back from the journal, and :func:`margins` rolls such a run up in the database)
    loaded_result: LedgerResult | None
    #: the postings of the ledger for a ``preview`` (``persist=False``); empty when the run
    #: persisted (its postings were made and written one chunk of orders at a time: read the
    #: journal, ``ledger_postings``)
    postings: pl.DataFrame
    #: the input tables (``None`` after an ``unchanged`` run, which loads none: :attr:`inputs`
    #: loads them from ``store`` on first use)
    loaded_inputs: LedgerInputs | None
    posted: int = 0
    reversed: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: ``unchanged`` (nothing changed since the last posting run: the journal was read, no
    #: build, no write), ``incremental`` (only changed orders re-posted), ``full`` (every
    #: line diffed against the whole journal) or ``preview`` (``persist=False``)
    mode: str = "full"
    #: orders whose postings were diffed again (``incremental``)
    orders_reposted: int = 0
    store: Store | None = field(default=None, repr=False)
    #: the business date of the books (the ledger's ``as_of``)
    as_of: date | None = None
    #: order lines of the ledger (of the last posting run after an ``unchanged`` run)
    order_lines: int = 0
    settings: LedgerSettings | None = field(default=None, repr=False)
    #: :func:`summary_of` the ledger, when the run made it without keeping the ledger (a
    #: shop posted by partitions)
    summary: dict[str, Any] | None = None

    @property
    def result(self) -> LedgerResult:
        """The ledger (after an ``unchanged`` run: read back from the journal on first use)."""
        if self.loaded_result is None:
            if self.store is None:
                raise ValueError("this ledger run kept neither its result nor its store")
            res = journal_result(self.store, settings=self.settings)
            res.as_of = self.as_of
            res.findings = list(self.findings)
            self.loaded_result = res
        return self.loaded_result

    @property
    def inputs(self) -> LedgerInputs:
        """The ledger's input tables (loaded on first use after an ``unchanged`` run)."""
        if self.loaded_inputs is None:
            if self.store is None:
                raise ValueError("this ledger run kept neither its inputs nor its store")
            self.loaded_inputs = load_inputs(self.store)
        return self.loaded_inputs


def _money_out(df: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    return df.with_columns([to_decimal_expr(pl.col(c)).alias(c) for c in cols if c in df.columns])


def _chunks(values: list[str], n: int = 5000) -> list[list[str]]:
    return [values[i : i + n] for i in range(0, len(values), n)]


def _empty_result(settings: LedgerSettings) -> LedgerResult:
    from quickturn.core.ledger.accounts import DETAIL_SCHEMA, OVERHEAD_SCHEMA

    e = pl.DataFrame()
    return LedgerResult(
        lines=e,
        details=pl.DataFrame(schema=DETAIL_SCHEMA),
        overhead=pl.DataFrame(schema=OVERHEAD_SCHEMA),
        layers=e,
        ad_allocations=e,
        ad_pools=e,
        consumption=e,
        standard_costs=e,
        settings=settings,
    )


def journal_result(
    store: Store, *, settings: SettingsLike = None, as_of: date | None = None
) -> LedgerResult:
    """The ledger read back from the journal: ``lines`` and ``overhead`` as the engine would
    build them (net of reversals; equal to a fresh build when the journal is current), for
    :func:`margins` / :func:`losers` without building.  Other frames are empty."""
    res = _empty_result(ledger_settings(settings))
    res.lines = inc.journal_lines(q.journal_lines_wide(store, GROUPS))
    res.overhead = inc.journal_overhead(q.journal_no_order_amounts(store))
    res.as_of = as_of
    return res


def _findings_from(summary: Mapping[str, Any] | None) -> list[Finding]:
    out: list[Finding] = []
    for d in (summary or {}).get("finding_records", []):
        try:
            out.append(Finding(**d))
        except TypeError:
            continue
    return out


#: a posting run keeps its input tables for its caller up to this many order lines; above,
#: they are dropped before posting and :attr:`LedgerRun.inputs` loads them again when asked
KEEP_INPUTS_MAX_LINES = 500_000

#: orders posted together: the postings, their diff and their write are made one chunk of
#: orders at a time, so memory follows the chunk, not the shop (a 2M-line shop has ~10M
#: postings: 15 GB when made at once)
POST_CHUNK_ORDERS = 50_000
#: new postings are written once this many are made (or the orders are done): fewer, bigger
#: writes (each one commits)
WRITE_BATCH_ROWS = 1_000_000


def _post_orders(
    store: Store,
    result: LedgerResult,
    orders: pl.Series,
    stored_all: pl.DataFrame | None,
    *,
    run_id: str,
    now: datetime,
    into: str | None = None,
    with_overhead: bool = True,
) -> tuple[int, int]:
    """Post ``orders`` (and every posting of no order line) of ``result``: per chunk of
    orders, the fresh postings are diffed against the stored ones of the same orders (from
    ``stored_all`` when given, else read from the journal); new entries and the reversals of
    stored entries that no longer hold are appended.  Returns (new postings, reversals).

    Chunks are exact: an order's postings (entry keys include the order) are all made in one
    chunk, and the postings of no order line are made and diffed in the first chunk only.
    ``into``: write the journal's rebuilt copy (:meth:`Store.start_rebuild`) instead.
    ``with_overhead=False``: the postings of no order line are neither made nor diffed (a
    partition of a shop other than the first)."""
    n_new = n_rev = n_pending = 0
    pending: list[pl.DataFrame] = []
    n = max(orders.len(), 1)
    for k, lo in enumerate(range(0, n, POST_CHUNK_ORDERS)):
        chunk = orders.slice(lo, POST_CHUNK_ORDERS)
        no_order = with_overhead and k == 0
        fresh = postings(inc.subset(result, chunk, overhead=no_order))
        if stored_all is not None:
            keep = pl.col("order_id").is_in(chunk.implode())
            stored = stored_all.filter(keep | pl.col("order_id").is_null() if no_order else keep)
        else:
            stored = q.posting_identities_of_orders(store, chunk.to_list(), no_order=no_order)
        to_post, gone = journal_diff(fresh, stored, run_id=run_id)
        del fresh
        if gone.height:
            # one array parameter, not IN lists of 5,000 placeholders (~7x faster on DuckDB)
            gone_rows = queries.modules.rows_with_keys(
                store, "ledger_postings", "posting_id", gone["posting_id"].to_list()
            )
            reversals = reverse(gone_rows).with_columns(
                pl.lit(run_id).alias("run_id"), pl.lit(now).alias("posted_at")
            )
            store.write("ledger_postings", reversals, mode="append", into=into)
            n_rev += reversals.height
        if to_post.height:
            pending.append(to_post)
            n_pending += to_post.height
        if n_pending >= WRITE_BATCH_ROWS or (n_pending and lo + POST_CHUNK_ORDERS >= n):
            n_new += _append_postings(store, pending, run_id=run_id, now=now, into=into)
            pending, n_pending = [], 0
    return n_new, n_rev


def _append_postings(
    store: Store, frames: list[pl.DataFrame], *, run_id: str, now: datetime, into: str | None
) -> int:
    """Append new postings (one write: each write commits and, on DuckDB, may checkpoint the
    key index — per 300k rows that cost a 2M-line first post ~30 s)."""
    # in primary-key order: the key index is built from sorted keys (on DuckDB ~40% faster
    # than random hash order for the demo's ~830k postings); row order carries no meaning
    new = _money_out(
        pl.concat(frames)
        .sort("posting_id")
        .with_columns(pl.lit(run_id).alias("run_id"), pl.lit(now).alias("posted_at")),
        MONEY_POSTING_COLUMNS,
    )
    store.write("ledger_postings", new, mode="append", into=into)
    return new.height


def _layer_rows(layers: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """``ledger_cost_layers`` rows of the ledger's cost layers."""
    rows = layers.select(
        "layer_id",
        pl.lit(run_id).alias("run_id"),
        "sku_id",
        "source_table",
        "source_key",
        "received_on",
        "quantity",
        "factory_usd",
        "freight_usd",
        "duty_usd",
        "inbound_usd",
        "landed_usd",
        pl.when(pl.col("quantity") > 0)
        .then(pl.col("landed_usd") // pl.col("quantity"))
        .alias("unit_landed_usd"),
        pl.col("known").alias("cost_known"),
        "basis",
        "in_transit",
    )
    return _money_out(
        rows,
        ("factory_usd", "freight_usd", "duty_usd", "inbound_usd", "landed_usd", "unit_landed_usd"),
    )


def _write_run(
    store: Store,
    *,
    run_id: str,
    now: datetime,
    as_of: date | None,
    settings: LedgerSettings,
    mode: str,
    summary: Mapping[str, Any],
    sources: pl.DataFrame | None,
    layers: pl.DataFrame,
) -> None:
    """The run's own rows: the sources' fingerprints (``None``: no incremental tables), the
    cost layers and the ``runs`` record with its summary."""
    if sources is not None:
        store.write(
            "ledger_sources", sources.with_columns(pl.lit(run_id).alias("run_id")), mode="replace"
        )
    store.write("ledger_cost_layers", layers, mode="replace")
    store.write(
        "runs",
        pl.DataFrame(
            {
                "run_id": [run_id],
                "module": ["ledger"],
                "created_at": [now],
                "as_of": [as_of],
                "params": [json.dumps({"costing_method": settings.costing_method, "mode": mode})],
                "summary": [json.dumps(summary, default=str)],
            }
        ),
    )


def _orders_to_post(
    fresh: pl.DataFrame, stored_all: pl.DataFrame | None, stored_lines: pl.DataFrame
) -> pl.Series:
    """The orders to post again, sorted: with ``stored_all`` (a full run) every order of the
    fresh lines, of the journal and of the posted lines — an order the journal holds and the
    ledger no longer has (cancelled, removed) is re-posted too, i.e. reversed; else the orders
    with a new, changed or gone line."""
    if stored_all is None:
        return inc.changed_orders(fresh, stored_lines)
    posted = stored_lines["order_id"] if stored_lines.height else pl.Series([], dtype=pl.String)
    ids = pl.concat([fresh["order_id"], stored_all["order_id"].drop_nulls(), posted])
    return ids.unique().sort()


def _line_rows(
    result: LedgerResult, fresh: pl.DataFrame, orders: pl.Series, run_id: str
) -> pl.DataFrame:
    """The ``ledger_lines`` rows of the re-posted orders (an order is replaced as a whole)."""
    return (
        inc.line_attributes(result)
        .with_columns(fresh["fingerprint"], pl.lit(run_id).alias("run_id"))
        .filter(pl.col("order_id").is_in(orders.implode()))
    )


def _in_range(lo: str | None, hi: str | None, *, no_order: bool) -> pl.Expr:
    """Order ids in ``[lo, hi)`` (by bytes; ``None``: unbounded); ``no_order``: also null."""
    c = pl.col("order_id")
    cond = pl.lit(True)
    if lo is not None:
        cond = cond & (c >= lo)
    if hi is not None:
        cond = cond & (c < hi)
    return cond.fill_null(no_order)


def _run_partitioned(
    store: Store,
    lset: LedgerSettings,
    as_of: date | None,
    sources: pl.DataFrame,
    *,
    incremental: bool,
    full: bool,
    now: datetime,
) -> LedgerRun:
    """:func:`run` for a shop of more than :data:`PARTITION_ORDERS` orders: the ledger is
    built by partitions of orders (:func:`~quickturn.core.ledger.stream.spill_partitions`)
    and fingerprinted, checked and posted one partition at a time, so memory follows the
    partition, not the shop.  The journal, the posted lines, the findings and the summary are
    those of :func:`run` on the whole ledger (a test checks it)."""
    from quickturn.core.ledger import reconcile as rec
    from quickturn.core.ledger.stream import spill_partitions

    run_id = f"ledger-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    salt = inc.settings_key(lset, as_of)
    stored_lines = q.posted_line_fingerprints(store) if incremental else pl.DataFrame()
    mode = "full" if full or not incremental or stored_lines.height == 0 else "incremental"
    stored_all = q.posting_identities(store) if mode == "full" else None
    first = stored_all is not None and stored_all.height == 0
    staged: list[str] = []
    n_new = n_rev = n_orders = 0
    totals = dict.fromkeys(LINE_TOTALS, 0)
    checks: list[rec.Checks] = []

    def post(spilled: SpilledLedger, into: str | None, lines_into: str | None) -> None:
        nonlocal n_new, n_rev, n_orders
        lows = [low for _lo, _n, low in spilled.spans]
        for i, part in enumerate(spilled.partitions()):
            lo, hi = lows[i], lows[i + 1] if i + 1 < len(lows) else None
            fresh = inc.line_fingerprints(part, salt)
            theirs = _in_range(lo, hi, no_order=False)
            mine_stored = stored_lines.filter(theirs) if stored_lines.height else stored_lines
            part_stored = (
                None
                if stored_all is None
                else stored_all.filter(_in_range(lo, hi, no_order=i == 0))
            )
            orders = _orders_to_post(fresh, part_stored, mine_stored)
            rows = _line_rows(part, fresh, orders, run_id)
            a, b = _post_orders(
                store,
                part,
                orders,
                part_stored,
                run_id=run_id,
                now=now,
                into=into,
                with_overhead=i == 0,
            )
            n_new, n_rev, n_orders = n_new + a, n_rev + b, n_orders + orders.len()
            if incremental:
                if lines_into is not None or mode == "full":
                    for lo_row in range(0, rows.height, POST_CHUNK_ORDERS):
                        store.write(
                            "ledger_lines",
                            rows.slice(lo_row, POST_CHUNK_ORDERS),
                            mode="append",
                            into=lines_into,
                        )
                else:
                    gone = mine_stored.join(fresh, on=["order_id", "sku_id"], how="anti")
                    for chunk in _chunks(gone["order_id"].unique().to_list()):
                        store.delete("ledger_lines", where={"order_id": chunk})
                    if rows.height:
                        store.write("ledger_lines", rows, mode="upsert")
            for k, v in _line_totals(part.lines).items():
                totals[k] += v
            checks.append(rec.collect(part))
            del part, fresh, rows

    def finish(spilled: SpilledLedger) -> list[Finding]:
        findings = [*spilled.findings, *rec.report(rec.combine(checks))]
        summary = _summary(totals, spilled.as_of, findings)
        summary.update(
            {
                "posted": n_new,
                "reversed": n_rev,
                "mode": mode,
                "orders_reposted": n_orders,
                "finding_records": [f.to_dict() for f in findings],
            }
        )
        _write_run(
            store,
            run_id=run_id,
            now=now,
            as_of=spilled.as_of,
            settings=lset,
            mode=mode,
            summary=summary,
            sources=sources if incremental else None,
            layers=_layer_rows(spilled.cross.layers, run_id),
        )
        out.summary = summary
        return findings

    out = LedgerRun(run_id, None, pl.DataFrame(), None, mode=mode, store=store, settings=lset)
    with spill_partitions(load_partitions(store), lset, as_of=as_of) as spilled:
        try:
            if first:
                staged.append("ledger_postings")
                into = store.start_rebuild("ledger_postings")
                lines_into = None
                if incremental:
                    staged.append("ledger_lines")
                    lines_into = store.start_rebuild("ledger_lines")
                post(spilled, into, lines_into)
                with store.transaction():
                    store.finish_rebuild("ledger_postings")
                    if incremental:
                        store.finish_rebuild("ledger_lines")
                    findings = finish(spilled)
            else:
                with store.transaction():
                    if incremental and mode == "full":
                        store.delete("ledger_lines")
                    post(spilled, None, None)
                    findings = finish(spilled)
        except BaseException:
            for name in staged:
                with contextlib.suppress(Exception):
                    store.drop_rebuild(name)
            raise
    out.posted, out.reversed, out.orders_reposted = n_new, n_rev, n_orders
    out.findings = findings
    out.as_of = spilled.as_of
    out.order_lines = totals["order_lines"]
    return out


def run(
    store: Store,
    *,
    settings: SettingsLike = None,
    as_of: date | None = None,
    persist: bool = True,
    now: datetime | None = None,
    full: bool = False,
) -> LedgerRun:
    """Bring the journal up to date and return the ledger (incremental; see docs/ledger.md).

    * nothing changed since the last posting run (same input-table fingerprints, settings and
      ``as_of``): the ledger is read back from the journal — no build, no write;
    * else the engine builds the ledger in memory; only the orders with a new, changed or
      removed line (by :func:`~quickturn.core.ledger.incremental.line_fingerprints`) are
      posted again: new entries plus a reversal of each stored entry that no longer holds;
    * ``full``: every line is diffed against the whole journal (the result is the same).

    ``persist=False`` builds without writing.  Everything is written in one transaction, except
    that the first posting (an empty journal) is written into copies committed chunk by chunk
    and swapped in by that transaction (see docs/ledger.md, "The first post is staged").
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    run_id = f"ledger-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    lset = ledger_settings(settings)
    # fingerprints of the input tables, taken in the database: nothing is loaded to find
    # that nothing changed
    sources = inc.sources_frame(
        q.table_fingerprints(store, {t: _ONLY.get(t) for t in TABLES}), lset, as_of
    )
    have = store.existing_tables()
    incremental = "ledger_sources" in have and "ledger_lines" in have
    if not full and incremental:
        stored_sources = q.ledger_source_fingerprints(store)
        if stored_sources.height and inc.same_sources(sources, stored_sources):
            last = str(stored_sources["run_id"][0])
            summary = q.ledger_run_summary(store, last) or {}
            stored_as_of = summary.get("as_of")
            n_lines = summary.get("order_lines")
            unchanged = LedgerRun(
                last,
                None,  # read from the journal when used (margins roll it up in the database)
                pl.DataFrame(),
                None,
                findings=_findings_from(summary),
                mode="unchanged",
                store=store,
                as_of=date.fromisoformat(stored_as_of) if stored_as_of else as_of,
                settings=lset,
            )
            unchanged.order_lines = (
                int(n_lines) if isinstance(n_lines, int) else unchanged.result.lines.height
            )
            return unchanged
    # a big shop is built and posted by partitions of orders and its input tables (2.4 GB at
    # 2M order lines) are not kept: :attr:`LedgerRun.inputs` loads them again if a caller
    # asks (CNY roll-ups, cash)
    big = q.order_count(store) > PARTITION_ORDERS
    if big and persist:
        return _run_partitioned(
            store, lset, as_of, sources, incremental=incremental, full=full, now=now
        )
    inputs: LedgerInputs | None = None if big else load_inputs(store)
    result = build(store, settings=lset, as_of=as_of, inputs=inputs)
    if not persist:
        return LedgerRun(
            run_id,
            result,
            postings(result),
            inputs,
            findings=list(result.findings),
            mode="preview",
            as_of=result.as_of,
            order_lines=result.lines.height,
        )
    # input tables over KEEP_INPUTS_MAX_LINES are not needed to post: they are let go here
    kept_inputs: LedgerInputs | None = inputs
    if inputs is not None and inputs.order_lines.height > KEEP_INPUTS_MAX_LINES:
        kept_inputs = None
    del inputs
    salt = inc.settings_key(lset, as_of)
    fresh_lines = inc.line_fingerprints(result, salt)
    stored_lines = q.posted_line_fingerprints(store) if incremental else pl.DataFrame()
    stored_all: pl.DataFrame | None = None
    if full or not incremental or stored_lines.height == 0:
        mode = "full"
        # every stored posting (with its order), to reverse what no longer holds
        stored_all = q.posting_identities(store)
    else:
        mode = "incremental"
    orders = _orders_to_post(fresh_lines, stored_all, stored_lines)
    line_rows = _line_rows(result, fresh_lines, orders, run_id)
    layers = _layer_rows(result.layers, run_id)
    summary = summary_of(result)
    # the first posting (an empty journal) is written into a copy of the journal piece by
    # piece, each piece committed, and swapped in by the transaction below: one transaction
    # of a big shop's whole journal would be held in memory until it commits (DuckDB, ~0.35
    # GB per million rows; 10M postings for 2M order lines).  Later runs post only changes.
    first = stored_all is not None and stored_all.height == 0
    staged: list[str] = []
    try:
        if first:
            staged.append("ledger_postings")
            into = store.start_rebuild("ledger_postings")
            n_new, n_rev = _post_orders(
                store, result, orders, stored_all, run_id=run_id, now=now, into=into
            )
            if incremental:
                staged.append("ledger_lines")
                lines_into = store.start_rebuild("ledger_lines")
                for lo in range(0, line_rows.height, POST_CHUNK_ORDERS):
                    piece = line_rows.slice(lo, POST_CHUNK_ORDERS)
                    store.write("ledger_lines", piece, mode="append", into=lines_into)
        with store.transaction():
            if first:
                store.finish_rebuild("ledger_postings")
            else:
                n_new, n_rev = _post_orders(
                    store, result, orders, stored_all, run_id=run_id, now=now
                )
            del stored_all
            summary.update(
                {
                    "posted": n_new,
                    "reversed": n_rev,
                    "mode": mode,
                    "orders_reposted": orders.len(),
                    "finding_records": [f.to_dict() for f in result.findings],
                }
            )
            if incremental:
                if first:
                    store.finish_rebuild("ledger_lines")
                elif mode == "full":
                    store.write("ledger_lines", line_rows, mode="replace")
                else:
                    # lines gone (a cancelled order, a removed line): their orders' rows go, the
                    # rest of the re-posted orders' rows are upserted
                    gone_lines = stored_lines.join(
                        fresh_lines, on=["order_id", "sku_id"], how="anti"
                    )
                    for chunk in _chunks(gone_lines["order_id"].unique().to_list()):
                        store.delete("ledger_lines", where={"order_id": chunk})
                    if line_rows.height:
                        store.write("ledger_lines", line_rows, mode="upsert")
            _write_run(
                store,
                run_id=run_id,
                now=now,
                as_of=result.as_of,
                settings=result.settings,
                mode=mode,
                summary=summary,
                sources=sources if incremental else None,
                layers=layers,
            )
    except BaseException:
        for name in staged:
            with contextlib.suppress(Exception):
                store.drop_rebuild(name)
        raise
    return LedgerRun(
        run_id,
        result,
        pl.DataFrame(),
        kept_inputs,
        posted=n_new,
        reversed=n_rev,
        findings=list(result.findings),
        mode=mode,
        orders_reposted=orders.len(),
        store=store,
        as_of=result.as_of,
        order_lines=result.lines.height,
    )


def _line_totals(lines: pl.DataFrame) -> dict[str, int]:
    """The additive figures of :func:`summary_of` (in micro-USD; over disjoint orders they add
    up)."""
    if lines.height == 0:
        return dict.fromkeys(LINE_TOTALS, 0)
    return {
        "order_lines": lines.height,
        "orders": lines["order_id"].n_unique(),
        "gross_revenue": int(lines["gross_revenue"].sum()) if "gross_revenue" in lines else 0,
        "margin": int(lines["margin"].sum()) if "margin" in lines else 0,
        "lines_cost_unknown": int((~lines["cost_known"]).sum()),
        "lines_estimated": int((lines["fees_basis"] == "estimated").sum()),
    }


LINE_TOTALS = (
    "order_lines",
    "orders",
    "gross_revenue",
    "margin",
    "lines_cost_unknown",
    "lines_estimated",
)


def _summary(
    totals: Mapping[str, int], as_of: date | None, findings: list[Finding]
) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "order_lines": totals["order_lines"],
        "orders": totals["orders"],
        "gross_revenue_usd": totals["gross_revenue"] / MICRO,
        "margin_usd": totals["margin"] / MICRO,
        "lines_cost_unknown": totals["lines_cost_unknown"],
        "lines_estimated": totals["lines_estimated"],
        "findings": {f.code: f.severity for f in findings},
    }


def summary_of(result: LedgerResult) -> dict[str, Any]:
    return _summary(_line_totals(result.lines), result.as_of, result.findings)


# -- reports ----------------------------------------------------------------------------------


def _by_list(by: str | list[str]) -> list[str]:
    dims = [by] if isinstance(by, str) else list(by)
    for d in dims:
        if d not in BY_CHOICES:
            raise UsageError(f"unknown --by {d!r}; choose from: {', '.join(BY_CHOICES)}")
    return dims


def margins(
    store: Store,
    *,
    by: str | list[str] = "sku",
    date_from: date | None = None,
    date_to: date | None = None,
    currency: str = "USD",
    settings: SettingsLike = None,
    result: LedgerResult | None = None,
    inputs: LedgerInputs | None = None,
    run: LedgerRun | None = None,
) -> pl.DataFrame:
    """Contribution margin by dimension(s) with every waterfall component (Decimal columns).

    Of ``result``, else of ``run``'s ledger, else of a fresh build.  An ``unchanged`` run
    whose ledger was not read yet is rolled up in the database (:func:`journal_margins`)
    for the dimensions every posting of a line carries (USD): the same table, to the
    micro-unit, without reading the journal line by line."""
    currency = currency.upper()
    if currency not in ("USD", "CNY"):
        raise UsageError(f"--currency must be USD or CNY, got {currency!r}")
    dims = _by_list(by)
    if result is None and run is not None:
        if (
            run.loaded_result is None
            and run.mode == "unchanged"
            and currency == "USD"
            and sum_keys(dims) is not None
        ):
            return journal_margins(store, by=dims, date_from=date_from, date_to=date_to)
        result = run.result
        inputs = inputs if inputs is not None else run.loaded_inputs
    if result is None:
        inputs = inputs if inputs is not None else load_inputs(store)
        result = build(store, settings=settings, inputs=inputs, detail=False)
    rates = None
    if currency == "CNY":
        inputs = inputs if inputs is not None else load_inputs(store)
        rates = cny_rates(fx_table(inputs.fx_rates))
        if rates.height == 0:
            raise UsageError(
                "no CNY rate in fx_rates: import fx_rates (date, currency=CNY, usd_per_unit) to report in CNY"
            )
    return rollup(
        result.lines,
        result.overhead,
        by=dims,
        date_from=date_from,
        date_to=date_to,
        currency=currency,
        cny_rates=rates,
    )


def journal_margins(
    store: Store,
    *,
    by: str | list[str] = "sku",
    date_from: date | None = None,
    date_to: date | None = None,
) -> pl.DataFrame:
    """:func:`margins` (USD) of the journal, summed in the database per key: for the
    dimensions of :data:`~quickturn.core.ledger.reports.SUM_DIMENSIONS` (others: ``UsageError``).
    Equal to the roll-up of :func:`journal_result` (net of reversals)."""
    dims = _by_list(by)
    keys = sum_keys(dims)
    if keys is None:
        raise UsageError(f"the journal is rolled up in the database by {', '.join(SUM_DIMENSIONS)}")
    amounts = q.journal_line_amounts_by(store, keys, date_from, date_to)
    counts = q.journal_line_counts_by(store, keys, date_from, date_to)
    overhead = inc.journal_overhead(q.journal_no_order_amounts(store))
    if date_from is not None:
        overhead = overhead.filter(pl.col("date") >= date_from)
    if date_to is not None:
        overhead = overhead.filter(pl.col("date") <= date_to)
    return rollup_sums(amounts, counts, overhead, keys=keys)


def line_waterfalls(result: LedgerResult, *, limit: int | None = None) -> pl.DataFrame:
    """One row per order line: dimensions, every waterfall component and the margin."""
    t = rollup(result.lines, None, by="line")
    return t.head(limit) if limit else t


def waterfall(
    store: Store, *, order_id: str, sku_id: str | None = None, settings: SettingsLike = None
) -> pl.DataFrame:
    """(step, amount_usd) of one order (or one line of it): revenue … landed cost, margin."""
    result = build(store, settings=settings, detail=False)
    lines = result.lines.filter(pl.col("order_id") == order_id)
    if sku_id:
        lines = lines.filter(pl.col("sku_id") == sku_id)
    if lines.height == 0:
        raise UsageError(
            f"no order line for order {order_id!r}" + (f" and SKU {sku_id!r}" if sku_id else "")
        )
    t = rollup(lines, None, by="order")
    row = t.to_dicts()[0]
    return pl.DataFrame(
        {"step": [*GROUPS, "margin"], "amount_usd": [row[g] for g in (*GROUPS, "margin")]}
    )


def losers(
    store: Store,
    *,
    n: int = 10,
    settings: SettingsLike = None,
    result: LedgerResult | None = None,
) -> dict[str, pl.DataFrame]:
    """Money-losing SKUs, videos (content) and creators, worst first."""
    result = result or build(store, settings=settings, detail=False)
    out: dict[str, pl.DataFrame] = {}
    for dim, key in (("sku", "sku_id"), ("content", "content_id"), ("creator", "creator_id")):
        t = rollup(result.lines, result.overhead, by=dim)
        out[dim] = (
            t.filter(pl.col(key).is_not_null() & (pl.col("margin") < 0)).sort("margin").head(n)
        )
    return out


def drilldown(
    store: Store,
    *,
    by: str,
    key: str | None,
    component: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    settings: SettingsLike = None,
    result: LedgerResult | None = None,
) -> pl.DataFrame:
    """The postings behind one roll-up cell (``by`` dimension = ``key``, optional component)."""
    col = {
        "sku": "sku_id",
        "content": "content_id",
        "creator": "creator_id",
        "route": "route",
        "model": "operating_model",
        "market": "market",
        "source": "traffic_source",
        "order": "order_id",
    }
    result = result or build(store, settings=settings)
    p = postings(result)
    d = pl.coalesce("order_date", "date")
    if by in col:
        p = p.filter(pl.col(col[by]).is_null() if key is None else pl.col(col[by]) == key)
    elif by in ("day", "week", "month"):
        if key is None:
            raise UsageError(f"--by {by} needs a key")
        if by == "day":
            lo = hi = date.fromisoformat(key)
        elif by == "week":
            lo = date.fromisoformat(key)
            hi = lo + timedelta(days=6)
        else:
            lo, hi = ex.month_bounds(key)
        p = p.filter((d >= lo) & (d <= hi))
    else:
        raise UsageError(f"cannot drill down by {by!r}")
    if date_from:
        p = p.filter(d >= date_from)
    if date_to:
        p = p.filter(d <= date_to)
    if component:
        p = p.filter(pl.col("component") == component)
    return _money_out(ex.select_postings(p), MONEY_POSTING_COLUMNS)


# -- cash ---------------------------------------------------------------------------------


#: where the cash projection's expected sales may come from (``--expected``)
EXPECTED_SOURCES = ("auto", "run_rate")


def expected_sales(
    store: Store, *, today: date, days: int, source: str = "auto"
) -> tuple[pl.DataFrame | None, str | None]:
    """Expected units per SKU and day over the projection, and where they came from.

    ``auto``: the latest sense run's stored forecast when it covers every day
    of the projection, else the sense module's demand scenarios
    (:func:`quickturn.services.sense.demand_scenarios`, mean of ``SENSE_PATHS`` sample paths);
    ``run_rate`` skips sense.  Returns ``(None, note)`` when sense is not available or fails —
    the cash projection then uses the recent run rate and the note says why.
    """
    if source not in EXPECTED_SOURCES:
        raise UsageError(f"--expected must be one of auto, run-rate, got {source!r}")
    if source == "run_rate":
        return None, None
    end = today + timedelta(days=days - 1)
    have = store.existing_tables()
    if "forecasts" in have and "runs" in have:
        run_id = queries.runs.latest_run_id(store, "sense")
        if run_id is not None:
            fc: pl.DataFrame = store.table(
                "forecasts", columns=["sku_id", "ds", "mean"], where={"run_id": run_id}
            )
            fc = fc.filter((pl.col("ds") >= today) & (pl.col("ds") <= end))
            # a stored forecast is used only when it covers the whole projection (the demo's
            # sense run stores 28 days; a shorter one would leave later days without sales)
            if fc.height and fc["ds"].n_unique() == days:
                out = fc.select(
                    "sku_id",
                    pl.col("ds").alias("date"),
                    pl.col("mean").fill_null(0.0).cast(pl.Float64).alias("units"),
                )
                return out, f"sense forecast (run {run_id})"
    from quickturn.services import sense

    scenarios = sense.demand_scenarios
    try:
        paths = scenarios(store, today=today, h=days, n_paths=SENSE_PATHS, seed=0)
    except Exception as exc:  # another module's failure must not stop the cash projection
        return None, f"sense unavailable ({type(exc).__name__}: {exc})"
    if not paths.sku_ids:
        return None, "sense has no SKUs with sales history"
    mean = np.asarray(paths.paths, dtype=np.float64).mean(axis=1)  # (skus, days)
    n_sku, h = mean.shape
    frame = pl.DataFrame(
        {
            "sku_id": pl.Series(list(paths.sku_ids), dtype=pl.String).gather(
                np.repeat(np.arange(n_sku), h)
            ),
            "date": pl.date_range(
                paths.start, paths.start + timedelta(days=h - 1), eager=True
            ).gather(np.tile(np.arange(h), n_sku)),
            "units": mean.reshape(-1),
        }
    )
    return frame, f"sense demand scenarios (mean of {SENSE_PATHS} paths)"


@dataclass
class CashReport:
    daily: pl.DataFrame  # Decimal USD columns per day
    events: pl.DataFrame
    summary: dict[str, Any]
    run_id: str | None = None


def cash(
    store: Store,
    *,
    days: int = 90,
    today: date | None = None,
    settings: SettingsLike = None,
    persist: bool = False,
    result: LedgerResult | None = None,
    inputs: LedgerInputs | None = None,
    expected: str = "auto",
) -> CashReport:
    """Daily cash timeline and ``days``-day projection (see :mod:`quickturn.core.ledger.cash`)."""
    if days < 1:
        raise UsageError(f"--days must be at least 1, got {days}")
    if expected not in EXPECTED_SOURCES:
        raise UsageError(f"--expected must be one of auto, run-rate, got {expected!r}")
    inputs = inputs if inputs is not None else load_inputs(store)
    result = result or build(store, settings=settings, inputs=inputs, detail=False)
    if today is None:
        today = (result.as_of or date.today()) + timedelta(days=1)
    exp, note = expected_sales(store, today=today, days=days, source=expected)
    cr: CashResult = cash_flow(
        result,
        inputs,
        ledger_settings(settings) if settings else result.settings,
        today=today,
        days=days,
        expected=exp,
        expected_source=note or "sense forecast",
    )
    money = [*CATEGORIES, "inflow", "outflow", "net", "cumulative", "balance"]
    daily = cr.daily.with_columns([to_decimal_expr(pl.col(c)).alias(c) for c in money])
    daily = daily.rename({c: f"{c}_usd" for c in money})
    summary = dict(cr.summary)
    if note and exp is None:  # sense was tried and not usable: say why the run rate is used
        summary["expected_sales_source"] += f" ({note})"
    for k in list(summary):
        if k.endswith("_usd"):
            summary[k] = to_money(summary[k])
    events = cr.events.with_columns(to_decimal_expr(pl.col("amount_usd")).alias("amount_usd"))
    rep = CashReport(daily, events, summary)
    if persist:
        run_id = f"cash-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        with store.transaction():
            store.write(
                "ledger_cash", daily.with_columns(pl.lit(run_id).alias("run_id")), mode="replace"
            )
            store.write(
                "runs",
                pl.DataFrame(
                    {
                        "run_id": [run_id],
                        "module": ["ledger"],
                        "created_at": [datetime.now(UTC).replace(tzinfo=None)],
                        "as_of": [today],
                        "params": [json.dumps({"kind": "cash", "days": days})],
                        "summary": [json.dumps(summary, default=str)],
                    }
                ),
            )
        rep.run_id = run_id
    return rep


def to_money(micro: int) -> Decimal:
    return Decimal(int(micro)).scaleb(-4)


# -- explain ------------------------------------------------------------------------------


@dataclass
class Explanation:
    title: str
    components: (
        pl.DataFrame
    )  # component, account, amount_usd (Decimal), postings, estimated_usd, sources
    postings: pl.DataFrame  # every posting (Decimal amounts)
    sources: dict[str, pl.DataFrame]  # "table: key" → source rows
    margin_usd: Any
    layers: pl.DataFrame  # cost layers the COGS postings came from


def explain(
    store: Store,
    *,
    order_id: str | None = None,
    sku_id: str | None = None,
    month: str | None = None,
    settings: SettingsLike = None,
    max_sources: int = 60,
) -> Explanation:
    """Every component of an order's (or SKU-month's) margin, with the rows it came from."""
    if order_id is None and sku_id is None:
        raise UsageError("explain needs --order ID, or --sku SKU (with --month YYYY-MM)")
    if month is not None:
        try:
            ex.month_bounds(month)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    result = build(store, settings=settings)
    p = postings(result)
    sel = ex.select_postings(p, order_id=order_id, sku_id=sku_id, month=month)
    if sel.height == 0:
        what = (
            f"order {order_id!r}"
            if order_id
            else f"SKU {sku_id!r}" + (f" in {month}" if month else "")
        )
        raise UsageError(f"no ledger postings for {what} (cancelled, unknown, or outside the data)")
    comps = ex.components(sel)
    title = f"order {order_id}" if order_id else f"SKU {sku_id}" + (f", {month}" if month else "")
    if order_id and sku_id:
        title += f", SKU {sku_id}"
    # source rows
    sources: dict[str, pl.DataFrame] = {}
    have = store.existing_tables()
    pairs = (
        sel.select("source_table", "source_key")
        .unique(maintain_order=True)
        .head(max_sources)
        .rows()
    )
    for table, key in pairs:
        label = f"{table}: {key}"
        if table == "ledger_cost_layers" or table not in have:
            continue
        parts = ex.parse_key(key)
        try:
            rows = store.table(table, where=ex.where_of(parts))
        except (KeyError, UsageError):
            continue
        sources[label] = ex.range_filter(rows, parts)
    layer_ids = (
        sel.filter(pl.col("account") == "cogs").select("source_table", "source_key").unique()
    )
    layers = result.layers.join(
        layer_ids, on=["source_table", "source_key"], how="semi"
    ).with_columns(
        pl.when(pl.col("quantity") > 0)
        .then(pl.col("landed_usd") // pl.col("quantity"))
        .alias("unit_landed_usd")
    )
    layers = _money_out(
        layers,
        ("factory_usd", "freight_usd", "duty_usd", "inbound_usd", "landed_usd", "unit_landed_usd"),
    )
    margin = int(sel["amount_usd"].sum())
    return Explanation(
        title=title,
        components=_money_out(comps, ("amount_usd", "estimated_usd")),
        postings=_money_out(sel, MONEY_POSTING_COLUMNS),
        sources=sources,
        margin_usd=to_money(margin),
        layers=layers,
    )


# -- planner ------------------------------------------------------------------------------


def unit_economics(
    store: Store,
    *,
    today: date,
    days: int = 90,
    settings: SettingsLike = None,
) -> pl.DataFrame:
    """One row per SKU: ``sku_id, price_usd, landed_cost_usd, variable_cost_usd,
    unit_margin_usd, cost_known`` (+ ``units_sold``, ``basis``) over the ``days`` before
    ``today`` — see :mod:`quickturn.core.ledger.economics` for the formulas."""
    inputs = load_inputs(store)
    result = build_ledger(inputs, ledger_settings(settings), as_of=today, detail=False)
    return economics.unit_economics(result, inputs.skus, inputs.fx_rates, today=today, days=days)


__all__ = [
    "AMOUNT_COLUMNS",
    "BY_CHOICES",
    "POSTING_SCHEMA",
    "CashReport",
    "Explanation",
    "LedgerRun",
    "build",
    "cash",
    "drilldown",
    "explain",
    "journal_margins",
    "ledger_settings",
    "line_waterfalls",
    "load_inputs",
    "losers",
    "margins",
    "run",
    "unit_economics",
    "waterfall",
]


# -- demo ---------------------------------------------------------------------------------


def _floats(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows with Decimal amounts as floats (JSON-able, rounded to the cent)."""
    out = []
    for r in df.to_dicts():
        out.append({k: (round(float(v), 2) if hasattr(v, "as_tuple") else v) for k, v in r.items()})
    return out


def demo_step(ctx: DemoContext) -> dict[str, Any]:
    """Run the ledger on the demo shop, persist it, and summarise the story."""
    ctx.progress("ledger: landed cost, fees, returns, ads → true margin per order line")
    as_of = ctx.today - timedelta(days=1)
    r = run(ctx.store, settings=ctx.settings, as_of=as_of, persist=True)
    res = r.result
    by_sku = rollup(res.lines, res.overhead, by="sku")
    sold = by_sku.filter(pl.col("sku_id").is_not_null() & (pl.col("units") > 0))
    top = sold.sort("margin", descending=True).head(5)
    bottom = sold.sort("margin").head(5)
    lose = losers(ctx.store, result=res, n=5)
    # when no video or creator loses money, the demo names the one with the lowest margin
    lowest: dict[str, dict[str, Any] | None] = {}
    for dim, key in (("content", "content_id"), ("creator", "creator_id")):
        t = rollup(res.lines, res.overhead, by=dim).filter(pl.col(key).is_not_null())
        low = _floats(t.sort("margin").head(1).select(key, "orders", "margin"))
        lowest[dim] = low[0] if low else None
    ctx.progress("ledger: 90-day cash projection")
    rep = cash(ctx.store, days=90, today=ctx.today, persist=True, result=res, inputs=r.inputs)
    proj = rep.daily.filter(pl.col("kind") == "projection")
    weekly = (
        proj.with_columns(pl.col("date").dt.truncate("1w").alias("week"))
        .group_by("week")
        .agg(pl.col("net_usd").sum(), pl.col("balance_usd").last())
        .sort("week")
    )
    totals: dict[str, Any] = {
        "order_lines": res.lines.height,
        "revenue_usd": round(
            float(sum((x or 0 for x in by_sku["revenue"].to_list()), Decimal(0))), 2
        ),
        "margin_usd": round(
            float(sum((x or 0 for x in by_sku["margin"].to_list()), Decimal(0))), 2
        ),
    }
    totals["margin_rate"] = (
        (totals["margin_usd"] / totals["revenue_usd"]) if totals["revenue_usd"] else None
    )
    worst = bottom.head(1)
    month = None
    if worst.height:
        d = res.lines.filter(pl.col("sku_id") == worst["sku_id"][0])["order_date"].max()
        month = d.strftime("%Y-%m") if isinstance(d, date) else None
    counts: dict[str, int] = {}
    for f in r.findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    return {
        "run_id": r.run_id,
        "totals": totals,
        "top_skus": _floats(top.select("sku_id", "units", "revenue", "margin", "margin_rate")),
        "bottom_skus": _floats(
            bottom.select("sku_id", "units", "revenue", "margin", "margin_rate")
        ),
        "losing_videos": _floats(
            lose["content"].select(
                "content_id", "orders", "revenue", "commission", "ads", "samples", "margin"
            )
        ),
        "losing_creators": _floats(
            lose["creator"].select(
                "creator_id", "orders", "revenue", "commission", "ads", "samples", "margin"
            )
        ),
        "lowest_margin": lowest,
        "cash": {
            "days": 90,
            "peak_cash_need_usd": round(float(rep.summary["peak_cash_need_usd"]), 2),
            "lowest_balance_usd": round(float(rep.summary["lowest_balance_usd"]), 2),
            "lowest_balance_date": str(rep.summary["lowest_balance_date"]),
            "end_balance_usd": round(float(rep.summary["end_balance_usd"]), 2),
            "expected_sales_source": rep.summary["expected_sales_source"],
            "sparkline": sparkline([float(v) for v in proj["balance_usd"].to_list()]),
            "weekly": [
                {
                    "week": str(w["week"]),
                    "net_usd": round(float(w["net_usd"]), 2),
                    "balance_usd": round(float(w["balance_usd"]), 2),
                }
                for w in weekly.to_dicts()
            ],
        },
        "findings": counts,
        "explain_sku": worst["sku_id"][0] if worst.height else None,
        "explain_month": month,
    }
