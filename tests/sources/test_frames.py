"""``from_frames``: the rules every platform reader shares (events summed into activity, derived
enrollments and course dates, what is dropped and why)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import learnrisk
from learnrisk.errors import DataValidationError
from learnrisk.sources import ImportReport, from_frames

from ..conftest import T


def _events(**extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "learner_id": ["a", "a", "b", "c", None],
            "course_id": ["C1", "C1", "C1", None, "C1"],
            "timestamp": ["2024-01-08T10:00", "2024-01-08T10:00", "2024-01-09", "2024-01-09", "2024-01-09"],
            "activity_type": "resource",
            **extra,
        }
    )


def test_events_become_clicks_and_what_is_dropped_is_counted():
    report = ImportReport("test")
    data = from_frames(events=_events(), report=report)
    assert data.activity[["learner_id", "clicks"]].values.tolist() == [["a", 2], ["b", 1]]
    assert dict(report.dropped) == {"events without a learner": 1, "events without a course": 1}
    assert report.mapped["activity"] == 2 and report.mapped["enrollments"] == 2
    # enrollments derived at the first event; course dates from the first and last event
    assert data.enrollments.set_index("learner_id")["registered_at"].to_dict() == {"a": T("2024-01-08 10:00"), "b": T("2024-01-09")}
    assert data.enrollments["withdrawn_at"].isna().all() and data.enrollments["outcome"].isna().all()
    assert data.courses[["start", "end"]].iloc[0].tolist() == [T("2024-01-08"), T("2024-01-10")]
    assert any("derived" in n for n in report.notes) and any("e.g." in line for line in report.lines())


def test_a_count_column_is_summed_and_the_public_name_works():
    data = learnrisk.from_frames(events=_events(clicks=[3, 4, 1, 1, 1]))
    assert data.activity["clicks"].tolist() == [7, 1]


def test_given_enrollments_drop_events_and_submissions_of_learners_not_enrolled():
    report = ImportReport("test")
    enrollments = pd.DataFrame({"learner_id": ["a"], "course_id": ["C1"], "registered_at": ["2024-01-01"]})
    assessments = pd.DataFrame({"assessment_id": ["Q1"], "course_id": ["C1"], "kind": ["quiz"], "due_at": ["2024-01-20"], "weight": [10.0]})
    submissions = pd.DataFrame(
        {"learner_id": ["a", "b", "a"], "assessment_id": ["Q1", "Q1", "Q9"], "submitted_at": ["2024-01-19"] * 3, "score": [80.0, 70.0, 60.0]}
    )
    data = from_frames(
        enrollments=enrollments, events=_events(), assessments=assessments, submissions=submissions,
        course_dates={"C1": ("2024-01-01", "2024-03-01")}, report=report,
    )
    assert data.activity["learner_id"].tolist() == ["a"]
    assert data.submissions["learner_id"].tolist() == ["a"]
    assert report.dropped["events of learners not enrolled in the offering"] == 1
    assert report.dropped["submissions of learners not enrolled in the offering"] == 1
    assert report.dropped["submissions for an assessment the source does not list"] == 1
    assert data.courses[["start", "end"]].iloc[0].tolist() == [T("2024-01-01"), T("2024-03-01")]
    assert not any("derived" in n for n in report.notes)


def test_numbers_in_a_time_column_need_a_unit():
    events = _events().assign(timestamp=[1704708000] * 5)
    with pytest.raises(DataValidationError, match="timestamp"):
        from_frames(events=events)
    data = from_frames(events=events, time_unit="s")
    assert data.activity["timestamp"].iloc[0] == T("2024-01-08 10:00")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10 * 24 * 3600), min_size=1, max_size=30))
def test_summing_events_never_moves_one_across_a_cutoff(seconds):
    """As-of safety of the aggregation: the clicks before any cutoff are the events before it."""
    times = pd.Timestamp("2024-01-08", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    events = pd.DataFrame({"learner_id": "a", "course_id": "C1", "timestamp": times, "activity_type": "quiz"})
    act = from_frames(events=events).activity
    for cutoff in times:
        assert act.loc[act["timestamp"] < cutoff, "clicks"].sum() == (times < cutoff).sum()


def test_import_command_refuses_an_unknown_format_without_writing(tmp_path, capsys):
    from ..conftest import run_cli

    code, _, err = run_cli(capsys, "import", "x", "--from", "nope", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown source format 'nope'" in err
    assert not (tmp_path / "o").exists()


def test_import_command_never_deletes_other_files_of_its_out_folder(tmp_path, capsys):
    """The Parquet folder is replaced whole: a folder holding other files is refused without --force."""
    from pathlib import Path

    from ..conftest import run_cli

    fixtures = Path(__file__).parent / "fixtures" / "xapi"
    args = ["import", str(fixtures / "spec-statements.json"), "--from", "xapi", "--mapping", str(fixtures / "spec-mapping.yaml")]
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    code, _, err = run_cli(capsys, *args, "--out", str(out))
    assert code == 2 and "thesis.txt" in err and "--force" in err
    assert (out / "thesis.txt").read_text() == "keep me"
    for _ in range(2):  # a new folder, then the folder an earlier import wrote: replaced
        code, _, err = run_cli(capsys, *args, "--out", str(tmp_path / "new"))
        assert code == 0, err
    code, _, err = run_cli(capsys, *args, "--out", str(out), "--force")
    assert code == 0, err
    assert (out / "courses.parquet").is_file() and not (out / "thesis.txt").exists()
