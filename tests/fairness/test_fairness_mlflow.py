"""The audit in MLflow: metrics (pooled and per week), the JSON and markdown, ROC plots."""

from __future__ import annotations

import json

import matplotlib
import mlflow
import pytest
from mlflow.tracking import MlflowClient

from learnrisk.fairness import audit_predictions

from .rows import scored_rows

matplotlib.use("Agg")


def test_log_to_mlflow(tracking_uri, tmp_path):
    mlflow.set_tracking_uri(tracking_uri)
    report = audit_predictions(scored_rows(n=3000, effect="strong", seed=1), groups=["gender"])
    mlflow.set_experiment("fairness-test")
    with mlflow.start_run() as run:
        report.log_to_mlflow()
    client = MlflowClient(tracking_uri)
    metrics = client.get_run(run.info.run_id).data.metrics
    assert metrics["fairness.abroca.gender"] == pytest.approx(report.flagged["gender"])
    assert "fairness.gap.roc_auc.gender" in metrics
    history = client.get_metric_history(run.info.run_id, "fairness.abroca_by_week.gender")
    assert sorted(m.step for m in history) == [1, 2, 3, 4]
    names = {f.path for f in client.list_artifacts(run.info.run_id, "fairness")}
    assert names == {"fairness/audit.json", "fairness/audit.md", "fairness/roc_gender.png"}
    local = client.download_artifacts(run.info.run_id, "fairness/audit.json", str(tmp_path))
    with open(local) as fh:
        assert json.load(fh)["flagged"]["gender"] == pytest.approx(report.flagged["gender"])


def test_log_to_mlflow_needs_a_run(tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    report = audit_predictions(scored_rows(n=300, seed=2), groups=["gender"])
    with pytest.raises(RuntimeError, match="no active MLflow run"):
        report.log_to_mlflow()
