"""Fixtures of the explainer tests: a small synthetic cohort, its features, and fitted models.

Session-scoped: fitting LightGBM once for the whole folder keeps the tests fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.features import build_features, catalog
from learnrisk.targets import make_labels
from learnrisk.training import RiskModel


@pytest.fixture(scope="session")
def cohort_data():
    return synthetic.generate(n_learners=700, n_courses=2, offerings=2, seed=3)


@pytest.fixture(scope="session")
def labelled(cohort_data) -> tuple[pd.DataFrame, np.ndarray]:
    """Features at weeks 2, 4, 6 with sensitive attributes, and dropout labels."""
    feats = build_features(cohort_data, weeks=[2, 4, 6], include_sensitive=True)
    y = make_labels(cohort_data, feats, "dropout")
    keep = y.notna().to_numpy()
    return feats[keep].reset_index(drop=True), y[keep].to_numpy()


@pytest.fixture(scope="session")
def feats(labelled) -> pd.DataFrame:
    return labelled[0]


@pytest.fixture(scope="session")
def plain_columns(feats) -> list[str]:
    """Model columns without the sensitive attributes (the default of build_features)."""
    sensitive = set(catalog().query("sensitive")["name"])
    return [c for c in feats.columns if c not in ("learner_id", "course_id", "cutoff") and c not in sensitive]


@pytest.fixture(scope="session")
def tree_model(labelled, plain_columns) -> RiskModel:
    f, y = labelled
    return RiskModel("lightgbm", target="dropout").fit(f, y, columns=plain_columns)


@pytest.fixture(scope="session")
def linear_model(labelled, plain_columns) -> RiskModel:
    f, y = labelled
    return RiskModel("logistic", target="dropout").fit(f, y, columns=plain_columns)


@pytest.fixture(scope="session")
def sensitive_model(labelled) -> RiskModel:
    """A LightGBM model that was given the sensitive attributes (one-hot ``attr=value`` inputs)."""
    f, y = labelled
    return RiskModel("lightgbm", target="dropout").fit(f, y)


@pytest.fixture(scope="session")
def top_rows(feats, tree_model) -> np.ndarray:
    """Boolean mask of the top 10 % by risk (what a weekly list would explain)."""
    p = tree_model.predict_proba(feats)
    return p >= np.quantile(p, 0.9)
