"""Fixtures of the data tests: the real OULAD sample read once per session, and a hand-written
OULAD release (a few rows) holding every quirk the reader handles, with hand-computed answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnrisk.data import read_oulad

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "oulad-sample"


@pytest.fixture(scope="session")
def sample_data():
    """``read_oulad`` of the OULAD sample (read once; tests must not modify it in place)."""
    if not (SAMPLE / "studentInfo.csv").exists():
        pytest.skip(f"OULAD sample not found at {SAMPLE}")
    return read_oulad(SAMPLE)


# Two presentations of module AAA: 2014B (starts 2014-02-01, 200 days -> ends 2014-08-20) and
# 2014J (starts 2014-10-01, 250 days -> ends 2015-06-08).
# - student 7 registers in both; imd_band is missing in 2014B; 2014J is the latest registration.
# - student 8 unregisters (day -20) before registering (day -5).
# - student 9 has no registration day and no VLE row.
# - Exam 11 has no date; student 7's exam score is empty; studentVle has an exact duplicate row.
MINI = {
    "courses.csv": [
        ("code_module", "code_presentation", "module_presentation_length"),
        ("AAA", "2014B", "200"),
        ("AAA", "2014J", "250"),
    ],
    "assessments.csv": [
        ("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
        ("AAA", "2014B", "10", "TMA", "20", "40"),
        ("AAA", "2014B", "11", "Exam", "", "60"),
        ("AAA", "2014J", "20", "TMA", "30", "100"),
    ],
    "vle.csv": [
        ("id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"),
        ("1", "AAA", "2014B", "resource", "", ""),
        ("2", "AAA", "2014B", "quiz", "1", "2"),
        ("3", "AAA", "2014J", "resource", "", ""),
    ],
    "studentInfo.csv": [
        ("code_module", "code_presentation", "id_student", "gender", "region", "highest_education", "imd_band",
         "age_band", "num_of_prev_attempts", "studied_credits", "disability", "final_result"),
        ("AAA", "2014B", "7", "M", "Scotland", "HE Qualification", "", "35-55", "0", "60", "N", "Fail"),
        ("AAA", "2014J", "7", "M", "Wales", "A Level or Equivalent", "10-20", "35-55", "1", "60", "N", "Pass"),
        ("AAA", "2014B", "8", "F", "Ireland", "Lower Than A Level", "0-10%", "0-35", "0", "120", "Y", "Withdrawn"),
        ("AAA", "2014B", "9", "F", "Ireland", "Lower Than A Level", "0-10%", "0-35", "0", "60", "N", "Pass"),
    ],
    "studentRegistration.csv": [
        ("code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"),
        ("AAA", "2014B", "7", "-30", ""),
        ("AAA", "2014J", "7", "-10", ""),
        ("AAA", "2014B", "8", "-5", "-20"),
        ("AAA", "2014B", "9", "", ""),
    ],
    "studentAssessment.csv": [
        ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
        ("10", "7", "19", "0", "55"),
        ("11", "7", "201", "0", ""),
        ("20", "7", "29", "1", "80"),
    ],
    "studentVle.csv": [
        ("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"),
        ("AAA", "2014B", "7", "1", "-3", "2"),
        ("AAA", "2014B", "7", "1", "-3", "2"),
        ("AAA", "2014B", "8", "2", "0", "1"),
        ("AAA", "2014J", "7", "3", "5", "4"),
    ],
}


def write_release(folder: Path, files: dict[str, list[tuple]] | None = None) -> Path:
    """Write a release in the official format (every field quoted, CRLF)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (files or MINI).items():
        text = "".join(",".join(f'"{v}"' for v in row) + "\r\n" for row in rows)
        (folder / name).write_bytes(text.encode())
    return folder


@pytest.fixture
def mini_release(tmp_path) -> Path:
    return write_release(tmp_path / "mini")
