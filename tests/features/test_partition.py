"""One offering at a time: the per-partition entry point gives the rows of the in-process driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.features import Offering, build_features, offering_features
from learnrisk.features._catalog import NUMERIC_FEATURES
from learnrisk.synthetic import generate


@pytest.mark.parametrize("marked", [False, True], ids=["unmarked", "marked-later"])
def test_each_offering_alone_gives_the_same_rows(marked):
    data = generate(n_learners=250, n_courses=2, offerings=2, seed=11, self_paced_courses=1)
    if marked:  # marking dates 0-19 days after the submission: scores in marking order on both paths
        s = data.submissions
        data = data.replace(submissions=s.assign(scored_at=s["submitted_at"] + pd.to_timedelta(np.arange(len(s)) % 20, unit="D")))
    whole = build_features(data, weeks=range(0, 12))
    for _, course in data.courses.iterrows():
        off = Offering.from_frames(course, data.enrollments, data.activity, data.assessments, data.submissions)
        cols = offering_features(off, range(0, 12))
        part = pd.DataFrame({"learner_id": off.learner_id[cols["enr"]], "week": cols["week"]})
        for name in NUMERIC_FEATURES:
            part[name] = cols[name]
        part = part.sort_values(["week", "learner_id"]).reset_index(drop=True)
        want = whole[whole.course_id == course["course_id"]].reset_index(drop=True)
        assert len(part) == len(want) > 0
        assert (part.learner_id.astype(str).to_numpy() == want.learner_id.to_numpy()).all()
        for name in NUMERIC_FEATURES:
            np.testing.assert_allclose(part[name], want[name], rtol=1e-12, atol=1e-12, err_msg=name)
