"""learnrisk.metrics: the metrics training and the fairness audit share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk import fairness
from learnrisk.errors import FairnessAuditError
from learnrisk.metrics import expected_calibration_error, rank_average, roc_auc, roc_points, select_top


def test_expected_calibration_error_on_known_cases():
    # bins [0, 0.1): y 0, p 0.05 -> 0.05; [0.9, 1]: y 1, p 0.95 -> 0.05; [0.6, 0.7): 0.35; [0.5, 0.6): 0.55
    assert expected_calibration_error([0, 1, 1, 0], [0.05, 0.95, 0.65, 0.55]) == pytest.approx(0.25)
    assert expected_calibration_error([1, 0, 0, 0], [0.25] * 4) == 0.0  # calibrated in its one bin
    assert expected_calibration_error([1], [1.0]) == 0.0  # p == 1 falls in the last bin
    assert expected_calibration_error([0, 1], [0.3, 0.3], n_bins=1) == pytest.approx(0.2)
    assert np.isnan(expected_calibration_error([], []))
    with pytest.raises(ValueError, match="probabilities"):
        expected_calibration_error([0, 1], [0.5, 1.5])


def test_the_fairness_package_reexports_the_shared_metrics():
    assert fairness.select_top is select_top
    assert fairness.expected_calibration_error is expected_calibration_error


def test_select_top_fraction_per_group_takes_the_ceiling():
    frame = pd.DataFrame(
        {
            "course_id": ["A"] * 45 + ["B"] * 30,
            "week": 1,
            "score": np.r_[np.linspace(0, 1, 45), np.linspace(0, 1, 30)],
        }
    )
    sel = select_top(frame, top_frac=0.1)
    assert sel.name == "selected" and sel.index.equals(frame.index)
    assert sel.groupby(frame["course_id"]).sum().to_dict() == {"A": 5, "B": 3}  # ceil(4.5), exactly 3
    # the selected rows are each list's highest scores
    assert frame.loc[sel & (frame["course_id"] == "A"), "score"].min() > frame.loc[~sel & (frame["course_id"] == "A"), "score"].max()


def test_select_top_k_per_offering_and_week_breaks_ties_by_row_order():
    frame = pd.DataFrame(
        {
            "course_id": ["A", "A", "A", "A", "A", "B", "B"],
            "week": [1, 1, 1, 2, 2, 1, 1],
            "score": [0.5, 0.9, 0.5, 0.1, 0.2, 0.3, 0.3],
        }
    )
    assert select_top(frame, top_k=2).tolist() == [True, True, False, True, True, True, True]  # A week 2 has two rows
    assert select_top(frame, top_k=1).tolist() == [False, True, False, False, True, True, False]
    # a capacity larger than the list selects everyone
    assert select_top(frame, top_k=10).all()
    # other list keys and score columns
    other = frame.rename(columns={"score": "p"})
    assert select_top(other, score="p", by=["course_id"], top_k=1).sum() == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"top_k": 0}, "top_k"), ({"top_frac": 0}, "top_frac"), ({"top_frac": 1.5}, "top_frac"), ({"by": ["nope"]}, "nope")],
)
def test_select_top_rejects_bad_capacities_and_missing_columns(kwargs, match):
    frame = pd.DataFrame({"course_id": ["A"], "week": [1], "score": [0.5]})
    with pytest.raises(FairnessAuditError, match=match):
        select_top(frame, **kwargs)


def test_ranks_and_roc_match_scipy_and_sklearn():
    from scipy.stats import rankdata
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        s = np.round(rng.random(n), 1)  # many ties
        y = rng.random(n) < 0.4
        np.testing.assert_array_equal(rank_average(s), rankdata(s))
        if 0 < y.sum() < n:
            assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
            fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
            ours = roc_points(y, s)
            np.testing.assert_allclose(ours[0], fpr)
            np.testing.assert_allclose(ours[1], tpr)
        else:
            assert np.isnan(roc_auc(y, s))


def test_metrics_imports_neither_sklearn_nor_scipy():
    import subprocess
    import sys

    code = "import sys, learnrisk.metrics; print(any(m in sys.modules for m in ('sklearn', 'scipy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
