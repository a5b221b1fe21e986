"""write_oulad: the official file format, round trips through read_oulad, day arithmetic."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest

from learnrisk.data import LearningData, read_oulad, write_oulad
from learnrisk.errors import LearnriskError

from .conftest import SAMPLE

FIELD = r'"(?:[^"]|"")*"'
LINE = re.compile(rf"^{FIELD}(?:,{FIELD})*\r$")


def T(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def test_round_trip_of_the_sample(sample_data, tmp_path):
    folder = write_oulad(sample_data, tmp_path / "copy")
    again = read_oulad(folder)
    for name, frame in sample_data.tables().items():
        pd.testing.assert_frame_equal(getattr(again, name), frame, obj=name)


def test_official_format(sample_data, tmp_path):
    folder = write_oulad(sample_data, tmp_path / "copy")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in SAMPLE.glob("*.csv"))
    for path in folder.iterdir():
        raw = path.read_bytes()
        assert raw.count(b"\n") == raw.count(b"\r\n"), path.name  # CRLF only
        lines = raw.decode().split("\n")[:-1]
        assert lines[0] == (SAMPLE / path.name).read_bytes().decode().split("\n")[0], path.name  # same header
        assert all(LINE.match(line) for line in lines[:2000]), path.name  # every field quoted
    # identical to the release, byte for byte, where no rule of the reader applies
    for name in ("courses.csv", "studentInfo.csv", "studentAssessment.csv", "studentVle.csv"):
        assert (folder / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    # missing values are empty strings: an unregistration that did not happen, an empty score
    assert b'"AAA","2013J","11391","-159",""\r\n' in (folder / "studentRegistration.csv").read_bytes()
    assert (folder / "studentAssessment.csv").read_bytes().count(b',""\r\n') == 18


def _one_course(activity: pd.DataFrame, start: str = "2013-10-01", end: str = "2014-06-26") -> LearningData:
    return LearningData(
        courses=pd.DataFrame({"course_id": ["AAA-2013J"], "course_code": ["AAA"], "start": [T(start)], "end": [T(end)]}),
        learners=pd.DataFrame({"learner_id": ["a", "b"], "gender": ["F", "M"], "deprivation": ["0-10%", None]}),
        enrollments=pd.DataFrame(
            {
                "learner_id": ["a", "b"],
                "course_id": ["AAA-2013J"] * 2,
                "registered_at": [T(start) - pd.Timedelta(days=3), T(start) + pd.Timedelta(hours=30)],
                "withdrawn_at": [pd.NaT, T(start) + pd.Timedelta(days=40)],
                "outcome": ["pass", "withdrawn"],
            }
        ),
        activity=activity,
        assessments=pd.DataFrame({"assessment_id": ["x"], "course_id": ["AAA-2013J"], "kind": ["TMA"], "due_at": [pd.NaT], "weight": [12.5]}),
        submissions=pd.DataFrame({"learner_id": ["a"], "assessment_id": ["x"], "submitted_at": [T(start) + pd.Timedelta(days=2, hours=23)], "score": [64.5]}),
    )


def test_days_are_floored_and_resource_ids_synthesized(tmp_path):
    activity = pd.DataFrame(
        {
            "learner_id": ["a", "a", "b"],
            "course_id": ["AAA-2013J"] * 3,
            "timestamp": [T("2013-09-21 12:00"), T("2013-10-01 23:59"), T("2013-10-02 00:00")],  # days -9.5, 0.99, 1
            "activity_type": ["forum", "quiz", "forum"],
            "clicks": [3, 1, 2],
        }
    )
    folder = write_oulad(_one_course(activity), tmp_path / "o")
    vle = (folder / "studentVle.csv").read_text().splitlines()
    assert vle[1:] == ['"AAA","2013J","a","1","-10","3"', '"AAA","2013J","a","2","0","1"', '"AAA","2013J","b","1","1","2"']
    assert (folder / "vle.csv").read_text().splitlines()[1:] == ['"1","AAA","2013J","forum","",""', '"2","AAA","2013J","quiz","",""']
    assert (folder / "studentRegistration.csv").read_text().splitlines()[1:] == ['"AAA","2013J","a","-3",""', '"AAA","2013J","b","1","40"']
    assert (folder / "assessments.csv").read_text().splitlines()[1:] == ['"AAA","2013J","x","TMA","","12.5"']
    assert (folder / "studentAssessment.csv").read_text().splitlines()[1:] == ['"x","a","2","0","64.5"']
    # attributes come from the learners table when enrollments do not carry them; null -> ""
    info = (folder / "studentInfo.csv").read_text().splitlines()
    assert info[1:] == ['"AAA","2013J","a","F","","","0-10%","","","","","Pass"', '"AAA","2013J","b","M","","","","","","","","Withdrawn"']
    back = read_oulad(folder)
    assert back.activity["timestamp"].tolist() == [T("2013-09-21"), T("2013-10-01"), T("2013-10-02")]
    assert back.activity["resource_id"].tolist() == ["1", "2", "1"]


def test_resource_ids_kept_when_each_belongs_to_one_offering_and_type(tmp_path):
    activity = pd.DataFrame(
        {
            "learner_id": ["a", "b", "b"],
            "course_id": ["AAA-2013J"] * 3,
            "timestamp": [T("2013-10-03")] * 3,
            "activity_type": ["forum", "forum", "quiz"],
            "clicks": [1, 1, 1],
            "resource_id": ["r9", "r9", "q1"],
        }
    )
    folder = write_oulad(_one_course(activity), tmp_path / "o")
    assert read_oulad(folder).activity["resource_id"].tolist() == ["r9", "r9", "q1"]
    shared = activity.assign(resource_id=["r9", "r9", "r9"])  # one id, two activity types: synthesized
    folder = write_oulad(_one_course(shared), tmp_path / "p")
    assert read_oulad(folder).activity["resource_id"].tolist() == ["1", "1", "2"]


def test_line_breaks_inside_values_become_spaces(tmp_path):
    activity = pd.DataFrame(
        {"learner_id": ["a"], "course_id": ["AAA-2013J"], "timestamp": [T("2013-10-03")], "activity_type": ['odd\r\n"type"'], "clicks": [1]}
    )
    folder = write_oulad(_one_course(activity), tmp_path / "o")
    assert (folder / "vle.csv").read_bytes().splitlines()[1] == b'"1","AAA","2013J","odd ""type""","",""'
    assert read_oulad(folder).activity["activity_type"].tolist() == ['odd "type"']


def test_start_on_another_day_reads_back_with_start_day(tmp_path, caplog):
    activity = pd.DataFrame(
        {"learner_id": ["a"], "course_id": ["AAA-2013J"], "timestamp": [T("2013-10-20")], "activity_type": ["quiz"], "clicks": [1]}
    )
    data = _one_course(activity, start="2013-10-15", end="2014-06-01")
    with caplog.at_level(logging.INFO, logger="learnrisk.data"):
        folder = write_oulad(data, tmp_path / "o")
    assert any("start_day=15" in r.getMessage() for r in caplog.records)
    back = read_oulad(folder, start_day=15)
    pd.testing.assert_frame_equal(back.courses[["course_id", "start", "end"]], data.courses[["course_id", "start", "end"]])
    assert back.activity["timestamp"].tolist() == [T("2013-10-20")]


def test_course_ids_must_name_module_and_presentation(tiny, tmp_path):
    with pytest.raises(LearnriskError) as err:
        write_oulad(tiny, tmp_path / "o")
    message = str(err.value)
    assert "3 course id(s) not of the form CODE-YYYYB or CODE-YYYYJ" in message
    assert "'A-2023'" in message and "AAA-2013J" in message
    assert not (tmp_path / "o" / "studentVle.csv").exists()
