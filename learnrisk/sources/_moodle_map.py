"""Moodle's vocabulary: the tables and columns read, and components and events as activity types
(one map for the database, the table exports and the Logs report; ``docs/sources-moodle.md``
lists the families each type falls into)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "COMPONENT_NAMES", "CONTEXT_MODULE", "CONTRIBUTIONS", "EDULEVEL_TEACHING", "LOG", "SITE", "TABLES", "activity_types", "report_activity_types"]

# The columns read from each table (nothing else is selected); the fixture DDL from Moodle's
# install.xml is checked against this (tests/sources/test_moodle_fixtures.py).
COLUMNS: dict[str, tuple[str, ...]] = {
    "course": ("id", "shortname", "fullname", "idnumber", "startdate", "enddate"),
    "user": ("id", "idnumber", "deleted"),
    "enrol": ("id", "courseid", "status"),
    "user_enrolments": ("id", "enrolid", "userid", "status", "timestart", "timeend", "timecreated", "timemodified"),
    "logstore_standard_log": (
        "id", "eventname", "component", "crud", "edulevel", "contextlevel", "contextinstanceid",
        "userid", "courseid", "realuserid", "anonymous", "timecreated",
    ),
    "assign": ("id", "course", "name", "duedate"),
    "assign_submission": ("assignment", "userid", "status", "latest", "timemodified"),
    "grade_items": (
        "id", "courseid", "itemtype", "itemmodule", "iteminstance", "itemnumber", "idnumber",
        "grademax", "grademin", "gradepass", "aggregationcoef", "aggregationcoef2",
    ),
    "grade_grades": ("itemid", "userid", "finalgrade", "timemodified"),
    "quiz": ("id", "course", "name", "timeclose"),
    "quiz_attempts": ("quiz", "userid", "state", "preview", "timefinish"),
}
TABLES = tuple(COLUMNS)
LOG = "logstore_standard_log"
SITE = 1  # Moodle's SITEID: course 1 is the front page, never an offering
CONTEXT_MODULE = 70
EDULEVEL_TEACHING = 1

# core events in a course that are the course page itself
_HOMEPAGE_EVENTS = ("\\core\\event\\course_viewed",)
# modules whose create/update events (crud c/u) are a contribution, named apart from viewing
CONTRIBUTIONS = {
    "forum": "forum_post", "quiz": "quiz_attempt", "assign": "assign_submit", "wiki": "wiki_edit",
    "glossary": "glossary_entry", "data": "data_entry", "chat": "chat_message", "workshop": "workshop_submit",
    "forumng": "forumng_post", "ouwiki": "ouwiki_edit",
}
# sub-plugins whose events belong to their module
_SUBPLUGINS = (("assignsubmission_", "assign"), ("assignfeedback_", "assign"), ("quizaccess_", "quiz"), ("quiz_", "quiz"))


def activity_types(component: pd.Series, eventname: pd.Series, crud: pd.Series | None = None) -> pd.Series:
    """Moodle log rows' activity types (families in ``docs/sources-moodle.md``).

    ``mod_<name>`` -> ``<name>`` (``mod_quiz`` -> ``quiz``, ``mod_resource`` -> ``resource``);
    a contribution (``crud`` c or u) to a module of :data:`CONTRIBUTIONS` -> its contribution type
    (``forum_post``, ``quiz_attempt``, ...); sub-plugins -> their module; the core
    ``course_viewed`` event -> ``homepage``; any other core event in a course -> ``course``;
    any other component -> its name.

    >>> activity_types(pd.Series(["mod_quiz", "core", "mod_forum", "assignsubmission_file"]),
    ...                pd.Series(["x", "\\\\core\\\\event\\\\course_viewed", "y", "z"]),
    ...                pd.Series(["r", "r", "c", "c"])).tolist()
    ['quiz', 'homepage', 'forum_post', 'assign_submit']
    """
    comp = component.astype("str").str.strip().str.lower()
    out = comp.str.replace(r"^mod_", "", regex=True)
    for prefix, module in _SUBPLUGINS:
        out = out.mask(comp.str.startswith(prefix), module)
    is_core = comp.isin(["core", "moodle"]) | comp.str.startswith("core_")
    out = out.mask(is_core, np.where(eventname.astype("str").isin(_HOMEPAGE_EVENTS), "homepage", "course"))
    if crud is not None:
        writes = crud.astype("str").str.lower().isin(["c", "u"]).to_numpy() & out.isin(list(CONTRIBUTIONS)).to_numpy()
        out = out.mask(writes, out.map(CONTRIBUTIONS))
    return out


# The Component column shows a plugin's human name; the module it is, as in the database's map.
COMPONENT_NAMES = {
    "system": "core", "assignment": "assign", "book": "book", "chat": "chat", "choice": "choice", "database": "data",
    "external tool": "lti", "feedback": "feedback", "file": "resource", "folder": "folder", "forum": "forum",
    "glossary": "glossary", "h5p": "h5pactivity", "lesson": "lesson", "page": "page", "quiz": "quiz",
    "scorm package": "scorm", "survey": "survey", "url": "url", "wiki": "wiki", "workshop": "workshop",
}
_CONTRIBUTION = re.compile(r"created|submitted|posted|updated|uploaded|started", re.IGNORECASE)


def report_activity_types(component: pd.Series, event: pd.Series) -> pd.Series:
    """Activity types of report rows, the database's map read through the human names."""
    name = component.fillna("").astype("str").str.strip().str.lower()
    module = name.map(COMPONENT_NAMES).fillna(name.str.replace(r"\s+", "_", regex=True))
    core = module == "core"
    out = module.mask(core, event.fillna("").str.strip().str.lower().eq("course viewed").map({True: "homepage", False: "course"}))
    writes = event.fillna("").str.contains(_CONTRIBUTION) & out.isin(list(CONTRIBUTIONS))
    return out.mask(writes, out.map(CONTRIBUTIONS))
