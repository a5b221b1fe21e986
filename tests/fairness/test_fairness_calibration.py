"""Expected calibration error (10 equal-width bins), the one the trainer reuses."""

from __future__ import annotations

import numpy as np
import pytest

from learnrisk.fairness import expected_calibration_error


def test_hand_worked_ece():
    # Bins: .05 -> 0, .95 -> 9, .65 -> 6, .55 -> 5, one row each.
    # |0 - .05| + |1 - .95| + |1 - .65| + |0 - .55| = .05 + .05 + .35 + .55 = 1.0; / 4 rows = .25
    assert expected_calibration_error([0, 1, 1, 0], [0.05, 0.95, 0.65, 0.55]) == pytest.approx(0.25)


def test_rows_in_one_bin_are_averaged_before_the_absolute_value():
    # Both rows fall in bin 2 (.2 <= p < .3): mean y = .5, mean p = .25 -> ECE = .25.
    assert expected_calibration_error([0, 1], [0.2, 0.3 - 1e-9]) == pytest.approx(0.25)
    # p = 1 falls in the last bin, p = .3 in bin 3 (not bin 2).
    assert expected_calibration_error([1], [1.0]) == 0.0
    assert expected_calibration_error([0, 1], [0.3, 0.3]) == pytest.approx(0.2)


def test_matches_a_direct_loop_on_random_data():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p**2).astype(int)
    expected = 0.0
    for b in range(10):
        m = (p >= b / 10) & (p < (b + 1) / 10)
        if m.any():
            expected += m.mean() * abs(y[m].mean() - p[m].mean())
    assert expected_calibration_error(y, p) == pytest.approx(expected, abs=1e-12)
    assert expected_calibration_error(y, p, n_bins=1) == pytest.approx(abs(y.mean() - p.mean()), abs=1e-12)


def test_perfectly_calibrated_constant_gives_zero_and_empty_gives_nan():
    assert expected_calibration_error([1, 0, 0, 0], [0.25] * 4) == 0.0
    assert np.isnan(expected_calibration_error([], []))


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [([0, 1], [0.5], "same length"), ([0, 1], [0.5, 1.5], r"in \[0, 1\]"), ([0], [np.nan], "without NaN")],
)
def test_bad_input_is_rejected(y, p, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(y, p)
