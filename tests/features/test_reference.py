"""The fast builder and the plain per-cutoff pandas reference (benchmarks/) give the same features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.reference_features import reference_features
from learnrisk.features import KEY_COLUMNS, build_features
from learnrisk.synthetic import generate


def assert_same(fast: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(fast.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(fast[KEY_COLUMNS], ref[KEY_COLUMNS])
    for col in fast.columns[len(KEY_COLUMNS):]:
        np.testing.assert_allclose(
            fast[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=col
        )


def test_same_as_reference_on_the_tiny_log(tiny):
    weeks = range(0, 14)
    assert_same(build_features(tiny, weeks=weeks), reference_features(tiny, weeks))


@pytest.mark.parametrize("self_paced", [0, 1])
def test_same_as_reference_on_synthetic_data(self_paced):
    data = generate(n_learners=120 - 60 * self_paced, n_courses=2, offerings=2, seed=7, self_paced_courses=self_paced)
    weeks = [0, 1, 2, 3, 5, 8, 13, 21, 34]
    fast = build_features(data, weeks=weeks)
    assert len(fast) > 250 and fast.never_active.sum() > 0 and fast.score_mean.notna().sum() > 100
    assert_same(fast, reference_features(data, weeks))
