import numpy as np
import pandas as pd
import pytest

from learnrisk.targets import make_labels
from tests.conftest import T


def rows(pairs):
    return pd.DataFrame(
        [{"learner_id": l, "course_id": c, "week": w, "cutoff": T("2023-01-02") + pd.Timedelta(days=7 * w)} for l, c, w in pairs]
    )


def test_dropout_labels_by_outcome(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L3", "A-2023", 1), ("L3", "A-2023", 2), ("L1", "A-2024", 1)])
    y = make_labels(tiny, f, "dropout")
    # L1 passed, L2 failed (stayed), L3 withdrew 2023-01-20 (after both cutoffs), A-2024 is running
    assert y.tolist()[:4] == [0.0, 0.0, 1.0, 1.0]
    assert np.isnan(y.iloc[4])
    assert y.index.equals(f.index)


def test_underperformance_only_completers(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L3", "A-2023", 1), ("L4", "A-2023", 2), ("L6", "A-2024", 1)])
    y = make_labels(tiny, f, "underperformance")
    assert y.iloc[0] == 0.0  # pass
    assert y.iloc[1] == 1.0  # fail
    assert np.isnan(y.iloc[2])  # withdrawn: unlabelled
    assert y.iloc[3] == 0.0  # distinction
    assert np.isnan(y.iloc[4])  # running


def test_underperformance_threshold(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L4", "A-2023", 1)])
    y = make_labels(tiny, f, "underperformance", fail_threshold=75)
    assert y.tolist() == [1.0, 1.0, 0.0]  # final scores 70, 30, 90


def test_unknown_target(tiny):
    with pytest.raises(ValueError, match="allowed: dropout, underperformance"):
        make_labels(tiny, rows([("L1", "A-2023", 1)]), "grades")


def test_labels_ignore_feature_frame_order(tiny):
    f = rows([("L3", "A-2023", 1), ("L1", "A-2023", 1)]).iloc[::-1]
    y = make_labels(tiny, f, "dropout")
    assert y.loc[1] == 0.0 and y.loc[0] == 1.0
