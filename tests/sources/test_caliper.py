"""Caliper 1.1 and 1.2 events: the spec's example events field by field, the synthetic round trip
and features, bad input through ``learnrisk import`` (one line, exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest

import learnrisk
from learnrisk import sources
from learnrisk.errors import ConfigError, SourceError

from ..conftest import T, run_cli
from .event_round_trip import assert_same_on_what_events_carry
from .roundtrip import assert_same_marks, marked_later

FIX = Path(__file__).parent / "fixtures" / "caliper"
SECTION = "https://example.edu/terms/201801/courses/7/sections/1"
MAPPING = {"learners": {"strip": "https://example.edu/users/"}, "course": {"strip": "https://example.edu/terms/"}}


def _read(source, mapping=None, **options):
    report = sources.ImportReport("caliper")
    return sources.read("caliper", source, report=report, mapping=mapping, **options), report


def test_the_1p2_spec_events_field_by_field():
    data, report = _read(FIX / "caliper-1p2-envelope.json", MAPPING)
    assert report.read == 7 and any("1 envelope read" in n for n in report.notes)
    act = data.activity.set_index("resource_id")
    want = {  # resource: (learner, activity type, time)
        f"{SECTION}/pages/2": ("554433", "page", "2018-11-15 10:15:00"),  # NavigationEvent
        "https://example.com/#/texts/imscaliperimplguide": ("554433", "resource", "2018-11-15 10:20:00"),  # ViewEvent
        f"{SECTION}/assess/1": ("554433", "quiz", "2018-11-15 10:05:00"),  # AssessmentEvent Started
        f"{SECTION}/assess/1/items/3": ("554433", "question", "2018-11-15 10:15:30"),  # AssessmentItemEvent
        f"{SECTION}/forums/1": ("554433", "forum", "2018-11-15 10:16:00"),  # ForumEvent Subscribed
        f"{SECTION}/forums/2/topics/1/messages/3": ("778899", "forum-post", "2018-11-15 10:15:30"),  # MessageEvent Posted
    }
    assert set(act.index) == set(want)
    for res, (learner, atype, ts) in want.items():
        assert act.loc[res, ["learner_id", "activity_type", "timestamp"]].tolist() == [learner, atype, T(ts)], res
    assert set(data.activity["course_id"]) == {"201801/courses/7/sections/1"} and (data.activity["clicks"] == 1).all()
    # GradeEvent: the grader is the actor, the learner the attempt's assignee; 10 of 15, handed in
    # when the attempt ended, marked at the event's time
    sub = data.submissions.iloc[0]
    assert len(data.submissions) == 1
    assert sub[["learner_id", "assessment_id", "submitted_at", "scored_at"]].tolist() == [
        "554433", f"{SECTION}/assess/1", T("2018-11-15 10:55:12"), T("2018-11-15 10:57:06")]
    assert sub["score"] == pytest.approx(200 / 3)
    assert data.assessments.iloc[0][["course_id", "kind", "weight"]].tolist() == ["201801/courses/7/sections/1", "assessment", 1.0]
    assert "https://example.edu/autograder" not in set(data.learners["learner_id"])


def test_the_1p1_events_in_json_lines_with_an_outcome_event():
    data, report = _read(FIX / "caliper-1p1-events.jsonl", MAPPING)
    assert report.read == 2
    assert data.activity[["learner_id", "activity_type", "timestamp"]].values.tolist() == [["554433", "page", T("2016-11-15 10:15:00")]]
    # OutcomeEvent (1.1): the object is a Result holding the attempt; resultScore / maxResultScore
    sub = data.submissions.iloc[0]
    assert sub["learner_id"] == "554433" and sub["score"] == pytest.approx(200 / 3)
    assert sub["assessment_id"] == "https://example.edu/terms/201601/courses/7/sections/1/assess/1"
    assert (sub["submitted_at"], sub["scored_at"]) == (T("2016-11-15 10:55:30"), T("2016-11-15 10:57:06"))  # attempt end, event


def test_round_trip_through_the_writer_gives_the_same_tables_and_features(tmp_path, capsys):
    d = marked_later(learnrisk.synthetic.generate(n_learners=12, seed=11))  # grade events after the attempts
    sources.write("caliper", d, tmp_path / "c")
    code, out, err = run_cli(
        capsys, "import", tmp_path / "c", "--from", "caliper", "--mapping", tmp_path / "c" / "caliper-mapping.yaml", "--out", tmp_path / "canon"
    )
    assert code == 0, err
    assert "envelopes read" in out
    back = learnrisk.read_parquet(tmp_path / "canon")
    assert_same_on_what_events_carry(back, d, weeks=[3, 8])
    assert_same_marks(d, back)


def _event(**over):
    ev = {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2", "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "type": "NavigationEvent", "actor": {"id": "https://example.edu/users/1", "type": "Person"}, "action": "NavigatedTo",
        "object": {"id": "https://example.edu/pages/1", "type": "WebPage"}, "eventTime": "2024-01-08T10:00:00.000Z",
        "group": {"id": "https://example.edu/sections/1", "type": "CourseSection"},
    }
    ev.update(over)
    return {k: v for k, v in ev.items() if v is not None}


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"actor": None}, "(event urn:uuid:00000000-0000-4000-8000-000000000001): the event has no actor"),
        ({"eventTime": None}, "the event has no eventTime"),
        ({"@context": "http://purl.imsglobal.org/ctx/caliper/v1p0"}, "is not Caliper 1.1 or 1.2"),
        ({"group": None}, "no course"),
        ({"type": "TeleportEvent"}, "event type TeleportEvent is not in the event map"),
        ({"eventTime": "15/11/2018 10:00"}, "is not ISO 8601"),
    ],
)
def test_bad_events_are_one_line_naming_the_event_and_nothing_is_written(tmp_path, capsys, over, message):
    src = tmp_path / "e.jsonl"
    src.write_bytes(orjson.dumps(_event(id="urn:uuid:x")) + b"\n" + orjson.dumps(_event(**over)) + b"\n")
    code, _, err = run_cli(capsys, "import", src, "--from", "caliper", "--out", tmp_path / "o", "-o", "strict=true")
    assert code == 2 and err.count("\n") == 1 and err.startswith("learnrisk: error: ")
    assert f"{src}:2" in err and message in err
    assert not (tmp_path / "o").exists()


def test_a_wrong_envelope_version_names_the_envelope(tmp_path):
    src = tmp_path / "env.jsonl"
    good = {"sensor": "https://example.edu/sensors/1", "sendTime": "2024-01-08T10:00:00Z", "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2", "data": [_event()]}
    bad = {**good, "sensor": "https://example.edu/sensors/2", "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v2p0"}
    src.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n")
    with pytest.raises(SourceError, match=r"env\.jsonl:2 \(envelope from sensor https://example.edu/sensors/2\): dataVersion .*v2p0"):
        _read(src)


def test_without_strict_unknown_types_and_events_without_a_group_are_counted(tmp_path):
    src = tmp_path / "e.jsonl"
    rows = [_event(), _event(id="urn:uuid:b", type="TeleportEvent"), _event(id="urn:uuid:c", group=None), _event(id="urn:uuid:d", group="https://example.edu/sections/1")]
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    data, report = _read(src, {"events": {"NavigationEvent/NavigatedTo": "homepage"}})
    assert report.dropped == {"events of a type not in the event map (add it under events:)": 1, "events without a course (no group)": 1}
    assert data.activity["clicks"].tolist() == [2] and data.activity["activity_type"].tolist() == ["homepage"]
    with pytest.raises(ConfigError, match="unknown option"):
        _read(src, verbose="1")
