"""Inventory costing: FIFO (default) and moving average over one event stream per SKU.

Data flow: the engine builds an event table sorted by (SKU, time, kind) — receipts of cost
layers, sales (order lines and replacement units), restocks of resellable returns and
reversals of written-off returns — and :func:`cost_events` runs one Numba pass over it.

Event kinds:

* ``RECEIPT`` (0): a cost layer arrives: ``qty`` units costing ``cost`` micro-USD in total
  (``known`` false when its cost is unknown).
* ``SALE`` (1): ``qty`` units leave; the output is their cost and how many units had no
  known cost (sold beyond the received layers, or from a layer of unknown cost); those units
  are costed at the event's ``fallback`` unit cost when it has one (a standard cost).
* ``RESTOCK`` (2): ``qty`` units of the sale at event index ``ref`` come back to stock at
  that sale's cost incl. its standard-cost part (a new layer); the output is the cost
  reversed.
* ``REVERSE`` (3): like ``RESTOCK`` but the units do not come back (written off); only the
  cost to reverse is output.

All arithmetic is integer: partial consumption of a layer takes ``⌊cost·k/units⌋`` of what
remains, so the last unit of a layer carries the remainder and a layer's cost is consumed
exactly.  Returns of one sale use the telescoping rule so that returning every unit reverses
exactly the sale's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from quickturn.core.jit import njit

RECEIPT, SALE, RESTOCK, REVERSE = 0, 1, 2, 3

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CostingResult:
    """Output of :func:`cost_events` (arrays aligned with the sorted events).

    * ``cost``: sales → cost of goods; restock/reverse → cost reversed (micro-USD);
    * ``unknown``: units of a sale that had no known cost;
    * ``remaining``: for receipt events, units left in the layer at the end (−1 elsewhere;
      the moving average reports the pool on the SKU's last receipt);
    * ``standard``: cost of a sale's unknown units at its fallback (standard) unit cost, when
      the event has one (``fallback`` ≥ 0); such units count as costed (estimated);
    * ``cons_*``: FIFO consumption records — sale event, layer (receipt/restock) event,
      units and cost (−1 when the layer's cost is unknown).  Empty for the moving average.
    """

    cost: I64
    unknown: I64
    remaining: I64
    cons_sale: I64
    cons_layer: I64
    cons_units: I64
    cons_cost: I64
    standard: I64


@njit(cache=True)
def _fifo_kernel(
    sku: Any,
    kind: Any,
    qty: Any,
    cost: Any,
    known: Any,
    ref: Any,
    fallback: Any,
    cap: Any,
    record: Any,
) -> tuple[Any, ...]:  # pragma: no cover - compiled
    n = sku.shape[0]
    out_cost = np.zeros(n, np.int64)
    out_std = np.zeros(n, np.int64)
    out_unknown = np.zeros(n, np.int64)
    returned = np.zeros(n, np.int64)
    # layer queue (reused per SKU segment, at most ``cap`` layers); a layer is the event
    # index that created it
    lay_units = np.zeros(cap, np.int64)
    lay_cost = np.zeros(cap, np.int64)
    lay_known = np.zeros(cap, np.bool_)
    lay_event = np.zeros(cap, np.int64)
    # remaining units of each receipt event at the end (for the "never negative" check)
    remaining = np.full(n, -1, np.int64)
    # consumption records: (sale event, layer event, units, cost); at most n + cap of them
    size = n + cap + 1 if record else 1
    c_sale = np.zeros(size, np.int64)
    c_layer = np.zeros(size, np.int64)
    c_units = np.zeros(size, np.int64)
    c_cost = np.zeros(size, np.int64)
    m = 0
    head = 0
    tail = 0
    i = 0
    while i < n:
        s = sku[i]
        head = 0
        tail = 0
        j = i
        while j < n and sku[j] == s:
            k = kind[j]
            if k == 0:
                lay_units[tail] = qty[j]
                lay_cost[tail] = cost[j]
                lay_known[tail] = known[j]
                lay_event[tail] = j
                tail += 1
            elif k == 1:
                need = qty[j]
                c = 0
                unk = 0
                while need > 0 and head < tail:
                    u = lay_units[head]
                    take = need if need < u else u
                    if take == u:
                        part = lay_cost[head]
                    else:
                        part = (lay_cost[head] * take) // u
                    if lay_known[head]:
                        c += part
                    else:
                        unk += take
                    if record:
                        c_sale[m] = j
                        c_layer[m] = lay_event[head]
                        c_units[m] = take
                        c_cost[m] = part if lay_known[head] else -1
                        m += 1
                    lay_units[head] = u - take
                    lay_cost[head] -= part
                    need -= take
                    if lay_units[head] == 0:
                        head += 1
                unk += need
                out_cost[j] = c
                out_unknown[j] = unk
                if unk > 0 and fallback[j] >= 0:
                    out_std[j] = unk * fallback[j]
            else:
                r = ref[j]
                q = qty[j]
                n_sale = qty[r]
                done = returned[r]
                if done + q > n_sale:
                    q = n_sale - done
                if q < 0:
                    q = 0
                sc = out_cost[r] + out_std[r]
                part = (sc * (done + q)) // n_sale - (sc * done) // n_sale if n_sale > 0 else 0
                returned[r] = done + q
                out_cost[j] = part
                if k == 2 and q > 0:
                    lay_units[tail] = q
                    lay_cost[tail] = part
                    lay_known[tail] = out_unknown[r] == 0 or fallback[r] >= 0
                    lay_event[tail] = j
                    tail += 1
            j += 1
        for t in range(tail):
            remaining[lay_event[t]] = lay_units[t] if t >= head else 0
        i = j
    return (
        out_cost,
        out_unknown,
        remaining,
        c_sale[:m],
        c_layer[:m],
        c_units[:m],
        c_cost[:m],
        out_std,
    )


@njit(cache=True)
def _average_kernel(
    sku: Any,
    kind: Any,
    qty: Any,
    cost: Any,
    known: Any,
    ref: Any,
    fallback: Any,
    cap: Any,
    record: Any,
) -> tuple[Any, ...]:  # pragma: no cover - compiled
    n = sku.shape[0]
    out_cost = np.zeros(n, np.int64)
    out_std = np.zeros(n, np.int64)
    out_unknown = np.zeros(n, np.int64)
    returned = np.zeros(n, np.int64)
    remaining = np.full(n, -1, np.int64)
    i = 0
    while i < n:
        s = sku[i]
        units = 0  # known-cost units in the pool
        value = 0  # their value (micro-USD)
        unknown_units = 0  # units of unknown cost in stock
        j = i
        last_receipt = -1
        while j < n and sku[j] == s:
            k = kind[j]
            if k == 0:
                if known[j]:
                    units += qty[j]
                    value += cost[j]
                else:
                    unknown_units += qty[j]
                last_receipt = j
            elif k == 1:
                need = qty[j]
                take = need if need < units else units
                c = 0
                if take > 0:
                    c = value if take == units else (value * take) // units
                    units -= take
                    value -= c
                need -= take
                unk = need
                t2 = need if need < unknown_units else unknown_units
                unknown_units -= t2
                out_cost[j] = c
                out_unknown[j] = unk
                if unk > 0 and fallback[j] >= 0:
                    out_std[j] = unk * fallback[j]
            else:
                r = ref[j]
                q = qty[j]
                n_sale = qty[r]
                done = returned[r]
                if done + q > n_sale:
                    q = n_sale - done
                if q < 0:
                    q = 0
                sc = out_cost[r] + out_std[r]
                part = (sc * (done + q)) // n_sale - (sc * done) // n_sale if n_sale > 0 else 0
                returned[r] = done + q
                out_cost[j] = part
                if k == 2 and q > 0:
                    if out_unknown[r] == 0 or fallback[r] >= 0:
                        units += q
                        value += part
                    else:
                        unknown_units += q
            j += 1
        if last_receipt >= 0:
            remaining[last_receipt] = units + unknown_units
        i = j
    empty = np.zeros(0, np.int64)
    return out_cost, out_unknown, remaining, empty, empty, empty, empty, out_std


def cost_events(
    sku: I64,
    kind: npt.NDArray[np.int8],
    qty: I64,
    cost: I64,
    known: npt.NDArray[np.bool_],
    ref: I64,
    fallback: I64 | None = None,
    *,
    method: str = "fifo",
    record: bool = True,
) -> CostingResult:
    """Run the costing pass over events sorted by (SKU, time, kind)."""
    args = (
        np.ascontiguousarray(sku, np.int64),
        np.ascontiguousarray(kind, np.int64),
        np.ascontiguousarray(qty, np.int64),
        np.ascontiguousarray(cost, np.int64),
        np.ascontiguousarray(known, np.bool_),
        np.ascontiguousarray(ref, np.int64),
        np.ascontiguousarray(
            fallback if fallback is not None else np.full(len(sku), -1, np.int64), np.int64
        ),
        np.int64(max(1, int(((kind == RECEIPT) | (kind == RESTOCK)).sum()))),
        bool(record),
    )
    if method == "fifo":
        out = _fifo_kernel(*args)
    elif method == "moving_average":
        out = _average_kernel(*args)
    else:
        raise ValueError(f"unknown costing method {method!r}")
    return CostingResult(*out)
