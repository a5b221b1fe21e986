"""``--from canvas``: Canvas Data 2 tables as the DAP client writes them.

The fixture (``fixtures/canvas/``) is written by hand from the Canvas Data 2 schema (namespaces
``canvas`` and ``canvas_logs``: the columns of web_logs, enrollments, courses, assignments and
submissions, the DAP record shape ``{"key", "value", "meta"}``), in the three layouts the client
writes: a folder of JSON-lines parts, a ``.jsonl`` file, a CSV of ``key.``/``value.`` columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import learnrisk
from learnrisk import sources
from learnrisk.errors import SourceError

from ..conftest import T, run_cli
from .roundtrip import assert_same_features, clicks, marked_later, read_reported, synthetic

FIXTURE = Path(__file__).parent / "fixtures" / "canvas"


@pytest.fixture(scope="module")
def example():
    return read_reported("canvas", FIXTURE)


def test_web_logs_become_activity_field_by_field(example):
    data, report = example
    act = data.activity.sort_values("timestamp").reset_index(drop=True)
    assert act[["learner_id", "course_id", "timestamp", "activity_type", "clicks"]].values.tolist() == [
        ["101", "7", T("2024-01-08 10:15:02.123"), "page", 1],
        ["101", "7", T("2024-01-08 10:16:40"), "discussion", 1],
        ["102", "7", T("2024-01-09 08:00"), "quiz", 1],
    ]
    assert act.loc[0, "resource_id"] == "/courses/7/pages/week-1-introduction"  # the query string is not the resource
    d = report.dropped
    assert d["failed requests (HTTP status 400 and above)"] == 1
    assert d["requests made while masquerading as the learner (real_user_id)"] == 1
    assert d["API requests (made by pages in the background, not clicks; -o api=true counts them)"] == 1
    assert d["events without a course"] == 1  # the profile page
    assert d["events of learners not enrolled in the offering"] == 1  # the teacher's gradebook


def test_enrollments_students_sections_and_withdrawals(example):
    data, report = example
    e = data.enrollments.set_index("learner_id").sort_index()
    assert e.index.tolist() == ["101", "102", "104"]
    assert e.loc["101", "registered_at"] == T("2024-01-02 09:00")  # the first of two sections
    assert e.loc["102", "withdrawn_at"] == T("2024-02-20 14:30") and e.loc["102", "outcome"] == "withdrawn"  # the later record won
    assert pd.isna(e.loc["104", "withdrawn_at"]) and pd.isna(e.loc["104", "outcome"])  # completed, result unknown
    assert report.dropped["enrollments that are not students' (TeacherEnrollment)"] == 1
    assert report.dropped["enrollments never accepted (invited, creation_pending, rejected)"] == 1


def test_courses_assignments_and_submissions(example):
    data, report = example
    c = data.courses.iloc[0]
    assert (c["course_id"], c["course_code"], c["start"], c["end"], c["title"]) == (
        "7", "STAT101", T("2024-01-08"), T("2024-05-31"), "Introduction to Statistics")
    a = data.assessments.set_index("assessment_id").sort_index()
    assert a[["kind", "weight"]].to_dict("index") == {
        "21": {"kind": "assignment", "weight": 20.0}, "22": {"kind": "quiz", "weight": 10.0}, "24": {"kind": "quiz", "weight": 0.0}}
    assert a.loc["21", "due_at"] == T("2024-02-01 23:59") and pd.isna(a.loc["24", "due_at"])
    s = data.submissions.sort_values(["learner_id", "assessment_id"])
    assert s[["learner_id", "assessment_id", "submitted_at", "score"]].values.tolist() == [
        ["101", "21", T("2024-01-30 20:00"), 75.0], ["101", "22", T("2024-01-14 18:00"), 90.0],
        ["102", "22", T("2024-01-20 09:00"), 60.0],  # graded without a submission: known at graded_at
    ]
    assert report.dropped["assignments deleted in Canvas (or not of a course)"] == 1
    assert report.dropped["submission rows with nothing submitted or graded (Canvas's placeholders)"] == 1
    assert report.dropped["excused submissions"] == 1
    assert report.dropped["submissions for an assessment the source does not list"] == 1


def test_the_cli_imports_the_example_and_counts_api_requests_on_request(tmp_path, capsys):
    code, out, err = run_cli(capsys, "import", str(FIXTURE), "--from", "canvas", "-o", "course_id=sis", "--out", str(tmp_path / "d"))
    assert code == 0, err
    assert "canvas: read 26 records" in out and "dropped 1: failed requests (HTTP status 400 and above)" in out
    assert learnrisk.read_parquet(tmp_path / "d").courses["course_id"].tolist() == ["STAT101-2024S"]
    data = sources.read("canvas", FIXTURE, api="true")
    assert "discussion_topics_api" in set(data.activity["activity_type"])


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    data = marked_later(synthetic())  # graded_at: the marking date
    out = tmp_path_factory.mktemp("canvas") / "cd2"
    assert sorted(p.parent.name for p in sources.write("canvas", data, out)) == sorted(sources.FILES["canvas"])
    return data, out


def _users(data) -> dict[str, str]:
    return {str(1001 + i): v for i, v in enumerate(sorted(data.learners["learner_id"]))}


def test_round_trip_through_canvas_data_2(round_trip, tmp_path, capsys):
    data, out = round_trip
    back = sources.read("canvas", out, course_id="sis")
    users = _users(data)
    for table in ("activity", "enrollments", "submissions", "learners"):
        getattr(back, table)["learner_id"] = getattr(back, table)["learner_id"].map(users)
    pd.testing.assert_series_equal(clicks(data, families=True, resources=False), clicks(back, families=True, resources=False))
    cols = ["learner_id", "course_id", "registered_at", "withdrawn_at"]
    key = cols[:2]
    a = data.enrollments[cols].sort_values(key).reset_index(drop=True)
    b = back.enrollments.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b[cols])
    assert (b["outcome"] == "withdrawn").tolist() == a["withdrawn_at"].notna().tolist()
    pd.testing.assert_frame_equal(data.courses[["course_id", "course_code", "start", "end"]].sort_values("course_id").reset_index(drop=True),
                                  back.courses[["course_id", "course_code", "start", "end"]].sort_values("course_id").reset_index(drop=True))
    assert sorted(back.assessments["weight"]) == sorted(data.assessments["weight"])
    s1 = data.submissions.sort_values(["learner_id", "submitted_at"]).reset_index(drop=True)
    s2 = back.submissions.sort_values(["learner_id", "submitted_at"]).reset_index(drop=True)
    pd.testing.assert_series_equal(s1["score"], s2["score"], check_exact=False, rtol=1e-9)
    pd.testing.assert_series_equal(s1["scored_at"], s2["scored_at"])
    assert_same_features(data, back)


def test_csv_and_parquet_layouts_read_the_same(tmp_path):
    small = learnrisk.synthetic.generate(8, 1, 1, seed=5)
    small = small.replace(activity=small.activity.head(300))
    sources.write("canvas", small, tmp_path / "jsonl")
    a = sources.read("canvas", tmp_path / "jsonl")
    for fmt in ("csv", "parquet"):
        sources.write("canvas", small, tmp_path / fmt, format=fmt)
        assert (tmp_path / fmt / "web_logs" / f"part-00000.{fmt}").is_file()
        b = sources.read("canvas", tmp_path / fmt)
        for table in ("activity", "enrollments", "courses", "assessments", "submissions"):
            pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_dtype=False)


def test_bad_input_is_one_line_naming_the_record(tmp_path, capsys):
    (tmp_path / "web_logs").mkdir()
    (tmp_path / "web_logs" / "part-1.json").write_text(
        '{"key": {"id": "a"}, "value": {"timestamp": "2024-01-08T10:00:00Z", "user_id": 1, "course_id": 7}}\n'
        '{"key": {"id": "b"}, "value": {"timestamp": "08/01/2024", "user_id": 1, "course_id": 7}}\n')
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", str(tmp_path), "--from", "canvas", "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and "part-1.json:2: web_logs.timestamp '08/01/2024'" in err and not out.exists()
    (tmp_path / "web_logs" / "part-1.json").write_text('{"key": {"id": "a"}, "value": {"timestamp": \n')
    code, _, err = run_cli(capsys, "import", str(tmp_path), "--from", "canvas", "--out", str(out))
    assert code == 2 and "part-1.json:1: not valid JSON" in err and not out.exists()
    code, _, err = run_cli(capsys, "import", str(FIXTURE), "--from", "canvas", "-o", "strict=true", "--out", str(out))
    assert code == 2 and "strict mode refuses them" in err and not out.exists()
    with pytest.raises(SourceError, match="neither web_logs nor enrollments found"):
        sources.read("canvas", tmp_path / "web_logs")


def test_the_writers_families_agree_with_the_feature_catalog():
    from learnrisk.features import family_of
    from learnrisk.sources._common import OULAD_FAMILIES

    assert family_of(list(OULAD_FAMILIES)) == OULAD_FAMILIES
    assert set(learnrisk.synthetic.generate(8, 1, 1, seed=5).activity["activity_type"]) <= set(OULAD_FAMILIES)
