"""The options the commands share, each declared once as a typed alias, and their parsers.

A command declares ``data: DataOpt`` (required) or ``data: DataOpt = None`` (optional); the flag,
its help and its parser live here. ``--weeks``, ``--test-offerings`` and ``--groups`` reach the
command already parsed (``[1, 2, ..., 20]``, ``["AAA-2014J"]``); dates stay text until the
command reads them (:func:`parse_date`), because the scoring job words its own date errors.

Import rule of the command modules: at module level only typer, the standard library,
``learnrisk`` (its public face is lazy), ``learnrisk.errors``, ``learnrisk._format`` and this
module. ``learnrisk --help`` must start fast, so pandas, scikit-learn, MLflow and learnrisk's own
heavy modules are imported inside the command functions, where the work is done: that is the
one place where a function-level import of a learnrisk module is the rule, not the exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import LearnriskError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AbrocaBoundOpt",
    "AsOfOpt",
    "ByOpt",
    "CapacityOpt",
    "CaseloadOpt",
    "DataOpt",
    "DaysOpt",
    "EngineOpt",
    "GroupsOpt",
    "IncludeSensitiveOpt",
    "InterventionsOpt",
    "MasterOpt",
    "MaxEventsOpt",
    "ModelOpt",
    "OutOpt",
    "TestOfferingsOpt",
    "TopKOpt",
    "TrackingUriOpt",
    "TrustPickleOpt",
    "WeeksOpt",
    "check_out",
    "parse_date",
    "parse_days",
    "parse_engine",
    "parse_list",
    "parse_weeks",
]


def _parse_numbers(text: str, unit: str, examples: tuple[str, str]) -> list[int]:
    """``"1-20"`` -> 1..20; ``"1,4,8-10"`` -> [1, 4, 8, 9, 10]; ``unit`` and a range and a list
    example word the errors."""
    if not isinstance(text, str):  # already parsed (a default given as a list)
        return sorted(int(w) for w in text)
    values: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                values.update(range(lo, hi + 1))
            else:
                values.add(int(part))
    except ValueError:
        raise LearnriskError(
            f"cannot read {unit} {text!r}: use a range like {examples[0]} or a list like {examples[1]}"
        ) from None
    if not values or min(values) < 0:
        raise LearnriskError(f"{unit} {text!r}: give whole {unit} >= 0, e.g. {examples[0]}")
    return sorted(values)


def parse_weeks(text: str) -> list[int]:
    """``"1-20"`` -> 1..20; ``"1,4,8-10"`` -> [1, 4, 8, 9, 10]."""
    return _parse_numbers(text, "weeks", ("1-20", "1,4,8-10"))


def parse_days(text: str) -> list[int]:
    """``"30"`` -> [30]; ``"7,14,30"`` -> [7, 14, 30]; ranges as for weeks."""
    return _parse_numbers(text, "days", ("28-35", "7,14,30"))


def parse_list(text: str | None) -> list[str] | None:
    """``"a, b,,c"`` -> ["a", "b", "c"]; nothing -> None."""
    if not text:
        return None
    if not isinstance(text, str):  # already parsed
        return list(text)
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_date(text: str) -> pd.Timestamp:
    """An as-of date (``2024-03-04`` or an ISO timestamp), as UTC."""
    from ..timeline import utc_timestamp  # pandas: only when a command reads a date

    try:
        return utc_timestamp(text)
    except ValueError:
        raise LearnriskError(f"cannot read the date {text!r}: use YYYY-MM-DD") from None


DATA_HELP = "Canonical Parquet folder, or an OULAD folder or zip."

DataOpt = Annotated[Path, typer.Option("--data", help=DATA_HELP, show_default=False)]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="models:/NAME@champion, models:/NAME/3, runs:/ID/model, or a saved RiskModel folder.",
    ),
]
TrackingUriOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        envvar="MLFLOW_TRACKING_URI",
        help="MLflow tracking URI for models:/ and runs:/ URIs (default sqlite:///mlflow.db).",
    ),
]
TrustPickleOpt = Annotated[
    bool,
    typer.Option(
        "--trust-pickle",
        help="Load a model saved as a pickle (model.pkl, the former format). Unpickling runs any code the file "
        "holds: only for a model whose source you trust; save it again to convert it.",
    ),
]
AsOfOpt = Annotated[
    str,
    typer.Option(
        "--as-of",
        help="As-of date YYYY-MM-DD (UTC): each running course at its own week; only facts strictly before it are used.",
    ),
]
WeeksOpt = Annotated[
    Sequence[int],
    typer.Option("--weeks", parser=parse_weeks, metavar="WEEKS", help="Cutoff weeks, e.g. 1-20 or 1,4,8-10."),
]
DaysOpt = Annotated[
    Sequence[int],
    typer.Option(
        "--days",
        parser=parse_days,
        metavar="DAYS",
        help="Cutoff days, each offering at its own day (start + d days), e.g. 30 or 7,14,30.",
    ),
]

def _comma_list(flag: str, help: str) -> typer.models.OptionInfo:
    return typer.Option(flag, parser=parse_list, metavar="A,B,...", help=help)


TestOfferingsOpt = Annotated[
    Sequence[str] | None,
    _comma_list(
        "--test-offerings",
        "Comma-separated offerings (course_id) to test on (train: default the latest of each course code; "
        "fairness: default the model's test offerings).",
    ),
]
GroupsOpt = Annotated[
    Sequence[str] | None,
    _comma_list("--groups", "Comma-separated sensitive attributes (default: every sensitive attribute present)."),
]
TopKOpt = Annotated[
    int,
    typer.Option(
        "--top-k",
        help="Advisor capacity: learners per course and week (the high band of a risk list; precision/recall at k).",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Where to write (a folder, or a .parquet file for features).")]
InterventionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--interventions",
        help="Intervention catalog YAML (replaces the packaged one; 'extends: default' adds to it).",
    ),
]
AbrocaBoundOpt = Annotated[
    float,
    typer.Option("--abroca-bound", help="Fairness: flag an attribute whose ABROCA exceeds this bound beyond chance."),
]
IncludeSensitiveOpt = Annotated[
    bool,
    typer.Option("--include-sensitive", help="Allow sensitive attributes (gender, age band, region, ...) as model inputs."),
]
ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help="course (one ranked list per course) or advisor (also one list per advisor across their courses, "
        "cut at their capacity: OUT/<as-of>/caseload/).",
    ),
]
CaseloadOpt = Annotated[
    Path | None,
    typer.Option(
        "--caseload",
        help="Caseload CSV (learner_id, course_id, advisor[, capacity]) for --by advisor; "
        "default the advisor column of the enrollments.",
    ),
]
CapacityOpt = Annotated[
    int | None,
    typer.Option("--capacity", help="Learners an advisor can contact in a week when the caseload gives none (default --top-k)."),
]

ENGINES = ("pandas", "stream", "spark")
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="pandas (the data in memory), stream (a Parquet folder a batch of offerings at a time: memory bounded "
        "by the largest offering) or spark (per offering on Apache Spark; needs learnrisk[spark] and Java).",
    ),
]
MasterOpt = Annotated[
    str | None,
    typer.Option("--master", help="Spark master for --engine spark: local[2] (default), spark://host:7077, yarn, ..."),
]
MaxEventsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-events",
        help="Activity rows in memory at once (--engine stream), or per Spark task before an offering is split "
        "by learner (--engine spark); default 5,000,000.",
    ),
]


def parse_engine(engine: str, master: str | None, data: Path | None = None) -> str:
    """The engine name, checked against :data:`ENGINES` and its options."""
    if engine not in ENGINES:
        raise LearnriskError(f"--engine must be one of {', '.join(ENGINES)}, found {engine!r}")
    if master is not None and engine != "spark":
        raise LearnriskError(f"--master is for --engine spark, found --engine {engine}")
    if engine == "stream" and data is not None and not data.is_dir():
        raise LearnriskError(f"--engine stream reads a canonical Parquet folder, found {data}")
    return engine


def check_out(out: Path, written: set[str], force: bool, command: str, example: str = "data/mine") -> None:
    """Refuse an ``--out`` folder that ``command`` would destroy or cannot write: it replaces the
    whole folder (Parquet), so a folder holding files other than ``written`` (what the command
    itself writes there) is refused unless ``force``, and the current folder (or one holding it)
    always is."""
    where = out.resolve()
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise LearnriskError(
            f"--out {out} is the current folder or holds it; {command} replaces its --out folder: "
            f"give a new folder, e.g. --out {example}"
        )
    if out.is_symlink() and not out.exists():
        raise LearnriskError(f"--out {out} is a symbolic link to a missing target; create the target or choose another --out")
    if out.exists() and not out.is_dir():
        raise LearnriskError(f"--out {out} is a file, not a folder; choose a new folder")
    if not out.is_dir() or force:
        return
    others = sorted(p.name for p in out.iterdir() if p.name not in written)
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise LearnriskError(
            f"--out {out} is a folder holding files {command} did not write ({shown}); choose a new or "
            f"empty folder, or pass --force to replace its content"
        )
