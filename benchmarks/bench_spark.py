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

HERE = Path(__file__).resolve().parent

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
                                  f"{time.perf_counter() - t0:.0f} s", "load": load, "limit_gb": f"{limit_gb:g}"}  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} {task} failed:\n{proc.stderr[-3000:]}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    got["load"] = load
    got["limit"] = f"; ran inside a {limit_gb:g} GB memory cgroup" if group is not None else ""
    got["limit_gb"] = f"{limit_gb:g}" if group is not None else ""
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
                if not quick:
                    _record(task, engine, n, events, got)
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


CURVE = HERE / "scale.csv"  # one row per (task, engine, enrollments): the latest measurement
CURVE_COLUMNS = ["task", "engine", "enrollments", "events", "seconds", "peak_mb", "jvm_mb", "limit_gb", "killed", "load", "date"]


def _record(task: str, engine: str, n: int, events: int, got: dict) -> None:
    """Keep the case in ``benchmarks/scale.csv`` (replacing an earlier run of the same case)."""
    import datetime

    import pandas as pd

    row = {"task": task, "engine": engine, "enrollments": n, "events": events, "seconds": round(got["seconds"], 1) if "seconds" in got else "",
           "peak_mb": round(got["peak_mb"]) if "peak_mb" in got else "", "jvm_mb": round(got.get("children_peak_mb", 0)) if engine == "spark" else "",
           "limit_gb": got.get("limit_gb", ""), "killed": got.get("killed", ""), "load": round(got["load"], 1),
           "date": datetime.date.today().isoformat()}  # fmt: skip
    old = pd.read_csv(CURVE, dtype=str, keep_default_na=False) if CURVE.exists() else pd.DataFrame(columns=CURVE_COLUMNS)
    same = (old["task"] == task) & (old["engine"] == engine) & (old["enrollments"] == str(n))
    new = pd.concat([old[~same], pd.DataFrame([row]).astype(str)], ignore_index=True)
    new.sort_values(["task", "engine", "enrollments"], key=lambda c: c.astype(int) if c.name == "enrollments" else c).to_csv(CURVE, index=False)


def plot(path: Path = HERE.parent / "docs" / "img" / "scale.png") -> Path:
    """The scaling curve of ``benchmarks/scale.csv``: wall time and peak memory against enrollments."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.read_csv(CURVE, keep_default_na=False)
    done = df[df["killed"].astype(str) == ""]
    done = done.assign(**{c: pd.to_numeric(done[c], errors="coerce") for c in ("seconds", "peak_mb")})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for (task, engine), g in done.groupby(["task", "engine"]):
        style = {"pandas": "o-", "stream": "s-", "spark": "^-"}[engine]
        for ax, col in zip(axes, ("seconds", "peak_mb")):
            g = g.sort_values("enrollments")
            ax.plot(g.loc[g[col].notna(), "enrollments"], g[col].dropna(), style, label=f"{task}, {engine}", color="C0" if task == "features" else "C1",
                    alpha=1.0 if engine != "spark" else 0.6)  # fmt: skip
    for _, k in df[df["killed"].astype(str) != ""].iterrows():
        axes[1].plot([k["enrollments"]], [float(k["limit_gb"]) * 1024], "x", color="C3", markersize=10)
        axes[1].annotate(f"{k['task']} {k['engine']}: killed at {k['limit_gb']} GB", (k["enrollments"], float(k["limit_gb"]) * 1024),
                         textcoords="offset points", xytext=(-175, -4), fontsize=8, color="C3")  # fmt: skip
    axes[1].axhline(6 * 1024, color="grey", linestyle=":", linewidth=1)
    axes[1].annotate("6 GB goal", (10_000, 6 * 1024), textcoords="offset points", xytext=(2, 3), fontsize=8, color="grey")
    for ax, label in zip(axes, ("wall time (s)", "peak memory of the process (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("enrollments (about 100 activity rows each)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("learnrisk features and weekly job: pandas, stream and Spark local[2] (2 shared cores)", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    # python -m benchmarks.bench_spark 100000 [pandas,stream] [--tasks features,score] [--limit-gb 6]
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("sizes", nargs="*", type=int)
    p.add_argument("--engines", default="pandas,stream,spark")
    p.add_argument("--tasks", default="features,score")
    p.add_argument("--limit-gb", type=float, help="run each case inside a memory cgroup of this size (cgroup v1)")
    p.add_argument("--plot", action="store_true", help="only draw docs/img/scale.png from benchmarks/scale.csv")
    a = p.parse_args()
    if a.plot:
        print(plot())
        sys.exit(0)
    t0 = time.perf_counter()
    for r in run(sizes=a.sizes or None, engines=a.engines.split(","), tasks=a.tasks.split(","), limit_gb=a.limit_gb):
        value = f"{r['value']:,}" if isinstance(r["value"], (int, float)) else r["value"]
        print(f"| bench_spark | {r['measure']} | {value} | {r['unit']} | {r['notes']} |", flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
