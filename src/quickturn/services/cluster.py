"""Run partitions of SKUs on a ``dask.distributed`` cluster (optional extra ``quickturn[dask]``).

The store is read once, on the client; the client cuts the work into partitions of SKUs
(deterministic: the rows in their sorted order, in runs of ``partition_size``), sends each
partition with a top-level (picklable) function to the workers, and gathers the results in
partition order.  Without a cluster the same functions run in a plain local loop, so a
cluster run gives exactly the local result for the same seed (the random streams are keyed
per SKU, never per partition).

``cluster`` is an address (``tcp://host:8786``), an existing ``distributed.Client`` (Python
API) or None; None falls back to ``QUICKTURN_DASK_SCHEDULER`` and then to the local loop.
Dask is imported here only, and only when a cluster is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

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
    fn: Callable[[T], R],
    parts: Sequence[T],
    *,
    cluster: Any = None,
    progress: Progress | None = None,
) -> list[R]:
    """``[fn(p) for p in parts]``, on the cluster when one is given (in order either way).

    ``fn`` must be a top-level function (pickled by reference) and pure: the tasks are
    submitted with ``pure=False`` keys of their own, so re-running a plan never reuses a stale
    result.  ``progress(done, total)`` is called after each finished partition."""
    target = _resolve(cluster)
    total = len(parts)
    if target is None:
        out: list[R] = []
        for i, p in enumerate(parts):
            out.append(fn(p))
            if progress is not None:
                progress(i + 1, total)
        return out
    own = isinstance(target, str)
    client = connect(target) if own else target
    try:
        return _run_on(client, fn, parts, progress)
    finally:
        if own:
            client.close()


def _run_on(
    client: Any, fn: Callable[[T], R], parts: Sequence[T], progress: Progress | None
) -> list[R]:
    distributed = _distributed()
    futures = [client.submit(fn, p, pure=False) for p in parts]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    done = 0
    try:
        for fut in distributed.as_completed(futures):
            results[index[fut.key]] = fut.result()
            done += 1
            if progress is not None:
                progress(done, len(futures))
    finally:
        for f in futures:
            f.release()
    return results


def chunks(seq: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``seq`` of ``size`` items."""
    for lo in range(0, len(seq), max(size, 1)):
        yield seq[lo : lo + size]
