"""Strict time parsing (learnrisk.timeline.parse_times, issue 12): every accepted encoding gives
the true instant, anything ambiguous is an error naming the column, examples and the fix.

Cases of the issue: 2 (day-first strings), 3 (epoch seconds read as nanoseconds), 13 (whole
numbers written as floats in OULAD files)."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnrisk import timeline
from learnrisk.data import LearningData, read_oulad, read_parquet
from learnrisk.errors import ConfigError, DataValidationError
from learnrisk.timeline import TIME_UNITS, parse_times
from tests.conftest import run_cli
from tests.data.conftest import MINI, write_release
from tests.data.test_plausibility import model_path, score_leaves_out_unchanged, write_raw_parquet  # noqa: F401

UNIT_HINT = "numbers without a unit; pass time_unit='s' (or 'ms', 'us', 'ns', 'D')"


# --------------------------------------------------------------------------- the parser
def test_iso_forms_and_native_types_parse_to_utc():
    got = parse_times(
        pd.Series(
            ["2024-03-04", "2024-03-04T09:30:00Z", "2024-03-04T10:30:00+01:00", "2024-03-04 09:30", None],
            dtype=object,
        ),
        "x.t",
    )
    assert got.dtype == "datetime64[ns, UTC]"
    assert got.tolist()[:4] == [
        pd.Timestamp("2024-03-04", tz="UTC"),
        pd.Timestamp("2024-03-04 09:30", tz="UTC"),
        pd.Timestamp("2024-03-04 09:30", tz="UTC"),
        pd.Timestamp("2024-03-04 09:30", tz="UTC"),
    ]
    assert got.isna().tolist() == [False] * 4 + [True]
    native = pd.Series(pd.to_datetime(["2024-03-04 10:30"]).tz_localize("Europe/Paris"))
    assert parse_times(native, "x.t").iloc[0] == pd.Timestamp("2024-03-04 09:30", tz="UTC")
    mixed = pd.Series([dt.datetime(2024, 3, 4, 9, 30), pd.Timestamp("2024-03-04 09:30", tz="UTC")], dtype=object)
    assert parse_times(mixed, "x.t").nunique() == 1


@pytest.mark.parametrize(
    ("values", "unit", "problem"),
    [
        (["06/01/2013", "2013-01-07"], None, "dates with slashes or dots such as '06/01/2013': day-first or month-first is ambiguous; write ISO 8601"),
        (["9th of Jan"], None, "timestamps that cannot be parsed; write ISO 8601"),
        ([1356998400, 1357084800], None, UNIT_HINT + " for learners.registered_at"),
        (["1356998400"], None, UNIT_HINT),
        ([1356998400, "2013-01-01"], "s", "a mix of numbers and dates"),
        (["3000-01-01"], None, "times outside 1677-09-21 to 2262-04-11"),
        ([2**63], "ns", "times outside"),
        ([True], None, "true/false values, not times"),
    ],
)
def test_bad_encodings_name_the_column_the_values_and_the_fix(values, unit, problem):
    s = pd.Series(values, dtype=object) if any(isinstance(v, str) for v in values) else pd.Series(values)
    with pytest.raises(DataValidationError) as err:
        parse_times(s, "learners.registered_at", unit=unit)
    e = err.value
    assert (e.table, e.column) == ("learners", "registered_at")
    assert problem in e.problem, e.problem
    assert any(str(v) in str(e) for v in values)  # the offending values are shown


def test_unknown_unit_is_a_config_error():
    with pytest.raises(ConfigError, match="time_unit for x.t must be one of 'D', 's', 'ms', 'us', 'ns', found 'sec'"):
        parse_times(pd.Series([1]), "x.t", unit="sec")
    with pytest.raises(ConfigError, match="found 'h'"):
        LearningData(**_tiny_tables(), time_unit={"activity.timestamp": "h"})


# --------------------------------------------------------------------------- property
_LO, _HI = pd.Timestamp("1700-01-01", tz="UTC").value, pd.Timestamp("2250-01-01", tz="UTC").value
ENCODINGS = ("iso_z", "iso_offset", "iso_naive", "timestamp", "timestamp_tz", "datetime", "datetime64", *TIME_UNITS, "float_s")


def _encode(ns: int, how: str, offset_min: int):
    """(encoded value, the instant it stands for in ns, unit to pass); the instant is floored to
    what the encoding can hold."""
    t = pd.Timestamp(ns, tz="UTC")
    if how == "iso_z":
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns % 10**9:09d}Z", ns, None
    if how == "iso_offset":
        tz = dt.timezone(dt.timedelta(minutes=offset_min))
        local = t.tz_convert(tz)
        sign = "+" if offset_min >= 0 else "-"
        off = f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns % 10**9:09d}{off}", ns, None
    if how == "iso_naive":
        return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ns % 10**9:09d}", ns, None
    if how == "timestamp":
        return t.tz_localize(None), ns, None
    if how == "timestamp_tz":
        return t.tz_convert(dt.timezone(dt.timedelta(minutes=offset_min))), ns, None
    if how == "datetime":
        us = ns // 1000 * 1000
        return pd.Timestamp(us, tz="UTC").to_pydatetime(), us, None
    if how == "datetime64":
        return np.datetime64(ns // 1000, "us"), ns // 1000 * 1000, None
    if how == "float_s":
        s = ns // 10**9
        return float(s), s * 10**9, "s"
    step = TIME_UNITS[how]
    return ns // step, ns // step * step, how


@settings(max_examples=300, deadline=None)
@given(
    ns=st.integers(_LO, _HI),
    how=st.sampled_from(ENCODINGS),
    offset_min=st.integers(-14 * 60, 14 * 60),
    as_object=st.booleans(),
)
def test_every_accepted_encoding_parses_to_the_true_instant_or_raises(ns, how, offset_min, as_object):
    value, instant, unit = _encode(ns, how, offset_min)
    s = pd.Series([value], dtype=object) if as_object else pd.Series([value])
    try:
        got = parse_times(s, "x.t", unit=unit)
    except (DataValidationError, ConfigError):
        return  # refusing is allowed; shifting is not
    assert got.iloc[0].value == instant, (value, got.iloc[0])
    if unit is not None:  # a number without its unit is never guessed
        with pytest.raises(DataValidationError, match="numbers without a unit"):
            parse_times(s, "x.t")


def test_to_ns_of_parsed_times_round_trips():
    s = parse_times(pd.Series(["2024-03-04T09:30:00.123456789Z"]), "x.t")
    assert timeline.to_ns(s)[0] == pd.Timestamp("2024-03-04T09:30:00.123456789Z").value


# --------------------------------------------------------------------------- case 2: day-first strings
def _tiny_tables():
    from tests.conftest import make_tiny

    return make_tiny().tables()


def _day_first(tables):
    e = tables["enrollments"].copy()
    e["registered_at"] = e["registered_at"].dt.strftime("%d/%m/%Y").astype(object)  # 06/01/2013 style
    tables["enrollments"] = e
    return tables


def test_day_first_dates_are_an_error_not_moved_months(tmp_path, capsys, model_path):
    tables = _day_first(_tiny_tables())
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert [(p.table, p.column) for p in e.problems] == [("enrollments", "registered_at")]
    assert e.count == 8
    assert "day-first or month-first is ambiguous; write ISO 8601 such as 2024-03-04" in e.problem
    assert "'01/12/2022'" in e.problem and "L1" in str(e)  # an example value and the offending row

    folder = write_raw_parquet(tables, tmp_path / "bad")
    code, out, err_text = run_cli(capsys, "validate", folder)
    assert code == 2
    assert "enrollments.registered_at: dates with slashes or dots such as '01/12/2022'" in err_text
    score_leaves_out_unchanged(capsys, folder, model_path, tmp_path / "out", "2024-02-01")


# --------------------------------------------------------------------------- case 3: epoch seconds
def _epoch_seconds(tables):
    act = tables["activity"].copy()
    act["timestamp"] = act["timestamp"].astype("int64") // 10**9  # integer epoch seconds
    tables["activity"] = act
    return tables


def test_epoch_seconds_need_a_unit(tmp_path, capsys, model_path):
    tiny = _tiny_tables()
    tables = _epoch_seconds(copy.deepcopy(tiny))
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert (e.table, e.column, e.count) == ("activity", "timestamp", len(tables["activity"]))
    assert UNIT_HINT + " for activity.timestamp" in e.problem

    for unit in ("s", {"activity.timestamp": "s"}, {"timestamp": "s"}):  # with the unit: the true instants
        data = LearningData(**_epoch_seconds(copy.deepcopy(tiny)), time_unit=unit)
        pd.testing.assert_series_equal(data.activity["timestamp"], tiny["activity"]["timestamp"])

    folder = write_raw_parquet(tables, tmp_path / "bad")
    code, _, err_text = run_cli(capsys, "validate", folder)
    assert code == 2 and "activity.timestamp: numbers without a unit; pass time_unit='s'" in err_text
    assert read_parquet(folder, time_unit="s").activity["timestamp"].tolist() == tiny["activity"]["timestamp"].tolist()
    score_leaves_out_unchanged(capsys, folder, model_path, tmp_path / "out", "2024-02-01")


# --------------------------------------------------------------------------- case 13: "-159.0" in OULAD
def test_oulad_whole_numbers_written_as_floats_are_read(tmp_path):
    files = copy.deepcopy(MINI)
    reg = files["studentRegistration.csv"]
    reg[1] = ("AAA", "2014B", "7", "-30.0", "")  # what pandas writes for a column with missing values
    reg[3] = ("AAA", "2014B", "8", "-5.0", "-20.0")
    vle = files["studentVle.csv"]
    vle[1] = ("AAA", "2014B", "7", "1", "-3.0", "2.0")
    got = read_oulad(write_release(tmp_path / "floats", files))
    want = read_oulad(write_release(tmp_path / "ints"))
    for name in ("enrollments", "activity"):
        pd.testing.assert_frame_equal(got.tables()[name], want.tables()[name])


def test_oulad_fractional_day_is_still_an_error(tmp_path):
    files = copy.deepcopy(MINI)
    files["studentRegistration.csv"][1] = ("AAA", "2014B", "7", "-30.5", "")
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    assert (err.value.table, err.value.column) == ("studentRegistration.csv", "date_registration")
    assert "values that are not whole numbers" in err.value.problem
