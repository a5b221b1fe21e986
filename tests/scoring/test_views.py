"""Views people act on: probability bands, the contact-now cut, tie order, caseloads, drift, models line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.errors import ScoringError
from learnrisk.scoring import score
from learnrisk.scoring._report import effect_words, render_report
from learnrisk.scoring._summary import model_info
from tests.scoring.conftest import AS_OF


@pytest.fixture(scope="module")
def default(world):
    return score(world["data"], AS_OF, world["dropout"], world["under"], top_k=4)


def test_bands_follow_calibrated_probability(default):
    rl = default.risk_list
    assert default.summary["bands"]["rule"] == "thresholds"
    assert (default.summary["bands"]["high"], default.summary["bands"]["medium"]) == (0.5, 0.25)
    order = {"high": 2, "medium": 1, "low": 0}
    level = rl["band"].map(order)
    for lo in (0, 1):  # nobody in a band below another has a higher probability than anyone in it
        if (level > lo).any() and (level == lo).any():
            assert rl.loc[level == lo, "risk"].max() < rl.loc[level > lo, "risk"].min()
    assert (rl.loc[rl["risk"] >= 0.5, "band"] == "high").all()
    assert (rl.loc[rl["risk"] < 0.25, "band"] == "low").all()


def test_contact_now_is_the_capacity_cut_among_listed(default):
    rl = default.risk_list
    for _, g in rl.groupby("course_id"):
        listed = g[g["band"] != "low"].sort_values("rank")
        assert g.loc[g["contact_now"], "learner_id"].tolist() == listed["learner_id"].head(4).tolist()
    assert default.summary["counts"]["total"]["contact_now"] == int(rl["contact_now"].sum())


def test_ties_are_ordered_by_the_raw_score_and_shown(default, world):
    rl = default.risk_list
    for _, g in rl.groupby("course_id"):
        same = g["risk"].diff().eq(0)
        assert (g["raw_score"].diff()[same] <= 0).all()
    # the raw score is the models' decision_function, combined like the risk
    raw = rl["raw_score"].to_numpy()
    assert np.isfinite(raw).all() and len(np.unique(raw)) > len(rl) // 2
    top = rl.iloc[0]
    assert f"score {top['raw_score']:.2f}" in default.report_html


def test_learner_facts(default, world):
    rl = default.risk_list
    assert (rl["missed_assessments"] >= 0).all()
    act = world["data"].activity
    t = pd.Timestamp(AS_OF, tz="UTC")
    row = rl[rl["last_active"] != ""].iloc[0]
    mine = act[(act["learner_id"] == row["learner_id"]) & (act["course_id"] == row["course_id"]) & (act["timestamp"] < t)]
    assert mine["timestamp"].max().strftime("%Y-%m-%d") == row["last_active"]


def _assignment(world) -> pd.DataFrame:
    e = world["data"].enrollments[["learner_id", "course_id"]].astype("str")
    # ann: all of AAA and the even learners of BBB; bo: the odd learners of BBB and all of CCC
    even = e["learner_id"].str[-1].astype(int) % 2 == 0
    ann = e[e["course_id"].str.startswith("AAA") | (e["course_id"].str.startswith("BBB") & even)]
    bo = e[e["course_id"].str.startswith("CCC") | (e["course_id"].str.startswith("BBB") & ~even)]
    return pd.concat([ann.assign(advisor="ann", capacity=6), bo.assign(advisor="bo lee", capacity=None)])


def test_caseload_is_the_union_of_course_lists_cut_at_capacity(world, tmp_path):
    table = _assignment(world)
    (tmp_path / "caseload.csv").write_text(table.to_csv(index=False))
    res = score(
        world["data"], AS_OF, world["dropout"], world["under"], top_k=4, by="advisor",
        caseload=tmp_path / "caseload.csv", capacity=5, out=tmp_path / "out",
    )
    rl = res.risk_list
    assert set(res.caseloads) == {"ann", "bo lee"}
    for advisor, cap in (("ann", 6), ("bo lee", 5)):
        mine = table[table["advisor"] == advisor][["course_id", "learner_id"]]
        courses = rl.merge(mine, on=["course_id", "learner_id"])
        union = courses[courses["band"] != "low"].sort_values(
            ["risk", "raw_score", "course_id", "learner_id"], ascending=[False, False, True, True]
        )
        got = res.caseloads[advisor]
        assert list(zip(got["course_id"], got["learner_id"])) == list(zip(union["course_id"], union["learner_id"]))[:cap]
        assert got["caseload_rank"].tolist() == list(range(1, len(got) + 1))
        assert len(got) <= cap and got["course_id"].nunique() >= 1
    # contact_now follows the advisors' cuts
    cut = {k for c in res.caseloads.values() for k in zip(c["course_id"], c["learner_id"])}
    assert set(zip(rl.loc[rl["contact_now"], "course_id"], rl.loc[rl["contact_now"], "learner_id"])) == cut
    folder = res.folder / "caseload"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{s}.{x}" for s in ("ann", res.summary["caseloads"]["bo lee"]["file"]) for x in ("csv", "html")]
    )
    page = (folder / "ann.html").read_text()
    assert "Caseload of ann" in page and "capacity of 6" in page
    csv = pd.read_csv(folder / "ann.csv", dtype={"learner_id": "str"})
    assert csv["learner_id"].tolist() == res.caseloads["ann"]["learner_id"].tolist()


def test_caseload_from_the_enrollments_advisor_column(world):
    tables = world["data"].tables()
    tables["enrollments"] = tables["enrollments"].assign(advisor=np.where(tables["enrollments"].index % 2, "x", "y"))
    res = score(LearningData(**tables), AS_OF, world["dropout"], top_k=3, by="advisor")
    assert set(res.caseloads) == {"x", "y"} and all(len(c) <= 3 for c in res.caseloads.values())
    assert set(res.risk_list["advisor"]) <= {"x", "y"}
    with pytest.raises(ScoringError, match="advisor"):
        score(world["data"], AS_OF, world["dropout"], by="advisor")


def test_cli_by_advisor(world, tmp_path, run_cli):
    (tmp_path / "c.csv").write_text(_assignment(world).to_csv(index=False))
    code, out, err = run_cli(
        "score", "--data", world["data_path"], "--as-of", AS_OF, "--model", world["dropout_path"],
        "--out", tmp_path / "out", "--by", "advisor", "--caseload", tmp_path / "c.csv", "--capacity", "3",
    )
    assert code == 0, err
    assert "caseloads of 2 advisors" in out
    assert (tmp_path / "out" / AS_OF / "caseload" / "ann.csv").exists()


def test_drift_box_is_empty_on_unchanged_data(default):
    assert default.summary["drift_sentence"] == ""
    assert all(not d["warnings"] for d in default.summary["drift"].values())
    assert 'id="drift"' not in default.report_html


def test_drift_is_one_plain_sentence(world):
    tables = world["data"].tables()
    tables["activity"] = tables["activity"].assign(clicks=tables["activity"]["clicks"] * 20)
    res = score(LearningData(**tables), AS_OF, world["dropout"], top_k=3)
    sentence = res.summary["drift_sentence"]
    assert sentence.count(".") == 1 and "PSI" not in sentence and "same course week" in sentence
    box = res.report_html.split('id="drift"')[1].split("</div>")[0]
    assert "PSI" not in box and "Data drift warning" in box


def test_models_line_names_alias_and_flags_the_gate(world):
    m = world["dropout"]
    saved = dict(m.metadata)
    try:
        m.metadata.update({"name": "learnrisk-dropout", "version": "3"})
        info = model_info(m, "models:/learnrisk-dropout@champion")
        assert info["label"] == "learnrisk-dropout v3 @champion" and info["status"] == "champion"
        info = model_info(m, "models:/learnrisk-dropout@challenger")
        assert info["status"] == "not promoted" and "(not promoted)" in info["label"]
        m.metadata["gate"] = "failed"
        info = model_info(m, "models:/learnrisk-dropout/3")
        assert info["status"] == "refused by the quality gate"
        res = score(world["data"], AS_OF, m, top_k=3)
        assert '<span class="flag">learnrisk-dropout v3 (refused by the quality gate)</span>' in res.report_html
    finally:
        m.metadata.clear()
        m.metadata.update(saved)
    assert "passed in memory" in model_info(m, None)["label"]


def test_stale_data_banner(default):
    s = dict(default.summary, data_warnings=[{"message": "The newest activity is 40 days old."}, "Second warning."])
    from learnrisk.scoring._overview import course_overviews

    html = render_report(
        as_of=pd.Timestamp(AS_OF, tz="UTC"), overviews=[], risk_list=default.risk_list, details={}, summary=s
    )
    banner = html.split('id="stale"')[1].split("</div>")[0]
    assert "40 days old" in banner and "Second warning." in banner
    assert course_overviews  # the page renders without course sections too


def test_effect_of_an_intervention_for_a_saturated_learner():
    words = effect_words(0.995, 0.002, [0.999, 0.996, 0.995, 0.994, 0.5])
    assert "odds about 29% lower" in words and "rank 3 → 4" in words
    assert effect_words(0.4, 0.0, [0.4]) == "no estimated change"


def test_one_driver_speaks_for_its_group():
    from learnrisk.scoring._job import shown_drivers

    g = pd.DataFrame(
        {
            "rank": [1, 2, 3, 4, 5],
            "driver": ["score_mean", "score_weighted", "score_z", "days_since_last_activity", "assessments_missed"],
            "group": ["scores", "scores", "scores", "engagement", "submissions"],
        },
        index=[10, 11, 12, 13, 14],
    )
    assert shown_drivers(g, set()).tolist() == [True, False, False, True, True]
    # a driver behind a recommended intervention is always shown
    assert shown_drivers(g, {"score_z"}).tolist() == [True, False, True, True, True]


def test_listed_drivers_in_plain_words(default):
    text = " | ".join(default.risk_list["drivers"])
    assert text and " SD " not in text and "log-odds" not in text and "PSI" not in text


def test_an_advisors_capacity_comes_from_any_row_and_must_agree():
    from learnrisk.scoring._caseload import assignments

    rows = pd.DataFrame(
        {"learner_id": ["a", "b", "c"], "course_id": ["X", "X", "Y"], "advisor": ["Ann", "Ann", "Bo"], "capacity": [None, 7, None]}
    )
    got = assignments(None, rows).set_index("learner_id")["capacity"]
    assert got["a"] == got["b"] == 7 and np.isnan(got["c"])  # Ann's capacity whichever row gives it
    rows.loc[0, "capacity"] = 3
    with pytest.raises(ScoringError, match="advisor 'Ann' has different capacities"):
        assignments(None, rows)


def test_report_shows_the_first_listed_learners_of_a_course_and_says_how_many_more(world, default, monkeypatch):
    """A course with thousands of listed learners (probability bands at scale) shows the top of
    its ranking on report.html and points at risk_list.csv for the others."""
    from learnrisk.scoring import _report

    rl = default.risk_list
    listed = rl[rl["band"] != "low"].groupby("course_id").size()
    assert (listed > 2).any()
    monkeypatch.setattr(_report, "REPORT_ROWS_PER_COURSE", 2)
    page = score(world["data"], AS_OF, world["dropout"], world["under"], top_k=4).report_html
    for course, n in listed.items():
        if n > 2:
            assert f"{n - 2} more listed learners, lower in the ranking, are not shown" in page
    assert "not shown on this page" not in default.report_html
