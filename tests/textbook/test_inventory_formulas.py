"""Every textbook value of ../shared/reference/published-results.md §1, to the stated precision.

Source: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed.), as reproduced by the
stockpyl test suite; Bass diffusion with the meta-analysis means.  Tolerance 1e-6 unless the
reference states fewer digits (then half a unit of the last stated digit).
"""

from __future__ import annotations

import doctest

import pytest

from quickturn.core.plan import formulas
from quickturn.core.plan.formulas import (
    base_stock_level,
    bass_diffusion,
    economic_order_quantity,
    newsvendor_discrete,
    newsvendor_lognormal,
    newsvendor_normal,
    newsvendor_poisson,
    ss_cost_poisson,
    ss_policy_poisson,
    wagner_whitin,
)

TOL = 1e-6


def test_docstring_examples_run() -> None:
    result = doctest.testmod(formulas, raise_on_error=False)
    assert result.attempted >= 12
    assert result.failed == 0


def test_newsvendor_normal_example_4_3() -> None:
    level, cost = newsvendor_normal(0.18, 0.70, 50, 8)
    assert level == pytest.approx(56.603955927433887, abs=TOL)
    assert cost == pytest.approx(1.997605193176645, abs=TOL)
    assert newsvendor_normal(0.18, 0.70, 50, 8, base_stock_level=40).cost == pytest.approx(
        7.356131552870388, abs=TOL
    )
    assert newsvendor_normal(0.18, 0.70, 50, 8, base_stock_level=60).cost == pytest.approx(
        2.156131552870387, abs=TOL
    )


def test_base_stock_with_lead_time_example_4_4() -> None:
    level, cost = base_stock_level(0.18, 0.70, 50, 8, lead_time=4)
    assert level == pytest.approx(264.7668943741548, abs=TOL)
    assert cost == pytest.approx(4.466781004149578, abs=TOL)
    at_180 = base_stock_level(0.18, 0.70, 50, 8, lead_time=4, base_stock_level=180)
    assert at_180.cost == pytest.approx(49.000164748034095, abs=TOL)


def test_newsvendor_normal_problem_4_1() -> None:
    level, cost = newsvendor_normal(43, 79, 900, 60)
    assert level == pytest.approx(922.7214038234755, abs=TOL)
    assert cost == pytest.approx(2718.196781782411, abs=TOL)


def test_newsvendor_poisson_example_4_7() -> None:
    level, cost = newsvendor_poisson(1, 4, 6)
    assert level == 8
    assert cost == pytest.approx(3.570106945770946, abs=TOL)
    assert newsvendor_poisson(1, 4, 6, base_stock_level=5).cost == pytest.approx(
        6.590296024616344, abs=TOL
    )


def test_newsvendor_poisson_problem_4_8a() -> None:
    level, cost = newsvendor_poisson(200, 270, 18)
    assert level == 19
    assert cost == pytest.approx(786.0884409351115, abs=TOL)


def test_newsvendor_discrete_problem_4_7b() -> None:
    values = range(1, 9)
    pmf = [0.25, 0.05, 0.1, 0.2, 0.15, 0.1, 0.1, 0.05]
    level, cost = newsvendor_discrete(5e5, 1e6, values, pmf)
    assert level == 5
    assert cost == pytest.approx(1_225_000, abs=TOL)
    assert newsvendor_discrete(5e5, 1e6, values, pmf, base_stock_level=3).cost == pytest.approx(
        1_725_000, abs=TOL
    )


def test_newsvendor_lognormal_problem_4_8b() -> None:
    level, cost = newsvendor_lognormal(1, 0.1765, 6, 0.3)
    assert level == pytest.approx(295.6266448071368, abs=TOL)
    assert cost == pytest.approx(29.44254358213529, abs=TOL)


def test_ss_poisson_example_4_7() -> None:
    s, big_s, cost = ss_policy_poisson(1, 4, 5, 6)
    assert (s, big_s) == (4, 10)
    assert cost == pytest.approx(8.034111561471644, abs=TOL)
    assert ss_cost_poisson(6, 18, 1, 4, 5, 6) == pytest.approx(10.193798671644046, abs=TOL)


def test_ss_poisson_problem_4_31() -> None:
    s, big_s, cost = ss_policy_poisson(40, 125, 150, 4)
    assert (s, big_s) == (2, 7)
    assert cost == pytest.approx(223.5748295669688, abs=TOL)


@pytest.mark.parametrize(
    ("demand_mean", "expected"),
    [(15, (10, 49, 42.698)), (10, (6, 40, 35.022)), (75, (67, 86, 79.554))],
)
def test_ss_poisson_zheng_federgruen_grid(
    demand_mean: float, expected: tuple[int, int, float]
) -> None:
    s, big_s, cost = ss_policy_poisson(1, 9, 64, demand_mean)
    assert (s, big_s) == expected[:2]
    assert cost == pytest.approx(expected[2], abs=1e-3)


def test_eoq_example_3_1() -> None:
    quantity, cost = economic_order_quantity(8, 0.225, 1300)
    assert quantity == pytest.approx(304.0467800264368, abs=TOL)
    assert cost == pytest.approx(68.41052550594827, abs=TOL)
    # the EOQ cost curve is flat around Q*: 10% off costs well under 1% more
    assert economic_order_quantity(8, 0.225, 1300, order_quantity=1.1 * quantity).cost < cost * 1.01


def test_wagner_whitin_example_3_9() -> None:
    quantities, cost = wagner_whitin([90, 120, 80, 70], 500, 2)
    assert quantities == (210, 0, 150, 0)
    assert cost == pytest.approx(1380, abs=TOL)


def test_wagner_whitin_problem_3_27() -> None:
    quantities, cost = wagner_whitin([150, 100, 80, 200], 120, 0.8)
    assert quantities == (150, 180, 0, 200)
    assert cost == pytest.approx(424, abs=TOL)


def test_wagner_whitin_zero_demand_periods_need_no_order() -> None:
    quantities, cost = wagner_whitin([0, 0, 50, 0], 100, 1)
    assert quantities == (0, 0, 50, 0)
    assert cost == 100


def test_bass_diffusion_meta_analysis_means() -> None:
    p, q = 0.03, 0.38
    peak = bass_diffusion(p, q, 0).peak_time
    assert peak == pytest.approx(6.193, abs=5e-4)
    at_peak = bass_diffusion(p, q, peak)
    assert at_peak.cumulative == pytest.approx(0.4605, abs=5e-5)
    assert at_peak.density == pytest.approx(0.11059, abs=5e-6)
    assert bass_diffusion(p, q, 5).cumulative == pytest.approx(0.3312, abs=5e-5)
    assert bass_diffusion(p, q, 10).cumulative == pytest.approx(0.8128, abs=5e-5)


def test_bad_costs_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        newsvendor_normal(0, 1, 10, 2)
