"""One test per check of the data contract (learnrisk/data/_validate.py).

Each case breaks the ``tiny`` fixture's tables in one place and asserts that the error names the
table, the column, the problem, the number of rows, and shows the offending row.
"""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.data._validate import coerce_tables
from learnrisk.errors import DataValidationError


def T(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def set_value(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    frame = frame.copy()
    if not isinstance(value, str) or frame[column].dtype == "str":
        frame.loc[row, column] = value
    else:  # a string into a typed column: the column becomes object, as read from a messy file
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


def add_row(frame: pd.DataFrame, **values) -> pd.DataFrame:
    row = frame.iloc[[0]].assign(**values)
    return pd.concat([frame, row], ignore_index=True)


def dup_row(frame: pd.DataFrame, row: int = 0) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[row]]], ignore_index=True)


# (id, table, how to break it, column in the message, problem text, count, text of the offending row)
CASES = [
    ("unparseable-timestamp", "enrollments", lambda f: set_value(f, 3, "registered_at", "9th of Jan"),
     "registered_at", "timestamps that cannot be parsed", 1, "9th of Jan"),
    ("non-numeric", "assessments", lambda f: set_value(f, 1, "weight", "heavy"),
     "weight", "values that are not numbers", 1, "heavy"),
    ("non-whole-clicks", "activity", lambda f: f.assign(clicks=f["clicks"].astype(float)).pipe(set_value, 2, "clicks", 2.5),
     "clicks", "values that are not whole numbers", 1, "2.5"),
    ("missing-required", "activity", lambda f: set_value(f, 14, "activity_type", None),
     "activity_type", "missing values in a required column", 1, "2023-01-03"),
    ("duplicate-course", "courses", dup_row, "course_id", "duplicate key", 2, "A-2023"),
    ("duplicate-learner", "learners", lambda f: dup_row(f, 6), "learner_id", "duplicate key", 2, "L7"),
    ("duplicate-enrollment", "enrollments", lambda f: dup_row(f, 3), "learner_id,course_id", "duplicate key", 2, "L4"),
    ("duplicate-assessment", "assessments", lambda f: dup_row(f, 4), "assessment_id", "duplicate key", 2, "S-1"),
    ("duplicate-submission", "submissions", lambda f: dup_row(f, 2), "learner_id,assessment_id", "duplicate key", 2, "95.0"),
    ("unknown-course", "enrollments", lambda f: add_row(f, learner_id="L2", course_id="Z-2023"),
     "course_id", "enrollment in an unknown course", 1, "Z-2023"),
    ("unknown-learner", "enrollments", lambda f: add_row(f, learner_id="L99", course_id="A-2024"),
     "learner_id", "enrollment of an unknown learner", 1, "L99"),
    ("unknown-outcome", "enrollments", lambda f: set_value(f, 1, "outcome", "passed"),
     "outcome", "unknown outcome (allowed: pass, distinction, fail, withdrawn or empty)", 1, "passed"),
    ("withdrawn-before-registered", "enrollments", lambda f: set_value(f, 2, "withdrawn_at", T("2022-12-01")),
     "withdrawn_at", "withdrawn before registered", 1, "2022-12-01"),
    ("final-score-range", "enrollments", lambda f: set_value(f, 0, "final_score", 120.0),
     "final_score", "score outside 0-100", 1, "120.0"),
    ("submission-score-range", "submissions", lambda f: set_value(f, 1, "score", -5.0),
     "score", "score outside 0-100", 1, "-5.0"),
    ("clicks-below-1", "activity", lambda f: set_value(f, 15, "clicks", 0),
     "clicks", "clicks below 1", 1, "quiz"),
    ("activity-not-enrolled", "activity", lambda f: add_row(f, learner_id="L2", course_id="A-2024", timestamp=T("2024-01-09")),
     "learner_id", "activity of a learner not enrolled in that course", 1, "2024-01-09"),
    ("assessment-unknown-course", "assessments", lambda f: set_value(f, 3, "course_id", "Q-1999"),
     "course_id", "assessment of an unknown course", 1, "Q-1999"),
    ("negative-weight", "assessments", lambda f: set_value(f, 2, "weight", -50.0),
     "weight", "negative weight", 1, "-50.0"),
    ("submission-unknown-assessment", "submissions", lambda f: set_value(f, 4, "assessment_id", "A23-Z"),
     "assessment_id", "submission for an unknown assessment", 1, "A23-Z"),
    ("submission-not-enrolled", "submissions", lambda f: add_row(f, learner_id="L7", assessment_id="A23-1"),
     "learner_id", "submission of a learner not enrolled in the assessment's course", 1, "L7"),
    ("course-ends-before-start", "courses", lambda f: set_value(f, 2, "end", T("2022-12-31")),
     "end", "course ends before it starts", 1, "2022-12-31"),
    ("unknown-pacing", "courses", lambda f: set_value(f, 1, "pacing", "weekly"),
     "pacing", "unknown pacing (allowed: cohort, self-paced)", 1, "weekly"),
]


@pytest.mark.parametrize(("table", "breaker", "column", "problem", "count", "shown"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_check(tiny, table, breaker, column, problem, count, shown):
    tables = tiny.tables()
    tables[table] = breaker(tables[table])
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert [(p.table, p.column) for p in e.problems] == [(table, column)], str(e)
    assert (e.table, e.column, e.count) == (table, column, count)
    assert problem in e.problem
    message = str(e)
    assert f"{table}.{column}: " in message and problem in message
    assert f"({count} row{'s' if count != 1 else ''})" in message
    assert "first offending rows" in message and shown in message
    assert len(e.rows) == count


def test_valid_tiny_passes(tiny):
    assert tiny.validate() is tiny


def test_missing_table(tiny):
    tables = tiny.tables()
    tables["submissions"] = None
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    assert [(p.table, p.column, p.problem) for p in err.value.problems] == [("submissions", "*", "table is missing")]
    assert "submissions.*: table is missing" in str(err.value)


def test_not_a_dataframe_and_unknown_table(tiny):
    tables = tiny.tables()
    tables["learners"] = ["L1", "L2"]
    tables["grades"] = pd.DataFrame()
    with pytest.raises(DataValidationError) as err:
        coerce_tables(tables)
    assert [(p.table, p.problem) for p in err.value.problems] == [
        ("learners", "expected a pandas DataFrame, found list"),
        ("grades", "unknown table (allowed: courses, learners, enrollments, activity, assessments, submissions, actions, assignments, hr, kpis)"),
    ]


def test_missing_column(tiny):
    tables = tiny.tables()
    tables["activity"] = tables["activity"].drop(columns="clicks")
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert [(p.table, p.column) for p in e.problems] == [("activity", "clicks")]
    assert e.count == len(tables["activity"])
    assert "activity.clicks: missing required column (found columns: learner_id, course_id, timestamp, activity_type)" in str(e)


def test_several_problems_in_one_error(tiny):
    tables = tiny.tables()
    tables["enrollments"] = set_value(tables["enrollments"], 1, "outcome", "passed")
    tables["assessments"] = set_value(tables["assessments"], 2, "weight", -50.0)
    tables["activity"] = set_value(tables["activity"], 15, "clicks", 0)
    tables["courses"] = set_value(tables["courses"], 1, "pacing", "weekly")
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert sorted((p.table, p.column) for p in e.problems) == [
        ("activity", "clicks"), ("assessments", "weight"), ("courses", "pacing"), ("enrollments", "outcome"),
    ]
    message = str(e)
    assert message.startswith("invalid learning data: 4 problems")
    for shown in ("passed", "-50.0", "weekly", "quiz"):
        assert shown in message
    assert e.one_line().endswith("(and 3 more problems)")


def test_several_coercion_problems_in_one_error(tiny):
    tables = tiny.tables()
    tables["enrollments"] = set_value(tables["enrollments"], 3, "registered_at", "9th of Jan")
    tables["assessments"] = set_value(tables["assessments"], 1, "weight", "heavy")
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    assert [(p.table, p.column) for p in err.value.problems] == [("enrollments", "registered_at"), ("assessments", "weight")]


def test_duplicate_activity_rows_are_legal(tiny):
    tables = tiny.tables()
    tables["activity"] = dup_row(tables["activity"], 0)
    assert len(LearningData(**tables).activity) == len(tiny.activity) + 1


def test_validate_false_keeps_bad_data_and_validate_finds_it(tiny):
    tables = tiny.tables()
    tables["assessments"] = set_value(tables["assessments"], 2, "weight", -50.0)
    data = LearningData(**tables, validate=False)
    with pytest.raises(DataValidationError, match="negative weight"):
        data.validate()


def test_nullable_integers_with_missing_values(tiny):
    # Int64 with NA (what pandas gives for integers with gaps) is reported, not a bare ValueError
    tables = tiny.tables()
    clicks = tables["activity"]["clicks"].astype("Int64")
    tables["activity"] = tables["activity"].assign(clicks=clicks.mask(clicks.index == 0))
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    assert [(p.table, p.column, p.problem, p.count) for p in err.value.problems] == [
        ("activity", "clicks", "missing values in a required column", 1)
    ]
    # an optional integer column may have gaps: kept as float with NaN
    tables = tiny.tables()
    tables["submissions"] = tables["submissions"].assign(is_banked=pd.array([0, 1, None, 0, 0], dtype="Int64"))
    banked = LearningData(**tables).submissions["is_banked"]
    assert banked.dtype == "float64" and banked.isna().tolist() == [False, False, True, False, False]
