"""Corporate features: each learner's own assignment, their team's record, their job; as of the cutoff.

Added to a features frame when the data have ``assignments`` (docs/corporate.md). Every value
at cutoff ``t`` uses facts strictly before ``t``:

- the assignment's own dates (``assigned_at``, ``due_at``: known when it is assigned) and the
  learner's activity before ``t`` (modules touched: distinct ``resource_id``);
- the HR row *effective* before ``t`` (``effective_from < t``): a promotion or a transfer dated
  at or after the cutoff changes nothing;
- completions: an enrollment's ``completed_at`` is read only as "completed before ``t``" or,
  for an assignment due before ``t``, "completed by its due date" (both known at ``t``), the
  way ``withdrawn_at`` is read only through :func:`learnrisk.timeline.active`.

Team signals are the record of the learner's manager at ``t``: each past assignment is
attributed to the manager its learner had when it was assigned (completion rate) or when it
fell due (overdue rate). They span offerings (a manager's team takes many courses), so this
family is computed over the whole frame from the small corporate tables, after the
per-offering families.

Worked example: assigned 2024-03-01, due 2024-04-12 (42 days), cutoff week 2 = 2024-03-15:
``days_to_due`` = 28, ``time_elapsed_share`` = 14/42 = 0.33; 2 of 6 modules touched before
the cutoff: ``content_done_share`` = 0.33, ``progress_gap`` = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..timeline import DAY, NEVER, to_ns
from ._catalog import CORPORATE_FEATURES

__all__ = ["CORPORATE_FEATURES", "corporate_features", "count_before", "hr_as_of", "open_assignments"]

YEAR = 365.25 * DAY


CORPORATE_NAMES = tuple(f.name for f in CORPORATE_FEATURES)


def _codes(*columns) -> list[np.ndarray]:
    """Shared integer codes of several key columns (missing: -1)."""
    values = pd.concat([pd.Series(np.asarray(c, dtype=object)) for c in columns], ignore_index=True)
    codes, _ = pd.factorize(values)
    out, i = [], 0
    for c in columns:
        out.append(codes[i : i + len(c)])
        i += len(c)
    return out


def count_before(ev_key: np.ndarray, ev_t: np.ndarray, row_key: np.ndarray, row_t: np.ndarray) -> np.ndarray:
    """For each row, how many events with the row's key happened strictly before the row's time.

    >>> count_before(np.array([0, 0, 1]), np.array([5, 9, 1]), np.array([0, 0, 1]), np.array([9, 10, 1]))
    array([1., 2., 0.])
    """
    order = np.lexsort((ev_t, ev_key))
    ek, et = ev_key[order], ev_t[order]
    out = np.zeros(len(row_key))
    for k in np.unique(row_key[row_key >= 0]):
        lo, hi = np.searchsorted(ek, k, "left"), np.searchsorted(ek, k, "right")
        m = row_key == k
        out[m] = np.searchsorted(et[lo:hi], row_t[m], side="left")
    return out


def hr_as_of(hr: pd.DataFrame, learner_id, when) -> pd.DataFrame:
    """The HR row of each (learner, time) effective strictly before that time (NaN if none).

    >>> hr = pd.DataFrame({"learner_id": ["A", "A"], "effective_from": pd.to_datetime(["2024-01-01", "2024-06-01"], utc=True),
    ...                    "job_level": [2.0, 3.0]})
    >>> hr_as_of(hr, ["A", "A"], pd.to_datetime(["2024-06-01", "2024-06-02"], utc=True))["job_level"].tolist()
    [2.0, 3.0]
    """
    left = pd.DataFrame({"learner_id": pd.Series(np.asarray(learner_id, dtype=object), dtype="str"),
                         "at": pd.DatetimeIndex(when).as_unit("ns"), "pos": np.arange(len(learner_id))})
    right = hr.assign(learner_id=hr["learner_id"].astype("str"),
                      effective_from=hr["effective_from"].dt.as_unit("ns")).sort_values("effective_from")
    merged = pd.merge_asof(left.sort_values("at"), right, left_on="at", right_on="effective_from", by="learner_id",
                           allow_exact_matches=False)
    return merged.sort_values("pos").reset_index(drop=True)


def _assignment_rows(data, frame: pd.DataFrame) -> pd.DataFrame:
    """Each row's assignment (assigned_at, due_at, required, recertification_of) and completed_at."""
    a = data.assignments
    cols = [c for c in ("required", "recertification_of") if c in a.columns]
    rows = frame[["learner_id", "course_id"]].merge(
        a[["learner_id", "course_id", "assigned_at", "due_at", *cols]], on=["learner_id", "course_id"], how="left")
    e = data.enrollments
    done = e["completed_at"] if "completed_at" in e.columns else pd.Series(pd.NaT, index=e.index, dtype="datetime64[ns, UTC]")
    rows = rows.merge(e[["learner_id", "course_id"]].assign(completed_at=done), on=["learner_id", "course_id"], how="left")
    return rows


def open_assignments(data, frame: pd.DataFrame) -> np.ndarray:
    """Rows whose assignment is open at the cutoff: assigned before it, due after it, not completed before it.

    These are the rows an ``overdue`` model predicts and the manager view lists.
    """
    if data.assignments is None or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    rows = _assignment_rows(data, frame)
    t = to_ns(frame["cutoff"])
    completed = to_ns(rows["completed_at"])
    return (to_ns(rows["assigned_at"], missing=NEVER) < t) & (t < to_ns(rows["due_at"], missing=-NEVER)) & ~(completed < t)


def _completion_events(data) -> pd.DataFrame:
    """Every assignment with its completion time (NEVER if none) as int64 ns."""
    a = data.assignments[["learner_id", "course_id", "assigned_at", "due_at"]]
    e = data.enrollments
    if "completed_at" in e.columns:
        a = a.merge(e[["learner_id", "course_id", "completed_at"]], on=["learner_id", "course_id"], how="left")
    else:
        a = a.assign(completed_at=pd.NaT)
    return pd.DataFrame({"learner_id": a["learner_id"].astype("str").to_numpy(dtype=object),
                         "assigned": to_ns(a["assigned_at"]), "due": to_ns(a["due_at"]),
                         "completed": to_ns(a["completed_at"])})


def _manager_at(hr: pd.DataFrame | None, learner_id, when_ns) -> np.ndarray:
    if hr is None or "manager_id" not in hr.columns or not len(learner_id):
        return np.full(len(learner_id), None, dtype=object)
    rows = hr_as_of(hr, learner_id, pd.to_datetime(when_ns, utc=True))
    return rows["manager_id"].astype(object).where(rows["manager_id"].notna(), None).to_numpy()


def _team_size(hr: pd.DataFrame, manager, t: np.ndarray) -> np.ndarray:
    """Reports of each manager at each time: joins minus leaves before it (from effective-dated rows)."""
    h = hr.sort_values(["learner_id", "effective_from"])
    m = h["manager_id"].astype(object).where(h["manager_id"].notna(), None).to_numpy()
    eff = to_ns(h["effective_from"])
    same_next = (h["learner_id"].to_numpy() == np.roll(h["learner_id"].to_numpy(), -1))
    same_next[-1:] = False
    leave_t = np.roll(eff, -1)[same_next]
    leave_m = m[same_next]
    jk, lk, rk = _codes(m, leave_m, manager)
    jk = np.where(pd.isna(m), -1, jk)
    lk = np.where(pd.isna(leave_m), -1, lk)
    rk = np.where(pd.isna(np.asarray(manager, dtype=object)), -1, rk)
    out = count_before(jk, eff, rk, t) - count_before(lk, leave_t, rk, t)
    return np.where(rk >= 0, out, np.nan)


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def corporate_features(data, frame: pd.DataFrame) -> pd.DataFrame:
    """The corporate features of the rows of a features frame, aligned to its index (NaN where undefined)."""
    n = len(frame)
    t = to_ns(frame["cutoff"]) if n else np.empty(0, dtype=np.int64)
    rows = _assignment_rows(data, frame)
    assigned, due = to_ns(rows["assigned_at"], missing=NEVER), to_ns(rows["due_at"], missing=NEVER)
    has = rows["assigned_at"].notna().to_numpy() & (assigned < t)  # an assignment made at or after t is not known at t
    out = {}
    out["days_to_due"] = np.where(has, (due - t) / DAY, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["time_elapsed_share"] = np.where(has, (t - assigned) / np.maximum(due - assigned, 1), np.nan)

    # modules started: first touch of each (learner, course, resource) before the cutoff
    act = data.activity
    if "resource_id" in act.columns and len(act):
        first = (act.dropna(subset=["resource_id"]).assign(ts=to_ns(act.dropna(subset=["resource_id"])["timestamp"]))
                 .groupby(["learner_id", "course_id", "resource_id"], observed=True)["ts"].min().reset_index())
        ek, rk = _codes(first["learner_id"] + "\x1f" + first["course_id"], frame["learner_id"] + "\x1f" + frame["course_id"])
        done = count_before(ek, first["ts"].to_numpy(), rk, t)
        if "modules" in data.courses.columns:
            modules = frame["course_id"].map(dict(zip(data.courses["course_id"], data.courses["modules"]))).to_numpy(dtype=float)
        else:  # modules the offering's learners have started before the cutoff
            seen = first.groupby(["course_id", "resource_id"], observed=True)["ts"].min().reset_index()
            ck, rc = _codes(seen["course_id"], frame["course_id"])
            modules = count_before(ck, seen["ts"].to_numpy(), rc, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["content_done_share"] = np.where(modules > 0, np.minimum(done / np.maximum(modules, 1), 1.0), np.nan)
    else:
        out["content_done_share"] = np.full(n, np.nan)
    out["progress_gap"] = out["content_done_share"] - out["time_elapsed_share"]
    req = rows["required"] if "required" in rows.columns else pd.Series(np.nan, index=rows.index)
    out["required"] = np.where(has, pd.to_numeric(req, errors="coerce").to_numpy(dtype=float, na_value=np.nan), np.nan)
    rec = rows["recertification_of"] if "recertification_of" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    out["recertification"] = np.where(has, rec.notna().to_numpy(dtype=float), np.nan)

    ev = _completion_events(data)
    lk, rk = _codes(ev["learner_id"], frame["learner_id"])
    started = count_before(lk, ev["assigned"].to_numpy(), rk, t)
    finished = count_before(lk, ev["completed"].to_numpy(), rk, t)
    own_open = has & ~(to_ns(rows["completed_at"]) < t)  # the row's own assignment, if counted as open above
    out["assignments_open"] = np.maximum(started - finished - own_open, 0)
    # own past record: assignments due before the cutoff, late or never done (known at the due date)
    late = ev["completed"].to_numpy() > ev["due"].to_numpy()
    due_n = count_before(lk, ev["due"].to_numpy(), rk, t)
    late_n = count_before(lk[late], ev["due"].to_numpy()[late], rk, t)
    out["own_overdue_rate"] = _rate(late_n, due_n)

    hr = data.hr
    manager = _manager_at(hr, frame["learner_id"].to_numpy(), t)
    m_assign = _manager_at(hr, ev["learner_id"].to_numpy(), ev["assigned"].to_numpy())
    m_due = _manager_at(hr, ev["learner_id"].to_numpy(), ev["due"].to_numpy())
    ka, kd, km = _codes(m_assign, m_due, manager)
    ka, kd = np.where(pd.isna(m_assign), -1, ka), np.where(pd.isna(m_due), -1, kd)
    km = np.where(pd.isna(manager), -1, km)
    assigned_n = count_before(ka, ev["assigned"].to_numpy(), km, t)
    # a completion counts for the manager of the assignment; completed - assigned >= 0 so both are before t
    completed_n = count_before(ka, ev["completed"].to_numpy(), km, t)
    out["team_completion_rate"] = np.where(km >= 0, _rate(completed_n, assigned_n), np.nan)
    due_t = count_before(kd, ev["due"].to_numpy(), km, t)
    late_t = count_before(kd[late], ev["due"].to_numpy()[late], km, t)
    out["team_overdue_rate"] = np.where(km >= 0, _rate(late_t, due_t), np.nan)

    if hr is not None and len(frame):
        now = hr_as_of(hr, frame["learner_id"].to_numpy(), frame["cutoff"])
        out["team_size"] = _team_size(hr, manager, t) if "manager_id" in hr.columns else np.full(n, np.nan)
        level = now["job_level"] if "job_level" in now.columns else pd.Series(np.nan, index=now.index)
        out["job_level"] = pd.to_numeric(level, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        hired = to_ns(now["hired_at"]) if "hired_at" in now.columns else np.full(n, NEVER)
        out["tenure_years"] = np.where(hired < t, (t - hired) / YEAR, np.nan)
        if "manager_id" in hr.columns:
            reports = _team_size(hr, frame["learner_id"].to_numpy(dtype=object), t)
            out["is_manager"] = (np.nan_to_num(reports) > 0).astype(float)
        else:
            out["is_manager"] = np.full(n, np.nan)
    else:
        for name in ("team_size", "job_level", "tenure_years", "is_manager"):
            out[name] = np.full(n, np.nan)
    return pd.DataFrame({name: np.asarray(out[name], dtype=float) for name in CORPORATE_NAMES}, index=frame.index)
