"""Recording actions: the Python API, the CLI and the advisors' sheet; the contacted column."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import learnrisk
from learnrisk import impact
from learnrisk.errors import DuplicateActionWarning, ImpactError

from .conftest import AS_OF


@pytest.fixture
def folder(scored, tmp_path):
    """A fresh copy of the scored world's Parquet folder."""
    return shutil.copytree(scored["data_path"], tmp_path / "data")


@pytest.fixture(scope="module")
def enrolled(scored):
    e = scored["data"].enrollments
    return e[e["course_id"].str.endswith("2014J")][["learner_id", "course_id"]].iloc[:3].to_numpy().tolist()


def test_log_action_appends_and_reads_back(folder, enrolled):
    (lid, cid), (lid2, cid2) = enrolled[0], enrolled[1]
    assert impact.read_actions(folder).empty
    row = impact.log_action(folder, lid, cid, "welcome-call", acted_at="2014-11-05", actor="adv-1", useful="yes")
    assert row["channel"].tolist() == ["phone"]  # the intervention's own channel
    impact.log_action(folder, lid2, cid2, "reengage-checkin", "no_response", acted_at="2014-11-06 10:30")
    got = impact.read_actions(folder)
    assert list(got["learner_id"]) == [lid, lid2] and list(got["status"]) == ["done", "no_response"]
    assert str(got["acted_at"].dtype) == "datetime64[ns, UTC]"
    assert got["acted_at"].iloc[1] == pd.Timestamp("2014-11-06 10:30", tz="UTC")
    assert pd.isna(got["useful"].iloc[1]) and got["useful"].iloc[0] == "yes"
    # the data folder still reads as a whole, with its actions table
    assert len(learnrisk.read_parquet(folder).actions) == 2
    assert not any(p.name.startswith(".actions.") and p.suffix == ".parquet" for p in folder.iterdir())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"intervention_id": "free text"}, "intervention_id 'free text' is not allowed; use an intervention id"),
        ({"status": "called"}, "status 'called' is not allowed; use one of planned, done, no_response"),
        ({"useful": "maybe"}, "useful 'maybe' is not allowed; use yes, no or empty"),
        ({"channel": "carrier pigeon"}, "channel 'carrier pigeon' is not allowed"),
        ({"actor": "Jane Doe, called about her divorce"}, "actor"),
        ({"learner_id": "nobody"}, "action of a learner not enrolled in the course"),
        ({"acted_at": "next tuesday"}, "acted_at 'next tuesday' is not a date"),
    ],
)
def test_bad_actions_are_refused_and_nothing_is_written(folder, enrolled, kwargs, message):
    lid, cid = enrolled[0]
    args = {"learner_id": lid, "course_id": cid, "intervention_id": "welcome-call", **kwargs}
    with pytest.raises(ImpactError, match=message):
        impact.log_action(folder, **args)
    assert not (folder / "actions.parquet").exists()


def test_the_filled_sheet_is_imported_and_a_bad_row_writes_nothing(scored, folder, tmp_path, run_cli):
    sheet = pd.read_csv(scored["lists"] / AS_OF / "actions-to-fill.csv", dtype="str", keep_default_na=False)
    assert len(sheet) >= 3
    sheet.loc[0, ["status", "acted_at", "useful"]] = ["done", "2014-11-04", "yes"]
    sheet.loc[1, ["status", "intervention_id"]] = ["no_response", "welcome-call"]
    sheet.loc[2, ["status", "acted_at"]] = ["phoned", "2014-11-04"]
    path = tmp_path / "filled.csv"
    sheet.to_csv(path, index=False)
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path, "--at", "2014-11-05")
    assert code == 2 and err.count("\n") == 1
    assert "filled.csv line 4: status 'phoned' is not allowed" in err
    assert not (folder / "actions.parquet").exists()

    sheet.loc[2, "status"] = ""  # not acted on: skipped
    sheet.to_csv(path, index=False)
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path)
    assert code == 2 and "filled.csv line 3: acted_at is empty" in err  # row 2 has no date and no --at
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path, "--at", "2014-11-05")
    assert code == 0, err
    assert "recorded 2 actions" in out
    got = impact.read_actions(folder)
    assert list(got["learner_id"]) == list(sheet["learner_id"].iloc[:2])
    assert list(got["acted_at"].dt.strftime("%Y-%m-%d")) == ["2014-11-04", "2014-11-05"]


def test_log_action_cli(folder, enrolled, run_cli):
    lid, cid = enrolled[0]
    code, out, err = run_cli(
        "log-action", "--data", folder, "--learner", lid, "--course", cid, "--intervention", "welcome-call",
        "--status", "done", "--actor", "adv-2", "--channel", "email", "--useful", "no", "--at", "2014-11-02",
    )  # fmt: skip
    assert code == 0, err
    assert f"recorded welcome-call (done) for learner {lid} in {cid} at 2014-11-02 00:00 UTC" in out
    code, out, err = run_cli("log-action", "--data", folder, "--learner", lid, "--course", cid, "--intervention", "nope")
    assert code == 2 and err.startswith("learnrisk: error: log-action: intervention_id 'nope' is not allowed")
    code, out, err = run_cli("log-action", "--data", folder, "--learner", lid)
    assert code == 2 and "missing --course, --intervention" in err
    assert len(impact.read_actions(folder)) == 1


def test_the_next_report_shows_who_was_contacted(scored, folder, enrolled):
    listed = scored["result"].risk_list.query("band != 'low'")
    lid, cid = listed["learner_id"].iloc[0], listed["course_id"].iloc[0]
    impact.log_action(folder, lid, cid, "welcome-call", acted_at="2014-11-01", actor="adv-1")
    impact.log_action(folder, lid, cid, "reengage-call", "no_response", acted_at="2014-11-03")  # on the as-of day: not yet known
    res = learnrisk.score(folder, AS_OF, scored["model"], top_k=5, bands=(0.3, 0.1))
    row = res.risk_list.set_index(["course_id", "learner_id"]).loc[(cid, lid)]
    assert row["contacted"] == "2014-11-01 phone: welcome-call (done)"
    assert (res.risk_list["contacted"] != "").sum() == 1
    assert "<th>Contacted</th>" in res.report_html and "2014-11-01 phone: welcome-call (done)" in res.report_html
    plain = scored["result"]  # data without actions: no column
    assert "contacted" not in plain.risk_list.columns and "<th>Contacted</th>" not in plain.report_html


def test_a_duplicate_action_warns_and_is_not_written_twice(folder, enrolled, run_cli):
    """Same course, learner, day and intervention: one warning line, nothing written (exit 0);
    another time of the same day or another status is still the same action; --allow-duplicate
    writes it, and read_actions then reports it."""
    lid, cid = enrolled[0]
    args = ["log-action", "--data", folder, "--learner", lid, "--course", cid, "--intervention", "welcome-call"]
    code, out, err = run_cli(*args, "--at", "2014-11-02 09:00")
    assert code == 0 and err == "", err
    code, out, err = run_cli(*args, "--at", "2014-11-02 16:30", "--status", "no_response")
    assert code == 0 and "recorded nothing" in out
    assert err == (f"warning: log-action: learner {lid} in {cid}: welcome-call on 2014-11-02 is recorded already; "
                   "not recorded again (--allow-duplicate, allow_duplicate=True, records it)\n")  # fmt: skip
    assert len(impact.read_actions(folder)) == 1
    code, out, err = run_cli(*args, "--at", "2014-11-03")  # another day: another action
    assert code == 0 and err == "" and len(impact.read_actions(folder)) == 2
    code, out, err = run_cli(*args, "--at", "2014-11-02", "--allow-duplicate")
    assert code == 0 and err == "" and "recorded welcome-call (done)" in out
    with pytest.warns(DuplicateActionWarning, match=r"holds 1 action recorded more than once .*first: learner"):
        got = impact.read_actions(folder)
    assert len(got) == 3 and len(impact.duplicate_actions(got)) == 1
    with pytest.warns(DuplicateActionWarning, match="is recorded already"):
        assert impact.log_action(folder, lid, cid, "welcome-call", acted_at="2014-11-03").empty


def test_a_sheet_with_duplicates_writes_the_others(scored, folder, tmp_path, run_cli):
    sheet = pd.read_csv(scored["lists"] / AS_OF / "actions-to-fill.csv", dtype="str", keep_default_na=False)
    sheet = pd.concat([sheet.iloc[:2], sheet.iloc[:1]], ignore_index=True)  # line 4 repeats line 2
    sheet["status"], sheet["acted_at"] = "done", "2014-11-04"
    path = tmp_path / "filled.csv"
    sheet.to_csv(path, index=False)
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path)
    assert code == 0 and "recorded 2 actions" in out
    assert err.count("\n") == 1 and err.startswith("warning: filled.csv line 4: learner ")
    assert "(1 action of 3 repeat one)" in err
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path)  # all recorded already
    assert code == 0 and "recorded 0 actions" in out and "(3 actions of 3 repeat one)" in err
    assert len(impact.read_actions(folder)) == 2
    code, out, err = run_cli("log-action", "--data", folder, "--from-csv", path, "--allow-duplicate")
    assert code == 0 and "recorded 3 actions" in out and err == ""
    with pytest.warns(DuplicateActionWarning, match="holds 3 actions recorded more than once"):
        assert len(impact.read_actions(folder)) == 5
