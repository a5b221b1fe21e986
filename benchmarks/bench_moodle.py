"""Moodle's table exports to canonical data: log rows per second and peak memory, by window size.

The site: ``learnrisk.synthetic.generate(n_learners=3000, n_courses=3, offerings=2)`` written
as Moodle's tables by ``learnrisk.sources.write("moodle", ...)`` (one ``logstore_standard_log``
row per click: about 4.1 million rows, 620 MB of CSV), cached in ``benchmarks/_data/moodle-*/`` (git-ignored).
Each read runs in a fresh Python process (``read("moodle", folder, ids="idnumber",
chunk_rows=N)``) that reports the time of the call and its own peak resident memory (VmHWM),
for two window sizes: the log is summed into activity one window at a time, so the peak should
follow the window and the activity, not the log's size.

    uv run python -m benchmarks.run bench_moodle
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL = dict(n_learners=3000, n_courses=3, offerings=2, seed=5)
QUICK = dict(n_learners=150, n_courses=1, offerings=2, seed=5)
WINDOWS = (200_000, 50_000)

CHILD = """
import json, resource, sys, time

def peak_kb():
    try:
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from learnrisk import sources
before = peak_kb()
report = sources.ImportReport("moodle")
t0 = time.perf_counter()
data = sources.read("moodle", sys.argv[1], report=report, ids="idnumber", chunk_rows=sys.argv[2])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peak_kb": peak_kb(), "import_kb": before, "read": report.read,
                  "activity": len(data.activity), "enrollments": len(data.enrollments)}))
"""


def build(folder: Path, cfg: dict) -> dict:
    """Write the site's tables into ``folder`` (reused when its ``_meta.json`` matches)."""
    from learnrisk import sources
    from learnrisk.synthetic import generate

    meta_path = folder / "_meta.json"
    if meta_path.exists() and json.loads(meta_path.read_text()).get("cfg") == cfg:
        return json.loads(meta_path.read_text())
    data = generate(**cfg)
    t0 = time.perf_counter()
    sources.write("moodle", data, folder)
    meta = {
        "cfg": cfg, "write_seconds": round(time.perf_counter() - t0, 1), "log_rows": int(data.activity["clicks"].sum()),
        "enrollments": len(data.enrollments),
        "megabytes": round(sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6, 1),
        "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def read_in_child(folder: Path, window: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(window)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the Moodle read failed in the child process:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    cfg = QUICK if quick else FULL
    tmp = tempfile.TemporaryDirectory() if quick else None
    folder = Path(tmp.name) / "moodle" if tmp else HERE / "_data" / ("moodle-" + "-".join(f"{k}{v}" for k, v in cfg.items()))
    meta = build(folder, cfg)
    load = "load average {:.1f} on {} cores".format(os.getloadavg()[0], os.cpu_count())
    gb = 1024 * 1024
    rows = []
    for window in WINDOWS:
        got = read_in_child(folder, window)
        assert got["read"] == meta["log_rows"] and got["enrollments"] == meta["enrollments"]
        rows += [
            {"measure": f"exports -> canonical, windows of {window:,} log rows", "value": round(got["read"] / got["seconds"]),
             "unit": "log rows/s",
             "notes": f"{got['read']:,} log rows ({meta['megabytes']:,} MB of CSV) in {got['seconds']:.1f} s -> {got['activity']:,} activity rows; {load}"},
            {"measure": f"peak memory, windows of {window:,}", "value": round(got["peak_kb"] / gb, 2), "unit": "GiB",
             "notes": f"peak RSS of a fresh process, of which {got['import_kb'] / gb:.2f} GiB after importing learnrisk"},
        ]
    rows.append({"measure": "write (synthetic -> Moodle's tables)", "value": meta["write_seconds"], "unit": "s",
                 "notes": f"timed when the cache was built ({meta['built']})"})
    if tmp:
        tmp.cleanup()
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick="--quick" in sys.argv):
        print(row)
