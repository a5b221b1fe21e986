"""A real xAPI LRS for the tests: ralph's LRS server (as ``ralph runserver -b fs`` starts it) on 127.0.0.1.

ralph's server extras pin click, fastapi and starlette versions that would downgrade the
project's own (MLflow, typer), so it is never a project dependency: it lives in a venv of its
own, built once from the pinned ``ralph-requirements.txt`` (``uv pip compile
ralph-requirements.in``) under ``~/.cache/learnrisk-tests/ralph-5.1.0`` and reused; the test
user's credentials (``ralph auth -w``, a bcrypt hash) are made once and cached beside it.
Skipped with the reason only when the venv cannot be built (no package index reachable).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "ralph-requirements.txt"
VENV = Path(os.environ.get("LEARNRISK_TEST_CACHE", Path.home() / ".cache" / "learnrisk-tests")) / "ralph-5.1.0"
USER, PASSWORD = "learnrisk-test", "not-a-secret-test-password"


def _venv() -> Path:
    """ralph's venv, built once in place (venvs do not move); the stamp, written last, marks it
    complete, and a lock keeps parallel test workers from building it twice."""
    import fcntl

    VENV.parent.mkdir(parents=True, exist_ok=True)
    stamp = VENV / "requirements.txt"
    with (VENV.parent / "ralph-5.1.0.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text():
            return VENV
        uv = shutil.which("uv")
        if uv is None:
            pytest.skip("uv is not on PATH: cannot build ralph's LRS venv")
        shutil.rmtree(VENV, ignore_errors=True)
        env = {**os.environ, "VIRTUAL_ENV": str(VENV)}
        try:
            subprocess.run([uv, "venv", "-q", "--python", "3.11", str(VENV)], check=True, capture_output=True, timeout=300)
            subprocess.run([uv, "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True, capture_output=True, env=env, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            out = getattr(exc, "stderr", b"") or b""
            pytest.skip(f"cannot build ralph's LRS venv (no package index reachable?): {out.decode(errors='replace')[-300:]}")
        shutil.copy(REQUIREMENTS, stamp)
    return VENV


def _auth_file(venv: Path) -> Path:
    """The test user's credentials, made by ``ralph auth -w`` once."""
    auth = venv / "auth.json"
    if not auth.exists():
        tmp = venv / f"auth.json.{os.getpid()}"
        env = {**os.environ, "RALPH_AUTH_FILE": str(tmp), "RALPH_RUNSERVER_BACKEND": "fs"}
        subprocess.run(
            [str(venv / "bin" / "ralph"), "auth", "-u", USER, "-p", PASSWORD, "-s", "all", "-A", USER, "https://learnrisk.invalid", "-w"],
            check=True, capture_output=True, env=env, timeout=120,
        )
        tmp.rename(auth)
    return auth


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LRS:
    endpoint: str
    user: str
    password: str

    def post(self, statements: list[dict]) -> list[str]:
        """POST statements (one batch: ralph's file-system backend writes its file once)."""
        import requests

        r = requests.post(
            self.endpoint + "statements", json=statements, auth=(self.user, self.password),
            headers={"X-Experience-API-Version": "1.0.3"}, timeout=60,
        )
        assert r.status_code == 200, r.text
        return r.json()


@contextlib.contextmanager
def running_lrs(workdir: Path, page_size: int = 100):
    """ralph's LRS on a free port of 127.0.0.1 with a file-system backend in ``workdir``."""
    venv = _venv()
    auth = _auth_file(venv)
    port = _free_port()
    # what ``ralph runserver -b fs --fs-default-directory-path DIR`` sets, given to uvicorn
    # directly: runserver adds a file-watching reloader that imports the app twice (2x slower)
    env = {
        **os.environ, "RALPH_AUTH_FILE": str(auth), "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_APP_DIR": str(workdir / "app"),
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(workdir / "data"),
        "RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT": str(page_size),
    }
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "uvicorn", "ralph.api:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}/xAPI/"
    try:
        import requests

        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ralph's LRS exited with {proc.returncode}: {(workdir / 'server.log').read_text()[-500:]}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"http://127.0.0.1:{port}/__lbheartbeat__", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"ralph's LRS did not answer in 90 s: {(workdir / 'server.log').read_text()[-500:]}")
            time.sleep(0.2)
        yield LRS(endpoint, USER, PASSWORD)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its reloader: the group this test started
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
