"""read_parquet(folder, courses=..., as_of=...) reads only some offerings: the same tables as
select_courses on the whole, the other rows skipped while reading yet still checked
(check_parquet, batch by batch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.data import LearningData, load_data, read_oulad, read_parquet
from learnrisk.data._core import check_parquet, contract_columns
from learnrisk.errors import DataValidationError
from learnrisk.timeline import running
from tests.conftest import make_tiny
from tests.data.conftest import MINI, write_release

AS_OF = "2014-12-01"


@pytest.fixture(scope="module")
def world():
    return synthetic.generate(n_learners=300, seed=3, as_of="2014-12-08")


@pytest.fixture(scope="module")
def folder(world, tmp_path_factory):
    return world.to_parquet(tmp_path_factory.mktemp("filters") / "data")


def assert_same_tables(got: LearningData, expected: LearningData) -> None:
    for name, frame in expected.tables().items():
        pd.testing.assert_frame_equal(getattr(got, name), frame, check_exact=True, obj=name)


def _running_ids(data: LearningData, as_of: str) -> list[str]:
    c = data.courses
    return c.loc[running(c["start"], c["end"], pd.Timestamp(as_of, tz="UTC")).to_numpy(), "course_id"].tolist()


def test_courses_gives_exactly_the_tables_of_select_courses(world, folder):
    ids = ["BBB-2013J", "AAA-2014J"]
    got = read_parquet(folder, courses=ids)
    assert_same_tables(got, world.select_courses(ids))
    assert set(got.courses["course_id"]) == set(ids)
    assert len(got.activity) < len(world.activity)


def test_as_of_gives_the_running_offerings(world, folder):
    ids = _running_ids(world, AS_OF)
    assert 0 < len(ids) < len(world.courses)
    got = read_parquet(folder, as_of=AS_OF)
    assert_same_tables(got, world.select_courses(ids))
    # both: the offerings of courses that run then
    both = read_parquet(folder, courses=[ids[0], "AAA-2013B"], as_of=AS_OF)
    assert_same_tables(both, world.select_courses([ids[0]]))


def test_no_offering_running_gives_empty_tables(folder):
    got = read_parquet(folder, as_of="2031-01-01")
    assert all(len(f) == 0 for f in got.tables().values())


def test_unknown_course_is_an_error(folder):
    with pytest.raises(ValueError, match="unknown course_id"):
        read_parquet(folder, courses=["ZZZ-2099B"])


def test_extra_columns_false_reads_the_contract_and_the_sensitive_attributes(world, tmp_path):
    tables = world.tables()
    tables["activity"] = tables["activity"].assign(note="x")
    tables["enrollments"] = tables["enrollments"].assign(tutor_note="y", advisor="Ann")
    folder = LearningData(**tables).to_parquet(tmp_path / "extra")
    got = read_parquet(folder, as_of=AS_OF, extra_columns=False)
    assert "note" not in got.activity.columns and "tutor_note" not in got.enrollments.columns
    assert "advisor" in got.enrollments.columns  # the caseload column (score --by advisor) is kept
    assert {"gender", "prior_attempts", "credits"} <= set(got.enrollments.columns)
    assert set(got.activity.columns) <= contract_columns("activity")
    assert "note" in read_parquet(folder, as_of=AS_OF).activity.columns  # the default keeps them


def test_ids_stored_as_numbers_are_filtered_after_the_read(tmp_path):
    tiny = make_tiny()
    tables = {n: f.copy() for n, f in tiny.tables().items()}
    codes = {cid: i + 1 for i, cid in enumerate(tiny.courses["course_id"])}
    for name in ("courses", "enrollments", "activity", "assessments"):
        tables[name]["course_id"] = tables[name]["course_id"].map(codes).astype("int64")
    folder = tmp_path / "numbers"
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    whole = read_parquet(folder)
    assert_same_tables(read_parquet(folder, courses=["1"]), whole.select_courses(["1"]))


def test_rows_of_other_offerings_are_not_read_but_are_checked(world, tmp_path):
    tables = world.tables()
    act = tables["activity"].copy()
    other = np.flatnonzero(~act["course_id"].isin(_running_ids(world, AS_OF)).to_numpy())
    bad = other[[3, 400, len(other) - 1]]
    act.loc[bad, "clicks"] = -2
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, frame in {**tables, "activity": act}.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    selected = read_parquet(folder, as_of=AS_OF, validate=False)  # the bad rows are not read
    assert (selected.activity["clicks"] >= 1).all()
    with pytest.raises(DataValidationError) as whole:
        LearningData(**{**tables, "activity": act})
    for call in (lambda: read_parquet(folder, as_of=AS_OF), lambda: check_parquet(folder, batch_rows=997)):
        with pytest.raises(DataValidationError) as err:
            call()
        (p,) = err.value.problems
        (w,) = whole.value.problems
        assert (p.table, p.column, p.problem, p.count) == (w.table, w.column, w.problem, w.count) == (
            "activity", "clicks", "clicks below 1 (a row is at least one click)", 3
        )
    # rows numbered as in the whole file, across batches
    with pytest.raises(DataValidationError) as err:
        check_parquet(folder, batch_rows=997)
    assert err.value.rows.index.tolist() == bad.tolist()


def test_check_parquet_passes_a_valid_folder(folder):
    check_parquet(folder, batch_rows=1000)


def test_load_data_of_an_oulad_release_selects_after_reading(tmp_path):
    release = write_release(tmp_path / "r", MINI)
    whole = read_oulad(release)
    got = load_data(release, as_of="2014-11-01")
    assert_same_tables(got, whole.select_courses(["AAA-2014J"]))
    assert_same_tables(load_data(release, courses=["AAA-2014B"]), whole.select_courses(["AAA-2014B"]))


@pytest.mark.parametrize("validate", [True, False])
def test_the_digest_is_the_whole_folders(world, folder, validate):
    part = read_parquet(folder, as_of=AS_OF, validate=validate)
    assert part.digest() == world.digest() == read_parquet(folder).digest()
    assert part.select_courses(part.courses["course_id"]).digest() != world.digest()  # a new object: its own tables
    assert check_parquet(folder, batch_rows=1234) == world.digest()
