"""`audit_predictions` on frames of scored rows: values, small groups, flags, outputs."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
from sklearn.metrics import roc_auc_score

from learnrisk.errors import LearnriskError
from learnrisk.fairness import FairnessAuditError, audit_predictions, expected_calibration_error, select_top

from .rows import scored_rows

matplotlib.use("Agg")


def test_strong_group_dependence_is_flagged_and_none_is_not():
    strong = audit_predictions(scored_rows(effect="strong"), groups=["gender"])
    assert strong.flagged.keys() == {"gender"}
    assert strong.flagged["gender"] > 0.15
    assert strong.flags[0].startswith("gender: ABROCA 0.")
    assert not strong.passed
    for seed in range(3):
        fair = audit_predictions(scored_rows(effect="none", seed=seed), groups=["gender"])
        assert fair.flags == [] and fair.passed
        assert fair.abroca_overall["gender"] < 0.03


def test_group_metrics_match_sklearn_and_fairlearn():
    frame = scored_rows(n=900, seed=7)
    frame["region"] = np.random.default_rng(1).choice(["North", "South", "West"], len(frame))
    report = audit_predictions(frame, groups=["region"], min_group_size=10)
    summary = report.summary.set_index("group")
    for g, part in frame.groupby("region"):
        y, s, sel = part["y_true"].to_numpy(), part["score"].to_numpy(), part["selected"].to_numpy()
        assert summary.loc[g, "n"] == len(part)
        assert summary.loc[g, "base_rate"] == pytest.approx(y.mean())
        assert summary.loc[g, "roc_auc"] == pytest.approx(roc_auc_score(y, s))
        assert summary.loc[g, "ece"] == pytest.approx(expected_calibration_error(y, s))
        assert summary.loc[g, "selection_rate"] == pytest.approx(sel.mean())
        assert summary.loc[g, "fnr"] == pytest.approx((~sel[y == 1]).mean())
        assert summary.loc[g, "fpr"] == pytest.approx(sel[y == 0].mean())
    mf = MetricFrame(
        metrics={"selection_rate": selection_rate, "fnr": false_negative_rate, "fpr": false_positive_rate},
        y_true=frame["y_true"].astype(int),
        y_pred=frame["selected"].astype(int),
        sensitive_features=frame["region"],
    )
    pd.testing.assert_frame_equal(
        summary[["selection_rate", "fnr", "fpr"]], mf.by_group, check_names=False, check_index_type=False
    )
    # Per week as well, and the whole population.
    wk = report.by_week.set_index(["week", "group"])
    part = frame[(frame["week"] == 2) & (frame["region"] == "West")]
    assert wk.loc[(2, "West"), "roc_auc"] == pytest.approx(roc_auc_score(part["y_true"], part["score"]))
    overall = report.overall.set_index("week")
    assert overall.loc["all", "roc_auc"] == pytest.approx(roc_auc_score(frame["y_true"], frame["score"]))
    assert overall.loc[3, "n"] == (frame["week"] == 3).sum()


def test_small_and_one_class_groups_are_reported_too_small():
    frame = scored_rows(n=400, seed=2, weeks=1)
    frame["disability"] = "N"
    frame.loc[frame.index[:12], "disability"] = "Y"  # 12 rows: under 30
    frame.loc[frame.index[12:52], "disability"] = "U"  # 40 rows, all negative: one class
    frame.loc[frame.index[12:52], "y_true"] = 0.0
    report = audit_predictions(frame, groups=["disability"])
    s = report.summary.set_index("group")
    assert s.loc["Y", "status"] == "too small" and s.loc["Y", "n"] == 12
    assert s.loc["U", "status"] == "too small" and s.loc["U", "n"] == 40
    assert s.loc[["Y", "U"], ["base_rate", "roc_auc", "ece", "selection_rate", "fnr", "fpr"]].isna().all().all()
    assert s.loc["N", "status"] == "ok" and s.loc["N", "roc_auc"] > 0.5
    # One reportable group left: no ABROCA, no gaps, and warnings that say why.
    assert np.isnan(report.abroca_overall["disability"])
    assert report.gaps.loc[report.gaps["week"] == "all", "gap"].isna().all()
    assert any("too small to report" in w and "Y (12 enrollments)" in w for w in report.warnings)
    assert any("fewer than two groups" in w for w in report.warnings)
    assert report.flags == []


def test_gaps_name_the_extreme_groups():
    report = audit_predictions(scored_rows(effect="strong", seed=3), groups=["gender"])
    gap = report.gaps[(report.gaps["week"] == "all") & (report.gaps["metric"] == "roc_auc")].iloc[0]
    s = report.summary.set_index("group")
    assert gap["low_group"] == "M" and gap["high_group"] == "F"
    assert gap["gap"] == pytest.approx(s.loc["F", "roc_auc"] - s.loc["M", "roc_auc"])
    assert gap["ratio"] == pytest.approx(s.loc["M", "roc_auc"] / s.loc["F", "roc_auc"])
    # ABROCA per week: one row per week plus the pooled row.
    assert report.abroca["week"].tolist() == ["all", 1, 2, 3, 4]


def test_unlabelled_rows_are_left_out_with_a_warning():
    frame = scored_rows(n=500, seed=4)
    frame.loc[frame.index[:7], "y_true"] = np.nan
    report = audit_predictions(frame, groups=["gender"])
    assert report.params["n_rows"] == 493
    assert report.warnings[0].startswith("7 rows without a label")


def test_default_groups_are_the_sensitive_attributes_present_and_missing_values_form_a_group():
    frame = scored_rows(n=600, seed=5)
    frame["deprivation"] = np.where(np.arange(600) % 10 == 0, None, "0-10%")
    report = audit_predictions(frame)
    assert report.attributes == ["gender", "deprivation"]
    assert set(report.summary.loc[report.summary["attribute"] == "deprivation", "group"]) == {"0-10%", "(missing)"}


def test_outputs_markdown_dict_plot_repr(tmp_path):
    report = audit_predictions(scored_rows(effect="strong", seed=6), groups=["gender"])
    md = report.to_markdown(weeks=True)
    assert "| gender | F | ok |" in md and "**Flags**" in md and "**ABROCA per week**" in md
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["flagged"]["gender"] == pytest.approx(report.flagged["gender"])
    assert {r["week"] for r in d["abroca"]} == {"all", 1, 2, 3, 4}
    fig = report.plot_roc("gender")
    ax = fig.axes[0]
    assert len([ln for ln in ax.lines if ln.get_label().startswith(("F ", "M "))]) == 2
    assert "ABROCA" in ax.get_title()
    fig.savefig(tmp_path / "roc.png")
    assert report.plot_roc("gender", week=2).axes[0].get_title().startswith("ROC by gender (week 2)")
    r = repr(report)
    assert "6,000 scored rows" in r and "weeks 1-4" in r and "(ABROCA: gender; selection: gender)" in r
    with pytest.raises(KeyError, match="was not audited"):
        report.plot_roc("region")


def test_week_none_pools_everything():
    report = audit_predictions(scored_rows(n=500, seed=8).drop(columns="week"), groups=["gender"], week=None)
    assert report.by_week.empty and report.abroca["week"].tolist() == ["all"]


def test_reference_group_can_be_chosen():
    frame = scored_rows(n=2000, effect="strong", seed=9)
    report = audit_predictions(frame, groups=["gender"], reference={"gender": "M"})
    assert report.abroca.loc[report.abroca["week"] == "all", "reference"].item() == "M"


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda f: f.drop(columns="selected"), {}, "select_top"),
        (lambda f: f.drop(columns="gender"), {"groups": ["gender"]}, "group: 'gender'"),
        (lambda f: f.assign(score=f["score"] * 5), {}, "calibrated probabilities"),
        (lambda f: f.assign(y_true=2.0), {}, "0/1 labels"),
        (lambda f: f.assign(selected=None), {}, "True/False"),
        (lambda f: f.drop(columns="gender"), {}, "no sensitive attribute column"),
        (lambda f: f, {"min_group_size": 0}, "min_group_size"),
        (lambda f: f, {"abroca_bound": 2}, "abroca_bound"),
    ],
)
def test_bad_input_raises_a_learnrisk_error(change, kwargs, message):
    frame = change(scored_rows(n=200, seed=10))
    with pytest.raises(FairnessAuditError, match=message) as info:
        audit_predictions(frame, **kwargs)
    assert isinstance(info.value, LearnriskError)


def test_select_top_takes_the_ceiling_per_offering_and_week():
    frame = pd.DataFrame(
        {"course_id": ["A"] * 30 + ["B"] * 45, "week": 1, "score": np.linspace(0, 1, 75)}
    )
    sel = select_top(frame, top_frac=0.1)
    assert sel[frame["course_id"] == "A"].sum() == 3  # 0.1 * 30 = 3 (not 4 from rounding noise)
    assert sel[frame["course_id"] == "B"].sum() == 5  # ceil(4.5)
    assert sel[frame["course_id"] == "B"].idxmax() == 30 + 40  # the top five of B are its last rows


def test_group_size_counts_enrollments_not_weekly_rows():
    # 20 enrollments of group "Y" observed over 5 weeks: 100 rows, but only 20 enrollments (< 30).
    rng = np.random.default_rng(11)
    n_enr, weeks = 400, 5
    enr = pd.DataFrame({"learner_id": [f"L{i}" for i in range(n_enr)], "course_id": "A-2023",
                        "disability": np.where(np.arange(n_enr) < 20, "Y", "N"),
                        "y_true": (rng.random(n_enr) < 0.3).astype(float)})
    frame = enr.loc[enr.index.repeat(weeks)].reset_index(drop=True)
    frame["week"] = np.tile(np.arange(1, weeks + 1), n_enr)
    frame["score"] = np.clip(0.3 + 0.3 * frame["y_true"] + rng.normal(0, 0.2, len(frame)), 0, 1)
    frame["selected"] = select_top(frame)
    report = audit_predictions(frame, groups=["disability"])
    y_row = report.summary.set_index("group").loc["Y"]
    assert (y_row["n"], y_row["n_enrollments"], y_row["status"]) == (100, 20, "too small")
    assert report.params["size_unit"] == "enrollments" and report.params["n_enrollments"] == n_enr
    # Without enrollment ids every row counts: 100 rows pass the bar of 30.
    rows_only = audit_predictions(frame, groups=["disability"], enrollment=None)
    assert rows_only.summary.set_index("group").loc["Y", "status"] == "ok"


def test_above_the_bound_by_chance_is_a_warning_not_a_flag():
    # Two small groups (40 enrollments each) from the same score model: ABROCA is well above
    # 0.05 by chance alone, the permutation test says so, and no flag is raised.
    rng = np.random.default_rng(12)
    y = (rng.random(80) < 0.4).astype(float)
    frame = pd.DataFrame({"y_true": y, "score": np.clip(0.4 + 0.1 * y + rng.normal(0, 0.15, 80), 0, 1),
                          "week": 1, "course_id": "A", "gender": np.repeat(["F", "M"], 40),
                          "learner_id": [f"L{i}" for i in range(80)]})
    frame["selected"] = select_top(frame)
    report = audit_predictions(frame, groups=["gender"], min_group_size=20)
    row = report.abroca.iloc[0]
    assert row["abroca"] > 0.05 and row["p_value"] > 0.05 and row["null_q95"] > row["abroca"]
    assert report.flags == []
    assert any(w.startswith("gender: ABROCA") and "not flagged" in w for w in report.warnings)
    # With the test turned off the bound alone decides.
    plain = audit_predictions(frame, groups=["gender"], min_group_size=20, n_permutations=0)
    assert plain.flagged == {"gender": pytest.approx(row["abroca"])}
    assert np.isnan(plain.abroca.iloc[0]["p_value"])


def test_a_base_rate_difference_is_flagged_on_selection_rates_not_on_abroca():
    # Group "Y" drops out twice as often and the (same, well-ranking) score model follows it:
    # the ROC curves agree, but Y is put on the risk list far more often.
    rng = np.random.default_rng(13)
    n = 4000
    g = rng.choice(["N", "Y"], n, p=[0.7, 0.3])
    y = rng.random(n) < np.where(g == "Y", 0.4, 0.2)
    frame = pd.DataFrame({"course_id": "A", "week": rng.integers(1, 5, n), "disability": g, "y_true": y.astype(float),
                          "score": 1 / (1 + np.exp(-(-2 + 2.5 * y + rng.normal(0, 1, n))))})
    frame["selected"] = select_top(frame)
    report = audit_predictions(frame, groups=["disability"])
    assert report.flagged == {}
    assert report.flagged_selection["disability"] < 0.6
    (flag,) = report.flags
    assert flag.startswith("disability: selection rates differ beyond the four-fifths bound")
    assert "group Y is put on the risk list" in flag and "observed event rates" in flag
    sel = report.gaps[(report.gaps["week"] == "all") & (report.gaps["metric"] == "selection_rate")].iloc[0]
    assert sel["p_adjusted"] < 0.05 and sel["ratio"] < sel["null_q05"]


def test_holm_adjustment_and_too_few_permutations():
    from learnrisk.fairness._null import holm_adjust

    # Sorted p: .01 (x3 = .03), .03 (x2 = .06), .04 (x1 = .04 -> kept monotone at .06).
    adjusted = holm_adjust({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06})
    frame = scored_rows(n=600, seed=14)
    frame["disability"] = np.random.default_rng(0).choice(["N", "Y"], 600)
    report = audit_predictions(frame, groups=["gender", "disability"], n_permutations=20)
    assert any("no flag can reach alpha" in w and "n_permutations >= 80" in w for w in report.warnings)


def test_gaps_carry_fairlearn_bootstrap_intervals_when_asked():
    frame = scored_rows(n=1200, effect="strong", seed=4, weeks=2)
    frame["learner_id"] = np.arange(len(frame)) // 2  # two weekly rows per enrollment
    frame["course_id"] = "A-2023"
    report = audit_predictions(frame, groups=["gender"], n_permutations=0, n_boot=30, min_group_size=10)
    pooled = report.gaps[report.gaps["week"] == "all"].set_index("metric")
    assert {"gap_low", "gap_high", "ratio_low", "ratio_high"} <= set(report.gaps.columns)
    assert report.params["n_boot"] == 30
    auc = pooled.loc["roc_auc"]  # a large gap: its interval holds the observed value
    assert auc["gap_low"] <= auc["gap"] <= auc["gap_high"] and auc["gap_low"] > 0.1
    assert auc["ratio_low"] <= auc["ratio"] <= auc["ratio_high"] <= 1
    assert (pooled["gap_low"] <= pooled["gap_high"]).all()
    # per week: no intervals; default n_boot=0: none at all, the other columns unchanged
    assert report.gaps.loc[report.gaps["week"] != "all", "gap_low"].isna().all()
    plain = audit_predictions(frame, groups=["gender"], n_permutations=0, min_group_size=10)
    assert plain.gaps["gap_low"].isna().all()
    cols = [c for c in plain.gaps.columns if c not in ("gap_low", "gap_high", "ratio_low", "ratio_high")]
    pd.testing.assert_frame_equal(plain.gaps[cols], report.gaps[cols])
    assert "gap 95 % (bootstrap)" in report.to_markdown() and "gap 95 %" not in plain.to_markdown()
    with pytest.raises(FairnessAuditError, match="n_boot"):
        audit_predictions(frame, groups=["gender"], n_boot=-1)
