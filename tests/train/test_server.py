"""Against a real `mlflow server` on 127.0.0.1 (SQLite backend, a free port), over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from learnrisk.errors import ModelLoadError
from learnrisk.training import Gate, load_model, log_run

from .test_tracking import load_in_subprocess

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--uvicorn-opts", "--timeout-worker-healthcheck 60",  # a loaded machine starts workers slowly
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", (tmp_path / "server-artifacts").as_uri()],
        stdout=subprocess.DEVNULL, stderr=log,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield from _serve(proc, url, tmp_path)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # stop it by its process id (and its workers)
            proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        log.close()
    assert proc.poll() is not None


def _serve(proc, url, tmp_path):
    deadline = time.time() + 180  # about 10 s on a quiet machine; far more on a loaded one
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail("mlflow server exited: " + (tmp_path / "server.log").read_text()[-2000:])
    else:
        pytest.fail("mlflow server did not answer within 180 s")
    yield url


def test_train_register_load_over_http(trained, mlflow_server, tmp_path, monkeypatch):
    data, model, report = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    run = log_run(model, report, data=data, tracking_uri=mlflow_server, register="http-dropout", promote=True, gate=Gate(max_ece=0.2, baseline_margin=-0.05))
    assert run.promoted, str(run.gate)
    p, version = load_in_subprocess("models:/http-dropout@champion", report.test_features, tmp_path, mlflow_server)
    assert version == "1"
    assert np.array_equal(p, model.predict_proba(report.test_features))


@pytest.mark.timeout(300)  # a hang guard: without the retry settings MLflow retries for minutes
def test_unreachable_server_fails_with_one_line(monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    with pytest.raises(ModelLoadError, match="cannot load") as err:
        load_model("models:/x@champion", tracking_uri=url)
    assert "\n" not in str(err.value)
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"  # set by the loader, not by the user
