"""The model card: a Markdown page written with every training run.

It states what the model is for and not for, the data and split it saw, the target, per-week
metrics beside the baselines, calibration, the fairness audit and the known limitations.
"""

from __future__ import annotations

import pandas as pd

from .._format import MISSING, format_cell, format_count
from ._model import CANDIDATES


TARGET_TEXT = {
    "dropout": "Among enrollments still active at the cutoff (registered before it, not withdrawn before it), "
    "the learner withdraws at or after the cutoff.",
    "underperformance": "Among enrollments that complete the course, the outcome is fail "
    "(or, when configured, the final score is under a threshold). Withdrawn enrollments are not labelled.",
    "not_passing": "Among enrollments still active at the cutoff, the learner does not pass: the outcome is fail or "
    "withdrawn (or, when configured, withdrawn or a final score under a threshold).",
    "overdue": "Among assigned courses whose assignment is open at the cutoff (assigned, not completed, not yet due), "
    "the course is not completed by its due date (docs/corporate.md).",
}


def _frame_table(frame: pd.DataFrame) -> str:
    """A plain Markdown table of a frame (its index dropped)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(format_count(v) if c in ("n", "positives") else format_cell(v) for c, v in zip(cols, row)) + " |")
    return "\n".join(lines)


def _split_text(model) -> str:
    if getattr(model, "chosen_", None) in CANDIDATES:
        return (
            "the final estimator is fitted on every training row (a fixed number of trees, no early stopping); "
            "calibration by cross-fitting: out-of-fold scores of 5 folds grouped by learner"
        )
    if model.kind_ == "tree":
        return "early stopping on 10 % and calibration on another 20 % of learners"
    return "calibration on a 20 % split by learner"


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| week | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        lines.append(f"| {idx} | " + " | ".join(format_count(row[c]) if c == "n" else format_cell(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def model_card(model, report, *, name: str | None = None, version: str | None = None) -> str:
    """Markdown model card for a trained model and its evaluation report."""
    md = model.metadata
    o = report.overall()
    summ = report.summary.copy()
    summ["n"] = summ["n"].astype(int)
    title = name or f"learnrisk {model.target} model"
    sensitive = md.get("include_sensitive")
    parts = [
        f"# Model card: {title}{f' (version {version})' if version else ''}",
        "",
        "## Intended use",
        f"Ranks learners of a running course offering by their risk of **{model.target}** at a weekly cutoff, so that "
        "advisors and tutors can reach the learners most at risk first, within their capacity (top-k lists). "
        "The probabilities are calibrated and meant to be read as such. **Not for**: grading, admission, "
        "sanctions or any automated decision about a learner; comparing learners across institutions; "
        "courses unlike the training offerings without re-evaluation.",
        "",
        "## Data",
        f"- Data digest: `{md.get('data_digest', MISSING)}`",
        f"- Training offerings: {', '.join(report.train_offerings)} ({format_cell(md.get('n_train_rows'))} enrollment-weeks)",
        f"- Test offerings (later in time): {', '.join(report.test_offerings)} ({format_cell(md.get('n_test_rows'))} enrollment-weeks)",
        f"- Cutoff weeks: {min(md['weeks'])}-{max(md['weeks'])}; one pooled model with the week as a feature",
        "- Split: by time (test offerings are the latest of each course code); "
        + _split_text(model)
        + " inside the training offerings; never a row-random split.",
        f"- Sensitive attributes as model features: **{'yes — the user asked for them' if sensitive else 'no'}**"
        + ("" if sensitive else " (they are used only by the fairness audit)"),
        "",
        "## Target",
        TARGET_TEXT[model.target]
        + (f" Positive when the final score is under {md['fail_threshold']}." if md.get("fail_threshold") else ""),
        "",
        "## Model",
        f"- Estimator: {md.get('model')}"
        + (f" -> {model.chosen_}" if getattr(model, "chosen_", None) not in (None, md.get("model")) else "")
        + f" ({len(model.feature_names_)} input features), calibration: {model.calibrator_.method_}",
        f"- Test ROC AUC {format_cell(o.get('roc_auc'))}, PR AUC {format_cell(o.get('pr_auc'))}, Brier {format_cell(o.get('brier'))}, "
        f"expected calibration error {format_cell(o.get('ece'))}, base rate {format_cell(o.get('base_rate'))}",
        "",
    ]
    if getattr(report, "selection", None) is not None:
        parts += [
            "### Model selection (leave-one-offering-out)",
            "Each training offering in turn held out; ROC AUC per week on it, averaged over weeks; `mean` over "
            "held-out offerings. Within 0.002 of the best, the simpler (earlier) candidate wins.",
            "",
            _frame_table(report.selection),
            "",
        ]
    elif getattr(model, "selection_note_", ""):
        parts += [f"- {model.selection_note_}", ""]
    parts += [
        "## Per-week metrics on the test offerings, with baselines",
        "`auc_logistic`: logistic regression on the same features; `auc_rule`: one-feature engagement rule"
        + ("; `auc_oracle`: the generator's true probabilities (synthetic data only)" if "auc_oracle" in summ else "")
        + f". Precision and recall at the top 10 % and at k = {report.top_k} learners per offering and week.",
        "",
        _table(summ),
        "",
        "## Calibration",
        f"Probabilities are calibrated with {model.calibrator_.method_} regression on "
        + (
            "out-of-fold scores (cross-fitting by learner). "
            if getattr(model, "chosen_", None) in CANDIDATES
            else "learners held out of fitting. "
        )
        + f"Expected calibration error on the test offerings: {format_cell(o.get('ece'))} (10 equal-width bins); "
        f"worst single test offering: {format_cell(o.get('ece_max_offering'))}. "
        + (
            f"One calibrator per course code ({', '.join(sorted(model.calibrators_))}), the pooled one for other codes. "
            if getattr(model, "calibrators_", None)
            else ""
        )
        + "The reliability diagram is logged with the run (`plots/reliability_diagram.png`).",
        "",
        _frame_table(report.calibration_by_offering) if hasattr(report, "calibration_by_offering") else "",
        "",
        "## Risk bands",
        "The weekly risk list bands learners by capacity: the top k of each offering are *high*, the next k "
        "*medium*, the rest *low* (see docs/scoring.md); probabilities are shown beside the band.",
        "",
    ]
    if report.fairness is not None and hasattr(report.fairness, "to_markdown"):
        parts += ["## Fairness audit", report.fairness.to_markdown(), ""]
    parts += [
        "## Limitations",
        "- Associations, not causes: a driver of risk is what the model leans on, not proof of why a learner struggles.",
        "- Trained on the offerings above; a new course, a changed curriculum or a new platform can shift behaviour: "
        "watch the drift warnings of the weekly job (population stability index per feature).",
        "- Learners with no activity are scored (zero engagement is a strong signal), but a learner active outside the "
        "platform looks inactive to the model.",
        "- Early weeks carry little evidence; read the per-week table before acting on week-1 lists.",
    ]
    if report.notes:
        parts += ["", "## Notes on this run"] + [f"- {n}" for n in report.notes]
    return "\n".join(parts) + "\n"
