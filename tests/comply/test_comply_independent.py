"""The independent evaluation set (tests/comply/independent.yaml) is well formed, covers every
policy area of the reference and maps onto the benchmark's areas and text scopes.  Only its
shape is tested: the rules' precision and recall on it are measured by
benchmarks/comply_bench.py and never asserted, so nothing is tuned to it."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path
from typing import Any

from quickturn.core.comply.ruleset import TEXT_SCOPES

HERE = Path(__file__).parent
_BENCH = HERE.parents[1] / "benchmarks" / "comply_bench.py"
_spec = importlib.util.spec_from_file_location("comply_bench", _BENCH)
assert _spec is not None and _spec.loader is not None
comply_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(comply_bench)

SET = comply_bench.AREA_SETS["independent"]
RAW: list[dict[str, Any]] = SET.raw()


def test_independent_set_shape() -> None:
    assert SET.path == HERE / "independent.yaml"
    assert len(RAW) >= 200
    assert len({t["id"] for t in RAW}) == len(RAW)
    assert len({t["text"].strip().lower() for t in RAW}) == len(RAW)
    for t in RAW:
        assert t["scope"] in TEXT_SCOPES, t["id"]
        assert t["lang"] in {"en", "zh", "mixed"}, t["id"]
        assert t["text"].strip(), t["id"]
        # blocking follows the labels: every area blocks except absolute claims (a warning)
        assert t["block"] == bool(set(t["areas"]) - {"absolute"}), t["id"]
        has_chinese = bool(re.search(r"[\u4e00-\u9fff]", t["text"]))
        assert has_chinese == (t["lang"] != "en"), t["id"]
    chinese = sum(1 for t in RAW if t["lang"] != "en")
    clean = sum(1 for t in RAW if not t["areas"])
    assert 0.35 <= chinese / len(RAW) <= 0.5
    assert 0.4 <= clean / len(RAW) <= 0.5


def test_independent_areas_map_onto_the_benchmark() -> None:
    texts = SET.load()
    areas = set(comply_bench.AREA_CODES)
    for t in texts:
        assert set(t["areas"]) <= areas, t["id"]
        assert t["scope"] in TEXT_SCOPES, t["id"]
    per_area = Counter(a for t in texts for a in t["areas"])
    for area in areas:
        assert per_area[area] >= 8, area
    # the set's labels are renamed one to one: no two own labels land on the same area
    own = {a for t in RAW for a in t["areas"]}
    assert len({SET.area(a) for a in own}) == len(own)


#: identical by coincidence (a generic product title written independently; blind c106)
COINCIDENCES = {"murder mystery party game for 8 players"}


def test_independent_texts_are_not_in_the_other_sets() -> None:
    """Guards against copying: no text of the other sets or the lexicon appears verbatim."""
    mine = {t["text"].strip().lower() for t in RAW} - COINCIDENCES
    for name in ("corpus.yaml", "holdout.yaml", "blind.yaml", "lexicon.yaml"):
        other = (HERE / name).read_text(encoding="utf-8").lower()
        copied = [t for t in mine if len(t) > 20 and t in other]
        assert not copied, (name, copied[:3])
