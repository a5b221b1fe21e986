"""``submissions.scored_at`` (optional: when a score was marked) in the data layer: coerced and
checked like the other time columns, carried through Parquet, course selection and the digest;
a marking date before the submission is legal and warns (features take the later of the two)."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk.data import LearningData, read_parquet
from learnrisk.data._validate import plausibility
from learnrisk.errors import DataValidationError
from tests.conftest import T, make_tiny

# L1 A23-1 marked a week after it was handed in (01-15); L4's unscored A23-2 has no mark
MARKS = ["2023-01-22 09:30", "2023-02-20", "2023-01-25", None, "2023-04-01"]


def marked(marks=MARKS) -> LearningData:
    tables = make_tiny().tables()
    tables["submissions"] = tables["submissions"].assign(scored_at=marks)  # text, naive: read as UTC
    return LearningData(**tables)


def test_scored_at_is_a_utc_time_column_and_empty_is_allowed():
    s = marked().submissions
    assert s["scored_at"].dtype == "datetime64[ns, UTC]"
    assert s["scored_at"].tolist()[:2] == [T("2023-01-22 09:30"), T("2023-02-20")]
    assert pd.isna(s["scored_at"].iloc[3])


def test_a_scored_at_that_is_not_a_time_is_an_error_naming_the_column():
    with pytest.raises(DataValidationError) as err:
        marked(["2023-01-22", "next week", None, None, None])
    assert [(p.table, p.column, p.count) for p in err.value.problems] == [("submissions", "scored_at", 1)]


def test_parquet_selection_and_digest_carry_scored_at(tmp_path):
    data = marked()
    folder = data.to_parquet(tmp_path / "d")
    back = read_parquet(folder)
    pd.testing.assert_frame_equal(back.submissions, data.submissions, check_exact=True)
    assert back.digest() == data.digest()
    part = read_parquet(folder, courses=["A-2023"])
    pd.testing.assert_frame_equal(part.submissions, data.select_courses(["A-2023"]).submissions, check_exact=True)
    assert part.submissions["scored_at"].notna().sum() == 4
    # the marking date is part of the data: another date, another digest; none, the old digest
    assert marked([*MARKS[:4], "2023-04-02"]).digest() != data.digest()
    assert make_tiny().digest() != data.digest()


def test_marked_before_submitted_warns_and_is_kept():
    data = marked(["2023-01-14", *MARKS[1:]])  # L1 A23-1 handed in 2023-01-15
    (w,) = [p for p in data.warnings if p.column == "scored_at"]
    assert (w.table, w.count) == ("submissions", 1)
    assert w.problem == "scored before submitted: the score counts as known from submitted_at"
    assert data.submissions["scored_at"].iloc[0] == T("2023-01-14")
    found = plausibility(data.tables(), now=T("2023-03-01"))  # A23-X marked 04-01: in the future
    assert ("submissions", "scored_at", 1) in {(p.table, p.column, p.count) for p in found if p.problem.startswith("events in the future")}
    assert not [p for p in marked().warnings if p.column == "scored_at"]
