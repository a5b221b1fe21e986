"""One small synthetic company shared by the corporate tests (generated once per session)."""

from __future__ import annotations

import pytest

from learnrisk import synthetic


@pytest.fixture(scope="session")
def company():
    return synthetic.generate(n_learners=160, seed=3, scenario="corporate", return_truth=True)


@pytest.fixture(scope="session")
def company_no_effect():
    return synthetic.generate(n_learners=160, seed=3, scenario="corporate", kpi_effect=0.0)
