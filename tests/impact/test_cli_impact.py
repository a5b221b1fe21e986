"""``learnrisk impact`` on a folder written by the weekly job (with a hold-out) and data whose
contacts and outcomes were simulated."""

from __future__ import annotations

import pandas as pd

from learnrisk import impact, synthetic


def test_impact_cli_prints_the_estimates_and_the_caveats(scored, tmp_path, run_cli):
    lists = impact.read_lists(scored["lists"])
    assert lists["held_out"].any() and (~lists["held_out"]).any()
    assert (lists["holdout_share"] == 0.3).all()
    data, truth = synthetic.simulate_contacts(scored["data"], lists, effect=0.3, seed=0)
    data.to_parquet(tmp_path / "data")
    code, out, err = run_cli("impact", "--lists", scored["lists"], "--data", tmp_path / "data", "--csv", tmp_path / "e.csv")
    assert code == 0, err
    assert f"ImpactResult({len(truth)} listed learners, {int(truth['held_out'].sum())} held out" in out
    assert "randomized    ITT (listed vs held out) withdrawal   all" in out
    assert "Caveats:" in out and "Course Signals" in out
    table = pd.read_csv(tmp_path / "e.csv")
    assert {"randomized", "observational"} <= set(table["design"])

    code, out, err = run_cli("impact", "--lists", scored["lists"], "--data", tmp_path / "data", "--from", "2015-01-01")
    assert code == 2 and "no risk list in" in err and "between 2015-01-01 and the last" in err
    code, out, err = run_cli("impact", "--lists", tmp_path / "nowhere", "--data", tmp_path / "data")
    assert code == 2 and "is not a folder" in err
