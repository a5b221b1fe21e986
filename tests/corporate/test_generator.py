"""The corporate scenario: its tables, its HR changes and its oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.errors import SyntheticConfigError


def test_tables_and_contract(company):
    data, truth = company
    assert {"assignments", "hr", "kpis"} <= {n for n in ("assignments", "hr", "kpis") if getattr(data, n) is not None}
    assert set(data.courses["pacing"]) == {"self-paced"}
    a = data.assignments
    assert (a["due_at"] > a["assigned_at"]).all()
    # registration is the assignment: week 0 of a self-paced enrollment
    e = data.enrollments.merge(a, on=["learner_id", "course_id"])
    assert (e["registered_at"] == e["assigned_at"]).all()
    # second year's mandatory assignments renew the first year's
    rec = a[a["recertification_of"].notna()]
    assert len(rec) and rec["course_id"].str.endswith("-2025").all()
    assert set(rec["recertification_of"].str[-4:]) == {"2024"}
    # completion: pass with a date, else fail
    assert (e["outcome"] == "pass").eq(e["completed_at"].notna()).all()
    overdue = ~(e["completed_at"] <= e["due_at"])
    assert 0.1 < overdue.mean() < 0.5
    # promotions and transfers: some learners have several effective-dated HR rows
    assert data.hr.groupby("learner_id").size().max() >= 2
    assert truth.kpi_effect == 5.0 and truth.kpi_course == "SKILLS"


def test_oracle_is_a_probability_and_agrees_with_outcomes(company):
    data, truth = company
    o = truth.overdue
    assert o["p_overdue"].between(0, 1).all()
    e = data.enrollments.merge(data.assignments, on=["learner_id", "course_id"])
    e["y"] = (~(e["completed_at"] <= e["due_at"])).astype(float)
    m = o[o["week"] == 1].merge(e[["learner_id", "course_id", "y"]], on=["learner_id", "course_id"])
    # calibrated: the mean oracle probability is close to the observed rate
    assert abs(m["p_overdue"].mean() - m["y"].mean()) < 0.06
    assert m.loc[m["y"] == 1, "p_overdue"].mean() > m.loc[m["y"] == 0, "p_overdue"].mean() + 0.3


def test_as_of_cut_removes_the_future():
    data = synthetic.generate(n_learners=40, seed=1, scenario="corporate", as_of="2025-03-01")
    assert (data.activity["timestamp"] < "2025-03-01").all()
    assert (data.hr["effective_from"] < "2025-03-01").all()
    assert (data.enrollments["completed_at"].dropna() < "2025-03-01").all()
    assert data.enrollments["outcome"].isna().any()  # open assignments of running offerings


def test_bad_arguments():
    with pytest.raises(SyntheticConfigError, match="scenario"):
        synthetic.generate(scenario="factory")
    with pytest.raises(SyntheticConfigError, match="only with scenario='corporate'"):
        synthetic.generate(kpi_effect=1.0)
    with pytest.raises(SyntheticConfigError, match="years"):
        synthetic.generate(n_learners=40, scenario="corporate", years=1)


def test_contract_checks_of_the_corporate_tables(company):
    from learnrisk.errors import DataValidationError

    data, _ = company
    a = data.assignments.copy()
    a.loc[0, "required"] = 2
    e = data.enrollments.copy()
    e.loc[0, "completed_at"] = e.loc[0, "registered_at"] - pd.Timedelta(days=1)
    k = data.kpis.copy()
    k.loc[0, "subject_kind"] = "robot"
    with pytest.raises(DataValidationError) as err:
        data.replace(assignments=a, enrollments=e, kpis=k)
    text = str(err.value)
    assert "not 0 or 1" in text and "completed before registered" in text and "unknown kind" in text
    # completed_at is read as a time, like the contract's other times
    csv_like = data.enrollments.assign(completed_at=data.enrollments["completed_at"].astype(str).replace("NaT", None))
    assert str(data.replace(enrollments=csv_like).enrollments["completed_at"].dtype) == "datetime64[ns, UTC]"
