"""Shared fixtures of the impact tests.

``oracle``: a synthetic world with its outcomes (800 learners, uncut) and lists built from the
generator's own probabilities (no model: what is tested is the loop, not the model): every
offering at weeks 3 and 5, learners of combined risk >= 0.25 listed (>= 0.5 high), half of them
held out by the job's hash. ``scored``: a small world scored by the real weekly job (a
logistic model, one list with a hold-out) into a folder, with the data saved as Parquet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import learnrisk
from learnrisk import synthetic, targets
from learnrisk.scoring import holdout_mask
from learnrisk.training import RiskModel

AS_OF = "2014-11-03"


def oracle_listings(data, truth, share: float = 0.5, salt: str = "t", weeks=(3, 5)) -> pd.DataFrame:
    """What the weekly job would have published with perfect probabilities, as read_lists gives it."""
    t = truth[truth["week"].isin(weeks)].copy()
    start = data.courses.set_index("course_id")["start"]
    t["as_of"] = t["course_id"].map(start) + pd.to_timedelta(7 * t["week"], unit="D")
    t["risk"] = 1 - (1 - t["p_dropout"]) * (1 - t["p_underperformance"])
    t["band"] = np.where(t["risk"] >= 0.5, "high", np.where(t["risk"] >= 0.25, "medium", "low"))
    t = t[t["band"] != "low"].reset_index(drop=True)
    t["held_out"] = holdout_mask(t["course_id"], t["learner_id"], share, salt)
    t["holdout_share"] = share
    return t[["as_of", "course_id", "learner_id", "week", "p_dropout", "p_underperformance", "risk", "band", "held_out", "holdout_share"]]


@pytest.fixture(scope="session")
def oracle():
    data, truth = synthetic.generate(n_learners=800, seed=11, return_truth=True)
    return {"data": data, "truth": truth, "listings": oracle_listings(data, truth)}


@pytest.fixture(scope="session")
def scored(tmp_path_factory):
    """A small world (300 learners, outcomes known), its Parquet folder, a dropout model and
    one list written with a 30 % hold-out."""
    base = tmp_path_factory.mktemp("impact-scored")
    data = synthetic.generate(n_learners=300, seed=3)
    data.to_parquet(base / "data")
    old = data.select_courses([c for c in data.courses["course_id"] if not c.endswith("2014J")])
    feats = learnrisk.build_features(old, weeks=range(1, 9))
    y = targets.make_labels(old, feats, "dropout")
    model = RiskModel("logistic", target="dropout").fit(feats[y.notna()], y[y.notna()])
    model.save(base / "model")
    result = learnrisk.score(data, AS_OF, model, out=base / "lists", top_k=5, bands=(0.3, 0.1), holdout=0.3, holdout_salt="x")
    return {"base": base, "data": data, "data_path": base / "data", "model": model, "result": result, "lists": base / "lists"}


@pytest.fixture
def run_cli(capsys):
    """Run ``learnrisk ...`` in this process; return (exit code, stdout, stderr)."""
    from tests.conftest import run_cli as run

    return lambda *args: run(capsys, *args)
