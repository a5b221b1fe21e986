"""Explanations per second for the top 10 % of a 30,000-enrollment cohort at one cutoff.

The cohort: ``learnrisk.synthetic.generate(n_learners=27_000, n_courses=7, offerings=4)``
(about 30,000 enrollments in 28 offerings, the same set as bench_features, cached in
``benchmarks/_data/``), features at one cutoff, week 6 of every offering (the enrollments still
active then). The models, trained beforehand on weeks 2-10 of a separate finished world of
6,000 learners (another seed), not timed: the default LightGBM RiskModel (dropout; early
stopping decides its size), and a plain LightGBM with a fixed 300 trees on the same inputs, to
show how the cost grows with the model.

The explained rows: the top 10 % of the cohort's rows by predicted risk, what a weekly list
explains. Measured in one process, each the best of 5 rounds in which the measures take turns
(so that the load of a shared machine hits them alike):

- native TreeSHAP: LightGBM's ``predict(X, pred_contrib=True)``, the route ``explain`` takes
  (through the fitted ``LGBMClassifier``, so with the model's ``n_jobs``, one thread by default);
  and the same call on the ``Booster`` without ``num_threads`` (OpenMP's default thread count),
  which is the call shap makes;
- ``shap.TreeExplainer(booster)``: building the explainer and ``shap_values(X)``. For LightGBM,
  shap 0.51 hands ``shap_values`` to ``Booster.predict(pred_contrib=True)``, so the difference
  to the native call with the same threads is shap's overhead (it parses every tree of the model
  when the explainer is built);
- shap's own C++ TreeSHAP (the same explainer forced to its internal tree representation, the
  path shap takes for models it cannot delegate): an independent implementation;
- the whole ``learnrisk.explain`` (contributions, drivers with sentences, interventions and the
  batched what-if re-scoring) over the same rows, with the whole cohort for the medians.

The same native/shap pair is timed on the 300-tree model. The largest absolute difference
between native and shap contributions is reported too.

    uv run python -m benchmarks.run bench_explain
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
FULL = dict(n_learners=27_000, n_courses=7, offerings=4, seed=42)
QUICK = dict(n_learners=1_500, n_courses=3, offerings=2, seed=42)
TRAIN_FULL = dict(n_learners=6_000, n_courses=7, offerings=2, seed=43)
TRAIN_QUICK = dict(n_learners=800, n_courses=3, offerings=2, seed=43)
WEEK = 6
REPEAT = 5


def _name(cfg: dict) -> str:
    return "-".join(f"{k}{v}" for k, v in cfg.items())


def _cohort(quick: bool):
    """The cohort's LearningData, from the Parquet cache (generated once, git-ignored)."""
    from learnrisk.data import read_parquet
    from learnrisk.synthetic import generate

    cfg = QUICK if quick else FULL
    folder = DATA / f"synthetic-{_name(cfg)}"
    if not (folder / "activity.parquet").exists():
        generate(**cfg).to_parquet(folder)
    return read_parquet(folder, validate=False)


def _models(quick: bool):
    """The default LightGBM dropout RiskModel and a 300-tree LightGBM booster (the same settings,
    no early stopping) on the same inputs, both trained on a separate finished world (cached)."""
    import lightgbm

    from learnrisk.features import build_features
    from learnrisk.synthetic import generate
    from learnrisk.targets import make_labels
    from learnrisk.training import RiskModel
    from learnrisk.training._model import make_estimator

    cfg = TRAIN_QUICK if quick else TRAIN_FULL
    folder = DATA / f"explain-model-{_name(cfg)}"
    if (folder / "model.json").exists() and (folder / "lgbm300.txt").exists():
        return RiskModel.load(folder), lightgbm.Booster(model_file=str(folder / "lgbm300.txt"))
    data = generate(**cfg)
    feats = build_features(data, weeks=range(2, 11))
    y = make_labels(data, feats, "dropout")
    keep = y.notna().to_numpy()
    feats, y = feats[keep].reset_index(drop=True), y[keep].to_numpy()
    model = RiskModel("lightgbm", target="dropout").fit(feats, y)
    model.save(folder)
    big = make_estimator("lightgbm").set_params(n_estimators=300).fit(model.prepare(feats), y)
    big.booster_.save_model(str(folder / "lgbm300.txt"))
    return model, big.booster_


def _race(fns: dict, repeat: int = REPEAT) -> dict:
    """Best time (and last output) of each function, the functions taking turns in every round,
    so that a change in the machine's load hits them all alike."""
    best = {k: float("inf") for k in fns}
    out: dict = {}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            out[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return {k: (best[k], out[k]) for k in fns}


def run(quick: bool = False) -> list[dict]:
    import shap

    from learnrisk.explaining import explain
    from learnrisk.training._contributions import input_contributions
    from learnrisk.features import build_features

    data = _cohort(quick)
    model, booster300 = _models(quick)
    cohort = build_features(data, weeks=[WEEK])
    p = model.predict_proba(cohort)
    top = p >= np.quantile(p, 0.9)
    X = model.prepare(cohort[top])
    n = len(X)
    booster = model.estimator_.booster_
    n_trees = booster.num_trees()

    def shap_values(b, data):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="LightGBM binary classifier", category=UserWarning)
            return shap.TreeExplainer(b).shap_values(data)

    Xa = X.to_numpy(dtype=float)
    internal_explainer = shap.TreeExplainer(booster)
    internal_explainer.model.model_type = "internal"  # shap's own C++ TreeSHAP on its parsed trees
    r = _race({
        "native": lambda: input_contributions(model, X)[0],
        "native_omp": lambda: booster.predict(X, num_iteration=-1, pred_contrib=True),
        "shap": lambda: shap_values(booster, X),
        "build": lambda: shap.TreeExplainer(booster),
        "internal": lambda: internal_explainer.shap_values(Xa, check_additivity=False),
        # the same rows through a 300-tree model (early stopping keeps the default model small)
        "native300": lambda: booster300.predict(X, pred_contrib=True, num_threads=1),
        "native300_omp": lambda: booster300.predict(X, pred_contrib=True),
        "shap300": lambda: shap_values(booster300, X),
        "build300": lambda: shap.TreeExplainer(booster300),
    })
    t_native, native = r["native"]
    t_omp, t_omp300 = r["native_omp"][0], r["native300_omp"][0]
    t_shap, values = r["shap"]
    t_build, t_internal, internal = r["build"][0], r["internal"][0], r["internal"][1]
    t_native300, native300 = r["native300"]
    t_shap300, values300 = r["shap300"]
    t_build300 = r["build300"][0]
    diff = max(float(np.abs(native.to_numpy() - np.asarray(values)).max()),
               float(np.abs(native.to_numpy() - internal).max()))
    diff300 = float(np.abs(native300[:, :-1] - np.asarray(values300)).max())
    t_explain, ex = _race({"explain": lambda: explain(model, cohort, rows=top)}, repeat=3)["explain"]

    load = os.getloadavg()[0]
    where = (f"{n:,} rows (top 10 % of {len(cohort):,} enrollments active at week {WEEK}), {X.shape[1]} inputs; "
             f"best of {REPEAT} interleaved rounds; load average {load:.1f} on {os.cpu_count()} cores")

    def ms_row(t: float) -> str:
        return f"{t * 1000 / n:.2f} ms/row"

    threads = f"OpenMP default, {os.cpu_count()} threads here"
    return [
        {"measure": f"native TreeSHAP, default model ({n_trees} trees)", "value": round(n / t_native), "unit": "rows/s",
         "notes": f"{ms_row(t_native)}; the explain route: LGBMClassifier.predict(pred_contrib=True) with the "
                  f"model's n_jobs={model.estimator_.n_jobs}; {where}"},
        {"measure": f"native TreeSHAP, default model, {threads.split(',')[0]} threads", "value": round(n / t_omp),
         "unit": "rows/s", "notes": f"{ms_row(t_omp)}; Booster.predict(pred_contrib=True) without num_threads "
                                    f"({threads}): the call shap makes"},
        {"measure": f"shap.TreeExplainer, default model ({n_trees} trees)", "value": round(n / t_shap), "unit": "rows/s",
         "notes": f"{ms_row(t_shap)}, building the explainer included ({t_build * 1000:.0f} ms); shap 0.51 hands "
                  f"LightGBM to Booster.predict(pred_contrib=True) ({threads}); max abs difference to native {diff:.1e}"},
        {"measure": f"shap's own C++ TreeSHAP, default model ({n_trees} trees)", "value": round(n / t_internal),
         "unit": "rows/s", "notes": f"{ms_row(t_internal)}, explainer built; an independent implementation, one thread"},
        {"measure": "native TreeSHAP, 300 trees, 1 thread", "value": round(n / t_native300), "unit": "rows/s",
         "notes": f"{ms_row(t_native300)}; same rows, the default settings with 300 trees and no early stopping"},
        {"measure": "native TreeSHAP, 300 trees, OpenMP default threads", "value": round(n / t_omp300),
         "unit": "rows/s", "notes": f"{ms_row(t_omp300)}"},
        {"measure": "shap.TreeExplainer, 300 trees", "value": round(n / t_shap300), "unit": "rows/s",
         "notes": f"{ms_row(t_shap300)}, building the explainer included ({t_build300 * 1000:.0f} ms); "
                  f"max abs difference to native {diff300:.1e}"},
        {"measure": "learnrisk.explain, whole (default model)", "value": round(n / t_explain), "unit": "rows/s",
         "notes": f"{t_explain:.2f} s for the {n:,} rows: contributions, {len(ex.drivers):,} drivers with sentences, "
                  f"{len(ex.recommendations):,} recommendations of {ex.recommendations['intervention_id'].nunique()} "
                  "interventions with batched what-if re-scoring"},
    ]
