"""``--from csv``: a CSV export read through a mapping file; its writer; the docs example."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from learnrisk import sources
from learnrisk.errors import SourceError
from learnrisk.features import build_features

from ..conftest import T, run_cli
from .roundtrip import assert_same_features, clicks, synthetic

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def _doc_files(tmp_path: Path) -> Path:
    """The worked example of docs/data.md (every block marked ``example-file``), written out."""
    text = DOCS.read_text()
    blocks = re.findall(r"<!-- example-file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    names = [n for n, _ in blocks]
    assert {"events.csv", "enrollments.csv", "mapping.yaml"} <= set(names)
    folder = tmp_path / "export"
    folder.mkdir()
    for name, body in blocks:
        if name in ("events.csv", "enrollments.csv", "mapping.yaml"):
            (folder / name).write_text(body)
    return folder


def test_the_docs_example_runs_through_the_cli(tmp_path, capsys):
    folder = _doc_files(tmp_path)
    code, out, err = run_cli(capsys, "import", str(folder), "--from", "csv", "--mapping", str(folder / "mapping.yaml"),
                             "--out", str(tmp_path / "data"))
    assert code == 0, err
    assert "dropped 1: events of learners not enrolled in the offering (e.g. s09 MATH101-2024)" in out
    assert "csv: read 9 records" in out and "5 activity" in out
    data = sources.read("csv", folder, mapping=folder / "mapping.yaml")
    act = data.activity.set_index(["learner_id", "timestamp"])
    assert act.loc[("s01", T("2024-01-08 09:16")), "clicks"] == 3 and act.loc[("s01", T("2024-01-08 09:16")), "activity_type"] == "forum"
    assert act.loc[("s02", T("2024-04-02 09:00")), "clicks"] == 2  # 10:00 British Summer Time
    assert act.loc[("s03", T("2024-01-10 12:00")), "activity_type"] == "other"  # "*"
    e = data.enrollments.set_index("learner_id")
    assert e["outcome"].to_dict() == {"s01": "pass", "s02": "distinction", "s03": "withdrawn"}
    assert e.loc["s03", "withdrawn_at"] == T("2024-02-15") and e.loc["s01", "registered_at"] == T("2024-01-02")
    assert data.courses[["start", "end"]].iloc[0].tolist() == [T("2024-01-08"), T("2024-05-31")]
    # the docs show the command's output as it is
    assert "mapped: 1 courses, 3 learners, 3 enrollments, 5 activity, 0 assessments, 0 submissions" in out
    assert (tmp_path / "data" / "import-report.json").is_file()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    data = synthetic()
    out = tmp_path_factory.mktemp("csv") / "export"
    files = sources.write("csv", data, out)
    assert sorted(p.name for p in files) == sorted(sources.FILES["csv"])
    return data, out


def test_round_trip_through_a_typical_export(written):
    data, out = written
    events = pd.read_csv(out / "events.csv", dtype=str)
    assert len(events) == data.activity["clicks"].sum()  # one row per click
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", events["Time"].iloc[0])
    assert set(pd.read_csv(out / "enrollments.csv", dtype=str)["Result"].dropna()) <= {"P", "F", "W", "D"}
    report = sources.ImportReport("csv")
    back = sources.read("csv", out, mapping=out / "mapping.yaml", report=report)
    assert not report.dropped
    pd.testing.assert_series_equal(clicks(data), clicks(back))
    cols = ["learner_id", "course_id", "registered_at", "withdrawn_at", "outcome"]
    pd.testing.assert_frame_equal(data.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True),
                                  back.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True))
    for table, cols in (("courses", ["course_id", "course_code", "start", "end"]),
                        ("assessments", ["assessment_id", "course_id", "kind", "due_at", "weight"]),
                        ("submissions", ["learner_id", "assessment_id", "submitted_at", "score"])):
        a = getattr(data, table)[cols].sort_values(cols[:2]).reset_index(drop=True)
        b = getattr(back, table)[cols].sort_values(cols[:2]).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert_same_features(data, back)


def _export(tmp_path, events: str, mapping: str, enrollments: str | None = None) -> tuple[Path, Path]:
    (tmp_path / "events.csv").write_text(events)
    if enrollments is not None:
        (tmp_path / "enrollments.csv").write_text(enrollments)
    (tmp_path / "mapping.yaml").write_text(mapping)
    return tmp_path, tmp_path / "mapping.yaml"


_EVENTS = "user,when,what\nu1,1704708000,view\nu1,1704708000,view\nu2,1704794400,quiz\n"
_MAP = """\
events:
  columns: {learner_id: user, timestamp: when, activity_type: what}
  constants: {course_id: ONE-2024}
  times: {timestamp: {unit: s}}
"""


def test_epoch_seconds_constants_and_one_source_file(tmp_path):
    folder, mapping = _export(tmp_path, _EVENTS, _MAP)
    data = sources.read_csv(folder / "events.csv", mapping)
    assert data.activity[["learner_id", "timestamp", "clicks"]].values.tolist() == [
        ["u1", T("2024-01-08 10:00"), 2], ["u2", T("2024-01-09 10:00"), 1]]
    assert data.courses["course_id"].tolist() == ["ONE-2024"]


def test_a_count_column_a_mapping_given_as_a_dict_and_a_byte_order_mark(tmp_path):
    (tmp_path / "events.csv").write_text("\ufeffu,c,t,a,n\nu1,C,2024-01-08T10:00:00Z,page,4\nu1,C,2024-01-08T10:00:00Z,page,1\n")
    mapping = {"events": {"columns": {"learner_id": "u", "course_id": "c", "timestamp": "t", "activity_type": "a", "clicks": "n"}}}
    assert sources.read_csv(tmp_path, mapping).activity["clicks"].tolist() == [5]


@pytest.mark.parametrize(
    "mapping, message",
    [
        (_MAP.replace("columns:", "colums:"), r"mapping.yaml:2: events.colums: unknown key; allowed: file, columns"),
        (_MAP.replace("learner_id: user", "learner: user"), r"mapping.yaml:2: events.columns.learner: unknown canonical column of events; allowed: learner_id"),
        (_MAP.replace("activity_type: what", "activity_type: event"), r"mapping.yaml:2: events.columns.activity_type: column 'event' is not in events.csv \(its columns: user, when, what\)"),
        (_MAP.replace("{unit: s}", "{unit: s, zone: UTC}"), r"mapping.yaml:4: events.times.timestamp: epoch numbers \(unit\) are UTC"),
        (_MAP.replace("{unit: s}", "{format: '%d/%m/%Y', zone: Mars/Olympus}"), r"unknown time zone 'Mars/Olympus'"),
        (_MAP.replace("  constants: {course_id: ONE-2024}\n", ""), r"mapping.yaml:1: events: no source column for course_id; map it under columns"),
        ("evnts: {}\n", r"mapping.yaml:1: evnts: unknown key; allowed: events, activity"),
        (_MAP + "  values: {resource_id: {a: b}}\n", r"mapping.yaml:5: events.values.resource_id: resource_id is neither under columns nor under constants"),
        ("events: [\n", r"mapping.yaml:\d+: not valid YAML"),
    ],
)
def test_a_bad_mapping_names_the_file_line_and_key(tmp_path, mapping, message):
    folder, path = _export(tmp_path, _EVENTS, mapping)
    with pytest.raises(SourceError, match=message):
        sources.read_csv(folder / "events.csv", path)


def test_yaml_booleans_as_codes_are_refused(tmp_path):
    mapping = _MAP + "  values: {activity_type: {yes: quiz}}\n"
    folder, path = _export(tmp_path, _EVENTS, mapping)
    with pytest.raises(SourceError, match="read by YAML as true/false; quote it"):
        sources.read_csv(folder / "events.csv", path)


_DAYFIRST = "user,when,what\nu1,08/01/2024 10:00,view\nu2,2024-01-09,quiz\n"


def test_times_name_the_line_that_does_not_parse(tmp_path):
    folder, path = _export(tmp_path, _DAYFIRST, _MAP.replace("{unit: s}", "iso"))
    with pytest.raises(SourceError, match=r"events.csv:2: timestamp \(when\) '08/01/2024 10:00': dates with slashes"):
        sources.read_csv(folder / "events.csv", path)
    path.write_text(_MAP.replace("{unit: s}", "{format: '%d/%m/%Y %H:%M', zone: Europe/Paris}"))
    with pytest.raises(SourceError, match=r"events.csv:3: timestamp \(when\) '2024-01-09' does not match the format"):
        sources.read_csv(folder / "events.csv", path)
    path.write_text(_MAP)
    with pytest.raises(SourceError, match=r"events.csv:2: timestamp \(when\) '08/01/2024 10:00' is not a number of s"):
        sources.read_csv(folder / "events.csv", path)


def test_local_times_across_the_clock_change(tmp_path):
    # 2024-10-27 01:30 happens twice in London (read as the first: BST, 00:30 UTC);
    # 2024-03-31 01:30 never happens (moved forward to 02:00 BST, 01:00 UTC)
    events = "user,when,what\nu1,27/10/2024 01:30,view\nu1,31/03/2024 01:30,view\nu1,15/01/2024 01:30,view\n"
    folder, path = _export(tmp_path, events, _MAP.replace("{unit: s}", "{format: '%d/%m/%Y %H:%M', zone: Europe/London}"))
    times = sorted(sources.read_csv(folder / "events.csv", path).activity["timestamp"])
    assert times == [T("2024-01-15 01:30"), T("2024-03-31 01:00"), T("2024-10-27 00:30")]


_ENR = "user,course,since,result\nu1,ONE-2024,2024-01-01,P\nu2,ONE-2024,2024-01-01,X\n"
_ENR_MAP = _MAP + """\
enrollments:
  columns: {learner_id: user, course_id: course, registered_at: since, outcome: result}
  values: {outcome: {P: pass, F: fail}}
"""


def test_an_outcome_code_not_mapped_is_an_error_naming_the_line(tmp_path):
    folder, path = _export(tmp_path, _EVENTS, _ENR_MAP.replace("  constants:", "  file: events.csv\n  constants:"), _ENR)
    with pytest.raises(SourceError, match=r"enrollments.csv:3: outcome 'X' is not one of pass, distinction, fail, withdrawn"):
        sources.read_csv(folder, path)


def test_cli_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys):
    folder, path = _export(tmp_path, _DAYFIRST, _MAP.replace("{unit: s}", "iso"))
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", str(folder / "events.csv"), "--from", "csv", "--mapping", str(path), "--out", str(out))
    assert code == 2 and err.count("\n") == 1 and "events.csv:2" in err and not out.exists()
    code, _, err = run_cli(capsys, "import", str(folder / "events.csv"), "--from", "csv", "--out", str(out))
    assert code == 2 and "--from csv needs --mapping FILE" in err and not out.exists()


def test_strict_mode_refuses_what_would_be_dropped(tmp_path, capsys):
    enr = "user,course,since\nu1,ONE-2024,2024-01-01\n"
    mapping = _MAP + "enrollments:\n  columns: {learner_id: user, course_id: course, registered_at: since}\n"
    folder, path = _export(tmp_path, _EVENTS, mapping.replace("  constants:", "  file: events.csv\n  constants:"), enr)
    report = sources.ImportReport("csv")
    assert sources.read_csv(folder, path, report=report).activity["learner_id"].tolist() == ["u1"]
    assert report.dropped["events of learners not enrolled in the offering"] == 1
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "import", str(folder), "--from", "csv", "--mapping", str(path), "-o", "strict=true", "--out", str(out))
    assert code == 2 and "1 record dropped: events of learners not enrolled in the offering (e.g. u2 ONE-2024)" in err
    assert not out.exists()
    code, _, err = run_cli(capsys, "import", str(folder), "--from", "csv", "--mapping", str(path), "-o", "stric=1", "--out", str(out))
    assert code == 2 and "unknown option 'stric' for --from csv; known: strict" in err


def test_a_format_with_an_offset_and_another_delimiter(tmp_path):
    (tmp_path / "log.txt").write_text("u;c;t;a\nu1;C;08/01/2024 10:00 +0100;page\nu2;C;08/01/2024 10:00 -0500;page\n")
    mapping = {"csv": {"delimiter": ";"},
               "events": {"columns": {"learner_id": "u", "course_id": "c", "timestamp": "t", "activity_type": "a"},
                          "times": {"timestamp": {"format": "%d/%m/%Y %H:%M %z", "zone": "Europe/London"}}}}
    times = sources.read_csv(tmp_path / "log.txt", mapping).activity.set_index("learner_id")["timestamp"]
    assert times.to_dict() == {"u1": T("2024-01-08 09:00"), "u2": T("2024-01-08 15:00")}


def test_counted_activity_rows_need_whole_clicks(tmp_path):
    (tmp_path / "activity.csv").write_text("u,c,t,a,n\nu1,C,2024-01-08,page,3\nu1,C,2024-01-09,page,\n")
    mapping = {"activity": {"columns": {"learner_id": "u", "course_id": "c", "timestamp": "t", "activity_type": "a", "clicks": "n"}}}
    with pytest.raises(SourceError, match=r"activity.csv:3: clicks missing: activity rows need a whole number of clicks"):
        sources.read_csv(tmp_path, mapping)
    (tmp_path / "activity.csv").write_text("u,c,t,a,n\nu1,C,2024-01-08,page,3\n")
    assert sources.read_csv(tmp_path, mapping).activity["clicks"].tolist() == [3]


def test_a_marking_date_maps_to_scored_at_and_the_score_counts_from_then(tmp_path):
    (tmp_path / "events.csv").write_text("u,c,t,a\nu1,C,2024-01-08T10:00:00Z,page\n")
    (tmp_path / "assessments.csv").write_text("id,c,kind,w,d\nA1,C,quiz,1,2024-01-10\n")
    (tmp_path / "submissions.csv").write_text("u,a,t,s,g\nu1,A1,2024-01-09T10:00:00Z,80,01/02/2024 09:00\n")
    mapping = {
        "events": {"columns": {"learner_id": "u", "course_id": "c", "timestamp": "t", "activity_type": "a"}},
        "assessments": {"columns": {"assessment_id": "id", "course_id": "c", "kind": "kind", "weight": "w", "due_at": "d"}},
        "submissions": {"columns": {"learner_id": "u", "assessment_id": "a", "submitted_at": "t", "score": "s", "scored_at": "g"},
                        "times": {"scored_at": {"format": "%d/%m/%Y %H:%M", "zone": "Europe/Paris"}}},
        "course_dates": {"C": {"start": "2024-01-08", "end": "2024-03-04"}},
    }
    data = sources.read_csv(tmp_path, mapping)
    assert data.submissions["scored_at"].tolist() == [T("2024-02-01 08:00")]  # 09:00 in Paris
    f = build_features(data, weeks=[2, 4]).set_index("week")
    assert f["assessments_submitted"].tolist() == [1, 1]
    assert pd.isna(f.loc[2, "score_mean"]) and f.loc[4, "score_mean"] == 80.0  # week 4 cutoff: 02-05
