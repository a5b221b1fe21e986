"""Every notebook in notebooks/ runs top to bottom on small data, and is stored without outputs.

Each notebook runs with nbclient in a temporary copy of the notebooks folder (the working
directory of the kernel, so relative paths behave as in Jupyter), with ``LEARNRISK_NB_SMALL=1``
for small sizes. The kernel is the ``python3`` kernelspec of this virtual environment; a cell
appended to the in-memory copy checks that it runs this environment's interpreter. OULAD
notebooks get the sample in ../shared through ``LEARNRISK_OULAD`` (they skip themselves
gracefully when it is absent, which is tested too).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import OULAD_SAMPLE

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell
PROBE = "import sys\nprint('KERNEL-PREFIX=' + sys.prefix)"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LEARNRISK_NB_SMALL="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    env.pop("MLFLOW_TRACKING_URI", None)  # a notebook that logs must set its own (temporary) URI
    if (OULAD_SAMPLE / "studentInfo.csv").exists():
        env["LEARNRISK_OULAD"] = str(OULAD_SAMPLE)
    env.update(extra)
    return env


def run_notebook(path: Path, tmp_path: Path, **env: str) -> tuple[nbformat.NotebookNode, float, Path]:
    """Execute ``path`` in a copy of its folder; return the executed notebook, seconds and the folder."""
    folder = tmp_path / "notebooks"
    shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nb = nbformat.read(folder / path.name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute(env=_env(**env))
    except CellExecutionError as exc:  # name the notebook; the message has the cell and the traceback
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    seconds = time.perf_counter() - t0
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    assert f"KERNEL-PREFIX={sys.prefix}" in probe, f"the kernel ran another Python: {probe!r}, expected {sys.prefix}"
    return nb, seconds, folder


def _text(nb: nbformat.NotebookNode) -> str:
    """All stream and plain-text outputs of the executed notebook, for content checks."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", ""))
            parts.append(o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_notebooks_are_found():
    names = [p.name for p in PATHS]
    assert "01-quickstart.ipynb" in names and "02-oulad.ipynb" in names, names


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or an execution count; clear them before committing "
        "(uv run --with nbconvert jupyter nbconvert --clear-output --inplace notebooks/*.ipynb)"
    )


@pytest.fixture(scope="module")
def execute(tmp_path_factory):
    """Run each notebook at most once per test module (several tests read its outputs)."""
    done: dict[Path, tuple] = {}

    def run(path: Path):
        if path not in done:
            try:
                done[path] = ("ok", run_notebook(path, tmp_path_factory.mktemp(path.stem)))
            except BaseException as exc:  # pytest.fail's exception too: report it once per test
                done[path] = ("failed", exc)
        status, value = done[path]
        if status == "failed":
            raise value
        return value

    return run


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path, execute, record_property):
    nb, seconds, folder = execute(path)
    record_property("seconds", round(seconds, 1))
    print(f"{path.name}: {seconds:.1f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # nothing is left behind in the notebooks folder: what a notebook writes goes to temporary folders
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(p.name for p in NOTEBOOKS.iterdir() if p.name != ".ipynb_checkpoints"), left


def test_quickstart_shows_the_whole_flow(execute):
    """The quickstart's outputs hold the evaluation, the as-of check, an explanation and a risk list."""
    nb, _, _ = execute(NOTEBOOKS / "01-quickstart.ipynb")
    text = _text(nb)
    assert "EvaluationReport(target='dropout'" in text
    assert "auc_logistic" in text and "auc_rule" in text
    assert "rows whose clicks_1w changed, by week: {4: 0," in text
    assert "Explanation(1 rows" in text
    assert "risk_list.csv" in text and "summary.json" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3, f"expected the early-warning, reliability and importance plots, found {images} images"


def test_oulad_notebook_uses_the_temporal_split(execute, oulad_sample):
    nb, _, _ = execute(NOTEBOOKS / "02-oulad.ipynb")
    text = _text(nb)
    assert "trained on: ['BBB-2013B'] - tested on: ['AAA-2013J']" in text
    assert "EvaluationReport(target='dropout', test=['AAA-2013J']" in text
    assert "ScoreResult(as_of=" in text and "done" in text


def test_oulad_notebook_skips_without_data(tmp_path: Path):
    nb, _, _ = run_notebook(NOTEBOOKS / "02-oulad.ipynb", tmp_path, LEARNRISK_OULAD=str(tmp_path / "missing"))
    text = _text(nb)
    assert "No OULAD data at" in text and "skipped: no OULAD data" in text
    assert "EvaluationReport" not in text


@pytest.mark.slow
def test_quickstart_logs_to_mlflow(tmp_path: Path):
    """The optional MLflow section: a run in a temporary store, registered and loaded back."""
    nb, _, folder = run_notebook(NOTEBOOKS / "01-quickstart.ipynb", tmp_path, LEARNRISK_NB_MLFLOW="1")
    text = _text(nb)
    assert "- gate passed:" in text and "RiskModel(" in text
    assert "MLflow logging skipped" not in text
    assert not any(p.name in ("mlflow.db", "mlartifacts", "mlruns") for p in folder.iterdir())


def test_impact_notebook_compares_the_estimate_with_the_truth(execute):
    nb, _, _ = execute(NOTEBOOKS / "04-impact.ipynb")
    text = _text(nb)
    assert "holdout.csv" in text and "actions-to-fill.csv" in text
    assert "ITT (listed vs held out)" in text and "Course Signals" in text
    assert "covered" in text and "holds 0" in text
