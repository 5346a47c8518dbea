"""The blind evaluation set (tests/comply/blind.yaml) is well formed and covers every policy
area of the reference.  Only its shape is tested here: the rules' precision and recall on it
are measured by benchmarks/comply_bench.py and never asserted, so nothing is tuned to it."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "comply_bench.py"
_spec = importlib.util.spec_from_file_location("comply_bench", _BENCH)
assert _spec is not None and _spec.loader is not None
comply_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(comply_bench)

BLIND: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "blind.yaml").read_text(encoding="utf-8")
)["texts"]


def test_blind_set_shape() -> None:
    assert len(BLIND) >= 200
    assert len({t["id"] for t in BLIND}) == len(BLIND)
    areas = set(comply_bench.AREA_CODES)
    for t in BLIND:
        assert t["scope"] in comply_bench.BLIND_SCOPES, t["id"]
        assert set(t["areas"]) <= areas, t["id"]
        # blocking follows the labels: every area blocks except absolute claims (a warning)
        assert t["block"] == bool(set(t["areas"]) - {"absolute_claim"}), t["id"]
    chinese = sum(1 for t in BLIND if re.search(r"[\u4e00-\u9fff]", t["text"]))
    clean = sum(1 for t in BLIND if not t["areas"])
    assert 0.35 <= chinese / len(BLIND) <= 0.5
    assert 0.4 <= clean / len(BLIND) <= 0.55
    per_area = Counter(a for t in BLIND for a in t["areas"])
    for area in areas:
        assert per_area[area] >= 10, area


def test_area_mapping_names_real_rules() -> None:
    from quickturn.services.comply import load_rules

    codes = set(load_rules().codes())
    for area, mapped in comply_bench.AREA_CODES.items():
        assert mapped and set(mapped) <= codes, area
