"""Plausibility checks and range checks of the data layer (issue 12): certain errors fail (CLI
exit 2, nothing written), suspicious data warns with counts and examples (LearningData.warnings,
``learnrisk validate``, ``summary.json``).

Cases of the issue: 1 (an OULAD day of 200000 wrapping around), 4 (an export that stops early, a
stale as-of date, scores on a 0-10 scale), 12 (clicks of 2**63 and 2**63-1); control characters
in ids; ``build_features`` with no row says why."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnrisk import synthetic
from learnrisk.data import LearningData, read_oulad
from learnrisk.data._validate import CLICKS_WARN, MAX_CLICKS
from learnrisk.errors import DataValidationError
from learnrisk.features import build_features
from learnrisk.scoring import score
from tests.conftest import make_tiny, run_cli
from tests.data.conftest import MINI, write_release

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """A small saved dropout model (logistic, trained on synthetic data)."""
    from learnrisk import targets
    from learnrisk.training import RiskModel

    base = tmp_path_factory.mktemp("i12-model")
    data = synthetic.generate(n_learners=200, seed=5)
    feats = build_features(data, weeks=range(1, 6))
    y = targets.make_labels(data, feats, "dropout")
    RiskModel("logistic", target="dropout").fit(feats[y.notna()], y[y.notna()]).save(base / "dropout")
    return base / "dropout"


def write_raw_parquet(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """The tables as a Parquet folder exactly as given (no coercion: bad values stay bad)."""
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def score_leaves_out_unchanged(capsys, data: Path, model: Path, out: Path, as_of: str) -> str:
    """``learnrisk score`` on bad data: exit 2, one line on stderr, OUT exactly as before."""
    (out / "2000-01-01").mkdir(parents=True, exist_ok=True)
    (out / "2000-01-01" / "summary.json").write_text("{}")
    before = _snapshot(out)
    code, _, err = run_cli(capsys, "score", "--data", data, "--model", model, "--as-of", as_of, "--out", out)
    assert code == 2, err
    assert "invalid data" in err or "invalid learning data" in err or "learnrisk:" in err
    assert _snapshot(out) == before
    return err


def _vle(files, row: int, **values):
    cols = files["studentVle.csv"][0]
    r = list(files["studentVle.csv"][row])
    for k, v in values.items():
        r[cols.index(k)] = v
    files["studentVle.csv"][row] = tuple(r)
    return files


# --------------------------------------------------------------------------- case 1: day overflow
def test_oulad_day_beyond_range_is_an_error_not_a_wrapped_date(tmp_path, capsys, model_path):
    files = _vle(copy.deepcopy(MINI), 4, date="200000")  # 2014J + 200000 days wrapped to 1976-10-11
    release = write_release(tmp_path / "r", files)
    with pytest.raises(DataValidationError) as err:
        read_oulad(release)
    e = err.value
    assert (e.table, e.column, e.count) == ("studentVle.csv", "date", 1)
    assert e.problem == "days more than 36,500 (100 years) from the presentation start"
    assert "200000" in str(e)
    code, _, err_text = run_cli(capsys, "validate", release)
    assert code == 2 and "studentVle.csv.date: days more than 36,500" in err_text
    score_leaves_out_unchanged(capsys, release, model_path, tmp_path / "out", "2014-11-01")


def test_oulad_presentation_year_out_of_range(tmp_path):
    files = copy.deepcopy(MINI)
    files["courses.csv"][1] = ("AAA", "2999B", "200")
    with pytest.raises(DataValidationError) as err:
        read_oulad(write_release(tmp_path / "r", files))
    assert any(p.problem == "presentation year outside 1900-2150" for p in err.value.problems)


# --------------------------------------------------------------------------- case 12: clicks
def _with_clicks(values, dtype=None):
    tables = make_tiny().tables()
    act = tables["activity"].copy()
    clicks = act["clicks"].astype(object)
    clicks.iloc[: len(values)] = values
    act["clicks"] = clicks.astype(dtype) if dtype else clicks
    tables["activity"] = act
    return tables


@pytest.mark.parametrize("dtype", ["uint64", None])
def test_clicks_of_2_63_are_not_wrapped_to_negative(dtype, tmp_path, capsys, model_path):
    tables = _with_clicks([2**63], dtype)
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    e = err.value
    assert [(p.table, p.column) for p in e.problems] == [("activity", "clicks")]
    assert "clicks below 1" not in str(e)
    assert e.problem.startswith("whole numbers ") and "9,223,372,036,854,775,807" in e.problem
    if dtype:
        folder = write_raw_parquet(tables, tmp_path / "bad")
        code, _, err_text = run_cli(capsys, "validate", folder)
        assert code == 2 and "activity.clicks: whole numbers above 9,223,372,036,854,775,807" in err_text
        score_leaves_out_unchanged(capsys, folder, model_path, tmp_path / "out", "2024-02-01")


def test_clicks_of_2_63_minus_1_are_an_error(tmp_path, capsys, model_path):
    tables = _with_clicks([2**63 - 1], "int64")
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    assert (err.value.column, err.value.problem) == ("clicks", f"clicks above {MAX_CLICKS:,} in one row (not a click count)")
    folder = write_raw_parquet(tables, tmp_path / "bad")
    code, _, err_text = run_cli(capsys, "validate", folder)
    assert code == 2 and "activity.clicks: clicks above 2,147,483,647 in one row" in err_text
    score_leaves_out_unchanged(capsys, folder, model_path, tmp_path / "out", "2024-02-01")


def test_oulad_clicks_of_2_63(tmp_path):
    for clicks, problem in (
        (str(2**63), "whole numbers outside -9,223,372,036,854,775,808 to 9,223,372,036,854,775,807"),
        (str(2**63 - 1), "clicks above 2,147,483,647 in one row (not a click count)"),
    ):
        release = write_release(tmp_path / clicks, _vle(copy.deepcopy(MINI), 4, sum_click=clicks))
        with pytest.raises(DataValidationError) as err:
            read_oulad(release)
        assert err.value.problem == problem


def test_many_clicks_in_one_row_warn():
    data = LearningData(**_with_clicks([CLICKS_WARN + 1, 20_000], "int64"))
    (w,) = data.warnings
    assert (w.table, w.column, w.count) == ("activity", "clicks", 2)
    assert w.problem == "implausible click counts (above 10,000 in one row)"
    assert "20000" in w.describe()


# --------------------------------------------------------------------------- ids
def test_control_characters_in_ids_are_rejected():
    tables = make_tiny().tables()
    c = tables["courses"].copy()
    c.loc[1, "course_code"] = "A\tB"
    tables["courses"] = c
    with pytest.raises(DataValidationError) as err:
        LearningData(**tables)
    assert [(p.table, p.column, p.problem, p.count) for p in err.value.problems] == [
        ("courses", "course_code", "ids with control characters (tab, newline, NUL...)", 1)
    ]


# --------------------------------------------------------------------------- case 4: warnings
def test_good_data_has_no_warning(tiny):
    assert tiny.warnings == [] and tiny.check() == []


def test_oulad_sample_has_no_warning(sample_data):
    assert sample_data.warnings == []


def _stopped_early():
    """A year of 2023 offering A-2023 (268 days) whose activity stops at day 133, the data going on."""
    tables = make_tiny().tables()
    c = tables["courses"].copy()
    c.loc[0, "end"] = c.loc[0, "start"] + pd.Timedelta(days=268)
    tables["courses"] = c
    act = tables["activity"].copy()
    extra = act[act["course_id"] == "A-2023"].iloc[[0]].assign(timestamp=c.loc[0, "start"] + pd.Timedelta(days=133))
    tables["activity"] = pd.concat([act, extra], ignore_index=True)
    return tables


def test_export_that_stops_early_warns(capsys, tmp_path):
    data = LearningData(**_stopped_early())
    (w,) = data.warnings
    assert (w.table, w.column, w.count) == ("courses", "end", 1)
    assert "activity of an offering that is over stops long before its end (last event at day 133 of 268" in w.problem
    assert "A-2023" in w.describe()
    code, out, _ = run_cli(capsys, "validate", data.to_parquet(tmp_path / "p"))
    assert code == 0  # suspicious, not wrong: the data is valid and the warning printed
    assert "note: warning: courses.end: activity of an offering that is over stops long before its end" in out


@pytest.mark.parametrize(("top", "scale"), [(9.5, "0-10"), (0.95, "0-1")])
def test_scores_on_a_small_scale_warn(top, scale):
    tables = make_tiny().tables()
    s = tables["submissions"]
    n = 20
    sub = pd.concat([s] * (n // len(s) + 1), ignore_index=True).head(n)
    sub = sub.assign(learner_id="L1", assessment_id=[f"X{i}" for i in range(n)], score=np.linspace(0, top, n))
    a = tables["assessments"]
    tables["assessments"] = pd.concat(
        [a, a.iloc[[0]].loc[[0] * n].assign(assessment_id=[f"X{i}" for i in range(n)])], ignore_index=True
    )
    tables["submissions"] = pd.concat([s.iloc[:0], sub], ignore_index=True)
    data = LearningData(**tables)
    (w,) = data.warnings
    assert (w.table, w.column, w.count) == ("submissions", "score", n)
    assert w.problem == f"scores look like a {scale} scale (all 20 at most {top:g}); learnrisk expects 0-100"


def test_events_far_outside_their_offering_and_in_the_future_warn():
    tables = make_tiny().tables()
    act = tables["activity"].copy()
    act.loc[0, "timestamp"] = T("2021-01-01")  # two years before A-2023 starts
    tables["activity"] = act
    data = LearningData(**tables)
    (w,) = data.warnings
    assert (w.table, w.column, w.count) == ("activity", "timestamp", 1)
    assert w.problem == "events far outside their offering (more than 365 days before its start or after its end)"

    from learnrisk.data._validate import plausibility

    found = plausibility(data.tables(), now=T("2023-06-01"))
    assert any(p.problem.startswith("events in the future (after 2023-06-01") for p in found)


def test_stale_as_of_date_warns_and_reaches_summary_json(tmp_path, model_path, caplog):
    data = synthetic.generate(n_learners=200, seed=5, as_of="2014-12-08")  # the export ends 2014-12-08
    assert data.check(as_of="2014-12-10") == []  # two days later: fresh
    (w,) = data.check(as_of="2015-01-20")
    assert (w.table, w.column) == ("activity", "timestamp")
    assert w.problem.startswith("as-of date 2015-01-20 is more than 14 days after the last event of a running offering")
    assert "days_since_last_event" in w.rows.columns

    from learnrisk.training import RiskModel

    res = score(data, "2015-01-20", RiskModel.load(model_path), out=tmp_path / "out")
    (record,) = res.summary["data"]["warnings"]
    assert record["problem"] == w.problem and record["count"] == w.count and record["examples"]
    written = json.loads((tmp_path / "out" / "2015-01-20" / "summary.json").read_text())
    assert written["data"]["warnings"] == json.loads(json.dumps(res.summary["data"]["warnings"]))
    # the page's banner and the console read the same warning as one line
    (line,) = res.summary["data_warnings"]
    assert line["message"].startswith("activity.timestamp: as-of date 2015-01-20 is more than 14 days after")
    html = (tmp_path / "out" / "2015-01-20" / "report.html").read_text()
    assert "as-of date 2015-01-20 is more than 14 days after" in html


# --------------------------------------------------------------------------- build_features with no row
def test_build_features_with_no_row_says_why(tiny, caplog):
    with caplog.at_level(logging.WARNING, logger="learnrisk.features"):
        assert build_features(tiny, as_of="2022-12-30").empty
    assert "no row to build: no offering is running at 2022-12-30 00:00 UTC (offerings run from 2023-01-01" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="learnrisk.features"):
        assert build_features(tiny, weeks=[200]).empty
    assert "no enrollment is active at weeks 200..200" in caplog.text and "the longest offering has 52 weeks" in caplog.text
