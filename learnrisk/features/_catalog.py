"""The feature catalog: every feature's name, group, plain-words description, unit and flags.

One list states what each feature means; the builders, the explainer and ``docs/features.md``
read it. Descriptions are written for an advisor, not a data scientist: the explainer turns a
contribution into a sentence with the learner's value, the unit and the cohort median.

Groups (``DESIGN.md``): ``time`` (where in the course the cutoff is), ``engagement``,
``submissions``, ``scores``, ``registration`` and ``background``. ``actionable`` means a
tutor, an advisor or the learner can change it from now on (engagement, submissions,
scores); registration timing, background, the schedule and the past before the course
started are context, never a recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data import SENSITIVE_ATTRIBUTES as SENSITIVE_NAMES

__all__ = ["CORPORATE_FEATURES", "FeatureSpec", "FEATURES", "SENSITIVE_ATTRIBUTES", "catalog"]

GROUPS = ("time", "engagement", "submissions", "scores", "registration", "background", "assignment", "team", "job")


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature means (a row of :func:`catalog`)."""

    name: str
    group: str
    description: str
    unit: str
    actionable: bool
    sensitive: bool = False


def _f(name: str, group: str, unit: str, actionable: bool, description: str) -> FeatureSpec:
    return FeatureSpec(name, group, description, unit, actionable)


# Order is the column order of a features frame.
FEATURES: tuple[FeatureSpec, ...] = (
    _f("week", "time", "weeks", False,
       "Weeks since the start of the course (for a self-paced course: since the learner registered)"),
    # ------------------------------------------------------------------ engagement
    _f("clicks_1w", "engagement", "clicks", True, "Clicks in the course in the last 7 days"),
    _f("clicks_2w", "engagement", "clicks", True, "Clicks in the course in the last 14 days"),
    _f("clicks_4w", "engagement", "clicks", True, "Clicks in the course in the last 28 days"),
    _f("clicks_total", "engagement", "clicks", True,
       "Clicks in the course so far, including before it started"),
    _f("active_days_1w", "engagement", "days", True, "Days with any activity in the last 7 days"),
    _f("active_days_2w", "engagement", "days", True, "Days with any activity in the last 14 days"),
    _f("active_days_4w", "engagement", "days", True, "Days with any activity in the last 28 days"),
    _f("active_days_total", "engagement", "days", True,
       "Days with any activity so far, including before the course started"),
    _f("days_since_last_activity", "engagement", "days", True,
       "Days since the learner's last activity in the course (if never active: days since the "
       "course started or since the learner registered, whichever is later)"),
    _f("never_active", "engagement", "yes/no", True,
       "1 if the learner has had no activity at all in the course yet, else 0"),
    _f("clicks_trend", "engagement", "clicks per week, per week", True,
       "Trend of weekly clicks over the last 4 weeks (how many clicks per week more, or fewer, "
       "each week); empty until two whole weeks have passed"),
    _f("share_clicks_content", "engagement", "share", True,
       "Share of the learner's clicks so far on course content (pages, resources, links)"),
    _f("share_clicks_forum", "engagement", "share", True,
       "Share of the learner's clicks so far on forums and collaboration"),
    _f("share_clicks_quiz", "engagement", "share", True,
       "Share of the learner's clicks so far on quizzes and questionnaires"),
    _f("clicks_1w_z", "engagement", "z-score", True,
       "Clicks in the last 7 days compared with the rest of the course at the same week "
       "(standard deviations above or below the average, on a log scale)"),
    _f("clicks_total_z", "engagement", "z-score", True,
       "Clicks so far compared with the rest of the course at the same week "
       "(standard deviations above or below the average, on a log scale)"),
    _f("pre_start_clicks", "engagement", "clicks", False,
       "Clicks before the course started (for a self-paced course: before registering)"),
    _f("pre_start_active_days", "engagement", "days", False,
       "Days with activity before the course started (for a self-paced course: before registering)"),
    # ------------------------------------------------------------------ submissions
    _f("assessments_due", "submissions", "count", False, "Assessments due since the learner registered, up to now"),
    _f("assessments_submitted", "submissions", "count", True, "Assessments the learner has submitted"),
    _f("assessments_missed", "submissions", "count", True,
       "Assessments past their due date that the learner has not submitted"),
    _f("submissions_late", "submissions", "count", True, "Submissions made after their due date"),
    _f("lateness_mean", "submissions", "days", True,
       "Average days between due date and submission (negative: submitted early)"),
    _f("lateness_last", "submissions", "days", True,
       "Days between due date and submission for the most recent submission (negative: early)"),
    # ------------------------------------------------------------------ scores
    _f("score_mean", "scores", "score points", True, "Average score of the learner's marked submissions (0-100)"),
    _f("score_weighted", "scores", "score points", True,
       "Average score weighted by each assessment's weight in the final mark (0-100)"),
    _f("score_last", "scores", "score points", True, "Score of the most recent marked submission (0-100)"),
    _f("score_trend", "scores", "score points", True,
       "Most recent score minus the average of the earlier ones (positive: improving)"),
    _f("score_z", "scores", "z-score", True,
       "Average score compared with the rest of the course at the same week "
       "(standard deviations above or below the average)"),
    # ------------------------------------------------------------------ registration, background
    _f("days_registered_before_start", "registration", "days", False,
       "Days between registering and the start of the course (negative: registered late; "
       "0 for a self-paced course)"),
    _f("prior_attempts", "background", "count", False, "Earlier attempts at this course"),
    _f("credits", "background", "credits", False, "Credits the learner is studying in total"),
)

# Corporate features (features/_corporate.py): only in frames of data with assignments.
CORPORATE_FEATURES: tuple[FeatureSpec, ...] = (
    _f("days_to_due", "assignment", "days", False, "Days left until the assignment is due (negative: past due)"),
    _f("time_elapsed_share", "assignment", "share", False,
       "Share of the time between assignment and due date that has passed"),
    _f("content_done_share", "assignment", "share", True, "Share of the course's modules the learner has started"),
    _f("progress_gap", "assignment", "share", True,
       "Share of modules started minus share of time elapsed (negative: behind schedule)"),
    _f("required", "assignment", "yes/no", False, "1 if the assignment is mandatory, 0 if recommended"),
    _f("recertification", "assignment", "yes/no", False, "1 if the assignment renews an earlier certification"),
    _f("assignments_open", "assignment", "count", False,
       "Other assignments of the learner that are assigned and not completed yet (workload)"),
    _f("own_overdue_rate", "assignment", "share", False,
       "Share of the learner's own earlier assignments, already due, that were not completed on time"),
    _f("team_completion_rate", "team", "share", False,
       "Share of the manager's team's assignments so far that are completed"),
    _f("team_overdue_rate", "team", "share", False,
       "Share of the manager's team's assignments already due that were not completed on time"),
    _f("team_size", "team", "people", False, "People reporting to the learner's manager"),
    _f("job_level", "job", "level", False, "Job level in the HR record effective at the cutoff"),
    _f("tenure_years", "job", "years", False, "Years since the learner was hired"),
    _f("is_manager", "job", "yes/no", False, "1 if people report to the learner, else 0"),
)
# Sensitive attributes: never model inputs unless asked for (include_sensitive=True); always
# available to the fairness audit through ``sensitive_attributes``.
# The names are the data contract's list (learnrisk.data.SENSITIVE_ATTRIBUTES), in its order.
_SENSITIVE_DESCRIPTIONS = {
    "gender": "Gender",
    "age_band": "Age band",
    "region": "Region where the learner lives",
    "disability": "Declared disability",
    "deprivation": "Deprivation band of the learner's area",
    "prior_education": "Highest education before the course",
}
SENSITIVE_ATTRIBUTES: tuple[FeatureSpec, ...] = tuple(
    FeatureSpec(name, "background", _SENSITIVE_DESCRIPTIONS[name], "category", False, True)
    for name in SENSITIVE_NAMES
)

NUMERIC_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.name != "week")


def catalog(include_sensitive: bool = True, *, include_corporate: bool = False) -> pd.DataFrame:
    """The feature catalog: one row per feature.

    Parameters
    ----------
    include_sensitive : bool, default True
        Also list the sensitive attributes (only model inputs with ``include_sensitive=True``
        in :func:`~learnrisk.features.build_features`).
    include_corporate : bool, default False
        Also list the corporate features (groups ``assignment``, ``team``, ``job``): columns of
        frames built from data with ``assignments`` (docs/corporate.md).

    Returns
    -------
    DataFrame
        Columns ``name``, ``group``, ``description``, ``actionable``, ``sensitive``, ``unit``,
        in the column order of a features frame.

    Examples
    --------
    >>> from learnrisk.features import catalog
    >>> cat = catalog()
    >>> cat.set_index("name").loc["days_since_last_activity", "unit"]
    'days'
    """
    specs = FEATURES + (CORPORATE_FEATURES if include_corporate else ()) + (SENSITIVE_ATTRIBUTES if include_sensitive else ())
    return pd.DataFrame(
        {
            "name": [s.name for s in specs],
            "group": [s.group for s in specs],
            "description": [s.description for s in specs],
            "actionable": [s.actionable for s in specs],
            "sensitive": [s.sensitive for s in specs],
            "unit": [s.unit for s in specs],
        }
    )
