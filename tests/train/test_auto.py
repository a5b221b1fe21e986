"""model="auto": leave-one-offering-out selection, the one-offering fallback, cross-fitting by learner."""

import numpy as np
import pandas as pd
import pytest

from learnrisk.training import CANDIDATES, RiskModel, model_card, select_candidate
from learnrisk.training._model import FALLBACK, crossfit_raw, learner_folds


def frame(signal, n_per=1500, offerings=("A-1", "A-2", "B-1"), seed=0, n_noise=4):
    """Rows of several offerings, columns x0..x{k}, a label drawn from ``signal(X)`` (log-odds)."""
    rng = np.random.default_rng(seed)
    n = n_per * len(offerings)
    X = pd.DataFrame(rng.normal(size=(n, 2 + n_noise)), columns=[f"x{i}" for i in range(2 + n_noise)])
    logit = signal(X)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    X.insert(0, "course_id", np.repeat(offerings, n_per))
    X.insert(0, "learner_id", np.arange(n) // 2)  # two rows (weeks) per learner
    X.insert(2, "week", np.tile([1, 2], n // 2))
    return X, y


def _select(X, y):
    cols = [c for c in X.columns if c.startswith("x")]
    return select_candidate(X[cols], y, X["course_id"].to_numpy(), X["week"].to_numpy())


def test_a_linear_signal_picks_the_logistic_candidate():
    X, y = frame(lambda X: 1.2 * X["x0"] - 1.0 * X["x1"] + 0.8 * X["x2"] - 0.6 * X["x3"])
    chosen, table, note = _select(X, y)
    assert chosen == "logistic-reg"
    assert set(table["candidate"]) == set(CANDIDATES)
    assert list(table.columns) == ["candidate", "A-1", "A-2", "B-1", "mean", "chosen"]
    assert table.loc[table["chosen"], "candidate"].item() == "logistic-reg"
    assert "leave-one-offering-out" in note


def test_a_strong_interaction_picks_a_tree():
    X, y = frame(lambda X: 3.0 * np.sign(X["x0"]) * np.sign(X["x1"]))
    chosen, table, _ = _select(X, y)
    assert chosen != "logistic-reg" and CANDIDATES[chosen]["kind"] == "lgbm"
    means = table.set_index("candidate")["mean"]
    assert means[chosen] > means["logistic-reg"] + 0.2


def test_ties_go_to_the_simpler_candidate():
    X, y = frame(lambda X: 0.0 * X["x0"])  # no signal: every candidate near 0.5
    chosen, table, _ = _select(X, y)
    means = table.set_index("candidate")["mean"]
    simpler = [n for n in CANDIDATES if means[n] >= means.max() - 0.002]
    assert chosen == simpler[0]


def test_one_training_offering_falls_back_and_says_so():
    X, y = frame(lambda X: X["x0"], offerings=("A-1",), n_per=2000)
    m = RiskModel("auto").fit(X, y)
    assert m.chosen_ == FALLBACK and m.selection_ is None
    assert "one training offering (A-1)" in m.selection_note_ and FALLBACK in m.selection_note_
    assert "auto: lgbm-reg-50" in repr(m)


def test_auto_refits_the_winner_on_every_row_and_cross_fits_the_calibrator():
    X, y = frame(lambda X: 1.5 * X["x0"])
    m = RiskModel("auto", columns=[c for c in X.columns if c.startswith("x")]).fit(X, y)
    assert m.n_train_rows_ == len(y) == m.n_calibration_rows_  # no learner held out of the final model
    assert m.chosen_ in CANDIDATES and m.selection_ is not None
    p = m.predict_proba(X)
    assert abs(p.mean() - y.mean()) < 0.02


def test_cross_fitting_folds_are_by_learner():
    groups = np.repeat(np.arange(400), 3)
    fold = learner_folds(groups, 5, random_state=0)
    per_learner = pd.Series(fold).groupby(groups).nunique()
    assert (per_learner == 1).all()  # no learner in two folds
    assert set(fold) == set(range(5))
    sizes = np.bincount(fold)
    assert sizes.min() > 0.15 * len(groups)


def test_cross_fit_scores_each_learner_by_a_model_that_never_saw_them():
    X, y = frame(lambda X: 1.5 * X["x0"], offerings=("A-1",), n_per=1000)
    cols = [c for c in X.columns if c.startswith("x")]
    groups = X["learner_id"].to_numpy()
    raw = crossfit_raw("logistic-reg", X[cols], y, groups, random_state=0)
    assert np.isfinite(raw).all()
    # a learner's out-of-fold score changes if (and only if) the folds are redrawn
    fold = learner_folds(groups, 5, 0)
    held = fold == 0
    from learnrisk.training._model import build_candidate, raw_scores

    est = build_candidate("logistic-reg", X[cols][~held], y[~held]).fit(X[cols][~held], y[~held])
    assert np.allclose(raw[held], raw_scores(est, X[cols][held]))


def test_monotone_candidate_signs_follow_the_training_rows():
    from learnrisk.training._model import monotone_signs

    X, y = frame(lambda X: 2 * X["x0"] - 2 * X["x1"])
    cols = [c for c in X.columns if c.startswith("x")]
    signs = monotone_signs(X[cols], y)
    assert signs[:2] == [1, -1] and set(signs[2:]) <= {0, 1, -1}
    assert sum(s != 0 for s in signs[2:]) <= 1  # noise columns are mostly unconstrained


def test_train_auto_is_the_default_and_reports_the_selection(trained_auto):
    _, model, report = trained_auto
    assert model.estimator == "auto" and model.metadata["model"] == "auto"
    assert model.metadata["chosen_model"] == model.chosen_ in CANDIDATES
    assert report.selection is not None and len(report.selection) == len(CANDIDATES)
    assert [r["candidate"] for r in model.metadata["selection"]] == list(CANDIDATES)
    assert any("leave-one-offering-out" in n for n in report.notes)
    card = model_card(model, report)
    assert "Model selection (leave-one-offering-out)" in card and model.chosen_ in card
    assert "cross-fitting" in card


def test_unknown_model_name_fails_before_features():
    import learnrisk
    from learnrisk.errors import ConfigError

    with pytest.raises(ConfigError, match="'auto'"):
        learnrisk.train(None, "dropout", model="best")
