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

import numpy as np
import pandas as pd

from .. import synthetic
from ..errors import LearnriskError, ModelLoadError
from ..features import build_features
from ._card import model_card
from ._model import RiskModel

DEFAULT_URI = "sqlite:///mlflow.db"
CHAMPION = "champion"
COURSE = "course_id"
PYFUNC_CODE = Path(__file__).with_name("_pyfunc.py")  # the pyfunc, logged as a model from code
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
    """Model input rows made by the synthetic generator (never a real learner's row).

    The columns are the model's source columns with the dtypes the signature expects: numbers
    as numbers, category columns (sensitive attributes, with ``include_sensitive``) as plain
    strings taken from the model's own categories (MLflow cannot check a pandas category
    column against a string column), then ``course_id`` (an optional column of the signature:
    the per-course-code calibrators read it).
    """
    week = int(min(model.metadata.get("weeks", [4]) or [4]))
    data = synthetic.generate(n_learners=80, n_courses=1, offerings=1, seed=12345)
    feats = build_features(data, weeks=[max(week, 1)], include_sensitive=bool(model.metadata.get("include_sensitive")))
    cols = list(model.source_columns_)
    example = feats.reindex(columns=cols).head(n).reset_index(drop=True)
    cats = getattr(model, "categories_", {}) or {}
    for c in cols:
        if c in cats:  # a value the model knows, as a plain string
            values = example[c].astype("object")
            known = values.isin(cats[c])
            example[c] = pd.Series(values.where(known, cats[c][0] if cats[c] else "unknown"), dtype=str)
        elif example[c].isna().all() and c in model.reference_:  # a column the synthetic data lacks: the training median
            edges = model.reference_[c]["edges"]
            example[c] = edges[len(edges) // 2] if edges else 0.0
    if COURSE not in example.columns:
        example[COURSE] = pd.Series(feats[COURSE].head(n).astype(str).to_numpy(), dtype=str)
    return example


def model_signature(model: RiskModel, example: pd.DataFrame):
    """The pyfunc signature: the example's columns, ``course_id`` optional; probabilities out."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import ColSpec, Schema

    with warnings.catch_warnings():
        # "integer columns cannot represent missing values": week is always present
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        inferred = infer_signature(example, model.predict_proba(example))
    optional = {COURSE} - set(model.source_columns_)
    inputs = Schema([ColSpec(c.type, c.name, required=c.name not in optional) for c in inferred.inputs.inputs])
    return ModelSignature(inputs=inputs, outputs=inferred.outputs)


# ---------------------------------------------------------------------------- gate
@dataclass(frozen=True)
class Gate:
    """The quality gate a model must pass to become ``champion``.

    Every comparison is made on the same test rows (the test offerings of the report), and the
    pooled ones carry a paired bootstrap interval: learners are resampled with replacement (all
    the weekly rows of a learner go together, since they are not independent) and the AUC
    difference is recomputed on each resample; the interval is the central ``confidence`` share
    of those differences. The checks, in order:

    1. **rule**: the model must beat the one-feature engagement rule: the point estimate of
       AUC(model) - AUC(rule) above ``baseline_margin`` and the lower bound of its interval above
       ``baseline_margin - max_auc_loss`` (a model that only ties with a one-feature rule within
       noise is refused).
    2. **logistic**: only for a model that is not the logistic baseline itself (``model="logistic"``
       is never compared with itself; the line is then information; ``auto``'s regularized
       ``logistic-reg`` is compared like any other model): non-inferiority, refused unless the
       lower bound of the interval of AUC(model) - AUC(logistic) is above
       ``baseline_margin - max_auc_loss`` (the model may lose to a plain logistic regression by
       less than ``max_auc_loss``, 0.02, with 95 % confidence).
    3. **offering/<id>**: no test offering may be much worse than its rule baseline: refused when
       one offering's AUC is below the rule's on that offering by more than
       ``max_offering_drop``.
    4. **calibration**: expected calibration error over the test rows at most ``max_ece``.
    5. **champion** (when there is one): the current champion re-scores the same test rows;
       refused when the new model is significantly worse, i.e. the upper bound of the interval
       of AUC(new) - AUC(champion) below ``min_gain``. A champion that cannot score these rows is
       compared with the AUC it logged (point estimates only, with a warning).

    Fairness: a warning (not a failure) for every flag of the audit: an ABROCA or a selection
    rate gap past its bound beyond chance (the ABROCA bound is ``train(..., abroca_bound=0.05)``,
    ``--abroca-bound``).
    """

    max_ece: float = 0.05
    min_gain: float = 0.0
    baseline_margin: float = 0.0
    max_auc_loss: float = 0.02
    max_offering_drop: float = 0.05
    n_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class GateCheck:
    """One check of the gate with its numbers: ``passed`` is None for a line of information.

    ``value`` is the model's figure, ``reference`` the one it is compared with, ``difference``
    value - reference, and ``low``/``high`` the bootstrap interval of the difference (NaN when
    the check has none).
    """

    name: str
    passed: bool | None
    message: str
    value: float = math.nan
    reference: float = math.nan
    difference: float = math.nan
    low: float = math.nan
    high: float = math.nan

    def numbers(self) -> dict[str, float]:
        out = {"value": self.value, "reference": self.reference, "difference": self.difference, "ci_low": self.low, "ci_high": self.high}
        return {k: float(v) for k, v in out.items() if not math.isnan(v)}


@dataclass
class GateResult:
    """The gate's verdict: every check with its numbers, and the fairness warnings."""

    passed: bool
    checks: list[GateCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """One sentence per check, in order."""
        return [c.message for c in self.checks]

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if c.passed is False]

    def why_not(self) -> str:
        """The failed checks in one line (empty when the gate passed)."""
        return "; ".join(f"{c.name}: {c.message}" for c in self.failures)

    def add(self, check: GateCheck) -> None:
        self.checks.append(check)
        if check.passed is False:
            self.passed = False

    def tags(self) -> dict[str, str]:
        """Model-version tags: ``gate``, ``gate_reasons``, ``gate_warnings`` and one per check."""
        out = {"gate": "passed" if self.passed else "failed", "gate_reasons": "; ".join(self.reasons)[:4000]}
        if self.warnings:
            out["gate_warnings"] = "; ".join(self.warnings)[:4000]
        for c in self.checks:
            verdict = "info" if c.passed is None else "passed" if c.passed else "failed"
            out[f"gate.{c.name}"] = f"{verdict}: {c.message}"[:4000]
        return out

    def __str__(self) -> str:
        head = "gate passed" if self.passed else f"gate failed ({len(self.failures)} check(s))"
        mark = {True: "ok  ", False: "FAIL", None: "info"}
        lines = [head] + [f"  {mark[c.passed]} {c.name}: {c.message}" for c in self.checks]
        return "\n".join(lines + [f"  !    {w}" for w in self.warnings])


class _PairedAUC:
    """ROC AUC of several scores on the same rows, and a paired cluster bootstrap of them.

    Resampling learners is the same as weighting each row by how many times its learner was
    drawn, so one sort per score serves every resample (O(rows) per resample and score).
    """

    def __init__(self, y, clusters, seed: int = 0) -> None:
        self.y = np.asarray(y, dtype=float)
        self.codes, uniques = pd.factorize(pd.Series(clusters), sort=False)
        self.n_clusters = len(uniques)
        self.rng = np.random.default_rng(seed)
        self._ranks: dict[str, tuple[np.ndarray, int]] = {}

    def add(self, name: str, score) -> None:
        s = np.asarray(score, dtype=float)
        order = np.argsort(s, kind="mergesort")
        ranks = np.empty(len(s), dtype=np.int64)
        ranks[order] = np.concatenate([[0], np.cumsum(np.diff(s[order]) != 0)]) if len(s) else []
        self._ranks[name] = (ranks, int(ranks.max()) + 1 if len(s) else 0)

    def auc(self, name: str, weights=None) -> float:
        ranks, n = self._ranks[name]
        w = np.ones(len(self.y)) if weights is None else weights
        pos = np.bincount(ranks, weights=w * self.y, minlength=n)
        neg = np.bincount(ranks, weights=w * (1 - self.y), minlength=n)
        p, q = pos.sum(), neg.sum()
        if p <= 0 or q <= 0:
            return math.nan
        below = np.cumsum(neg) - neg  # ties count one half
        return float((pos * (below + 0.5 * neg)).sum() / (p * q))

    def bootstrap(self, n: int) -> dict[str, np.ndarray]:
        """The AUC of every score on ``n`` resamples of learners (the same resamples for all)."""
        out = {name: np.empty(n) for name in self._ranks}
        for b in range(n):
            counts = np.bincount(self.rng.integers(0, self.n_clusters, self.n_clusters), minlength=self.n_clusters)
            w = counts[self.codes].astype(float)
            for name in self._ranks:
                out[name][b] = self.auc(name, w)
        return out


def _interval(diff: np.ndarray, confidence: float) -> tuple[float, float]:
    d = diff[~np.isnan(diff)]
    if not len(d):
        return math.nan, math.nan
    a = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(d, [a, 100 - a])
    return float(lo), float(hi)


def _is_logistic(model) -> bool:
    """The model *is* the logistic baseline (same estimator and settings), so comparing them is
    not a check; another linear model (``auto``'s ``logistic-reg``) is compared like any other."""
    name = getattr(model, "chosen_", None) or getattr(model, "estimator", None)
    return name == "logistic"


def check_gate(report, gate: Gate = Gate(), champion: RiskModel | None = None) -> GateResult:
    """Apply the quality gate (see :class:`Gate` for the rules) to an evaluation report.

    Returns a :class:`GateResult` whose ``checks`` hold every comparison with its numbers and
    bootstrap interval; ``str(result)`` says why for every check.
    """
    res = GateResult(True)
    preds = report.predictions
    pct = f"{gate.confidence:.0%}"
    pairs = _PairedAUC(preds["y"].to_numpy(), preds["learner_id"].astype(str).to_numpy(), seed=gate.seed)
    pairs.add("model", preds["model"].to_numpy())
    baselines = [b for b in ("rule", "logistic") if b in preds and preds[b].notna().all()]
    for b in baselines:
        pairs.add(b, preds[b].to_numpy())
    champ_auc = math.nan
    if champion is not None:
        try:
            p = np.asarray(champion.predict_proba(report.test_features), dtype=float)
            if p.shape != (len(preds),) or np.isnan(p).any():
                raise LearnriskError(f"{len(p)} scores, some missing, for {len(preds)} rows")
            pairs.add("champion", p)
        except Exception as exc:  # a champion on other features cannot be compared row for row
            champ_auc = float((champion.metadata.get("test_metrics") or {}).get("roc_auc") or math.nan)
            res.warnings.append(f"the champion could not score these test rows ({str(exc)[:200]}); compared with its logged AUC")
    boot = pairs.bootstrap(gate.n_bootstrap)
    auc = pairs.auc("model")

    def paired(name: str) -> tuple[float, float, float, float]:
        ref = pairs.auc(name)
        lo, hi = _interval(boot["model"] - boot[name], gate.confidence)
        return ref, auc - ref, lo, hi

    def ci(lo: float, hi: float) -> str:
        return f"{pct} interval [{lo:+.4f}, {hi:+.4f}]"

    # 1. the engagement rule must be beaten
    if "rule" not in baselines:
        res.add(GateCheck("rule", False, "no rule baseline to compare with (train with baselines)"))
    else:
        ref, d, lo, hi = paired("rule")
        ok = d > gate.baseline_margin and lo > gate.baseline_margin - gate.max_auc_loss
        verb = "beats" if ok else "does not beat"
        res.add(GateCheck("rule", ok, f"ROC AUC {auc:.4f} {verb} the rule baseline ({ref:.4f}): difference {d:+.4f}, {ci(lo, hi)}", auc, ref, d, lo, hi))
    # 2. the logistic baseline: a check for any other model, information for the baseline itself
    if "logistic" not in baselines:
        if not _is_logistic(report.model):
            res.add(GateCheck("logistic", False, "no logistic baseline to compare with (train with baselines)"))
    else:
        ref, d, lo, hi = paired("logistic")
        text = f"ROC AUC {auc:.4f} vs the logistic baseline's {ref:.4f}: difference {d:+.4f}, {ci(lo, hi)}"
        if _is_logistic(report.model):
            res.add(GateCheck("logistic", None, f"{text} (the model is a logistic regression itself: not a check)", auc, ref, d, lo, hi))
        else:
            # non-inferiority: the model may lose to the plain logistic regression by less than
            # max_auc_loss, with 95 % confidence (the lower bound of the interval above -max_auc_loss)
            ok = lo >= gate.baseline_margin - gate.max_auc_loss
            text += "" if ok else f": possibly worse by more than {gate.max_auc_loss}"
            res.add(GateCheck("logistic", ok, text, auc, ref, d, lo, hi))
    # 3. no offering much worse than its rule baseline
    if "rule" in baselines:
        for offering, idx in preds.groupby("course_id", sort=True, observed=True).indices.items():
            w = np.zeros(len(preds))
            w[idx] = 1.0
            a, r = pairs.auc("model", w), pairs.auc("rule", w)
            if math.isnan(a) or math.isnan(r):
                res.add(GateCheck(f"offering/{offering}", None, f"{len(idx):,} rows with a single class: no AUC"))
                continue
            ok = a >= r - gate.max_offering_drop
            verb = "within" if ok else "more than"
            res.add(GateCheck(
                f"offering/{offering}", ok,
                f"ROC AUC {a:.4f} vs the rule baseline's {r:.4f} on {len(idx):,} rows: {verb} {gate.max_offering_drop} below it"
                if a < r else f"ROC AUC {a:.4f} vs the rule baseline's {r:.4f} on {len(idx):,} rows",
                a, r, a - r,
            ))
    # 4. calibration
    ece = float(report.overall().get("ece", math.nan))
    ok = ece <= gate.max_ece
    res.add(GateCheck("calibration", ok, f"calibration error {ece:.4f} is {'within' if ok else 'above'} the bound {gate.max_ece}", ece, gate.max_ece, ece - gate.max_ece))
    # 5. the current champion, on the same rows
    if champion is not None:
        version = champion.metadata.get("version")
        who = f"the current champion{f' (version {version})' if version else ''}"
        if "champion" in boot:
            ref, d, lo, hi = paired("champion")
            ok = hi >= gate.min_gain
            text = f"ROC AUC {auc:.4f} vs {who}'s {ref:.4f} on the same rows: difference {d:+.4f}, {ci(lo, hi)}"
            res.add(GateCheck("champion", ok, text + ("" if ok else ": significantly worse"), auc, ref, d, lo, hi))
            if set(champion.metadata.get("train_offerings") or []) & set(report.test_offerings) and champion.metadata.get(
                "data_digest"
            ) == report.model.metadata.get("data_digest"):
                res.warnings.append(f"{who} was trained on some of these test offerings: its AUC here is optimistic")
        elif not math.isnan(champ_auc):
            ok = auc >= champ_auc + gate.min_gain
            res.add(GateCheck("champion", ok, f"ROC AUC {auc:.4f} vs {who}'s logged {champ_auc:.4f} (other rows, no interval)", auc, champ_auc, auc - champ_auc))
        else:
            res.warnings.append(f"{who} has no AUC to compare with")
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
    import mlflow

    uri = resolve_tracking_uri(tracking_uri)
    _configure(uri)
    experiment = experiment or f"learnrisk-{model.target}"
    try:
        exp_id = _experiment(experiment, uri)
    except Exception as exc:
        raise ModelLoadError(f"cannot reach the tracking store at {uri}: {str(exc).splitlines()[0][:200]}") from exc
    with mlflow.start_run(experiment_id=exp_id) as run:
        try:
            tracked = _log_in_run(model, report, run, uri, experiment, data, card, plots)
            if register:
                tracked = _register(tracked, register, model, report, gate, promote)
        except Exception as exc:
            # the run ends as FAILED (the with block); say so in one line rather than leave it silently
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            mlflow.set_tag("learnrisk.error", first)
            raise LearnriskError(
                f"logging to MLflow failed, run {run.info.run_id} in {uri} (experiment {experiment}) ended as FAILED: {first}"
            ) from exc
    return tracked


def _log_in_run(model: RiskModel, report, run, uri: str, experiment: str, data, card: str | None, plots: bool) -> TrackedRun:
    """Everything ``log_run`` logs in the active run, the pyfunc model last."""
    import matplotlib.pyplot as plt
    import mlflow

    md = model.metadata
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
        model.save(tmp / "risk_model")  # model.json (+ booster.txt): no pickle
        example = synthetic_input_example(model)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PYFUNC_CODE),  # a model from code: the wrapper is not pickled
            artifacts={"risk_model": str(tmp / "risk_model")},
            signature=model_signature(model, example),
            input_example=example,
            pip_requirements=PIP_REQUIREMENTS,
        )
    return TrackedRun(run.info.run_id, info.model_uri, uri, experiment)


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
    champion, unreadable = None, None
    try:
        champion = load_model(f"models:/{name}@{CHAMPION}", tracking_uri=tracked.tracking_uri)
    except ModelLoadError as exc:
        if _has_alias(client, name, CHAMPION):  # there is a champion, but it cannot be read (a pickle)
            unreadable = str(exc)
    result = check_gate(report, gate, champion)
    if unreadable:
        result.warnings.append(f"the current champion could not be loaded, so it was not compared: {unreadable[:400]}")
    tracked.gate = result
    for key, value in result.tags().items():
        client.set_model_version_tag(name, mv.version, key, value)
    _log_gate(result, tracked.run_id)
    if promote and result.passed:
        client.set_registered_model_alias(name, CHAMPION, mv.version)
        tracked.promoted = True
    return tracked


def _has_alias(client, name: str, alias: str) -> bool:
    try:
        client.get_model_version_by_alias(name, alias)
    except Exception:
        return False
    return True


def _log_gate(result: GateResult, run_id: str) -> None:
    """The gate's numbers as run metrics (``gate.rule.difference``, ``gate.rule.ci_low`` ...)."""
    import mlflow
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    batch = [Metric("gate.passed", float(result.passed), now, 0)]
    for c in result.checks:
        batch += [Metric(f"gate.{c.name}.{k}", v, now, 0) for k, v in c.numbers().items()]
    client = mlflow.tracking.MlflowClient()
    for i in range(0, len(batch), 900):
        client.log_batch(run_id, metrics=batch[i : i + 900])


# ---------------------------------------------------------------------------- loading
def load_model(uri: str | os.PathLike, *, tracking_uri: str | None = None, trust_pickle: bool = False) -> RiskModel:
    """Load a RiskModel: ``models:/NAME@champion``, ``models:/NAME/3``, ``runs:/ID/model``, or a
    folder saved with :meth:`RiskModel.save`.

    Raises ModelLoadError with one line when the model is missing or the store does not answer.
    Nothing is unpickled: the model is read from the ``risk_model`` folder of the artifact
    (``model.json``) by :meth:`RiskModel.load`; the pyfunc's code file is not run. A model saved
    as a pickle (``model.pkl``, the former format) is refused unless ``trust_pickle=True``.

    Examples
    --------
    >>> model = learnrisk.load_model("models:/learnrisk-dropout@champion")   # doctest: +SKIP
    """
    text = str(uri)
    if "://" not in text and not text.startswith(("models:/", "runs:/")):
        path = Path(text)
        if not path.exists():
            raise ModelLoadError(f"no model at {path}: give a saved RiskModel folder or an MLflow URI like models:/NAME@champion")
        return RiskModel.load(path, trust_pickle=trust_pickle)
    import mlflow

    turi = resolve_tracking_uri(tracking_uri)
    _configure(turi)
    try:
        with tempfile.TemporaryDirectory(prefix="learnrisk-model-") as tmp:  # read into memory
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=text, dst_path=tmp))
            model = RiskModel.load(local / "artifacts" / "risk_model", trust_pickle=trust_pickle)
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
