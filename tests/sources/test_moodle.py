"""Moodle from its table exports: the round trip (synthetic data -> Moodle's tables -> reader ->
the same canonical data and features), the options, and bad input (one line, exit 2, nothing
written). The same tables in a real PostgreSQL: test_moodle_postgres.py; the fixtures written
from Moodle's install.xml and a Logs report download: test_moodle_fixtures.py."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import learnrisk
from learnrisk import sources, synthetic
from learnrisk.errors import ConfigError, SourceError
from learnrisk.sources.moodle import COLUMNS, TABLES

from ..conftest import run_cli
from ._moodle import assert_same_as_written, assert_same_features, small_data


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    data = small_data()
    folder = tmp_path_factory.mktemp("moodle") / "exports"
    paths = sources.write("moodle", data, folder)
    assert sorted(p.name for p in paths) == sorted(f"mdl_{t}.csv" for t in TABLES)
    return data, folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small site (one offering) to break in many ways."""
    folder = tmp_path_factory.mktemp("moodle-tiny") / "exports"
    sources.write("moodle", synthetic.generate(n_learners=8, n_courses=1, offerings=1, seed=2), folder)
    return None, folder


@pytest.fixture(scope="module")
def back(written):
    report = sources.ImportReport("moodle")
    return sources.read("moodle", written[1], report=report, ids="idnumber"), report


def test_round_trip_gives_the_same_tables_and_features(written, back):
    data, _ = written
    assert_same_as_written(data, back[0])
    assert_same_features(data, back[0])
    report = back[1]
    assert report.read == int(data.activity["clicks"].sum())  # one log row per click
    assert report.mapped["enrollments"] == len(data.enrollments) and not report.dropped


def test_the_log_is_read_in_windows_with_the_same_result(written, back):
    report = sources.ImportReport("moodle")
    windowed = sources.read("moodle", written[1], report=report, ids="idnumber", chunk_rows="8000")
    assert report.read == back[1].read
    pd.testing.assert_frame_equal(windowed.activity, back[0].activity)


def test_default_ids_are_moodle_ids(written, back):
    data = sources.read("moodle", written[1])
    users = pd.read_csv(written[1] / "mdl_user.csv", dtype="str", keep_default_na=False)
    by_idnumber = dict(zip(users["idnumber"], users["id"]))
    assert sorted(data.enrollments["learner_id"]) == sorted(back[0].enrollments["learner_id"].map(by_idnumber))
    assert data.assessments["assessment_id"].str.fullmatch(r"(assign|quiz)-\d+").all()
    assert len(data.submissions) == len(back[0].submissions)


def test_courses_are_selected_by_moodle_id(written):
    courses = pd.read_csv(written[1] / "mdl_course.csv", dtype="str", keep_default_na=False)
    report = sources.ImportReport("moodle")
    data = sources.read("moodle", written[1], report=report, courses="3", ids="idnumber")
    assert data.courses["course_id"].tolist() == courses.loc[courses["id"] == "3", "shortname"].tolist()
    assert set(data.activity["course_id"]) == set(data.courses["course_id"])
    assert set(data.assessments["course_id"]) == set(data.courses["course_id"])
    assert report.read < int(small_data().activity["clicks"].sum())  # filtered in the query, not after
    assert not report.dropped  # other offerings' submissions are not read, so not "dropped"


def test_synth_writes_the_moodle_format_and_import_reads_it(tmp_path, capsys):
    out = tmp_path / "moodle"
    code, _, err = run_cli(capsys, "synth", "--learners", "12", "--courses", "1", "--offerings", "1", "--format", "moodle", "--out", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(f"mdl_{t}.csv" for t in TABLES)
    for name in TABLES:  # the writer writes at least the columns the reader reads
        header = pd.read_csv(out / f"mdl_{name}.csv", nrows=0).columns
        assert set(COLUMNS[name]) <= set(header), name
    code, stdout, err = run_cli(capsys, "import", out, "--from", "moodle", "--out", tmp_path / "canonical", "-o", "ids=idnumber")
    assert code == 0, err
    assert "mapped:" in stdout and (tmp_path / "canonical" / "import-report.json").exists()
    data = learnrisk.read_parquet(tmp_path / "canonical")
    assert len(data.enrollments) >= 12 and data.learners["learner_id"].str.startswith("L").all()


def _broken(written, tmp_path, table: str | None = None, edit=None):
    """A copy of the exports with one table removed (``edit`` None) or edited."""
    folder = tmp_path / "broken"
    shutil.copytree(written[1], folder)
    if table and edit is None:
        (folder / f"mdl_{table}.csv").unlink()
    elif table:
        path = folder / f"mdl_{table}.csv"
        frame = pd.read_csv(path, dtype="str", keep_default_na=False)
        edit(frame)
        frame.to_csv(path, index=False)
    return folder


def _null(column: str, value: str = "", row: int = 4):
    def edit(frame):
        frame.loc[row, column] = value
    return edit


@pytest.mark.parametrize(
    ("table", "edit", "options", "message"),
    [
        ("quiz", None, (), "moodle: table mdl_quiz not found in"),
        (None, None, ("-o", "prefix=moodle_"), "no Moodle tables with the prefix 'moodle_' in"),
        ("logstore_standard_log", _null("userid"), (), "mdl_logstore_standard_log row id=5 has no user (userid is empty)"),
        ("logstore_standard_log", _null("timecreated"), (), "mdl_logstore_standard_log row id=5 has no time"),
        ("course", _null("startdate", "soon", row=1), (), "mdl_course row id=2: startdate is 'soon', not a number"),
        (None, None, ("-o", "courses=99"), "course id 99 (-o courses) is not in the course table"),
        (None, None, ("-o", "colour=red"), "unknown option 'colour'"),
        (None, None, ("-o", "chunk_rows=0"), "chunk_rows must be a whole number of at least 1, found '0'"),
        ("logstore_standard_log", _null("timecreated", "0"), (), "mdl_logstore_standard_log row id=5 has no time"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(tiny, tmp_path, capsys, table, edit, options, message):
    folder = _broken(tiny, tmp_path, table, edit) if table else tiny[1]
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", folder, "--from", "moodle", "--out", out, *options)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("learnrisk: error: moodle: ") and message in lines[0], err
    assert not out.exists()


def test_unknown_prefix_names_the_one_found(tiny):
    with pytest.raises(SourceError, match="tables found with the prefixes 'mdl_'"):
        sources.read("moodle", tiny[1], prefix="moodle_")


def test_a_missing_column_and_a_wrong_source_are_named(tiny, tmp_path):
    folder = _broken(tiny, tmp_path, "assign", lambda f: f.drop(columns="duedate", inplace=True))
    with pytest.raises(SourceError, match=r"mdl_assign.csv has no column 'duedate'"):
        sources.read("moodle", folder)
    with pytest.raises(SourceError, match="neither a database URL"):
        sources.read("moodle", tmp_path / "nothing-here")
    with pytest.raises(SourceError, match="cannot read the database postgresql\\+psycopg://\\*\\*\\*@"):
        sources.read("moodle", "postgresql+psycopg://reader:secret@127.0.0.1:1/moodle?connect_timeout=2")
    with pytest.raises(ConfigError, match="ids must be 'id' or 'idnumber'"):
        sources.read("moodle", tiny[1], ids="email")


def test_exports_without_the_prefix_in_their_names(tiny, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    for path in tiny[1].glob("mdl_*.csv"):
        shutil.copy(path, folder / path.name.removeprefix("mdl_"))
    plain, prefixed = sources.read("moodle", folder), sources.read("moodle", tiny[1])
    for name, frame in prefixed.all_tables().items():
        pd.testing.assert_frame_equal(plain.all_tables()[name], frame, obj=name)
