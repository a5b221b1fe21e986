"""Features of a Parquet folder a batch of offerings at a time equal those of the whole folder."""

from __future__ import annotations

import pandas as pd

import learnrisk
from learnrisk.data._batches import event_counts, plan_batches
from learnrisk.features import write_features_by_offering
from learnrisk.synthetic import generate


def test_batches_of_offerings_give_the_rows_of_the_whole_folder(tmp_path):
    data = generate(n_learners=150, n_courses=2, offerings=2, seed=4, self_paced_courses=1)
    data.to_parquet(tmp_path / "data")
    events = event_counts(tmp_path / "data")
    assert events.to_dict() == data.activity.groupby("course_id").size().to_dict()
    budget = 20_000  # the largest offering (17,428 events) alone, two others paired
    assert 1 < len(plan_batches(data.courses["course_id"], events, budget)) < len(data.courses)
    n = write_features_by_offering(tmp_path / "data", tmp_path / "f.parquet", weeks=[1, 5, 9], max_events=budget)
    got = pd.read_parquet(tmp_path / "f.parquet")
    want = learnrisk.build_features(data, weeks=[1, 5, 9])
    assert n == len(want) > 0
    pd.testing.assert_frame_equal(got, want)
