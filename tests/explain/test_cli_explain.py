"""``learnrisk explain``: one learner's explanation from a saved model and a data folder."""

from __future__ import annotations

import json

import pytest

from learnrisk import synthetic
from learnrisk.features import build_features
from learnrisk.targets import make_labels
from learnrisk.training import RiskModel
from tests.conftest import run_cli

AS_OF = "2013-11-20"  # AAA-2013J (October start) is running, AAA-2013B has finished


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = synthetic.generate(n_learners=800, n_courses=1, offerings=2, seed=5, as_of=AS_OF)
    data.to_parquet(root / "data")
    feats = build_features(data, weeks=[2, 4, 6, 8])
    y = make_labels(data, feats, "dropout")
    keep = y.notna().to_numpy()
    model = RiskModel("lightgbm", target="dropout").fit(feats[keep], y[keep])
    assert len(set(model.decision_function(feats))) > 10  # a model that splits, so drivers exist
    model.save(root / "model")
    today = build_features(data, as_of=AS_OF)
    assert len(today) > 0
    # highest risk first: those learners have drivers that raise their risk
    today = today.iloc[(-model.decision_function(today)).argsort(kind="stable")]
    return root, today


def test_explain_json(setup, capsys):
    root, today = setup
    learner = today["learner_id"].iloc[0]
    code, out, err = run_cli(capsys, "explain", "--model", str(root / "model"), "--data", str(root / "data"), "--as-of", AS_OF,
                          "--learner", learner, "--json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 1
    r = records[0]
    assert r["learner_id"] == learner and r["course_id"] == "AAA-2013J"
    assert r["week"] == int(today.loc[today["learner_id"] == learner, "week"].iloc[0])
    assert r["drivers"] and all(d["sentence"] for d in r["drivers"])


def test_explain_text(setup, capsys):
    root, today = setup
    learner = today["learner_id"].iloc[1]
    code, out, err = run_cli(capsys, "explain", "--model", str(root / "model"), "--data", str(root / "data"), "--as-of", AS_OF,
                          "--learner", learner, "--course", "AAA-2013J")
    assert code == 0, err
    assert learner in out and "dropout risk" in out and "Drivers that raise risk" in out
    assert "association, not a causal effect" in " ".join(out.split()) or "No intervention" in out


def test_explain_unknown_learner_is_one_line_and_exit_2(setup, capsys):
    root, _ = setup
    code, out, err = run_cli(capsys, "explain", "--model", str(root / "model"), "--data", str(root / "data"), "--as-of", AS_OF,
                          "--learner", "nobody")
    assert code == 2
    assert err.strip().count("\n") == 0 and "'nobody' has no enrollment" in err


def test_explain_bad_catalog_is_one_line_and_exit_2(setup, capsys, tmp_path):
    root, today = setup
    bad = tmp_path / "bad.yaml"
    bad.write_text("interventions:\n  - id: x\n    title: t\n")
    code, out, err = run_cli(capsys, "explain", "--model", str(root / "model"), "--data", str(root / "data"), "--as-of", AS_OF,
                          "--learner", today["learner_id"].iloc[0], "--interventions", str(bad))
    assert code == 2
    assert "intervention 'x' (entry 1): missing field(s)" in err
