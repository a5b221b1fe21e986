"""``learnrisk fairness``: the tables on the terminal, the optional files, errors as one line."""

from __future__ import annotations

import json

import pytest

import learnrisk
from tests.conftest import run_cli as run
from learnrisk import synthetic


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("fairness-cli")
    data = synthetic.generate(n_learners=800, n_courses=1, offerings=2, seed=5, sensitive_effect="modest")
    data.to_parquet(root / "data")
    model, _ = learnrisk.train(data, target="dropout", weeks=range(1, 5), model="logistic", baselines=False, fairness=False)
    model.save(root / "model")
    return root


def test_fairness_command_prints_tables_and_writes_files(saved, capsys, tmp_path):
    code, out, err = run(
        capsys, "fairness", "--model", saved / "model", "--data", saved / "data", "--weeks", "1-4",
        "--groups", "gender,disability", "--permutations", "99",
        "--markdown", tmp_path / "audit.md", "--json", tmp_path / "audit.json", "--plots", tmp_path / "plots",
    )
    assert code == 0, err
    assert "ABROCA per attribute, weeks 1-4 pooled" in out and "Per group, weeks pooled" in out
    assert "gender" in out and "disability" in out
    md = (tmp_path / "audit.md").read_text()
    assert md.startswith("# Fairness audit") and "| gender | F |" in md
    d = json.loads((tmp_path / "audit.json").read_text())
    assert d["params"]["attributes"] == ["gender", "disability"] and d["params"]["weeks"] == [1, 2, 3, 4]
    assert (tmp_path / "plots" / "roc_gender.png").stat().st_size > 1000


def test_fairness_command_errors_are_one_line(saved, capsys, tmp_path):
    code, _, err = run(capsys, "fairness", "--model", tmp_path / "nothing", "--data", saved / "data")
    assert code == 2 and err.startswith("learnrisk: error: no model at") and err.count("\n") == 1
    code, _, err = run(capsys, "fairness", "--model", saved / "model", "--data", saved / "data", "--groups", "shoe_size", "--weeks", "1")
    assert code == 2 and "shoe_size" in err and err.count("\n") == 1
