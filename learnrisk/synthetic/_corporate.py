"""The corporate scenario: employees, teams and managers, assigned training with due dates, KPIs.

``generate(scenario="corporate")`` draws a company and its academy from a documented latent
model and returns the canonical tables plus the optional ``assignments``, ``hr`` and ``kpis``:

- **People.** ``n_learners`` employees in departments; teams of about eight report to a manager
  (an employee too); managers report to their department's head. HR rows are effective-dated:
  a first row at hire, then promotions (job level + 1) and transfers (another department and
  manager) on their own dates.
- **Courses.** Self-paced offerings, one per course code and year (``COMPLIANCE-2024``, ...):
  two mandatory codes assigned to everyone each year (the second year's assignment is a
  recertification of the first) and two optional codes assigned to some. Each has ``modules``
  (a column of ``courses``).
- **Progress.** Each assignment has a pace ``r`` (modules per day):
  ``log r = PACE + 0.8 z_learner + 0.5 u_team + 0.4 required + 0.1 (job_level - 3) + 0.5 e``
  with standard normal ``z``, ``u`` and ``e``. Modules are done at the events of a Poisson
  process of rate ``r`` from the assignment on (each one an activity session on that module);
  the course is complete at the last module (``enrollments.completed_at``, outcome ``pass``;
  ``fail`` when the offering ends first).
- **Oracle.** At a cutoff ``t`` before the due date with ``m`` modules still to do, the chance
  of being overdue is exactly ``P(Poisson(r (due - t)) < m)`` (a Poisson process forgets its
  past): ``truth.overdue`` holds it per enrollment and week (weeks since the assignment).
- **KPIs.** A monthly ``productivity`` per employee: ``100 + 8 b + department trend + noise``
  plus ``kpi_effect`` from the first month that starts after the employee completed the KPI
  course (``SKILLS``); ``b = 0.6 z + 0.8 N(0, 1)``, so completers start higher (selection
  on level, which difference in differences removes) while trends are shared within a
  department (parallel trends hold by construction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import poisson

from ..data import LearningData
from ..errors import SyntheticConfigError
from ..timeline import DAY, before, to_ns
from ._arrays import times

__all__ = ["CORPORATE_COURSES", "CorporateTruth", "generate_corporate"]

DEPARTMENTS = ("Sales", "Operations", "Support", "Finance", "Engineering", "Logistics")
ROLES = {"Sales": "account manager", "Operations": "operator", "Support": "support agent",
         "Finance": "analyst", "Engineering": "engineer", "Logistics": "planner"}
# code -> (required, modules, due days, share assigned)
CORPORATE_COURSES = {
    "COMPLIANCE": (1, 6, 42, 1.0),
    "SAFETY": (1, 4, 30, 1.0),
    "SKILLS": (0, 8, 75, 0.45),
    "LEADERSHIP": (0, 6, 90, 0.25),
}
KPI_COURSE = "SKILLS"
KPI_METRIC = "productivity"
PACE = np.log(0.2)  # median pace: one module every five days
TEAM_SIZE = 8
OPEN_WEEKS = 13  # weeks of the oracle: no due date is further than that from its assignment


@dataclass(frozen=True)
class CorporateTruth:
    """What the corporate generator knows and the data do not say.

    ``overdue``: learner_id, course_id, week, p_overdue: the oracle probability of finishing
    after the due date (or never), at each week ``k`` (cutoff ``assigned_at + 7k days``)
    while the assignment is open (before its due date, not completed). ``kpi_effect``: the
    true effect of completing ``kpi_course`` on the monthly ``kpi_metric``.
    """

    overdue: pd.DataFrame
    kpi_effect: float
    kpi_course: str = KPI_COURSE
    kpi_metric: str = KPI_METRIC


def _check(n_learners, years, kpi_effect) -> None:
    if int(n_learners) != n_learners or n_learners < 2 * TEAM_SIZE:
        raise SyntheticConfigError(f"the corporate scenario needs n_learners >= {2 * TEAM_SIZE}, found {n_learners!r}")
    if int(years) != years or years < 2:
        raise SyntheticConfigError(f"years must be a whole number >= 2 (one to train, one to test), found {years!r}")
    if not np.isfinite(float(kpi_effect)):
        raise SyntheticConfigError(f"kpi_effect must be a finite number, found {kpi_effect!r}")


def _people(rng: np.random.Generator, n: int, start_ns: int, horizon_ns: int, n_departments: int):
    """Employees with a department, team, manager, level and hire date; HR rows with changes."""
    ids = np.array([f"E{i:05d}" for i in range(n)], dtype=object)
    depts = np.array(DEPARTMENTS[: max(1, min(n_departments, len(DEPARTMENTS)))], dtype=object)
    dept = rng.integers(0, len(depts), n)
    team = np.zeros(n, dtype=np.int64)
    manager = np.full(n, -1)
    n_teams = 0
    lead_of = []
    for d in range(len(depts)):
        members = np.flatnonzero(dept == d)
        if not len(members):
            continue
        head = members[0]
        for chunk in np.array_split(members[1:], max(1, (len(members) - 1) // TEAM_SIZE)):
            if not len(chunk):
                continue
            lead, staff = chunk[0], chunk[1:]
            team[chunk] = n_teams
            manager[staff] = lead
            manager[lead] = head
            lead_of.append(lead)
            n_teams += 1
        if len(members) == 1:  # a department of one: their own team
            team[head] = n_teams
            lead_of.append(head)
            n_teams += 1
        else:
            team[head] = team[members[1]]
    is_manager = np.isin(np.arange(n), manager)
    level = np.where(is_manager, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
    hired = start_ns - (rng.exponential(4.0, n) * 365 * DAY).astype(np.int64)
    z = rng.standard_normal(n)
    u_team = rng.normal(0.0, 1.0, max(n_teams, 1))

    rows = [dict(learner_id=ids[i], effective_from=hired[i], department=depts[dept[i]], role=ROLES[depts[dept[i]]],
                 job_level=level[i], manager_id=ids[manager[i]] if manager[i] >= 0 else None, location="HQ" if i % 3 else "Remote",
                 employment_status="active", hired_at=hired[i]) for i in range(n)]
    changes = []  # (employee, when, new team) for transfers
    span = horizon_ns - start_ns
    for i in np.flatnonzero(~is_manager):
        when = start_ns + int(rng.uniform(0.05, 0.95) * span)
        draw = rng.random()
        if draw < 0.15:  # promotion
            rows.append({**rows[i], "effective_from": when, "job_level": level[i] + 1})
        elif draw < 0.23:  # transfer to another team (and maybe department)
            other = [t for t in range(n_teams) if t != team[i]]
            if other:
                t_new = int(rng.choice(other))
                lead = lead_of[t_new]
                d_new = dept[lead]
                rows.append({**rows[i], "effective_from": when, "department": depts[d_new], "role": ROLES[depts[d_new]],
                             "manager_id": ids[lead]})
                changes.append((i, when, t_new))
    hr = pd.DataFrame(rows)
    hr["effective_from"] = times(hr["effective_from"].to_numpy(dtype=np.int64))
    hr["hired_at"] = times(hr["hired_at"].to_numpy(dtype=np.int64))
    learners = pd.DataFrame({
        "learner_id": pd.Series(ids, dtype="str"),
        "gender": pd.Series(rng.choice(["F", "M"], n), dtype="str"),
        "age_band": pd.Series(rng.choice(["0-35", "35-55", "55<="], n, p=[0.45, 0.45, 0.1]), dtype="str"),
    })
    return dict(ids=ids, dept=dept, team=team, level=level, z=z, u_team=u_team, changes=changes,
                is_manager=is_manager), hr, learners


def _team_at(people: dict, i: int, t: int) -> int:
    team = people["team"][i]
    for j, when, t_new in people["changes"]:
        if j == i and when <= t:
            team = t_new
    return team


def _courses(start_year: int, years: int) -> pd.DataFrame:
    rows = []
    for code, (required, modules, _, _) in CORPORATE_COURSES.items():
        for y in range(start_year, start_year + years):
            rows.append(dict(course_id=f"{code}-{y}", course_code=code, start=pd.Timestamp(f"{y}-01-01", tz="UTC"),
                             end=pd.Timestamp(f"{y + 1}-01-01", tz="UTC") + pd.Timedelta(days=120), title=code.title(),
                             pacing="self-paced", modules=modules, required=required))
    return pd.DataFrame(rows)


def generate_corporate(
    n_learners: int = 600,
    *,
    seed: int = 0,
    start_year: int = 2024,
    years: int = 2,
    n_departments: int = 5,
    kpi_effect: float = 5.0,
    as_of: pd.Timestamp | None = None,
    return_truth: bool = False,
) -> LearningData | tuple[LearningData, CorporateTruth]:
    """The corporate scenario (see the module docstring); ``synthetic.generate(scenario="corporate")``.

    Parameters
    ----------
    n_learners : employees (at least 16)
    seed : same seed, same tables and truth
    start_year, years : one offering of each course code per year (at least two years, so that
        a model trained on one year is tested on the next)
    n_departments : departments (up to 6)
    kpi_effect : the true change of the monthly KPI after completing the ``SKILLS`` course (can be 0)
    as_of : cut the world at this moment (facts strictly before it), as a weekly job sees it
    return_truth : also return a :class:`CorporateTruth`

    Examples
    --------
    >>> from learnrisk.synthetic import generate
    >>> data = generate(n_learners=80, scenario="corporate", seed=1)
    >>> sorted(data.assignments.columns)[:4]
    ['assigned_at', 'course_id', 'due_at', 'learner_id']
    """
    _check(n_learners, years, kpi_effect)
    n = int(n_learners)
    rng = np.random.default_rng(seed)
    courses = _courses(start_year, years)
    start_ns = int(to_ns(courses["start"]).min())
    horizon_ns = int(to_ns(courses["end"]).max())
    people, hr, learners = _people(rng, n, start_ns, horizon_ns, n_departments)

    enr_rows, act_rows, truth_rows = [], [], []
    for c in courses.itertuples(index=False):
        required, modules, due_days, share = CORPORATE_COURSES[c.course_code]
        c_start, c_end = int(to_ns(c.start)), int(to_ns(c.end))
        year = int(c.course_id.rsplit("-", 1)[1])
        chosen = np.flatnonzero(rng.random(n) < share)
        if c.course_code == KPI_COURSE:  # the KPI course: Sales more often, by propensity
            chosen = np.flatnonzero(rng.random(n) < share * (1 + 0.5 * (people["dept"] == 0)))
        for i in chosen:
            assigned = c_start + int(rng.uniform(0, 270) * DAY) + int(rng.integers(8, 17)) * 3600 * 10**9
            due = assigned + (due_days + int(rng.integers(-7, 8))) * DAY
            team = _team_at(people, i, assigned)
            log_r = (PACE + 0.8 * people["z"][i] + 0.5 * people["u_team"][team] + 0.4 * required
                     + 0.1 * (people["level"][i] - 3) + 0.5 * rng.standard_normal())
            r = float(np.exp(log_r))  # modules per day
            done = assigned + np.cumsum(rng.exponential(1.0 / r, modules) * DAY).astype(np.int64)
            completed = int(done[-1]) if done[-1] < c_end else -1
            for k, ts in enumerate(done):
                if ts < c_end:
                    act_rows.append((people["ids"][i], c.course_id, int(ts), "content", 1 + int(rng.poisson(8)),
                                     f"{c.course_id}-M{k + 1}"))
            recert = f"{c.course_code}-{year - 1}" if required and year > start_year else None
            enr_rows.append(dict(learner_id=people["ids"][i], course_id=c.course_id, registered_at=assigned,
                                 completed_at=completed, assigned_at=assigned, due_at=due, required=required,
                                 recertification_of=recert))
            for week in range(1, OPEN_WEEKS + 1):
                t = assigned + week * 7 * DAY
                if t >= due or t >= c_end or (0 <= completed < t):
                    break
                remaining = modules - int((done < t).sum())
                truth_rows.append((people["ids"][i], c.course_id, week, remaining - 1, r * (due - t) / DAY))
    enr = pd.DataFrame(enr_rows)
    act = pd.DataFrame(act_rows, columns=["learner_id", "course_id", "timestamp", "activity_type", "clicks", "resource_id"])
    kpis = _kpis(rng, people, enr, start_ns, horizon_ns, kpi_effect)

    end_of = dict(zip(courses["course_id"], to_ns(courses["end"])))
    enr_end = enr["course_id"].map(end_of).to_numpy(dtype=np.int64)
    completed = enr["completed_at"].to_numpy(dtype=np.int64)
    known = completed >= 0
    outcome = np.where(known, "pass", "fail").astype(object)
    if as_of is not None:
        t = int(to_ns(as_of))
        keep = before(enr["registered_at"].to_numpy(dtype=np.int64), t)
        known = known & (completed < t)
        outcome = np.where(known, "pass", np.where(enr_end <= t, "fail", None)).astype(object)
        act = act[before(act["timestamp"].to_numpy(dtype=np.int64), t)]
        hr = hr[before(to_ns(hr["effective_from"]), t)]
        kpis = kpis[before(to_ns(kpis["period_end"]), t + 1)]
    else:
        keep = np.ones(len(enr), dtype=bool)
    completed_ns = np.where(known, completed, 0)
    enrollments = pd.DataFrame({
        "learner_id": pd.Series(enr["learner_id"], dtype="str"),
        "course_id": pd.Series(enr["course_id"], dtype="str"),
        "registered_at": times(enr["registered_at"].to_numpy(dtype=np.int64)),
        "withdrawn_at": pd.Series(pd.NaT, index=enr.index, dtype="datetime64[ns, UTC]"),
        "outcome": pd.array(outcome, dtype="str"),
        "completed_at": pd.Series(times(completed_ns)).where(known, pd.NaT),
    })[keep].reset_index(drop=True)
    assignments = pd.DataFrame({
        "learner_id": pd.Series(enr["learner_id"], dtype="str"),
        "course_id": pd.Series(enr["course_id"], dtype="str"),
        "assigned_at": times(enr["assigned_at"].to_numpy(dtype=np.int64)),
        "due_at": times(enr["due_at"].to_numpy(dtype=np.int64)),
        "required": enr["required"].astype("int64"),
        "recertification_of": pd.Series(enr["recertification_of"], dtype="str"),
    })[keep].reset_index(drop=True)
    act = act.assign(timestamp=times(act["timestamp"].to_numpy(dtype=np.int64))).reset_index(drop=True)
    data = LearningData(
        courses=courses, learners=learners, enrollments=enrollments, activity=act,
        assessments=pd.DataFrame(columns=["assessment_id", "course_id", "kind", "due_at", "weight"]),
        submissions=pd.DataFrame(columns=["learner_id", "assessment_id", "submitted_at", "score"]),
        assignments=assignments, hr=hr.reset_index(drop=True), kpis=kpis.reset_index(drop=True),
    )
    if not return_truth:
        return data
    truth = pd.DataFrame(truth_rows, columns=["learner_id", "course_id", "week", "k", "lam"])
    truth["p_overdue"] = poisson.cdf(truth.pop("k").to_numpy(), truth.pop("lam").to_numpy())  # P(fewer than m modules by the due date)
    truth = truth[truth.set_index(["learner_id", "course_id"]).index.isin(
        enrollments.set_index(["learner_id", "course_id"]).index)].reset_index(drop=True)
    return data, CorporateTruth(truth, float(kpi_effect))


def _kpis(rng, people: dict, enr: pd.DataFrame, start_ns: int, horizon_ns: int, effect: float) -> pd.DataFrame:
    """Monthly KPI per employee with a department trend and the training effect after completion."""
    months = pd.date_range(pd.Timestamp(start_ns, tz="UTC") - pd.DateOffset(months=6),
                           pd.Timestamp(horizon_ns, tz="UTC"), freq="MS")
    n, m = len(people["ids"]), len(months)
    trend = np.cumsum(rng.normal(0.3, 1.0, (int(people["dept"].max()) + 1, m)), axis=1)
    base = 100 + 8 * (0.6 * people["z"] + 0.8 * rng.standard_normal(n))
    value = base[:, None] + trend[people["dept"]] + rng.normal(0, 4.0, (n, m))
    skills = enr[enr["course_id"].str.startswith(KPI_COURSE) & (enr["completed_at"] >= 0)]
    first = skills.groupby("learner_id")["completed_at"].min()
    pos = pd.Index(people["ids"]).get_indexer(first.index)
    month_ns = to_ns(months)
    value[pos] += effect * (month_ns[None, :] >= first.to_numpy(dtype=np.int64)[:, None])
    return pd.DataFrame({
        "subject_id": pd.Series(np.repeat(people["ids"], m), dtype="str"),
        "metric": KPI_METRIC,
        "period_start": np.tile(months, n),
        "value": value.ravel().round(2),
        "subject_kind": "learner",
        "period_end": np.tile(months + pd.DateOffset(months=1), n),
    })
