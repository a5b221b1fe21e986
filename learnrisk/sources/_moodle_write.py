"""Synthetic (or any canonical) data written as Moodle's tables, so that the Moodle reader has a
round trip (``learnrisk synth --format moodle``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import LearningData
from ._moodle_map import CONTEXT_MODULE, LOG, SITE, TABLES

__all__ = ["write_moodle"]


def _secs(values) -> pd.Series:
    """UTC times as Unix seconds (Moodle's encoding); missing -> 0 ("not set")."""
    t = pd.Series(values)
    out = pd.Series(0, index=t.index, dtype="int64")
    known = t.notna()
    out[known] = (t[known].astype("datetime64[ns, UTC]").astype("int64") // 10**9).to_numpy()
    return out


def _ids(values, first: int) -> dict:
    """Canonical string ids -> Moodle integer ids from ``first``, in sorted order."""
    return {v: i for i, v in enumerate(sorted(pd.unique(pd.Series(values).dropna().astype("str"))), start=first)}


_DECIMALS = {"grademax", "grademin", "gradepass", "aggregationcoef", "aggregationcoef2", "rawgrade", "finalgrade", "sumgrades"}


def _is_quiz(kind: pd.Series) -> np.ndarray:
    k = kind.astype("str").str.lower()
    return (k.str.contains("quiz") | k.isin(["cma", "test"])).to_numpy()


def write_moodle(data: LearningData, out: Path, *, prefix: str = "mdl_", pass_mark: float = 40.0) -> list[Path]:
    """LearningData as Moodle table exports (``<prefix><table>.csv``, the columns the reader
    reads plus the ones a row needs), so that ``read_moodle`` has a round trip.

    Canonical ids go to ``idnumber`` fields (``user.idnumber``, ``grade_items.idnumber``) and
    course ids to ``course.shortname``, course codes to ``course.idnumber``: read back with
    ``-o ids=idnumber``. One log row is one click (``clicks`` rows at the activity's instant):
    ``homepage`` is the core ``course_viewed`` event, any other type ``mod_<type>``'s
    ``course_module_viewed``. Kinds with "quiz" (or CMA) are quizzes, the rest assignments;
    scores out of 100, graded (``grade_grades.timemodified``) at ``scored_at``, else when submitted;
    the course total is ``final_score`` with ``gradepass`` ``pass_mark``.
    """
    out.mkdir(parents=True, exist_ok=True)
    cid = _ids(data.courses["course_id"], 2)  # 1 is the site
    uid = _ids(data.learners["learner_id"], 3)  # 1 guest, 2 admin
    c = data.courses.sort_values("course_id")
    tables: dict[str, pd.DataFrame] = {}
    tables["course"] = pd.DataFrame({
        "id": [SITE, *c["course_id"].map(cid)], "category": [0, *[1] * len(c)],
        "fullname": ["Synthetic site", *c.get("title", c["course_id"]).fillna(c["course_id"])],
        "shortname": ["site", *c["course_id"]], "idnumber": ["", *c["course_code"]], "format": ["site", *["topics"] * len(c)],
        "startdate": [0, *_secs(c["start"])], "enddate": [0, *_secs(c["end"])],
    })
    users = sorted(uid, key=uid.get)
    tables["user"] = pd.DataFrame({
        "id": [1, 2, *[uid[u] for u in users]], "auth": "manual", "confirmed": 1, "deleted": 0, "mnethostid": 1,
        "username": ["guest", "admin", *[f"learner{uid[u]}" for u in users]], "idnumber": ["", "", *users],
        "firstname": ["Guest", "Admin", *["Learner"] * len(users)], "lastname": ["user", "User", *[str(uid[u]) for u in users]],
        "email": ["", "", *[f"learner{uid[u]}@example.invalid" for u in users]],
    })
    tables["enrol"] = pd.DataFrame({"id": range(1, len(cid) + 1), "enrol": "manual", "status": 0, "courseid": list(cid.values()), "roleid": 5})
    enrol_of = dict(zip(cid.values(), range(1, len(cid) + 1)))
    e = data.enrollments.sort_values(["course_id", "learner_id"])
    reg, wd = _secs(e["registered_at"]).to_numpy(), _secs(e["withdrawn_at"]).to_numpy()
    tables["user_enrolments"] = pd.DataFrame({
        "id": range(1, len(e) + 1), "status": (wd > 0).astype(int), "enrolid": e["course_id"].map(cid).map(enrol_of).to_numpy(),
        "userid": e["learner_id"].map(uid).to_numpy(), "timestart": reg, "timeend": 0, "modifierid": 2,
        "timecreated": reg, "timemodified": np.where(wd > 0, wd, reg),
    })
    a = data.assessments.sort_values("assessment_id").reset_index(drop=True)
    quiz = _is_quiz(a["kind"])
    a = a.assign(module=np.where(quiz, "quiz", "assign"), instance=0)
    for module in ("assign", "quiz"):
        mine = a["module"] == module
        a.loc[mine, "instance"] = np.arange(1, int(mine.sum()) + 1)
    title = a.get("title", a["assessment_id"]).fillna(a["assessment_id"])
    for module, due in (("assign", "duedate"), ("quiz", "timeclose")):
        m = a["module"] == module
        tables[module] = pd.DataFrame({
            "id": a.loc[m, "instance"], "course": a.loc[m, "course_id"].map(cid), "name": title[m], "intro": "",
            due: _secs(a.loc[m, "due_at"]), "grade": 100, "timemodified": 0,
        })
    tables["quiz"]["sumgrades"] = 100
    n_mod = len(a)
    tables["grade_items"] = pd.DataFrame({
        "id": [*range(1, n_mod + 1), *range(n_mod + 1, n_mod + len(cid) + 1)],
        "courseid": [*a["course_id"].map(cid), *cid.values()],
        "itemname": [*title, *[None] * len(cid)], "itemtype": [*["mod"] * n_mod, *["course"] * len(cid)],
        "itemmodule": [*a["module"], *[None] * len(cid)], "iteminstance": [*a["instance"], *cid.values()],
        "itemnumber": [*[0] * n_mod, *[None] * len(cid)], "idnumber": [*a["assessment_id"], *[None] * len(cid)],
        "gradetype": 1, "grademax": 100.0, "grademin": 0.0,
        "gradepass": [*[0.0] * n_mod, *[float(pass_mark)] * len(cid)],
        "aggregationcoef": 0.0, "aggregationcoef2": [*(a["weight"] / 100).round(9), *[0.0] * len(cid)],
    })
    item_of = dict(zip(a["assessment_id"], range(1, n_mod + 1)))
    s = data.submissions.merge(a[["assessment_id", "module", "instance"]], on="assessment_id").sort_values(["assessment_id", "learner_id"])
    when = _secs(s["submitted_at"]).to_numpy()
    subs_a, subs_q = s[s["module"] == "assign"], s[s["module"] == "quiz"]
    ta, tq = when[(s["module"] == "assign").to_numpy()], when[(s["module"] == "quiz").to_numpy()]
    tables["assign_submission"] = pd.DataFrame({
        "id": range(1, len(subs_a) + 1), "assignment": subs_a["instance"].to_numpy(), "userid": subs_a["learner_id"].map(uid).to_numpy(),
        "timecreated": ta, "timemodified": ta, "timestarted": ta, "status": "submitted", "groupid": 0, "attemptnumber": 0, "latest": 1,
    })
    tables["quiz_attempts"] = pd.DataFrame({
        "id": range(1, len(subs_q) + 1), "quiz": subs_q["instance"].to_numpy(), "userid": subs_q["learner_id"].map(uid).to_numpy(),
        "attempt": 1, "uniqueid": range(1, len(subs_q) + 1), "layout": "1,0", "currentpage": 0, "preview": 0, "state": "finished",
        "timestart": tq, "timefinish": tq, "timemodified": tq, "sumgrades": subs_q["score"].to_numpy(),
    })
    scored = s[s["score"].notna()]
    marked = _secs(scored["scored_at"].fillna(scored["submitted_at"]) if "scored_at" in s.columns else scored["submitted_at"])
    fin = e[e["final_score"].notna()] if "final_score" in e.columns else e.iloc[:0]
    end_of = dict(zip(c["course_id"], _secs(c["end"])))
    tables["grade_grades"] = pd.DataFrame({
        "id": range(1, len(scored) + len(fin) + 1),
        "itemid": [*scored["assessment_id"].map(item_of), *fin["course_id"].map(cid).map(lambda i: n_mod + i - 1)],
        "userid": [*scored["learner_id"].map(uid), *fin["learner_id"].map(uid)],
        "rawgrade": [*scored["score"], *fin["final_score"]], "finalgrade": [*scored["score"], *fin["final_score"]],
        "timecreated": [*marked, *fin["course_id"].map(end_of)],
        "timemodified": [*marked, *fin["course_id"].map(end_of)],
    })
    tables[LOG] = _log_rows(data, cid, uid)
    paths = []
    for name in TABLES:
        path = out / f"{prefix}{name}.csv"
        frame = tables[name]
        for col in frame.columns:  # Moodle's int columns stay integers when some are NULL
            if col not in _DECIMALS and frame[col].dtype.kind == "f":
                frame[col] = frame[col].astype("Int64")
        _to_csv(frame, path)
        paths.append(path)
    return paths


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as CSV through Arrow's writer (ten times pandas' on millions of log rows); a
    missing value is an empty field, text is quoted only where needed."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    for col in frame.columns:  # one type per column for Arrow: text columns holding None stay text
        if frame[col].dtype == object:
            kinds = {type(v) for v in frame[col].dropna()}
            if kinds and not kinds <= {int, np.int64, float, np.float64}:
                frame[col] = frame[col].astype("str")
            elif kinds:
                frame[col] = pd.to_numeric(frame[col]).astype("Int64" if col not in _DECIMALS else "float64")
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path, pacsv.WriteOptions(quoting_style="needed"))


def _log_rows(data: LearningData, cid: dict, uid: dict) -> pd.DataFrame:
    """One ``logstore_standard_log`` row per click (see :func:`write_moodle`)."""
    act = data.activity.sort_values(["timestamp", "course_id", "learner_id", "activity_type"], kind="stable")
    rid = _ids(act["resource_id"], 1) if "resource_id" in act.columns else {}
    rows = np.repeat(np.arange(len(act)), act["clicks"].to_numpy())
    a = act.iloc[rows]
    kind = a["activity_type"].astype("str").str.lower().str.replace(r"[^a-z0-9_]", "", regex=True)
    home = (kind == "homepage").to_numpy()
    course = a["course_id"].map(cid).to_numpy()
    cm = a["resource_id"].map(rid).fillna(0).astype("int64").to_numpy() if rid else np.zeros(len(a), dtype="int64")
    component = np.where(home, "core", "mod_" + kind)
    return pd.DataFrame({
        "id": np.arange(1, len(a) + 1),
        "eventname": np.where(home, "\\core\\event\\course_viewed", "\\" + component + "\\event\\course_module_viewed"),
        "component": component, "action": "viewed", "target": np.where(home, "course", "course_module"),
        "objecttable": np.where(home, None, kind), "objectid": np.where(home, None, cm), "crud": "r", "edulevel": 2,
        "contextid": np.where(home, course, cm + 1000), "contextlevel": np.where(home, 50, CONTEXT_MODULE),
        "contextinstanceid": np.where(home, course, cm), "userid": a["learner_id"].map(uid).to_numpy(), "courseid": course,
        "relateduserid": None, "anonymous": 0, "other": "null", "timecreated": _secs(a["timestamp"]).to_numpy(),
        "origin": "web", "ip": "", "realuserid": None,
    })
