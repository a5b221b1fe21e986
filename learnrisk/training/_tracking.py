"""MLflow tracking, the model registry, the quality gate and ``load_model``.

The tracking URI comes from ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else the embedded
default ``sqlite:///mlflow.db`` in the working folder with artifacts in ``mlartifacts/`` beside
it (set explicitly: MLflow 3 refuses a plain ``./mlruns`` file store).

What a run holds: params, the data's digest and sizes, metrics per week (``step`` = week),
plots, the evaluation table (aggregates only), the model card, and a pyfunc model whose
``predict`` takes the features frame and returns calibrated probabilities. No learner id and no
real learner row is ever logged: the input example is made by the synthetic generator.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import LearnriskError, ModelLoadError
from ._model import RiskModel

DEFAULT_URI = "sqlite:///mlflow.db"
CHAMPION = "champion"
PIP_REQUIREMENTS = ["pandas", "numpy", "scikit-learn", "lightgbm", "pyarrow"]


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The tracking URI to use: the argument, ``MLFLOW_TRACKING_URI``, or ``sqlite:///mlflow.db``.

    A relative SQLite path is made absolute so that another process in another folder finds it.
    """
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        uri = "sqlite:///" + str(Path(uri.removeprefix("sqlite:///")).resolve())
    if "://" not in uri and not uri.startswith("databricks"):
        raise LearnriskError(
            f"tracking URI {uri!r} is a plain path; MLflow 3 needs a database or server: "
            "use sqlite:///PATH/mlflow.db or http://HOST:PORT"
        )
    return uri


def _configure(uri: str) -> None:
    import mlflow

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if uri.startswith(("http://", "https://")):
        # fail fast on a server that does not answer, unless the user asked otherwise
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def _experiment(name: str, uri: str) -> str:
    import mlflow

    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = None
    if uri.startswith("sqlite:///"):
        location = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts" / name).resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


# ---------------------------------------------------------------------------- pyfunc
def synthetic_input_example(model: RiskModel, n: int = 5) -> pd.DataFrame:
    """Model input rows made by the synthetic generator (never a real learner's row)."""
    from .. import synthetic
    from ..features import build_features

    week = int(min(model.metadata.get("weeks", [4]) or [4]))
    data = synthetic.generate(n_learners=80, n_courses=1, offerings=1, seed=12345)
    feats = build_features(data, weeks=[max(week, 1)], include_sensitive=bool(model.metadata.get("include_sensitive")))
    cols = list(model.source_columns_)
    example = feats.reindex(columns=cols).head(n).reset_index(drop=True)
    for c in cols:  # a column the synthetic data lacks gets the training median
        if example[c].isna().all() and c in model.reference_:
            edges = model.reference_[c]["edges"]
            example[c] = edges[len(edges) // 2] if edges else 0.0
    return example


# ---------------------------------------------------------------------------- gate
@dataclass(frozen=True)
class Gate:
    """The quality gate a model must pass to become ``champion``.

    - beats both baselines in overall ROC AUC on the test offerings;
    - expected calibration error on the test offerings at most ``max_ece``;
    - ROC AUC at least the current champion's on the same test rows (``min_gain`` above it);
    - a fairness warning (not a failure) for every flag of the audit: an ABROCA or a
      selection-rate gap past its bound beyond chance (the ABROCA bound is ``train(...,
      abroca_bound=0.05)``, ``--abroca-bound``).
    """

    max_ece: float = 0.05
    min_gain: float = 0.0
    baseline_margin: float = 0.0  # the model's AUC must exceed each baseline's by more than this


@dataclass
class GateResult:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = "gate passed" if self.passed else "gate failed"
        lines = [head] + [f"  - {r}" for r in self.reasons] + [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)


def check_gate(report, gate: Gate = Gate(), champion: RiskModel | None = None) -> GateResult:
    """Apply the quality gate to an evaluation report; say why for every check."""
    res = GateResult(True)
    o = report.overall()
    auc, ece = o.get("roc_auc", math.nan), o.get("ece", math.nan)
    for base in ("logistic", "rule"):
        b = report.overall(base).get("roc_auc", math.nan)
        if math.isnan(b):
            res.reasons.append(f"no {base} baseline to compare with")
            res.passed = False
        elif not auc > b + gate.baseline_margin:
            res.passed = False
            res.reasons.append(f"ROC AUC {auc:.4f} does not beat the {base} baseline ({b:.4f})")
        else:
            res.reasons.append(f"ROC AUC {auc:.4f} beats the {base} baseline ({b:.4f})")
    if not ece <= gate.max_ece:
        res.passed = False
        res.reasons.append(f"calibration error {ece:.4f} is above the bound {gate.max_ece}")
    else:
        res.reasons.append(f"calibration error {ece:.4f} is within the bound {gate.max_ece}")
    if champion is not None:
        try:
            p = champion.predict_proba(report.test_features)
            from sklearn.metrics import roc_auc_score

            champ = float(roc_auc_score(report.predictions["y"], p))
        except Exception as exc:  # a champion on other features cannot be compared row for row
            champ = float(champion.metadata.get("test_metrics", {}).get("roc_auc") or math.nan)
            res.warnings.append(f"champion could not score these test rows ({exc}); compared with its logged AUC")
        if not math.isnan(champ) and not auc > champ + gate.min_gain - 1e-12:
            res.passed = False
            res.reasons.append(f"ROC AUC {auc:.4f} is not better than the current champion's {champ:.4f}")
        elif not math.isnan(champ):
            res.reasons.append(f"ROC AUC {auc:.4f} is at least the current champion's {champ:.4f}")
    if report.fairness is not None:
        # the audit flags a gap only when it is past its bound *and* beyond chance at these
        # group sizes (permutation test); gaps within chance stay in the audit's own warnings
        res.warnings += [f"fairness: {flag}" for flag in report.fairness.flags]
    return res


# ---------------------------------------------------------------------------- logging
@dataclass
class TrackedRun:
    run_id: str
    model_uri: str
    tracking_uri: str
    experiment: str
    name: str | None = None
    version: str | None = None
    promoted: bool = False
    gate: GateResult | None = None


def log_run(
    model: RiskModel,
    report,
    *,
    data=None,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    register: str | None = None,
    promote: bool = False,
    gate: Gate = Gate(),
    card: str | None = None,
    plots: bool = True,
) -> TrackedRun:
    """Log a trained model and its evaluation to MLflow; optionally register and promote it.

    ``promote=True`` moves the alias ``champion`` to the new version only when the quality
    gate passes; the returned ``gate`` says why either way.
    """
    import matplotlib.pyplot as plt
    import mlflow
    from mlflow.models import infer_signature

    from ._card import model_card

    uri = resolve_tracking_uri(tracking_uri)
    _configure(uri)
    experiment = experiment or f"learnrisk-{model.target}"
    try:
        exp_id = _experiment(experiment, uri)
    except Exception as exc:
        raise ModelLoadError(f"cannot reach the tracking store at {uri}: {str(exc).splitlines()[0][:200]}") from exc
    md = model.metadata
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.set_tags({"learnrisk.target": model.target, "learnrisk.kind": model.kind_})
        mlflow.log_params(
            {
                "target": model.target,
                "model": md.get("model"),
                "weeks": f"{min(md['weeks'])}-{max(md['weeks'])}" if md.get("weeks") else None,
                "train_offerings": ",".join(report.train_offerings)[:500],
                "test_offerings": ",".join(report.test_offerings)[:500],
                "calibration": model.calibrator_.method_,
                "include_sensitive": md.get("include_sensitive"),
                "n_features": len(model.feature_names_),
                "top_k": report.top_k,
                **_estimator_params(model),
            }
        )
        sizes = {"n_train_rows": md.get("n_train_rows"), "n_test_rows": md.get("n_test_rows")}
        digest = md.get("data_digest") or (data.digest() if data is not None else None)  # train() hashed it
        if digest:
            mlflow.set_tag("learnrisk.data_digest", digest)
        if data is not None:
            sizes.update({f"n_{t}": len(f) for t, f in data.tables().items()})
        mlflow.log_params(sizes)
        _log_metrics(report)
        if report.fairness is not None:  # metrics, audit tables and per-group ROC plots
            report.fairness.log_to_mlflow(run.info.run_id)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            table = report.metrics.copy()
            table["week"] = table["week"].astype(str)
            table.to_csv(tmp / "evaluation.csv", index=False)
            mlflow.log_artifact(str(tmp / "evaluation.csv"))
            card_text = card or model_card(model, report)
            mlflow.log_text(card_text, "model_card.md")
            if plots:
                for name, make in _plots(report):
                    try:
                        fig = make()
                    except Exception as exc:  # a plot must never lose a run
                        mlflow.set_tag(f"learnrisk.plot_error.{name}", str(exc)[:250])
                        continue
                    mlflow.log_figure(fig, f"plots/{name}.png")
                    plt.close(fig)
            model.save(tmp / "risk_model")
            example = synthetic_input_example(model)
            with warnings.catch_warnings():
                # "integer columns cannot represent missing values": week is always present
                warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
                signature = infer_signature(example, model.predict_proba(example))
            from ._pyfunc import RiskModelPyfunc

            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=RiskModelPyfunc(),
                artifacts={"risk_model": str(tmp / "risk_model")},
                signature=signature,
                input_example=example,
                pip_requirements=PIP_REQUIREMENTS,
            )
        tracked = TrackedRun(run.info.run_id, info.model_uri, uri, experiment)
        if register:
            tracked = _register(tracked, register, model, report, gate, promote)
    return tracked


def _estimator_params(model: RiskModel) -> dict[str, Any]:
    est = model.estimator_
    if model.kind_ == "tree":
        p = est.get_params()
        keep = ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "subsample", "colsample_bytree")
        out = {f"lgbm_{k}": p[k] for k in keep}
        out["lgbm_best_iteration"] = getattr(est, "best_iteration_", None)
        return out
    return {}


def _log_metrics(report) -> None:
    import mlflow

    m = report.metrics
    metrics = ("roc_auc", "pr_auc", "brier", "ece", "precision_top10", "recall_top10", "precision_at_k", "recall_at_k")
    batch: list = []
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    for _, row in m.iterrows():
        prefix = "" if row["model"] == "model" else f"{row['model']}_"
        for name in metrics:
            v = row[name]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if row["week"] == "all":
                batch.append(Metric(f"test_{prefix}{name}", float(v), now, 0))
            else:
                batch.append(Metric(f"{prefix}{name}", float(v), now, int(row["week"])))
    if "oracle" in set(m["model"]):
        ratio = report.summary["auc_vs_oracle"]
        for w, v in ratio.items():
            if pd.notna(v):
                batch.append(Metric("auc_vs_oracle" if w != "all" else "test_auc_vs_oracle", float(v), now, 0 if w == "all" else int(w)))
    client = mlflow.tracking.MlflowClient()
    run_id = mlflow.active_run().info.run_id
    for i in range(0, len(batch), 900):
        client.log_batch(run_id, metrics=batch[i : i + 900])


def _plots(report):
    out = [
        ("early_warning_curve", report.plot_early_warning),
        ("reliability_diagram", report.plot_reliability),
        ("feature_importance", report.plot_importance),
        ("shap_summary", report.plot_shap_summary),
    ]
    return out


def _register(tracked: TrackedRun, name: str, model: RiskModel, report, gate: Gate, promote: bool) -> TrackedRun:
    import mlflow

    client = mlflow.tracking.MlflowClient()
    mv = mlflow.register_model(tracked.model_uri, name)
    tracked.name, tracked.version = name, str(mv.version)
    champion = None
    try:
        champion = load_model(f"models:/{name}@{CHAMPION}", tracking_uri=tracked.tracking_uri)
    except ModelLoadError:
        champion = None
    result = check_gate(report, gate, champion)
    tracked.gate = result
    client.set_model_version_tag(name, mv.version, "gate", "passed" if result.passed else "failed")
    client.set_model_version_tag(name, mv.version, "gate_reasons", "; ".join(result.reasons)[:4000])
    if result.warnings:
        client.set_model_version_tag(name, mv.version, "gate_warnings", "; ".join(result.warnings)[:4000])
    if promote and result.passed:
        client.set_registered_model_alias(name, CHAMPION, mv.version)
        tracked.promoted = True
    return tracked


# ---------------------------------------------------------------------------- loading
def load_model(uri: str | os.PathLike, *, tracking_uri: str | None = None) -> RiskModel:
    """Load a RiskModel: ``models:/NAME@champion``, ``models:/NAME/3``, ``runs:/ID/model``, or a
    folder saved with :meth:`RiskModel.save`.

    Raises ModelLoadError with one line when the model is missing or the store does not answer.

    Examples
    --------
    >>> model = learnrisk.load_model("models:/learnrisk-dropout@champion")   # doctest: +SKIP
    """
    text = str(uri)
    if "://" not in text and not text.startswith(("models:/", "runs:/")):
        path = Path(text)
        if not path.exists():
            raise ModelLoadError(f"no model at {path}: give a saved RiskModel folder or an MLflow URI like models:/NAME@champion")
        return RiskModel.load(path)
    import mlflow

    turi = resolve_tracking_uri(tracking_uri)
    _configure(turi)
    try:
        with tempfile.TemporaryDirectory(prefix="learnrisk-model-") as tmp:  # unpickled into memory
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=text, dst_path=tmp))
            model = RiskModel.load(local / "artifacts" / "risk_model")
    except ModelLoadError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load {text} from {turi}: {first}") from exc
    model.metadata.update(_registry_facts(text))
    return model


def _registry_facts(uri: str) -> dict[str, Any]:
    import mlflow

    facts: dict[str, Any] = {"uri": uri}
    if not uri.startswith("models:/"):
        return facts
    client = mlflow.tracking.MlflowClient()
    ref = uri.removeprefix("models:/")
    try:
        if "@" in ref:
            name, alias = ref.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        else:
            name, version = ref.split("/", 1)
            mv = client.get_model_version(name, version)
        facts.update({"name": mv.name, "version": str(mv.version), "run_id": mv.run_id})
    except Exception:  # facts are a courtesy; the model itself loaded
        pass
    return facts
