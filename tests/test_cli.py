"""The command line's face: a fast ``--help`` (no heavy import), ``--version``, one-line usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import learnrisk
from learnrisk import _format
from tests.conftest import run_cli

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "lightgbm", "mlflow", "matplotlib", "shap")

PROBE = f"""
import json, sys
from learnrisk.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
"""


def _probe(*args: str) -> subprocess.CompletedProcess:
    """Run the entry point in a fresh interpreter; report which heavy libraries it imported."""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    code = PROBE
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["score", "--help"], ["--version"]])
def test_help_imports_no_heavy_library(args):
    proc = _probe(*args)
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr[-2000:]
    assert json.loads(line[-1].removeprefix("HEAVY=")) == []


def test_help_lists_every_command(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for name in ("validate", "synth", "features", "train", "explain", "score", "demo", "fairness"):
        assert name in out


def test_version(capsys):
    code, out, err = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"learnrisk {learnrisk.__version__}" == "learnrisk 0.1.0" and not err


@pytest.mark.parametrize(
    "args, message",
    [
        (["trian"], "No such command 'trian'"),
        (["train", "--data", "x", "--bogus"], "No such option: --bogus"),
        (["train"], "Missing option '--data'"),
        (["fairness", "--model", "m", "--data", "d", "--top-frac", "many"], "--top-frac"),
        (["train", "--data", "x", "--weeks", "three"], "cannot read weeks 'three'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys, args, message):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and not out
    assert err.startswith("learnrisk: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_shared_options_are_declared_once():
    """``--data``, ``--tracking-uri``, ``--as-of`` are one declaration each, used by every command."""
    import typer

    from learnrisk.cli import app

    group = typer.main.get_command(app)
    helps: dict[str, set[str]] = {}
    for name, command in group.commands.items():
        for param in command.params:
            for flag in param.opts:
                if flag in ("--data", "--tracking-uri", "--as-of"):
                    helps.setdefault(flag, set()).add(param.help)
    assert set(helps) == {"--data", "--tracking-uri", "--as-of"}
    assert all(len(texts) == 1 for texts in helps.values()), helps


def test_one_missing_mark():
    nan = float("nan")
    assert _format.MISSING == "—"
    for f in (_format.format_probability, _format.format_percent, _format.format_number, _format.format_cell,
              _format.format_count, _format.format_signed, _format.format_points, _format.format_readable):
        assert f(None) == _format.MISSING and f(nan) == _format.MISSING


def test_format_numpy_and_pandas_values():
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert _format.format_cell(np.int64(12345)) == "12,345"
    assert _format.format_cell(np.float32(0.5)) == "0.500"
    assert _format.format_cell(np.bool_(True)) == "yes"
    assert _format.format_cell(pd.NA) == _format.MISSING and _format.format_cell(pd.NaT) == _format.MISSING
    assert _format.format_probability(np.float64(0.999)) == ">99%"
    assert _format.format_probability(0.004) == "<1%" and _format.format_probability(1.0) == ">99%"
