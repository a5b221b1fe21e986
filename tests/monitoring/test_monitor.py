"""`monitor`'s figures equal hand-computed ones on a small constructed case.

Course C1 runs 2024-01-01 .. 2024-04-01 (finished: outcomes known); C2 is still running (no
outcome). Three published lists (risks, band, contact now):

    learner  outcome (not passing?)   01-08             01-15             01-22
    A        withdrawn 01-20 (yes)    .80 high  now     .30 low           (withdrawn)
    B        pass (no)                .70 high  now     .60 high  now     .60 high  now
    C        fail (yes)               .40 medium        .40 medium        .50 high
    D        withdrawn 02-01 (yes)    .20 low           .55 high  now     .30 medium
    E        withdrawn 03-01 (yes)    .10 low           .10 low           .10 low
    F        pass (no)                .05 low           .05 low           .10 low
    G (C2)   running (unlabelled)     .90 high  now     —                 —

B has an action done on 01-16 (an intervention reached a listed learner); nobody else has one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.errors import MonitorError
from learnrisk.metrics import clustered_wilson_interval
from learnrisk.monitoring import monitor, wilson_interval

LISTS = {
    "2024-01-08": [("C1", "A", .80, "high", True), ("C1", "B", .70, "high", True), ("C1", "C", .40, "medium", False),
                   ("C1", "D", .20, "low", False), ("C1", "E", .10, "low", False), ("C1", "F", .05, "low", False),
                   ("C2", "G", .90, "high", True)],
    "2024-01-15": [("C1", "A", .30, "low", False), ("C1", "B", .60, "high", True), ("C1", "C", .40, "medium", False),
                   ("C1", "D", .55, "high", True), ("C1", "E", .10, "low", False), ("C1", "F", .05, "low", False)],
    "2024-01-22": [("C1", "B", .60, "high", True), ("C1", "C", .50, "high", False), ("C1", "D", .30, "medium", False),
                   ("C1", "E", .10, "low", False), ("C1", "F", .10, "low", False)],
}  # fmt: skip


def _data(actions: bool = True) -> LearningData:
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    courses = pd.DataFrame({"course_id": ["C1", "C2"], "course_code": ["C", "K"],
                            "start": [ts("2024-01-01"), ts("2024-01-01")], "end": [ts("2024-04-01"), ts("2024-06-01")]})
    ids = list("ABCDEF")
    enr = pd.DataFrame({
        "learner_id": ids + ["G"], "course_id": ["C1"] * 6 + ["C2"], "registered_at": [ts("2023-12-20")] * 7,
        "withdrawn_at": [ts("2024-01-20"), pd.NaT, pd.NaT, ts("2024-02-01"), ts("2024-03-01"), pd.NaT, pd.NaT],
        "outcome": ["withdrawn", "pass", "fail", "withdrawn", "withdrawn", "pass", None],
    })  # fmt: skip
    act = pd.DataFrame({"learner_id": ["B"], "course_id": ["C1"], "timestamp": [ts("2024-01-03")], "activity_type": ["page"], "clicks": [1]})
    assess = pd.DataFrame({"assessment_id": ["T1"], "course_id": ["C1"], "kind": ["quiz"], "due_at": [ts("2024-02-01")], "weight": [1.0]})
    subs = pd.DataFrame({"learner_id": ["B"], "assessment_id": ["T1"], "submitted_at": [ts("2024-01-30")], "score": [70.0]})
    acts = pd.DataFrame({"learner_id": ["B"], "course_id": ["C1"], "acted_at": [ts("2024-01-16 10:00")],
                         "intervention_id": ["tutor_call"], "status": ["done"]})  # fmt: skip
    return LearningData(courses, pd.DataFrame({"learner_id": ids + ["G"]}), enr, act, assess, subs,
                        actions=acts if actions else None)  # fmt: skip


def _write_lists(out: Path) -> Path:
    for as_of, rows in LISTS.items():
        f = pd.DataFrame(rows, columns=["course_id", "learner_id", "risk", "band", "contact_now"])
        f["p_underperformance"] = 0.1
        (out / as_of).mkdir(parents=True)
        f.to_parquet(out / as_of / "risk_list.parquet")
    return out


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = _write_lists(tmp_path_factory.mktemp("lists"))
    return monitor(out, _data())


def _row(res, as_of, course="C1"):
    q = res.quality
    return q[(q["as_of"] == as_of) & (q["course_id"] == course)].iloc[0]


def test_precision_recall_auc_ece_churn_by_hand(result):
    r1, r2, r3 = (_row(result, d) for d in LISTS)
    # 01-08: positives A C D E; now {A, B}: 1 of 2; listed {A, B, C}: 2 of 3
    assert (r1.n_labelled, r1.positives, r1.n_now, r1.tp_now) == (6, 4, 2, 1)
    assert r1.precision_now == 1 / 2 and r1.recall_now == 1 / 4
    assert r1.precision_listed == pytest.approx(2 / 3) and r1.recall_listed == 2 / 4
    # AUC: positive-negative pairs ranked right: A>B, A>F, C>F, D>F, E>F of 8
    assert r1.auc == pytest.approx(5 / 8)
    # ECE: |1-.8| + |0-.7| + |1-.4| + |1-.2| + |1-.1| + |0-.05|, one learner per bin, / 6
    assert r1.ece == pytest.approx(3.25 / 6)
    assert np.isnan(r1.churn)  # the first list has nothing to compare with
    assert r1.n_acted == 1  # B, acted on 01-16
    # 01-15: now {B, D}: D; listed {B, C, D}: C, D; D is new: churn 1/3
    assert (r2.tp_now, r2.n_now, r2.tp_listed, r2.n_listed) == (1, 2, 2, 3)
    assert r2.churn == pytest.approx(1 / 3) and r2.n_acted == 1
    # 01-22 (A withdrew): positives C D E; now {B}: none; listed {B, C, D}; nobody new
    assert (r3.positives, r3.tp_now, r3.n_now, r3.recall_listed) == (3, 0, 1, pytest.approx(2 / 3))
    assert r3.churn == 0 and r3.n_acted == 0


def test_intervals_running_offering_and_pooled(result):
    r1 = _row(result, "2024-01-08")
    assert (round(r1.precision_now_lo, 4), round(r1.precision_now_hi, 4)) == (0.0945, 0.9055)
    assert (r1.recall_now_lo, r1.recall_now_hi) == wilson_interval(1, 4)
    c2 = _row(result, "2024-01-08", "C2")  # still running: no label, no figure
    assert c2.n_scored == 1 and c2.n_labelled == 0 and np.isnan(c2.precision_now)
    pooled = _row(result, "2024-01-08", "all")
    assert pooled.n_scored == 7 and pooled.n_labelled == 6 and pooled.precision_now == 1 / 2
    o = result.overall()
    assert (o["n_now"], o["tp_now"], o["positives"]) == (5, 2, 11)
    assert o["precision_now"] == pytest.approx(2 / 5) and o["recall_now"] == pytest.approx(2 / 11)
    assert result.period == "2024-01-08_2024-01-22"
    assert result.summary.loc["2024-01-15", "churn"] == pytest.approx(1 / 3)
    assert any("still running" in n for n in result.notes)


def test_missed_repeated_touched(result):
    assert result.missed[["learner_id", "outcome"]].values.tolist() == [["E", "withdrawn"]]
    # B and C listed three times; B has an action recorded, C none
    assert result.repeated["learner_id"].tolist() == ["C"] and result.repeated["n_listed"].tolist() == [3]
    assert result.touched[["learner_id", "acted_at", "intervention_id"]].values.tolist() == [["B", "2024-01-16", "tutor_call"]]
    assert any("may have been changed" in n for n in result.notes)


def test_files_period_and_errors(tmp_path):
    out = _write_lists(tmp_path / "lists")
    res = monitor(out, _data(actions=False), period=("2024-01-15", None))
    assert res.lists == ["2024-01-15", "2024-01-22"] and res.period == "2024-01-15_2024-01-22"
    assert res.repeated.empty  # nobody listed three times within the period
    saved = json.loads(res.paths["monitor.json"].read_text())
    assert saved["overall"]["tp_now"] == 1 and saved["lists"] == res.lists
    page = res.paths["monitor.html"].read_text()
    assert "How the published lists did" in page and "<link" not in page and "E" in page
    assert res.paths["monitor.json"].parent == out / "monitor" / "2024-01-15_2024-01-22"
    assert any("no actions table" in n for n in res.notes)
    with pytest.raises(MonitorError, match="no published list"):
        monitor(out, _data(), period=("2025-01-01", None), out=False)
    with pytest.raises(MonitorError, match="before it starts"):
        monitor(out, _data(), period=("2024-02-01", "2024-01-01"), out=False)


def test_the_list_of_an_overdue_model_is_judged_on_overdue(tmp_path):
    """A corporate list (``main_risk`` overdue: open assignments) is measured against the overdue
    label, not against withdrawal (which corporate data hardly have)."""
    from learnrisk import build_features, make_labels, synthetic
    from learnrisk.features import open_assignments

    data = synthetic.generate(n_learners=160, seed=3, scenario="corporate")
    as_of = pd.Timestamp("2025-06-02", tz="UTC")
    f = build_features(data, as_of=as_of)
    f = f[open_assignments(data, f)].reset_index(drop=True)
    risk = (-f["progress_gap"].fillna(0)).rank(pct=True).to_numpy()
    band = np.where(risk > 0.7, "high", "low")
    rows = pd.DataFrame({"course_id": f["course_id"], "learner_id": f["learner_id"], "risk": risk, "band": band,
                         "contact_now": band == "high", "p_underperformance": np.nan, "main_risk": "overdue"})
    (tmp_path / "2025-06-02").mkdir()
    rows.to_parquet(tmp_path / "2025-06-02" / "risk_list.parquet")
    y = make_labels(data, f.assign(cutoff=as_of), "overdue")
    res = monitor(tmp_path, data, out=False)
    q = res.quality[res.quality["course_id"] == "all"].iloc[0]
    assert q["target"] == "overdue"
    assert (q["n_labelled"], q["positives"]) == (int(y.notna().sum()), int(y.sum()))
    assert q["positives"] > 0 and q["tp_listed"] == int(y[band == "high"].sum())


def test_held_out_learners_count_as_scored_and_listed_by_the_model(tmp_path):
    """A learner kept out of the advisors' list by the hold-out (holdout.csv) was still scored and
    listed by the model: the figures are those of the list before the hold-out."""
    out = _write_lists(tmp_path / "lists")
    path = out / "2024-01-08" / "risk_list.parquet"
    rows = pd.read_parquet(path)
    held = rows["learner_id"].eq("C")
    rows[~held].to_parquet(path)
    rows[held].drop(columns="contact_now").assign(as_of="2024-01-08", week=1, rank=3, p_dropout=0.4).to_csv(
        out / "2024-01-08" / "holdout.csv", index=False
    )
    r1 = _row(monitor(out, _data(), out=tmp_path / "m"), "2024-01-08")
    assert (r1.n_labelled, r1.positives, r1.n_now, r1.tp_now) == (6, 4, 2, 1)
    assert r1.precision_listed == pytest.approx(2 / 3) and r1.auc == pytest.approx(5 / 8)


# ------------------------------------------------------------------ pooled intervals: the learner is the unit
def _repeated_lists(out: Path, k: int) -> tuple[Path, LearningData]:
    """30 learners of a finished course, the same list published ``k`` weeks running: 12 to
    contact now (5 of them fail), 8 more listed (3 fail), 10 low (2 fail)."""
    ts = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    ids = [f"L{i:02d}" for i in range(30)]
    fails = set(ids[:5]) | set(ids[12:15]) | set(ids[20:22])
    band = ["high"] * 12 + ["medium"] * 8 + ["low"] * 10
    rows = pd.DataFrame({"course_id": "C1", "learner_id": ids, "risk": np.linspace(0.9, 0.05, 30), "band": band,
                         "contact_now": [i < 12 for i in range(30)], "p_underperformance": 0.1})  # fmt: skip
    for w in range(k):
        folder = out / f"{pd.Timestamp('2024-01-08') + pd.Timedelta(weeks=w):%Y-%m-%d}"
        folder.mkdir(parents=True)
        rows.to_parquet(folder / "risk_list.parquet")
    courses = pd.DataFrame({"course_id": ["C1"], "course_code": ["C"], "start": [ts("2024-01-01")], "end": [ts("2024-04-01")]})
    enr = pd.DataFrame({"learner_id": ids, "course_id": "C1", "registered_at": ts("2023-12-20"), "withdrawn_at": pd.NaT,
                        "outcome": ["fail" if i in fails else "pass" for i in ids]})  # fmt: skip
    act = pd.DataFrame({"learner_id": ["L00"], "course_id": ["C1"], "timestamp": [ts("2024-01-03")], "activity_type": ["page"], "clicks": [1]})
    assess = pd.DataFrame({"assessment_id": ["T1"], "course_id": ["C1"], "kind": ["quiz"], "due_at": [ts("2024-02-01")], "weight": [1.0]})
    subs = pd.DataFrame({"learner_id": ["L00"], "assessment_id": ["T1"], "submitted_at": [ts("2024-01-30")], "score": [70.0]})
    return out, LearningData(courses, pd.DataFrame({"learner_id": ids}), enr, act, assess, subs)


def test_pooled_interval_of_k_identical_lists_is_as_wide_as_one_list(tmp_path):
    """Each learner in 4 identical lists: 4 times the rows, no more information. The pooled
    interval is that of one list (learner as the unit), not the 2x narrower Wilson interval of
    the 48 pooled rows."""
    k = 4
    out, data = _repeated_lists(tmp_path / "lists", k)
    res = monitor(out, data, out=False)
    one = _row(res, "2024-01-08")
    assert (one.n_now, one.tp_now, one.positives) == (12, 5, 10)
    assert (one.precision_now_lo, one.precision_now_hi) == pytest.approx(wilson_interval(5, 12))
    o = res.overall()
    assert (o["n_now"], o["tp_now"], o["positives"]) == (k * 12, k * 5, k * 10)
    assert o["precision_now"] == pytest.approx(5 / 12) and o["recall_listed"] == pytest.approx(8 / 10)
    for kind, tp, n, pos in (("now", 5, 12, 10), ("listed", 8, 20, 10)):
        assert (o[f"precision_{kind}_lo"], o[f"precision_{kind}_hi"]) == pytest.approx(wilson_interval(tp, n))
        assert (o[f"recall_{kind}_lo"], o[f"recall_{kind}_hi"]) == pytest.approx(wilson_interval(tp, pos))
    naive = wilson_interval(k * 5, k * 12)  # what pooling the rows as independent said
    width = o["precision_now_hi"] - o["precision_now_lo"]
    assert width > 1.8 * (naive[1] - naive[0])
    course = res.courses.iloc[0]
    assert (course["precision_now_lo"], course["precision_now_hi"]) == pytest.approx(wilson_interval(5, 12))
    assert len(res.learners) == 30 and res.learners["n_now"].max() == k


def test_pooled_interval_worked_example(result):
    """The worked example: contact now pooled 2 of 5 rows; A(1 of 1), B(0 of 3), D(1 of 1)."""
    lr = result.learners.set_index("learner_id")
    assert lr.loc[["A", "B", "D"], ["n_now", "tp_now"]].to_numpy().tolist() == [[1, 1], [3, 0], [1, 1]]
    o = result.overall()
    assert (o["precision_now_lo"], o["precision_now_hi"]) == clustered_wilson_interval([1, 0, 1], [1, 3, 1])
    assert o["precision_now_hi"] - o["precision_now_lo"] > np.subtract(*wilson_interval(2, 5)[::-1])


def test_clustered_wilson_is_wilson_with_one_row_per_learner():
    rng = np.random.default_rng(0)
    for n in (1, 5, 37):
        y = (rng.random(n) < 0.3).astype(int)
        assert clustered_wilson_interval(y, np.ones(n)) == pytest.approx(wilson_interval(y.sum(), n))
    assert all(np.isnan(clustered_wilson_interval([], [])))
    # all alike (p = 0): the unit count is the number of learners, not of rows
    assert clustered_wilson_interval([0, 0, 0], [5, 5, 5]) == pytest.approx(wilson_interval(0, 3))


def test_pooled_interval_coverage_by_simulation():
    """200 replicates of 40 learners: learner i fails or not (y_i, probability 0.4) and is listed
    1 + Poisson(3 if y_i else 1.5) times; the known pooled precision is
    0.4 * 4 / (0.4 * 4 + 0.6 * 2.5). The learner-as-unit interval covers it about 95 % of the
    time; the Wilson interval of the pooled rows (as if independent) far less."""
    rng = np.random.default_rng(7)
    true = 0.4 * 4 / (0.4 * 4 + 0.6 * 2.5)
    reps, clustered, naive = 200, 0, 0
    for _ in range(reps):
        y = rng.random(40) < 0.4
        n = 1 + rng.poisson(np.where(y, 3.0, 1.5))
        lo, hi = clustered_wilson_interval(n * y, n)
        clustered += lo <= true <= hi
        lo, hi = wilson_interval((n * y).sum(), n.sum())
        naive += lo <= true <= hi
    assert 0.90 <= clustered / reps <= 0.99, clustered
    assert naive / reps < 0.80, naive
