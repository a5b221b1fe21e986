"""read_oulad: the real OULAD sample (counts checked against the README) and a hand-written
release holding every quirk the reader handles (answers computed by hand)."""

from __future__ import annotations

import logging
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

import learnrisk
from learnrisk.data import read_oulad
from learnrisk.errors import DataValidationError, LearnriskError

from .conftest import MINI, SAMPLE, write_release


def T(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


# --------------------------------------------------------------------------- the real sample
def test_sample_row_counts(sample_data):
    d = sample_data
    assert len(d.enrollments) == 2_150
    assert len(d.activity) == 584_248
    assert len(d.submissions) == 12_889
    assert len(d.assessments) == 18
    assert len(d.courses) == 2
    assert len(d.learners) == d.enrollments["learner_id"].nunique()


def test_sample_outcomes_per_presentation(sample_data):
    counts = sample_data.enrollments.groupby(["course_id", "outcome"]).size().to_dict()
    assert counts == {
        ("AAA-2013J", "pass"): 258,
        ("AAA-2013J", "withdrawn"): 60,
        ("AAA-2013J", "fail"): 45,
        ("AAA-2013J", "distinction"): 20,
        ("BBB-2013B", "pass"): 648,
        ("BBB-2013B", "withdrawn"): 505,
        ("BBB-2013B", "fail"): 459,
        ("BBB-2013B", "distinction"): 155,
    }


def test_sample_keeps_exact_duplicate_activity_rows(sample_data):
    raw = pd.read_csv(SAMPLE / "studentVle.csv", dtype=str, engine="pyarrow")
    assert raw.duplicated().sum() > 0
    assert sample_data.activity.duplicated().sum() == raw.duplicated().sum()
    assert sample_data.activity["clicks"].sum() == pd.to_numeric(raw["sum_click"]).sum()


def test_sample_learners_without_activity_are_enrolled(sample_data):
    active = sample_data.activity[["learner_id", "course_id"]].drop_duplicates()
    e = sample_data.enrollments.merge(active, on=["learner_id", "course_id"], how="left", indicator=True)
    silent = e["_merge"] == "left_only"
    assert len(e) == 2_150
    assert silent.sum() > 0
    assert e.loc[silent, "outcome"].notna().all()


def test_sample_exam_without_date_is_due_at_course_end(sample_data):
    a = sample_data.assessments.merge(sample_data.courses, on="course_id")
    exams = a[a["kind"] == "Exam"]
    assert len(exams) == 2
    assert (exams["due_at"] == exams["end"]).all()
    assert (a.loc[a["assessment_id"] == "1752", "due_at"] == T("2013-10-20")).all()  # day 19 of AAA-2013J


def test_sample_null_scores(sample_data):
    assert sample_data.submissions["score"].isna().sum() == 18
    assert sample_data.submissions["is_banked"].dtype == np.int64


def test_sample_calendar_start_rule(sample_data):
    c = sample_data.courses.set_index("course_id")
    assert c.loc["AAA-2013J", "start"] == T("2013-10-01")
    assert c.loc["AAA-2013J", "end"] == T("2014-06-26")  # 268 days
    assert c.loc["BBB-2013B", "start"] == T("2013-02-01")
    assert c.loc["BBB-2013B", "end"] == T("2013-09-29")  # 240 days
    assert set(c["course_code"]) == {"AAA", "BBB"}
    assert set(c["pacing"]) == {"cohort"}


def test_sample_start_day_is_configurable(sample_data):
    d = read_oulad(SAMPLE, start_day=15, validate=False)
    c = d.courses.set_index("course_id")
    assert c.loc["AAA-2013J", "start"] == T("2013-10-15")
    assert c.loc["BBB-2013B", "start"] == T("2013-02-15")
    shift = pd.Timedelta(days=14)
    assert (d.activity["timestamp"] - sample_data.activity["timestamp"] == shift).all()


def test_sample_attributes(sample_data):
    e = sample_data.enrollments
    assert {"gender", "region", "prior_education", "deprivation", "age_band", "disability"} <= set(e.columns)
    assert e["deprivation"].isna().sum() == 36  # empty imd_band in the sample
    first = sample_data.learners.iloc[0]
    assert (first["learner_id"], first["prior_education"], first["deprivation"]) == ("11391", "HE Qualification", "90-100%")


@pytest.mark.parametrize("subfolder", ["", "anonymisedData/"])
def test_sample_zip_gives_the_same_data(sample_data, tmp_path, subfolder):
    z = tmp_path / "oulad.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in sorted(SAMPLE.glob("*.csv")):
            zf.write(f, subfolder + f.name)
        zf.writestr("__MACOSX/" + subfolder + "._studentInfo.csv", b"junk")
    d = learnrisk.read_oulad(z)
    for name, frame in sample_data.tables().items():
        pd.testing.assert_frame_equal(getattr(d, name), frame, obj=name)


# --------------------------------------------------------------------------- hand-written quirks
def test_mini_courses_and_times(mini_release):
    d = read_oulad(mini_release)
    assert d.courses[["course_id", "course_code", "start", "end"]].values.tolist() == [
        ["AAA-2014B", "AAA", T("2014-02-01"), T("2014-08-20")],
        ["AAA-2014J", "AAA", T("2014-10-01"), T("2015-06-08")],
    ]
    a = d.activity
    assert a["timestamp"].tolist() == [T("2014-01-29"), T("2014-01-29"), T("2014-02-01"), T("2014-10-06")]
    assert a["activity_type"].tolist() == ["resource", "resource", "quiz", "resource"]
    assert a["resource_id"].tolist() == ["1", "1", "2", "3"]
    assert a["clicks"].tolist() == [2, 2, 1, 4]
    assert a["course_id"].tolist() == ["AAA-2014B", "AAA-2014B", "AAA-2014B", "AAA-2014J"]


def test_mini_enrollments(mini_release, caplog):
    with caplog.at_level(logging.INFO, logger="learnrisk.data"):
        d = read_oulad(mini_release)
    e = d.enrollments.set_index(["learner_id", "course_id"])
    assert e.loc[("7", "AAA-2014B"), "registered_at"] == T("2014-01-02")  # day -30
    assert pd.isna(e.loc[("7", "AAA-2014B"), "withdrawn_at"])
    assert e.loc[("7", "AAA-2014J"), "registered_at"] == T("2014-09-21")  # day -10
    # unregistered on day -20, before registering on day -5: kept, registered at the unregistration
    assert e.loc[("8", "AAA-2014B"), "registered_at"] == T("2014-01-12")
    assert e.loc[("8", "AAA-2014B"), "withdrawn_at"] == T("2014-01-12")
    assert e.loc[("8", "AAA-2014B"), "outcome"] == "withdrawn"
    # no registration day: registered at the course start
    assert e.loc[("9", "AAA-2014B"), "registered_at"] == T("2014-02-01")
    assert e["outcome"].tolist() == ["fail", "pass", "withdrawn", "pass"]
    assert e["prior_attempts"].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert e["credits"].tolist() == [60.0, 60.0, 120.0, 60.0]
    messages = [r.getMessage() for r in caplog.records]
    assert any("1 registration(s) with date_unregistration before date_registration" in m for m in messages)
    assert any("1 registration(s) without a registration day" in m for m in messages)
    assert [r.levelno for r in caplog.records if "before date_registration" in r.getMessage()] == [logging.WARNING]


def test_mini_learner_attributes_come_from_latest_registration(mini_release):
    d = read_oulad(mini_release)
    assert d.learners["learner_id"].tolist() == ["7", "8", "9"]
    seven = d.learners.set_index("learner_id").loc["7"]
    assert (seven["region"], seven["prior_education"], seven["deprivation"]) == ("Wales", "A Level or Equivalent", "10-20")
    # per enrollment, the attributes of that registration; a missing imd_band is null
    e = d.enrollments.set_index(["learner_id", "course_id"])
    assert e.loc[("7", "AAA-2014B"), "region"] == "Scotland"
    assert pd.isna(e.loc[("7", "AAA-2014B"), "deprivation"])
    assert e.loc[("7", "AAA-2014J"), "deprivation"] == "10-20"


def test_mini_assessments_and_submissions(mini_release):
    d = read_oulad(mini_release)
    a = d.assessments.set_index("assessment_id")
    assert a.loc["10", "due_at"] == T("2014-02-21")
    assert a.loc["11", "due_at"] == T("2014-08-20")  # Exam without a date: course end
    assert a.loc["20", "due_at"] == T("2014-10-31")
    assert a["weight"].tolist() == [40.0, 60.0, 100.0]
    s = d.submissions
    assert s["submitted_at"].tolist() == [T("2014-02-20"), T("2014-08-21"), T("2014-10-30")]  # from each course start
    assert s["score"].isna().tolist() == [False, True, False]
    assert s["is_banked"].tolist() == [0, 0, 1]


def test_mini_extra_columns_are_ignored_and_bom_accepted(tmp_path):
    files = {k: list(v) for k, v in MINI.items()}
    files["courses.csv"] = [row + (("note",) if i == 0 else ("x",)) for i, row in enumerate(files["courses.csv"])]
    folder = write_release(tmp_path / "r", files)
    raw = (folder / "studentInfo.csv").read_bytes()
    (folder / "studentInfo.csv").write_bytes(b"\xef\xbb\xbf" + raw)
    assert len(read_oulad(folder).enrollments) == 4


# --------------------------------------------------------------------------- errors
def test_missing_file_names_it(mini_release):
    (mini_release / "vle.csv").unlink()
    with pytest.raises(DataValidationError) as err:
        read_oulad(mini_release)
    assert err.value.table == "vle.csv"
    assert "file is missing" in str(err.value)


def test_missing_column_names_file_and_column(tmp_path):
    files = dict(MINI)
    files["studentVle.csv"] = [row[:5] for row in MINI["studentVle.csv"]]  # no sum_click
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    assert (err.value.table, err.value.column) == ("studentVle.csv", "sum_click")
    assert "found columns: code_module, code_presentation, id_student, id_site, date" in str(err.value)


def test_unparseable_number_names_column_count_and_line(tmp_path):
    files = dict(MINI)
    files["studentVle.csv"] = MINI["studentVle.csv"][:2] + [("AAA", "2014B", "8", "2", "zero", "1.5")] + MINI["studentVle.csv"][3:]
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    got = {(p.table, p.column): p for p in err.value.problems}
    assert set(got) == {("studentVle.csv", "date"), ("studentVle.csv", "sum_click")}
    assert got[("studentVle.csv", "date")].count == 1
    assert got[("studentVle.csv", "date")].rows.index.tolist() == [3]  # line 3 of the file (line 1: header)
    assert "zero" in str(err.value)


def test_bad_presentation_code(tmp_path):
    files = {k: [tuple(v.replace("2014J", "2014X") for v in row) for row in rows] for k, rows in MINI.items()}
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    assert (err.value.table, err.value.column) == ("courses.csv", "code_presentation")
    assert "YYYYB or YYYYJ" in str(err.value) and "2014X" in str(err.value)


def test_rows_of_unknown_presentation_or_resource(tmp_path):
    files = dict(MINI)
    files["studentVle.csv"] = MINI["studentVle.csv"] + [("BBB", "2014B", "7", "1", "1", "1"), ("AAA", "2014B", "7", "99", "1", "1")]
    files["studentAssessment.csv"] = MINI["studentAssessment.csv"] + [("12", "7", "1", "0", "1")]
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    got = {(p.table, p.column): p.count for p in err.value.problems}
    assert got == {
        ("studentVle.csv", "code_module,code_presentation"): 1,
        ("studentVle.csv", "id_site"): 1,
        ("studentAssessment.csv", "id_assessment"): 1,
    }
    assert "not listed in vle.csv" in str(err.value)


def test_bad_start_day_and_path(tmp_path, mini_release):
    for bad in (0, 29, 1.5, True):
        with pytest.raises(LearnriskError, match="start_day"):
            read_oulad(mini_release, start_day=bad)
    with pytest.raises(LearnriskError, match="found nothing"):
        read_oulad(tmp_path / "nowhere")
    shutil.copy(mini_release / "courses.csv", tmp_path / "x.zip")
    with pytest.raises(LearnriskError, match="not a zip"):
        read_oulad(tmp_path / "x.zip")


def test_registration_without_student_info_row_is_ignored_and_logged(tmp_path, caplog):
    files = dict(MINI)
    files["studentRegistration.csv"] = MINI["studentRegistration.csv"] + [("AAA", "2014J", "99", "-1", "")]
    with caplog.at_level(logging.INFO, logger="learnrisk.data"):
        d = read_oulad(write_release(tmp_path / "r", files))
    assert "99" not in set(d.enrollments["learner_id"])
    assert any("1 studentRegistration row(s) without a studentInfo row" in r.getMessage() for r in caplog.records)
