"""The quality gate: a logistic model can pass, comparisons with a champion, per-offering
checks, the bootstrap interval, and `learnrisk train --promote`'s exit code 3 on a refusal."""

import copy
import math

import mlflow
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import learnrisk
from learnrisk.training import Gate, _tracking, check_gate
from tests.conftest import run_cli


class Scores:
    """A stand-in champion: fixed scores for the report's test rows."""

    def __init__(self, p, version="7"):
        self.p = np.asarray(p, dtype=float)
        self.metadata = {"version": version}

    def predict_proba(self, X):
        assert len(X) == len(self.p)
        return self.p


@pytest.fixture(scope="module")
def logistic(small_synth):
    data, truth = small_synth
    return learnrisk.train(data, "dropout", weeks=range(1, 9), truth=truth, model="logistic")


def checks(result):
    return {c.name: c for c in result.checks}


def test_a_logistic_model_can_pass_and_is_not_compared_with_itself(logistic):
    _, report = logistic
    res = check_gate(report)
    assert res.passed, str(res)
    c = checks(res)
    assert c["logistic"].passed is None and "not a check" in c["logistic"].message
    assert c["rule"].passed and c["calibration"].passed
    assert {f"offering/{o}" for o in report.test_offerings} <= set(c)


def test_the_bootstrap_interval_is_reported(logistic):
    _, report = logistic
    res = check_gate(report)
    rule = checks(res)["rule"]
    assert rule.low < rule.difference < rule.high and rule.high - rule.low < 0.2
    assert math.isclose(rule.value, report.overall()["roc_auc"], abs_tol=1e-9)
    assert math.isclose(rule.reference, report.overall("rule")["roc_auc"], abs_tol=1e-9)
    assert "95% interval [" in rule.message
    assert set(rule.numbers()) == {"value", "reference", "difference", "ci_low", "ci_high"}
    tags = res.tags()
    assert tags["gate"] == "passed" and tags["gate.rule"].startswith("passed: ")
    assert check_gate(report).checks == res.checks  # seeded: the same interval every time


def test_weighted_auc_is_sklearns_with_sample_weights():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300), 1)  # many ties
    w = rng.integers(0, 4, 300).astype(float)
    pairs = _tracking._PairedAUC(y, np.arange(300))
    pairs.add("p", p)
    assert math.isclose(pairs.auc("p"), roc_auc_score(y, p))
    assert math.isclose(pairs.auc("p", w), roc_auc_score(y, p, sample_weight=w))


def test_a_worse_champion_passes_a_much_better_one_refuses(logistic):
    _, report = logistic
    preds = report.predictions
    worse = check_gate(report, champion=Scores(preds["rule"]))
    assert worse.passed, str(worse)
    assert checks(worse)["champion"].passed and checks(worse)["champion"].difference > 0
    better = check_gate(report, champion=Scores(preds["oracle"]))  # a champion that knows the truth
    c = checks(better)["champion"]
    assert not better.passed and c.passed is False
    assert c.high < 0 and "significantly worse" in c.message and "version 7" in c.message
    assert "champion" in better.why_not()
    same = check_gate(report, champion=Scores(preds["model"]))  # retraining the champion is no loss
    assert same.passed and checks(same)["champion"].difference == 0


def test_an_offering_much_worse_than_its_baseline_refuses(logistic):
    _, report = logistic
    bad = copy.copy(report)
    preds = report.predictions.copy()
    first = report.test_offerings[0]
    rows = preds["course_id"] == first
    preds.loc[rows, "model"] = 1 - preds.loc[rows, "model"]  # the ranking reversed in one offering
    bad.predictions = preds
    res = check_gate(bad)
    c = checks(res)
    assert not res.passed and c[f"offering/{first}"].passed is False
    assert c[f"offering/{first}"].difference < -Gate().max_offering_drop
    assert all(c[f"offering/{o}"].passed for o in report.test_offerings[1:])


def test_a_model_significantly_worse_than_logistic_refuses(logistic):
    _, report = logistic
    weak = copy.copy(report)
    weak.model = copy.copy(report.model)
    weak.model.kind_, weak.model.chosen_ = "tree", "lgbm-reg-50"  # pretend it is another model, scored like the rule
    preds = report.predictions.copy()
    preds["model"] = preds["rule"] + 1e-6 * preds["logistic"]
    weak.predictions = preds
    c = checks(check_gate(weak))
    assert c["logistic"].passed is False and c["logistic"].high < 0


# ---------------------------------------------------------------------------- the command
def train_args(folder, name):
    return ["train", "--data", folder, "--weeks", "1-4", "--model", "logistic", "--register", name, "--promote"]


def test_a_refused_promotion_exits_3_and_still_registers(folder, tracking_uri, capsys, monkeypatch):
    real = _tracking.check_gate
    monkeypatch.setattr(_tracking, "check_gate", lambda report, gate, champion: real(report, Gate(max_ece=0.0), champion))
    code, out, err = run_cli(capsys, *train_args(folder, "gate-cli"))
    assert code == 3, err[-2000:]
    assert "registered gate-cli version 1" in out and "FAIL calibration" in out
    assert "not promoted: the quality gate failed (calibration:" in out and "exit code 3" in out
    client = mlflow.tracking.MlflowClient(tracking_uri=tracking_uri)
    assert client.get_model_version("gate-cli", "1").tags["gate"] == "failed"
    assert "champion" not in client.get_registered_model("gate-cli").aliases


def test_a_passed_promotion_exits_0_and_promote_needs_register(folder, tracking_uri, capsys):
    code, out, err = run_cli(capsys, *train_args(folder, "gate-cli-ok"))
    assert code == 0, out[-2000:] + err[-2000:]
    assert "promoted: gate-cli-ok@champion -> version 1" in out
    code, out, err = run_cli(capsys, "train", "--data", folder, "--promote", "--no-mlflow")
    assert code == 2 and "--promote needs --register" in err


def test_a_linear_model_other_than_the_baseline_is_checked_against_it(logistic):
    """auto's regularized logistic-reg is not the baseline: it is compared (non-inferiority)."""
    _, report = logistic
    other = copy.copy(report)
    other.model = copy.copy(report.model)
    other.model.chosen_ = "logistic-reg"
    c = checks(check_gate(other))
    assert c["logistic"].passed is not None  # a check, not a line of information
    assert c["logistic"].passed == (c["logistic"].low >= -Gate().max_auc_loss)
    assert checks(check_gate(report))["logistic"].passed is None  # the baseline itself: information
