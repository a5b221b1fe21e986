"""A score counts from when it was marked (``submissions.scored_at``), not from when the work was
handed in. Hand-built on the tiny log (tests/conftest.py): course A-2023 starts Monday
2023-01-02, week k's cutoff is 2023-01-02 + 7k days.

L4 hands in A23-1 on 2023-01-18 (week 2) with 95; here it is marked on 2023-02-08 (week 5).
The score features at the cutoffs of weeks 3-5 (01-23, 01-30, 02-06) are those of an unmarked
submission; from week 6 (02-13) they are those of the data without a marking date. Counts,
lateness and misses never change. The as-of property with arbitrary marking dates is in
test_properties.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.features import build_features
from tests.conftest import make_tiny

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
SCORES = ["score_mean", "score_weighted", "score_last", "score_trend", "score_z"]
WEEKS = range(0, 10)


def with_subs(tiny, **columns) -> LearningData:
    return tiny.replace(submissions=tiny.submissions.assign(**columns))


def marked(tiny, when: dict) -> LearningData:
    """``tiny`` with ``scored_at`` set for some (learner, assessment) pairs, empty elsewhere."""
    s = tiny.submissions
    scored_at = [when.get((lid, aid), pd.NaT) for lid, aid in zip(s.learner_id, s.assessment_id)]
    return with_subs(tiny, scored_at=pd.Series(scored_at, dtype="datetime64[ns, UTC]"))


def at_weeks(data, weeks) -> pd.DataFrame:
    f = build_features(data, weeks=WEEKS)
    return f[f.week.isin(weeks)].reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny_module():
    return make_tiny()


def test_a_score_marked_after_a_cutoff_is_not_seen_there(tiny_module):
    tiny = tiny_module
    late = marked(tiny, {("L4", "A23-1"): T("2023-02-08")})
    unmarked = with_subs(tiny, score=tiny.submissions.score.where(
        ~((tiny.submissions.learner_id == "L4") & (tiny.submissions.assessment_id == "A23-1"))))
    got = at_weeks(late, [3, 4, 5])
    # weeks 3-5: exactly as if L4's A23-1 had no score (every row: the cohort z-scores too)
    pd.testing.assert_frame_equal(got, at_weeks(unmarked, [3, 4, 5]), check_exact=True)
    l4 = got[got.learner_id == "L4"].set_index("week")
    assert l4["assessments_submitted"].tolist() == [1, 1, 1]  # handed in: counted from week 3
    assert l4["submissions_late"].tolist() == [1, 1, 1]  # due 01-16, handed in 01-18
    assert l4[SCORES].isna().all().all()
    # week 6 and later: as without a marking date
    pd.testing.assert_frame_equal(at_weeks(late, range(6, 10)), at_weeks(tiny, range(6, 10)), check_exact=True)
    r = at_weeks(late, [6]).set_index("learner_id").loc["L4"]
    assert (r["score_mean"], r["score_last"]) == (95.0, 95.0)
    # the submission side never reads the marking date
    keep = [c for c in got.columns if c not in SCORES]
    pd.testing.assert_frame_equal(at_weeks(late, WEEKS)[keep], at_weeks(tiny, WEEKS)[keep], check_exact=True)


def test_last_score_is_the_last_marked(tiny_module):
    # L1: A23-1 handed in 01-15 (60), A23-2 on 02-12 (80). A23-1 marked on 02-20, after A23-2
    # (no marking date: known on 02-12). Week 3 (01-23): one submission, no score; weeks 6 and
    # 7 (02-13, 02-20: strict <) see 80 only; week 8 (02-27) sees both, the last marked being
    # A23-1's 60: trend 60 - 80 = -20.
    late = marked(tiny_module, {("L1", "A23-1"): T("2023-02-20")})
    f = at_weeks(late, [3, 6, 7, 8])
    l1 = f[(f.learner_id == "L1") & (f.course_id == "A-2023")].set_index("week")
    assert l1["assessments_submitted"].tolist() == [1, 2, 2, 2]
    assert np.isnan(l1.loc[3, "score_mean"])
    for week in (6, 7):
        assert (l1.loc[week, "score_mean"], l1.loc[week, "score_last"]) == (80.0, 80.0)
        assert np.isnan(l1.loc[week, "score_trend"])
    assert (l1.loc[8, "score_mean"], l1.loc[8, "score_last"], l1.loc[8, "score_trend"]) == (70.0, 60.0, -20.0)
    # weights 20 (A23-1) and 30 (A23-2): (20 x 60 + 30 x 80) / 50 = 72
    assert l1.loc[8, "score_weighted"] == pytest.approx(72.0)
    plain = at_weeks(tiny_module, [8]).query("course_id == 'A-2023'").set_index("learner_id").loc["L1"]
    assert (plain["score_last"], plain["score_trend"]) == (80.0, 20.0)


def test_empty_or_earlier_marking_dates_change_nothing(tiny_module):
    tiny = tiny_module
    s = tiny.submissions
    want = build_features(tiny, weeks=WEEKS)
    # an empty column; the marking date equal to the submission; a marking date before the
    # submission (a plausibility warning): the score counts from submitted_at in all three
    for scored_at in (pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]"), s.submitted_at,
                      s.submitted_at - pd.Timedelta(days=3)):
        got = build_features(with_subs(tiny, scored_at=scored_at), weeks=WEEKS)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_as_of_dates_follow_the_marking_date(tiny_module):
    late = marked(tiny_module, {("L4", "A23-1"): T("2023-02-08 12:00")})
    before = build_features(late, as_of=T("2023-02-08 12:00")).set_index("learner_id").loc["L4"]
    after = build_features(late, as_of=T("2023-02-08 12:00:01")).set_index("learner_id").loc["L4"]
    assert np.isnan(before["score_mean"]) and after["score_mean"] == 95.0
    assert before["assessments_submitted"] == after["assessments_submitted"] == 1
