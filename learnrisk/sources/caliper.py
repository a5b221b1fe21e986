"""IMS Caliper 1.1 and 1.2 events (``learnrisk import --from caliper``): envelopes (``sensor``,
``sendTime``, ``dataVersion``, ``data``) and bare events, in JSON or JSON-lines files or folders
of them; and the writer (``learnrisk synth --format caliper``).

How an event becomes canonical rows (``docs/sources-xapi-caliper.md``):

- **learner**: the actor's ``id`` (an entity or its IRI); for a grade event (``GradeEvent``,
  1.1's ``OutcomeEvent``) the attempt's ``assignee`` (the actor there is the grader);
- **course**: the ``group``'s ``id`` (a ``CourseSection`` or ``CourseOffering``); without one the
  event is dropped and counted (``-o strict=true``: an error);
- **activity type**: from the event type (:data:`DEFAULT_EVENTS`; the mapping's ``events:`` wins,
  a key ``Type`` or ``Type/Action``); grade events are scores, not learner actions; an unknown
  type is dropped and counted (strict: an error); learnrisk's extension
  ``.../activity-type`` in the event's ``extensions`` wins (the writer's exact round trips);
- **clicks**: one event one click, or the count in ``extensions`` under ``.../clicks``;
- **submissions**: from grade events: the attempt's ``assignable`` is the assessment, the score
  ``scoreGiven / maxScore`` x 100 (1.2's ``Score``; 1.1's ``Result``: ``resultScore /
  maxResultScore``; ``normalScore`` as given), submitted at the attempt's ``endedAtTime`` (the
  grade event's time without one), ``scored_at`` the grade event's time (when the score was
  known: it counts from then); the first attempt per learner and assessment is kept;
- **errors** (one line naming ``file:line``, the envelope or the event id, nothing written): an
  envelope or event whose version is not Caliper 1.1 or 1.2, an event without an actor (or a
  grade without an assignee) or an ``eventTime``, a time (``eventTime``, an attempt's
  ``endedAtTime``) that is not ISO 8601.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, SourceError
from ._frames import ImportReport, from_frames
from ._jsonfiles import (
    EXT_ACTIVITY_TYPE,
    EXT_ASSESSMENT,
    EXT_CLICKS,
    first_attempts,
    flag,
    iso,
    iter_records,
    loc,
    load_mapping,
    options_known,
    strip_prefix,
    write_jsonl,
)
from ._registry import register

__all__ = ["CONTEXTS", "DEFAULT_EVENTS", "read_caliper", "write_caliper"]

CONTEXTS = {
    "http://purl.imsglobal.org/ctx/caliper/v1p1": "1.1",
    "http://purl.imsglobal.org/ctx/caliper/v1p2": "1.2",
}
"""The JSON-LD contexts (``@context``, envelope ``dataVersion``) this reader reads."""

GRADE_EVENTS = ("GradeEvent", "OutcomeEvent")
DEFAULT_EVENTS: dict[str, str | None] = {
    "NavigationEvent": "page", "ViewEvent": "resource", "ReadingEvent": "reading", "MediaEvent": "video",
    "AssessmentEvent": "quiz", "AssessmentItemEvent": "question", "AssignableEvent": "assessment",
    "ForumEvent": "forum", "ThreadEvent": "forum", "MessageEvent": "forum-post", "AnnotationEvent": "annotation",
    "SearchEvent": "search", "ToolUseEvent": "tool", "ToolLaunchEvent": "tool", "SessionEvent": "session",
    "FeedbackEvent": "comment", "SurveyEvent": "survey", "QuestionnaireEvent": "survey", "QuestionnaireItemEvent": "survey",
    "ResourceManagementEvent": None, "GradeEvent": None, "OutcomeEvent": None, "Event": None,
}
"""Event type -> activity type (``None``: not a learner action, no activity row). The types fall
into the feature families: content (page, resource, reading, video), quiz (quiz, question,
assessment, survey), forum (forum, forum-post, comment) and other (annotation, search, tool,
session)."""

MAPPING_KEYS = ("events", "learners", "course", "assessments", "resources", "course_dates", "strict")
OPTIONS = ("strict",)


def _id(entity) -> str | None:
    """An entity's id: entities are objects with an ``id`` or just their IRI."""
    if isinstance(entity, dict):
        return entity.get("id")
    return entity if isinstance(entity, str) else None


def _version_of(record: dict, key: str, name: str) -> None:
    ctx = record.get(key)
    if isinstance(ctx, list):  # a JSON-LD context may be a list; the Caliper one is its string
        ctx = next((c for c in ctx if isinstance(c, str)), None)
    if ctx is not None and ctx not in CONTEXTS:
        raise SourceError(f"{name}: {key} {ctx!r} is not Caliper 1.1 or 1.2 ({', '.join(CONTEXTS)})")


class _Events:
    def __init__(self, events: dict[str, str | None]) -> None:
        self.events = events
        self.rows: list[tuple] = []
        self.n = 0
        self.envelopes = 0

    def add_record(self, rec, at) -> None:
        where = loc(at)
        if isinstance(rec, dict) and "data" in rec and "type" not in rec:
            self.envelopes += 1
            name = f"{where} (envelope from sensor {rec.get('sensor')})"
            if "dataVersion" not in rec:
                raise SourceError(f"{name}: the envelope has no dataVersion")
            _version_of(rec, "dataVersion", name)
            data = rec["data"]
            if not isinstance(data, list):
                raise SourceError(f"{name}: data must be a list of events")
            for i, ev in enumerate(data):
                self.add(ev, f"{where} data[{i}]")
        else:
            self.add(rec, where)

    def add(self, ev, where: str) -> None:
        self.n += 1
        if not isinstance(ev, dict):
            raise SourceError(f"{where}: not a Caliper event (a JSON object), found {type(ev).__name__}")
        eid = ev.get("id")
        name = f"{where} (event {eid})" if eid else where
        _version_of(ev, "@context", name)
        etype, action = ev.get("type"), ev.get("action")
        if not etype:
            raise SourceError(f"{name}: the event has no type")
        obj = ev.get("object")
        ext = ev.get("extensions") if isinstance(ev.get("extensions"), dict) else {}
        score = due = ended = None
        if etype in GRADE_EVENTS:
            # 1.2 GradeEvent: object Attempt, generated Score; 1.1 OutcomeEvent: object Result
            # (its attempt inside), actor the learner
            obj_d = obj if isinstance(obj, dict) else {}
            if isinstance(obj_d.get("attempt"), dict):
                attempt, gen = obj_d["attempt"], obj_d
            else:
                attempt = obj_d
                gen = ev.get("generated") if isinstance(ev.get("generated"), dict) else {}
            learner = _id(attempt.get("assignee")) or (_id(ev.get("actor")) if etype == "OutcomeEvent" else None)
            if not learner:
                raise SourceError(f"{name}: the grade names no learner (the attempt's assignee)")
            assignable = attempt.get("assignable")
            target = _id(assignable)
            ended = attempt.get("endedAtTime")
            given = next((gen[k] for k in ("scoreGiven", "resultScore", "normalScore") if gen.get(k) is not None), None)
            top = next((gen[k] for k in ("maxScore", "maxResultScore") if gen.get(k) is not None), None)
            if given is not None:
                score = float(given) / float(top) * 100 if top else float(given)
            if isinstance(assignable, dict):
                due = (assignable.get("extensions") or {}).get(EXT_ASSESSMENT)
                if due is None and assignable.get("dateToSubmit"):
                    due = {"due_at": assignable["dateToSubmit"], "kind": assignable.get("type")}
        else:
            learner = _id(ev.get("actor"))
            if not learner:
                raise SourceError(f"{name}: the event has no actor")
            target = _id(obj)
        ts = ev.get("eventTime")
        if not ts:
            raise SourceError(f"{name}: the event has no eventTime")
        atype = ext.get(EXT_ACTIVITY_TYPE)
        key = f"{etype}/{action}" if f"{etype}/{action}" in self.events else etype
        known = key in self.events or atype is not None
        self.rows.append((
            eid, where, etype, learner, _id(ev.get("group")), ts, target, atype if atype is not None else self.events.get(key),
            known, ext.get(EXT_CLICKS), score, due, ended,
        ))


def read_caliper(source, *, report: ImportReport, mapping=None, **options):
    """LearningData from Caliper events: a ``.json``/``.jsonl`` file or a folder of them, holding
    envelopes or bare events. ``strict`` (default false) turns unknown event types and events
    without a course into errors. See the module's docstring for the rules."""
    options_known(options, OPTIONS, "caliper")
    m = load_mapping(mapping, MAPPING_KEYS, "caliper")
    events = dict(DEFAULT_EVENTS)
    given = m.get("events") or {}
    if not isinstance(given, dict):
        raise ConfigError("caliper mapping: events must map an event type (or Type/Action) to an activity type or null")
    events.update({str(k): (None if v is None else str(v)) for k, v in given.items()})
    strict = flag(options.get("strict", m.get("strict", False)), "strict")
    strips = {k: (m.get(k) or {}).get("strip") for k in ("learners", "course", "assessments", "resources")}
    acc = _Events(events)
    for rec, where in iter_records(source, what="Caliper event"):
        acc.add_record(rec, where)
    report.read = acc.n
    if acc.envelopes:
        report.note(f"{acc.envelopes:,} envelope{'s' if acc.envelopes != 1 else ''} read")
    cols = ["eid", "where", "etype", "learner", "course", "ts", "target", "atype", "known", "clicks", "score", "info", "ended"]
    df = pd.DataFrame(acc.rows, columns=cols)
    for c in ("eid", "where", "etype", "learner", "course", "ts", "target", "atype"):
        df[c] = df[c].astype("str")
    df["known"] = df["known"].astype(bool)

    def first(mask, what):
        row = df[mask].iloc[0]
        return f"{row['where']}" + (f" (event {row['eid']})" if isinstance(row["eid"], str) else "") + f": {what}"

    for col, name in (("ts", "eventTime"), ("ended", "endedAtTime")):
        times = pd.to_datetime(df[col], utc=True, format="ISO8601", errors="coerce")
        bad = (times.isna() & df[col].notna()).to_numpy()
        if bad.any():
            raise SourceError(first(bad, f"{name} {df.loc[bad, col].iloc[0]!r} is not ISO 8601"))
        df[col] = times
    df["timestamp"] = df["ts"]
    unknown = ~df["known"].to_numpy()
    if unknown.any():
        if strict:
            raise SourceError(first(unknown, f"event type {df.loc[unknown, 'etype'].iloc[0]} is not in the event map (add it under events:)"))
        report.drop("events of a type not in the event map (add it under events:)", int(unknown.sum()), pd.unique(df.loc[unknown, "etype"])[:3])
    no_course = df["course"].isna().to_numpy() & ~unknown
    if no_course.any():
        if strict:
            raise SourceError(first(no_course, "no course: the event has no group (CourseSection or CourseOffering)"))
        report.drop("events without a course (no group)", int(no_course.sum()), df.loc[no_course, "eid"].head(3))
    df = df[~unknown & ~no_course]
    df["course_id"] = strip_prefix(df["course"], strips["course"])
    grades = df[df["etype"].isin(GRADE_EVENTS).to_numpy()]
    no_target = grades["target"].isna().to_numpy()
    report.drop("grade events without an assignable", int(no_target.sum()), grades.loc[no_target, "eid"].head(3))
    grades = grades[~no_target]
    assessments, submissions = first_attempts(pd.DataFrame({
        "learner_id": strip_prefix(grades["learner"], strips["learners"]), "assessment_id": strip_prefix(grades["target"], strips["assessments"]),
        "submitted_at": grades["ended"].fillna(grades["timestamp"]), "score": grades["score"].astype("float64"),
        "scored_at": grades["timestamp"].where(grades["score"].notna()), "course_id": grades["course_id"], "info": grades["info"],
    }), report)
    ev = df[df["atype"].notna().to_numpy()]
    activity = pd.DataFrame({
        "learner_id": strip_prefix(ev["learner"], strips["learners"]), "course_id": ev["course_id"], "timestamp": ev["timestamp"], "activity_type": ev["atype"],
        "clicks": pd.to_numeric(ev["clicks"], errors="coerce").fillna(1.0), "resource_id": strip_prefix(ev["target"], strips["resources"]),
    })
    return from_frames(events=activity, assessments=assessments, submissions=submissions, course_dates=m.get("course_dates"), report=report)


# --------------------------------------------------------------------------- writer
BASE = "https://learnrisk.invalid/caliper/"
CONTEXT_1P2 = "http://purl.imsglobal.org/ctx/caliper/v1p2"
_WRITTEN_AS = (  # activity type containing ... -> (event type, action, object type) the writer uses
    ("forum", ("MessageEvent", "Posted", "Message")),
    ("quiz", ("AssessmentEvent", "Started", "Assessment")),
    ("", ("NavigationEvent", "NavigatedTo", "WebPage")),
)


def caliper_events(data, seed: int = 0):
    """LearningData as Caliper 1.2 events (dicts): one per activity row (a NavigationEvent,
    an AssessmentEvent or a MessageEvent by its family; its clicks and activity type in
    ``extensions``), one GradeEvent per submission (the score out of 100) at ``scored_at`` (else
    when submitted), the attempt ending when submitted."""
    act, sub = data.activity, data.submissions
    raw = np.random.default_rng(seed).bytes(16 * (len(act) + len(sub)))
    ids = (f"urn:uuid:{uuid.UUID(bytes=raw[16 * i:16 * i + 16], version=4)}" for i in range(len(act) + len(sub)))
    app = {"id": BASE.rstrip("/"), "type": "SoftwareApplication"}
    group = {c: {"id": BASE + "sections/" + c, "type": "CourseSection", "courseNumber": c} for c in data.courses["course_id"]}
    written_as = {t: next(w for key, w in _WRITTEN_AS if key in t.lower()) for t in pd.unique(act["activity_type"])}
    has_res = "resource_id" in act.columns
    for learner, course, ts, atype, clicks, res in zip(
        act["learner_id"], act["course_id"], iso(act["timestamp"]), act["activity_type"], act["clicks"].tolist(),
        act["resource_id"] if has_res else [None] * len(act), strict=True,
    ):
        etype, action, otype = written_as[atype]
        obj_id = BASE + "resources/" + (res if isinstance(res, str) else f"{course}/{atype}")
        yield {
            "@context": CONTEXT_1P2, "id": next(ids), "type": etype,
            "actor": {"id": BASE + "users/" + learner, "type": "Person"}, "action": action,
            "object": {"id": obj_id, "type": otype}, "eventTime": ts, "edApp": app, "group": group[course],
            "extensions": {EXT_ACTIVITY_TYPE: atype, EXT_CLICKS: int(clicks)},
        }
    asm = data.assessments.set_index("assessment_id")
    due = {aid: None if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%S.000Z") for aid, t in asm["due_at"].items()}
    marked = sub["scored_at"].fillna(sub["submitted_at"]) if "scored_at" in sub.columns else sub["submitted_at"]
    for learner, aid, ended, ts, score in zip(
        sub["learner_id"], sub["assessment_id"], iso(sub["submitted_at"]), iso(marked), sub["score"].tolist(), strict=True,
    ):
        course = asm.at[aid, "course_id"]
        attempt_id = f"{BASE}assess/{aid}/users/{learner}/attempts/1"
        assignable = {"id": BASE + "assess/" + aid, "type": "Assessment",
                      "extensions": {EXT_ASSESSMENT: {"kind": asm.at[aid, "kind"], "due_at": due[aid], "weight": float(asm.at[aid, "weight"])}}}
        if due[aid]:
            assignable["dateToSubmit"] = due[aid]
        generated = {"id": attempt_id + "/scores/1", "type": "Score", "attempt": attempt_id, "maxScore": 100.0, "scoredBy": app["id"]}
        if score == score:  # not NaN
            generated["scoreGiven"] = score
        yield {
            "@context": CONTEXT_1P2, "id": next(ids), "type": "GradeEvent", "actor": app, "action": "Graded",
            "object": {"id": attempt_id, "type": "Attempt", "assignee": {"id": BASE + "users/" + learner, "type": "Person"},
                       "assignable": assignable, "count": 1, "endedAtTime": ended},
            "eventTime": ts, "edApp": app, "group": group[course], "generated": generated,
        }


def write_caliper(data, out: Path, *, seed: int = 0, envelope_size: int = 500, **_options) -> list[Path]:
    """``events.jsonl`` (one envelope of up to ``envelope_size`` events per line, see
    :func:`caliper_events`) and ``caliper-mapping.yaml`` (strips the writer's id prefixes and
    gives the course dates) into ``out``."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)

    def envelopes():
        batch: list[dict] = []
        for ev in caliper_events(data, seed):
            batch.append(ev)
            if len(batch) == envelope_size:
                yield {"sensor": BASE + "sensors/1", "sendTime": batch[-1]["eventTime"], "dataVersion": CONTEXT_1P2, "data": batch}
                batch = []
        if batch:
            yield {"sensor": BASE + "sensors/1", "sendTime": batch[-1]["eventTime"], "dataVersion": CONTEXT_1P2, "data": batch}

    events = write_jsonl(out / "events.jsonl", envelopes())
    dates = {c: [s.isoformat(), e.isoformat()] for c, s, e in zip(data.courses["course_id"], data.courses["start"], data.courses["end"], strict=True)}
    mapping = {
        "learners": {"strip": BASE + "users/"}, "course": {"strip": BASE + "sections/"}, "assessments": {"strip": BASE + "assess/"},
        "resources": {"strip": BASE + "resources/"}, "course_dates": dates,
    }
    m = out / "caliper-mapping.yaml"
    m.write_text("# learnrisk import --from caliper events.jsonl --mapping caliper-mapping.yaml --out DIR\n" + yaml.safe_dump(mapping, sort_keys=False))
    return [events, m]


register("caliper", reader=read_caliper, writer=write_caliper, files=("events.jsonl", "caliper-mapping.yaml"))
