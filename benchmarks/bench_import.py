"""Start-up cost: wall time of ``import learnrisk`` and of ``learnrisk --help``, before and after
the lazy public face (issue 11).

Each measure is the median of ``REPEAT`` fresh interpreters (the first run, which warms the OS
file cache, is discarded). "Before" is the package as of commit ``BEFORE`` (the eager
``__init__``), taken from git with ``git archive`` into a temporary folder and put first on
``PYTHONPATH``; "after" is this checkout. Goals: ``import learnrisk`` under 0.5 s and
``learnrisk --help`` under 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "afb027c"  # last commit with the eager learnrisk/__init__.py
REPEAT = 7
CASES = {
    "import learnrisk": "import learnrisk",
    "learnrisk --help": "import sys\nfrom learnrisk.cli import main\nsys.argv = ['learnrisk', '--help']\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
}


def _wall(code: str, source: Path, repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(source), "MLFLOW_DISABLE_TELEMETRY": "true"}
    times = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=source, env=env, check=True, capture_output=True)
        if i:  # the first run warms the file cache
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _checkout(ref: str, into: Path) -> Path | None:
    archive = into / "src.tar"
    try:
        with open(archive, "wb") as fh:
            subprocess.run(["git", "archive", ref, "learnrisk"], cwd=ROOT, stdout=fh, check=True, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def run(quick: bool = False) -> list[dict]:
    repeat = 2 if quick else REPEAT
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        before = _checkout(BEFORE, Path(tmp))
        for label, code in CASES.items():
            goal = 0.5 if label.startswith("import") else 1.0
            after = _wall(code, ROOT, repeat)
            note = f"median of {repeat} fresh interpreters; goal < {goal} s"
            if before is not None:
                old = _wall(code, before, repeat)
                rows.append({"measure": f"{label} (before, {BEFORE})", "value": round(old, 3), "unit": "s", "notes": note})
            rows.append({"measure": f"{label} (after)", "value": round(after, 3), "unit": "s", "notes": note})
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
