"""The not_passing target (fail or withdraw among learners active at the cutoff) and evaluate_risk."""

import numpy as np
import pandas as pd
import pytest

import learnrisk
from learnrisk.targets import TARGETS, make_labels
from learnrisk.training import evaluate_risk
from tests.conftest import T


def rows(pairs):
    return pd.DataFrame(
        [{"learner_id": l, "course_id": c, "week": w, "cutoff": T("2023-01-02") + pd.Timedelta(days=7 * w)} for l, c, w in pairs]
    )


def test_not_passing_is_a_target():
    assert "not_passing" in TARGETS


def test_not_passing_labels_on_a_hand_made_case(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L3", "A-2023", 1), ("L3", "A-2023", 2), ("L4", "A-2023", 2), ("L6", "A-2024", 1)])
    y = make_labels(tiny, f, "not_passing")
    # L1 passed, L2 failed, L3 withdrew (both rows), L4 distinction, A-2024 is running
    assert y.tolist()[:5] == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert np.isnan(y.iloc[5])
    assert y.index.equals(f.index)
    # it is "dropout or underperformance" wherever both are defined
    d, u = make_labels(tiny, f, "dropout"), make_labels(tiny, f, "underperformance")
    both = np.fmax(d.to_numpy(), np.nan_to_num(u.to_numpy()))
    assert np.array_equal(y.to_numpy()[:5], both[:5])


def test_not_passing_with_a_threshold(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L3", "A-2023", 1), ("L4", "A-2023", 1)])
    y = make_labels(tiny, f, "not_passing", fail_threshold=75)
    assert y.tolist() == [1.0, 1.0, 1.0, 0.0]  # final scores 70, 30; withdrawn; 90


class Fixed:
    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)

    def predict_proba(self, features):
        return self.p[: len(features)]


def test_evaluate_risk_combines_the_two_models(tiny):
    f = rows([("L1", "A-2023", 1), ("L2", "A-2023", 1), ("L3", "A-2023", 1), ("L4", "A-2023", 1), ("L6", "A-2024", 1)])
    pd_, pu = [0.1, 0.2, 0.6, 0.1, 0.5], [0.1, 0.7, 0.5, 0.2, 0.5]
    table = evaluate_risk(tiny, f, {"dropout": Fixed(pd_), "underperformance": Fixed(pu)})
    assert list(table.index) == [1, "all"]
    row = table.loc[1]
    assert row["n"] == 4 and row["positives"] == 2  # the running offering is left out
    risk = 1 - (1 - np.array(pd_[:4])) * (1 - np.array(pu[:4]))  # 0.19, 0.76, 0.8, 0.28
    assert row["roc_auc"] == 1.0
    assert row["brier"] == pytest.approx(np.mean((risk - [0, 1, 1, 0]) ** 2))
    assert table["risk"].iloc[0].startswith("1 - (1 - p_dropout)")
    alone = evaluate_risk(tiny, f, {"not_passing": Fixed([0.9, 0.1, 0.8, 0.2, 0.5])})
    assert alone.loc[1, "roc_auc"] == 0.25 and alone["risk"].iloc[0] == "p_not_passing"
    with pytest.raises(ValueError, match="not_passing"):
        evaluate_risk(tiny, f, {"underperformance": Fixed(pu)})


def test_train_not_passing_end_to_end(small_synth):
    data, _ = small_synth
    feats = learnrisk.build_features(data, weeks=[2, 4])
    model, report = learnrisk.train(data, "not_passing", weeks=[2, 4], features=feats, model="logistic", fairness=False)
    assert model.target == "not_passing" and report.target == "not_passing"
    assert report.overall()["roc_auc"] > 0.65
    assert report.overall()["base_rate"] > report.overall("rule")["base_rate"] - 1e-12  # same rows
    card = learnrisk.training.model_card(model, report)
    assert "does not pass" in card
    table = evaluate_risk(data, report.test_features, {"not_passing": model})
    assert table.loc["all", "roc_auc"] == pytest.approx(report.overall()["roc_auc"])
