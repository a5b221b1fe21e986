"""ABROCA and the ROC-area helper, against areas worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from learnrisk.fairness import abroca, abroca_detail, roc_area_between
from learnrisk.fairness._metrics import roc_points


def test_hand_worked_vertical_segments_no_crossing():
    # Group A ranks perfectly: ROC (0,0) -> (0,.5) -> (0,1) -> (.5,1) -> (1,1), TPR_A = 1 on (0, 1].
    # Group B: y = 1,0,1,0 at scores .9,.8,.7,.6: ROC (0,0) -> (0,.5) -> (.5,.5) -> (.5,1) -> (1,1),
    # so TPR_B = .5 on (0, .5) and 1 on (.5, 1).
    # Area = |1 - .5| * .5 (on [0, .5]) + 0 (on [.5, 1]) = 0.25 (= AUC_A - AUC_B = 1 - .75).
    y = [1, 1, 0, 0] + [1, 0, 1, 0]
    s = [0.9, 0.8, 0.3, 0.2] + [0.9, 0.8, 0.7, 0.6]
    g = ["A"] * 4 + ["B"] * 4
    assert abroca(y, s, g) == pytest.approx(0.25, abs=1e-12)


def test_hand_worked_crossing_between_breakpoints():
    # Group A: y = 1,0,1 at .9,.5,.1 -> ROC (0,0) -> (0,.5) -> (1,.5) -> (1,1): TPR_A = .5 on (0,1).
    # Group B: one positive and one negative tied at .5 -> the diagonal TPR_B = FPR.
    # The curves cross at FPR = .5, which is no breakpoint of either curve (union = {0, 1}).
    # Area = two triangles of base .5 and height .5 = 2 * (.5 * .5 / 2) = 0.25.
    # (A trapezoid on |d| over [0, 1] would give .5; one on the signed d would give 0.)
    y = [1, 0, 1] + [1, 0]
    s = [0.9, 0.5, 0.1] + [0.5, 0.5]
    g = ["A"] * 3 + ["B"] * 2
    assert abroca(y, s, g) == pytest.approx(0.25, abs=1e-12)


def test_hand_worked_unequal_crossing():
    # Group A: the diagonal (one positive, one negative, tied).
    # Group B: positives at .9, .2, .2 and one negative at .5 -> ROC (0,0) -> (0,1/3) -> (1,1/3) -> (1,1):
    # TPR_B = 1/3 on (0, 1). |FPR - 1/3| integrates to (1/3)^2 / 2 + (2/3)^2 / 2 = 1/18 + 4/18 = 5/18.
    y = [1, 0] + [1, 1, 1, 0]
    s = [0.5, 0.5] + [0.9, 0.2, 0.2, 0.5]
    g = ["A"] * 2 + ["B"] * 4
    assert abroca(y, s, g) == pytest.approx(5 / 18, abs=1e-12)


def test_roc_area_between_on_breakpoints_directly():
    # Flat .5 vs the diagonal, given as breakpoints: 0.25 as above.
    assert roc_area_between([0, 0, 1, 1], [0, 0.5, 0.5, 1], [0, 1], [0, 1]) == pytest.approx(0.25)
    # A curve against itself: 0.
    assert roc_area_between([0, 0.2, 1], [0, 0.7, 1], [0, 0.2, 1], [0, 0.7, 1]) == 0


def test_identical_groups_give_zero():
    rng = np.random.default_rng(3)
    y = rng.random(200) < 0.4
    s = rng.random(200)
    yy, ss = np.concatenate([y, y]), np.concatenate([s, s])
    g = ["A"] * 200 + ["B"] * 200
    assert abroca(yy, ss, g) == 0.0


def test_symmetric_and_invariant_to_monotone_rescaling():
    rng = np.random.default_rng(4)
    n = 300
    y = rng.random(n) < 0.3
    g = rng.choice(["A", "B"], n)
    s = np.clip(0.3 + 0.4 * y * (g == "A") + rng.normal(0, 0.2, n), 0, 1)
    forward = abroca(y, s, g)
    swapped = abroca(y, s, np.where(g == "A", "B", "A"))
    assert forward == pytest.approx(swapped, abs=1e-12)
    assert abroca(y, s, g, reference="A") == pytest.approx(abroca(y, s, g, reference="B"), abs=1e-12)
    assert abroca(y, s**3, g) == pytest.approx(forward, abs=1e-12)
    assert forward > 0.1


def test_equals_auc_difference_when_one_curve_dominates():
    # A perfect ranking's curve lies above every other, so the area is 1 - AUC of the other group.
    rng = np.random.default_rng(5)
    y_b = rng.random(80) < 0.5
    s_b = rng.random(80)
    y = np.concatenate([[1, 1, 0, 0], y_b])
    s = np.concatenate([[0.9, 0.8, 0.1, 0.2], s_b])
    g = ["A"] * 4 + ["B"] * 80
    assert abroca(y, s, g) == pytest.approx(1 - roc_auc_score(y_b, s_b), abs=1e-12)


def test_more_than_two_groups_compares_with_the_largest_and_reports_the_max():
    # C (largest) and A rank the same way; B's curve is the hand-worked flat .5 vs C's diagonal.
    y = [1, 0] * 5 + [1, 0, 1] + [1, 0]
    s = [0.5] * 10 + [0.9, 0.5, 0.1] + [0.5, 0.5]
    g = ["C"] * 10 + ["B"] * 3 + ["A"] * 2
    d = abroca_detail(y, s, g)
    assert d["reference"] == "C"
    assert d["by_group"] == {"A": 0.0, "B": 0.25}
    assert d["group"] == "B" and d["abroca"] == 0.25


def test_small_and_one_class_groups_are_left_out():
    y = [1, 0, 1] + [1, 0] + [1, 1, 1]
    s = [0.9, 0.5, 0.1] + [0.5, 0.5] + [0.2, 0.3, 0.4]
    g = ["A"] * 3 + ["B"] * 2 + ["C"] * 3
    d = abroca_detail(y, s, g)
    assert d["excluded"] == ["C"]  # one class only
    assert d["abroca"] == pytest.approx(0.25)
    # With min_group_size=3, B (2 rows) is left out too: one group remains, no ABROCA.
    assert np.isnan(abroca(y, s, g, min_group_size=3))


def test_missing_group_labels_form_their_own_group():
    y = [1, 0, 1] + [1, 0]
    s = [0.9, 0.5, 0.1] + [0.5, 0.5]
    g = ["A"] * 3 + [None, None]
    d = abroca_detail(y, s, g)
    assert set(d["by_group"]) | {d["reference"]} == {"A", "(missing)"}
    assert d["abroca"] == pytest.approx(0.25)


def test_unknown_reference_is_an_error():
    with pytest.raises(ValueError, match="reference group 'Z' not found"):
        abroca([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], ["A", "A", "B", "B"], reference="Z")


def _numeric_area(y_a, s_a, y_b, s_b, n_grid: int = 100_003) -> float:
    """Midpoint rule on a fine grid whose midpoints avoid every breakpoint (n_grid is prime)."""
    x = (np.arange(n_grid) + 0.5) / n_grid
    fa, ta = roc_points(y_a, s_a)
    fb, tb = roc_points(y_b, s_b)
    return float(np.mean(np.abs(np.interp(x, fa, ta) - np.interp(x, fb, tb))))


labels_and_scores = st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=14).filter(
    lambda rows: 0 < sum(r[0] for r in rows) < len(rows)
)


@settings(max_examples=60, deadline=None)
@given(a=labels_and_scores, b=labels_and_scores)
def test_exact_area_matches_fine_numerical_integration(a, b):
    # Small integer scores give many ties (diagonal segments) and vertical segments.
    y_a, s_a = np.array([r[0] for r in a]), np.array([r[1] for r in a], dtype=float)
    y_b, s_b = np.array([r[0] for r in b]), np.array([r[1] for r in b], dtype=float)
    y = np.concatenate([y_a, y_b])
    s = np.concatenate([s_a, s_b])
    g = ["a"] * len(a) + ["b"] * len(b)
    assert abroca(y, s, g) == pytest.approx(_numeric_area(y_a, s_a, y_b, s_b), abs=2e-4)


def test_roc_points_and_auc_match_sklearn():
    from sklearn.metrics import roc_curve

    from learnrisk.fairness._metrics import roc_auc

    rng = np.random.default_rng(6)
    y = (rng.random(300) < 0.4).astype(float)
    for s in (np.round(rng.random(300), 1), rng.random(300)):  # many ties, then none
        fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
        ours = roc_points(y, s)
        np.testing.assert_allclose(ours[0], fpr)
        np.testing.assert_allclose(ours[1], tpr)
        assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_grid_statistic_is_within_a_thousandth_of_the_exact_area():
    from learnrisk.fairness._null import _grid_statistic, _split

    rng = np.random.default_rng(7)
    for _ in range(5):
        n = 500
        g = rng.choice([0, 1, 2], n)
        y = (rng.random(n) < 0.3).astype(float)
        s = np.clip(0.3 + 0.3 * y * (1 + g) / 3 + rng.normal(0, 0.2, n), 0, 1)
        order = np.argsort(-s, kind="stable")
        exact = abroca(y, s, g, reference=int(np.bincount(g).argmax()))
        ref = int(np.bincount(g).argmax())
        codes = np.array([ref] + [c for c in (0, 1, 2) if c != ref])
        recoded = np.argsort(codes)[g]  # the reference group becomes code 0
        assert _grid_statistic(y[order], s[order], _split(recoded[order], 3)) == pytest.approx(exact, abs=1e-3)


def test_permutation_test_separates_signal_from_noise():
    from learnrisk.fairness._null import abroca_permutation_test

    rng = np.random.default_rng(6)

    n = 1200
    g = rng.choice(["A", "B"], n)
    y = rng.random(n) < 0.3
    noise = np.where(g == "B", 3.0, 0.8)
    s = 1 / (1 + np.exp(-(-1.5 + 2.5 * y + rng.normal(0, 1, n) * noise)))
    biased = abroca_permutation_test(y, s, g, n_permutations=99, random_state=0)
    assert biased["abroca"] > 0.1 and biased["p_value"] == pytest.approx(1 / 100)
    assert biased["abroca"] == abroca(y, s, g)
    fair = abroca_permutation_test(y, np.where(g == "B", s, s), rng.permutation(g), n_permutations=99)
    assert fair["p_value"] > 0.05 and fair["null_q95"] > fair["abroca"]
    # Same seed, same result.
    again = abroca_permutation_test(y, s, g, n_permutations=99, random_state=0)
    assert again["null_q95"] == biased["null_q95"]


def test_permutation_test_keeps_units_together():
    from learnrisk.fairness._null import abroca_permutation_test

    # Each unit repeats 10 times: shuffling units (not rows) gives a wider null.
    rng = np.random.default_rng(8)
    n_units = 120
    unit = np.repeat(np.arange(n_units), 10)
    g = np.repeat(rng.choice(["A", "B"], n_units), 10)
    y = np.repeat(rng.random(n_units) < 0.3, 10)
    s = np.clip(0.3 + 0.2 * y + np.repeat(rng.normal(0, 0.2, n_units), 10), 0, 1)
    by_unit = abroca_permutation_test(y, s, g, unit=unit, n_permutations=99)
    by_row = abroca_permutation_test(y, s, g, n_permutations=99)
    assert by_unit["abroca"] == by_row["abroca"]
    assert by_unit["null_q95"] > by_row["null_q95"]
