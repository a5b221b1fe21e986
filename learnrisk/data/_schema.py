"""The canonical data contract: six tables, their required columns, kinds and keys; and the
optional tables some sources carry (advisors' actions; corporate assignments, HR records, KPIs).

One place states the contract; coercion (``_coerce``) and validation (``_validate``) read it.
"""

from __future__ import annotations

from dataclasses import dataclass

TIME_DTYPE = "datetime64[ns, UTC]"
OUTCOMES = ("pass", "distinction", "fail", "withdrawn")
PACINGS = ("cohort", "self-paced")
TABLES = ("courses", "learners", "enrollments", "activity", "assessments", "submissions")
# Optional columns of learners (or, when they can change between offerings, of enrollments)
# that describe a protected group: never model inputs unless asked for, always available to
# the fairness audit. The one list; features, fairness and the OULAD reader read it.
SENSITIVE_ATTRIBUTES = ("gender", "age_band", "region", "disability", "deprivation", "prior_education")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "id" | "str" | "time" | "float" | "int"
    nullable: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional: tuple[Column, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns]


SCHEMA: dict[str, TableSpec] = {
    "courses": TableSpec(
        "courses",
        (Column("course_id", "id"), Column("course_code", "id"), Column("start", "time"), Column("end", "time")),
        key=("course_id",),
        optional=(Column("title", "str", True), Column("pacing", "str", True)),
    ),
    "learners": TableSpec("learners", (Column("learner_id", "id"),), key=("learner_id",)),
    "enrollments": TableSpec(
        "enrollments",
        (
            Column("learner_id", "id"),
            Column("course_id", "id"),
            Column("registered_at", "time"),
            Column("withdrawn_at", "time", nullable=True),
            Column("outcome", "str", nullable=True),
        ),
        key=("learner_id", "course_id"),
        optional=(
            Column("final_score", "float", True),
            Column("prior_attempts", "float", True),
            Column("credits", "float", True),
            Column("completed_at", "time", True),  # when an assigned course was completed: a label (docs/corporate.md)
        ),
    ),
    "activity": TableSpec(
        "activity",
        (
            Column("learner_id", "id"),
            Column("course_id", "id"),
            Column("timestamp", "time"),
            Column("activity_type", "str"),
            Column("clicks", "int"),
        ),
        optional=(Column("resource_id", "id", True),),
    ),
    "assessments": TableSpec(
        "assessments",
        (
            Column("assessment_id", "id"),
            Column("course_id", "id"),
            Column("kind", "str"),
            Column("due_at", "time", nullable=True),
            Column("weight", "float"),
        ),
        key=("assessment_id",),
        optional=(Column("title", "str", True),),
    ),
    "submissions": TableSpec(
        "submissions",
        (
            Column("learner_id", "id"),
            Column("assessment_id", "id"),
            Column("submitted_at", "time"),
            Column("score", "float", nullable=True),
        ),
        key=("learner_id", "assessment_id"),
        # scored_at: when the score was marked (known from max(submitted_at, scored_at); empty or
        # absent: from submitted_at); docs/data.md, docs/features.md
        optional=(Column("is_banked", "int", True), Column("scored_at", "time", True)),
    ),
}


# Optional tables: absent unless a source has them; when present, checked like the six (kinds,
# required values, keys) and carried through Parquet, selection and the digest.
# ``actions``: what advisors did (docs/impact.md). ``assignments``, ``hr``, ``kpis``: corporate
# learning (docs/corporate.md); HR rows have an effective date and obey the as-of rule.
ACTION_STATUSES = ("planned", "done", "no_response")
OPTIONAL_SCHEMA: dict[str, TableSpec] = {
    "actions": TableSpec(
        "actions",
        (
            Column("learner_id", "id"),
            Column("course_id", "id"),
            Column("acted_at", "time"),
            Column("intervention_id", "id"),
            Column("status", "str"),
        ),
        optional=(
            Column("actor", "id", True),
            Column("channel", "str", True),
            Column("useful", "str", True),
        ),
    ),
    "assignments": TableSpec(
        "assignments",
        (
            Column("learner_id", "id"),
            Column("course_id", "id"),
            Column("assigned_at", "time"),
            Column("due_at", "time"),
        ),
        key=("learner_id", "course_id"),
        optional=(Column("required", "int", True), Column("recertification_of", "id", True)),
    ),
    "hr": TableSpec(
        "hr",
        (Column("learner_id", "id"), Column("effective_from", "time")),
        key=("learner_id", "effective_from"),
        optional=(
            Column("department", "str", True),
            Column("role", "str", True),
            Column("job_level", "float", True),
            Column("manager_id", "id", True),
            Column("location", "str", True),
            Column("employment_status", "str", True),
            Column("hired_at", "time", True),
        ),
    ),
    "kpis": TableSpec(
        "kpis",
        (Column("subject_id", "id"), Column("metric", "str"), Column("period_start", "time"), Column("value", "float")),
        key=("subject_id", "metric", "period_start"),
        optional=(Column("subject_kind", "str", True), Column("period_end", "time", True)),
    ),
}
OPTIONAL_TABLES = tuple(OPTIONAL_SCHEMA)
SPECS: dict[str, TableSpec] = {**SCHEMA, **OPTIONAL_SCHEMA}
