"""How the web server reads the store: short read-only connections and a cache per change.

Choice for DuckDB (documented in docs/web.md): DuckDB lets one *process* write a database
file, and no other process may open it — even read-only — while it does.  So the server
never keeps the file open between requests.  Each cache miss opens a read-only connection,
runs its queries and closes it (typically well under a second, even on a 5,000-SKU shop), so
``quickturn plan`` or an import started from a terminal finds the file free — and when it
arrives during a read, it waits for the lock with backoff (:mod:`quickturn.store.duckdb`)
and leaves a "writer waiting" marker that stops this server from opening new reads until it
is in.  If a command is writing when the server needs the file, the server retries for a
moment and then serves the figures it computed before the change, with a "database busy"
note, instead of failing.

Results are cached by *database fingerprint*: for a DuckDB file its size and modification
time (and those of its ``.wal``), read with ``os.stat`` without opening the file; for
PostgreSQL the newest run, state change and SKU count
(:func:`quickturn.services.readbase.fingerprint`, looked up at most every 5 s) plus a
10-minute clock, so an import that no module has run on yet shows within 10 minutes.  A change of fingerprint invalidates every entry, and
a background thread recomputes the pages everyone opens first (overview, SKU list).

Writes from the web process (queued webhook notifications) take an exclusive in-process lock
so that a read-only and a read-write DuckDB connection never coexist in one process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from quickturn.errors import StoreError
from quickturn.services import readbase
from quickturn.store import Store, is_postgres_url, open_store
from quickturn.store.duckdb import DatabaseLocked, is_lock_error, writer_waiting

log = logging.getLogger("quickturn.web")
T = TypeVar("T")

#: seconds a request waits for a DuckDB file another process is writing
BUSY_WAIT_SECONDS = 2.0
#: seconds a write from the server (a webhook notification) waits for the file
WRITE_WAIT_SECONDS = 2.0
#: seconds between fingerprint look-ups on PostgreSQL
PG_FINGERPRINT_TTL = 5.0
#: on PostgreSQL, figures are also recomputed at least this often (an import of orders
#: changes no run; the footer's refresh button recomputes at once)
PG_MAX_AGE = 600.0
#: cached results kept (LRU) — pages, API answers and per-SKU entries
CACHE_ENTRIES = 2048


class DatabaseBusy(StoreError):
    """Another process holds the DuckDB file (a ``quickturn`` command is writing)."""


class RWLock:
    """Many readers or one writer (threads of this process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def _is_lock_error(exc: Exception) -> bool:
    return is_lock_error(exc) or "different configuration" in str(exc).lower()


def safe_url(url: str) -> str:
    """The database URL with any password masked (never render secrets)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


class Database:
    """Opens the store for one request at a time (read-only where possible)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_postgres = is_postgres_url(url)
        self.backend = "postgresql" if self.is_postgres else "duckdb"
        self.lock = RWLock()
        self._fp: tuple[float, str] | None = None
        self._fp_lock = threading.Lock()

    @property
    def display_url(self) -> str:
        return safe_url(self.url)

    def prepare(self) -> None:
        """Create and migrate the database once at start-up (a brief read-write open).  When
        another process is writing the file, start anyway: pages wait for it or say so."""
        with self.lock.write():
            try:
                store = open_store(self.url, lock_wait=0)
            except StoreError as exc:
                if not _is_lock_error(exc):
                    raise
                log.warning("%s is busy; not migrated at start-up", self.display_url)
                return
            store.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[Store]:
        """A read-only store for the duration of the block."""
        with self.lock.read():
            store = self._open_read()
            try:
                yield store
            finally:
                store.close()

    def _open_read(self) -> Store:
        if self.is_postgres:
            return open_store(self.url, migrate=False)
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        delay = 0.02
        while True:
            try:
                if writer_waiting(self.url):  # a command waits to write: let it in first
                    raise DatabaseLocked(f"{self.display_url}: a command is waiting to write")
                return open_store(self.url, read_only=True, lock_wait=0)
            except StoreError as exc:
                if not _is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"{self.display_url} is being written by another quickturn command; "
                        "try again when it has finished"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def read_call(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` on a read-only connection (not cached)."""
        with self.read() as store:
            return fn(store)

    @contextlib.contextmanager
    def write(self) -> Iterator[Store]:
        """A read-write store (exclusive within this process)."""
        with self.lock.write():
            store = open_store(self.url, migrate=False, lock_wait=WRITE_WAIT_SECONDS)
            try:
                yield store
            finally:
                store.close()

    def open_for_write(self) -> Store:
        """A read-write store whose ``close()`` releases the in-process write lock (for
        callers that manage the store themselves, such as the webhook inbox)."""
        lock = self.lock.write()
        lock.__enter__()
        try:
            store = open_store(self.url, migrate=False, lock_wait=WRITE_WAIT_SECONDS)
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        original = store.close
        released = threading.Event()

        def close() -> None:
            try:
                original()
            finally:
                if not released.is_set():
                    released.set()
                    lock.__exit__(None, None, None)

        store.close = close  # type: ignore[method-assign]
        return store

    def fingerprint(self) -> str:
        """Changes whenever the data changes (see the module docstring)."""
        if not self.is_postgres:
            parts = []
            for p in (Path(self.url), Path(self.url + ".wal")):
                try:
                    st = p.stat()
                    parts.append(f"{st.st_size}:{st.st_mtime_ns}")
                except FileNotFoundError:
                    parts.append("-")
            return "|".join(parts)
        with self._fp_lock:
            now = time.monotonic()
            if self._fp is not None and now - self._fp[0] < PG_FINGERPRINT_TTL:
                return self._fp[1]
        with self.read() as store:
            fp = readbase.fingerprint(store) + f";t={int(time.time() // PG_MAX_AGE)}"
        with self._fp_lock:
            self._fp = (time.monotonic(), fp)
        return fp

    def forget_fingerprint(self) -> None:
        with self._fp_lock:
            self._fp = None


@dataclass
class Cached:
    value: Any
    fingerprint: str
    computed_at: float
    seconds: float


class Cache:
    """Results of ``compute(store)`` by key, valid while the database fingerprint holds.

    ``get`` returns ``(value, stale)``: ``stale`` is true when the database was busy and the
    value is the one computed before the last change."""

    def __init__(self, db: Database, max_entries: int = CACHE_ENTRIES) -> None:
        self.db = db
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], Cached] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def _key_lock(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._lock:
            lock = self._key_locks.get(key)
            if lock is None:
                lock = self._key_locks[key] = threading.Lock()
            return lock

    def _fresh(self, key: tuple[Any, ...], fp: str) -> Cached | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit.fingerprint == fp:
                self._entries.move_to_end(key)
                return hit
        return None

    def get(self, key: tuple[Any, ...], compute: Callable[[Store], T]) -> tuple[T, bool]:
        try:
            fp = self.db.fingerprint()
        except DatabaseBusy:
            fp = "busy"
        hit = self._fresh(key, fp)
        if hit is not None:
            self.hits += 1
            return hit.value, False
        with self._key_lock(key):
            hit = self._fresh(key, fp)
            if hit is not None:
                self.hits += 1
                return hit.value, False
            self.misses += 1
            t0 = time.perf_counter()
            try:
                with self.db.read() as store:
                    value = compute(store)
            except DatabaseBusy:
                with self._lock:
                    old = self._entries.get(key)
                if old is not None:
                    return old.value, True
                raise
            entry = Cached(value, fp, time.time(), time.perf_counter() - t0)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    old_key, _ = self._entries.popitem(last=False)
                    self._key_locks.pop(old_key, None)
            return value, False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
        self.db.forget_fingerprint()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            n = len(self._entries)
        return {"entries": n, "hits": self.hits, "misses": self.misses}


class Warmer:
    """Background thread: recompute the most visited pages after every database change."""

    def __init__(
        self, cache: Cache, warm: Callable[[], None], *, interval: float | None = None
    ) -> None:
        self.cache = cache
        self.warm = warm
        self.interval = interval or (PG_FINGERPRINT_TTL if cache.db.is_postgres else 1.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_fingerprint: str | None = None
        self.ready = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="quickturn-web-warmer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                fp = self.cache.db.fingerprint()
                if fp != self.last_fingerprint:
                    self.warm()
                    self.last_fingerprint = fp
                    self.ready.set()
            except DatabaseBusy:
                pass  # a command is writing; try again on the next tick
            except Exception:  # never let the warmer kill the server
                log.exception("warming the dashboard cache failed")
                self.ready.set()
            self._stop.wait(self.interval)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
