import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

import learnrisk
from learnrisk.errors import LearnriskError
from learnrisk.training import RiskModel, temporal_split


def courses(rows, days=100):
    return pd.DataFrame(
        [
            {"course_id": c, "course_code": c.split("-")[0], "start": pd.Timestamp(s, tz="UTC"),
             "end": pd.Timestamp(s, tz="UTC") + pd.Timedelta(days=days)}
            for c, s in rows
        ]
    )


def test_temporal_split_latest_offering_per_code():
    c = courses([("A-1", "2013-02-01"), ("A-2", "2013-10-01"), ("A-3", "2014-02-01"), ("B-1", "2013-02-01"), ("B-2", "2014-10-01"), ("C-1", "2013-02-01")])
    train, test, notes = temporal_split(c, c["course_id"])
    assert test == ["A-3", "B-2"]
    assert train == ["A-1", "B-1", "C-1", "A-2"]
    assert not set(train) & set(test)
    assert notes == []


def test_temporal_split_notes_training_labels_not_known_at_deployment():
    # A-2 (2013-10-01 + 240 days = 2014-05-29) ends after A-3 starts (2014-02-01)
    c = courses([("A-1", "2013-02-01"), ("A-2", "2013-10-01"), ("A-3", "2014-02-01")], days=240)
    _, test, notes = temporal_split(c, c["course_id"])
    assert test == ["A-3"]
    assert any("A-2" in n and "would not have been known" in n for n in notes)


def test_temporal_split_single_offering_codes_and_named_test():
    c = courses([("AAA-2013J", "2013-10-01"), ("BBB-2013B", "2013-02-01")])
    train, test, _ = temporal_split(c, c["course_id"])
    assert (train, test) == (["BBB-2013B"], ["AAA-2013J"])
    train, test, notes = temporal_split(c, c["course_id"], test_offerings=["BBB-2013B"])
    assert test == ["BBB-2013B"] and any("not purely forward" in n for n in notes)
    with pytest.raises(LearnriskError, match="unknown test offering"):
        temporal_split(c, c["course_id"], test_offerings=["ZZZ"])
    with pytest.raises(LearnriskError, match="still running"):
        temporal_split(c, ["AAA-2013J"], test_offerings=["BBB-2013B"])


def test_temporal_split_test_is_a_deprecated_alias_of_test_offerings():
    c = courses([("AAA-2013J", "2013-10-01"), ("BBB-2013B", "2013-02-01")])
    with pytest.warns(DeprecationWarning, match="test_offerings"):
        old = temporal_split(c, c["course_id"], test=["BBB-2013B"])
    assert old == temporal_split(c, c["course_id"], test_offerings=["BBB-2013B"])
    with pytest.raises(LearnriskError, match="test_offerings only"):
        temporal_split(c, c["course_id"], test_offerings=["BBB-2013B"], test=["BBB-2013B"])


def test_train_never_fits_on_test_offerings(trained):
    data, model, report = trained
    assert set(report.train_offerings).isdisjoint(report.test_offerings)
    assert set(report.predictions["course_id"]) <= set(report.test_offerings)
    starts = data.courses.set_index("course_id")["start"]
    codes = data.courses.set_index("course_id")["course_code"]
    for t in report.test_offerings:  # the test offering is the latest of its code
        same = [c for c in report.train_offerings if codes[c] == codes[t]]
        assert all(starts[c] < starts[t] for c in same)
    assert model.metadata["train_offerings"] == report.train_offerings


def test_report_per_week_with_baselines_and_oracle(trained):
    _, model, report = trained
    s = report.summary
    assert list(s.index) == [*range(1, 9), "all"]
    for col in ("auc", "auc_logistic", "auc_rule", "auc_oracle", "auc_vs_oracle", "ece", "brier", "precision_at_k"):
        assert s[col].notna().all(), col
    assert (s["auc"] > 0.6).all()
    assert s.loc["all", "auc"] > s.loc["all", "auc_rule"]
    assert "EvaluationReport" in repr(report) and "RiskModel" in repr(model)


def test_predict_proba_aligned_and_calibrated(trained):
    data, model, report = trained
    feats = report.test_features
    p = model.predict_proba(feats)
    assert p.shape == (len(feats),) and np.all((p >= 0) & (p <= 1))
    assert np.allclose(p, report.predictions["model"].to_numpy())
    shuffled = feats.sample(frac=1.0, random_state=1)
    assert np.allclose(model.predict_proba(shuffled), p[shuffled.index.to_numpy()])
    assert report.overall()["ece"] < 0.08


def test_save_load_identical(trained, tmp_path):
    _, model, report = trained
    model.save(tmp_path / "m")
    again = RiskModel.load(tmp_path / "m")
    assert np.array_equal(again.predict_proba(report.test_features), model.predict_proba(report.test_features))


def test_logistic_and_any_sklearn_classifier(small_synth):
    data, _ = small_synth
    feats = learnrisk.build_features(data, weeks=[2, 4])
    m1, r1 = learnrisk.train(data, "dropout", weeks=[2, 4], features=feats, model="logistic", baselines=False, fairness=False)
    m2, r2 = learnrisk.train(
        data, "underperformance", weeks=[2, 4], features=feats,
        model=RandomForestClassifier(n_estimators=30, min_samples_leaf=20, random_state=0), baselines=False, fairness=False,
    )
    assert m1.kind_ == "linear" and m2.kind_ == "other"
    assert r1.overall()["roc_auc"] > 0.6 and r2.overall()["roc_auc"] > 0.55


def test_missing_columns_error(trained):
    _, model, report = trained
    with pytest.raises(LearnriskError, match="lacks"):
        model.predict_proba(report.test_features.drop(columns=[model.source_columns_[0]]))
