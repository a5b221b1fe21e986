"""Issue 12, case 10: ``learnrisk train --include-sensitive`` with MLflow failed ("Input example
does not match the model signature") and left a FAILED run. Also: the pyfunc sees ``course_id``
(per-course-code calibrators) and a failure while logging ends its run with one line."""

import os
import subprocess
import sys

import mlflow
import numpy as np
import pytest

import learnrisk
from learnrisk.errors import LearnriskError
from learnrisk.training import _tracking, log_run


def runs(tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


def test_train_include_sensitive_logs_a_finished_run(folder, tmp_path, tracking_uri):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": tracking_uri}
    out = tmp_path / "OUT"
    res = subprocess.run(
        [sys.executable, "-m", "learnrisk.cli", "train", "--data", str(folder), "--weeks", "1-4", "--model", "lightgbm",
         "--include-sensitive", "--save", str(out)],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Input example does not match" not in res.stderr and "MLflow run" in res.stdout
    (run,) = runs(tracking_uri)
    assert run.info.status == "FINISHED"
    # the logged pyfunc reads sensitive attributes given as strings, and equals the saved model
    model = learnrisk.RiskModel.load(out)
    assert {"gender", "region"} <= set(model.categories_)
    example = _tracking.synthetic_input_example(model)
    pyfunc = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert np.allclose(np.asarray(pyfunc.predict(example)), model.predict_proba(example))
    loaded = learnrisk.load_model(f"runs:/{run.info.run_id}/model", tracking_uri=tracking_uri)
    assert np.array_equal(loaded.predict_proba(example), model.predict_proba(example))


def test_input_example_matches_the_model_columns(trained):
    _, model, _ = trained
    example = _tracking.synthetic_input_example(model)
    assert list(example.columns) == [*model.source_columns_, "course_id"]
    sig = _tracking.model_signature(model, example)
    required = {c.name: c.required for c in sig.inputs.inputs}
    assert required.pop("course_id") is False and all(required.values())


def test_pyfunc_uses_the_course_code_calibrators(trained_auto, tracking_uri):
    data, model, report = trained_auto
    assert model.calibrators_, "the auto fixture should have per-code calibrators"
    run = log_run(model, report, tracking_uri=tracking_uri, plots=False)
    frame = report.test_features[[*model.source_columns_, "course_id"]].copy()
    frame["course_id"] = frame["course_id"].astype(str)
    pyfunc = mlflow.pyfunc.load_model(run.model_uri)
    got = np.asarray(pyfunc.predict(frame))
    assert np.allclose(got, model.predict_proba(report.test_features), rtol=0, atol=1e-12)
    pooled = model.calibrator_.transform(model.decision_function(frame))
    assert not np.allclose(got, pooled)  # the per-code calibrators were used, not the pooled one


def test_a_failure_while_logging_ends_the_run_with_one_line(trained, tracking_uri, monkeypatch):
    _, model, report = trained

    def broken(*args, **kwargs):
        raise ValueError("Input example does not match the model signature.\nmore detail")

    monkeypatch.setattr(_tracking, "model_signature", broken)
    with pytest.raises(LearnriskError, match="ended as FAILED: Input example does not match the model signature") as err:
        log_run(model, report, tracking_uri=tracking_uri, plots=False)
    assert "\n" not in str(err.value)
    (run,) = runs(tracking_uri)
    assert run.info.status == "FAILED" and run.data.tags["learnrisk.error"].startswith("Input example does not match")
    assert run.info.run_id in str(err.value)
