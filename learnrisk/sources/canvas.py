"""``--from canvas``: Canvas Data 2 tables as the DAP client writes them, and their writer.

``dap snapshot`` (or ``dap incremental``) writes one folder per table with JSON-lines files
(``.json.gz``), CSV or Parquet; each record is ``{"key": {"id": ...}, "value": {...},
"meta": {"ts": ..., "action": "U"|"D"}}`` (CSV and Parquet: columns ``key.id``, ``value.user_id``,
``meta.action``, or the same as structs). Tables read from the source folder, each as
``<table>/`` (every data file inside, at any depth) or ``<table>.jsonl|.json.gz|.csv|.parquet``:

- ``web_logs`` (namespace ``canvas_logs``) -> activity: one request by a learner in a course is
  one click at its ``timestamp``; ``web_application_controller`` gives the activity type
  (:data:`CONTROLLER_TYPES`, the rest keep the controller's name, whose family the feature
  catalog's default map decides); ``resource_id`` is the URL path. Dropped and counted: failed
  requests (HTTP status 400 and above), requests made while masquerading (``real_user_id`` set
  and not the user), API requests (controllers ending in ``_api`` and ``/api/`` URLs: pages
  call them in the background, so they are not clicks; ``-o api=true`` counts them).
- ``enrollments`` -> enrollments: ``StudentEnrollment`` rows only (teachers' and test
  students' are dropped, so their requests are too), ``registered_at`` = ``created_at``. A
  learner in several sections of a course is one enrollment (the first registration; withdrawn
  only when every section is). ``workflow_state`` ``deleted`` or ``inactive`` is a withdrawal at
  ``updated_at`` (the time of the row's last change: a **label**, never a feature, and later than
  the real withdrawal if the row changed again), outcome ``withdrawn``; ``invited``,
  ``creation_pending`` and ``rejected`` never joined and are dropped; ``active`` and
  ``completed`` stay, with no outcome (these tables hold no final result).
- ``courses`` -> courses: ``start_at``/``conclude_at`` as start and end (offerings without both
  get derived dates, reported); ``course_code``; ``name`` as the title. ``-o course_id=sis``
  uses ``sis_source_id`` as the course id where it is set.
- ``assignments`` -> assessments (``context_type`` Course; deleted ones dropped, and with them
  their submissions): ``due_at``; ``weight`` = ``points_possible`` (Canvas's default, points
  count toward the total; assignment-group weights are not read), 0 when
  ``omit_from_final_grade``; ``kind`` from ``submission_types`` (``online_quiz`` -> quiz,
  ``discussion_topic`` -> discussion, else assignment).
- ``submissions`` -> submissions: ``score / points_possible * 100``; at ``submitted_at``, or at
  ``graded_at`` for a grade without a submission (on paper, entered by the teacher: known from
  then); ``graded_at`` of a scored row is ``scored_at`` (the score counts from then).
  Canvas's placeholders (nothing submitted or graded), excused and deleted rows are dropped.
- ``users`` is not needed (learner ids are Canvas user ids; names and e-mails are never read).

Records with ``meta.action`` ``D`` delete their key; with several records of one key (an
incremental update), the one with the latest ``meta.ts`` wins.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ..errors import SourceError
from ._common import OULAD_FAMILIES, check_strict, dumps_line, parse_options, read_table, record_where, source_times
from ._frames import ImportReport, from_frames
from ._registry import register

__all__ = ["CONTROLLER_TYPES", "TABLES", "read_canvas", "write_canvas"]

TABLES = ("web_logs", "enrollments", "courses", "assignments", "submissions", "users")
_EXTENSIONS = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".csv", ".csv.gz", ".parquet")

CONTROLLER_TYPES: dict[str, str] = {
    # controller -> activity type (its family in the feature catalog)
    "courses": "homepage",                      # course home page (other)
    "context_modules": "modules",               # the modules list (other)
    "wiki_pages": "page",                       # content
    "files": "file",                            # content
    "folders": "file",                          # content
    "media_objects": "media",                   # content
    "discussion_topics": "discussion",          # forum
    "discussion_entries": "discussion",         # forum
    "announcements": "announcement",            # other
    "conversations": "message",                 # forum
    "collaborations": "collaboration",          # forum
    "quizzes/quizzes": "quiz",                  # quiz
    "quizzes/quiz_submissions": "quiz",         # quiz
    "assignments": "assignment",                # other
    "submissions": "assignment",                # other
    "gradebooks": "grades",                     # other
    "external_tools": "external_tool",          # other
}
"""The activity type of a ``web_logs`` request by its ``web_application_controller``."""


# --------------------------------------------------------------------------- reading
def _files(source: Path, table: str) -> list[Path]:
    folder = source / table
    if folder.is_dir():
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(_EXTENSIONS))
    return [p for ext in _EXTENSIONS if (p := source / f"{table}{ext}").is_file()]


def _load(source: Path, table: str, report: ImportReport) -> pd.DataFrame | None:
    """A table's records as one frame of plain columns (``id``, ``user_id``, ...), the latest
    record per key, deletions applied; with a function naming a row's file and line."""
    files = _files(source, table)
    if not files:
        return None
    frames, wheres = [], []
    for k, path in enumerate(files):
        frame = read_table(path)
        wheres.append(record_where(path, frame))
        frame = frame.rename(columns=lambda c: str(c).removeprefix("value.").replace("key.", "", 1) if str(c).startswith(("value.", "key.")) else str(c))
        frame["_file"], frame["_row"] = k, np.arange(len(frame))
        frame.attrs = {}
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["wheres"] = wheres
    report.read += len(frame)
    if "id" not in frame.columns:
        raise SourceError(f"{files[0].name}: Canvas Data 2 records have a key id (key.id); columns found: {', '.join(frame.columns[:8])}")
    if "meta.ts" in frame.columns:
        frame = frame.iloc[np.argsort(frame["meta.ts"].astype("str").to_numpy(), kind="stable")]
    frame = frame.drop_duplicates("id", keep="last")
    if "meta.action" in frame.columns:
        deleted = (frame["meta.action"].astype("str") == "D").to_numpy()
        if deleted.any():
            report.drop(f"{table} records deleted in Canvas (meta.action D)", int(deleted.sum()))
        frame = frame[~deleted]
    return frame.reset_index(drop=True)


def _where(frame: pd.DataFrame):
    """``file:line`` of a row (by its index label), for messages."""
    wheres = frame.attrs.get("wheres")
    if not wheres:
        return lambda i: f"record {int(frame.at[i, '_row']) + 1}"
    return lambda i: wheres[int(frame.at[i, "_file"])](int(frame.at[i, "_row"]))


def _ids(values: pd.Series) -> pd.Series:
    """Canvas ids (numbers in JSON, text in CSV) as text without a trailing ``.0``."""
    if pd.api.types.is_float_dtype(values.dtype):
        return values.astype("Int64").astype("str").where(values.notna())
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("str")
    return values.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v, na_action="ignore").astype("str")


def _col(frame: pd.DataFrame, name: str, table: str) -> pd.Series:
    if name not in frame.columns:
        raise SourceError(f"{table}: Canvas Data 2 column {name} is missing (found {', '.join(c for c in frame.columns if not c.startswith('_'))})")
    return frame[name]


def _times(frame: pd.DataFrame, name: str, table: str) -> pd.Series:
    return source_times(_col(frame, name, table), f"{table}.{name}", _where(frame))


def _web_logs(frame: pd.DataFrame, report: ImportReport, api: bool) -> pd.DataFrame:
    t = "web_logs"
    if "http_status" in frame.columns:
        status = pd.to_numeric(frame["http_status"], errors="coerce")
        bad = (status >= 400).to_numpy()
        report.drop("failed requests (HTTP status 400 and above)", int(bad.sum()), frame.loc[bad, "id"].head(3))
        frame = frame[~bad]
    if "real_user_id" in frame.columns:
        masq = (frame["real_user_id"].notna() & (_ids(frame["real_user_id"]) != _ids(frame["user_id"]))).to_numpy()
        report.drop("requests made while masquerading as the learner (real_user_id)", int(masq.sum()), frame.loc[masq, "id"].head(3))
        frame = frame[~masq]
    controller = frame["web_application_controller"] if "web_application_controller" in frame.columns else pd.Series(None, index=frame.index, dtype="str")
    url = frame["url"].astype("str").fillna("") if "url" in frame.columns else pd.Series("", index=frame.index, dtype="str")
    if not api:
        is_api = (controller.astype("str").fillna("").str.endswith("_api") | url.str.startswith("/api/")).to_numpy()
        report.drop("API requests (made by pages in the background, not clicks; -o api=true counts them)", int(is_api.sum()),
                    frame.loc[is_api, "id"].head(3))
        frame, controller, url = frame[~is_api], controller[~is_api], url[~is_api]
    kind = controller.map(CONTROLLER_TYPES).fillna(controller).fillna("request")
    return pd.DataFrame({
        "event_id": frame["id"],
        "learner_id": _ids(_col(frame, "user_id", t)),
        "course_id": _ids(_col(frame, "course_id", t)),
        "timestamp": _times(frame, "timestamp", t),
        "activity_type": kind.astype("str"),
        "resource_id": url.str.split("?", n=1).str[0].where(url != ""),
    })


def _enrollments(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    t = "enrollments"
    kind = _col(frame, "type", t).astype("str")
    other = (kind != "StudentEnrollment").to_numpy()
    if other.any():
        shown = sorted(set(kind[other]))[:3]
        report.drop("enrollments that are not students' (" + ", ".join(shown) + ")", int(other.sum()))
    frame = frame[~other]
    state = _col(frame, "workflow_state", t).astype("str")
    never = state.isin(["invited", "creation_pending", "rejected"]).to_numpy()
    report.drop("enrollments never accepted (invited, creation_pending, rejected)", int(never.sum()), frame.loc[never, "id"].head(3))
    frame, state = frame[~never], state[~never]
    gone = state.isin(["deleted", "inactive"])
    e = pd.DataFrame({
        "learner_id": _ids(_col(frame, "user_id", t)),
        "course_id": _ids(_col(frame, "course_id", t)),
        "registered_at": _times(frame, "created_at", t),
        "left_at": _times(frame, "updated_at", t).where(gone),
        "gone": gone,
    })
    g = e.groupby(["learner_id", "course_id"], sort=True)
    out = g.agg(registered_at=("registered_at", "min"), withdrawn_at=("left_at", "max"), gone=("gone", "all")).reset_index()
    out["withdrawn_at"] = out["withdrawn_at"].where(out["gone"])
    out["outcome"] = pd.Series(np.where(out["gone"], "withdrawn", None), index=out.index, dtype="str")
    if len(out):
        report.note("Canvas enrollments carry no final result: outcome is withdrawn (deleted or inactive, at updated_at) or empty")
    return out.drop(columns="gone")


def _courses(frame: pd.DataFrame, sis: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    t = "courses"
    ids = _ids(frame["id"])
    rename = {}
    if sis and "sis_source_id" in frame.columns:
        sis_ids = frame["sis_source_id"].astype("str")
        has = frame["sis_source_id"].notna()
        rename = dict(zip(ids[has], sis_ids[has]))
    out = pd.DataFrame({
        "course_id": ids.map(lambda i: rename.get(i, i)),
        "course_code": frame["course_code"].astype("str") if "course_code" in frame.columns else ids,
        "start": _times(frame, "start_at", t) if "start_at" in frame.columns else pd.NaT,
        "end": _times(frame, "conclude_at", t) if "conclude_at" in frame.columns else pd.NaT,
    })
    if "name" in frame.columns:
        out["title"] = frame["name"].astype("str")
    out["course_code"] = out["course_code"].fillna(out["course_id"])
    return out[out["start"].notna() & out["end"].notna()], rename


def _assignments(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    t = "assignments"
    state = frame["workflow_state"].astype("str") if "workflow_state" in frame.columns else pd.Series("published", index=frame.index)
    deleted = (state == "deleted").to_numpy()
    if "context_type" in frame.columns:
        deleted = deleted | (frame["context_type"].astype("str") != "Course").to_numpy()
    report.drop("assignments deleted in Canvas (or not of a course)", int(deleted.sum()), frame.loc[deleted, "id"].head(3))
    frame = frame[~deleted]
    points = pd.to_numeric(frame["points_possible"], errors="coerce") if "points_possible" in frame.columns else pd.Series(np.nan, index=frame.index)
    omit = frame["omit_from_final_grade"].astype("str").str.lower().isin(["true", "1"]) if "omit_from_final_grade" in frame.columns else pd.Series(False, index=frame.index)
    types = frame["submission_types"].astype("str") if "submission_types" in frame.columns else pd.Series("", index=frame.index)
    kind = np.where(types.str.contains("online_quiz"), "quiz", np.where(types.str.contains("discussion_topic"), "discussion", "assignment"))
    out = pd.DataFrame({
        "assessment_id": _ids(frame["id"]),
        "course_id": _ids(_col(frame, "context_id", t)),
        "kind": kind,
        "due_at": _times(frame, "due_at", t) if "due_at" in frame.columns else pd.NaT,
        "weight": points.fillna(0.0).where(~omit, 0.0).clip(lower=0.0),
        "points": points,
    })
    if "title" in frame.columns:
        out["title"] = frame["title"].astype("str")
    return out


def _submissions(frame: pd.DataFrame, assessments: pd.DataFrame | None, report: ImportReport) -> pd.DataFrame:
    t = "submissions"
    state = frame["workflow_state"].astype("str") if "workflow_state" in frame.columns else pd.Series("submitted", index=frame.index)
    submitted = _times(frame, "submitted_at", t) if "submitted_at" in frame.columns else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    graded = _times(frame, "graded_at", t) if "graded_at" in frame.columns else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    raw = pd.to_numeric(frame["score"], errors="coerce") if "score" in frame.columns else pd.Series(np.nan, index=frame.index)
    at = submitted.fillna(graded.where(raw.notna()))
    excused = frame["excused"].astype("str").str.lower().isin(["true", "1"]) if "excused" in frame.columns else pd.Series(False, index=frame.index)
    for mask, reason in (((state == "deleted").to_numpy(), "submissions deleted in Canvas"),
                         (excused.to_numpy() & (state != "deleted").to_numpy(), "excused submissions"),
                         (at.isna().to_numpy() & (state != "deleted").to_numpy() & ~excused.to_numpy(),
                          "submission rows with nothing submitted or graded (Canvas's placeholders)")):
        report.drop(reason, int(mask.sum()), frame.loc[mask, "id"].head(3))
    keep = (state != "deleted").to_numpy() & ~excused.to_numpy() & at.notna().to_numpy()
    aid = _ids(_col(frame, "assignment_id", t))
    points = aid.map(assessments.set_index("assessment_id")["points"]) if assessments is not None else pd.Series(np.nan, index=frame.index)
    score = (raw / points * 100).where(points > 0)
    return pd.DataFrame({
        "learner_id": _ids(_col(frame, "user_id", t)), "assessment_id": aid, "submitted_at": at, "score": score,
        "scored_at": graded.where(score.notna()),
    })[keep]


def read_canvas(source, *, report: ImportReport | None = None, api: bool = False, course_id: str = "id",
                strict: bool = False) -> LearningData:
    """Canonical data from a folder of Canvas Data 2 tables (see the module's docstring).

    ``api`` counts API requests as clicks; ``course_id="sis"`` takes course ids from
    ``sis_source_id``; ``strict`` refuses records that would be dropped.
    """
    source = Path(source)
    if not source.is_dir():
        raise SourceError(f"{source}: --from canvas reads a folder of Canvas Data 2 tables (web_logs/, enrollments/, courses/, ...)")
    if course_id not in ("id", "sis"):
        raise SourceError(f"option course_id for --from canvas takes id or sis, found {course_id!r}")
    report = report if report is not None else ImportReport("canvas")
    tables = {t: _load(source, t, report) for t in TABLES}
    if tables["web_logs"] is None and tables["enrollments"] is None:
        raise SourceError(f"{source}: neither web_logs nor enrollments found; expected folders or files named {', '.join(TABLES)}")
    courses, rename = (None, {})
    if tables["courses"] is not None:
        courses, rename = _courses(tables["courses"], course_id == "sis")
    assessments = _assignments(tables["assignments"], report) if tables["assignments"] is not None else None
    events = _web_logs(tables["web_logs"], report, api) if tables["web_logs"] is not None else None
    enrollments = _enrollments(tables["enrollments"], report) if tables["enrollments"] is not None else None
    submissions = _submissions(tables["submissions"], assessments, report) if tables["submissions"] is not None else None
    for frame in (events, enrollments, assessments):
        if frame is not None and rename:
            frame["course_id"] = frame["course_id"].map(lambda i: rename.get(i, i))
    data = from_frames(
        events=events, enrollments=enrollments, courses=courses,
        assessments=None if assessments is None else assessments.drop(columns="points"),
        submissions=submissions, report=report,
    )
    check_strict(report, strict)
    return data


def _reader(source, *, report: ImportReport, mapping=None, **options) -> LearningData:
    if mapping is not None:
        raise SourceError("--from canvas takes no --mapping (the Canvas Data 2 schema is fixed); see docs/data.md")
    opts = parse_options("canvas", options, {"api": False, "course_id": "id", "strict": False})
    return read_canvas(source, report=report, **opts)


# --------------------------------------------------------------------------- writing
_FAMILY_CONTROLLER = {"content": ("wiki_pages", "pages"), "forum": ("discussion_topics", "discussion_topics"),
                      "quiz": ("quizzes/quizzes", "quizzes"), "other": ("courses", "")}


def _iso(times: pd.Series) -> pd.Series:
    """UTC times as Canvas writes them: ``2024-01-08T10:00:00.000Z``."""
    return times.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"


def _numbered(values) -> dict[str, int]:
    """Canvas ids are numbers: the synthetic ids numbered in sorted order from 1001."""
    return {v: 1001 + i for i, v in enumerate(sorted(set(values)))}


def write_canvas(data: LearningData, out: Path, format: str = "jsonl") -> list[Path]:
    """``data`` as Canvas Data 2 tables (one folder per table, ``part-00000.json.gz`` as the DAP
    client writes JSON lines; ``format="csv"`` or ``"parquet"`` flattened ``key.``/``value.``
    columns). Ids are numbered (:func:`_numbered`); ``courses.sis_source_id`` keeps the course id
    (read it back with ``-o course_id=sis``). Each activity row becomes ``clicks`` requests to a
    controller of its family; every enrollment is a StudentEnrollment, withdrawn ones deleted at
    their withdrawal; points possible are the weights; a score is graded at ``scored_at``
    (else when submitted)."""
    if format not in ("jsonl", "csv", "parquet"):
        raise SourceError(f"format for the canvas writer is jsonl, csv or parquet, found {format!r}")
    out = Path(out)
    users, courses = _numbered(data.learners["learner_id"]), _numbered(data.courses["course_id"])
    assignments = _numbered(data.assessments["assessment_id"])
    c, e, a = data.courses, data.enrollments, data.assessments
    gone = e["withdrawn_at"].notna()
    s = data.submissions.merge(a[["assessment_id", "weight"]], on="assessment_id", how="left")
    graded = s["scored_at"].fillna(s["submitted_at"]) if "scored_at" in s.columns else s["submitted_at"]
    tables = {
        "courses": {
            "key.id": c["course_id"].map(courses), "value.name": c["title"] if "title" in c.columns else c["course_code"],
            "value.course_code": c["course_code"], "value.workflow_state": "available", "value.sis_source_id": c["course_id"],
            "value.start_at": _iso(c["start"]), "value.conclude_at": _iso(c["end"]),
        },
        "enrollments": {
            "key.id": np.arange(5001, 5001 + len(e)), "value.user_id": e["learner_id"].map(users),
            "value.course_id": e["course_id"].map(courses), "value.type": "StudentEnrollment",
            "value.workflow_state": np.where(gone, "deleted", "active"), "value.created_at": _iso(e["registered_at"]),
            "value.updated_at": _iso(e["withdrawn_at"].where(gone, e["registered_at"])),
        },
        "users": {"key.id": list(users.values()), "value.workflow_state": "registered"},
        "assignments": {
            "key.id": a["assessment_id"].map(assignments), "value.title": a["title"] if "title" in a.columns else a["assessment_id"],
            "value.context_id": a["course_id"].map(courses), "value.context_type": "Course", "value.workflow_state": "published",
            "value.points_possible": a["weight"].astype("float64"), "value.due_at": _iso(a["due_at"]),
            "value.submission_types": np.where(a["kind"] == "CMA", "online_quiz", "online_upload"),
        },
        "submissions": {
            "key.id": np.arange(900001, 900001 + len(s)), "value.assignment_id": s["assessment_id"].map(assignments),
            "value.user_id": s["learner_id"].map(users), "value.submitted_at": _iso(s["submitted_at"]),
            "value.score": s["score"] * s["weight"] / 100, "value.workflow_state": np.where(s["score"].isna(), "submitted", "graded"),
            "value.graded_at": _iso(graded.where(s["score"].notna())),
        },
    }
    act = data.activity
    fam = act["activity_type"].map(OULAD_FAMILIES).fillna("other")
    rep = np.repeat(np.arange(len(act)), act["clicks"].to_numpy(dtype=np.int64))
    controller = fam.map({f: cp[0] for f, cp in _FAMILY_CONTROLLER.items()}).to_numpy()[rep]
    part = fam.map({f: cp[1] for f, cp in _FAMILY_CONTROLLER.items()}).to_numpy()[rep]
    cid = act["course_id"].map(courses).to_numpy()[rep]
    res = act["resource_id"].to_numpy()[rep] if "resource_id" in act.columns else np.full(len(rep), "x", dtype=object)
    url = [f"/courses/{k}/{p}/{r}" if p else f"/courses/{k}" for k, p, r in zip(cid, part, res)]
    tables["web_logs"] = {
        "key.id": [str(uuid.UUID(int=n + 1)) for n in range(len(rep))],
        "value.timestamp": np.asarray(_iso(act["timestamp"]), dtype=object)[rep], "value.user_id": act["learner_id"].map(users).to_numpy()[rep],
        "value.course_id": cid, "value.url": url, "value.http_method": "GET", "value.http_status": "200",
        "value.web_application_controller": controller, "value.web_application_action": "show",
    }
    meta = {"meta.ts": "2026-01-01T00:00:00.000Z", "meta.action": "U"}
    return [_write_table(out, name, pd.DataFrame({**cols, **meta}), format) for name, cols in tables.items()]


def _write_table(out: Path, name: str, flat: pd.DataFrame, format: str) -> Path:
    """One table in the DAP client's layout: ``<out>/<name>/part-00000.<ext>``."""
    import gzip

    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-00000.*"):
        old.unlink()
    if format == "csv":
        path = folder / "part-00000.csv"
        flat.to_csv(path, index=False)
        return path
    if format == "parquet":
        path = folder / "part-00000.parquet"
        flat.to_parquet(path, index=False)
        return path
    path = folder / "part-00000.json.gz"
    parts = [(c.split(".", 1)[0], c.split(".", 1)[1], flat[c].astype(object).where(flat[c].notna(), None).tolist()) for c in flat.columns]
    with gzip.open(path, "wb", compresslevel=1) as fh:
        for i in range(len(flat)):
            row: dict[str, dict] = {"key": {}, "value": {}, "meta": {}}
            for group, field, values in parts:
                v = values[i]
                row[group][field] = v.item() if hasattr(v, "item") else v
            fh.write(dumps_line(row))
    return path


def _writer(data: LearningData, out: Path, **options) -> list[Path]:
    opts = parse_options("canvas", options, {"format": "jsonl"})
    return write_canvas(data, out, format=str(opts["format"]))


register("canvas", reader=_reader, writer=_writer, files=TABLES)
