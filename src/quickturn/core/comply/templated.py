"""Templated cross-market content: US scripts that are near-copies of other markets' scripts.

Data flow (pure, NumPy): each script → tokens (lower-case ASCII words, numbers folded to ``0``;
every Chinese character is a token) → the set of ``shingle_size``-token shingles, hashed to 32 bits (CRC-32) →
a MinHash signature of ``num_perm`` values (``min((a·h + b) mod 2⁶⁴)`` over the shingles, with
``a``, ``b`` drawn from ``seed``; Broder 1997) → locality-sensitive hashing with ``bands``
bands of ``num_perm / bands`` rows (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman,
*Mining of Massive Datasets*, ch. 3) proposes candidate pairs (a US script and another
market's script sharing a band) → the exact Jaccard similarity of the two shingle sets decides:
``≥ threshold`` is a finding on the US script naming the matching script(s).

With the defaults (128 permutations, 32 bands of 4 rows) a pair of Jaccard similarity *s*
becomes a candidate with probability ``1 − (1 − s⁴)³²``: 0.87 at s = 0.4, 0.9998 at s = 0.5,
so the LSH step loses almost nothing above the default threshold of 0.5, and the exact check
removes every false candidate.  Scripts with fewer than ``min_tokens`` tokens are skipped.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from quickturn.core.comply.findings import make_finding
from quickturn.core.comply.ruleset import TemplatedConfig
from quickturn.errors import Finding

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]")
_CHUNK = 16384


@dataclass(frozen=True)
class Script:
    """A script to compare: its id, market and text (``sku_id`` when known)."""

    content_id: str
    market: str
    text: str
    sku_id: str | None = None
    scope: str = "video_script"


def tokenize(text: str) -> list[str]:
    """Lower-case ASCII words and single Chinese characters, in order; every number becomes
    ``0`` (prices, sizes and dates change between markets, the template does not)."""
    return ["0" if t.isdigit() else t for t in _TOKEN.findall(text.lower())]


def shingle_hashes(tokens: Sequence[str], k: int) -> npt.NDArray[np.uint64]:
    """CRC-32 hashes of the distinct k-token shingles (one shingle when shorter than k)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    if len(tokens) < k:
        grams = {" ".join(tokens)}
    else:
        grams = {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}
    return np.fromiter(
        (zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams)
    )


def permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """The ``a`` (odd) and ``b`` coefficients of the ``num_perm`` hash functions."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.int64).astype(np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=num_perm, dtype=np.int64).astype(np.uint64)
    return a, b


def minhash(
    shingles: Sequence[npt.NDArray[np.uint64]], num_perm: int, seed: int
) -> npt.NDArray[np.uint64]:
    """MinHash signatures, one row per document (``2⁶⁴−1`` rows for empty documents)."""
    a, b = permutations(num_perm, seed)
    out = np.full((len(shingles), num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    sizes = np.array([len(s) for s in shingles], dtype=np.int64)
    docs = np.flatnonzero(sizes)
    if docs.size == 0:
        return out
    start = 0
    while start < docs.size:
        # a block of documents holding at most ~_CHUNK shingles (at least one document)
        total = 0
        stop = start
        while stop < docs.size and (stop == start or total + sizes[docs[stop]] <= _CHUNK):
            total += int(sizes[docs[stop]])
            stop += 1
        block = docs[start:stop]
        values = np.concatenate([shingles[i] for i in block])
        offsets = np.concatenate([[0], np.cumsum(sizes[block])[:-1]])
        with np.errstate(over="ignore"):
            hashed = a[:, None] * values[None, :] + b[:, None]  # wraps mod 2**64
        out[block] = np.minimum.reduceat(hashed, offsets, axis=1).T
        start = stop
    return out


def jaccard(x: npt.NDArray[np.uint64], y: npt.NDArray[np.uint64]) -> float:
    if x.size == 0 and y.size == 0:
        return 0.0
    inter = np.intersect1d(x, y, assume_unique=True).size
    return float(inter / (x.size + y.size - inter))


def find_templated(
    home: Sequence[Script],
    others: Sequence[Script],
    cfg: TemplatedConfig,
    *,
    seed: int = 20260301,
) -> list[Finding]:
    """One finding per home-market script that is a near-copy of other markets' scripts."""
    home_market = cfg.home_market.upper()
    others = [o for o in others if (o.market or "").upper() != home_market]
    if not cfg.enabled or not home or not others:
        return []
    docs = [*home, *others]
    toks = [tokenize(d.text or "") for d in docs]
    sh = [
        shingle_hashes(t, cfg.shingle_size) if len(t) >= cfg.min_tokens else np.zeros(0, np.uint64)
        for t in toks
    ]
    sig = minhash(sh, cfg.num_perm, seed)
    rows = cfg.num_perm // cfg.bands
    n_home = len(home)
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for j in range(n_home, len(docs)):
        if sh[j].size == 0:
            continue
        for band in range(cfg.bands):
            key = sig[j, band * rows : (band + 1) * rows].tobytes()
            buckets.setdefault((band, key), []).append(j)
    out: list[Finding] = []
    for i in range(n_home):
        if sh[i].size == 0:
            continue
        cands: set[int] = set()
        for band in range(cfg.bands):
            key = sig[i, band * rows : (band + 1) * rows].tobytes()
            cands.update(buckets.get((band, key), ()))
        matches: list[tuple[float, Script]] = []
        for j in cands:
            sim = jaccard(sh[i], sh[j])
            if sim >= cfg.threshold:
                matches.append((sim, docs[j]))
        if not matches:
            continue
        matches.sort(key=lambda m: (-m[0], m[1].content_id))
        out.append(_finding(home[i], matches, cfg))
    return out


def _finding(doc: Script, matches: list[tuple[float, Script]], cfg: TemplatedConfig) -> Finding:
    best_sim, best = matches[0]
    more = len(matches) - 1
    params: dict[str, Any] = {
        "content_id": doc.content_id,
        "other_id": best.content_id,
        "other_market": best.market,
        "similarity": f"{best_sim:.2f}",
        "similarity_pct": f"{100 * best_sim:.0f}",
        "more": f" (+{more} more)" if more else "",
        "more_zh": f"（另有 {more} 条）" if more else "",
        "threshold": f"{cfg.threshold:.2f}",
    }
    return make_finding(
        code=cfg.code,
        severity=cfg.severity,
        message=cfg.message,
        fix=cfg.fix,
        params=params,
        source=f"content:{doc.content_id}",
        column="script",
        value=best.content_id,
        record={
            "kind": "templated",
            "scope": doc.scope,
            "field": "script",
            "content_id": doc.content_id,
            "sku_id": doc.sku_id,
            "match": best.content_id,
            "similarity": round(best_sim, 4),
            "matches": [
                {"content_id": s.content_id, "market": s.market, "similarity": round(sim, 4)}
                for sim, s in matches
            ],
            "rule_source": cfg.source,
            "title": cfg.title.en,
            "title_zh": cfg.title.zh,
        },
    )
