"""Issue 12, cases 7 and 9 for ``learnrisk synth``, and the CLI's one line for any OS error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from learnrisk.cli import os_error_line
from tests.conftest import run_cli
from tests.scoring.conftest import snapshot

SYNTH = ("synth", "--learners", "30", "--courses", "1", "--offerings", "1")


def _one_line(code: int, err: str, message: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("learnrisk: error: ") and message in lines[0], lines[0]


def test_synth_out_dot_is_refused(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = run_cli(capsys, *SYNTH, "--out", ".")
    _one_line(code, err, "--out . is the current folder or holds it")
    assert snapshot(tmp_path) == before


def test_synth_out_dot_is_refused_even_empty_and_with_force(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *SYNTH, "--out", ".", "--force")
    _one_line(code, err, "is the current folder or holds it")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["parquet", "oulad"])
def test_synth_refuses_a_folder_with_unrelated_files(tmp_path, capsys, fmt):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    before = snapshot(out)
    code, _, err = run_cli(capsys, *SYNTH, "--format", fmt, "--out", out)
    _one_line(code, err, f"--out {out} is a folder holding files synth did not write (thesis.docx)")
    assert "pass --force" in err
    assert snapshot(out) == before


def test_synth_writes_again_over_its_own_output_and_with_force(tmp_path, capsys):
    out = tmp_path / "s"
    assert run_cli(capsys, *SYNTH, "--out", out)[0] == 0
    assert run_cli(capsys, *SYNTH, "--seed", "1", "--out", out)[0] == 0  # only its own files: fine
    (out / "extra.txt").write_text("x")
    assert run_cli(capsys, *SYNTH, "--out", out)[0] == 2
    assert run_cli(capsys, *SYNTH, "--out", out, "--force")[0] == 0  # asked for: the folder is replaced
    assert not (out / "extra.txt").exists()


def test_synth_out_is_a_file(tmp_path, capsys):
    out = tmp_path / "f"
    out.write_text("x")
    code, _, err = run_cli(capsys, *SYNTH, "--out", out)
    _one_line(code, err, f"--out {out} is a file, not a folder")
    assert out.read_text() == "x"


def test_synth_into_a_read_only_place_is_one_line(tmp_path, capsys):
    """An OS error that no command words itself: the path and the cause, one line, exit 2."""
    if os.geteuid() == 0 and not Path("/proc/self").exists():
        pytest.skip("no /proc")
    code, _, err = run_cli(capsys, *SYNTH, "--out", "/proc/learnrisk-synth")
    _one_line(code, err, "cannot write to /proc/learnrisk-synth (/proc/")


def test_os_error_line_names_the_path_and_the_cause():
    exc = OSError(28, "No space left on device", "/data/out/x.parquet")
    assert os_error_line(exc) == "/data/out/x.parquet: No space left on device"
    assert os_error_line(PermissionError(13, "Permission denied", "a", None, "b")) == "a -> b: Permission denied"
