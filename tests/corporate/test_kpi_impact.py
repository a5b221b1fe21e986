"""kpi-impact recovers the known training effect within its interval, and finds none when it is zero."""

from __future__ import annotations

import pytest

from learnrisk.errors import KpiImpactError
from learnrisk.impact import kpi_impact


def test_recovers_the_known_effect(company):
    data, truth = company
    res = kpi_impact(data, truth.kpi_course, truth.kpi_metric, n_boot=300)
    low, high = res.interval
    assert low <= truth.kpi_effect <= high and low > 0
    assert "not proof" in res.text and "parallel trends" in res.text
    assert set(res.summary.index) >= {"all", "Sales"}
    pre = res.event_study[res.event_study["event_month"] < 0]["difference"]
    assert pre.abs().max() < 2.0  # flat before completion: the parallel trends are there


def test_finds_no_effect_when_there_is_none(company_no_effect):
    res = kpi_impact(company_no_effect, "SKILLS", "productivity", n_boot=300)
    low, high = res.interval
    assert low <= 0.0 <= high


def test_errors_name_what_exists(company):
    data, _ = company
    with pytest.raises(KpiImpactError, match="known course codes: COMPLIANCE"):
        kpi_impact(data, "NOPE", "productivity")
    with pytest.raises(KpiImpactError, match="this data has: productivity"):
        kpi_impact(data, "SKILLS", "sales")
    with pytest.raises(KpiImpactError, match="at least 1 bootstrap replicate"):
        kpi_impact(data, "SKILLS", "productivity", n_boot=0)
