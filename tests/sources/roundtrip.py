"""Round-trip checks shared by the format tests: synthetic data -> a platform format -> its
reader gives the same canonical data on the fields the format carries, and the same features."""

from __future__ import annotations

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
