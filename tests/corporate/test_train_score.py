"""The overdue model end to end: temporal evaluation with baselines and the oracle; scoring with manager pages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # a trained model: about 20 s

import learnrisk


@pytest.fixture(scope="module")
def trained(company):
    data, truth = company
    return learnrisk.train(data, "overdue", weeks=range(1, 7), truth=truth.overdue, model="logistic", fairness=False)


def test_temporal_split_baselines_and_oracle(trained):
    model, report = trained
    assert model.target == "overdue"
    assert all(t.endswith("-2025") for t in report.test_offerings)
    assert all(t.endswith("-2024") for t in report.train_offerings)
    s = report.summary.loc["all"]
    assert 0.7 < s["auc"] <= s["auc_oracle"] and s["auc_rule"] > 0.6 and s["auc_logistic"] > 0.7
    assert 0.8 < s["auc_vs_oracle"] <= 1.0


def test_score_writes_manager_pages(company, trained, tmp_path):
    data, _ = company
    model, _ = trained
    as_of = "2025-06-02"
    res = learnrisk.score(data.replace(), as_of, model, out=tmp_path)
    risk = res.risk_list
    assert len(risk) and (risk["main_risk"] == "overdue").all() and risk["p_dropout"].isna().all()
    pages = [p for p in res.paths if p.startswith("manager/")]
    assert pages and all(res.paths[p].exists() for p in pages)
    html = res.paths[pages[0]].read_text()
    assert "Who to nudge first" in html and "nudge" in html
    # only open assignments are scored: nothing completed before the date or already due
    a = data.assignments.merge(data.enrollments, on=["learner_id", "course_id"]).set_index(["learner_id", "course_id"])
    rows = a.loc[list(zip(risk["learner_id"], risk["course_id"]))]
    assert (rows["due_at"] > as_of).all() and not (rows["completed_at"] < as_of).any()
