"""Recording what advisors did: ``<data folder>/actions.parquet``, appended atomically.

An action is one row of the optional ``actions`` table of the data contract (``docs/data.md``):
``learner_id, course_id, acted_at, intervention_id, status`` (``planned``, ``done`` or
``no_response``) and, optionally, ``actor``, ``channel`` and ``useful`` (did the advisor find
the prediction useful: ``yes``, ``no`` or empty). There is no free-text column: the
intervention is an id of the catalog (:func:`learnrisk.explaining.load_interventions`), the
channel one of the catalog's channels, the actor an id (letters, digits, ``. _ - @``; at most 64
characters), so that nothing an advisor types about a learner ends up in the data.

Appending: under an exclusive lock on ``<folder>/.actions.lock`` (``flock``; the kernel drops it
when the holder dies), the existing rows and the new ones are checked together against the
enrollments (:func:`learnrisk.data.check_optional_table`), written to a temporary file in the
same folder, fsync'ed and renamed over ``actions.parquet``: a reader sees the old table or the
new one, never half of it; a bad row writes nothing.

Duplicates: an action with the same ``course_id``, ``learner_id``, day of ``acted_at`` (UTC) and
``intervention_id`` as one recorded already (or as an earlier row of the same sheet) is a
duplicate, whatever its status or time of day. It is not written (checked under the lock): a
:class:`~learnrisk.errors.DuplicateActionWarning` says so in one line, and the other rows are
written. ``allow_duplicate=True`` (``--allow-duplicate``) writes it anyway (two calls the same
day). :func:`read_actions` warns when the file holds duplicates; :func:`duplicate_actions` lists
them.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..data import OPTIONAL_SCHEMA, check_optional_table
from ..errors import DataValidationError, DuplicateActionWarning, ImpactError
from ..explaining import InterventionCatalog, load_interventions
from ..timeline import utc_timestamp

__all__ = ["ACTION_COLUMNS", "DUPLICATE_KEY", "duplicate_actions", "import_actions_csv", "log_action", "read_actions"]

SPEC = OPTIONAL_SCHEMA["actions"]
ACTION_COLUMNS = [c.name for c in SPEC.columns + SPEC.optional]
STATUSES = ("planned", "done", "no_response")
USEFUL = ("yes", "no")
ACTOR = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
FILE = "actions.parquet"
DUPLICATE_KEY = ("course_id", "learner_id", "day", "intervention_id")  # day: of acted_at, UTC


def _catalog(interventions) -> InterventionCatalog:
    return interventions if isinstance(interventions, InterventionCatalog) else load_interventions(interventions)


def _folder(folder) -> Path:
    folder = Path(folder)
    if not (folder / "enrollments.parquet").is_file():
        raise ImpactError(
            f"{folder} is not a learnrisk data folder (no enrollments.parquet); give the Parquet folder "
            "the weekly job reads (learnrisk data convert writes one)"
        )
    return folder


def read_actions(folder: str | os.PathLike) -> pd.DataFrame:
    """The actions recorded in a data folder (an empty table with the columns when none); a
    :class:`~learnrisk.errors.DuplicateActionWarning` when some were recorded more than once
    (:func:`duplicate_actions` lists them).

    >>> read_actions("data/")                                  # doctest: +SKIP
    """
    actions = _read(Path(folder))
    dup = duplicate_actions(actions)
    if len(dup):
        warnings.warn(
            f"{Path(folder) / FILE} holds {_repeats(dup)} recorded more than once (same course, learner, day and "
            f"intervention; first: {_describe(dup.iloc[0])}); learnrisk.impact.duplicate_actions lists them",
            DuplicateActionWarning,
            stacklevel=2,
        )
    return actions


def _keys(actions: pd.DataFrame) -> pd.DataFrame:
    """The duplicate key of each action: course, learner, day of ``acted_at`` (UTC), intervention."""
    return pd.DataFrame({
        "course_id": actions["course_id"].astype("str").to_numpy(),
        "learner_id": actions["learner_id"].astype("str").to_numpy(),
        "day": pd.to_datetime(actions["acted_at"], utc=True).dt.strftime("%Y-%m-%d").to_numpy(),
        "intervention_id": actions["intervention_id"].astype("str").to_numpy(),
    })  # fmt: skip


def duplicate_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """The actions that repeat an earlier row's course, learner, day (UTC) and intervention (the
    first of each is not included).

    >>> duplicate_actions(read_actions("data/"))               # doctest: +SKIP
    """
    return actions[_keys(actions).duplicated(keep="first").to_numpy()]


def _repeats(dup: pd.DataFrame) -> str:
    return f"{len(dup)} action{'s' if len(dup) != 1 else ''}"


def _describe(row) -> str:
    return f"learner {row['learner_id']} in {row['course_id']}: {row['intervention_id']} on {pd.Timestamp(row['acted_at']):%Y-%m-%d}"


def _read(folder: Path) -> pd.DataFrame:
    path = folder / FILE
    if not path.is_file():
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in ACTION_COLUMNS}).astype(
            {"acted_at": "datetime64[ns, UTC]"}
        )
    return pd.read_parquet(path)


def _check_values(rows: pd.DataFrame, catalog: InterventionCatalog, where) -> None:
    """Catalog ids, statuses, channels, actors and answers; ImpactError naming the first bad row."""
    ids = {i.id for i in catalog}
    channels = {i.channel for i in catalog if i.channel}
    checks = [
        ("intervention_id", lambda v: v in ids, f"an intervention id of the catalog ({', '.join(sorted(ids))})"),
        ("status", lambda v: v in STATUSES, f"one of {', '.join(STATUSES)}"),
        ("channel", lambda v: v in channels, f"empty or a channel of the catalog ({', '.join(sorted(channels))})"),
        ("actor", lambda v: bool(ACTOR.match(v)), "empty or an id (letters, digits, . _ - @; at most 64 characters)"),
        ("useful", lambda v: v in USEFUL, "yes, no or empty"),
    ]
    required = {"intervention_id", "status"}
    for i, row in enumerate(rows.to_dict("records")):
        for col, ok, allowed in checks:
            value = row.get(col)
            empty = value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
            if empty and col not in required:
                continue
            if empty or not ok(str(value).strip()):
                raise ImpactError(f"{where(i)}: {col} {value!r} is not allowed; use {allowed}")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".actions.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _append(
    folder: Path, rows: pd.DataFrame, *, allow_duplicate: bool = False, where: Callable[[int], str] | None = None
) -> pd.DataFrame:
    """Check ``rows`` with the recorded actions against the enrollments, then replace the file.
    Rows repeating a recorded action (or an earlier row) are left out with a warning unless
    ``allow_duplicate``; ``where(i)`` names row ``i`` in it."""
    enrollments = pd.read_parquet(folder / "enrollments.parquet", columns=["learner_id", "course_id"])
    with _locked(folder):
        old = _read(folder)
        if not allow_duplicate:
            repeat = _keys(pd.concat([old, rows], ignore_index=True) if len(old) else rows).duplicated().to_numpy()[len(old):]
            if repeat.any():
                first = int(repeat.argmax())
                named = f"{where(first)}: " if where is not None else ""
                warnings.warn(
                    f"{named}{_describe(rows.iloc[first])} is recorded already"
                    + (f" ({_repeats(rows[repeat])} of {len(rows)} repeat one)" if len(rows) > 1 else "")
                    + "; not recorded again (--allow-duplicate, allow_duplicate=True, records it)",
                    DuplicateActionWarning,
                    stacklevel=3,
                )
                rows = rows[~repeat].reset_index(drop=True)
                if rows.empty:
                    return rows
        both = pd.concat([old, rows], ignore_index=True) if len(old) else rows
        try:
            both = check_optional_table("actions", both, enrollments)
        except DataValidationError as exc:
            raise ImpactError(f"action not recorded: {exc.one_line()}") from None
        fd, tmp = tempfile.mkstemp(prefix=".actions.", suffix=".parquet", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                both.to_parquet(fh, index=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return both.iloc[len(old):].reset_index(drop=True)


def _when(value, where: str) -> pd.Timestamp:
    if value is None or str(value).strip() == "":
        return pd.Timestamp(dt.datetime.now(dt.UTC)).floor("s")
    try:
        return utc_timestamp(value)
    except (ValueError, TypeError):
        raise ImpactError(f"{where}: acted_at {value!r} is not a date; give YYYY-MM-DD or YYYY-MM-DD HH:MM") from None


def _frame(records: list[dict]) -> pd.DataFrame:
    rows = pd.DataFrame(records, columns=ACTION_COLUMNS)
    for col in ACTION_COLUMNS:
        if col != "acted_at":
            rows[col] = rows[col].astype("str").where(rows[col].notna() & rows[col].astype("str").ne(""), None)
    return rows


def log_action(
    folder: str | os.PathLike,
    learner_id: str,
    course_id: str,
    intervention_id: str,
    status: str = "done",
    *,
    acted_at=None,
    actor: str | None = None,
    channel: str | None = None,
    useful: str | None = None,
    interventions=None,
    allow_duplicate: bool = False,
) -> pd.DataFrame:
    """Record one action in ``<folder>/actions.parquet`` (appended atomically; module doc).

    Parameters
    ----------
    folder : a canonical Parquet data folder (the one the weekly job reads)
    learner_id, course_id : an enrollment of the data
    intervention_id : an id of the intervention catalog (``interventions``, default packaged)
    status : ``done`` (default), ``planned`` or ``no_response``
    acted_at : date or time (UTC); default now
    actor : who acted, an id; channel : a channel of the catalog, default the intervention's own
    useful : did the advisor find the prediction useful: ``yes``, ``no`` or None
    allow_duplicate : record it even when the same course, learner, day and intervention is
        recorded already (default: not written, a :class:`DuplicateActionWarning`)

    Returns
    -------
    DataFrame : the row written (empty when it was a duplicate)

    Raises
    ------
    ImpactError : an unknown enrollment, intervention, status, channel or answer

    Examples
    --------
    >>> log_action("data/", "11391", "AAA-2014J", "welcome-call", actor="adv-3")  # doctest: +SKIP
    """
    folder = _folder(folder)
    catalog = _catalog(interventions)
    record = {
        "learner_id": learner_id, "course_id": course_id, "acted_at": _when(acted_at, "log-action"),
        "intervention_id": intervention_id, "status": status, "actor": actor, "channel": channel, "useful": useful,
    }  # fmt: skip
    rows = _frame([record])
    _check_values(rows, catalog, lambda i: "log-action")
    return _append(folder, _with_channels(rows, catalog), allow_duplicate=allow_duplicate, where=lambda i: "log-action")


def _with_channels(rows: pd.DataFrame, catalog: InterventionCatalog) -> pd.DataFrame:
    """An empty channel is the intervention's own (from the catalog)."""
    own = {i.id: i.channel for i in catalog}
    rows = rows.copy()
    rows["channel"] = rows["channel"].where(rows["channel"].notna(), rows["intervention_id"].map(own))
    return rows


def import_actions_csv(
    folder: str | os.PathLike, path: str | os.PathLike, *, acted_at=None, interventions=None, allow_duplicate: bool = False
) -> pd.DataFrame:
    """Record the filled rows of an actions sheet (``OUT/<as-of>/actions-to-fill.csv``).

    A row whose ``status`` is empty was not acted on and is skipped. A filled row needs an
    ``acted_at`` (or ``acted_at=`` gives one for every row without). Every row is checked before
    anything is written: the first bad one raises :class:`ImpactError` naming its line. A row
    repeating a recorded action or an earlier row (same course, learner, day, intervention) is
    left out with one :class:`DuplicateActionWarning` naming the first such line and the count,
    unless ``allow_duplicate``.

    Returns
    -------
    DataFrame : the rows written (possibly none)
    """
    folder = _folder(folder)
    catalog = _catalog(interventions)
    path = Path(path)
    try:
        sheet = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ImpactError(f"cannot read the actions sheet {path}: {exc}") from None
    missing = [c for c in ("learner_id", "course_id", "intervention_id", "status") if c not in sheet.columns]
    if missing:
        raise ImpactError(f"{path}: missing column(s) {', '.join(missing)}; start from OUT/<as-of>/actions-to-fill.csv")
    for col in ("learner_id", "course_id"):  # the sheet writer neutralises formula-like ids with a leading '
        sheet[col] = sheet[col].str.removeprefix("'")
    filled = sheet[sheet["status"].str.strip().ne("")]
    line = {i: n + 2 for n, i in enumerate(sheet.index)}  # line 1 is the header

    def where(i: int) -> str:
        return f"{path.name} line {line[filled.index[i]]}"

    records = []
    for i, row in enumerate(filled.to_dict("records")):
        when = row.get("acted_at", "").strip() or acted_at
        if when is None or str(when).strip() == "":
            raise ImpactError(f"{where(i)}: acted_at is empty; fill it (YYYY-MM-DD) or pass --at DATE")
        record = {c: (row.get(c) or "").strip() for c in ACTION_COLUMNS if c != "acted_at"}
        records.append({**record, "acted_at": _when(when, where(i))})
    if not records:
        return _frame([])
    rows = _frame(records)
    _check_values(rows, catalog, where)
    known = pd.read_parquet(folder / "enrollments.parquet", columns=["learner_id", "course_id"])
    pairs = set(zip(known["learner_id"].astype("str"), known["course_id"].astype("str")))
    for i, (lid, cid) in enumerate(zip(rows["learner_id"], rows["course_id"])):
        if (lid, cid) not in pairs:
            raise ImpactError(f"{where(i)}: learner {lid!r} is not enrolled in course {cid!r}")
    return _append(folder, _with_channels(rows, catalog), allow_duplicate=allow_duplicate, where=where)
