"""Calibration per course code, and ECE reported per test offering."""

import numpy as np
import pandas as pd

from learnrisk.metrics import expected_calibration_error
from learnrisk.training import RiskModel, calibration_by_offering


def two_codes(seed, offerings=("AAA-1", "AAA-2", "BBB-1", "BBB-2"), n_per=1500):
    """One feature with the same effect everywhere; the codes' base rates differ (the offset is
    not a feature), so one pooled calibrator is off in opposite directions for the two codes."""
    rng = np.random.default_rng(seed)
    n = n_per * len(offerings)
    course = np.repeat(offerings, n_per)
    x = rng.normal(size=n)
    offset = np.where(np.char.startswith(course.astype(str), "AAA"), -2.2, 0.3)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x + offset)))).astype(float)
    f = pd.DataFrame({"learner_id": [f"{seed}-{i}" for i in range(n)], "course_id": course, "week": 1, "x": x})
    return f, y


def per_code_ece(model, f, y):
    p = model.predict_proba(f)
    code = f["course_id"].str.split("-").str[0]
    return {c: expected_calibration_error(y[code == c], p[code == c]) for c in sorted(code.unique())}


def test_a_calibrator_per_course_code_holds_per_code():
    f, y = two_codes(0)
    test, y_test = two_codes(1, offerings=("AAA-3", "BBB-3"))
    pooled = RiskModel("logistic-reg", columns=["x"]).fit(f, y, calibrate_by=None)
    by_code = RiskModel("logistic-reg", columns=["x"]).fit(f, y, calibrate_by="course_code")
    assert pooled.calibrators_ == {} and sorted(by_code.calibrators_) == ["AAA", "BBB"]
    e_pooled, e_code = per_code_ece(pooled, test, y_test), per_code_ece(by_code, test, y_test)
    assert max(e_pooled.values()) > 0.08  # the pooled calibrator misses each code's base rate
    assert max(e_code.values()) < 0.03
    # same ranking inside a code: calibration is monotone per code
    assert np.corrcoef(by_code.decision_function(test), pooled.decision_function(test))[0, 1] > 0.999


def test_auto_calibrates_per_code_and_unseen_codes_use_the_pooled_calibrator():
    f, y = two_codes(0)
    m = RiskModel("lgbm-reg-50", columns=["x"]).fit(f, y)  # calibrate_by="auto": per code for candidates
    assert sorted(m.calibrators_) == ["AAA", "BBB"]
    unseen = f.head(50).assign(course_id="ZZZ-1")
    raw = m.decision_function(unseen)
    assert np.allclose(m.predict_proba(unseen), m.calibrator_.transform(raw))
    seen = f.head(50)
    assert np.allclose(m.predict_proba(seen), m.calibrators_["AAA"].transform(m.decision_function(seen)))
    assert np.allclose(m.calibrate_raw(raw, "AAA-9"), m.calibrators_["AAA"].transform(raw))
    assert np.allclose(m.calibrate_raw(raw), m.calibrator_.transform(raw))


def test_small_codes_share_the_pooled_calibrator():
    f, y = two_codes(0, offerings=("AAA-1", "BBB-1"), n_per=600)  # under 1,000 rows per code
    m = RiskModel("logistic-reg", columns=["x"]).fit(f, y, calibrate_by="course_code")
    assert m.calibrators_ == {}


def test_explicit_lightgbm_keeps_one_pooled_calibrator():
    f, y = two_codes(0)
    m = RiskModel("lightgbm", columns=["x"]).fit(f, y)
    assert m.calibrators_ == {} and m.n_train_rows_ < len(y)  # the 30 % hold-out, as before


def test_report_has_ece_per_offering_and_the_worst(trained_auto):
    _, model, report = trained_auto
    table = report.calibration_by_offering
    assert sorted(table["course_id"]) == sorted(report.test_offerings)
    assert {"n", "base_rate", "mean_risk", "ece", "brier"} <= set(table.columns)
    o = report.overall()
    assert o["ece_max_offering"] == table["ece"].max()
    assert o["ece_max_offering"] >= o["ece"] - 1e-12  # a pooled ECE never exceeds the worst offering's
    direct = calibration_by_offering(report.predictions, "model")
    pd.testing.assert_frame_equal(direct, table)
    assert sorted(model.calibrators_) == sorted(set(model.course_codes_.values()))


def test_test_offerings_use_their_code_calibrator_whatever_their_id(trained_auto):
    """The course-code map covers every offering of the data (test ones too), and scoring can add
    offerings the model never saw, so no id convention is needed to find an offering's code."""
    data, model, _ = trained_auto
    codes = dict(zip(data.courses["course_id"], data.courses["course_code"]))
    assert all(model.course_codes_.get(c) == code for c, code in codes.items())
    if model.calibrators_:
        code = next(iter(model.calibrators_))
        raw = np.linspace(-3, 3, 7)
        model.add_course_codes({"spring-cohort": code})  # an id that does not follow CODE-PRES
        np.testing.assert_allclose(model.calibrate_raw(raw, "spring-cohort"), model.calibrators_[code].transform(raw))
