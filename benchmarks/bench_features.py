"""Time the as-of feature builder against the plain per-cutoff pandas reference.

An OULAD-sized synthetic set (about 30,000 enrollments in 28 offerings, 10 million activity
rows), 39 weekly cutoffs (weeks 1-39). Each implementation runs in its own process, so that
its peak memory (the process's maximum resident set, data included) is its own; both write
their frame and the two frames are checked equal. ``--quick`` uses a small set.

Run: ``uv run python -m benchmarks.run bench_features`` (writes benchmarks/results.md).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
FULL = dict(n_learners=27_000, n_courses=7, offerings=4, seed=42)
QUICK = dict(n_learners=1_500, n_courses=3, offerings=2, seed=42)
WEEKS_FULL = list(range(1, 40))
WEEKS_QUICK = list(range(1, 11))


def _dataset(quick: bool) -> Path:
    """The synthetic set as a canonical Parquet folder, generated once and cached (git-ignored)."""
    cfg = QUICK if quick else FULL
    folder = DATA / ("synthetic-" + "-".join(f"{k}{v}" for k, v in cfg.items()))
    if not (folder / "activity.parquet").exists():
        from learnrisk.synthetic import generate

        generate(**cfg).to_parquet(folder)
    return folder


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(impl: str, folder: str, weeks: str, out: str) -> None:
    """Run one implementation in this process and print its measures as JSON."""
    from learnrisk.data import read_parquet

    data = read_parquet(folder, validate=False)
    loaded = _rss_mb()
    week_list = [int(w) for w in weeks.split(",")]
    t0, c0 = time.perf_counter(), time.process_time()
    if impl == "fast":
        from learnrisk.features import build_features

        frame = build_features(data, weeks=week_list)
    else:
        from benchmarks.reference_features import reference_features

        frame = reference_features(data, week_list)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    as_of_seconds = None
    if impl == "fast":
        t = data.courses["start"].max() + (data.courses["end"] - data.courses["start"]).min() / 3
        t1 = time.perf_counter()
        build_features(data, as_of=t)
        as_of_seconds = time.perf_counter() - t1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame.to_parquet(out, index=False)
    print(json.dumps(dict(seconds=seconds, cpu=cpu, load=os.getloadavg()[0], as_of_seconds=as_of_seconds, rows=len(frame),
                          loaded_mb=loaded, peak_mb=peak, activity_rows=len(data.activity),
                          enrollments=len(data.enrollments), offerings=len(data.courses))))


def _run_worker(impl: str, folder: Path, weeks: list[int]) -> tuple[dict, Path]:
    out = DATA / f"features-{impl}.parquet"
    cmd = [sys.executable, "-c",
           f"from benchmarks.bench_features import worker; worker({impl!r}, {str(folder)!r}, "
           f"{','.join(map(str, weeks))!r}, {str(out)!r})"]
    done = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), out


def _max_difference(a: Path, b: Path) -> float:
    import numpy as np
    import pandas as pd

    fa, fb = pd.read_parquet(a), pd.read_parquet(b)
    if list(fa.columns) != list(fb.columns) or len(fa) != len(fb):
        return float("inf")
    keys = ["learner_id", "course_id", "week", "cutoff"]
    if not fa[keys].equals(fb[keys]):
        return float("inf")
    worst = 0.0
    for col in fa.columns[len(keys):]:
        x, y = fa[col].to_numpy(float), fb[col].to_numpy(float)
        if not (np.isnan(x) == np.isnan(y)).all():
            return float("inf")
        ok = ~np.isnan(x)
        if ok.any():
            worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok])))))
    return worst


def run(quick: bool = False) -> list[dict]:
    DATA.mkdir(exist_ok=True)
    folder = _dataset(quick)
    weeks = WEEKS_QUICK if quick else WEEKS_FULL
    fast, fast_out = _run_worker("fast", folder, weeks)
    ref, ref_out = _run_worker("reference", folder, weeks)
    diff = _max_difference(fast_out, ref_out)
    size = (f"{fast['enrollments']:,} enrollments, {fast['offerings']} offerings, "
            f"{fast['activity_rows']:,} activity rows, {len(weeks)} weekly cutoffs")
    return [
        dict(measure="fast: all weekly windows", value=round(fast["seconds"], 2), unit="s",
             notes=f"wall clock; {size}; load average {fast['load']:.1f} on the shared machine"),
        dict(measure="fast: all weekly windows, CPU", value=round(fast["cpu"], 2), unit="s",
             notes="CPU time of the process (what an idle machine would take)"),
        dict(measure="reference: all weekly windows", value=round(ref["seconds"], 2), unit="s",
             notes=f"wall clock; plain pandas, one filter-and-groupby per cutoff; load average {ref['load']:.1f}"),
        dict(measure="reference: all weekly windows, CPU", value=round(ref["cpu"], 2), unit="s", notes=""),
        dict(measure="speedup", value=round(ref["seconds"] / fast["seconds"], 1), unit="x",
             notes=f"reference / fast, wall clock (CPU: {ref['cpu'] / fast['cpu']:.1f}x)"),
        dict(measure="fast: one as_of date", value=round(fast["as_of_seconds"], 2), unit="s", notes="every running offering"),
        dict(measure="fast: peak memory", value=round(fast["peak_mb"]), unit="MB",
             notes=f"process peak RSS incl. the loaded data ({fast['loaded_mb']:.0f} MB after loading)"),
        dict(measure="reference: peak memory", value=round(ref["peak_mb"]), unit="MB",
             notes=f"process peak RSS incl. the loaded data ({ref['loaded_mb']:.0f} MB after loading)"),
        dict(measure="rows produced", value=int(fast["rows"]), unit="rows",
             notes=f"reference: {ref['rows']:,}; max relative difference {diff:.1e}"),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
