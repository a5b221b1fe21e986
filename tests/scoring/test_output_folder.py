"""The output folder's safety, at the level of files: lock, staging, publish, recovery."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from learnrisk.errors import ScoringError
from learnrisk.scoring import _io
from learnrisk.scoring._io import StagedFolder, as_of_folders, lock_output, publish, recover


def _stage(out: Path, name: str, content: bytes) -> StagedFolder:
    staged = StagedFolder(out, name)
    staged.write_bytes("risk_list.csv", content)
    staged.write_bytes("summary.json", b"{}")
    return staged


def _listing(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*"))


def test_publish_is_a_complete_folder_and_leaves_no_staging(tmp_path):
    with lock_output(tmp_path):
        publish(_stage(tmp_path, "2024-02-05", b"a"), tmp_path / "2024-02-05")
    assert _listing(tmp_path) == [".lock", "2024-02-05", "2024-02-05/risk_list.csv", "2024-02-05/summary.json"]
    assert (tmp_path / "2024-02-05" / "risk_list.csv").read_bytes() == b"a"


def test_existing_folder_is_refused_without_force_and_kept(tmp_path):
    with lock_output(tmp_path):
        publish(_stage(tmp_path, "2024-02-05", b"first"), tmp_path / "2024-02-05")
        with pytest.raises(ScoringError, match="already exists; pass --force"):
            publish(_stage(tmp_path, "2024-02-05", b"second"), tmp_path / "2024-02-05")
    assert (tmp_path / "2024-02-05" / "risk_list.csv").read_bytes() == b"first"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_force_replaces_the_whole_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(_io, "_LIBC", None)
    with lock_output(tmp_path):
        first = _stage(tmp_path, "2024-02-05", b"first")
        first.write_bytes("only_in_first.txt", b"x")
        publish(first, tmp_path / "2024-02-05")
        publish(_stage(tmp_path, "2024-02-05", b"second"), tmp_path / "2024-02-05", force=True)
    assert (tmp_path / "2024-02-05" / "risk_list.csv").read_bytes() == b"second"
    assert _listing(tmp_path) == [".lock", "2024-02-05", "2024-02-05/risk_list.csv", "2024-02-05/summary.json"]


def test_a_second_holder_is_refused_and_told_the_pid(tmp_path):
    with lock_output(tmp_path):
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(ScoringError, match=rf"pid {os.getpid()}\) is writing to"):
            with lock_output(tmp_path):
                pass  # pragma: no cover
    with lock_output(tmp_path):  # released: the next run gets it
        pass


def test_a_lock_held_by_another_open_file_is_respected(tmp_path):
    fd = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ScoringError, match="another `learnrisk score` run"):
            with lock_output(tmp_path):
                pass  # pragma: no cover
    finally:
        os.close(fd)


def test_recover_removes_staging_and_restores_a_folder_moved_aside(tmp_path):
    (tmp_path / ".tmp-2024-02-12-123-abcd").mkdir()
    (tmp_path / ".tmp-2024-02-12-123-abcd" / "risk_list.csv").write_text("partial")
    (tmp_path / ".old-2024-02-05-99-ffff").mkdir()  # a --force run killed between its two renames
    (tmp_path / ".old-2024-02-05-99-ffff" / "risk_list.csv").write_text("previous")
    (tmp_path / "2024-01-29").mkdir()
    (tmp_path / ".old-2024-01-29-98-eeee").mkdir()  # already replaced: the old copy goes
    actions = recover(tmp_path)
    assert len(actions) == 3
    assert as_of_folders(tmp_path) == ["2024-01-29", "2024-02-05"]
    assert (tmp_path / "2024-02-05" / "risk_list.csv").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024-01-29", "2024-02-05"]


def test_as_of_folders_ignores_everything_but_dates(tmp_path):
    for name in ["2024-02-05", "2024-01-29", ".tmp-2024-02-12-1-aa", "notes", "2024-2-1"]:
        (tmp_path / name).mkdir()
    (tmp_path / "2024-03-01").write_text("a file, not a folder")
    assert as_of_folders(tmp_path) == ["2024-01-29", "2024-02-05"]
    assert as_of_folders(tmp_path / "missing") == []
