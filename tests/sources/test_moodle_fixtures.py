"""Moodle fixtures checked field by field: the DDL written from Moodle's install.xml (every
column the reader reads exists, with its XMLDB type), a folder of table exports holding every
install.xml column with rows for each rule of the map, and a Logs report CSV download."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnrisk import sources
from learnrisk.errors import ConfigError, SourceError
from learnrisk.sources.moodle import COLUMNS, TABLES

from ..conftest import T, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "moodle"
DDL = FIXTURES / "install.sql"


def ddl_columns() -> dict[str, dict[str, str]]:
    """Table -> column -> SQL type, from the fixture DDL (in install.xml's order)."""
    out = {}
    for m in re.finditer(r"CREATE TABLE mdl_(\w+) \((.*?)\n\);", DDL.read_text(), re.S):
        lines = [line.strip().rstrip(",").split() for line in m.group(2).strip().splitlines()]
        out[m.group(1)] = {words[0]: words[1] for words in lines}
    return out


# The XMLDB type of each column the reader reads (install.xml: int -> integer, char/text -> text,
# number -> numeric), so that a change in the reader's columns is checked against Moodle's.
NUMERIC = {"grademax", "grademin", "gradepass", "aggregationcoef", "aggregationcoef2", "finalgrade"}
TEXT = {"shortname", "fullname", "idnumber", "eventname", "component", "crud", "name", "itemtype", "itemmodule", "state"}


def test_every_column_read_is_in_install_xml_with_its_type():
    ddl = ddl_columns()
    assert set(ddl) == set(TABLES)
    for table, columns in COLUMNS.items():
        for col in columns:
            assert col in ddl[table], f"{table}.{col} is not a column of Moodle's {table}"
            sql = ddl[table][col]
            if col in NUMERIC:
                assert sql.startswith("NUMERIC"), (table, col, sql)
            elif col in TEXT or (table == "assign_submission" and col == "status"):
                assert sql.startswith(("VARCHAR", "TEXT")), (table, col, sql)
            else:
                assert sql in ("BIGINT", "BIGSERIAL", "INTEGER", "SMALLINT"), (table, col, sql)
    # a few columns spelled out from install.xml, the ones the map turns on
    assert list(ddl["logstore_standard_log"])[:10] == [
        "id", "eventname", "component", "action", "target", "objecttable", "objectid", "crud", "edulevel", "contextid"
    ]
    assert ddl["user_enrolments"]["timeend"] == "BIGINT" and "latest" in ddl["assign_submission"]


def test_fixture_exports_hold_every_install_xml_column():
    ddl = ddl_columns()
    for table in TABLES:
        header = pd.read_csv(FIXTURES / "tables" / f"mdl_{table}.csv", nrows=0).columns.tolist()
        assert header == list(ddl[table]), table


@pytest.fixture(scope="module")
def fixture_read():
    report = sources.ImportReport("moodle")
    data = sources.read("moodle", FIXTURES / "tables", report=report, exclude_users="5")
    return data, report


def test_courses_field_by_field(fixture_read):
    c = fixture_read[0].courses.set_index("course_id")
    assert c.index.tolist() == ["BIO101-2023", "CHEM200-2023"]  # the site (course 1) is not an offering
    assert c.loc["BIO101-2023", ["course_code", "title"]].tolist() == ["BIO101", "Biology 101 (autumn 2023)"]
    assert c.loc["BIO101-2023", ["start", "end"]].tolist() == [T("2023-09-04"), T("2023-12-15")]
    # no idnumber: the code is the shortname; enddate 0: the midnight after the last event (2023-11-03 08:26)
    assert c.loc["CHEM200-2023", ["course_code", "start", "end"]].tolist() == ["CHEM200-2023", T("2023-09-04"), T("2023-11-04")]
    assert any("enddate 0" in n for n in fixture_read[1].notes)


def test_enrollments_field_by_field(fixture_read):
    e = fixture_read[0].enrollments.set_index(["learner_id", "course_id"]).sort_index()
    assert e.index.tolist() == [("3", "BIO101-2023"), ("3", "CHEM200-2023"), ("4", "BIO101-2023"), ("6", "CHEM200-2023")]
    # two methods (manual from 08-28, self created 08-25 with timestart 0): the earliest
    assert e.loc[("3", "BIO101-2023"), "registered_at"] == T("2023-08-25")
    assert e.loc[("3", "BIO101-2023"), ["outcome", "final_score"]].tolist() == ["pass", 77.5]  # 77.5 >= gradepass 50
    # suspended: withdrawn when the suspension was saved (timemodified), a label
    assert e.loc[("4", "BIO101-2023"), ["withdrawn_at", "outcome", "final_score"]].tolist() == [T("2023-10-01"), "withdrawn", 30.0]
    # timeend is an access end, not a withdrawal; gradepass 0 and no pass_mark: no outcome
    assert pd.isna(e.loc[("3", "CHEM200-2023"), "withdrawn_at"]) and pd.isna(e.loc[("3", "CHEM200-2023"), "outcome"])
    assert e.loc[("3", "CHEM200-2023"), "final_score"] == 55.0
    assert any("deleted users" in n for n in fixture_read[1].notes)


def test_timeend_and_pass_mark_options():
    data = sources.read("moodle", FIXTURES / "tables", exclude_users="5", timeend="withdrawal", pass_mark="50")
    e = data.enrollments.set_index(["learner_id", "course_id"])
    assert e.loc[("3", "CHEM200-2023"), ["withdrawn_at", "outcome"]].tolist() == [pd.Timestamp(1697000000, unit="s", tz="UTC"), "withdrawn"]
    data = sources.read("moodle", FIXTURES / "tables", exclude_users="5", pass_mark="50")
    assert data.enrollments.set_index(["learner_id", "course_id"]).loc[("3", "CHEM200-2023"), "outcome"] == "pass"


def test_activity_field_by_field(fixture_read):
    data, report = fixture_read
    a = data.activity.sort_values(["learner_id", "timestamp"]).reset_index(drop=True)
    s = lambda t: pd.Timestamp(t, unit="s", tz="UTC")  # noqa: E731
    expected = [
        ("3", "BIO101-2023", s(1694000000), "homepage", None, 1),      # core course_viewed
        ("3", "BIO101-2023", s(1694000100), "quiz", "21", 2),          # two identical views: 2 clicks
        ("3", "CHEM200-2023", s(1694400000), "course", None, 1),       # another core event in the course, edulevel 0
        ("3", "BIO101-2023", s(1695450000), "assign_submit", "24", 1), # assignsubmission_file, crud c
        ("3", "CHEM200-2023", s(1699000000), "url", "32", 1),
        ("4", "BIO101-2023", s(1694100000), "forum_post", "22", 1),    # mod_forum post_created, crud c
        ("4", "BIO101-2023", s(1694100500), "resource", "23", 1),
        ("6", "CHEM200-2023", s(1696000000), "page", "31", 1),
    ]
    got = [(r.learner_id, r.course_id, r.timestamp, r.activity_type, None if pd.isna(r.resource_id) else r.resource_id, r.clicks)
           for r in a.itertuples()]
    assert got == expected
    assert report.read == 15
    assert dict(report.dropped) == {
        "teaching actions (edulevel 1)": 1,
        "log rows outside a course read (site, system or another course)": 1,
        "log rows of no logged-in user (userid 0)": 1,
        "actions while logged in as the user (realuserid)": 1,
        "anonymous log rows": 1,
        "log rows of excluded users (-o exclude_users)": 1,
    }
    assert report.examples["teaching actions (edulevel 1)"] == ["id=7"]


def test_assessments_and_submissions_field_by_field(fixture_read):
    data = fixture_read[0]
    a = data.assessments.set_index("assessment_id").sort_index()
    assert a.index.tolist() == ["assign-40", "assign-41", "quiz-50"]
    assert a.loc["assign-40", ["course_id", "kind", "due_at", "title", "weight"]].tolist() == [
        "BIO101-2023", "assign", T("2023-09-25"), "Essay 1", 60.0]  # aggregationcoef2 0.6
    assert a.loc["quiz-50", ["kind", "due_at", "weight"]].tolist() == ["quiz", T("2023-09-18"), 40.0]  # timeclose
    assert pd.isna(a.loc["assign-41", "due_at"]) and a.loc["assign-41", "weight"] == 0.0  # duedate 0: no due date
    s = data.submissions.set_index(["learner_id", "assessment_id"]).sort_index()
    ts = lambda t: pd.Timestamp(t, unit="s", tz="UTC")  # noqa: E731
    assert s.index.tolist() == [("3", "assign-40"), ("3", "quiz-50"), ("4", "quiz-50"), ("6", "assign-41")]
    # the latest submitted attempt; the draft of learner 4 is no submission; marked two days
    # later (grade_grades.timemodified): the score counts from then
    assert s.loc[("3", "assign-40")].tolist() == [ts(1695500000), 75.0, ts(1695700000)]  # 15 / 20
    # the last finished attempt (not the preview of the teacher, not an attempt in progress)
    assert s.loc[("3", "quiz-50")].tolist() == [ts(1694950000), 80.0, ts(1694950000)]  # 8 / 10
    # graded with no submission record: dated when graded
    assert s.loc[("4", "quiz-50")].tolist() == [ts(1695000000), 40.0, ts(1695000000)]
    assert s.loc[("6", "assign-41")].tolist() == [ts(1698000000), 70.0, ts(1698000000)]


def test_ids_from_idnumber_fall_back_to_moodle_ids():
    data = sources.read("moodle", FIXTURES / "tables", exclude_users="5", ids="idnumber")
    assert sorted(data.learners["learner_id"]) == ["6", "S1001", "S1002"]  # user 6 has no idnumber
    assert sorted(data.assessments["assessment_id"]) == ["ESSAY1", "assign-41", "quiz-50"]


# --------------------------------------------------------------------------- the Logs report download
REPORT = FIXTURES / "logs_report.csv"
REPORT_OPTIONS = {"course": "BIO101-2023", "time_format": "%d/%m/%y, %H:%M", "timezone": "Europe/London"}


def test_logs_report_field_by_field():
    report = sources.ImportReport("moodle")
    data = sources.read("moodle", REPORT, report=report, **REPORT_OPTIONS)
    a = data.activity.sort_values(["learner_id", "timestamp", "activity_type"]).reset_index(drop=True)
    got = [(r.learner_id, r.timestamp, r.activity_type, None if pd.isna(r.resource_id) else r.resource_id, r.clicks)
           for r in a.itertuples()]
    # "1/10/23, 18:44" in London (BST, UTC+1) is 17:44 UTC; the learner is the description's user id
    assert got == [
        ("3", T("2023-09-30 22:59"), "homepage", None, 1),  # Origin ws (the mobile app) is a learner's
        ("3", T("2023-10-01 17:44"), "homepage", None, 2),  # two rows in the same minute
        ("3", T("2023-10-01 17:45"), "resource", "23", 1),  # File -> resource, course module id 23
        ("3", T("2023-10-03 13:01"), "quiz", "21", 1),
        ("3", T("2023-10-03 13:05"), "quiz_attempt", "21", 1),  # "Quiz attempt submitted"
        ("4", T("2023-10-02 08:12"), "homepage", None, 1),
        ("4", T("2023-10-02 08:30"), "forum_post", "22", 1),
        ("5", T("2023-10-01 07:00"), "assign", "24", 1),  # the teacher: no edulevel in this export
    ]
    assert dict(report.dropped) == {"log rows from the command line or a restore": 1, "log rows whose description names no user id": 1}
    assert report.examples["log rows from the command line or a restore"] == ["line 10"]
    assert data.courses[["course_id", "start", "end"]].values.tolist() == [["BIO101-2023", T("2023-09-30"), T("2023-10-04")]]


def test_logs_report_by_name_through_a_learner_map(tmp_path):
    (tmp_path / "map.csv").write_text("full_name,learner_id\nAna Silva,S1001\nBen Okafor,S1002\n")
    report = sources.ImportReport("moodle")
    data = sources.read("moodle", REPORT, report=report, learners="name", learner_map=str(tmp_path / "map.csv"),
                        start="2023-09-04", end="2023-12-15", **REPORT_OPTIONS)
    assert sorted(data.learners["learner_id"]) == ["S1001", "S1002"]
    assert report.dropped["log rows of people not in the learner map"] == 2  # the teacher and the guest
    assert data.courses[["start", "end"]].values.tolist() == [[T("2023-09-04"), T("2023-12-15")]]
    hashed = sources.read("moodle", REPORT, learners="name", **REPORT_OPTIONS)
    assert hashed.learners["learner_id"].str.fullmatch(r"u-[0-9a-f]{12}").all() and len(hashed.learners) == 4


@pytest.mark.parametrize(
    ("edit", "options", "error", "message"),
    [
        (None, {"time_format": None}, ConfigError, "needs -o 'time_format=%d/%m/%y, %H:%M'"),
        (None, {"course": None}, ConfigError, "needs -o course=BIO101-2023"),
        (None, {"time_format": "%m/%d/%Y %H:%M"}, SourceError, "logs_report.csv:2: time '3/10/23, 14:05' does not match time_format"),
        (lambda t: t.replace("\"3/10/23, 14:01\",Ana Silva", "\"3/10/23, 14:01\",-"), {}, SourceError,
         "logs_report.csv:3: a log row with no user ('User full name' is empty)"),
        (lambda t: t.replace("\"2/10/23, 09:30\"", "\"\""), {}, SourceError, "logs_report.csv:4: a log row with no time"),
        (lambda t: t.replace("Event name,", "Event,"), {}, SourceError, "is not a Logs report download: no column 'Event name'"),
        (None, {"timezone": "Mars/Olympus"}, ConfigError, "timezone 'Mars/Olympus' is not a time zone name"),
    ],
)
def test_logs_report_bad_input(tmp_path, edit, options, error, message):
    path = tmp_path / "logs_report.csv"
    path.write_text(edit(REPORT.read_text()) if edit else REPORT.read_text())
    opts = {k: v for k, v in {**REPORT_OPTIONS, **options}.items() if v is not None}
    with pytest.raises(error, match=re.escape(message)):
        sources.read("moodle", path, **opts)


def test_logs_report_through_the_cli(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", REPORT, "--from", "moodle", "--out", out, "-o", "course=BIO101-2023")
    assert code == 2 and err.count("\n") == 1 and "time_format" in err and not out.exists()
    code, stdout, err = run_cli(capsys, "import", REPORT, "--from", "moodle", "--out", out, "-o", "course=BIO101-2023",
                                "-o", "time_format=%d/%m/%y, %H:%M", "-o", "timezone=Europe/London", "-o", "exclude_users=5")
    assert code == 0, err
    assert "moodle: read 11 records" in stdout and "dropped 1: log rows of excluded users" in stdout
    assert np.array_equal(sorted(pd.read_parquet(out / "learners.parquet")["learner_id"]), ["3", "4"])
