"""Read the Open University Learning Analytics Dataset (OULAD) into :class:`LearningData`.

The official release is seven CSV files (a folder, or a zip of them, possibly inside one
subfolder of the zip). Every day in it is an integer relative to the start of a presentation,
and the calendar start is not given: ``B`` presentations start in February and ``J``
presentations in October of the year in the code. The reader anchors each presentation on
day ``start_day`` of that month, at midnight UTC, and turns every day into a timestamp::

    AAA-2013J, start_day=1  ->  start = 2013-10-01 00:00 UTC
    module_presentation_length 268  ->  end = 2013-10-01 + 268 days = 2014-06-26
    studentVle date -10  ->  timestamp = 2013-10-01 - 10 days = 2013-09-21
    BBB-2013B  ->  start = 2013-02-01

How the release maps to the canonical tables, and what the reader does with its known quirks:

- courses: ``course_id`` = ``"<code_module>-<code_presentation>"`` (``AAA-2013J``),
  ``course_code`` = code_module, pacing ``cohort``.
- enrollments (studentInfo + studentRegistration): ``final_result`` lowercased is the outcome,
  ``date_unregistration`` is ``withdrawn_at``, ``num_of_prev_attempts`` is ``prior_attempts``,
  ``studied_credits`` is ``credits``. A registration without a day (it happens) is registered at
  the course start. An unregistration before the registration (it may happen in the full
  release) is kept: ``registered_at`` becomes the unregistration time. Both are counted in a
  log record of the ``learnrisk.data`` logger, never dropped.
- learners: ``learner_id`` is ``id_student``; the attributes (gender, region, prior_education =
  highest_education, deprivation = imd_band, age_band, disability) come from the learner's latest
  registration, and are also kept per enrollment, since they can differ between registrations.
  A missing imd_band is null.
- activity (studentVle joined with vle.csv on id_site): ``clicks`` = sum_click,
  ``resource_id`` = id_site. Exact duplicate rows are real log lines and are kept.
- assessments: an Exam without a date is due at the course end.
- submissions: ``submitted_at`` is counted from the start of the assessment's course; an empty
  score is null; ``is_banked`` is kept.

The large file (studentVle, 10.6 million rows in the full release) is parsed by pyarrow with
explicit types; course keys and resource ids are dictionary-encoded while parsing and mapped
through small lookup tables, so no Python code runs per row.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import DataValidationError, LearnriskError, Problem
from ..timeline import DAY, NAT, from_ns, to_ns
from ._core import LearningData
from ._schema import SENSITIVE_ATTRIBUTES

__all__ = ["ATTRIBUTES", "FILES", "read_oulad"]

log = logging.getLogger("learnrisk.data")

START_MONTH = {"B": 2, "J": 10}
YEARS = (1900, 2150)  # presentation years read; with MAX_DAYS every time fits in int64 nanoseconds
MAX_DAYS = 36_500  # largest day offset from a presentation start (an error beyond)
DAY_COLUMNS = {
    "courses.csv": ("module_presentation_length",),
    "assessments.csv": ("date",),
    "studentRegistration.csv": ("date_registration", "date_unregistration"),
    "studentAssessment.csv": ("date_submitted",),
    "studentVle.csv": ("date",),
}
PRESENTATION = re.compile(r"^(\d{4})([BJ])$")

# Text as large_string: pandas' ``str`` dtype stores large_string, so the columns pass to pandas
# without a copy; dictionary-encoded while parsing where a few values repeat millions of times.
_STR = pa.large_string()
_DICT = pa.dictionary(pa.int32(), _STR)

# Column order of each file exactly as released; the reader needs the typed ones.
FILES: dict[str, dict[str, pa.DataType | None]] = {
    "courses.csv": {"code_module": _STR, "code_presentation": _STR, "module_presentation_length": pa.int32()},
    "assessments.csv": {
        "code_module": _STR,
        "code_presentation": _STR,
        "id_assessment": _STR,
        "assessment_type": _STR,
        "date": pa.int32(),
        "weight": pa.float64(),
    },
    "vle.csv": {
        "id_site": _STR,
        "code_module": _STR,
        "code_presentation": _STR,
        "activity_type": _STR,
        "week_from": None,
        "week_to": None,
    },
    "studentInfo.csv": {
        "code_module": _STR,
        "code_presentation": _STR,
        "id_student": _STR,
        "gender": _STR,
        "region": _STR,
        "highest_education": _STR,
        "imd_band": _STR,
        "age_band": _STR,
        "num_of_prev_attempts": pa.float64(),
        "studied_credits": pa.float64(),
        "disability": _STR,
        "final_result": _STR,
    },
    "studentRegistration.csv": {
        "code_module": _STR,
        "code_presentation": _STR,
        "id_student": _STR,
        "date_registration": pa.int32(),
        "date_unregistration": pa.int32(),
    },
    "studentAssessment.csv": {
        "id_assessment": _STR,
        "id_student": _STR,
        "date_submitted": pa.int32(),
        "is_banked": pa.int64(),
        "score": pa.float64(),
    },
    "studentVle.csv": {
        "code_module": _DICT,
        "code_presentation": _DICT,
        "id_student": _STR,
        "id_site": _DICT,
        "date": pa.int32(),
        "sum_click": pa.int64(),
    },
}

# Canonical sensitive attribute -> studentInfo column, in the release's column order.
_RELEASE_NAME = {"prior_education": "highest_education", "deprivation": "imd_band"}
ATTRIBUTES: dict[str, str] = {
    name: _RELEASE_NAME.get(name, name)
    for name in sorted(SENSITIVE_ATTRIBUTES, key=lambda n: list(FILES["studentInfo.csv"]).index(_RELEASE_NAME.get(n, n)))
}


# --------------------------------------------------------------------------- sources
# Zip reading is bounded: every member is checked, from the zip's directory, before a byte of
# it is decompressed (zipfile never reads past the size the directory declares, and checks the
# CRC at the end).
MAX_MEMBER_BYTES = 4 * 1024**3  # uncompressed size of one member (the real studentVle.csv: 0.45 GB)
MAX_RATIO = 200  # uncompressed / compressed; CSV compresses about 10:1, a zip bomb 1000:1
RATIO_FROM_BYTES = 1024**2  # smaller members are not checked for their ratio (they cannot hurt)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def check_zip_member(info: zipfile.ZipInfo, zip_path: Path, *, max_bytes: int = MAX_MEMBER_BYTES, max_ratio: float = MAX_RATIO) -> None:
    """Refuse a member that is encrypted, too large, or compressed beyond any plausible CSV.

    Raises
    ------
    LearnriskError
        Naming the zip, the member, its sizes and the limit it breaks.
    """
    where = f"cannot read {info.filename} in {zip_path}"
    if info.flag_bits & 0x1:
        raise LearnriskError(f"{where}: the member is encrypted; unzip it yourself and pass the folder")
    if info.file_size > max_bytes:
        raise LearnriskError(
            f"{where}: it is {_size(info.file_size)} uncompressed, above the limit of {_size(max_bytes)} per member"
        )
    if info.file_size > RATIO_FROM_BYTES and info.file_size > max_ratio * info.compress_size:
        ratio = info.file_size / max(info.compress_size, 1)
        raise LearnriskError(
            f"{where}: it unpacks from {_size(info.compress_size)} to {_size(info.file_size)} (ratio {ratio:,.0f}:1, "
            f"above the limit of {max_ratio:g}:1 of any plausible CSV; a zip bomb?)"
        )


def _damaged(name: str, path: Path, exc: Exception) -> LearnriskError:
    return LearnriskError(f"cannot read {name} in {path}: the zip is damaged ({exc}); download or copy it again")


class _Release:
    """The seven files of a release, in a folder or a zip (at its root or in one subfolder)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, str] = {}
        if self.path.is_dir():
            missing = [f for f in FILES if not (self.path / f).is_file()]
            where = str(self.path)
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            try:
                self.zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise _damaged("the directory", self.path, exc) from None
            names = [n for n in self.zip.namelist() if not n.startswith("__MACOSX/") and not n.endswith("/")]
            info = [n for n in names if n.rsplit("/", 1)[-1] == "studentInfo.csv"]
            prefix = info[0][: -len("studentInfo.csv")] if len(info) == 1 else ""
            self.members = {f: prefix + f for f in FILES if prefix + f in names}
            missing = [f for f in FILES if f not in self.members]
            where = f"{self.path}" + (f" (folder {prefix.rstrip('/')} of the zip)" if prefix else "")
            try:
                for member in self.members.values():
                    check_zip_member(self.zip.getinfo(member), self.path)
            except LearnriskError:
                self.close()
                raise
        else:
            found = "nothing" if not self.path.exists() else "a file that is not a zip archive"
            raise LearnriskError(
                f"cannot read OULAD from {self.path}: found {found}; expected a folder of the 7 OULAD CSV "
                f"files or a .zip of them ({', '.join(FILES)})"
            )
        if missing:
            self.close()
            raise DataValidationError(
                [Problem(f, "*", f"file is missing in {where} (an OULAD release has {', '.join(FILES)})", 0) for f in missing]
            )

    def open(self, name: str):
        if self.zip is not None:
            return self.zip.open(self.members[name])
        return open(self.path / name, "rb")

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def read(self, name: str) -> pa.Table:
        """Read one file with the types of ``FILES`` (only the typed columns; extra ones ignored)."""
        try:
            return self._read(name)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a bad CRC, a truncated member
            raise _damaged(self.members.get(name, name), self.path, exc) from None

    def _read(self, name: str) -> pa.Table:
        with self.open(name) as fh:
            first_line = fh.readline().decode("utf-8-sig", errors="replace")
        header = next(csv.reader([first_line.rstrip("\r\n")]), [])
        wanted = {c: t for c, t in FILES[name].items() if t is not None}
        missing = [c for c in wanted if c not in header]
        if missing:
            raise DataValidationError(
                [Problem(name, c, f"missing column (found columns: {', '.join(header) or 'none'})", 0) for c in missing]
            )
        convert = pacsv.ConvertOptions(
            column_types=wanted,
            include_columns=list(wanted),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        try:
            with self.open(name) as fh:
                return pacsv.read_csv(fh, convert_options=convert, read_options=pacsv.ReadOptions(block_size=1 << 24))
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if isinstance(exc, pa.ArrowInvalid) and (table := self._read_integral_floats(name, wanted, convert)) is not None:
                return table
            problems = self._bad_values(name, wanted) if isinstance(exc, pa.ArrowInvalid) else []
            raise DataValidationError(problems or [Problem(name, "*", f"cannot parse the file: {exc}", 0)]) from None

    def _read_integral_floats(self, name: str, wanted: dict[str, pa.DataType], convert) -> pa.Table | None:
        """Whole numbers written as floats (``-159.0``, what pandas writes for a column with
        missing values) read as floats and cast back; None if any is not a whole number in range."""
        ints = {c: t for c, t in wanted.items() if pa.types.is_integer(t)}
        if not ints:
            return None
        convert.column_types = {**wanted, **{c: pa.float64() for c in ints}}
        try:
            with self.open(name) as fh:
                table = pacsv.read_csv(fh, convert_options=convert, read_options=pacsv.ReadOptions(block_size=1 << 24))
            for c, typ in ints.items():
                i = table.schema.get_field_index(c)
                table = table.set_column(i, c, pc.cast(table.column(c), typ))  # safe: raises unless whole and in range
        except pa.ArrowInvalid:
            return None
        return table

    def _bad_values(self, name: str, wanted: dict[str, pa.DataType]) -> list[Problem]:
        """After a failed typed read: the rows whose numbers do not parse, column by column."""
        convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in wanted}, include_columns=list(wanted))
        try:
            with self.open(name) as fh:
                text = pacsv.read_csv(fh, convert_options=convert).to_pandas()
        except pa.ArrowInvalid:
            return []  # not a number problem (a broken line, say): the caller shows pyarrow's message
        text.index = pd.RangeIndex(2, len(text) + 2, name="line")  # line 1 is the header
        problems = []
        for col, typ in wanted.items():
            if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
                continue
            given = text[col].where(text[col] != "")
            num = pd.to_numeric(given, errors="coerce")
            bad = given.notna() & num.isna()
            kind = "numbers"
            if pa.types.is_integer(typ):
                bad |= num.notna() & (num != np.floor(num))
                kind = "whole numbers"
                info = np.iinfo(typ.to_pandas_dtype())
                big = given.notna() & ~bad & _outside(given, info.min, info.max)
                if big.any():  # too large for the column's type: never wrapped around
                    problems.append(Problem(name, col, f"whole numbers outside {info.min:,} to {info.max:,}", int(big.sum()), text[big].head(5)))
                    bad &= ~big
            if bad.any():
                problems.append(Problem(name, col, f"values that are not {kind}", int(bad.sum()), text[bad].head(5)))
        return problems


# --------------------------------------------------------------------------- helpers
def _outside(text: pd.Series, lo: int, hi: int) -> pd.Series:
    """Which numbers written in ``text`` are outside ``lo..hi``, compared exactly (as Python ints)."""

    def whole(v) -> int:
        try:
            return int(v)
        except ValueError:
            try:
                return int(float(v))
            except (ValueError, OverflowError):
                return 0  # not a number: reported as such

    values = text.dropna().map(whole)
    return pd.Series(text.index.isin(values.index[(values > hi) | (values < lo)]), index=text.index)


def _check_days(raw: dict[str, pa.Table]) -> list[Problem]:
    """Day offsets beyond ``MAX_DAYS`` of the presentation start: an error (start + day would overflow
    or wrap around into a plausible-looking date, 200000 days becoming 1976-10-11)."""
    problems = []
    for name, cols in DAY_COLUMNS.items():
        for col in cols:
            days = raw[name].column(col)
            far = np.asarray(pc.fill_null(pc.greater(pc.abs(pc.cast(days, pa.int64())), MAX_DAYS), False))
            if far.any():
                what = f"days more than {MAX_DAYS:,} (100 years) from the presentation start"
                problems.append(_arrow_problem(name, col, what, raw[name], far))
    return problems


def _course_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["code_module"] + "-" + frame["code_presentation"]


def _to_utc(ns: np.ndarray) -> pd.Series:
    """int64 nanoseconds since the epoch (``NaT`` as int64 min) -> ``datetime64[ns, UTC]``."""
    return pd.Series(from_ns(ns, missing=NAT))


def _days_to_ns(start_ns: np.ndarray, days) -> np.ndarray:
    """``start + days`` in int64 ns (``days``: a pyarrow array or a pandas Series); missing gives NaT."""
    if not isinstance(days, (pa.Array, pa.ChunkedArray)):
        days = pa.array(pd.Series(days, dtype="float64"), from_pandas=True)  # NaN -> null
    missing = np.asarray(days.is_null())
    d = np.asarray(pc.fill_null(days, 0)).astype(np.int64)
    out = start_ns + d * DAY
    out[missing | (start_ns == NAT)] = NAT
    return out


def _unknown_course(name: str, frame: pd.DataFrame, mask, what: str) -> Problem:
    mask = np.asarray(mask, dtype=bool)
    return Problem(name, "code_module,code_presentation", f"{what} of a presentation not in courses.csv", int(mask.sum()), frame.loc[mask].head(5))


def _courses(t: pa.Table, start_day: int) -> tuple[pd.DataFrame, list[Problem]]:
    f = t.to_pandas()
    problems: list[Problem] = []
    parts = f["code_presentation"].str.extract(PRESENTATION)
    bad = parts[0].isna()
    if bad.any():
        problems.append(
            Problem("courses.csv", "code_presentation", "presentation code not of the form YYYYB or YYYYJ", int(bad.sum()), f[bad].head(5))
        )
    if f["module_presentation_length"].isna().any():
        m = f["module_presentation_length"].isna()
        problems.append(Problem("courses.csv", "module_presentation_length", "missing length", int(m.sum()), f[m].head(5)))
    year = pd.to_numeric(parts[0]).fillna(1970).astype(int)
    odd = ~bad & ~year.between(*YEARS)
    if odd.any():
        problems.append(
            Problem("courses.csv", "code_presentation", f"presentation year outside {YEARS[0]}-{YEARS[1]}", int(odd.sum()), f[odd].head(5))
        )
        year = year.where(~odd, 1970)
    month = parts[1].map(START_MONTH).fillna(1).astype(int)
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": start_day}), utc=True).astype("datetime64[ns, UTC]")
    length = pd.to_timedelta(f["module_presentation_length"].fillna(0).astype("int64"), unit="D")
    courses = pd.DataFrame(
        {
            "course_id": _course_keys(f),
            "course_code": f["code_module"],
            "start": start,
            "end": start + length,
            "pacing": "cohort",
        }
    )
    return courses, problems


# --------------------------------------------------------------------------- reader
def read_oulad(path: str | os.PathLike, *, start_day: int = 1, validate: bool = True) -> LearningData:
    """Read the official OULAD release (a folder of its 7 CSV files, or a zip of them).

    Parameters
    ----------
    path : str or path-like
        A folder holding ``courses.csv``, ``assessments.csv``, ``vle.csv``, ``studentInfo.csv``,
        ``studentRegistration.csv``, ``studentAssessment.csv`` and ``studentVle.csv``, or a
        ``.zip`` holding them (at its root or in one subfolder).
    start_day : int, default 1
        Day of the month on which every presentation starts (``B``: February, ``J``: October
        of the year in the presentation code), at midnight UTC.
    validate : bool, default True
        Run every check of the canonical contract.

    Returns
    -------
    LearningData
        Days relative to the presentation start become UTC timestamps; the module docstring
        of ``learnrisk.data._oulad`` lists the mapping of every file and how its known quirks
        are handled (counts of adjusted rows go to the ``learnrisk.data`` logger).

    Raises
    ------
    DataValidationError
        A file or a column is missing, a value cannot be parsed, a row refers to a presentation,
        resource or assessment that is not listed, or the content breaks the contract; the
        message names the file or table, the column and the first offending rows.

    Examples
    --------
    >>> import learnrisk
    >>> data = learnrisk.read_oulad("anonymisedData.zip")  # doctest: +SKIP
    >>> data.courses.loc[0, ["course_id", "start"]].tolist()  # doctest: +SKIP
    ['AAA-2013J', Timestamp('2013-10-01 00:00:00+0000', tz='UTC')]
    """
    if isinstance(start_day, bool) or not isinstance(start_day, (int, np.integer)) or not 1 <= start_day <= 28:
        raise LearnriskError(f"start_day must be a day of the month from 1 to 28 (every month has it), found {start_day!r}")
    release = _Release(path)
    try:
        raw = {name: release.read(name) for name in FILES}
    finally:
        release.close()
    if problems := _check_days(raw):
        raise DataValidationError(problems)

    courses, problems = _courses(raw.pop("courses.csv"), int(start_day))
    lookup = _Courses(courses, problems)
    enrollments, learners = _enrollments(raw.pop("studentInfo.csv"), raw.pop("studentRegistration.csv"), lookup)
    assessments, assessment_course = _assessments(raw.pop("assessments.csv"), lookup)
    submissions = _submissions(raw.pop("studentAssessment.csv"), assessments, assessment_course, lookup)
    activity = _activity(raw.pop("studentVle.csv"), raw.pop("vle.csv"), lookup)
    if problems:
        raise DataValidationError(problems)
    return LearningData(
        courses=courses,
        learners=learners,
        enrollments=enrollments,
        activity=activity,
        assessments=assessments,
        submissions=submissions,
        validate=validate,
    )


class _Courses:
    """Presentation lookups shared by the table builders; problems are collected, not raised."""

    def __init__(self, courses: pd.DataFrame, problems: list[Problem]) -> None:
        self.ids = pd.Index(courses["course_id"])
        self.start_ns = to_ns(courses["start"], missing=NAT)
        self.end_ns = to_ns(courses["end"], missing=NAT)
        self.problems = problems

    def rows(self, name: str, frame: pd.DataFrame, what: str) -> np.ndarray:
        """Course position of each row of a small table (-1 and a problem when unknown)."""
        idx = self.ids.get_indexer(_course_keys(frame))
        if (idx < 0).any():
            self.problems.append(_unknown_course(name, frame, idx < 0, what))
        return idx

    def start(self, idx: np.ndarray) -> np.ndarray:
        """Start (int64 ns) of each row's course; NaT where the course is unknown (-1)."""
        return self._take(self.start_ns, idx)

    def end(self, idx: np.ndarray) -> np.ndarray:
        return self._take(self.end_ns, idx)

    @staticmethod
    def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if len(idx) == 0 or (len(values) and idx.min() >= 0):
            return values[idx]
        out = np.full(len(idx), NAT)
        if len(values):
            known = idx >= 0
            out[known] = values[idx[known]]
        return out


def _enrollments(info_t: pa.Table, reg_t: pa.Table, courses: _Courses) -> tuple[pd.DataFrame, pd.DataFrame]:
    info, reg = info_t.to_pandas(), reg_t.to_pandas()
    key = ["code_module", "code_presentation", "id_student"]
    f = info.merge(reg, on=key, how="left", sort=False)
    orphans = len(reg) - len(reg.merge(info[key].drop_duplicates(), on=key))
    if orphans:
        # studentInfo is the list of registrations; a studentRegistration row without one adds nothing.
        log.warning("OULAD: %d studentRegistration row(s) without a studentInfo row: ignored", orphans)
    idx = courses.rows("studentInfo.csv", f, "registration")
    start = courses.start(idx)
    no_day = f["date_registration"].isna().to_numpy()
    if no_day.any():
        # No registration day (45 rows of the full release): registered at the course start.
        log.info("OULAD: %d registration(s) without a registration day: registered at the course start", int(no_day.sum()))
    registered = _days_to_ns(start, f["date_registration"].fillna(0))
    withdrawn = _days_to_ns(start, f["date_unregistration"])
    early = (withdrawn != NAT) & (withdrawn < registered)
    if early.any():
        # Unregistered before registering: the row is kept, the registration moves to the unregistration.
        log.warning(
            "OULAD: %d registration(s) with date_unregistration before date_registration: "
            "registered_at set to the unregistration time",
            int(early.sum()),
        )
        registered = np.where(early, withdrawn, registered)
    enrollments = pd.DataFrame(
        {
            "learner_id": f["id_student"],
            "course_id": _course_keys(f),
            "registered_at": _to_utc(registered),
            "withdrawn_at": _to_utc(withdrawn),
            "outcome": f["final_result"].str.lower(),
            "prior_attempts": f["num_of_prev_attempts"],
            "credits": f["studied_credits"],
            **{name: f[col] for name, col in ATTRIBUTES.items()},
        }
    )
    # A learner's attributes are those of the latest registration (latest course start, then latest
    # registered_at, then file order); learners are listed in order of first appearance.
    order = np.lexsort((np.arange(len(f)), registered, start))
    latest = enrollments.iloc[order].drop_duplicates("learner_id", keep="last").set_index("learner_id")
    learners = latest.loc[pd.unique(enrollments["learner_id"]), list(ATTRIBUTES)].reset_index()
    return enrollments, learners


def _assessments(t: pa.Table, courses: _Courses) -> tuple[pd.DataFrame, np.ndarray]:
    f = t.to_pandas()
    idx = courses.rows("assessments.csv", f, "assessment")
    due = _days_to_ns(courses.start(idx), f["date"])
    exam_no_date = (f["assessment_type"] == "Exam").to_numpy() & f["date"].isna().to_numpy()
    if exam_no_date.any():
        # An Exam without a date is due at the end of its course.
        due = np.where(exam_no_date, courses.end(idx), due)
        log.info("OULAD: %d Exam(s) without a date: due at the course end", int(exam_no_date.sum()))
    assessments = pd.DataFrame(
        {
            "assessment_id": f["id_assessment"],
            "course_id": _course_keys(f),
            "kind": f["assessment_type"],
            "due_at": _to_utc(due),
            "weight": f["weight"],
        }
    )
    return assessments, idx


def _submissions(t: pa.Table, assessments: pd.DataFrame, assessment_course: np.ndarray, courses: _Courses) -> pd.DataFrame:
    f = t.to_pandas()
    first = ~assessments["assessment_id"].duplicated().to_numpy()  # duplicates are reported by validation
    pos = pd.Index(assessments["assessment_id"][first]).get_indexer(f["id_assessment"])
    unknown = pos < 0
    if unknown.any():
        courses.problems.append(
            Problem(
                "studentAssessment.csv", "id_assessment", "submission for an assessment not in assessments.csv",
                int(unknown.sum()), f[unknown].head(5),
            )
        )
    # Days count from the start of the assessment's course.
    course = np.where(unknown, -1, assessment_course[first][np.maximum(pos, 0)]) if first.any() else np.full(len(f), -1)
    return pd.DataFrame(
        {
            "learner_id": f["id_student"],
            "assessment_id": f["id_assessment"],
            "submitted_at": _to_utc(_days_to_ns(courses.start(course), f["date_submitted"])),
            "score": f["score"],
            "is_banked": f["is_banked"],
        }
    )


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Dictionary indices (-1 for null) and dictionary of a dictionary-encoded column."""
    arr = column.combine_chunks()  # unifies the dictionaries of the parsed blocks
    if isinstance(arr, pa.ChunkedArray):  # no chunk at all
        arr = pa.array([], column.type)
    return np.asarray(pc.fill_null(arr.indices, -1)).astype(np.int32), arr.dictionary


def _activity(t: pa.Table, vle_t: pa.Table, courses: _Courses) -> pd.DataFrame:
    # Course of each row: the (module, presentation) pairs of the dictionaries map through a small table.
    mi, mdict = _codes(t.column("code_module"))
    pi, pdict = _codes(t.column("code_presentation"))
    pairs = [f"{m}-{p}" for m in mdict.to_pylist() for p in pdict.to_pylist()]
    lut = courses.ids.get_indexer(pairs).reshape(len(mdict), len(pdict))
    ci = np.full(len(mi), -1, dtype=np.int32)
    if lut.size:
        ok = (mi >= 0) & (pi >= 0)
        ci[ok] = lut[mi[ok], pi[ok]]
    if (ci < 0).any():
        courses.problems.append(_arrow_problem("studentVle.csv", "code_module,code_presentation",
                                               "activity of a presentation not in courses.csv", t, ci < 0))

    # Activity type of each row: the resource ids of the dictionary map through vle.csv.
    si, sdict = _codes(t.column("id_site"))
    vle = vle_t.to_pandas().drop_duplicates(["id_site", "activity_type"])
    clash = vle["id_site"].duplicated(keep=False)
    if clash.any():
        courses.problems.append(
            Problem("vle.csv", "id_site", "resource listed with different activity types", int(clash.sum()), vle[clash].head(5))
        )
        vle = vle.drop_duplicates("id_site")
    types = pd.Index(pd.unique(vle["activity_type"].fillna("")))
    type_of_site = np.full(len(sdict) + 1, -1, dtype=np.int32)  # last slot: null id_site
    pos = pd.Index(vle["id_site"]).get_indexer(sdict.to_pandas())
    type_of_site[:-1] = np.where(pos >= 0, types.get_indexer(vle["activity_type"].fillna("").to_numpy()[np.maximum(pos, 0)]), -1)
    ti = type_of_site[si]
    if (ti < 0).any():
        courses.problems.append(_arrow_problem("studentVle.csv", "id_site", "resource not listed in vle.csv", t, ti < 0))

    if courses.problems:
        return pd.DataFrame()
    timestamp = _days_to_ns(courses.start(ci), t.column("date"))
    course_ids = pa.array(courses.ids.to_numpy(), _STR)
    out = pa.table(
        {
            "learner_id": t.column("id_student"),
            "course_id": pa.DictionaryArray.from_arrays(pa.array(ci), course_ids).cast(_STR),
            "timestamp": pa.array(timestamp, pa.timestamp("ns", tz="UTC"), mask=timestamp == NAT),
            "activity_type": pa.DictionaryArray.from_arrays(pa.array(ti), pa.array(types.to_numpy(), _STR)).cast(_STR),
            "clicks": t.column("sum_click"),
            "resource_id": pa.DictionaryArray.from_arrays(pa.array(si, mask=si < 0), sdict).cast(_STR),
        }
    )
    del t
    return out.to_pandas(self_destruct=True, split_blocks=True)


def _arrow_problem(name: str, column: str, what: str, t: pa.Table, mask: np.ndarray) -> Problem:
    bad = np.flatnonzero(mask)
    return Problem(name, column, what, len(bad), t.take(pa.array(bad[:5])).to_pandas())
