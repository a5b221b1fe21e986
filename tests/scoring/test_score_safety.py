"""The weekly job's safety properties, one test each.

Atomic folder, no overwrite without --force, --force replaces, one run per OUT (lock),
byte-identical re-runs, a run killed while writing, and every user error: exit code 2, one line,
OUT unchanged.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from learnrisk.data import LearningData
from learnrisk.errors import ScoringError
from learnrisk.scoring import score
from tests.scoring.conftest import AS_OF, NEXT_WEEK, cli_command, cli_env, snapshot

FILES = ["actions-to-fill.csv", "report.html", "risk_list.csv", "risk_list.parquet", "summary.json"]
ENTRIES = sorted([*FILES, "course", "institution.html"])  # with the course and institution views


def _score(world, out: Path, as_of: str = AS_OF, **kw):
    return score(world["data_path"], as_of, world["dropout_path"], world["under_path"], out=out, top_k=5, **kw)


@pytest.fixture(scope="module")
def _previous_once(world, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "lists"
    _score(world, out)
    return out


@pytest.fixture
def previous(_previous_once, tmp_path) -> Path:
    """An OUT folder holding last week's list (AS_OF): a fresh copy for each test."""
    out = tmp_path / "lists"
    shutil.copytree(_previous_once, out)
    return out


def test_write_is_one_complete_folder(previous):
    assert sorted(p.name for p in previous.iterdir()) == [".lock", AS_OF]
    assert sorted(p.name for p in (previous / AS_OF).iterdir()) == ENTRIES
    rl = pd.read_parquet(previous / AS_OF / "risk_list.parquet")
    csv = pd.read_csv(previous / AS_OF / "risk_list.csv", dtype={"learner_id": "str"})
    assert len(rl) == len(csv) > 0
    assert rl["learner_id"].tolist() == csv["learner_id"].tolist()


def test_existing_folder_is_never_changed_without_force(world, previous, run_cli):
    before = snapshot(previous)
    with pytest.raises(ScoringError, match="already exists; pass --force"):
        score(world["data_path"], AS_OF, world["dropout_path"], out=previous, top_k=7)
    assert snapshot(previous) == before
    code, _, err = run_cli(
        "score", "--data", world["data_path"], "--as-of", AS_OF, "--model", world["dropout_path"], "--out", previous
    )
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--force" in err
    assert snapshot(previous) == before


def test_force_replaces_the_folder(world, previous):
    old_csv = (previous / AS_OF / "risk_list.csv").read_bytes()
    res = score(world["data_path"], AS_OF, world["dropout_path"], out=previous, top_k=2, force=True)
    new_csv = (previous / AS_OF / "risk_list.csv").read_bytes()
    assert new_csv != old_csv
    assert res.summary["bands"]["k"] == 2
    assert sorted(p.name for p in previous.iterdir()) == [".lock", AS_OF]  # nothing left aside
    assert sorted(p.name for p in (previous / AS_OF).iterdir()) == ENTRIES


def test_same_inputs_give_byte_identical_lists(world, tmp_path, previous):
    """In this process, in another process (the CLI), and again with --force over the first."""
    second = tmp_path / "second"
    _score(world, second)
    other = tmp_path / "other-process"
    proc = subprocess.run(
        cli_command(
            "score", "--data", str(world["data_path"]), "--as-of", AS_OF, "--model", str(world["dropout_path"]),
            "--underperformance-model", str(world["under_path"]), "--out", str(other), "--top-k", "5",
        ),
        env=cli_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first_bytes = {f: (previous / AS_OF / f).read_bytes() for f in FILES}
    for folder in (second / AS_OF, other / AS_OF):
        for f in ("risk_list.csv", "risk_list.parquet", "report.html"):
            assert (folder / f).read_bytes() == first_bytes[f], f"{f} differs in {folder}"
    _score(world, previous, force=True)
    for f in ("risk_list.csv", "risk_list.parquet", "report.html"):
        assert (previous / AS_OF / f).read_bytes() == first_bytes[f]


def test_row_order_of_the_input_does_not_change_the_lists(world, tmp_path):
    data = world["data"]
    tables = {n: f.sample(frac=1.0, random_state=7).reset_index(drop=True) for n, f in data.tables().items()}
    a, b = tmp_path / "a", tmp_path / "b"
    score(data, AS_OF, world["dropout"], out=a, top_k=5)
    score(LearningData(**tables), AS_OF, world["dropout"], out=b, top_k=5)
    for f in ("risk_list.csv", "risk_list.parquet"):
        assert (a / AS_OF / f).read_bytes() == (b / AS_OF / f).read_bytes()


def test_a_second_run_is_refused_by_the_lock(world, previous, run_cli):
    before = snapshot(previous)
    fd = os.open(previous / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run is writing
        with pytest.raises(ScoringError, match="another `learnrisk score` run"):
            _score(world, previous, as_of=NEXT_WEEK)
        code, _, err = run_cli(
            "score", "--data", world["data_path"], "--as-of", NEXT_WEEK, "--model", world["dropout_path"],
            "--out", previous,
        )  # fmt: skip
        assert code == 2 and len(err.strip().splitlines()) == 1 and "is writing to" in err
    finally:
        os.close(fd)
    assert snapshot(previous) == before
    _score(world, previous, as_of=NEXT_WEEK)  # the lock is free again: the run goes through
    assert (previous / NEXT_WEEK / "risk_list.csv").exists()


def _kill_while_writing(cmd: list[str], out: Path) -> None:
    """Start ``cmd`` with slow writes, SIGKILL it once its staging folder holds a file."""
    env = cli_env(LEARNRISK_TEST_SLOW_WRITE="30")
    with subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        try:
            deadline = time.monotonic() + 300
            while not any(out.glob(".tmp-*/risk_list.csv")):
                if proc.poll() is not None:
                    pytest.fail(f"the run ended before it was killed: {proc.stderr.read().decode()}")
                if time.monotonic() > deadline:
                    pytest.fail("the run never started writing")
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=60) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()


def _cli(world, out: Path, as_of: str, *extra: str) -> list[str]:
    return cli_command(
        "score", "--data", str(world["data_path"]), "--as-of", as_of, "--model", str(world["dropout_path"]),
        "--underperformance-model", str(world["under_path"]), "--out", str(out), "--top-k", "5", *extra,
    )  # fmt: skip


@pytest.mark.integration
def test_a_run_killed_while_writing_leaves_the_previous_lists_and_no_partial_folder(world, previous):
    before = snapshot(previous / AS_OF)
    _kill_while_writing(_cli(world, previous, NEXT_WEEK), previous)
    assert snapshot(previous / AS_OF) == before
    assert not (previous / NEXT_WEEK).exists()
    stale = [p.name for p in previous.glob(".tmp-*")]
    assert len(stale) == 1 and stale[0].startswith(f".tmp-{NEXT_WEEK}-")
    # the next run is not blocked (the kernel dropped the lock), cleans up and compares with AS_OF
    res = _score(world, previous, as_of=NEXT_WEEK)
    assert sorted(p.name for p in previous.iterdir()) == [".lock", AS_OF, NEXT_WEEK]
    assert res.summary["previous"] == AS_OF
    assert any("interrupted run" in line for line in res.summary["recovered"])


@pytest.mark.integration
def test_a_force_run_killed_while_writing_keeps_the_old_folder(world, previous):
    before = snapshot(previous / AS_OF)
    _kill_while_writing(_cli(world, previous, AS_OF, "--force", "--top-k", "2"), previous)
    assert snapshot(previous / AS_OF) == before


# ------------------------------------------------------------------------------------ errors
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _broken_data(world, tmp_path: Path) -> Path:
    folder = tmp_path / "broken-data"
    shutil.copytree(world["data_path"], folder)
    act = pd.read_parquet(folder / "activity.parquet")
    act.loc[act.index[:3], "clicks"] = -5
    act.to_parquet(folder / "activity.parquet", index=False)
    return folder


def _unreadable_model(tmp_path: Path) -> Path:
    folder = tmp_path / "garbage-model"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"this is not a pickle")
    return folder


ERRORS = {
    "missing model": (lambda w, t: ["--model", str(t / "no-such-model")], "no model at"),
    "unreadable model": (lambda w, t: ["--model", str(_unreadable_model(t))], "cannot read the model"),
    "tracking server down": (
        lambda w, t: ["--model", "models:/learnrisk-dropout@champion", "--tracking-uri", f"http://127.0.0.1:{_free_port()}"],
        "cannot load models:/learnrisk-dropout@champion",
    ),
    "wrong target": (lambda w, t: ["--model", str(w["under_path"])], "must be a dropout model"),
    "as-of outside every course": (lambda w, t: ["--as-of", "2031-01-06"], "outside every course offering"),
    "invalid data": (lambda w, t: ["--data", str(_broken_data(w, t))], "invalid data: activity.clicks"),
    "missing data": (lambda w, t: ["--data", str(t / "nowhere")], "cannot recognise learning data"),
    "bad date": (lambda w, t: ["--as-of", "2014-02-30"], "is not a date"),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_exit_2_with_one_line_and_leave_out_unchanged(world, previous, tmp_path, run_cli, case):
    make_args, message = ERRORS[case]
    args = {"--data": str(world["data_path"]), "--as-of": NEXT_WEEK, "--model": str(world["dropout_path"])}
    extra = make_args(world, tmp_path)
    for flag, value in zip(extra[::2], extra[1::2]):
        args[flag] = value
    argv = ["score", *[x for kv in args.items() for x in kv], "--out", str(previous)]
    before = snapshot(previous)
    code, out, err = run_cli(*argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("learnrisk: ") and message in lines[0]
    assert snapshot(previous) == before
    # an OUT that did not exist is not created
    fresh = tmp_path / "fresh-out"
    argv[-1] = str(fresh)
    code, _, _ = run_cli(*argv)
    assert code == 2 and not fresh.exists()
