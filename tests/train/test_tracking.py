"""MLflow: logging, registry, the gate, loading by alias from another process, no ids in artifacts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest

from learnrisk.errors import ModelLoadError
from learnrisk.training import Gate, load_model, log_run

LOOSE = Gate(max_ece=0.2, baseline_margin=-0.05)  # small test sets give noisy calibration error; the gate logic is what's tested
LOADER = """
import sys, numpy as np, pandas as pd, learnrisk
m = learnrisk.load_model(sys.argv[1])
np.save(sys.argv[3], m.predict_proba(pd.read_parquet(sys.argv[2])))
print(m.metadata.get("version"))
"""


def load_in_subprocess(uri, feats, tmp_path, tracking_uri):
    feats.to_parquet(tmp_path / "feats.parquet")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    out = subprocess.run(
        [sys.executable, "-c", LOADER, uri, str(tmp_path / "feats.parquet"), str(tmp_path / "p.npy")],
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return np.load(tmp_path / "p.npy"), out.stdout.strip().splitlines()[-1]


def test_register_promote_and_load_from_another_process(trained, tracking_uri, tmp_path):
    data, model, report = trained
    run = log_run(model, report, data=data, tracking_uri=tracking_uri, register="dropout-test", promote=True, gate=LOOSE)
    assert run.gate.passed, str(run.gate)
    assert run.promoted and run.version == "1"
    p, version = load_in_subprocess("models:/dropout-test@champion", report.test_features, tmp_path, tracking_uri)
    assert version == "1"
    assert np.array_equal(p, model.predict_proba(report.test_features))
    # the pyfunc flavour returns probabilities too
    pyfunc = mlflow.pyfunc.load_model("models:/dropout-test@champion")
    got = np.asarray(pyfunc.predict(report.test_features[model.source_columns_].head(50)))
    assert np.allclose(got, model.predict_proba(report.test_features.head(50)))
    # metrics per week, with step = week
    client = mlflow.tracking.MlflowClient()
    hist = client.get_metric_history(run.run_id, "roc_auc")
    assert sorted(m.step for m in hist) == list(range(1, 9))
    names = {f.path for f in client.list_artifacts(run.run_id)} | {f.path for f in client.list_artifacts(run.run_id, "plots")}
    assert {"model_card.md", "evaluation.csv", "plots/early_warning_curve.png", "plots/reliability_diagram.png"} <= names


def test_failing_gate_does_not_move_alias(trained, tracking_uri):
    data, model, report = trained
    first = log_run(model, report, tracking_uri=tracking_uri, register="gate-test", promote=True, gate=LOOSE, plots=False)
    assert first.promoted
    second = log_run(model, report, tracking_uri=tracking_uri, register="gate-test", promote=True, gate=Gate(max_ece=0.0), plots=False)
    assert not second.promoted and not second.gate.passed
    assert any("calibration error" in r and "above" in r for r in second.gate.reasons)
    mv = mlflow.tracking.MlflowClient().get_model_version_by_alias("gate-test", "champion")
    assert str(mv.version) == first.version == "1"


def test_no_learner_id_in_any_artifact(trained, tracking_uri, tmp_path):
    data, model, report = trained
    run = log_run(model, report, data=data, tracking_uri=tracking_uri, register="ids-test")
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.run_id, dst_path=str(tmp_path / "a")))
    blob = b"".join(p.read_bytes() for p in local.rglob("*") if p.is_file())
    model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=run.model_uri, dst_path=str(tmp_path / "m")))
    blob += b"".join(p.read_bytes() for p in model_dir.rglob("*") if p.is_file())
    ids = set(report.predictions["learner_id"]) | set(data.learners["learner_id"].head(500))
    leaked = [i for i in ids if i.encode() in blob]
    assert not leaked, leaked[:5]
    example = json.loads((model_dir / "input_example.json").read_text())
    assert "learner_id" not in json.dumps(example)


def test_load_model_errors(tracking_uri, tmp_path):
    with pytest.raises(ModelLoadError, match="no model at"):
        load_model(tmp_path / "nothing")
    with pytest.raises(ModelLoadError, match="cannot load models:/nope@champion"):
        load_model("models:/nope@champion", tracking_uri=tracking_uri)
