"""``--from edx``: Open edX tracking logs (JSON lines), and their writer.

The source is a tracking log (``tracking.log``, rotated ``tracking.log-20240108.gz``, ``.json``,
``.jsonl``) or a folder of them. Each line is one event: ``username``, ``event_type``,
``event_source`` (``server``, ``browser``, ``mobile``), ``time``, ``context`` (``user_id``,
``course_id``, ``module.display_name``) and ``event`` (a JSON object, or for browser events often
a JSON string).

- **learner**: ``context.user_id``; an event with only a ``username`` gets the user id seen with
  that username elsewhere in the logs (``-o learner=username`` uses usernames instead).
- **course**: ``context.course_id`` (``event.course_id`` for enrollment events).
- **activity**: each mapped event is one click at its ``time``, typed by :data:`EVENT_TYPES`
  (exact names, then prefixes); implicit server events whose ``event_type`` is a URL are typed
  by the page (``/courseware`` a page, ``/discussion`` the forum, ``/info`` and the course root
  the home page, ``/progress`` the progress page; other URLs, such as XBlock handler calls that
  repeat an explicit event, are dropped). The browser ``problem_check`` (the learner pressing
  Submit) is the click; the server's (the graded answer) is the submission, not a second click.
  Event types the map does not know are dropped and counted (``-o strict=true``
  refuses them). A ``--mapping`` YAML file adds or overrides entries (``event_types:
  {my_xblock.viewed: page}``) and gives course dates (``course_dates``), which logs lack.
- **submissions**: server ``problem_check`` events with ``grade`` and ``max_grade``: the problem
  (``event.problem_id``) is an assessment of kind ``problem`` (weight ``max_grade``, no due date:
  logs carry none), the score is ``grade / max_grade * 100``. With several attempts the last is
  the submission, at its own time (earlier attempts count as activity).
- **enrollments**: ``edx.course.enrollment.activated`` registers (the first activation),
  ``edx.course.enrollment.deactivated`` after the last activation withdraws (a label, outcome
  ``withdrawn``). A learner with events in a course but no activation in the logs (enrolled
  before the logs start) is enrolled at the first event, and counted in a note. Without any
  enrollment event, :func:`from_frames` derives them all.

Always an error (one line naming ``file:line``): a line that is not a JSON object, an event
without ``event_type`` or ``time``, a time that does not parse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import SourceError
from ._common import OULAD_FAMILIES, check_strict, dumps_line, parse_options, read_json_lines, source_times
from ._frames import ImportReport, from_frames
from ._registry import register

__all__ = ["EVENT_TYPES", "read_edx", "write_edx"]

EVENT_TYPES: dict[str, str] = {
    # event type (exact) -> activity type (its family in the feature catalog)
    "play_video": "video", "pause_video": "video", "seek_video": "video", "stop_video": "video",
    "load_video": "video", "speed_change_video": "video", "show_transcript": "video", "hide_transcript": "video",
    "seq_goto": "page", "seq_next": "page", "seq_prev": "page",            # moving between units (content)
    "problem_check": "quiz", "problem_show": "quiz", "showanswer": "quiz", "problem_reset": "quiz",
    "problem_save": "quiz", "problem_graded": "quiz",                        # quiz
    "book": "book", "textbook.pdf.page.loaded": "book",                    # content
    "page_close": None,                                                    # not a click: dropped
}
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("edx.video.", "video"), ("edx.ui.lms.sequence.", "page"), ("edx.ui.lms.outline.", "outline"),
    ("edx.ui.lms.link_clicked", "link"), ("edx.forum.", "forum"), ("edx.problem.", "quiz"),
    ("textbook.pdf.", "book"), ("edx.bookmark.", "bookmark"),
)
"""Prefixes tried after :data:`EVENT_TYPES` (outline: family other; link, bookmark: content)."""
_ENROLL = ("edx.course.enrollment.activated", "edx.course.enrollment.deactivated")
_LOG_NAMES = (".log", ".json", ".jsonl", ".gz")


def _page_type(path: str) -> str | None:
    """The activity type of an implicit server event (its ``event_type`` is the URL path)."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) < 3 or parts[1] != "courses":
        return None
    rest = parts[3:]  # after /courses/<course id>
    if not rest or rest[0] in ("info", "course"):
        return "homepage"
    return {"courseware": "page", "discussion": "forum", "progress": "progress"}.get(rest[0])


def activity_type(event_type: str, source: str, extra: dict[str, str] | None = None) -> str | None:
    """The activity type of an event, or None when it is not a click (see the module's docstring).

    >>> activity_type("play_video", "browser"), activity_type("/courses/course-v1:X+Y+Z/courseware/a/b/", "server")
    ('video', 'page')
    """
    if extra and event_type in extra:
        return extra[event_type]
    if event_type in EVENT_TYPES:
        return EVENT_TYPES[event_type]
    if event_type.startswith("/"):
        return _page_type(event_type)
    for prefix, kind in _PREFIXES:
        if event_type.startswith(prefix):
            return kind
    return None


def _files(source: Path) -> list[Path]:
    if source.is_dir():
        found = sorted(p for p in source.rglob("*") if p.is_file() and (p.name.startswith("tracking.log") or p.name.endswith(_LOG_NAMES)))
        if not found:
            raise SourceError(f"{source}: no tracking log in the folder (tracking.log*, *.json, *.jsonl, *.gz)")
        return found
    if not source.is_file():
        raise SourceError(f"{source}: no such file or folder")
    return [source]


def _mapping(mapping) -> tuple[dict[str, str], pd.DataFrame | None]:
    """Extra event types and course dates from a ``--mapping`` YAML file (or a dict)."""
    if mapping is None:
        return {}, None
    doc = mapping
    if isinstance(mapping, (str, Path)):
        import yaml

        try:
            doc = yaml.safe_load(Path(mapping).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise SourceError(f"cannot read the mapping file {mapping}: {e}") from None
    name = Path(mapping).name if isinstance(mapping, (str, Path)) else "mapping"
    if not isinstance(doc, dict) or set(doc) - {"event_types", "course_dates"}:
        raise SourceError(f"{name}: an edX mapping holds event_types and course_dates only (docs/data.md)")
    types = doc.get("event_types") or {}
    if not isinstance(types, dict):
        raise SourceError(f"{name}: event_types: write event_type: activity type")
    dates = doc.get("course_dates")
    frame = None
    if dates:
        if not isinstance(dates, dict) or not all(isinstance(v, dict) and set(v) == {"start", "end"} for v in dates.values()):
            raise SourceError(f"{name}: course_dates: write course_id: {{start: 2024-01-08, end: 2024-05-31}}")
        frame = pd.DataFrame([(str(k), str(v["start"]), str(v["end"])) for k, v in dates.items()], columns=["course_id", "start", "end"])
    return {str(k): (None if v is None else str(v)) for k, v in types.items()}, frame


def _event_object(value):
    """``event`` as a dict (browser events often carry it as a JSON string)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{"):
        import orjson

        try:
            obj = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
        return obj if isinstance(obj, dict) else {}
    return {}


def _records(files: list[Path], report: ImportReport):
    """One tuple per event: where, time, user id, username, course, event type, source, event
    (parsed only for the events whose payload is read: enrollments and graded problems)."""
    for path in files:
        name = path.name
        for n, obj in read_json_lines(path):
            report.read += 1
            event_type = obj.get("event_type")
            if not event_type or not isinstance(event_type, str):
                raise SourceError(f"{name}:{n}: an event without event_type")
            time = obj.get("time")
            if not time:
                raise SourceError(f"{name}:{n}: an event without time ({event_type})")
            context = obj.get("context")
            context = context if isinstance(context, dict) else {}
            payload = event_type in _ENROLL or event_type == "problem_check"
            event = _event_object(obj.get("event")) if payload else {}
            user_id = context.get("user_id")
            course = context.get("course_id")
            if event_type in _ENROLL:
                user_id = event.get("user_id") if user_id in (None, "") else user_id
                course = course or event.get("course_id")
            yield (f"{name}:{n}", time, None if user_id in (None, "") else str(user_id), obj.get("username") or None,
                   course or None, event_type, obj.get("event_source") or "", event, context)


def read_edx(source, *, report: ImportReport | None = None, mapping=None, learner: str = "user_id", strict: bool = False) -> LearningData:
    """Canonical data from Open edX tracking logs (see the module's docstring)."""
    if learner not in ("user_id", "username"):
        raise SourceError(f"option learner for --from edx takes user_id or username, found {learner!r}")
    report = report if report is not None else ImportReport("edx")
    extra, course_dates = _mapping(mapping)
    rows, problems, enroll, unknown = [], [], [], {}
    types: dict[tuple[str, str], str | None] = {}  # event types repeat: classify each once
    for where, time, user_id, username, course, event_type, src, event, context in _records(_files(Path(source)), report):
        if event_type in _ENROLL:
            enroll.append((where, time, user_id, username, course, event_type == _ENROLL[0]))
            continue
        if event_type == "problem_check" and src == "server":  # the graded answer: a submission, not a second click
            if event.get("max_grade") in (None, 0, "0"):
                report.drop("problem_check events without max_grade (ungraded problems)", 1, [where])
                continue
            module = context.get("module") if isinstance(context.get("module"), dict) else {}
            problems.append((where, time, user_id, username, course, event.get("problem_id"), event.get("grade"),
                             event.get("max_grade"), module.get("display_name")))
            continue
        kind = types.get((event_type, src), "?")
        if kind == "?":
            kind = types[(event_type, src)] = activity_type(event_type, src, extra)
        if kind is None:
            unknown[event_type] = unknown.get(event_type, 0) + 1
            continue
        rows.append((where, time, user_id, username, course, kind))
    for event_type, n in sorted(unknown.items(), key=lambda kv: -kv[1]):
        report.drop("event types that are not clicks or not mapped (page_close, XBlock handler URLs, ...)", n, [event_type])
    cols = ["where", "time", "user_id", "username", "course_id"]
    events = pd.DataFrame(rows, columns=[*cols, "activity_type"])
    subs = pd.DataFrame(problems, columns=[*cols, "assessment_id", "grade", "max_grade", "title"])
    enr = pd.DataFrame(enroll, columns=[*cols, "activated"])
    users = _usernames(events, subs, enr)
    for frame in (events, subs, enr):
        frame["learner_id"] = frame["username"] if learner == "username" else frame["user_id"].fillna(frame["username"].map(users))
        frame["timestamp"] = source_times(frame["time"], "time", lambda i, f=frame: f.at[i, "where"])
    assessments, submissions = _submissions(subs)
    enrollments = _enrollments(enr, events, report) if len(enr) else None
    data = from_frames(
        events=events[["learner_id", "course_id", "timestamp", "activity_type", "where"]].rename(columns={"where": "event_id"}),
        enrollments=enrollments, assessments=assessments, submissions=submissions, course_dates=course_dates, report=report,
    )
    check_strict(report, strict)
    return data


def _usernames(*frames: pd.DataFrame) -> dict[str, str]:
    """username -> the user id seen with it (events carrying both)."""
    pairs = pd.concat([f[["username", "user_id"]] for f in frames], ignore_index=True).dropna().drop_duplicates("username")
    return dict(zip(pairs["username"], pairs["user_id"]))


def _submissions(subs: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    if not len(subs):
        return None, None
    subs = subs.dropna(subset=["learner_id", "course_id", "assessment_id"])
    grade = pd.to_numeric(subs["grade"], errors="coerce")
    top = pd.to_numeric(subs["max_grade"], errors="coerce")
    subs = subs.assign(score=(grade / top * 100).where(top > 0), weight=top).sort_values("timestamp", kind="stable")
    last = subs.drop_duplicates(["learner_id", "assessment_id"], keep="last")
    problems = subs.drop_duplicates("assessment_id", keep="last")
    assessments = pd.DataFrame({
        "assessment_id": problems["assessment_id"].astype("str"), "course_id": problems["course_id"], "kind": "problem",
        "due_at": pd.Series(pd.NaT, index=problems.index, dtype="datetime64[ns, UTC]"), "weight": problems["weight"].astype("float64"),
        "title": problems["title"].astype("str"),
    })
    submissions = pd.DataFrame({"learner_id": last["learner_id"], "assessment_id": last["assessment_id"].astype("str"),
                                "submitted_at": last["timestamp"], "score": last["score"]})
    return assessments, submissions


def _enrollments(enr: pd.DataFrame, events: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """First activation; withdrawn by a deactivation after the last activation; learners active
    without an activation in the logs enrolled at their first event."""
    enr = enr.dropna(subset=["learner_id", "course_id"]).sort_values("timestamp", kind="stable")
    key = ["learner_id", "course_id"]
    on = enr[enr["activated"]].groupby(key)["timestamp"].agg(["min", "max"])
    off = enr[~enr["activated"]].groupby(key)["timestamp"].max()
    out = on.rename(columns={"min": "registered_at", "max": "last_on"}).join(off.rename("last_off"), how="outer")
    out["registered_at"] = out["registered_at"].fillna(out["last_off"])  # deactivated only: enrolled before the logs
    gone = out["last_off"].notna() & (out["last_on"].isna() | (out["last_off"] > out["last_on"]))
    out["withdrawn_at"] = out["last_off"].where(gone)
    out["outcome"] = pd.Series(np.where(gone, "withdrawn", None), index=out.index, dtype="str")
    out = out.reset_index()[[*key, "registered_at", "withdrawn_at", "outcome"]]
    seen = events.dropna(subset=key).groupby(key)["timestamp"].min().rename("registered_at").reset_index()
    seen = seen.merge(out[key], on=key, how="left", indicator=True)
    extra = seen[seen["_merge"] == "left_only"].drop(columns="_merge")
    if len(extra):
        report.note(f"{len(extra):,} learner{'s' if len(extra) != 1 else ''} active in a course without an enrollment event in the logs: enrolled at the first event")
        extra = extra.assign(withdrawn_at=pd.Series(pd.NaT, index=extra.index, dtype="datetime64[ns, UTC]"),
                             outcome=pd.Series(None, index=extra.index, dtype="str"))
        out = pd.concat([out, extra], ignore_index=True)
    return out


def _reader(source, *, report: ImportReport, mapping=None, **options) -> LearningData:
    opts = parse_options("edx", options, {"learner": "user_id", "strict": False})
    return read_edx(source, report=report, mapping=mapping, **opts)


# --------------------------------------------------------------------------- writing
_FAMILY_EVENT = {"content": ("play_video", "browser"), "forum": ("edx.forum.thread.viewed", "server"),
                 "quiz": ("problem_show", "browser"), "other": ("/courses/{course}/info", "server")}
FILES = ("tracking.log", "mapping.yaml")


def course_key(course_id: str, course_code: str) -> str:
    """The edX course key the writer gives an offering: ``course-v1:learnrisk+<code>+<id>``."""
    return f"course-v1:learnrisk+{course_code}+{course_id}"


def write_edx(data: LearningData, out: Path) -> list[Path]:
    """``data`` as an Open edX tracking log (``tracking.log``) and the ``mapping.yaml`` holding the
    course dates (``learnrisk import tracking.log --from edx --mapping mapping.yaml``).

    Usernames are the learner ids and user ids are numbered from 1001; courses get
    ``course-v1:learnrisk+<code>+<id>`` keys. Enrollment activations at registration,
    deactivations at withdrawal; each activity row is ``clicks`` events of its family (a video,
    a forum view, a problem shown, the course info page); each submission a server
    ``problem_check`` (grade = score x weight / 100, max_grade = weight)."""
    import yaml

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    users = {v: 1001 + i for i, v in enumerate(sorted(data.learners["learner_id"]))}
    keys = dict(zip(data.courses["course_id"], [course_key(c, k) for c, k in zip(data.courses["course_id"], data.courses["course_code"])]))
    lines: list[tuple[pd.Timestamp, dict]] = []

    def base(t, learner, course, event_type, source, event) -> dict:
        return {"username": learner, "event_source": source, "name": event_type, "event_type": event_type,
                "time": t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00", "page": None, "host": "courses.example.org",
                "agent": "Mozilla/5.0", "ip": "192.0.2.1", "session": "",
                "context": {"user_id": users[learner], "course_id": course, "org_id": "learnrisk", "path": ""},
                "event": event}

    e = data.enrollments
    for r in e.itertuples():
        course = keys[r.course_id]
        lines.append((r.registered_at, base(r.registered_at, r.learner_id, course, _ENROLL[0], "server",
                                             {"course_id": course, "user_id": users[r.learner_id], "mode": "audit"})))
        if pd.notna(r.withdrawn_at):
            lines.append((r.withdrawn_at, base(r.withdrawn_at, r.learner_id, course, _ENROLL[1], "server",
                                                {"course_id": course, "user_id": users[r.learner_id], "mode": "audit"})))
    act = data.activity
    fam = act["activity_type"].map(OULAD_FAMILIES).fillna("other")
    for t, learner, course, f, n in zip(act["timestamp"], act["learner_id"], act["course_id"], fam, act["clicks"]):
        event_type, source = _FAMILY_EVENT[f]
        event_type = event_type.format(course=keys[course])
        payload = '{"id": "video", "currentTime": 0}' if source == "browser" else {}
        record = base(t, learner, keys[course], event_type, source, payload)
        lines.extend([(t, record)] * int(n))
    a = data.assessments.set_index("assessment_id")
    for r in data.submissions.itertuples():
        weight = float(a.at[r.assessment_id, "weight"])
        grade = None if pd.isna(r.score) else float(r.score) * weight / 100
        course = keys[a.at[r.assessment_id, "course_id"]]
        event = {"problem_id": r.assessment_id, "grade": grade, "max_grade": weight, "attempts": 1, "success": "correct",
                 "answers": {}, "submission": {}}
        record = base(r.submitted_at, r.learner_id, course, "problem_check", "server", event)
        record["context"]["module"] = {"display_name": str(a.at[r.assessment_id, "title"]) if "title" in a.columns else r.assessment_id}
        lines.append((r.submitted_at, record))
    lines.sort(key=lambda x: x[0])
    path = out / "tracking.log"
    with open(path, "wb") as fh:
        for _, record in lines:
            fh.write(dumps_line(record))
    c = data.courses
    dates = {keys[i]: {"start": s.isoformat(), "end": t.isoformat()} for i, s, t in zip(c["course_id"], c["start"], c["end"])}
    mapping = out / "mapping.yaml"
    mapping.write_text(
        "# learnrisk mapping for these edX logs (docs/data.md): course dates, which tracking logs lack\n"
        "#   learnrisk import FOLDER/tracking.log --from edx --mapping FOLDER/mapping.yaml --out DIR\n"
        + yaml.safe_dump({"course_dates": dates}, sort_keys=False)
    )
    return [path, mapping]


def _writer(data: LearningData, out: Path, **options) -> list[Path]:
    parse_options("edx", options, {})
    return write_edx(data, out)


register("edx", reader=_reader, writer=_writer, files=FILES)
