"""Issue 12, cases 5, 7 and 8 for ``learnrisk score``: a risk list safe to open in a spreadsheet,
every OS error on output one line (exit 2, OUT unchanged), and the lock taken only after the
inputs are checked."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.errors import DataValidationError
from learnrisk.scoring import score
from learnrisk.scoring._tables import csv_bytes
from tests.scoring.conftest import AS_OF, NEXT_WEEK, snapshot
from tests.scoring.test_score_safety import _previous_once, previous  # noqa: F401 (fixtures: OUT with last week's list)


def _score(world, out: Path, as_of: str = AS_OF, data=None, **kw):
    return score(data if data is not None else world["data_path"], as_of, world["dropout_path"], world["under_path"], out=out, top_k=5, **kw)


def _argv(world, out, *extra) -> list[str]:
    return ["score", "--data", str(world["data_path"]), "--as-of", NEXT_WEEK, "--model", str(world["dropout_path"]),
            "--top-k", "5", "--out", str(out), *extra]  # fmt: skip


def _one_line(code: int, err: str, message: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("learnrisk: error: ") and message in lines[0], lines[0]


# ---------------------------------------------------------------- case 5: spreadsheet-safe CSV
# ids a spreadsheet would run as formulas; ids with control characters (tab, CR) never get this
# far (validation refuses them, see the tests below), and csv_bytes is checked on them directly
BAD_IDS = ["=HYPERLINK(\"http://x\",\"y\")", "+41 1", "-5", "@SUM(A1)", "'q"]
CONTROL_IDS = ["\tTAB", "\rCR", "a\rb"]


def _renamed(data: LearningData, ids: list[str]) -> tuple[LearningData, dict[str, str]]:
    """The world with the learners of the first running enrollments renamed to ``ids``."""
    running = data.enrollments.merge(data.courses, on="course_id")
    running = running[(running["start"] <= pd.Timestamp(AS_OF, tz="UTC")) & (running["end"] > pd.Timestamp(AS_OF, tz="UTC"))]
    chosen = running["learner_id"].drop_duplicates().head(len(ids)).tolist()
    mapping = dict(zip(chosen, ids))
    tables = {}
    for name, frame in data.tables().items():
        frame = frame.copy()
        if "learner_id" in frame.columns:
            frame["learner_id"] = frame["learner_id"].astype("str").replace(mapping).astype(frame["learner_id"].dtype)
        tables[name] = frame
    return LearningData(**tables), mapping


def test_formula_ids_are_neutralised_and_a_cr_never_splits_a_row(world, tmp_path):
    data, mapping = _renamed(world["data"], BAD_IDS)
    result = _score(world, tmp_path / "lists", data=data)
    parquet = pd.read_parquet(result.paths["risk_list.parquet"])
    raw = result.paths["risk_list.csv"].read_bytes()
    csv = pd.read_csv(io.BytesIO(raw), dtype={"learner_id": "str", "course_id": "str"}, keep_default_na=False)
    assert len(csv) == len(parquet) == len(result.risk_list)  # 116 == 116, not 117
    assert set(BAD_IDS) <= set(parquet["learner_id"])  # the Parquet keeps the true ids
    shown = set(csv["learner_id"])
    for bad in BAD_IDS:
        if bad[0] in "=+-@\t\r'":
            assert "'" + bad in shown and bad not in shown
        else:
            assert bad in shown
    assert not any(str(v)[:1] in ("=", "+", "-", "@", "\t", "\r") for v in csv.select_dtypes("object").stack())
    # next week, with the Parquet of the previous list damaged, the CSV gives the true ids back
    result.paths["risk_list.parquet"].write_bytes(b"damaged")
    nxt = _score(world, tmp_path / "lists", as_of=NEXT_WEEK, data=data)
    mine = nxt.risk_list[nxt.risk_list["learner_id"].isin(BAD_IDS)]
    assert nxt.summary["previous"] == AS_OF and len(mine) > 0
    assert mine["previous_risk"].notna().all()  # matched by their true ids


def test_control_characters_in_ids_are_refused_at_validation(world):
    with pytest.raises(DataValidationError, match="ids with control characters"):
        _renamed(world["data"], CONTROL_IDS)


def test_csv_neutralises_tab_and_cr_and_quotes_a_field_with_cr():
    """Defence in depth: should such ids reach the writer, a CR never splits a row."""
    frame = pd.DataFrame({"learner_id": CONTROL_IDS + ["ok"], "course_id": ["C"] * 4, "risk": [0.5, 0.4, 0.3, 0.2]})
    raw = csv_bytes(frame)
    back = pd.read_csv(io.BytesIO(raw), dtype={"learner_id": "str"}, keep_default_na=False)
    assert len(back) == 4
    assert set(back["learner_id"]) == {"'" + i for i in CONTROL_IDS if i[0] in "\t\r"} | {"a\rb", "ok"}
    assert b'"a\rb"' in raw  # a field with CR is quoted


# ---------------------------------------------------------------- case 7: OS errors on output
def test_out_is_a_file(world, tmp_path, run_cli):
    out = tmp_path / "lists"
    out.write_text("my notes")
    code, _, err = run_cli(*_argv(world, out))
    _one_line(code, err, f"--out {out} is a file, not a folder")
    assert out.read_text() == "my notes"


def test_out_is_a_dangling_symlink(world, tmp_path, run_cli):
    out = tmp_path / "lists"
    out.symlink_to(tmp_path / "gone")
    code, _, err = run_cli(*_argv(world, out))
    _one_line(code, err, f"--out {out} is a symbolic link to {tmp_path / 'gone'}, which does not exist")
    assert out.is_symlink() and not (tmp_path / "gone").exists()


def test_lock_is_a_folder(world, previous, run_cli):
    (previous / ".lock").unlink()
    (previous / ".lock").mkdir()
    before = snapshot(previous)
    code, _, err = run_cli(*_argv(world, previous))
    _one_line(code, err, f"{previous / '.lock'} is not a file (learnrisk keeps its lock there); remove it")
    assert snapshot(previous) == before


def test_as_of_folder_that_is_a_symlink_is_refused_even_with_force(world, previous, tmp_path, run_cli):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(previous / AS_OF, elsewhere)
    (previous / NEXT_WEEK).symlink_to(elsewhere)
    before, kept = snapshot(previous), snapshot(elsewhere)
    code, _, err = run_cli(*_argv(world, previous, "--force"))
    _one_line(code, err, f"{previous / NEXT_WEEK} is a symbolic link; learnrisk replaces only the as-of folders it wrote")
    assert snapshot(previous) == before and snapshot(elsewhere) == kept
    assert (previous / NEXT_WEEK).is_symlink()


@contextlib.contextmanager
def _tmpfs(where: Path, size: int):
    where.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); needs root and mount rights")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def _tree_size(folder: Path) -> int:
    return sum(((p.stat().st_size + 4095) // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def test_read_only_out(world, _previous_once, tmp_path, run_cli):
    with _tmpfs(tmp_path / "ro", 4 * 1024**2) as mnt:
        out = mnt / "lists"
        shutil.copytree(_previous_once, out)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True, capture_output=True)
        before = snapshot(out)
        code, _, err = run_cli(*_argv(world, out))
        _one_line(code, err, f"cannot write to {out} (")
        assert "Read-only file system" in err and f"{out} was left as it was" in err
        assert snapshot(out) == before


def test_disk_full(world, _previous_once, tmp_path, run_cli):
    room = _tree_size(_previous_once) + 64 * 1024  # last week's list fits, a second one does not
    with _tmpfs(tmp_path / "full", room) as mnt:
        out = mnt / "lists"
        shutil.copytree(_previous_once, out)
        before = snapshot(out)
        code, _, err = run_cli(*_argv(world, out))
        _one_line(code, err, f"cannot write to {out} (")
        assert "No space left on device" in err and "the disk is full: free some space" in err
        assert snapshot(out) == before  # no staging folder left, last week's list intact
        fresh = mnt / "fresh"
        code, _, err = run_cli(*_argv(world, fresh))
        assert code == 2 and not fresh.exists()  # a run that created OUT removes it again


def test_disk_full_through_dev_full(world, tmp_path, monkeypatch, run_cli):
    """Where no tmpfs can be mounted: every file written into staging goes to /dev/full."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    from learnrisk.scoring import _io

    real_open = open

    def full_open(file, mode="r", *a, **kw):
        if "w" in mode and ".tmp-" in str(file):
            return real_open("/dev/full", mode, *a, **kw)
        return real_open(file, mode, *a, **kw)

    monkeypatch.setattr(_io, "open", full_open, raising=False)
    out = tmp_path / "lists"
    code, _, err = run_cli(*_argv(world, out))
    _one_line(code, err, f"cannot write to {out} (")
    assert "No space left on device" in err
    assert not out.exists()


# ---------------------------------------------------------------- case 8: lock after the inputs
def _bad_catalog(tmp_path: Path) -> Path:
    path = tmp_path / "interventions.yaml"
    path.write_text("interventions: 12\n")
    return path


def _no_gender(world, tmp_path: Path) -> Path:
    folder = tmp_path / "no-gender"
    shutil.copytree(world["data_path"], folder)
    learners = pd.read_parquet(folder / "learners.parquet").drop(columns=["gender"])
    learners.to_parquet(folder / "learners.parquet", index=False)
    enr = pd.read_parquet(folder / "enrollments.parquet")
    enr.drop(columns=[c for c in ["gender"] if c in enr.columns]).to_parquet(folder / "enrollments.parquet", index=False)
    return folder


def _sensitive_model(world, tmp_path: Path) -> Path:
    import learnrisk
    from learnrisk import targets
    from learnrisk.training import RiskModel

    data = world["data"]
    feats = learnrisk.build_features(data, weeks=range(1, 11), include_sensitive=True)
    y = targets.make_labels(data, feats, "dropout")
    model = RiskModel("logistic", target="dropout").fit(feats[y.notna()], y[y.notna()])
    model.save(tmp_path / "sensitive-model")
    return tmp_path / "sensitive-model"


@pytest.mark.parametrize("case", ["bad intervention file", "missing sensitive column"])
def test_bad_inputs_leave_no_lock(world, previous, tmp_path, run_cli, case):
    (previous / ".lock").unlink()  # an OUT copied from elsewhere: no lock file yet
    if case == "bad intervention file":
        argv, message = _argv(world, previous, "--interventions", str(_bad_catalog(tmp_path))), "'interventions' must be a list"
    else:
        argv = _argv(world, previous)
        argv[argv.index("--data") + 1] = str(_no_gender(world, tmp_path))
        argv[argv.index("--model") + 1] = str(_sensitive_model(world, tmp_path))
        message = "gender"
    before = snapshot(previous)
    code, _, err = run_cli(*argv)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert snapshot(previous) == before and not (previous / ".lock").exists()
    fresh = tmp_path / "fresh-out"
    argv[argv.index("--out") + 1] = str(fresh)
    code, _, _ = run_cli(*argv)
    assert code == 2 and not fresh.exists()
