"""The ledger and its roll-ups for shops too large to hold in memory at once.

Data flow: the caller yields *partitions* — :class:`~quickturn.core.ledger.inputs.LedgerInputs`
each holding the order-scoped tables (orders, order lines, returns, settlement lines, bills)
of a disjoint set of orders, plus the shared tables (SKUs, layers' sources, FX, ad spend, …).
Each partition goes through the same :func:`~quickturn.core.ledger.engine.line_stage` as the
full ledger and is reduced at once to sums per roll-up key; only a slim record per order line
(SKU, time, units, sales, attribution) is kept for the two passes that need every order at
once — the costing pass per SKU and the ad pools per period — which run at the end exactly as
in :func:`~quickturn.core.ledger.engine.build_ledger`.  The result equals
``rollup(build_ledger(all).lines, …)`` exactly (a test checks it), in bounded memory
(:func:`rollup_partitions`).  :func:`build_partitions` builds the whole ledger the same way
into one result; :func:`spill_partitions` keeps each partition's line stage on disk and
assembles the ledger one partition at a time (what a big shop's posting run uses).

The functions read no store: reading the partitions (from Parquet, a database, …) is the
caller's; :func:`spill_partitions` writes only its own temporary files.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from quickturn.core.ledger import attribution
from quickturn.core.ledger.accounts import ACCOUNT_NAMES, GROUPS
from quickturn.core.ledger.engine import (
    CROSS_LINE_COLUMNS,
    CrossOrder,
    LedgerResult,
    LineStage,
    add_details,
    assemble,
    costing,
    cross_order,
    finish_ledger,
    line_stage,
)
from quickturn.core.ledger.findings import merge as merge_findings
from quickturn.core.ledger.fx import fx_table
from quickturn.core.ledger.inputs import LedgerInputs
from quickturn.core.ledger.landed import cost_layers, standard_costs
from quickturn.core.ledger.reports import DIMENSION_COLUMNS, group_exprs, overhead_as_lines
from quickturn.core.ledger.schedule import LedgerSettings
from quickturn.errors import Finding

ORDER_SCOPED = ("orders", "order_lines", "returns", "settlement_lines", "bills")
#: accounts that need every order at once (costing pass, ad pools)
CROSS_ACCOUNTS = ("cogs", "cogs_reversal", "return_write_off", "replacement", "ads")
#: what the cross-order passes read of every line
SLIM_LINE = CROSS_LINE_COLUMNS
SLIM_RETURN = (
    "line_no",
    "sku_id",
    "ret_ts",
    "ret_date",
    "outcome",
    "rq",
    "repl_fulfil",
    "source_key",
    "currency",
)


def _keys(by: list[str]) -> list[str]:
    keys: list[str] = []
    for d in by:
        if d not in DIMENSION_COLUMNS or d in ("order", "line"):
            raise ValueError(f"cannot stream a roll-up by {d!r}")
        keys += [k for k in DIMENSION_COLUMNS[d] if k not in keys]
    return keys


def _key_exprs(keys: list[str]) -> list[pl.Expr]:
    """Key columns from line columns (period keys from the order date)."""
    out = []
    for k in keys:
        if k == "day":
            out.append(pl.col("order_date").alias("day"))
        elif k == "week":
            out.append(pl.col("order_date").dt.truncate("1w").alias("week"))
        elif k == "month":
            out.append(pl.col("order_date").dt.strftime("%Y-%m").alias("month"))
        else:
            out.append(pl.col(k))
    return out


def _sums(df: pl.DataFrame, keys: list[str], with_orders: bool) -> pl.DataFrame:
    """Waterfall groups (sample orders' amounts moved to ``samples`` row by row), summed per
    key; ``units`` excludes samples; ``orders`` counts distinct orders (partitions hold
    disjoint orders, so counts add up)."""
    for a in ACCOUNT_NAMES:
        if a not in df.columns:
            df = df.with_columns(pl.lit(0, pl.Int64).alias(a))
    cols = [
        *_key_exprs(keys),
        *group_exprs(),
        pl.when(~pl.col("is_sample")).then(pl.col("quantity")).otherwise(0).alias("units"),
    ]
    if with_orders:
        cols.append(pl.col("order_idx"))
    aggs = [pl.col(g).sum() for g in GROUPS] + [pl.col("units").sum()]
    if with_orders:
        aggs.append(pl.col("order_idx").n_unique().alias("orders"))
    return df.select(cols).group_by(keys).agg(aggs)


def _cross_sums(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Like :func:`_sums` for the cross-order accounts only (no units, no orders)."""
    sample = pl.col("is_sample")

    def unless_sample(e: pl.Expr) -> pl.Expr:
        return pl.when(sample).then(0).otherwise(e)

    groups = [
        unless_sample(pl.col("cogs") + pl.col("cogs_reversal")).alias("landed_cost"),
        unless_sample(pl.col("return_write_off") + pl.col("replacement")).alias("returns"),
        unless_sample(pl.col("ads")).alias("ads"),
        pl.when(sample)
        .then(pl.sum_horizontal([pl.col(a) for a in CROSS_ACCOUNTS]))
        .otherwise(0)
        .alias("samples"),
    ]
    out = (
        df.select(*_key_exprs(keys), *groups)
        .group_by(keys)
        .agg(pl.col(c).sum() for c in ("landed_cost", "returns", "ads", "samples"))
    )
    # dictionary-encoded keys back to text (the other partial sums are text)
    return out.with_columns(
        [pl.col(k).cast(pl.String) for k, t in out.schema.items() if t == pl.Categorical]
    )


def rollup_partitions(
    partitions: Iterable[LedgerInputs],
    settings: LedgerSettings | None = None,
    *,
    by: str | list[str] = ("sku", "day"),  # type: ignore[assignment]
    as_of: date | None = None,
) -> tuple[pl.DataFrame, list[Finding]]:
    """Roll-up (Int64 micro-USD: one column per waterfall group and ``margin``, plus
    ``orders`` and ``units``) of all partitions; see the module docstring."""
    s = settings or LedgerSettings()
    keys = _keys([by] if isinstance(by, str) else list(by))
    findings: list[Finding] = []
    partial: list[pl.DataFrame] = []
    slim_lines: list[pl.DataFrame] = []
    slim_returns: list[pl.DataFrame] = []
    overheads: list[pl.DataFrame] = []
    shared: LedgerInputs | None = None
    fx: pl.DataFrame | None = None
    offset = 0
    last_date: date | None = None
    for part in partitions:
        if shared is None:  # the shared tables, without this partition's orders
            shared = part.replace(**{t: getattr(part, t).head(0) for t in ORDER_SCOPED})
            fx = fx_table(part.fx_rates)
        assert fx is not None
        stage = line_stage(part, s, fx)
        findings += stage.findings
        lines = stage.lines
        if lines.height:
            d = lines["order_date"].max()
            if isinstance(d, date) and (last_date is None or d > last_date):
                last_date = d
        wide = add_details(lines, stage.details)
        partial.append(_sums(wide, keys, with_orders=True))
        del wide
        if len(partial) >= 3:  # keep the running sums small
            partial = [_merge(partial, keys)]
        extra = [k for k in keys if k not in SLIM_LINE and k not in ("day", "week", "month")]
        slim_lines.append(
            lines.select(*SLIM_LINE, *extra).with_columns(
                pl.col("line_no") + offset,
                # dictionary-encoded: a few bytes a line instead of the text
                *[
                    pl.col(c).cast(pl.Categorical)
                    for c in ("sku_id", "content_id", "traffic_source")
                ],
            )
        )
        if stage.returns.height:
            slim_returns.append(
                stage.returns.select(SLIM_RETURN).with_columns(pl.col("line_no") + offset)
            )
        overheads.append(stage.overhead)
        offset += lines.height
        del stage, lines, part
    if shared is None or fx is None:
        raise ValueError("no partitions")
    as_of = as_of or last_date or date(2000, 1, 1)
    all_lines = pl.concat(slim_lines)
    del slim_lines
    returns = (
        pl.concat(slim_returns)
        if slim_returns
        else pl.DataFrame(schema={c: pl.String for c in SLIM_RETURN}).with_columns(
            pl.col("line_no").cast(pl.Int64)
        )
    )
    layers, f = cost_layers(shared, s, fx)
    findings += f
    std = standard_costs(shared, s, fx, layers, as_of)
    lc, ret_cost, _cons, f = costing(all_lines, returns, layers, std, s, detail=False)
    findings += f
    ad_alloc, _pools, ad_over, f = attribution.allocate_ads(all_lines, shared, s, fx)
    findings += f
    # the cross-order accounts (cost of goods, returns' cost, ads), keyed like their lines
    key_cols = [k for k in keys if k in all_lines.columns and k not in ("order_date", "is_sample")]
    base = all_lines.select(
        "line_no",
        "order_date",
        "is_sample",
        *key_cols,
    )
    del all_lines
    if lc["line_no"].equals(base["line_no"]):  # the costing pass keeps the lines' order
        base = base.with_columns(lc["cogs"])
    else:
        base = base.join(
            lc.select("line_no", "cogs"), on="line_no", how="left", maintain_order="left"
        )
    del lc
    cost_accounts = add_details(base, ret_cost, ad_alloc, accounts=CROSS_ACCOUNTS)
    del base, ret_cost, ad_alloc
    step = 2_000_000  # in slices, to bound the temporaries
    for lo in range(0, cost_accounts.height, step):
        partial.append(_cross_sums(cost_accounts.slice(lo, step), keys))
    del cost_accounts
    over = pl.concat([*overheads, ad_over])
    if over.height:
        ov = overhead_as_lines(over).collect()
        partial.append(_sums(ov, keys, with_orders=False))
    out = _merge(partial, keys).with_columns(
        pl.sum_horizontal([pl.col(g) for g in GROUPS]).alias("margin")
    )
    return sort_unique_keys(out, keys), findings


def _concat_lines(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The partitions' lines as one frame, columns in the order of a whole-shop build: each
    partition has the ``has_<family>`` columns of the actual families its orders have (sorted,
    in one run); the whole shop has them all (null where an order has none)."""
    out = pl.concat(parts, how="diagonal_relaxed")
    fams = sorted(c for c in out.columns if c.startswith("has_"))
    first = parts[0].columns
    at = next((i for i, c in enumerate(first) if c.startswith("has_")), None)
    if at is None:  # the first partition has none: they go before the sales family's columns
        at = first.index("gross_revenue") if "gross_revenue" in first else len(first)
    rest = [c for c in first if not c.startswith("has_")]
    head = [c for c in first[:at] if not c.startswith("has_")]
    order = [*head, *fams, *rest[len(head) :]]
    order += [c for c in out.columns if c not in order]
    return out.select(order)


class _ShiftedStages:
    """Each partition's line stage with its line and order numbers shifted to follow the
    previous partitions', so the stages join into the whole shop's.  Iterating yields
    ``(partition, shifted stage, its first line number)``; the shared tables (without the partitions' orders) and the
    FX table are taken from the first partition."""

    def __init__(self, partitions: Iterable[LedgerInputs], s: LedgerSettings) -> None:
        self.partitions = partitions
        self.s = s
        self._shared: LedgerInputs | None = None
        self._fx: pl.DataFrame | None = None
        self.n_lines = 0  # lines of the partitions yielded so far

    def __iter__(self) -> Iterator[tuple[LedgerInputs, LineStage, int]]:
        n_orders = 0
        for part in self.partitions:
            if self._fx is None:
                self._shared = part.replace(**{t: getattr(part, t).head(0) for t in ORDER_SCOPED})
                self._fx = fx_table(part.fx_rates)
            stage = line_stage(part, self.s, self._fx)
            shift = pl.col("line_no") + self.n_lines
            order_shift = pl.col("order_idx") + n_orders
            r = stage.returns
            if "order_idx" in r.columns:
                r = r.with_columns(order_shift)
            yield (
                part,
                LineStage(
                    stage.lines.with_columns(shift, order_shift),
                    stage.details.with_columns(shift),
                    stage.overhead,
                    r.with_columns(shift),
                    stage.basis_cols,
                    stage.findings,
                ),
                self.n_lines,
            )
            self.n_lines += stage.lines.height
            n_orders += part.orders.height  # order_idx numbers every order, kept or not

    def shared(self) -> tuple[LedgerInputs, pl.DataFrame]:
        """(the shared tables, the FX table), once iterated."""
        if self._shared is None or self._fx is None:
            raise ValueError("no partitions")
        return self._shared, self._fx


def _concat_returns(returns: list[pl.DataFrame]) -> pl.DataFrame:
    """The partitions' prepared returns as one frame (the first's, empty, when none has any)."""
    some = [r for r in returns if r.height]
    return pl.concat(some, how="diagonal_relaxed") if some else returns[0]


def build_partitions(
    partitions: Iterable[LedgerInputs],
    settings: LedgerSettings | None = None,
    *,
    as_of: date | None = None,
    detail: bool = True,
) -> LedgerResult:
    """:func:`~quickturn.core.ledger.engine.build_ledger` of the union of ``partitions``
    (disjoint, contiguous ranges of order ids in ascending order; shop-level rows — settlement
    lines and bills of no order — in the first; every partition holds the shared tables), in
    memory bounded by the partition for the line stage, which is the bulk of a build.

    The partitions' line stages (numbers shifted to follow each other) join into the whole
    shop's; the costing pass and the ad pools then run once over every line
    (:func:`~quickturn.core.ledger.engine.finish_ledger`).  Equal to the whole-shop build (a
    test checks it), findings merged per kind (:func:`~quickturn.core.ledger.findings.merge`)."""
    s = settings or LedgerSettings()
    stages = _ShiftedStages(partitions, s)
    parts = [stage for _part, stage, _first in stages]
    shared, fx = stages.shared()
    whole = LineStage(
        _concat_lines([p.lines for p in parts]),
        pl.concat([p.details for p in parts], how="vertical_relaxed"),
        pl.concat([p.overhead for p in parts], how="vertical_relaxed"),
        _concat_returns([p.returns for p in parts]),
        sorted({c for p in parts for c in p.basis_cols}),
        merge_findings([f for p in parts for f in p.findings]),
    )
    del parts
    return finish_ledger(whole, shared, s, fx, as_of=as_of, detail=detail)


def _line_order(columns: list[list[str]]) -> list[str]:
    """The whole shop's line columns from the partitions' (as :func:`_concat_lines` orders
    them)."""
    return _concat_lines([pl.DataFrame(schema=dict.fromkeys(c, pl.Int8)) for c in columns]).columns


@dataclass
class SpilledLedger:
    """A ledger built by partitions of orders whose per-line frames wait on disk, one file
    set per partition, while the cross-order results (:class:`CrossOrder`) stay in memory.

    :meth:`partitions` gives each partition's :class:`LedgerResult` in turn — the whole
    ledger's rows of those orders (the overhead, rows of no order line, all in the first) —
    so a caller can post, fingerprint and check the ledger holding one partition at a time.
    :meth:`close` (or the context manager) removes the files."""

    directory: Path
    settings: LedgerSettings
    cross: CrossOrder
    columns: list[str]
    basis_cols: list[str]
    overhead: pl.DataFrame
    findings: list[Finding]
    #: per partition: (first line number, line count, lowest order id or None for the first)
    spans: list[tuple[int, int, str | None]]

    @property
    def by_layer(self) -> bool:
        """The shop's cost of goods came with consumption records (posted per layer)."""
        return self.cross.consumption.height > 0

    @property
    def as_of(self) -> date:
        return self.cross.as_of

    @property
    def n_lines(self) -> int:
        return sum(n for _lo, n, _id in self.spans)

    def __enter__(self) -> SpilledLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def partition(self, i: int) -> LedgerResult:
        lo, n, _ = self.spans[i]
        d = self.directory
        lines = pl.read_ipc(d / f"{i}.lines.arrow")
        missing = [c for c in self.columns if c not in lines.columns]
        lines = lines.with_columns([pl.lit(None, pl.Boolean).alias(c) for c in missing])
        lines = lines.select(self.columns)
        details = pl.read_ipc(d / f"{i}.details.arrow")
        mine = pl.col("line_no").is_between(lo, lo + n - 1)
        c = self.cross
        lc = c.line_costs.slice(lo, n) if _dense(c.line_costs, lo, n) else c.line_costs.filter(mine)
        ad = c.ad_allocations.filter(mine)
        lines, details = assemble(
            lines, details, self.basis_cols, lc, c.cost_details.filter(mine), ad
        )
        return LedgerResult(
            lines=lines,
            details=details,
            overhead=self.overhead if i == 0 else self.overhead.clear(),
            layers=c.layers,
            ad_allocations=ad,
            ad_pools=c.ad_pools,
            consumption=c.consumption.filter(mine),
            standard_costs=c.standard_costs,
            settings=self.settings,
            findings=self.findings,
            as_of=c.as_of,
            by_layer=self.by_layer,
        )

    def partitions(self) -> Iterator[LedgerResult]:
        for i in range(len(self.spans)):
            yield self.partition(i)


def _dense(lc: pl.DataFrame, lo: int, n: int) -> bool:
    """``lc``'s rows lo..lo+n-1 are lines lo..lo+n-1 (the costing pass keeps line order)."""
    if lc.height < lo + n or n == 0:
        return False
    part = lc["line_no"].slice(lo, n)
    return int(part[0]) == lo and int(part[-1]) == lo + n - 1


def spill_partitions(
    partitions: Iterable[LedgerInputs],
    settings: LedgerSettings | None = None,
    *,
    as_of: date | None = None,
    detail: bool = True,
    directory: str | Path | None = None,
) -> SpilledLedger:
    """:func:`build_partitions` holding one partition at a time: each partition's line stage
    goes to Arrow files in a new temporary directory (under ``directory``) and only the
    columns the cross-order passes read stay in memory; the costing pass and the ad pools
    run over every line, then :meth:`SpilledLedger.partitions` assembles each partition.
    Equal to the whole-shop build partition by partition (a test checks it)."""
    s = settings or LedgerSettings()
    where = Path(tempfile.mkdtemp(prefix="quickturn-ledger-", dir=directory))
    try:
        stages = _ShiftedStages(partitions, s)
        slim: list[pl.DataFrame] = []
        returns: list[pl.DataFrame] = []
        overheads: list[pl.DataFrame] = []
        columns: list[list[str]] = []
        basis: set[str] = set()
        findings: list[Finding] = []
        spans: list[tuple[int, int, str | None]] = []
        for i, (part, stage, first) in enumerate(stages):
            lines = stage.lines
            lines.write_ipc(where / f"{i}.lines.arrow")
            stage.details.write_ipc(where / f"{i}.details.arrow")
            slim.append(lines.select(CROSS_LINE_COLUMNS))
            columns.append(lines.columns)
            returns.append(stage.returns)
            overheads.append(stage.overhead)
            basis.update(stage.basis_cols)
            findings += stage.findings
            low = None if i == 0 or part.orders.height == 0 else part.orders["order_id"].min()
            spans.append((first, lines.height, None if low is None else str(low)))
            del stage, part, lines
        shared, fx = stages.shared()
        all_lines = pl.concat(slim)
        del slim
        prepared = _concat_returns(returns)
        cross = cross_order(all_lines, prepared, shared, s, fx, as_of=as_of, detail=detail)
        del all_lines, prepared, returns
        return SpilledLedger(
            directory=where,
            settings=s,
            cross=cross,
            columns=_line_order(columns),
            basis_cols=sorted(basis),
            overhead=pl.concat([*overheads, cross.ad_overhead], how="vertical_relaxed"),
            findings=merge_findings([*findings, *cross.findings]),
            spans=spans,
        )
    except BaseException:
        shutil.rmtree(where, ignore_errors=True)
        raise


def sort_unique_keys(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``df.sort(keys, nulls_last=True)`` for rows with distinct keys, through one packed
    Int64 key: each key column is replaced by the rank of its value among the column's
    distinct values (sorted, nulls last).  Several times faster than a multi-column sort
    with text keys; falls back to it when the ranks do not fit in 62 bits."""
    if df.height < 2:
        return df.sort(keys, nulls_last=True)
    codes: list[pl.Series] = []
    bits: list[int] = []
    for k in keys:
        u = df.select(pl.col(k).unique().sort(nulls_last=True)).with_row_index("__rank")
        code = df.select(k).join(u, on=k, how="left", nulls_equal=True, maintain_order="left")
        codes.append(code["__rank"].cast(pl.Int64))
        bits.append(max(1, (u.height - 1).bit_length()))
    if sum(bits) > 62 or any(c.null_count() for c in codes):
        return df.sort(keys, nulls_last=True)
    packed = codes[0]
    for c, b in zip(codes[1:], bits[1:], strict=True):
        packed = packed * (1 << b) + c
    return df.sort(packed)


def _merge(partial: list[pl.DataFrame], keys: list[str]) -> pl.DataFrame:
    allp = pl.concat(partial, how="diagonal_relaxed")
    return allp.group_by(keys).agg(
        pl.col("orders").fill_null(0).sum(),
        pl.col("units").fill_null(0).sum(),
        *[pl.col(g).fill_null(0).sum() for g in GROUPS],
    )
