"""``load_data``: one entry point that recognises a data source by its content.

Every command that takes ``--data`` calls it, so that a user points any command at a canonical
Parquet folder, an OULAD folder or an OULAD zip without saying which.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..errors import DataValidationError, LearnriskError, Problem
from ._core import LearningData, read_parquet, selected_offerings
from ._oulad import read_oulad
from ._schema import TABLES
from ._validate import plausibility

__all__ = ["detect_format", "load_data"]

KNOWN = (
    "a canonical Parquet folder (" + ", ".join(f"{t}.parquet" for t in TABLES) + ")",
    "an OULAD folder or .zip (studentInfo.csv and the 6 other CSV files of the release)",
)


def detect_format(path: str | os.PathLike) -> str:
    """``"parquet"`` or ``"oulad"``, from what ``path`` holds; raise LearnriskError otherwise."""
    path = Path(path)
    if path.is_dir():
        parquet = [t for t in TABLES if (path / f"{t}.parquet").is_file()]
        if (path / "studentInfo.csv").is_file():
            return "oulad"
        if parquet:
            if len(parquet) < len(TABLES):
                missing = [t for t in TABLES if t not in parquet]
                raise DataValidationError(
                    [Problem(t, "*", f"file {t}.parquet is missing in {path} (a canonical Parquet folder has all six)", 0) for t in missing]
                )
            return "parquet"
        entries = sorted(p.name for p in path.iterdir())
        found = "an empty folder" if not entries else "a folder holding " + ", ".join(entries[:8]) + (", ..." if len(entries) > 8 else "")
    elif path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise LearnriskError(f"cannot read the zip {path}: it is damaged ({exc}); download or copy it again") from None
        if any(n.rsplit("/", 1)[-1] == "studentInfo.csv" for n in names):
            return "oulad"
        files = [n for n in names if not n.endswith("/")]
        found = "a zip holding " + (", ".join(files[:8]) + (", ..." if len(files) > 8 else "") if files else "nothing")
    elif path.is_file():
        found = f"a file ({path.suffix or 'no extension'}) that is neither a folder nor a zip"
    else:
        found = "nothing (the path does not exist)"
    raise LearnriskError(f"cannot recognise learning data at {path}: found {found}; expected {KNOWN[0]} or {KNOWN[1]}")


def load_data(
    path: str | os.PathLike, *, courses=None, as_of=None, extra_columns: bool = True, validate: bool = True
) -> LearningData:
    """Load learning data from a canonical Parquet folder, an OULAD folder or an OULAD zip.

    The kind is recognised by content: the six ``<table>.parquet`` files of
    :meth:`LearningData.to_parquet`, or ``studentInfo.csv`` (in the folder, or in the zip at its
    root or in one subfolder) for the OULAD release.

    Parameters
    ----------
    path : str or path-like
        A folder or a ``.zip`` file.
    courses : course ids, optional
        Only these offerings (as :meth:`LearningData.select_courses`).
    as_of : date, optional
        Only the offerings running then (``start <= as_of < end``; with ``courses``, those of
        them running then). A Parquet folder is read with filters: the rows of other offerings
        are skipped while reading and never validated (the scalable path); an OULAD release
        (CSV) is read and validated whole, then the offerings are selected.
    extra_columns : bool, default True
        False reads only the columns of the contract and the sensitive attributes (Parquet).
    validate : bool, default True
        Run every check of the canonical contract.

    Returns
    -------
    LearningData

    Raises
    ------
    LearnriskError
        Nothing recognisable at ``path`` (the message says what was found and what is expected).
    DataValidationError
        The data was recognised but breaks the contract.

    Examples
    --------
    >>> import learnrisk
    >>> data = learnrisk.load_data("data/synthetic/sample")  # doctest: +SKIP
    >>> data = learnrisk.load_data("anonymisedData.zip")  # doctest: +SKIP
    """
    kind = detect_format(path)
    if kind == "parquet":
        return read_parquet(path, courses=courses, as_of=as_of, extra_columns=extra_columns, validate=validate)
    data = read_oulad(path, validate=validate)
    if courses is None and as_of is None:
        return data
    c = data.courses
    selected = data.select_courses(c.loc[selected_offerings(c, courses, as_of), "course_id"])
    if validate:  # the warnings of what is kept, as read_parquet gives them (the whole was logged)
        selected.warnings = plausibility(selected.tables())
    return selected
