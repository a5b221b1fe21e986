"""notebooks/03-fairness.ipynb: what its outputs show, and that it skips OULAD gracefully."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.test_notebooks import NOTEBOOKS, _text, run_notebook

NOTEBOOK = NOTEBOOKS / "03-fairness.ipynb"


@pytest.mark.slow
def test_fairness_notebook_outputs_and_oulad_skip(tmp_path: Path):
    nb, seconds, _ = run_notebook(NOTEBOOK, tmp_path, LEARNRISK_OULAD=str(tmp_path / "missing"))
    text = _text(nb)
    assert "ABROCA = 0.25" in text
    assert "sensitive attributes among the model's features: []" in text
    assert "selection rates differ beyond the four-fifths bound" in text  # the strong world is flagged
    assert "flags: []" in text  # the world with no association is not
    assert "Sensitive attributes as model features: **yes" in text
    assert "No OULAD data at" in text and "skipped" in text
    assert seconds < 120
