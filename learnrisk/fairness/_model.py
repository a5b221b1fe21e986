"""`audit(model, data)`: the fairness audit of a fitted risk model on learning data.

It composes the public pieces a notebook user would call by hand: features at weekly cutoffs
(:func:`learnrisk.build_features`), labels for the model's target
(:func:`learnrisk.targets.make_labels`), calibrated scores (``model.predict_proba``), the
operating decision (the top ``top_frac`` of each offering's list each week,
:func:`learnrisk.fairness.select_top`) and the group attributes aligned to the rows
(:func:`learnrisk.features.sensitive_attributes`), then calls
:func:`learnrisk.fairness.audit_predictions`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import FairnessAuditError
from ..features import build_features, sensitive_attributes
from ..metrics import select_top
from ..targets import make_labels
from ._audit import audit_predictions

__all__ = ["audit"]


def _extra_attributes(data, rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Group columns that are not canonical sensitive attributes (a corporate ``department``,
    ``role``, ...), from the enrollments' extra columns or else the learners table."""
    out = {}
    keys = rows[["learner_id", "course_id"]].reset_index(drop=True)
    for name in names:
        if name in data.enrollments.columns and name not in ("learner_id", "course_id"):
            src = data.enrollments[["learner_id", "course_id", name]].drop_duplicates(["learner_id", "course_id"])
            out[name] = keys.merge(src, on=["learner_id", "course_id"], how="left")[name].to_numpy()
        elif name in data.learners.columns and name != "learner_id":
            src = data.learners[["learner_id", name]].drop_duplicates("learner_id")
            out[name] = keys[["learner_id"]].merge(src, on="learner_id", how="left")[name].to_numpy()
        else:
            extra = sorted(
                (set(data.learners.columns) | set(data.enrollments.columns))
                - {"learner_id", "course_id", "registered_at", "withdrawn_at", "outcome", "final_score"}
            )
            raise FairnessAuditError(
                f"group attribute {name!r} is neither a learner nor an enrollment column; "
                f"columns that could be groups: {extra}"
            )
    return pd.DataFrame(out, index=rows.index)


def audit(
    model,
    data,
    groups: Iterable[str] | None = None,
    *,
    weeks: Iterable[int] = range(1, 21),
    test_offerings: Iterable[str] | None = None,
    top_frac: float = 0.1,
    min_group_size: int = 30,
    abroca_bound: float = 0.05,
    **options,
):
    """Audit a fitted risk model on learning data, per group, per week.

    Parameters
    ----------
    model : RiskModel
        A fitted model (``learnrisk.train`` or ``learnrisk.load_model``): it needs
        ``predict_proba(features)`` and ``target``; its ``metadata`` says which offerings it
        was tested on and whether it uses sensitive attributes.
    data : LearningData
        Data holding finished offerings (labels come from their outcomes).
    groups : iterable of str, optional
        Attributes to audit; default every sensitive attribute the data has (gender,
        age_band, region, disability, deprivation, prior_education). Other learner or
        enrollment columns (e.g. a ``department``) may be named too.
    weeks : iterable of int, default range(1, 21)
        Weekly cutoffs to score.
    test_offerings : iterable of str, optional
        Offerings to audit (``test_courses``, its former name, still works for one release
        with a DeprecationWarning). Default: the model's test offerings when the data has them
        all, else every finished offering (with a warning if the model was trained on some).
        Features are built for these offerings only.
    top_frac : float, default 0.1
        The operating decision: the top ``top_frac`` of each offering's risk list each week.
    min_group_size, abroca_bound
        As for :func:`~learnrisk.fairness.audit_predictions`.
    **options
        Passed on to :func:`~learnrisk.fairness.audit_predictions` (``selection_ratio_bound``,
        ``n_permutations``, ``n_boot``, ``alpha``, ``reference``, ``random_state``).

    Returns
    -------
    FairnessReport

    Examples
    --------
    >>> model, _ = learnrisk.train(data, target="dropout")                         # doctest: +SKIP
    >>> report = learnrisk.fairness.audit(model, data, groups=["gender", "disability"])  # doctest: +SKIP
    >>> print(report.to_markdown())                                                 # doctest: +SKIP
    """
    if "test_courses" in options:
        if test_offerings is not None:
            raise FairnessAuditError("give test_offerings only (test_courses is its deprecated former name)")
        warnings.warn(
            "audit(test_courses=...) is deprecated: use test_offerings=...", DeprecationWarning, stacklevel=2
        )
        test_offerings = options.pop("test_courses")
    for attr in ("predict_proba", "target"):
        if not hasattr(model, attr):
            raise FairnessAuditError(
                f"audit needs a fitted RiskModel (with predict_proba and target), found {type(model).__name__}; "
                "load one with learnrisk.load_model(uri)"
            )
    meta = dict(getattr(model, "metadata", {}) or {})
    notes: list[str] = []
    include_sensitive = bool(meta.get("include_sensitive", False))
    if include_sensitive:
        notes.append(
            "this model uses sensitive attributes as features (trained with include_sensitive=True): "
            "its scores depend on group membership directly"
        )
    known = set(data.courses["course_id"])
    if test_offerings is None:
        tested = [str(c) for c in meta.get("test_offerings") or []]
        if tested and set(tested) <= known:
            courses, why = tested, "the model's test offerings"
        else:
            courses, why = sorted(known), "every offering of the data"
            trained = sorted(set(meta.get("train_offerings") or []) & known)
            if trained:
                notes.append(
                    f"the audit includes offerings the model was trained on ({', '.join(trained)}): "
                    "its numbers are optimistic; pass test_offerings=[...] to audit later offerings only"
                )
    else:
        courses, why = [str(c) for c in test_offerings], "the offerings asked for"
        unknown = sorted(set(courses) - known)
        if unknown:
            raise FairnessAuditError(f"unknown offering(s) {unknown}; the data has {sorted(known)}")
        trained = sorted(set(meta.get("train_offerings") or []) & set(courses))
        if trained:
            notes.append(
                f"the audit includes offerings the model was trained on ({', '.join(trained)}): its numbers are optimistic"
            )
    # Features of the audited offerings only; the sensitive columns take their categories from
    # the whole data (as build_features does), so a model that uses them scores the same rows
    # the same way.
    subset = data if set(courses) == known else data.select_courses(courses)
    features = build_features(subset, weeks=weeks)
    if include_sensitive:
        features = pd.concat([features, sensitive_attributes(data, features)], axis=1)
    fail_threshold = meta.get("fail_threshold")
    y = make_labels(data, features, target=model.target, fail_threshold=fail_threshold)
    labelled = y.notna().to_numpy()
    if not labelled.any():
        raise FairnessAuditError(
            f"no labelled rows for target {model.target!r} in {why} ({', '.join(courses)}): "
            "the audit needs finished offerings (outcomes known)"
        )
    features, y = features[labelled].reset_index(drop=True), y[labelled].reset_index(drop=True)
    score = np.clip(np.asarray(model.predict_proba(features), dtype=float).ravel(), 0.0, 1.0)

    attrs = sensitive_attributes(data, features)
    names = list(attrs.columns) if groups is None else ([groups] if isinstance(groups, str) else list(groups))
    if not names:
        raise FairnessAuditError(
            "the data has no sensitive attribute (gender, age_band, region, disability, deprivation, "
            "prior_education) to audit; name group columns with groups=[...]"
        )
    missing = [n for n in names if n not in attrs.columns]
    if missing:
        attrs = pd.concat([attrs, _extra_attributes(data, features, missing)], axis=1)
    frame = pd.concat(
        [
            features[["learner_id", "course_id", "week"]],
            pd.DataFrame({"y_true": y.to_numpy(), "score": score}),
            attrs[names].astype(object),
        ],
        axis=1,
    )
    frame["selected"] = select_top(frame, top_frac=top_frac)
    report = audit_predictions(
        frame, groups=names, min_group_size=min_group_size, abroca_bound=abroca_bound, **options
    )
    params = report.params | {
        "target": model.target,
        "offerings": courses,
        "offerings_chosen": why,
        "top_frac": float(top_frac),
        "include_sensitive": include_sensitive,
        "model": {k: meta[k] for k in ("uri", "name", "version", "model") if k in meta},
    }
    return dataclasses.replace(report, params=params, warnings=notes + report.warnings)
