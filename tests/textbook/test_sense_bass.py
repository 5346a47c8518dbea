"""Bass (1969) diffusion: the textbook values in ../shared/reference/published-results.md."""

from __future__ import annotations

import doctest

import numpy as np

from quickturn.core.sense import kernels
from quickturn.core.sense.kernels import bass_cdf, bass_pdf, bass_peak_time

P, Q = 0.03, 0.38


def test_bass_peak_time_and_values() -> None:
    t_star = bass_peak_time(P, Q)
    assert round(t_star, 3) == 6.193
    assert round(float(bass_cdf(t_star, P, Q)), 4) == 0.4605
    assert round(float(bass_pdf(t_star, P, Q)), 5) == 0.11059
    assert round(float(bass_cdf(5.0, P, Q)), 4) == 0.3312
    assert round(float(bass_cdf(10.0, P, Q)), 4) == 0.8128


def test_bass_density_is_the_derivative_and_peaks_at_t_star() -> None:
    t = np.linspace(0.0, 30.0, 30001)
    f = bass_pdf(t, P, Q)
    assert isinstance(f, np.ndarray)
    assert abs(t[int(np.argmax(f))] - bass_peak_time(P, Q)) < 1e-3
    num = np.gradient(np.asarray(bass_cdf(t, P, Q)), t)
    np.testing.assert_allclose(num[1:-1], f[1:-1], rtol=1e-5, atol=1e-8)
    assert bass_peak_time(0.4, 0.1) == 0.0  # no interior peak when q <= p


def test_kernel_module_doctests() -> None:
    res = doctest.testmod(kernels)
    assert res.attempted >= 3 and res.failed == 0


def test_kernel_grid_rows_are_normalised_and_families_differ() -> None:
    g = kernels.kernel_grid(200)
    np.testing.assert_allclose(g.shape.sum(axis=1), 1.0)
    assert set(g.family.tolist()) == {0, 1}
    # a power-law tail leaves more demand after day 30 than an exponential of similar peak
    exp_tail = g.cdf[g.family == 0][:, 30]
    pow_tail = g.cdf[g.family == 1][:, 30]
    assert (1 - pow_tail).max() > (1 - exp_tail[g.tau[g.family == 0] <= 7.5]).max()
