"""The optional tables of the contract (actions, assignments, hr, kpis): checked like the six,
carried through Parquet, course selection and the digest; absent, nothing changes."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk.data import OPTIONAL_TABLES, read_parquet
from learnrisk.data._validate import coerce_tables
from learnrisk.errors import DataValidationError

from ..conftest import T, make_tiny


def _actions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "learner_id": ["L2", "L6"],
            "course_id": ["A-2023", "A-2024"],
            "acted_at": ["2023-01-10", "2024-01-20"],
            "intervention_id": ["call", "email"],
            "status": ["done", "planned"],
            "useful": ["yes", None],
        }
    )


def _hr() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "learner_id": ["L1", "L1", "L6"],
            "effective_from": [T("2020-01-01"), T("2023-06-01"), T("2021-01-01")],
            "department": ["sales", "support", "sales"],
        }
    )


def _with(**tables) -> LearningData:
    return make_tiny().replace(**tables)


def test_absent_optional_tables_change_nothing(tmp_path):
    tiny = make_tiny()
    assert tiny.optional_tables() == {} and all(getattr(tiny, n) is None for n in OPTIONAL_TABLES)
    tiny.to_parquet(tmp_path / "d")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(f"{t}.parquet" for t in tiny.tables())
    assert read_parquet(tmp_path / "d").digest() == tiny.digest()


def test_optional_tables_are_coerced_and_round_trip(tmp_path):
    data = _with(actions=_actions(), hr=_hr())
    assert str(data.actions["acted_at"].dtype) == "datetime64[ns, UTC]"
    assert set(data.optional_tables()) == {"actions", "hr"}
    assert data.digest() != make_tiny().digest()
    data.to_parquet(tmp_path / "d")
    back = read_parquet(tmp_path / "d")
    pd.testing.assert_frame_equal(back.actions, data.actions)
    pd.testing.assert_frame_equal(back.hr, data.hr)
    assert back.digest() == data.digest()
    assert read_parquet(tmp_path / "d", courses=["A-2023"]).digest() == data.digest()


def test_selection_keeps_the_rows_of_the_selected_offerings(tmp_path):
    data = _with(actions=_actions(), hr=_hr())
    part = data.select_courses(["A-2024"])
    assert part.actions["learner_id"].tolist() == ["L6"]
    assert sorted(part.hr["learner_id"]) == ["L1", "L1", "L6"]  # L1 and L6 are enrolled in A-2024
    data.to_parquet(tmp_path / "d")
    read = read_parquet(tmp_path / "d", courses=["A-2023"])
    assert read.actions["learner_id"].tolist() == ["L2"]
    assert sorted(read.hr["learner_id"]) == ["L1", "L1"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda a: a.assign(status=["done", "called"]), "unknown status"),
        (lambda a: a.assign(useful=["maybe", None]), "unknown answer"),
        (lambda a: a.assign(learner_id=["L2", "L5"]), "not enrolled"),
        (lambda a: a.assign(acted_at=["2023-01-10", None]), "missing values"),
        (lambda a: a.drop(columns="status"), "missing required column"),
    ],
)
def test_bad_actions_are_refused_with_the_reason(change, problem):
    with pytest.raises(DataValidationError, match=problem):
        _with(actions=change(_actions()))


def test_hr_keys_and_assignment_dates_are_checked():
    with pytest.raises(DataValidationError, match="duplicate key"):
        _with(hr=pd.concat([_hr(), _hr().head(1)]))
    bad = pd.DataFrame({"learner_id": ["L1"], "course_id": ["A-2024"], "assigned_at": [T("2024-01-10")], "due_at": [T("2024-01-01")]})
    with pytest.raises(DataValidationError, match="due before assigned"):
        _with(assignments=bad)


def test_unknown_tables_are_named():
    with pytest.raises(DataValidationError, match="unknown table"):
        coerce_tables({**make_tiny().tables(), "notes": pd.DataFrame()})
