"""Run partitions of SKUs on a ``dask.distributed`` cluster (optional extra ``quickturn[dask]``).

The store is read once, on the client; the client cuts the work into partitions of SKUs
(contiguous runs of rows in the order the local run uses), sends each partition with a
top-level (picklable) function to the workers, and gathers the results in partition order.
Without a cluster the same functions run in a plain local loop, so a cluster run gives exactly
the local result for the same seed (the random streams are keyed per SKU, never per
partition or per worker).

What travels: the per-SKU rows of a partition (panel history, plan inputs) as Arrow IPC
bytes (:func:`pack_rows` / :func:`unpack_rows`: one table row per SKU, n-d arrays as
fixed-size lists, their shape and dtype in the schema metadata); fitted model state and
small settings are pickled by Dask (NumPy buffers out of band).  Results come back pickled.

``cluster`` is an address (``tcp://host:8786``), an existing ``distributed.Client`` (Python
API) or None; None falls back to ``QUICKTURN_DASK_SCHEDULER`` and then to the local loop.
Dask (and pyarrow) are imported here only, and only when a cluster is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from quickturn.errors import UsageError

ENV_VAR = "QUICKTURN_DASK_SCHEDULER"
#: default number of SKUs in one partition (a multiple of the sense chunk size, 2048)
DEFAULT_PARTITION_SKUS = 4096

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int], None]


def resolve_scheduler(cluster: str | None) -> str | None:
    """The scheduler to use: the ``--cluster`` flag, else ``QUICKTURN_DASK_SCHEDULER``, else None."""
    if cluster is not None and str(cluster).strip():
        return str(cluster).strip()
    env = os.environ.get(ENV_VAR, "").strip()
    return env or None


def _resolve(cluster: Any) -> Any:
    if cluster is None or isinstance(cluster, str):
        return resolve_scheduler(cluster)
    return cluster  # a distributed.Client (or anything with submit/gather)


def is_distributed(cluster: Any) -> bool:
    """True when ``cluster`` (or the environment variable) names a cluster to run on."""
    return _resolve(cluster) is not None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as e:  # pragma: no cover - exercised by monkeypatching in tests
        raise UsageError(
            "--cluster needs Dask: install the extra with `pip install 'quickturn[dask]'` "
            "(or `uv sync --extra dask`)"
        ) from e
    return distributed


def connect(address: str, *, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` connected to ``address``, or a UsageError naming it."""
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address!r} ({type(e).__name__}: {e}); "
            f"start one with `dask scheduler` and `dask worker {address}`, or fix --cluster / "
            f"{ENV_VAR}"
        ) from e


@contextmanager
def session(cluster: Any) -> Iterator[Any]:
    """The client to run on for one command: None (local), the given ``distributed.Client``,
    or a client connected to the address (flag or environment), closed at the end."""
    target = _resolve(cluster)
    if not isinstance(target, str):
        yield target
        return
    client = connect(target)
    try:
        yield client
    finally:
        client.close()


def partition_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` row ranges of ``n`` rows in runs of ``size`` (at least one range)."""
    if size < 1:
        raise UsageError(f"the partition size must be a positive number of SKUs, got {size}")
    return [(lo, min(lo + size, n)) for lo in range(0, max(n, 1), size)] if n else [(0, 0)]


def partition_ids(sku_ids: Sequence[str], size: int = DEFAULT_PARTITION_SKUS) -> list[list[str]]:
    """Sorted SKU ids in chunks of ``size`` (deterministic whatever the input order)."""
    ids = sorted(dict.fromkeys(sku_ids))
    return [ids[lo:hi] for lo, hi in partition_bounds(len(ids), size)] if ids else []


def map_partitions(
    fn: Callable[..., R],
    parts: Iterable[T],
    *,
    cluster: Any = None,
    progress: Progress | None = None,
    total: int | None = None,
    in_flight: int | None = None,
    shared: Any = None,
) -> list[R]:
    """``[fn(p) for p in parts]``, on the cluster when one is given (in order either way);
    with ``shared``, ``fn(p, shared)``: ``shared`` (e.g. a fitted model's settings and pools)
    goes to every worker once (a broadcast), not once per partition.

    ``fn`` must be a top-level function (pickled by reference) and pure.  ``parts`` may be a
    lazy iterator: on a cluster at most ``in_flight`` partitions (default: twice the
    cluster's threads) are out at once, each scattered to a worker and then computed there,
    so the client never holds every partition.  ``progress(done, total)`` is called after
    each finished partition (``total``: ``len(parts)`` when it has one)."""
    if total is None and isinstance(parts, Sequence):
        total = len(parts)
    target = _resolve(cluster)
    if target is None:
        out: list[R] = []
        for i, p in enumerate(parts):
            out.append(call_with_blas(fn, None, p, shared))
            if progress is not None:
                progress(i + 1, total or i + 1)
        return out
    with session(target) as client:
        return _run_on(client, fn, parts, progress, total, in_flight, shared)


def _run_on(
    client: Any,
    fn: Callable[..., R],
    parts: Iterable[T],
    progress: Progress | None,
    total: int | None,
    in_flight: int | None,
    shared: Any,
) -> list[R]:
    distributed = _distributed()
    common = None if shared is None else client.scatter(shared, broadcast=True, hash=False)
    blas = blas_threads()
    limit = in_flight or max(2, 2 * sum(client.nthreads().values()))
    results: dict[int, Any] = {}
    pending = distributed.as_completed()
    index: dict[str, int] = {}
    scattered: dict[str, Any] = {}  # task key -> its partition's data on the cluster
    it = iter(enumerate(parts))

    def submit_next() -> bool:
        nxt = next(it, None)
        if nxt is None:
            return False
        i, p = nxt
        data = client.scatter([p], hash=False)[0]  # a list: a tuple would be split
        fut = client.submit(call_with_blas, fn, blas, data, common, pure=False)
        index[fut.key] = i
        scattered[fut.key] = data
        pending.add(fut)
        return True

    try:
        for _ in range(limit):
            if not submit_next():
                break
        for done, fut in enumerate(pending, start=1):
            i = index.pop(fut.key)
            results[i] = fut.result()
            scattered.pop(fut.key).release()  # the partition leaves the worker's memory
            fut.release()
            if progress is not None:
                progress(done, total or done)
            submit_next()
    finally:
        for f in scattered.values():
            f.release()
        if common is not None:
            common.release()
    return [results[i] for i in range(len(results))]


def blas_threads() -> int | None:
    """This process's BLAS thread count (threadpoolctl), None when it cannot be read.

    A BLAS matrix product's last bits depend on how many threads computed it, and a Dask
    worker starts with ``OPENBLAS_NUM_THREADS=1``: the tasks run with the client's count, so
    that they compute what the local run computes."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with the dask extra
        return None
    counts = [int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts) if counts else None


def call_with_blas(fn: Callable[..., R], blas: int | None, part: Any, shared: Any = None) -> R:
    """``fn(part)`` (``fn(part, shared)`` with ``shared``) with ``blas`` BLAS threads (on a
    worker; top level, pickled by reference)."""
    args = (part,) if shared is None else (part, shared)
    if blas is None:
        return fn(*args)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return fn(*args)
    with threadpool_limits(limits=blas, user_api="blas"):
        return fn(*args)


# ---------------------------------------------------------------------------------------------
# Arrow: the rows of a partition as IPC bytes
# ---------------------------------------------------------------------------------------------

Column = np.ndarray | Sequence[str]


def pack_rows(columns: Mapping[str, Column]) -> bytes:
    """Per-SKU columns (NumPy arrays whose first axis is the row, or lists of strings) as one
    Arrow table in IPC stream bytes; n-d arrays become fixed-size lists of their flattened
    trailing axes, with shape and dtype in the schema metadata (lossless, any size ≥ 0)."""
    import pyarrow as pa

    arrays: list[Any] = []
    names: list[str] = []
    meta: dict[str, Any] = {}
    n = None
    for name, value in columns.items():
        if isinstance(value, np.ndarray):
            a = np.ascontiguousarray(value)
            rows, width = int(a.shape[0]), int(np.prod(a.shape[1:], dtype=np.int64))
            meta[name] = {"shape": list(a.shape), "dtype": a.dtype.str}
            flat = pa.array(a.reshape(-1))
            if a.ndim == 1:
                col = flat
            elif width == 0:
                col = pa.nulls(rows, pa.null())
            else:
                col = pa.FixedSizeListArray.from_arrays(flat, width)
        else:
            col = pa.array(list(value), pa.string())
            rows = len(col)
            meta[name] = {"strings": True}
        if n is not None and rows != n:
            raise ValueError(f"column {name!r} has {rows} rows, not {n}")
        n = rows
        arrays.append(col)
        names.append(name)
    table = pa.Table.from_arrays(arrays, names=names, metadata={"quickturn": json.dumps(meta)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def unpack_rows(data: bytes) -> dict[str, Any]:
    """The columns :func:`pack_rows` packed (writable NumPy arrays; lists of strings)."""
    import pyarrow as pa

    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    meta = json.loads((table.schema.metadata or {})[b"quickturn"])
    out: dict[str, Any] = {}
    for name in table.column_names:
        m = meta[name]
        col = table.column(name).combine_chunks()
        if m.get("strings"):
            out[name] = [str(x) for x in col.to_pylist()]
            continue
        shape, dtype = tuple(m["shape"]), np.dtype(m["dtype"])
        if len(shape) == 1:
            flat = col.to_numpy(zero_copy_only=False)
        elif int(np.prod(shape[1:], dtype=np.int64)) == 0:
            flat = np.zeros(0, dtype=dtype)
        else:
            flat = col.flatten().to_numpy(zero_copy_only=False)
        out[name] = np.array(flat, dtype=dtype).reshape(shape)
    return out
