"""Numba kernels of the ledger's postings, in a module of their own so that importing
:mod:`quickturn.core.ledger.postings` (and with it the services that read the journal)
does not import Numba; :func:`~quickturn.core.ledger.postings.stable_hash` imports this
module when it first hashes."""

from __future__ import annotations

from typing import Any

import numpy as np

from quickturn.core.jit import njit


@njit(cache=True)
def fnv128_hex(data: Any, offsets: Any) -> Any:  # pragma: no cover - compiled
    """Two 64-bit FNV-1a hashes (different offset bases) of each UTF-8 string, written as
    32 lower-case hex digits per string into one byte buffer."""
    n = offsets.shape[0] - 1
    out = np.empty(n * 32, np.uint8)
    hexd = np.array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102], np.uint8)
    prime = np.uint64(1099511628211)
    for i in range(n):
        h1 = np.uint64(14695981039346656037)
        h2 = np.uint64(9650029242287828579)
        for j in range(offsets[i], offsets[i + 1]):
            b = np.uint64(data[j])
            h1 = (h1 ^ b) * prime
            h2 = (h2 ^ (b + np.uint64(158))) * prime
        for k in range(16):
            out[i * 32 + 15 - k] = hexd[np.int64(h1 & np.uint64(15))]
            h1 = h1 >> np.uint64(4)
            out[i * 32 + 31 - k] = hexd[np.int64(h2 & np.uint64(15))]
            h2 = h2 >> np.uint64(4)
    return out


__all__ = ["fnv128_hex"]
