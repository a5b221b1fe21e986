"""Quality on a real later offering: the package's model against a plain script, with intervals.

Trained on the OULAD sample (AAA 2013J, BBB 2013B), tested on AAA 2014J (the next offering of
AAA, ``../shared/data/oulad-aaa-2014j``), at weeks 1, 2, 4, 8, 12 and 18:

- ``not passing`` (fail or withdraw, among learners active at the cutoff), ranked by the risk the
  list ranks by: ``1 - (1 - p_dropout) * (1 - p_underperformance)``, or by ``p_not_passing``
  when the package trains that target;
- ``withdrawal after the cutoff``, ranked by ``p_dropout``.

Beside each AUC: a *plain* LightGBM on 15 simple as-of features written here from the canonical
tables (independently of ``learnrisk.features``), trained on the same rows; the paired bootstrap
95 % interval of the difference (learners resampled, both models scored on the same draw); the
expected calibration error of the package's probabilities on the test offering; and a *ceiling*:
the package's model trained inside the test offering with 5-fold cross-validation grouped by
learner (out-of-fold predictions). A small test set: AUC differences under about 0.05 are within
noise, which is why every difference has its interval.

``python -m benchmarks.bench_quality`` prints the table; ``make bench`` adds its rows to
``benchmarks/results.md``.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TRAIN_DIR, TEST_DIR = SHARED / "oulad-sample", SHARED / "oulad-aaa-2014j"
TEST = "AAA-2014J"
WEEKS = (1, 2, 4, 8, 12, 18)
TRAIN_WEEKS = range(1, 21)
N_BOOT = 1000
DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------- data
def combined_data():
    """The sample and the later offering as one LearningData (learners concatenated, deduplicated)."""
    import learnrisk

    a, b = learnrisk.read_oulad(TRAIN_DIR), learnrisk.read_oulad(TEST_DIR)
    tables = {}
    for name in ("courses", "learners", "enrollments", "activity", "assessments", "submissions"):
        frame = pd.concat([getattr(a, name), getattr(b, name)], ignore_index=True)
        if name == "learners":
            frame = frame.drop_duplicates("learner_id", keep="last")
        tables[name] = frame
    return learnrisk.LearningData(**tables)


def outcome_labels(data, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row (learner_id, course_id, cutoff): not_passing and withdraws (after the cutoff)."""
    e = data.enrollments[["learner_id", "course_id", "outcome"]]
    rows = frame[["learner_id", "course_id"]].merge(e, on=["learner_id", "course_id"], how="left")
    return pd.DataFrame(
        {
            "not_passing": rows["outcome"].isin(["fail", "withdrawn"]).astype(float).to_numpy(),
            "withdraws": (rows["outcome"] == "withdrawn").astype(float).to_numpy(),
        },
        index=frame.index,
    )


# --------------------------------------------------------------------------- the plain script
PLAIN_FEATURES = [
    "week", "clicks_total", "clicks_last7", "clicks_last14", "active_days", "days_since_active",
    "resources", "clicks_before_start", "n_due", "n_submitted", "n_missed", "mean_score",
    "last_score", "mean_late_days", "days_registered_before_start", "prior_attempts", "credits",
]


def plain_features(data, weeks) -> pd.DataFrame:
    """About 15 simple as-of features, one row per enrollment active at ``start + 7w`` days."""
    c = data.courses.set_index("course_id")
    e = data.enrollments.merge(data.courses[["course_id", "start", "end"]], on="course_id")
    act = data.activity.merge(e[["learner_id", "course_id", "start"]], on=["learner_id", "course_id"])
    sub = data.submissions.merge(data.assessments[["assessment_id", "course_id", "due_at"]], on="assessment_id")
    sub = sub.merge(e[["learner_id", "course_id"]], on=["learner_id", "course_id"])
    out = []
    for w in weeks:
        t = e["start"] + w * 7 * DAY
        alive = (t < e["end"]) & (e["registered_at"] < t) & ~(e["withdrawn_at"] < t)
        rows = e.loc[alive, ["learner_id", "course_id", "start", "registered_at"]].copy()
        rows["cutoff"] = rows["start"] + w * 7 * DAY
        rows["week"] = w
        a = act[act["timestamp"] < act["start"] + w * 7 * DAY]
        key = ["learner_id", "course_id"]
        cut = a["start"] + w * 7 * DAY
        g = a.assign(
            last7=np.where(a["timestamp"] >= cut - 7 * DAY, a["clicks"], 0),
            last14=np.where(a["timestamp"] >= cut - 14 * DAY, a["clicks"], 0),
            before=np.where(a["timestamp"] < a["start"], a["clicks"], 0),
            day=a["timestamp"].dt.floor("D"),
        ).groupby(key)
        agg = pd.DataFrame(
            {
                "clicks_total": g["clicks"].sum(),
                "clicks_last7": g["last7"].sum(),
                "clicks_last14": g["last14"].sum(),
                "active_days": g["day"].nunique(),
                "last_active": g["timestamp"].max(),
                "resources": g["resource_id"].nunique() if "resource_id" in a.columns else g["clicks"].size(),
                "clicks_before_start": g["before"].sum(),
            }
        ).reset_index()
        rows = rows.merge(agg, on=key, how="left")
        for col in ("clicks_total", "clicks_last7", "clicks_last14", "active_days", "resources", "clicks_before_start"):
            rows[col] = rows[col].fillna(0.0)
        since = rows["last_active"].where(rows["last_active"].notna(), rows[["start", "registered_at"]].max(axis=1))
        rows["days_since_active"] = (rows["cutoff"] - since) / DAY
        # assessments due before the cutoff, what was submitted before it
        due = data.assessments[data.assessments["due_at"].notna()][["assessment_id", "course_id", "due_at"]]
        due = due.merge(c[["start"]].reset_index(), on="course_id")
        due = due[due["due_at"] < due["start"] + w * 7 * DAY]
        n_due = due.groupby("course_id").size().rename("n_due").reset_index()
        s = sub[sub["submitted_at"] < sub["course_id"].map(c["start"]) + w * 7 * DAY]
        s = s.assign(late=(s["submitted_at"] - s["due_at"]) / DAY)
        sg = s.sort_values("submitted_at").groupby(key)
        sagg = pd.DataFrame(
            {
                "n_submitted": sg.size(),
                "mean_score": sg["score"].mean(),
                "last_score": sg["score"].last(),
                "mean_late_days": sg["late"].mean(),
            }
        ).reset_index()
        done_due = s[s["assessment_id"].isin(due["assessment_id"])].groupby(key).size().rename("done_due").reset_index()
        rows = rows.merge(n_due, on="course_id", how="left").merge(sagg, on=key, how="left").merge(done_due, on=key, how="left")
        rows["n_due"] = rows["n_due"].fillna(0.0)
        rows["n_submitted"] = rows["n_submitted"].fillna(0.0)
        rows["n_missed"] = rows["n_due"] - rows["done_due"].fillna(0.0)
        rows["days_registered_before_start"] = (rows["start"] - rows["registered_at"]) / DAY
        out.append(rows)
    frame = pd.concat(out, ignore_index=True)
    extra = data.enrollments[["learner_id", "course_id"]].copy()
    for col in ("prior_attempts", "credits"):
        extra[col] = pd.to_numeric(data.enrollments.get(col, np.nan), errors="coerce")
    return frame.merge(extra, on=["learner_id", "course_id"], how="left")


def plain_model(X: pd.DataFrame, y: np.ndarray):
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_estimators=300, learning_rate=0.03, num_leaves=15, min_child_samples=50, verbose=-1, n_jobs=1).fit(X, y)


# --------------------------------------------------------------------------- statistics
def auc(y, s) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def paired_bootstrap(y, a, b, groups, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float, float]:
    """AUC(a) - AUC(b) and its 95 % percentile interval, resampling groups (learners)."""
    from sklearn.metrics import roc_auc_score

    y, a, b = map(np.asarray, (y, a, b))
    uniq, inv = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inv == i) for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(uniq), len(uniq))])
        if len(np.unique(y[idx])) < 2:
            continue
        diffs.append(roc_auc_score(y[idx], a[idx]) - roc_auc_score(y[idx], b[idx]))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return auc(y, a) - auc(y, b), float(lo), float(hi)


def ece(y, p, n_bins: int = 10) -> float:
    from learnrisk.metrics import expected_calibration_error

    return float(expected_calibration_error(np.asarray(y), np.asarray(p), n_bins=n_bins))


# --------------------------------------------------------------------------- the package
def _train_kwargs(test):
    import learnrisk

    params = inspect.signature(learnrisk.train).parameters
    return {"test_offerings": test} if "test_offerings" in params else {"test": test}


def package_scores(data, feats: pd.DataFrame, test_rows: np.ndarray) -> tuple[dict[str, np.ndarray], dict]:
    """p_dropout and the list's risk on the test rows, from models trained on the sample (the
    default ``model="auto"``), and the fitted models."""
    import learnrisk

    kw = _train_kwargs([TEST])
    targets = ["dropout", "underperformance"]
    if "not_passing" in getattr(learnrisk.targets, "TARGETS", ()):
        targets.append("not_passing")
    out, models = {}, {}
    for target in targets:
        m, _ = learnrisk.train(data, target, weeks=TRAIN_WEEKS, features=feats, fairness=False, baselines=False, **kw)
        out[target], models[target] = m.predict_proba(feats[test_rows]), m
    out["risk"] = out["not_passing"] if "not_passing" in out else 1 - (1 - out["dropout"]) * (1 - out["underperformance"])
    return out, models


def ceiling_scores(feats: pd.DataFrame, test_rows: np.ndarray, label: np.ndarray, model) -> np.ndarray:
    """Out-of-fold predictions of the package's model (the candidate ``model="auto"`` chose on
    the training offerings) trained inside the test offering, 5 folds grouped by learner."""
    import learnrisk
    from sklearn.model_selection import GroupKFold

    from learnrisk.features import feature_columns

    sub = feats[test_rows].reset_index(drop=True)
    cols = [c for c in feature_columns(sub) if c in learnrisk.features.catalog().query("not sensitive")["name"].tolist() or c == "week"]
    p = np.full(len(sub), np.nan)
    for fit_idx, pred_idx in GroupKFold(n_splits=5).split(sub, label, sub["learner_id"]):
        chosen = getattr(model, "chosen_", None) or "lightgbm"
        m = learnrisk.RiskModel(chosen, target=model.target).fit(sub.iloc[fit_idx], label[fit_idx], columns=cols)
        p[pred_idx] = m.predict_proba(sub.iloc[pred_idx])
    return p


def run(quick: bool = False) -> list[dict]:
    import learnrisk

    warnings.filterwarnings("ignore")
    if not (TRAIN_DIR.exists() and TEST_DIR.exists()):
        return [{"measure": "skipped", "value": "-", "unit": "", "notes": f"{SHARED} not found"}]
    data = combined_data()
    feats = learnrisk.build_features(data, weeks=sorted(set(TRAIN_WEEKS) | set(WEEKS)))
    test_rows = (feats["course_id"] == TEST).to_numpy()
    scores, models = package_scores(data, feats, test_rows)
    test = feats[test_rows].reset_index(drop=True)
    labels = outcome_labels(data, test)

    plain = plain_features(data, sorted(set(TRAIN_WEEKS) | set(WEEKS)))
    plain_lab = outcome_labels(data, plain)
    is_tr = (plain["course_id"] != TEST).to_numpy() & plain["week"].isin(TRAIN_WEEKS).to_numpy()
    key = ["learner_id", "course_id", "week"]
    plain_test = test[key].merge(plain, on=key, how="left")
    plain_p = {}
    for target, col in (("not_passing", "not_passing"), ("dropout", "withdraws")):
        mdl = plain_model(plain.loc[is_tr, PLAIN_FEATURES], plain_lab.loc[is_tr, col].to_numpy())
        plain_p[target] = mdl.predict_proba(plain_test[PLAIN_FEATURES])[:, 1]

    ceil = {
        "not_passing": ceiling_scores(feats, test_rows, labels["not_passing"].to_numpy(), models.get("not_passing", models["dropout"])),
        "dropout": ceiling_scores(feats, test_rows, labels["withdraws"].to_numpy(), models["dropout"]),
    }
    rows = synthetic_rows(quick)
    weeks = (8,) if quick else WEEKS
    for target, col, ours in (("not_passing", "not_passing", scores["risk"]), ("dropout", "withdraws", scores["dropout"])):
        means = []
        for w in weeks:
            m = (test["week"] == w).to_numpy()
            y = labels.loc[m, col].to_numpy()
            d, lo, hi = paired_bootstrap(y, ours[m], plain_p[target][m], test.loc[m, "learner_id"], n_boot=200 if quick else N_BOOT)
            cd, clo, chi = paired_bootstrap(y, ours[m], ceil[target][m], test.loc[m, "learner_id"], n_boot=200 if quick else N_BOOT)
            p_cal = scores["not_passing" if target == "not_passing" and "not_passing" in scores else "dropout"][m]
            note = (
                f"plain {auc(y, plain_p[target][m]):.3f}; diff {d:+.3f} [{lo:+.3f}, {hi:+.3f}]; "
                f"ceiling {auc(y, ceil[target][m]):.3f} (diff {cd:+.3f} [{clo:+.3f}, {chi:+.3f}]); "
                f"ECE {ece(y, p_cal):.3f}; n={m.sum()}, positives={int(y.sum())}"
            )
            means.append((auc(y, ours[m]), auc(y, plain_p[target][m])))
            rows.append({"measure": f"{target} AUC week {w} (AAA-2014J)", "value": round(auc(y, ours[m]), 3), "unit": "AUC", "notes": note})
        ours_mean, plain_mean = np.mean(means, axis=0)
        chosen = getattr(models.get(target, models["dropout"]), "chosen_", None)
        rows.append(
            {
                "measure": f"{target} AUC mean over weeks",
                "value": round(float(ours_mean), 3),
                "unit": "AUC",
                "notes": f"plain {plain_mean:.3f}; model chosen by leave-one-offering-out: {chosen}",
            }
        )
    return rows


def synthetic_rows(quick: bool = False) -> list[dict]:
    """On synthetic data, the share of the oracle's AUC (the generator's true probabilities) that
    the default model reaches at week 8, for both targets (goal: at least 0.95)."""
    import learnrisk

    data, truth = learnrisk.synthetic.generate(n_learners=1500 if quick else 4000, seed=0, return_truth=True)
    rows = []
    for target in ("dropout", "underperformance"):
        m, report = learnrisk.train(data, target, weeks=range(1, 13), truth=truth, fairness=False)
        week8 = report.summary.loc[8]
        rows.append(
            {
                "measure": f"synthetic {target}: AUC / oracle AUC at week 8",
                "value": round(float(week8["auc_vs_oracle"]), 3),
                "unit": "ratio",
                "notes": f"AUC {week8['auc']:.3f}, oracle {week8['auc_oracle']:.3f}; chosen {getattr(m, 'chosen_', None)}; goal >= 0.95",
            }
        )
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['measure']:45s} {r['value']}  {r['notes']}")
