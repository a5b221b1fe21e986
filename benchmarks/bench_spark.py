"""Features and the weekly job on three engines: pandas (in memory), stream (a batch of offerings
at a time) and Spark (``local[2]``), at growing sizes: wall time, peak memory, scaling.

Each case runs in a fresh process, so that its peak memory (``VmHWM``: ``ru_maxrss`` would
keep the high-water mark of the forking parent across exec) is its own: for Spark the driver's
Python process, and separately the largest direct child (the JVM). With ``--limit-gb G`` the
case runs inside a cgroup (v1) memory group of G GB: the kernel kills it if it goes over (the
row says so), so a case that finishes has proved its bound. Data are the scoring benchmark's
synthetic cohorts (20 offerings, 40 at 1 M, all running at week 8; written in parts of
200,000 learners by ``synthetic.write_parquet``); models are trained once on a separate world
(``bench_scoring._models``).

- features: weekly features at weeks 1-8 of every offering, written to Parquet
  (``build_features`` + ``to_parquet``; ``write_features_by_offering``; ``build_features_spark``
  + ``write_features``);
- score: ``learnrisk.score`` with two models, from the Parquet folder to the published folder.

    python -m benchmarks.bench_spark 100000 --engines pandas,stream,spark
    python -m benchmarks.bench_spark 1000000 --engines stream --limit-gb 6

The 1 M cohort takes about 5 minutes to generate and 4 GB of disk (cached in
``benchmarks/_data``); see results.md and docs/scale.md for what ran.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_scoring import _cohort, _models

SIZES = {
    10_000: dict(n_learners=10_000, n_courses=20, offerings=1, seed=7),
    100_000: dict(n_learners=100_000, n_courses=20, offerings=1, seed=7),
    1_000_000: dict(n_learners=1_000_000, n_courses=40, offerings=1, seed=7),
}
QUICK = {2_000: dict(n_learners=2_000, n_courses=5, offerings=1, seed=7)}
AS_OF = "2013-03-29"
WEEKS = list(range(1, 9))
MAX_EVENTS = 2_000_000

CHILD = """
import json, resource, sys, time
engine, task, folder, out, dropout, under, as_of, max_events = sys.argv[1:9]
max_events = int(max_events)
t0 = time.perf_counter()
import learnrisk
weeks = list(range(1, 9))
if engine == "spark":
    from learnrisk import spark as lrs
    session = lrs.spark_session("local[2]")
started = time.perf_counter()
if task == "features":
    if engine == "pandas":
        frame = learnrisk.build_features(learnrisk.load_data(folder), weeks=weeks)
        frame.to_parquet(out + "/features.parquet", index=False)
        rows = len(frame)
    elif engine == "stream":
        from learnrisk.features import write_features_by_offering
        rows = write_features_by_offering(folder, out + "/features.parquet", weeks=weeks, max_events=max_events)
    else:
        feats = lrs.build_features_spark(lrs.read_tables(session, folder), weeks=weeks, max_events=max_events)
        lrs.write_features(feats, out + "/features.parquet")
        import pyarrow.parquet as pq
        rows = pq.ParquetDataset(out + "/features.parquet").read(columns=["week"]).num_rows
else:
    source = folder
    if engine == "stream":
        from learnrisk.scoring import OfferingStream
        source = OfferingStream(folder, max_events=max_events)
    elif engine == "spark":
        source = lrs.SparkSource(folder, spark=session, max_events=max_events)
    res = learnrisk.score(source, as_of, dropout, under, out=out, top_k=20)
    rows = len(res.risk_list)
wall = time.perf_counter() - started
def hwm(pid="self"):  # VmHWM: the peak RSS of this image (ru_maxrss would keep the forking parent's)
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
import os
own = hwm()
kids = 0.0
for task in os.listdir("/proc/self/task"):
    for pid in open(f"/proc/self/task/{task}/children").read().split():
        try:
            kids = max(kids, hwm(pid))
        except OSError:
            pass
print(json.dumps({"seconds": wall, "startup": started - t0, "peak_mb": own, "children_peak_mb": kids, "rows": rows}))
"""


CGROUP = Path("/sys/fs/cgroup/memory")  # cgroup v1 memory controller (this machine's)


def _memory_cage(limit_gb: float | None):
    """A cgroup v1 memory group capped at ``limit_gb`` for the child (None: none, or not
    writable here): the kernel then kills the child alone when it goes over, and a case that
    finishes inside it has *proved* its bound."""
    if not limit_gb or not (CGROUP / "cgroup.procs").exists():
        return None
    group = CGROUP / f"learnrisk-bench-{os.getpid()}"
    try:
        group.mkdir(exist_ok=True)
        (group / "memory.limit_in_bytes").write_text(str(int(limit_gb * 2**30)))
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(int(limit_gb * 2**30)))
    except OSError:
        return None
    return group


def _case(engine: str, task: str, folder: Path, models, max_events: int = MAX_EVENTS, limit_gb: float | None = None) -> dict:
    group = _memory_cage(limit_gb)
    enter = (lambda: (group / "cgroup.procs").write_text(str(os.getpid()))) if group else None
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as out:
        cmd = [sys.executable, "-c", CHILD, engine, task, str(folder), out, str(models[0]), str(models[1]),
               AS_OF, str(max_events)]  # fmt: skip
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=enter,
                              env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})  # fmt: skip
        if group is not None:
            killed = proc.returncode == -signal.SIGKILL  # the cgroup's OOM killer (failcnt stays 0 under memsw)
            group.rmdir()
            if killed:
                return {"killed": f"killed by the kernel at the {limit_gb:g} GB memory limit after "
                                  f"{time.perf_counter() - t0:.0f} s", "load": load}  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} {task} failed:\n{proc.stderr[-3000:]}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    got["load"] = load
    got["limit"] = f"; ran inside a {limit_gb:g} GB memory cgroup" if group is not None else ""
    return got


def _events(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "activity.parquet").metadata.num_rows


def run(quick: bool = False, sizes: list[int] | None = None, engines=("pandas", "stream", "spark"),
        tasks=("features", "score"), limit_gb: float | None = None) -> list[dict]:  # fmt: skip
    models = _models(quick)
    chosen = QUICK if quick else {n: SIZES[n] for n in (sizes or [10_000, 100_000])}
    rows = []
    for n, cfg in chosen.items():
        folder = _cohort(cfg, AS_OF)
        events = _events(folder)
        for task in tasks:
            for engine in engines:
                got = _case(engine, task, folder, models, limit_gb=limit_gb)
                print(f"  {task} {engine} {n:,}: {got}", file=sys.stderr, flush=True)
                what = f"{n:,} enrollments, {events:,} events, {cfg['n_courses'] * cfg['offerings']} offerings"
                if "killed" in got:
                    rows.append({"measure": f"{task} {engine} {n:,}: did not finish", "value": "-", "unit": "",
                                 "notes": f"{what}; {got['killed']}; load {got['load']:.1f}"})  # fmt: skip
                    continue
                extra = f"; startup {got['startup']:.0f} s (Spark session)" if engine == "spark" else ""
                kids = f"; largest child (JVM or worker) {got['children_peak_mb']:,.0f} MB" if engine == "spark" else ""
                rows.append({"measure": f"{task} {engine} {n:,}: wall time", "value": round(got["seconds"], 1), "unit": "s",
                             "notes": f"{what}; {got['rows']:,} rows; load {got['load']:.1f} on 2 cores{extra}"})
                rows.append({"measure": f"{task} {engine} {n:,}: driver peak memory", "value": round(got["peak_mb"]),
                             "unit": "MB", "notes": f"VmHWM of the process{kids}{got['limit']}"})
    return rows


if __name__ == "__main__":
    # python -m benchmarks.bench_spark 100000 [pandas,stream] [--tasks features,score] [--limit-gb 6]
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("sizes", nargs="*", type=int)
    p.add_argument("--engines", default="pandas,stream,spark")
    p.add_argument("--tasks", default="features,score")
    p.add_argument("--limit-gb", type=float, help="run each case inside a memory cgroup of this size (cgroup v1)")
    a = p.parse_args()
    t0 = time.perf_counter()
    for r in run(sizes=a.sizes or None, engines=a.engines.split(","), tasks=a.tasks.split(","), limit_gb=a.limit_gb):
        value = f"{r['value']:,}" if isinstance(r["value"], (int, float)) else r["value"]
        print(f"| bench_spark | {r['measure']} | {value} | {r['unit']} | {r['notes']} |", flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
