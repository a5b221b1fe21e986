"""Issue 12, case 11: model files that load without pickle.

"Loading a model unpickles it: a crafted ``model.pkl`` (or a ``models:/`` artifact) runs code in
the weekly job before any check." A saved model is now ``model.json`` (+ LightGBM's booster
text); a pickle is refused unless the caller trusts it explicitly.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression

import learnrisk
from learnrisk.errors import ModelLoadError
from learnrisk.training import EngagementRule, RiskModel, load_model
from learnrisk.training._contributions import input_contributions
from learnrisk.training._persist import IsotonicMap


class _Crafted:
    """Unpickling this object creates the file ``marker`` (stands for any code an attacker runs)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def crafted_folder(tmp_path: Path) -> tuple[Path, Path]:
    folder, marker = tmp_path / "crafted-model", tmp_path / "pwned"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps(_Crafted(marker)))
    return folder, marker


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


# ---------------------------------------------------------------------- round trips
@pytest.fixture(scope="module")
def frame(small_synth):
    data, _ = small_synth
    feats = learnrisk.build_features(data, weeks=[2, 5, 8], include_sensitive=True)
    y = learnrisk.targets.make_labels(data, feats, "dropout")
    ok = y.notna().to_numpy()
    return feats[ok].reset_index(drop=True), y[ok].to_numpy()


@pytest.mark.parametrize("estimator", ["lightgbm", "logistic", "rule"])
def test_save_load_gives_identical_numbers(frame, tmp_path, estimator):
    feats, y = frame
    est = EngagementRule("clicks_total") if estimator == "rule" else estimator
    # (the rule's raw scores are counts, far beyond exp's range in the isotonic tie-break: sigmoid)
    calibration = "sigmoid" if estimator == "rule" else "isotonic"
    model = RiskModel(est, target="dropout", calibration=calibration).fit(feats, y, calibrate_by="course_code")
    model.metadata["note"] = "kept"
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    again = RiskModel.load(tmp_path / "m")
    assert same(again.decision_function(feats), model.decision_function(feats))
    assert same(again.predict_proba(feats), model.predict_proba(feats))
    assert again.kind_ == model.kind_ and again.feature_names_ == model.feature_names_
    assert again.categories_ == model.categories_ and again.reference_by_week_ == model.reference_by_week_
    assert again.metadata["note"] == "kept" and set(again.calibrators_) == set(model.calibrators_)
    assert again.get_params()["estimator"].__class__ is model.get_params()["estimator"].__class__
    if model.kind_ in ("tree", "linear"):
        X = model.prepare(feats)
        (a, base_a), (b, base_b) = input_contributions(model, X), input_contributions(again, X)
        assert same(a.to_numpy(), b.to_numpy()) and base_a == base_b
    if model.kind_ == "tree":  # raw scores and TreeSHAP of the booster itself
        assert same(again.estimator_.predict(X, raw_score=True), model.estimator_.predict(X, raw_score=True))
        assert same(again.estimator_.predict(X, pred_contrib=True), model.estimator_.predict(X, pred_contrib=True))


def test_auto_model_round_trip(trained_auto, tmp_path):
    _, model, report = trained_auto
    model.save(tmp_path / "auto")
    again = RiskModel.load(tmp_path / "auto")
    feats = report.test_features
    assert same(again.predict_proba(feats), model.predict_proba(feats))
    assert again.chosen_ == model.chosen_ and again.selection_note_ == model.selection_note_
    if model.selection_ is not None:
        pd.testing.assert_frame_equal(again.selection_, model.selection_)


def test_isotonic_map_predicts_like_isotonic_regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-2 * x))).astype(float)
    iso = IsotonicRegression(y_min=0.005, y_max=0.995, out_of_bounds="clip").fit(x, y)
    mapped = IsotonicMap(iso.X_thresholds_, iso.y_thresholds_, iso.X_min_, iso.X_max_)
    t = np.concatenate([rng.normal(scale=3, size=5000), iso.X_thresholds_, [x.min(), x.max(), -50.0, 50.0]])
    assert same(mapped.predict(t), iso.predict(t))


# ---------------------------------------------------------------------- case 11: a crafted pickle
def test_crafted_pickle_folder_is_refused_and_runs_nothing(tmp_path):
    folder, marker = crafted_folder(tmp_path)
    for load in (lambda: RiskModel.load(folder), lambda: load_model(folder), lambda: RiskModel.load(folder / "model.pkl")):
        with pytest.raises(ModelLoadError, match="cannot read the model") as err:
            load()
        assert "pickle" in str(err.value) and "trust_pickle=True" in str(err.value) and "--trust-pickle" in str(err.value)
    assert not marker.exists()


def test_trusted_pickle_loads(frame, tmp_path):
    feats, y = frame
    model = RiskModel("logistic", target="dropout").fit(feats, y)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "model.pkl").write_bytes(pickle.dumps(model))
    again = RiskModel.load(tmp_path / "old", trust_pickle=True)
    assert same(again.predict_proba(feats), model.predict_proba(feats))
    again.save(tmp_path / "new")  # re-saving converts it
    assert same(RiskModel.load(tmp_path / "new").predict_proba(feats), model.predict_proba(feats))


def test_score_command_refuses_a_crafted_pickle(folder, tmp_path):
    """``learnrisk score --model <crafted folder>``: exit 2, one line naming --trust-pickle,
    OUT unchanged, the pickle's code never ran."""
    crafted, marker = crafted_folder(tmp_path)
    out = tmp_path / "OUT"
    (out / "2014-11-24").mkdir(parents=True)
    (out / "2014-11-24" / "risk_list.csv").write_text("learner_id,risk\n1,0.5\n")
    before = snapshot(out)
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    res = subprocess.run(
        [sys.executable, "-m", "learnrisk.cli", "score", "--data", str(folder), "--as-of", "2014-12-01",
         "--model", str(crafted), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert res.returncode == 2, res.stderr[-2000:]
    assert "cannot read the model" in res.stderr and "--trust-pickle" in res.stderr
    assert "Traceback" not in res.stderr and res.stderr.strip().count("\n") == 0
    assert snapshot(out) == before
    assert not marker.exists()


def test_models_uri_whose_artifact_is_a_pickle_is_refused(tmp_path, tracking_uri):
    crafted, marker = crafted_folder(tmp_path)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    # an experiment of this store (the process's active experiment may belong to another test's store)
    experiment = mlflow.create_experiment("crafted", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifacts(str(crafted), artifact_path="model/artifacts/risk_model")
    with pytest.raises(ModelLoadError, match="cannot read the model") as err:
        load_model(f"runs:/{run.info.run_id}/model", tracking_uri=tracking_uri)
    assert "--trust-pickle" in str(err.value)
    client = mlflow.tracking.MlflowClient()
    client.create_registered_model("crafted")
    mv = client.create_model_version("crafted", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    client.set_registered_model_alias("crafted", "champion", mv.version)
    with pytest.raises(ModelLoadError, match="cannot read the model"):
        load_model("models:/crafted@champion", tracking_uri=tracking_uri)
    assert not marker.exists()
