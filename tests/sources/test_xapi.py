"""xAPI statements: the spec's examples field by field, the synthetic round trip, bad input through
``learnrisk import`` (one line, exit 2, nothing written), and a real LRS (ralph) read with paging."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pandas as pd
import pytest

import learnrisk
from learnrisk import sources
from learnrisk.errors import ConfigError, SourceError
from learnrisk.sources import xapi
from learnrisk.sources.xapi import EXT_CLICKS

from ..conftest import T, run_cli
from .event_round_trip import assert_same_on_what_events_carry

FIX = Path(__file__).parent / "fixtures" / "xapi"
CBT = "http://example.adlnet.gov/xapi/example/simpleCBT"


def _read(source, mapping=None, **options):
    report = sources.ImportReport("xapi")
    return sources.read("xapi", source, report=report, mapping=mapping, **options), report


def test_the_spec_examples_field_by_field():
    data, report = _read(FIX / "spec-statements.json", FIX / "spec-mapping.yaml")
    sha = hashlib.sha1(b"mailto:teampb@example.com").hexdigest()  # noqa: S324
    act = data.activity.set_index("learner_id")
    # the long example: a Group with an mbox (hashed), course from the registration map, the
    # verb through the mapping's verbs:, the object as the resource, one click, the time to the ms
    meet = act.loc[sha]
    assert meet["course_id"] == "http://www.example.com/meetings/series/267"
    assert meet["activity_type"] == "collaboration" and meet["clicks"] == 1
    assert meet["resource_id"] == "http://www.example.com/meetings/occurances/34534"
    assert meet["timestamp"] == T("2013-05-18 05:32:34.804")
    # attempted a course (the object is the course): activity, not a submission (not an assessment)
    learner = hashlib.sha1(b"mailto:example.learner@adlnet.gov").hexdigest()  # noqa: S324
    assert act.loc[learner, ["course_id", "activity_type"]].tolist() == [CBT, "assessment"]
    # answered a cmi.interaction with raw 3 of 0-4: a submission scored 75, course from grouping
    hashed = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
    sub = data.submissions.iloc[0]
    assert len(data.submissions) == 1 and sub["learner_id"] == hashed and sub["score"] == 75.0
    assert sub["assessment_id"] == "http://www.example.com/tincan/activities/cmi.interaction/choice"
    assert sub["submitted_at"] == T("2015-12-19 09:00")
    assert data.assessments.iloc[0][["course_id", "kind", "weight"]].tolist() == [CBT, "assessment", 1.0]
    assert act.loc[hashed, "activity_type"] == "question"
    # the voided "experienced" statement is gone; the unknown verb is dropped and counted
    assert len(data.activity) == 3 and not (data.activity["resource_id"] == "http://example.adlnet.gov/xapi/example/page-2").any()
    assert report.dropped["statements voided by a later statement"] == 1
    assert report.examples["statements with a verb not in the verb map (add it under verbs:)"] == ["http://example.com/xapi/verbs#sent-a-statement"]
    assert report.read == 6 and report.mapped["enrollments"] == 3


def test_strict_mode_makes_an_unknown_verb_an_error_naming_the_statement():
    with pytest.raises(SourceError, match=r"spec-statements.json:\[1\] \(statement fd41c918-.*verb http://example.com/xapi/verbs#sent-a-statement"):
        _read(FIX / "spec-statements.json", FIX / "spec-mapping.yaml", strict="true")


def test_without_the_registration_map_the_long_example_has_no_course():
    data, report = _read(FIX / "spec-statements.json", validate="0")
    assert report.dropped["statements without a course (no course activity in context, no registration mapped)"] == 1
    assert set(data.activity["course_id"]) == {CBT}


@pytest.fixture(scope="module")
def synthetic():
    return learnrisk.synthetic.generate(n_learners=12, seed=5)


def test_round_trip_through_the_writer_gives_the_same_tables_and_features(synthetic, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(xapi, "CHUNK", 997)  # statements compacted in many chunks, their categories united
    code, _, err = run_cli(capsys, "synth", "--format", "xapi", "--learners", "12", "--seed", "5", "--out", tmp_path / "x")
    assert code == 0, err
    code, out, err = run_cli(
        capsys, "import", tmp_path / "x" / "statements.jsonl", "--from", "xapi", "--mapping", tmp_path / "x" / "xapi-mapping.yaml",
        "--out", tmp_path / "canon",
    )
    assert code == 0, err
    assert "xapi: read" in out
    back = learnrisk.read_parquet(tmp_path / "canon")
    assert_same_on_what_events_carry(back, synthetic, weeks=[2, 6, 12])
    cols = ["learner_id", "course_id", "registered_at"]  # every enrollment, those without activity too
    pd.testing.assert_frame_equal(back.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True),
                                  synthetic.enrollments[cols].sort_values(cols[:2]).reset_index(drop=True), check_dtype=False)


def _jsonl(path: Path, statements: list) -> Path:
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in statements))
    return path


def _stmt(**over):
    st = {
        "id": "00000000-0000-4000-8000-000000000001",
        "actor": {"account": {"homePage": "https://lms.example.org", "name": "s1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://lms.example.org/page/1"},
        "context": {"contextActivities": {"parent": [{"id": "https://lms.example.org/course/C1", "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}]}},
        "timestamp": "2024-01-08T10:00:00Z",
    }
    st.update(over)
    return {k: v for k, v in st.items() if v is not None}


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"actor": None}, "the statement has no actor"),
        ({"timestamp": None}, "the statement has no timestamp"),
        ({"version": "2.0.0"}, "xAPI version '2.0.0'"),
        ({"context": {"platform": "lms"}}, "no course"),
        ({"timestamp": "08/01/2024"}, "timestamp"),
    ],
)
def test_bad_statements_are_one_line_naming_file_and_line_and_nothing_is_written(tmp_path, capsys, over, message):
    good = _stmt(id="00000000-0000-4000-8000-000000000002")
    src = _jsonl(tmp_path / "s.jsonl", [good, _stmt(**over)])
    code, _, err = run_cli(capsys, "import", src, "--from", "xapi", "--out", tmp_path / "o", "-o", "strict=true")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("learnrisk: error: ")
    assert f"{src}:2 (statement 00000000-0000-4000-8000-000000000001)" in err and message in err
    assert not (tmp_path / "o").exists()


def test_actor_forms_clicks_extension_lines_and_folders(tmp_path):
    sha = hashlib.sha1(b"mailto:a@example.org").hexdigest()  # noqa: S324
    statements = [
        _stmt(id="00000000-0000-4000-8000-00000000000a", actor={"mbox": "mailto:a@example.org"}),
        _stmt(id="00000000-0000-4000-8000-00000000000b", actor={"mbox_sha1sum": sha}, result={"extensions": {EXT_CLICKS: 4}}),
        _stmt(id="00000000-0000-4000-8000-00000000000c", actor={"openid": "http://b.openid.example.org/"}, timestamp="2024-01-08T12:00:00+01:00"),
    ]
    (tmp_path / "f").mkdir()
    _jsonl(tmp_path / "f" / "a.jsonl", statements[:2])
    (tmp_path / "f" / "sub").mkdir()
    (tmp_path / "f" / "sub" / "b.json").write_bytes(orjson.dumps(statements[2:]))
    data, _ = _read(tmp_path / "f")
    got = data.activity.set_index("learner_id")
    assert got.loc[sha, "clicks"] == 5  # the mbox and its hash are one learner; 1 + 4 clicks
    assert got.loc["http://b.openid.example.org/", "timestamp"] == T("2024-01-08 11:00")
    assert set(data.activity["activity_type"]) == {"content"}


def test_options_and_mapping_are_checked(tmp_path):
    src = _jsonl(tmp_path / "s.jsonl", [_stmt()])
    with pytest.raises(ConfigError, match="unknown option colour"):
        _read(src, colour="red")
    with pytest.raises(ConfigError, match="unknown key verbz"):
        _read(src, {"verbz": {}})
    with pytest.raises(ConfigError, match="strict takes true or false"):
        _read(src, strict="maybe")
    with pytest.raises(SourceError, match=r"bad\.jsonl:1 .*not a valid xAPI statement: actor"):
        _read(_jsonl(tmp_path / "bad.jsonl", [_stmt(actor={"account": {"name": "x"}})]))


# --------------------------------------------------------------------------- a real LRS
def _lrs_statements() -> list[dict]:
    """12 statements over 12 days, one learner a day; the 12th voided by a 13th."""
    out = []
    for day in range(1, 13):
        out.append(_stmt(id=f"00000000-0000-4000-8000-{day:012d}", actor={"account": {"homePage": "https://lms.example.org", "name": f"s{day % 3}"}},
                         timestamp=f"2024-01-{day:02d}T09:00:00Z"))
    out.append({"id": "00000000-0000-4000-8000-000000000099", "actor": {"mbox": "mailto:admin@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}, "timestamp": "2024-01-20T00:00:00Z",
                "object": {"objectType": "StatementRef", "id": "00000000-0000-4000-8000-000000000012"}})
    return out


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    from .ralph_lrs import running_lrs

    with running_lrs(tmp_path_factory.mktemp("lrs"), page_size=5) as server:
        server.post(_lrs_statements())
        yield server


def test_a_real_lrs_is_read_page_by_page_with_basic_auth(lrs, monkeypatch):
    monkeypatch.setenv("LRS_PASSWORD", lrs.password)
    data, report = _read(lrs.endpoint, user=lrs.user)
    assert len(data.activity) == 11  # 12 statements, one voided
    assert data.activity["timestamp"].min() == T("2024-01-01 09:00") and data.activity["timestamp"].max() == T("2024-01-11 09:00")
    assert any("3 pages read" in n for n in report.notes), report.notes  # 13 statements, 5 a page
    assert report.dropped["statements voided by a later statement"] == 1


def test_a_real_lrs_honours_since_and_until_and_refuses_a_wrong_password(lrs, monkeypatch):
    monkeypatch.setenv("LRS_PASSWORD", lrs.password)
    # ralph's LRS filters since/until on the statement's timestamp (the spec says: on stored)
    data, _ = _read(lrs.endpoint, user=lrs.user, since="2024-01-03T00:00:00Z", until="2024-01-07T00:00:00Z")
    assert sorted(data.activity["timestamp"].dt.day) == [3, 4, 5, 6]
    monkeypatch.setenv("LRS_PASSWORD", "wrong")
    with pytest.raises(SourceError, match="HTTP 401"):
        _read(lrs.endpoint, user=lrs.user)


def test_a_registered_learner_without_activity_is_enrolled(tmp_path):
    """A ``registered`` statement on a course is an enrollment: a learner who registered and never
    acted is the one an early-warning list needs most, so they are not dropped."""
    course = {"objectType": "Activity", "id": CBT, "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}

    def statement(name, verb, when, obj):
        return {"actor": {"account": {"homePage": "https://lms.example", "name": name}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/" + verb}, "object": obj, "timestamp": when, "version": "1.0.3"}

    page = {"objectType": "Activity", "id": CBT + "/page-1"}
    ctx = {"contextActivities": {"parent": [course]}}
    rows = [
        statement("idle", "registered", "2024-01-03T09:00:00Z", course),
        statement("busy", "registered", "2024-01-02T09:00:00Z", course),
        {**statement("busy", "experienced", "2024-01-05T10:00:00Z", page), "context": ctx},
    ]
    path = tmp_path / "statements.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    data, _ = _read(path)
    e = data.enrollments.set_index("learner_id")["registered_at"]
    assert e.to_dict() == {"busy": T("2024-01-02 09:00"), "idle": T("2024-01-03 09:00")}
    assert data.activity["learner_id"].tolist() == ["busy"]
