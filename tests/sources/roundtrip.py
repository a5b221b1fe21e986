"""Round-trip checks shared by the format tests: synthetic data -> a platform format -> its
reader gives the same canonical data on the fields the format carries, and the same features."""

from __future__ import annotations

import numpy as np
import pandas as pd

import learnrisk
from learnrisk import sources
from learnrisk.features import catalog, family_of
from learnrisk.sources import ImportReport

WEEKS = [1, 3, 6]
# what no platform format here carries: enrollment attributes (prior attempts, credits) and the
# learners' background; every other feature must be equal
NOT_CARRIED = set(catalog().query("group == 'background'")["name"])


def synthetic() -> learnrisk.LearningData:
    """40 learners in two offerings; at most 2 clicks per activity row (formats that write one
    record per click stay small: about 13,000 records)."""
    data = learnrisk.synthetic.generate(40, 1, 2, seed=11)
    return data.replace(activity=data.activity.assign(clicks=data.activity["clicks"].clip(upper=2)))


def marked_later(data: learnrisk.LearningData, seed: int = 0) -> learnrisk.LearningData:
    """``data`` with a marking date (``scored_at``) on each scored submission: the submission
    itself for about a third, else 1 second to 3 weeks later (whole seconds), so that some
    scores cross a weekly cutoff; unscored submissions have none."""
    s = data.submissions
    rng = np.random.default_rng(seed)
    delay = np.where(rng.random(len(s)) < 1 / 3, 0, rng.integers(1, 21 * 86_400, len(s)))
    scored_at = (s["submitted_at"] + pd.to_timedelta(delay, unit="s")).where(s["score"].notna())
    return data.replace(submissions=s.assign(scored_at=scored_at))


def assert_same_marks(original, back) -> None:
    """The marking dates read back equal those written (both sorted by learner and assessment)."""
    keys = ["learner_id", "assessment_id"]
    a, b = (d.submissions.sort_values(keys).reset_index(drop=True) for d in (original, back))
    assert a["scored_at"].notna().sum() > 10 and (a["scored_at"] > a["submitted_at"]).sum() > 10
    pd.testing.assert_series_equal(b["scored_at"], a["scored_at"], check_dtype=False)


def clicks(data, families: bool = False, resources: bool = True) -> pd.Series:
    """Clicks per learner, offering, instant, activity type (or family) and resource."""
    act = data.activity.copy()
    if families:
        act["activity_type"] = act["activity_type"].map(family_of(pd.unique(act["activity_type"])))
    keys = ["learner_id", "course_id", "timestamp", "activity_type"]
    if resources and "resource_id" in act.columns:
        keys.append("resource_id")
    return act.groupby(keys)["clicks"].sum().sort_index()


def assert_same_features(original, read_back, skip=()) -> None:
    a = learnrisk.build_features(original, weeks=WEEKS)
    b = learnrisk.build_features(read_back, weeks=WEEKS)
    keep = [c for c in a.columns if c not in NOT_CARRIED and c not in set(skip)]
    assert len(a) > 50
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True), b[keep].reset_index(drop=True), check_dtype=False)



def read_reported(kind: str, source, **options) -> tuple[learnrisk.LearningData, ImportReport]:
    """A source read with its report (what was read, mapped and dropped)."""
    report = ImportReport(kind)
    return sources.read(kind, source, report=report, **options), report
