"""Safe output for the weekly job: one lock per output folder, atomic as-of folders.

The guarantees, and how each is kept:

- **Never a partial as-of folder.** Files are written into a hidden staging folder inside OUT
  (``OUT/.tmp-<as-of>-<pid>-<random>``) and fsync'ed; the staging folder is renamed to
  ``OUT/<as-of>`` only when every file is complete. A rename within one file system is atomic:
  a reader (or a run killed at any instant) sees either no as-of folder or a complete one.
- **Never a changed as-of folder without ``force``.** Publishing uses
  ``renameat2(RENAME_NOREPLACE)`` where the kernel offers it, so even a folder that appeared
  behind our back is not replaced; with ``force`` the new folder is swapped in with
  ``renameat2(RENAME_EXCHANGE)`` (one atomic step), and the old content, now under the staging
  name, is deleted. Where renameat2 is missing (non-Linux, some file systems) the fallback is
  "rename old aside, rename new in, delete old"; a run killed between those two renames leaves
  ``OUT/.old-<as-of>-...`` behind, which the next run renames back into place.
- **One run at a time per OUT.** ``OUT/.lock`` is locked with ``flock(LOCK_EX | LOCK_NB)``; a
  second run is refused at once with the pid of the holder. The kernel drops the lock when the
  holder dies, even by SIGKILL, so a killed run never blocks the next one. The lock file itself
  stays (deleting a lock file races with a waiting process); it is empty but for the pid.
- **The lock file is where OUT's lock is taken, and nowhere else.** A run that created OUT (or
  its missing parents) and fails leaves nothing behind: it deletes the lock file and the folders
  it created while still holding the lock; a run that was waiting on the deleted file notices
  (the path no longer names the file it locked) and starts over on a fresh one.
- **Every OS error on output is one clear error, and nothing is lost.** :func:`check_output`
  refuses, before any input is read, an OUT that is a file or a dangling symbolic link, an
  ``OUT/.lock`` that is not a file, and an as-of folder that is a symbolic link (it would be
  replaced by ``force`` through the link); :func:`output_errors` turns an ``OSError`` while
  writing (read-only, disk full, no permission, not a folder) into a :class:`ScoringError` that
  names the path and the cause. The staging folder is discarded and published folders are never
  touched before the new one is complete, so OUT is left as it was.
- **Stale staging folders are cleaned.** The next run that holds the lock deletes
  ``OUT/.tmp-*`` folders (no other run can be writing them) and ignores them when looking for
  the previous week's list (only folders named like a date count).

``LEARNRISK_TEST_SLOW_WRITE=<seconds>`` makes :class:`StagedFolder` sleep after each file it
writes; the tests use it to kill a run in the middle of writing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ScoringError

__all__ = ["StagedFolder", "as_of_folders", "check_output", "lock_output", "output_errors", "publish", "recover"]

LOCK_NAME = ".lock"
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


# ---------------------------------------------------------------------------------- checks
_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EDQUOT: "the disk quota is exhausted: free some space and run again",
    errno.EROFS: "the file system is read-only: choose a writable --out",
    errno.EACCES: "permission denied: choose a folder you may write to",
    errno.EPERM: "operation not permitted: choose a folder you may write to",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another --out",
    errno.EISDIR: "a folder is where a file is expected: remove it or choose another --out",
    errno.EEXIST: "something is already there: remove it or choose another --out",
    errno.ELOOP: "too many symbolic links: choose another --out",
}


def check_output(out: Path, name: str | None = None, *, force: bool = False) -> None:
    """Refuse an output folder that cannot be written safely, before any work is done.

    Raises
    ------
    ScoringError
        ``out`` is a file or a dangling symbolic link; ``out/.lock`` is not a file; ``out/<name>``
        is a symbolic link, or exists and ``force`` is False.
    """
    if out.is_symlink() and not out.exists():
        raise ScoringError(
            f"--out {out} is a symbolic link to {os.readlink(out)}, which does not exist; "
            "create the folder it points to or choose another --out"
        )
    if out.exists() and not out.is_dir():
        raise ScoringError(f"--out {out} is a file, not a folder; choose a folder (it is created if missing)")
    lock = out / LOCK_NAME
    if (lock.exists() or lock.is_symlink()) and (lock.is_symlink() or not lock.is_file()):
        raise ScoringError(
            f"{lock} is not a file (learnrisk keeps its lock there); remove it and run again"
        )
    if name is None:
        return
    target = out / name
    if target.is_symlink():
        raise ScoringError(
            f"{target} is a symbolic link; learnrisk replaces only the as-of folders it wrote: "
            "remove the link or choose another --out"
        )
    if target.exists() and not target.is_dir():
        raise ScoringError(f"{target} is a file, not an as-of folder; remove it or choose another --out")
    if target.exists() and not force:
        raise ScoringError(f"{target} already exists; pass --force (force=True) to replace it")


def output_error(exc: OSError, out: Path) -> ScoringError:
    """An ``OSError`` met while writing to ``out`` as one line: where, what, what to do."""
    where = exc.filename or out
    cause = exc.strerror or str(exc) or type(exc).__name__
    hint = _HINTS.get(exc.errno or 0, "")
    return ScoringError(
        f"cannot write to {out} ({where}: {cause}){'; ' + hint if hint else ''}; {out} was left as it was"
    )


@contextmanager
def output_errors(out: Path | None) -> Iterator[None]:
    """Turn an ``OSError`` raised in the ``with`` block into :func:`output_error` (``out`` None: no-op)."""
    try:
        yield
    except OSError as exc:
        if out is None:
            raise
        raise output_error(exc, out) from None


# ---------------------------------------------------------------------------------- lock
def _missing_folders(out: Path) -> list[Path]:
    """``out`` and its parents that do not exist yet, deepest first."""
    missing = []
    p = out
    while not p.exists() and not p.is_symlink() and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def _open_locked(path: Path, out: Path) -> int:
    """An fd of ``path`` holding ``flock(LOCK_EX)``; the file it names is the one locked."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ScoringError(
                f"another `learnrisk score` run (pid {holder}) is writing to {out}; "
                f"wait for it to finish (the lock {path} is released when it exits)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # a failed run deleted the file after we opened it: lock the new one
        out.mkdir(parents=True, exist_ok=True)


@contextmanager
def lock_output(out: Path) -> Iterator[Path]:
    """Hold the lock on ``out`` (created if missing) for the duration of the ``with`` block.

    When the block fails and this call created ``out`` (or parents of it), the lock file and
    those folders are removed again (only if nothing else was put in them).

    Raises
    ------
    ScoringError
        When another process holds the lock.

    Examples
    --------
    >>> with lock_output(Path("risk-lists")):   # doctest: +SKIP
    ...     publish(staged, Path("risk-lists/2024-03-04"))
    """
    created = _missing_folders(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    try:
        fd = _open_locked(path, out)
    except BaseException:
        _remove_created(created, path)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        except BaseException:
            _remove_created(created, path)
            raise
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove_created(created: list[Path], lock: Path) -> None:
    """Undo the creation of OUT by a failed run: its lock file, then the empty folders it made."""
    if not created:
        return
    try:
        lock.unlink(missing_ok=True)
    except OSError:
        return
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            return


# ---------------------------------------------------------------------------------- staging
class StagedFolder:
    """A hidden folder inside ``out`` that files are written into before publishing.

    Parameters
    ----------
    out : Path
        The output folder (must exist; call under :func:`lock_output`).
    name : str
        The name the folder will be published under (the as-of date, ``YYYY-MM-DD``).

    Examples
    --------
    >>> staged = StagedFolder(out, "2024-03-04")            # doctest: +SKIP
    >>> staged.write_bytes("risk_list.csv", csv_bytes)      # doctest: +SKIP
    >>> publish(staged, out / "2024-03-04")                 # doctest: +SKIP
    """

    def __init__(self, out: Path, name: str) -> None:
        self.name = name
        self.path = out / f".tmp-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path.mkdir()
        self._slow = float(os.environ.get("LEARNRISK_TEST_SLOW_WRITE", "0") or 0)

    def write_bytes(self, filename: str, content: bytes) -> Path:
        """Write one file completely (flushed and fsync'ed) into the staging folder."""
        target = self.path / filename
        with open(target, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        if self._slow > 0:  # test hook: widen the window in which a run can be killed mid-write
            time.sleep(self._slow)
        return target

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name, use_errno=True)
        return lib if hasattr(lib, "renameat2") else None
    except OSError:
        return None


_LIBC = _libc()


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; False when the system or file system does not offer it."""
    if _LIBC is None:
        return False
    rc = _LIBC.renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), ctypes.c_uint(flags))
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(dst))


def publish(staged: StagedFolder, target: Path, *, force: bool = False) -> Path:
    """Rename the complete staging folder to ``target`` (atomically replacing it with ``force``).

    Raises
    ------
    ScoringError
        When ``target`` exists and ``force`` is False; the staging folder is discarded and
        ``target`` is left as it was.
    """
    _fsync_dir(staged.path)
    out = target.parent
    if target.exists() and not force:
        staged.discard()
        raise ScoringError(f"{target} already exists; pass --force (force=True) to replace it")
    if target.exists():
        if _renameat2(staged.path, target, _RENAME_EXCHANGE):
            shutil.rmtree(staged.path)  # the staging name now holds the old content
        else:
            old = out / f".old-{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            os.rename(target, old)
            os.rename(staged.path, target)
            shutil.rmtree(old)
    else:
        try:
            done = _renameat2(staged.path, target, _RENAME_NOREPLACE)
        except FileExistsError:
            staged.discard()
            raise ScoringError(f"{target} appeared while writing; pass --force to replace it") from None
        if not done:
            os.rename(staged.path, target)
    _fsync_dir(out)
    return target


def recover(out: Path) -> list[str]:
    """Clean what killed runs left in ``out``; call while holding the lock.

    Deletes stale staging folders (``.tmp-*``); puts an as-of folder that a killed ``--force``
    run had moved aside (``.old-<as-of>-*``) back in place when nothing replaced it, else deletes
    it. Returns a line per action, for the summary.
    """
    actions = []
    if not out.is_dir():
        return actions
    for entry in sorted(out.iterdir()):
        if not entry.is_dir():
            continue
        if entry.name.startswith(".tmp-"):
            shutil.rmtree(entry, ignore_errors=True)
            actions.append(f"removed the staging folder {entry.name} of an interrupted run")
        elif entry.name.startswith(".old-"):
            name = entry.name.split("-", 1)[1][:10]
            if DATE_DIR.match(name) and not (out / name).exists():
                os.rename(entry, out / name)
                actions.append(f"restored {name} that an interrupted --force run had moved aside")
            else:
                shutil.rmtree(entry, ignore_errors=True)
                actions.append(f"removed {entry.name} left by an interrupted --force run")
    return actions


def as_of_folders(out: Path) -> list[str]:
    """Names of the published as-of folders in ``out`` (``YYYY-MM-DD``), oldest first."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.is_dir() and DATE_DIR.match(p.name))
