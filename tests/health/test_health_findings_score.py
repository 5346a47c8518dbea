"""Thresholds as configuration, breach / near findings naming the orders (en + zh), the score
estimate and the parameter parsing."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from health_support import orders, pt

from quickturn.core.health.findings import FIXES, NAMES
from quickturn.core.health.params import (
    DEFAULT_THRESHOLDS,
    METRICS,
    ScoreParams,
    health_params,
)
from quickturn.core.health.report import health_report
from quickturn.core.health.score import score_estimate, subscore
from quickturn.errors import ConfigError
from quickturn.i18n import gettext

TODAY = date(2025, 12, 15)


def ldr_shop(n_late: int, n_total: int) -> pl.DataFrame:
    """``n_total`` orders placed Mon 1 Dec 10:00 (deadline Wed 3 Dec 23:59); the first
    ``n_late`` shipped Thu 4 Dec, the rest Tue 2 Dec; all delivered Fri 5 Dec."""
    rows = []
    for i in range(n_total):
        rows.append(
            {
                "order_id": f"O{i:03d}",
                "created_at": pt(2025, 12, 1, 10),
                "shipped_at": pt(2025, 12, 4, 10) if i < n_late else pt(2025, 12, 2, 10),
                "delivered_at": pt(2025, 12, 5, 10),
                "tracking_valid": True,
            }
        )
    return orders(rows)


def test_reference_thresholds_are_the_defaults() -> None:
    p = health_params()
    assert dict(p.thresholds) == DEFAULT_THRESHOLDS
    assert p.threshold("late_dispatch_rate") == 0.04
    assert p.threshold("valid_tracking_rate") == 0.95
    assert p.threshold("seller_fault_cancellation_rate") == 0.025
    assert p.threshold("on_time_delivery_rate") == 0.80
    assert p.window("negative_review_rate") == 60
    assert p.window("seller_fault_cancellation_rate") == 30


def test_breach_finding_names_the_orders_in_both_languages() -> None:
    # 3 of 50 late = 6% > 4%
    rep, _ = health_report(ldr_shop(3, 50), None, None, health_params(), TODAY)
    f = [x for x in rep.findings if x.code == "HEALTH_LDR_BREACH"]
    assert len(f) == 1
    f0 = f[0]
    assert f0.severity == "error" and f0.is_error and rep.breached
    assert "6.0%" in f0.message and "≤ 4.0%" in f0.message
    assert "O000, O001, O002" in f0.message and "3 of 50" in f0.message
    assert f0.message_zh is not None and "迟发货率" in f0.message_zh
    assert "O000, O001, O002" in f0.message_zh
    assert f0.fix and f0.fix_zh and f0.fix != f0.fix_zh
    assert f0.record["orders"] == ["O000", "O001", "O002"]
    assert f0.record["value"] == pytest.approx(0.06)
    assert f0.value == pytest.approx(0.06)


def test_near_threshold_warning_and_margin_from_configuration() -> None:
    # 2 of 60 = 3.33%: under 4% but above (1 − 0.25) × 4% = 3% → near
    rep, _ = health_report(ldr_shop(2, 60), None, None, health_params(), TODAY)
    codes = {f.code: f for f in rep.findings}
    assert "HEALTH_LDR_NEAR" in codes and codes["HEALTH_LDR_NEAR"].severity == "warn"
    assert not rep.breached
    # with a 10% margin, 3.33% < 3.6% → ok, no finding
    rep2, _ = health_report(ldr_shop(2, 60), None, None, health_params({"margin": 0.1}), TODAY)
    assert not any(f.code.startswith("HEALTH_LDR") for f in rep2.findings)
    # a stricter configured threshold turns it into a breach
    rep3, _ = health_report(
        ldr_shop(2, 60),
        None,
        None,
        health_params({"thresholds": {"late_dispatch_rate": 0.03}}),
        TODAY,
    )
    assert "HEALTH_LDR_BREACH" in {f.code for f in rep3.findings}


def test_exactly_on_the_threshold_is_not_a_breach() -> None:
    # 2 of 50 = 4.0% exactly: "≤ 4%" holds → near (within the margin), not breach
    rep, _ = health_report(ldr_shop(2, 50), None, None, health_params(), TODAY)
    row = rep.rolling.filter(pl.col("metric") == "late_dispatch_rate").row(0, named=True)
    assert row["value"] == pytest.approx(0.04)
    assert row["status"] == "near"


def test_long_offender_lists_are_shortened_in_the_message() -> None:
    rep, _ = health_report(ldr_shop(15, 20), None, None, health_params(), TODAY)
    f = next(x for x in rep.findings if x.code == "HEALTH_LDR_BREACH")
    assert "(+5 more)" in f.message and "另有 5 个" in (f.message_zh or "")
    assert len(f.record["orders"]) == 15


def test_every_message_of_the_module_is_translated() -> None:
    for m in METRICS:
        assert gettext(NAMES[m], "zh") != NAMES[m]
        assert gettext(FIXES[m], "zh") != FIXES[m]


def test_subscore_anchors() -> None:
    p = ScoreParams()
    assert subscore(0.0, 0.04, p) == 5.0
    assert subscore(0.04, 0.04, p) == 3.0  # exactly on the threshold
    assert subscore(0.08, 0.04, p) == pytest.approx(1.5)  # halfway from 1× to 3×
    assert subscore(0.12, 0.04, p) == 0.0
    assert subscore(0.0, 0.0, p) == 5.0


def test_score_estimate_by_hand() -> None:
    metrics = pl.DataFrame(
        {
            "metric": list(METRICS),
            # LDR and VTR carry no weight by default
            "value": [0.10, 0.50, 0.0125, 0.90, 0.005, None],
            "threshold": [DEFAULT_THRESHOLDS[m] for m in METRICS],
        }
    )
    est = score_estimate(metrics, delivered_orders=100, params=ScoreParams())
    # SFCR 1.25% of 2.5% → x = 0.5 → 5 − 2·0.5 = 4.0          (weight 0.20)
    # OTDR 90%: bad 10% of allowed 20% → x = 0.5 → 4.0        (weight 0.20)
    # NRR 0.5% of 0.5% → x = 1 → 3.0                           (weight 0.25)
    # NBFRR: no data → left out, weights renormalised
    expected = (0.2 * 4.0 + 0.2 * 4.0 + 0.25 * 3.0) / (0.2 + 0.2 + 0.25)
    assert est.score == pytest.approx(expected)
    assert est.coverage == pytest.approx(0.65 / 0.80)
    assert "not TikTok's formula" in est.label
    # too few delivered orders: no score
    few = score_estimate(metrics, delivered_orders=29, params=ScoreParams())
    assert few.score is None and not few.eligible
    # configurable weights: only OTDR
    only = health_params(
        {"score": {"weights": {m: 0 for m in METRICS} | {"on_time_delivery_rate": 1}}}
    )
    assert score_estimate(metrics, 100, only.score).score == pytest.approx(4.0)


def test_score_unavailable_is_reported_as_information() -> None:
    rep, _ = health_report(ldr_shop(0, 10), None, None, health_params(), TODAY)
    assert rep.score.score is None
    assert "HEALTH_SCORE_UNAVAILABLE" in {f.code for f in rep.findings}


@pytest.mark.parametrize(
    "section",
    [
        {"thresholds": {"late_dispatch_rate": 4}},
        {"thresholds": {"no_such_metric": 0.1}},
        {"cutoff": "24:00"},
        {"sla_clock": "shipped"},
        {"windows": {"negative_review_rate": 0}},
        {"score": {"weights": {m: 0 for m in METRICS}}},
        {"projection": {"oversell_share": 1.5}},
        {"unknown_key": 1},
    ],
)
def test_malformed_configuration_is_a_clear_error(section: dict) -> None:
    with pytest.raises(ConfigError, match="health\\."):
        health_params(section)


def test_configuration_values_are_applied() -> None:
    p = health_params(
        {
            "cutoff": 1439,  # YAML 1.1 reads an unquoted 23:59 as 1439 minutes
            "windows": {"negative_review_rate": 30},
            "sla_days": {"regular": {"dispatch": 3}},
            "projection": {"curve": {"tau_days": 2.0}, "oversell_share": 0.2},
        }
    )
    assert (p.cutoff.hour, p.cutoff.minute) == (23, 59)
    assert p.window("negative_review_rate") == 30
    assert p.sla_days["regular"]["dispatch"] == 3 and p.sla_days["regular"]["deliver"] == 6
    assert p.projection.curve.tau_days == 2.0 and p.projection.oversell_share == 0.2


def _msgids(path: str) -> set[str]:
    """String literals passed to ``_``, ``gettext``, ``_both`` or ``info_finding``."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "quickturn" / path
    out: set[str] = set()
    for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        args = node.args[:1] if name in ("_", "gettext", "_both") else []
        if name == "info_finding":
            args = node.args[1:3]
        for a in args:
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                out.add(a.value)
    return out


@pytest.mark.parametrize(
    "path",
    [
        "cli/health.py",
        "core/health/findings.py",
        "core/health/report.py",
        "services/health/__init__.py",
    ],
)
def test_every_user_facing_string_has_a_chinese_translation(path: str) -> None:
    ids = _msgids(path)
    assert ids, path
    from quickturn.i18n import catalog

    missing = [m for m in ids if not catalog("zh").get(m)]
    assert not missing, f"untranslated in health.po: {missing}"
