"""The weekly job's randomized hold-out, its actions sheet and the contacted column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import learnrisk
from learnrisk.errors import ScoringError
from learnrisk.scoring import holdout_mask

from .conftest import AS_OF


def test_the_hash_is_deterministic_and_keeps_the_share():
    ids = [str(i) for i in range(20_000)]
    a = holdout_mask(["AAA-2014J"] * len(ids), ids, 0.1, "s")
    assert np.array_equal(a, holdout_mask(["AAA-2014J"] * len(ids), ids, 0.1, "s"))
    assert abs(a.mean() - 0.1) < 0.01
    other = holdout_mask(["AAA-2014J"] * len(ids), ids, 0.1, "another salt")
    assert abs(other.mean() - 0.1) < 0.01 and (a != other).sum() > 1000
    # a larger share holds out a superset: raising it never returns a held-out learner to the list
    assert (a <= holdout_mask(["AAA-2014J"] * len(ids), ids, 0.2, "s")).all()
    assert not holdout_mask(["AAA-2014J"] * 3, ["1", "2", "3"], 0.0).any()


def test_held_out_learners_leave_the_list_and_the_report(scored):
    res = scored["result"]
    folder = res.folder
    held = pd.read_csv(folder / "holdout.csv", dtype={"learner_id": "str"})
    plain = learnrisk.score(scored["data"], AS_OF, scored["model"], top_k=5, bands=(0.3, 0.1))
    listed = plain.risk_list[plain.risk_list["band"] != "low"]
    expected = listed[holdout_mask(listed["course_id"], listed["learner_id"], 0.3, "x")]
    assert len(expected) >= 3
    assert sorted(zip(held["course_id"], held["learner_id"])) == sorted(zip(expected["course_id"], expected["learner_id"]))
    assert (held["as_of"] == AS_OF).all() and list(held["rank"]) == list(expected["rank"])
    keys = set(zip(res.risk_list["course_id"], res.risk_list["learner_id"]))
    assert not keys & set(zip(held["course_id"], held["learner_id"]))
    assert len(res.risk_list) == len(plain.risk_list) - len(held)
    html = (folder / "report.html").read_text()
    shown = res.risk_list[res.risk_list["band"] != "low"]["learner_id"].iloc[0]
    assert f'data-v="{shown}">{shown}' in html  # the pattern finds a listed learner
    for lid in held["learner_id"]:
        assert f'data-v="{lid}">{lid}' not in html
    # the advisors' list is ranked again, and its capacity filled
    for _, rows in res.risk_list.groupby("course_id"):
        assert list(rows["rank"]) == list(range(1, len(rows) + 1))
        assert rows["contact_now"].sum() == min(5, (rows["band"] != "low").sum())
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["holdout"] == {"share": 0.3, "salt": "x", "held_out": len(held), "file": "holdout.csv"}


def test_holdout_is_off_by_default_and_checked(scored, tmp_path):
    res = learnrisk.score(scored["data"], AS_OF, scored["model"], out=tmp_path, top_k=5)
    assert not (res.folder / "holdout.csv").exists()
    assert res.summary["holdout"]["share"] == 0 and res.summary["holdout"]["held_out"] == 0
    with pytest.raises(ScoringError, match="between 0 and 0.5"):
        learnrisk.score(scored["data"], AS_OF, scored["model"], holdout=0.9)


def test_the_actions_sheet_lists_the_listed_learners(scored):
    res = scored["result"]
    sheet = pd.read_csv(res.folder / "actions-to-fill.csv", dtype="str", keep_default_na=False)
    listed = res.risk_list[res.risk_list["band"] != "low"]
    assert list(sheet["learner_id"]) == list(listed["learner_id"])
    assert (sheet[["acted_at", "status", "channel", "useful"]] == "").all().all()
    first = listed["intervention_ids"].str.split(",").str[0]
    assert list(sheet["intervention_id"]) == list(first)


@pytest.mark.slow
def test_score_cli_holdout(scored, tmp_path, run_cli):
    code, out, err = run_cli(
        "score", "--data", scored["data_path"], "--as-of", AS_OF, "--model", scored["base"] / "model",
        "--out", tmp_path, "--bands", "0.3,0.1", "--holdout", "0.3", "--holdout-salt", "x", "--top-k", "5",
    )  # fmt: skip
    assert code == 0, err
    assert "held out" in out and "holdout.csv" in out
    assert (tmp_path / AS_OF / "holdout.csv").read_bytes() == (scored["lists"] / AS_OF / "holdout.csv").read_bytes()
