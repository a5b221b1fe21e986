"""Targets: what a model predicts, as labels aligned to the rows of a features frame.

Labels are read only here, never by a feature builder: ``withdrawn_at``, ``outcome`` and
``final_score`` are the future seen from a cutoff.

- ``dropout``: among enrollments active at the cutoff (the rows of the features frame), the
  learner withdraws at or after the cutoff. A row exists only if the learner had not withdrawn
  before the cutoff, so every row of a withdrawn enrollment is a positive.
- ``underperformance``: among enrollments that complete the course (outcome pass, distinction
  or fail), the outcome is ``fail``; or, with ``fail_threshold``, the final score is below it.
  Rows of enrollments that withdraw are unlabelled (NaN): the question "will this learner fail
  if they stay?" has no answer for them.
- ``not_passing``: among enrollments active at the cutoff (the same rows as ``dropout``), the
  learner does not pass: the outcome is ``fail`` or ``withdrawn`` (with ``fail_threshold``: the
  enrollment withdraws, or completes with a final score under the threshold). It is what the
  weekly list's combined risk ``1 - (1 - p_dropout) * (1 - p_underperformance)`` estimates, as
  one label. A completed enrollment without a final score is unlabelled under a threshold.

- ``overdue``: among assigned courses whose assignment is open at the cutoff (assigned before
  it, due after it, not completed before it: :func:`learnrisk.features.open_assignments`), the
  course is not completed by its due date. Completion is the enrollments' ``completed_at``
  (a label column, like ``outcome``: docs/corporate.md). Known when ``completed_at`` is set
  (overdue if after ``due_at``); without a completion, overdue when the outcome is final or the
  due date is before the latest fact in the data (activity, completion or registration: a
  completion before it would be there); other rows are unlabelled.

Labels come only from finished offerings: an enrollment whose outcome is still null (the course
is running) is unlabelled.

Examples
--------
>>> y = make_labels(data, feats, "dropout")             # doctest: +SKIP
>>> y.isna().sum()  # rows of running offerings          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import LearningData
from .errors import ConfigError
from .features import open_assignments
from .timeline import to_ns

TARGETS = ("dropout", "underperformance", "not_passing", "overdue")

__all__ = ["TARGETS", "check_target", "make_labels"]


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; allowed: {', '.join(TARGETS)}")
    return target


def make_labels(
    data: LearningData,
    features: pd.DataFrame,
    target: str = "dropout",
    *,
    fail_threshold: float | None = None,
) -> pd.Series:
    """One label per row of ``features`` (1.0, 0.0 or NaN when unlabelled), aligned to its index.

    Parameters
    ----------
    data : LearningData
        The data the features were built from (its enrollments hold the outcomes).
    features : DataFrame
        A frame from :func:`learnrisk.build_features` (needs learner_id, course_id, cutoff).
    target : {"dropout", "underperformance", "not_passing"}
    fail_threshold : float, optional
        For ``underperformance`` and ``not_passing``: a completed enrollment is a positive when its final score
        is below this value (instead of when its outcome is ``fail``).
    """
    check_target(target)
    if target == "overdue":
        return _overdue(data, features)
    cols = ["learner_id", "course_id", "withdrawn_at", "outcome"]
    if "final_score" in data.enrollments.columns:
        cols.append("final_score")
    e = data.enrollments[cols]
    rows = features[["learner_id", "course_id", "cutoff"]].merge(e, on=["learner_id", "course_id"], how="left")
    outcome = rows["outcome"]
    finished = outcome.notna().to_numpy()
    withdrew = (outcome == "withdrawn").to_numpy()
    if target == "dropout":
        # withdrawn_at >= cutoff holds for every row by construction of the population
        # (learnrisk.timeline.active); an unknown withdrawal date (OULAD has a few) counts
        # as a withdrawal after the cutoff.
        y = np.where(withdrew, 1.0, 0.0)
    else:
        completed = outcome.isin(["pass", "distinction", "fail"]).to_numpy()
        if fail_threshold is None:
            positive = (outcome == "fail").to_numpy()
        else:
            if "final_score" not in rows.columns:
                raise ConfigError("fail_threshold needs a final_score column in enrollments; this data has none")
            positive = (rows["final_score"] < fail_threshold).to_numpy()
            completed = completed & rows["final_score"].notna().to_numpy()
        y = np.where(completed, positive.astype(float), np.nan)
        if target == "not_passing":
            y = np.where(withdrew, 1.0, y)
    y = np.where(finished, y, np.nan)
    return pd.Series(y, index=features.index, name=target)


def _overdue(data: LearningData, features: pd.DataFrame) -> pd.Series:
    if data.assignments is None or "completed_at" not in data.enrollments.columns:
        raise ConfigError(
            "target 'overdue' needs an assignments table and a completed_at column in enrollments "
            "(docs/corporate.md); this data has "
            + ("no assignments" if data.assignments is None else "no completed_at")
        )
    keys = ["learner_id", "course_id"]
    rows = features[keys].merge(data.enrollments[[*keys, "outcome", "completed_at"]], on=keys, how="left")
    rows = rows.merge(data.assignments[[*keys, "due_at"]], on=keys, how="left")
    completed = rows["completed_at"].notna().to_numpy()
    due = to_ns(rows["due_at"])
    late = to_ns(rows["completed_at"]) > due
    # not completed: overdue once the outcome is final, or once the due date is before the last
    # fact the data hold (a completion before that fact would be in the data)
    horizon = max(
        (int(to_ns(pd.Series([s.max()]))[0]) for s in (data.activity["timestamp"], data.enrollments["completed_at"],
                                                      data.enrollments["registered_at"]) if len(s) and s.notna().any()),
        default=np.iinfo(np.int64).min,
    )
    known = rows["outcome"].notna().to_numpy() | (due < horizon)
    y = np.where(completed, late.astype(float), np.where(known, 1.0, np.nan))
    y = np.where(open_assignments(data, features), y, np.nan)
    return pd.Series(y, index=features.index, name="overdue")
