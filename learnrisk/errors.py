"""Exceptions raised by learnrisk.

Every error says what went wrong, what was found, what is allowed and, where possible,
how to fix it. The CLI turns them into a one-line message and exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only when a problem carries rows
    import pandas as pd

__all__ = [
    "ConfigError",
    "DataValidationError",
    "DuplicateActionWarning",
    "ExplainError",
    "FairnessAuditError",
    "FeatureSpecError",
    "ImpactError",
    "InterventionCatalogError",
    "KpiImpactError",
    "LearnriskError",
    "ModelLoadError",
    "MonitorError",
    "NotFittedError",
    "Problem",
    "RowsNotFoundError",
    "ScoringError",
    "SourceError",
    "SparkEngineError",
    "SyntheticConfigError",
]


def _empty_frame() -> Any:
    import pandas as pd

    return pd.DataFrame()


class LearnriskError(Exception):
    """Base class of every error learnrisk raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One failed check: where, what, how many rows, and the first offending rows."""

    table: str
    column: str
    problem: str
    count: int
    rows: pd.DataFrame = field(default_factory=lambda: _empty_frame(), compare=False, repr=False)

    def describe(self, n_rows: int = 5) -> str:
        head = f"{self.table}.{self.column}: {self.problem} ({self.count} row{'s' if self.count != 1 else ''})"
        if self.rows is None or self.rows.empty:
            return head
        shown = self.rows.head(n_rows).to_string(max_colwidth=40)
        return head + "; first offending rows:\n" + "\n".join("    " + line for line in shown.splitlines())


class DataValidationError(LearnriskError, ValueError):
    """Raised when learning data breaks the canonical contract.

    Attributes
    ----------
    problems : list of Problem
        Every failed check; the first one is also exposed as ``table``, ``column``,
        ``problem``, ``count`` and ``rows``.
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("DataValidationError needs at least one problem")
        self.problems = list(problems)
        first = self.problems[0]
        self.table, self.column, self.problem = first.table, first.column, first.problem
        self.count, self.rows = first.count, first.rows
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        intro = "invalid learning data: " + (f"{n} problems" if n > 1 else "1 problem")
        return intro + "\n" + "\n".join("  - " + p.describe() for p in self.problems)

    def one_line(self) -> str:
        """A single line for the command line: the first problem and how many others."""
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        return f"{first.table}.{first.column}: {first.problem} ({first.count} rows){more}"


class ModelLoadError(LearnriskError, RuntimeError):
    """Raised when a model cannot be found, read or reached."""


class ScoringError(LearnriskError, RuntimeError):
    """Raised by the weekly scoring job: an as-of date outside every course, an output folder
    that exists (without ``force``) or is locked by another run, a model of the wrong target."""


class MonitorError(LearnriskError, ValueError):
    """Raised by :func:`learnrisk.monitoring.monitor`: no published list in the folder or the
    period, a period whose end is before its start, an unknown target."""


class ConfigError(LearnriskError, ValueError):
    """Raised for an option or argument outside what is allowed (the message lists what is)."""


class FeatureSpecError(LearnriskError, ValueError):
    """Raised when the cutoffs (weeks, days, as-of) or the activity-family map given to
    :func:`learnrisk.build_features` are not valid."""


class SourceError(LearnriskError, ValueError):
    """A platform export (xAPI, Caliper, Moodle, Canvas, edX, a mapped CSV) that cannot be read:
    the message names the statement, event or row and says what is wrong with it."""


class SyntheticConfigError(LearnriskError, ValueError):
    """An argument of :func:`learnrisk.synthetic.generate` is outside what the generator accepts."""


class InterventionCatalogError(LearnriskError, ValueError):
    """An intervention catalog file that cannot be used; the message names the entry."""


class KpiImpactError(LearnriskError, ValueError):
    """kpi-impact cannot run: unknown course or KPI, no completers, no one to compare with."""


class ExplainError(LearnriskError, ValueError):
    """Raised by :func:`learnrisk.explain` for arguments it cannot use (a bad rows mask, repeated rows,
    a model without contributions)."""


class RowsNotFoundError(ExplainError, KeyError):
    """Raised when rows asked for are not in the features frame's index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FairnessAuditError(LearnriskError, ValueError):
    """Raised when the rows given to the audit cannot be audited (missing columns, bad values)."""


class ImpactError(LearnriskError, ValueError):
    """Raised when an action cannot be recorded (an unknown enrollment or intervention, a bad
    status, a bad row of an actions sheet) or an impact cannot be estimated (no lists, no
    outcomes yet); the message names the value or the row."""


class DuplicateActionWarning(UserWarning):
    """An action recorded already (same course, learner, day and intervention): not written
    again by :func:`learnrisk.impact.log_action` or ``import_actions_csv`` (unless asked), or
    found more than once by ``read_actions``. The CLI prints it as one ``warning:`` line."""


class NotFittedError(LearnriskError, ValueError, AttributeError):
    """Raised when a model is used before it is fitted (scikit-learn's NotFittedError contract:
    a ValueError and an AttributeError)."""


class SparkEngineError(LearnriskError, RuntimeError):
    """Raised by ``learnrisk.spark``: Spark or Java cannot start, a table cannot be read (a Delta
    table with features the reader lacks), or an option the Spark engine does not support."""
