"""What the weekly list holds: population, probabilities, ranks, bands, drivers, change columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.errors import ScoringError
from learnrisk.scoring import parse_as_of, score
from learnrisk.scoring._job import compare_with_previous
from tests.scoring.conftest import AS_OF, NEXT_WEEK, as_of_ts


@pytest.fixture(scope="module")
def both(world):
    return score(world["data"], AS_OF, world["dropout"], world["under"], top_k=5, bands="capacity")


def _expected_population(data: LearningData, t: pd.Timestamp) -> set[tuple[str, str]]:
    c = data.courses
    running = set(c.loc[(c["start"] <= t) & (t < c["end"]), "course_id"])
    e = data.enrollments
    active = e["course_id"].isin(running) & (e["registered_at"] < t) & ~(e["withdrawn_at"] < t)
    return set(zip(e.loc[active, "course_id"], e.loc[active, "learner_id"]))


def test_scores_exactly_the_active_enrollments_of_running_offerings(world, both):
    t = as_of_ts(AS_OF)
    got = set(zip(both.risk_list["course_id"], both.risk_list["learner_id"]))
    assert got == _expected_population(world["data"], t)
    assert set(both.risk_list["course_id"]) == {"AAA-2014J", "BBB-2014J", "CCC-2014J"}
    assert len(both.risk_list) == both.summary["counts"]["total"]["enrollments"] > 50
    assert (both.risk_list["as_of"] == AS_OF).all()


def test_facts_on_or_after_the_as_of_date_do_not_change_the_list(world):
    """The same world cut at AS_OF (nothing after it) gives the same bytes as one cut a week later."""
    from learnrisk import synthetic
    from learnrisk.scoring._tables import csv_bytes

    cut = synthetic.generate(n_learners=300, seed=3, as_of=AS_OF)
    assert cut.activity["timestamp"].max() < as_of_ts(AS_OF) <= world["data"].activity["timestamp"].max()
    a = score(world["data"], AS_OF, world["dropout"], world["under"], top_k=5)
    b = score(cut, AS_OF, world["dropout"], world["under"], top_k=5)
    assert len(a.risk_list) > 0
    assert csv_bytes(a.risk_list) == csv_bytes(b.risk_list)


def test_learners_without_any_activity_are_scored(world):
    data = world["data"]
    t = as_of_ts(AS_OF)
    # add a learner who registered in a running offering and never clicked nor submitted
    tables = data.tables()
    tables["learners"] = pd.concat([tables["learners"], pd.DataFrame({"learner_id": ["GHOST"]})], ignore_index=True)
    row = tables["enrollments"].iloc[[0]].copy()
    row[["learner_id", "course_id"]] = ["GHOST", "AAA-2014J"]
    row["registered_at"] = t - pd.Timedelta(days=70)
    row["withdrawn_at"] = pd.NaT
    row["outcome"] = None
    tables["enrollments"] = pd.concat([tables["enrollments"], row], ignore_index=True)
    res = score(LearningData(**tables), AS_OF, world["dropout"], top_k=5)
    ghost = res.risk_list[res.risk_list["learner_id"] == "GHOST"]
    assert len(ghost) == 1 and ghost["course_id"].item() == "AAA-2014J"
    assert 0.0 < ghost["p_dropout"].item() <= 1.0


def test_combined_risk_ranks_and_capacity_bands(both):
    rl = both.risk_list
    expected = 1 - (1 - rl["p_dropout"]) * (1 - rl["p_underperformance"])
    np.testing.assert_allclose(rl["risk"], expected, atol=2e-6)
    for cid, g in rl.groupby("course_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        # highest risk first; ties broken by the raw score, then learner_id
        order = g.sort_values(["risk", "raw_score", "learner_id"], ascending=[False, False, True])
        assert order["learner_id"].tolist() == g["learner_id"].tolist()
        n = len(g)
        assert g["band"].tolist() == ["high"] * min(n, 5) + ["medium"] * min(max(n - 5, 0), 5) + ["low"] * max(n - 10, 0)
    main = np.where(rl["p_dropout"] >= rl["p_underperformance"], "dropout", "underperformance")
    assert rl["main_risk"].tolist() == main.tolist()


def test_only_listed_learners_are_explained(both):
    rl = both.risk_list
    listed = rl["band"] != "low"
    assert (rl.loc[~listed, "drivers"] == "").all()
    assert (rl.loc[~listed, "interventions"] == "").all()
    assert rl.loc[~listed, "best_reduction"].isna().all()
    assert (rl.loc[listed, "drivers"].str.len() > 0).all()
    sizes = rl.groupby("course_id").size()
    assert both.summary["population"]["enrollments_explained"] == listed.sum() == sizes.clip(upper=10).sum()
    # the reduction is in combined-risk units, never more than the risk itself
    has = rl["best_reduction"].notna()
    assert has.any()
    assert (rl.loc[has, "best_reduction"] <= rl.loc[has, "risk"] + 1e-9).all()
    # the report lists the same sentences
    first = rl.loc[listed, "drivers"].iloc[0].split(" | ")[0]
    assert first.replace("'", "&#39;") in both.report_html or first in both.report_html


def test_without_an_underperformance_model_the_risk_is_p_dropout(world):
    res = score(world["data"], AS_OF, world["dropout"], top_k=3)
    rl = res.risk_list
    assert rl["p_underperformance"].isna().all()
    assert rl["risk"].tolist() == rl["p_dropout"].tolist()
    assert (rl["main_risk"] == "dropout").all()
    assert list(res.summary["models"]) == ["dropout"]


def test_threshold_bands(world, both):
    res = score(world["data"], AS_OF, world["dropout"], world["under"], bands=(0.6, 0.3))
    rl = res.risk_list
    assert (rl.loc[rl["risk"] >= 0.6, "band"] == "high").all()
    assert (rl.loc[(rl["risk"] >= 0.3) & (rl["risk"] < 0.6), "band"] == "medium").all()
    assert (rl.loc[rl["risk"] < 0.3, "band"] == "low").all()
    assert res.summary["bands"]["rule"] == "thresholds"
    with pytest.raises(ScoringError, match="needs band thresholds in the model card"):
        score(world["data"], AS_OF, world["dropout"], bands="model")


def test_summary_fields(world, both):
    s = both.summary
    assert s["as_of"] == AS_OF
    assert s["data"]["digest"] == world["data"].digest()
    assert s["models"]["dropout"]["target"] == "dropout"
    assert s["models"]["underperformance"]["estimator"] == "logistic"
    counts = s["counts"]
    assert sum(c["enrollments"] for c in counts["courses"].values()) == counts["total"]["enrollments"]
    assert all(c["high"] == min(5, c["enrollments"]) for c in counts["courses"].values())
    assert all(c["high"] + c["medium"] + c["low"] == c["enrollments"] for c in counts["courses"].values())
    for target in ("dropout", "underperformance"):
        d = s["drift"][target]
        assert d["reference"] == "training rows of the same week"
        assert d["weeks"] == {"8": 8}
        assert set(d["psi"]) >= {"clicks_total", "week"}
        assert all(w["psi"] > 0.25 for w in d["warnings"])
    assert {"load_data", "features", "predict", "explain", "total"} <= set(s["timings"])
    json.dumps(s)  # serialisable as is


def test_drift_warning_when_the_population_shifts(world):
    # every learner's clicks multiplied by 20: engagement features move far from the reference
    tables = world["data"].tables()
    tables["activity"] = tables["activity"].assign(clicks=tables["activity"]["clicks"] * 20)
    res = score(LearningData(**tables), AS_OF, world["dropout"], top_k=3)
    warned = {w["feature"] for w in res.summary["drift"]["dropout"]["warnings"]}
    assert "clicks_total" in warned or "clicks_1w" in warned
    assert any("PSI" in line for line in res.summary["drift_warnings"])
    assert "Data drift warning" in res.report_html


def test_change_since_the_previous_list(world, tmp_path):
    first = score(world["data_path"], AS_OF, world["dropout_path"], world["under_path"], out=tmp_path, top_k=5)
    second = score(world["data_path"], NEXT_WEEK, world["dropout_path"], world["under_path"], out=tmp_path, top_k=5)
    assert first.summary["previous"] is None and first.risk_list["change"].isna().all()
    assert second.summary["previous"] == AS_OF
    prev = first.risk_list.set_index(["course_id", "learner_id"])
    rl = second.risk_list
    for r in rl.itertuples(index=False):
        key = (r.course_id, r.learner_id)
        listed = r.band != "low"
        if key not in prev.index:
            assert pd.isna(r.previous_risk)
            assert r.change == ("new" if listed else None) or (not listed and pd.isna(r.change))
            continue
        p = prev.loc[key]
        assert r.previous_rank == p["rank"] and r.previous_risk == p["risk"] and r.previous_band == p["band"]
        assert r.risk_change == pytest.approx(r.risk - p["risk"], abs=2e-6)
        if listed and p["band"] == "low":
            assert r.change == "new"
        elif r.risk_change >= 0.01:
            assert r.change == "up"
        elif r.risk_change <= -0.01:
            assert r.change == "down"
        else:
            assert r.change == "same"
    assert set(rl["change"].dropna()) <= {"new", "up", "down", "same"}
    assert (rl["change"] == "new").any() or (rl["change"] == "same").any()


def test_compare_with_previous_by_hand():
    now = pd.DataFrame(
        {
            "course_id": ["C"] * 4,
            "learner_id": ["a", "b", "c", "d"],
            "rank": [1, 2, 3, 4],
            "risk": [0.9, 0.5, 0.3, 0.1],
            "band": ["high", "high", "medium", "low"],
        }
    )
    prev = pd.DataFrame(
        {
            "course_id": ["C"] * 3,
            "learner_id": ["a", "b", "c"],
            "rank": [2, 1, 3],
            "risk": [0.85, 0.495, 0.2],
            "band": ["high", "high", "low"],
        }
    )
    out = compare_with_previous(now, prev)
    assert out["change"].tolist()[:3] == ["up", "same", "new"]  # +5 pts, +0.5 pt, listed now
    assert pd.isna(out["change"].iloc[3])  # not listed and not in the previous list
    assert out["previous_rank"].tolist()[:3] == [2, 1, 3]
    assert out["risk_change"].round(6).tolist()[:3] == [0.05, 0.005, 0.1]


def test_nothing_is_written_without_out(world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = score(world["data"], AS_OF, world["dropout"], top_k=3)
    assert res.paths == {} and res.folder is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [("2014-13-01", "is not a date"), ("2014-12-01 10:00", "has a time of day"), ("soon", "is not a date")],
)
def test_as_of_must_be_a_date(value, message):
    with pytest.raises(ScoringError, match=message):
        parse_as_of(value)


def test_an_unreadable_previous_list_is_reported_not_fatal(world, tmp_path):
    (tmp_path / "2014-11-24").mkdir()
    (tmp_path / "2014-11-24" / "risk_list.parquet").write_bytes(b"not parquet")
    (tmp_path / "2014-11-24" / "risk_list.csv").write_text("garbage\n")
    res = score(world["data"], AS_OF, world["dropout"], out=tmp_path, top_k=3)
    assert res.summary["previous"] is None
    assert res.risk_list["change"].isna().all()
    assert any("2014-11-24 could not be read" in line for line in res.summary["recovered"])
