"""Driver sentences: one place for the wording of every driver.

A sentence says the learner's own value and the cohort's at the same cutoff, in the words of the
feature catalog: "no activity for 12 days; course median 2 days", "missed 2 of 3 assessments due
so far; course median 0". A feature with its own template below gets it; any other feature gets
the generic sentence built from the catalog's description and unit::

    "<description>: 12 days (course median 2 days)"

Templates are ``str.format`` strings with these fields:

- ``value`` / ``cohort``: the learner's value and the cohort median, formatted (``12``, ``0.5``);
- ``value_z``: a course-relative value (a z-score) in words: "far below", "below", "close to",
  "above", "far above" (the course average); no standard deviations on a page;
- ``value_u`` / ``cohort_u``: the same with the unit, singular when the value is 1 (``1 day``);
- ``value_pm`` / ``cohort_pm``: the size with the unit and the template's words for the sign
  ("3 days late", "2 days early", "on time");
- ``value_signed`` / ``cohort_signed``: with a sign (``+0.4``); ``value_s``: "s" unless the value is 1;
- ``description``, ``unit``: from the feature catalog;
- any other feature of the same row, by name, formatted (``{assessments_due}``).

A template whose fields are missing (another feature the model does not use, a value that is
missing) falls back to the generic sentence, so a sentence is always produced.

Examples
--------
>>> driver_sentence("days_since_last_activity", 12, 2, {"unit": "days", "description": "days since last activity"}, {})
'no activity for 12 days; course median 2 days'
>>> driver_sentence("forum_posts", 0, 3, {"unit": "posts", "description": "Forum posts so far"}, {})
'forum posts so far: 0 posts (course median 3 posts)'
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping

from .._format import format_percent, format_readable, to_number

__all__ = ["TEMPLATES", "UNITS", "driver_sentence", "format_value", "z_words"]

# Feature name -> template, or {key: template} chosen by the formatted value ("1"), else "*";
# such a dict may give "words": (positive, negative, zero) for the {value_pm} fields. Names follow
# learnrisk.features.catalog(); a template for a feature the catalog lacks is never used.
TEMPLATES: dict[str, str | dict[str, str]] = {
    # time
    "week": "week {value} of the course",
    # engagement
    "clicks_1w": "{value_u} in the last 7 days; course median {cohort_u}",
    "clicks_2w": "{value_u} in the last 14 days; course median {cohort_u}",
    "clicks_4w": "{value_u} in the last 28 days; course median {cohort_u}",
    "clicks_total": "{value_u} so far; course median {cohort_u}",
    "active_days_1w": "active on {value} of the last 7 days; course median {cohort}",
    "active_days_2w": "active on {value} of the last 14 days; course median {cohort}",
    "active_days_4w": "active on {value} of the last 28 days; course median {cohort}",
    "active_days_total": "active on {value_u} so far; course median {cohort_u}",
    "days_since_last_activity": "no activity for {value_u}; course median {cohort_u}",
    "never_active": {"1": "no activity at all in the course yet", "*": "has been active in the course"},
    "clicks_trend": "weekly clicks changing by {value_signed} a week over the last 4 weeks; course median {cohort_signed}",
    "share_clicks_content": "{value} of clicks on course content; course median {cohort}",
    "share_clicks_forum": "{value} of clicks on forums; course median {cohort}",
    "share_clicks_quiz": "{value} of clicks on quizzes; course median {cohort}",
    "clicks_1w_z": "clicks in the last 7 days {value_z} the course average at this week",
    "clicks_total_z": "clicks so far {value_z} the course average at this week",
    "pre_start_clicks": "{value_u} before the course started; course median {cohort_u}",
    "pre_start_active_days": "active on {value_u} before the course started; course median {cohort_u}",
    # submissions
    "assessments_due": "{value} assessment{value_s} due so far",
    "assessments_submitted": "submitted {value} assessment{value_s} so far ({assessments_due} due); course median {cohort}",
    "assessments_missed": "missed {value} of {assessments_due} assessments due so far; course median {cohort}",
    "submissions_late": "{value} late submission{value_s} so far; course median {cohort}",
    "lateness_mean": {"words": ("late", "early", "on time"), "*": "submits {value_pm} on average; course median {cohort_pm}"},
    "lateness_last": {"words": ("late", "early", "on time"), "*": "last submission {value_pm}; course median {cohort_pm}"},
    # scores
    "score_mean": "average score {value} so far; course median {cohort}",
    "score_weighted": "weighted average score {value} so far; course median {cohort}",
    "score_last": "last score {value}; course median {cohort}",
    "score_trend": "last score {value_signed} points against the earlier average; course median {cohort_signed}",
    "score_z": "average score {value_z} the course average at this week",
    # registration and background (context only)
    "days_registered_before_start": {
        "words": ("before the start", "after the start", "on the first day"),
        "*": "registered {value_pm}; course median {cohort_pm}",
    },
    "prior_attempts": "{value} earlier attempt{value_s} at this course; course median {cohort}",
    "credits": "studying {value} credits in total; course median {cohort}",
}

# Catalog units as written after a number ("" = no unit word).
UNITS: dict[str, str] = {
    "count": "",
    "score points": "",
    "yes/no": "",
    "category": "",
    "z-score": "SD",
    "clicks per week, per week": "clicks/week",
}

_MISSING = "none yet"


def format_value(value, unit: str | None = None, *, with_unit: bool = False, signed: bool = False) -> str:
    """A number as a person would write it: ``12``, ``0.46``, ``25%``; ``"none yet"`` when missing.

    >>> format_value(12.0), format_value(0.456), format_value(1, "days", with_unit=True)
    ('12', '0.46', '1 day')
    >>> format_value(0.25, "share"), format_value(3, "count", with_unit=True), format_value(2, signed=True)
    ('25%', '3', '+2')
    """
    if isinstance(value, str):
        return value
    v = to_number(value)
    if v is None:
        return _MISSING
    unit = (unit or "").strip()
    if unit == "share":
        return format_percent(v)
    text = format_readable(v, signed=signed)
    word = UNITS.get(unit, unit)
    if not with_unit or not word:
        return text
    if text.lstrip("+-") == "1" and word.endswith("s"):
        word = word[:-1]
    return f"{text} {word}"


def _signed_words(value, unit: str, words) -> str:
    """``3 days late`` / ``2 days early`` / ``on time`` for words ("late", "early", "on time")."""
    v = to_number(value)
    if v is None:
        return _MISSING
    if format_value(v) == "0":
        return words[2]
    size = format_value(abs(v), unit, with_unit=True)
    return f"{size} {words[0] if v > 0 else words[1]}".strip()


@functools.lru_cache(maxsize=512)
def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _short(description: str) -> str:
    """The description as the start of a sentence: no parenthesis, lower-case first letter.

    >>> _short("Days since the learner's last activity (if never active: ...)")
    "days since the learner's last activity"
    """
    text = description.split(" (")[0].strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def z_words(z) -> str:
    """A distance from the course average (in standard deviations) in plain words, for the
    templates of course-relative features: no "SD" on a page people read.

    >>> z_words(-3.0), z_words(-0.8), z_words(0.1), z_words(1.2)
    ('far below', 'below', 'close to', 'above')
    """
    v = to_number(z)
    if v is None:
        return "compared with"
    if abs(v) < 0.5:
        return "close to"
    side = "below" if v < 0 else "above"
    return f"far {side}" if abs(v) >= 2 else side


def driver_sentence(
    feature: str,
    value,
    cohort,
    meta: Mapping[str, object],
    row: Mapping[str, object],
    *,
    templates: Mapping[str, object] | None = None,
) -> str:
    """The sentence of one driver.

    Parameters
    ----------
    feature : str
        The feature's name in the features frame.
    value, cohort : number or str
        The learner's value and the cohort median at the same cutoff (NaN when unknown).
    meta : mapping
        The feature's catalog entry (``description``, ``unit``).
    row : mapping
        The other features of the same row, by name (for templates such as "missed {value} of
        {assessments_due}").
    templates : mapping, optional
        Feature name -> template (default :data:`TEMPLATES`).
    """
    unit = str(meta.get("unit") or "")
    description = _short(str(meta.get("description") or feature.replace("_", " ")))
    template = (TEMPLATES if templates is None else templates).get(feature)
    value_missing = format_value(value) == _MISSING
    cohort_missing = format_value(cohort) == _MISSING
    words = ("", "", "0")
    if isinstance(template, Mapping):
        words = template.get("words", words)
        template = template.get(format_value(value), template.get("*"))
    if template and not value_missing:
        v = to_number(value)
        makers = {
            "value": lambda: format_value(value, unit),
            "cohort": lambda: format_value(cohort, unit),
            "value_u": lambda: format_value(value, unit, with_unit=True),
            "cohort_u": lambda: format_value(cohort, unit, with_unit=True),
            "value_signed": lambda: format_value(value, unit, signed=True),
            "cohort_signed": lambda: format_value(cohort, unit, signed=True),
            "value_pm": lambda: _signed_words(value, unit, words),
            "value_z": lambda: z_words(value),
            "cohort_pm": lambda: _signed_words(cohort, unit, words),
            "value_s": lambda: "" if v is not None and abs(v) == 1 else "s",
            "description": lambda: description,
            "unit": lambda: unit,
        }
        needed = _fields(template)
        fields = {}
        for name in needed:
            if name in makers:
                fields[name] = makers[name]()
                continue
            other = row.get(name)
            if other is None or format_value(other) == _MISSING:
                break
            fields[name] = format_value(other)
        else:
            text = template.format(**fields)
            if cohort_missing and any(n.startswith("cohort") for n in needed):
                text = text.split("; course median")[0]
            return text
    head = f"{description}: {format_value(value, unit, with_unit=True)}"
    if cohort_missing or isinstance(value, str):
        return head
    return f"{head} (course median {format_value(cohort, unit, with_unit=True)})"
