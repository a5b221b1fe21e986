"""``--from edx``: Open edX tracking logs.

The fixture (``fixtures/edx/tracking.log``) is written by hand after the event examples of the
Open edX tracking log documentation (common fields, context, browser events carrying ``event`` as
a JSON string, server ``problem_check`` with grade/max_grade, implicit URL events, enrollment
events) and checked field by field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from learnrisk import sources
from learnrisk.errors import SourceError

from ..conftest import T, run_cli
from .roundtrip import assert_same_features, clicks, read_reported, synthetic

LOG = Path(__file__).parent / "fixtures" / "edx" / "tracking.log"
C = "course-v1:edX+DemoX+Demo_Course"
P = "block-v1:edX+DemoX+Demo_Course+type@problem+block@932e6f2ce8274072a355a94560216d1a"
# features that need due dates, which tracking logs do not carry
NO_DUE_DATES = ["assessments_due", "assessments_missed", "submissions_late", "lateness_mean", "lateness_last"]


@pytest.fixture(scope="module")
def example():
    return read_reported("edx", LOG)


def test_events_become_activity_field_by_field(example):
    data, report = example
    act = data.activity.sort_values(["learner_id", "timestamp"])
    assert act[["learner_id", "course_id", "timestamp", "activity_type", "clicks"]].values.tolist() == [
        ["10", C, T("2024-01-08 10:00:05.123456"), "video", 1],
        ["10", C, T("2024-01-08 10:05"), "page", 1],
        ["10", C, T("2024-01-08 10:06"), "quiz", 1],  # the browser problem_check is the click
        ["10", C, T("2024-01-09 12:00"), "forum", 1],
        ["10", C, T("2024-01-11 10:00"), "video", 1],  # username only: the user id seen with it
        ["11", C, T("2024-01-10 08:00"), "page", 1],  # an implicit courseware URL event
    ]
    assert report.read == 14
    assert report.dropped["event types that are not clicks or not mapped (page_close, XBlock handler URLs, ...)"] == 3
    assert report.dropped["events without a learner"] == 1


def test_problem_checks_are_submissions_the_last_attempt_counts(example):
    data, _ = example
    a = data.assessments.iloc[0]
    assert (a["assessment_id"], a["course_id"], a["kind"], a["weight"], a["title"]) == (P, C, "problem", 2.0, "Basic Questions")
    assert pd.isna(a["due_at"])
    assert data.submissions[["learner_id", "assessment_id", "submitted_at", "score"]].values.tolist() == [
        ["10", P, T("2024-01-09 11:00"), 100.0]]


def test_enrollment_events_and_learners_enrolled_before_the_logs(example):
    data, report = example
    e = data.enrollments.set_index("learner_id").sort_index()
    assert e.loc["10", "registered_at"] == T("2024-01-03 09:00")
    assert e.loc["10", "withdrawn_at"] == T("2024-02-01 09:00") and e.loc["10", "outcome"] == "withdrawn"
    assert e.loc["11", "registered_at"] == T("2024-01-10 08:00") and pd.isna(e.loc["11", "withdrawn_at"])
    assert any("without an enrollment event" in n for n in report.notes)


def test_a_mapping_adds_event_types_and_course_dates(tmp_path):
    (tmp_path / "m.yaml").write_text(f"event_types: {{page_close: other}}\ncourse_dates:\n  {C}: {{start: 2024-01-08, end: 2024-04-01}}\n")
    data = sources.read("edx", LOG, mapping=tmp_path / "m.yaml", learner="username")
    assert "other" in set(data.activity["activity_type"]) and set(data.activity["learner_id"]) == {"learner_a", "learner_b"}
    assert data.courses[["start", "end"]].iloc[0].tolist() == [T("2024-01-08"), T("2024-04-01")]


def test_round_trip_through_a_tracking_log(tmp_path_factory):
    data = synthetic()
    out = tmp_path_factory.mktemp("edx") / "logs"
    assert sorted(p.name for p in sources.write("edx", data, out)) == sorted(sources.FILES["edx"])
    back = sources.read("edx", out / "tracking.log", mapping=out / "mapping.yaml", learner="username")
    for table in ("activity", "enrollments", "assessments", "courses"):
        getattr(back, table)["course_id"] = getattr(back, table)["course_id"].str.split("+").str[-1]
    pd.testing.assert_series_equal(clicks(data, families=True, resources=False), clicks(back, families=True, resources=False))
    cols = ["learner_id", "course_id", "registered_at", "withdrawn_at"]
    pd.testing.assert_frame_equal(data.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True),
                                  back.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True), check_dtype=False)
    s1 = data.submissions.sort_values(["learner_id", "assessment_id"]).reset_index(drop=True)
    s2 = back.submissions.sort_values(["learner_id", "assessment_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(s1[["learner_id", "assessment_id", "submitted_at"]], s2[["learner_id", "assessment_id", "submitted_at"]])
    pd.testing.assert_series_equal(s1["score"], s2["score"], rtol=1e-9)
    assert_same_features(data, back, skip=NO_DUE_DATES)


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"username": "a", "event_type": "play_video", "context": {"course_id": "C"}}', r"bad.log:2: an event without time \(play_video\)"),
        ('{"username": "a", "time": "2024-01-08T10:00:00Z"}', r"bad.log:2: an event without event_type"),
        ('{"username": "a", "event_type": "play_video", "time": "08/01/2024 10:00"}', r"bad.log:2: time '08/01/2024 10:00': dates with slashes"),
        ('{"username": "a", "event_type": "play_video", "time": ', r"bad.log:2: not valid JSON"),
    ],
)
def test_bad_input_is_one_line_naming_the_line_exit_2_nothing_written(tmp_path, capsys, line, message):
    good = '{"username": "a", "event_type": "play_video", "time": "2024-01-08T10:00:00Z", "context": {"user_id": 1, "course_id": "C"}}'
    (tmp_path / "bad.log").write_text(good + "\n" + line + "\n")
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", str(tmp_path / "bad.log"), "--from", "edx", "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and not out.exists()
    assert re.search(message, err), err


def test_the_cli_reports_and_strict_refuses_unknown_event_types(tmp_path, capsys):
    out = tmp_path / "out"
    code, text, err = run_cli(capsys, "import", str(LOG), "--from", "edx", "--out", str(out))
    assert code == 0, err
    assert "edx: read 14 records" in text and "dropped 3: event types that are not clicks or not mapped" in text
    assert (out / "activity.parquet").is_file() and (out / "import-report.json").is_file()
    out = tmp_path / "out2"
    code, _, err = run_cli(capsys, "import", str(LOG), "--from", "edx", "-o", "strict=true", "--out", str(out))
    assert code == 2 and "strict mode refuses them" in err and not out.exists()
    with pytest.raises(SourceError, match="option learner for --from edx takes user_id or username"):
        sources.read("edx", LOG, learner="email")
