"""The weekly job on a 100,000-enrollment cohort: total time and peak memory.

The cohort: ``learnrisk.synthetic.generate`` with 100,000 learners in 20 course codes, one
offering each (all started 2013-02-01), seen as the job sees it on the as-of date 2013-03-29
(``running_at``: week 8, nothing after it, no outcomes yet): 100,000 enrollments, of which the
ones not withdrawn by then are scored. The models (dropout: LightGBM; underperformance:
LightGBM) are trained beforehand on a separate finished world of 10,000 learners (same
generator, another seed), weeks 1-12; training is not timed here (see bench_training).

The measured run is the real job in a fresh process, as cron starts it:
``learnrisk.score(data folder, as_of, model folders, out=..., top_k=20)``: read the Parquet
folder, load both models, build the features as of the date, predict both targets, drift
(PSI per feature and week), explain the listed learners (top 20 + next 20 per offering, 800 in
all, TreeSHAP), compare with the previous list, render the report and write the four files
atomically. Figures: the process's wall time (imports included) and the time of the
``score`` call with its steps (from summary.json), and the process's peak resident memory
(``ru_maxrss`` of the child, reported by itself; data and libraries included).

Data and models are cached in ``benchmarks/_data/`` (git-ignored). ``--quick`` uses 5,000
learners in 5 codes.

    uv run python -m benchmarks.run bench_scoring
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
AS_OF = "2013-03-29"  # 2013-02-01 + 56 days: week 8 of every offering
FULL = dict(n_learners=100_000, n_courses=20, offerings=1, seed=7)
QUICK = dict(n_learners=5_000, n_courses=5, offerings=1, seed=7)
# the case of issue 12: ten years of history (3 codes x 20 offerings, about 63 M activity rows)
# of which only the 3 offerings started 2022-10-01 run at week 8 (2022-11-26)
HISTORY = dict(n_learners=200_000, n_courses=3, offerings=20, seed=7)
HISTORY_AS_OF = "2022-11-26"
TRAIN_FULL = dict(n_learners=10_000, n_courses=20, offerings=2, seed=8)
TRAIN_QUICK = dict(n_learners=2_000, n_courses=5, offerings=2, seed=8)
TOP_K = 20

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from learnrisk.scoring import score
imported = time.perf_counter() - t0
res = score(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], out=sys.argv[5], top_k=int(sys.argv[6]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"imports": imported, "peak_mb": peak, "summary": res.summary}))
"""


def _name(cfg: dict) -> str:
    return "-".join(f"{k}{v}" for k, v in cfg.items())


def _cohort(cfg: dict, as_of: str = AS_OF) -> Path:
    """The scored data as a canonical Parquet folder, generated once (cached)."""
    folder = DATA / f"scoring-cohort-{_name(cfg)}-at{as_of}"
    if not (folder / "activity.parquet").exists():
        from learnrisk.synthetic import write_parquet

        # in parts of 200,000 learners (one part: generate(...).to_parquet); memory: one part
        cfg = dict(cfg)
        write_parquet(folder, cfg.pop("n_learners"), cfg.pop("n_courses"), cfg.pop("offerings"), **cfg, as_of=as_of)
    return folder


def _models(quick: bool) -> tuple[Path, Path]:
    """Dropout and underperformance models trained on a separate finished world (cached)."""
    cfg = TRAIN_QUICK if quick else TRAIN_FULL
    base = DATA / f"scoring-models-{_name(cfg)}"
    paths = (base / "dropout", base / "underperformance")
    if all((p / "model.json").exists() for p in paths):
        return paths
    from learnrisk import build_features, targets
    from learnrisk.synthetic import generate
    from learnrisk.training import RiskModel

    world = generate(**cfg)
    feats = build_features(world, weeks=range(1, 13))
    for path, target in zip(paths, ("dropout", "underperformance")):
        y = targets.make_labels(world, feats, target)
        model = RiskModel("lightgbm", target=target).fit(feats[y.notna()], y[y.notna()])
        model.save(path)
    return paths


def _score_in_child(cohort: Path, models: tuple[Path, Path], out: Path, as_of: str = AS_OF) -> tuple[float, float, dict]:
    """Run the job in a fresh process: (wall seconds, peak MB of the child, its JSON)."""
    cmd = [sys.executable, "-c", CHILD, str(cohort), as_of, str(models[0]), str(models[1]), str(out), str(TOP_K)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"the scoring process failed:\n{proc.stderr[-3000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, got["peak_mb"], got


def _size(files: dict, name: str) -> str:
    n = files.get(name, 0)
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _case(cohort: Path, models: tuple[Path, Path], as_of: str) -> tuple[float, float, dict, dict, float]:
    """One measured run: (wall s, peak MB, the child's JSON, file sizes, load average at the start)."""
    out = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    load = os.getloadavg()[0]
    try:
        wall, peak_mb, got = _score_in_child(cohort, models, out, as_of)
        files = {p.name: p.stat().st_size for p in (out / as_of).iterdir()}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return wall, peak_mb, got, files, load


def _rows_in_folder(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    return {n: pq.ParquetFile(folder / f"{n}.parquet").metadata.num_rows for n in ("learners", "enrollments", "activity")}


def run(quick: bool = False) -> list[dict]:
    models = _models(quick)
    cohort = _cohort(QUICK if quick else FULL)
    wall, peak_mb, got, files, load = _case(cohort, models, AS_OF)
    s = got["summary"]
    t = s["timings"]
    n_enr = s["data"]["rows"]["enrollments"]
    scored = s["population"]["enrollments_scored"]
    explained = s["population"]["enrollments_explained"]
    offerings = len(s["population"]["running_offerings"])
    cohort_note = (
        f"{n_enr:,} enrollments ({s['data']['rows']['activity']:,} activity rows) in {offerings} running offerings; "
        f"{scored:,} active at {AS_OF} scored by 2 LightGBM models; {explained:,} listed learners explained (top_k={TOP_K}); "
        f"machine load average {load:.1f} on {os.cpu_count()} cores at the start"
    )
    rows = [
        {"measure": "total time, fresh process (imports included)", "value": round(wall, 1), "unit": "s", "notes": cohort_note},
        {"measure": "peak memory of the process", "value": round(peak_mb), "unit": "MB", "notes": "ru_maxrss of the child: data, features, models and libraries"},
        {"measure": "score() call, data folder to published files", "value": t["total"], "unit": "s",
         "notes": f"imports before it: {got['imports']:.1f} s"},
    ]  # fmt: skip
    steps = [
        ("load_data", "read the running offerings (Parquet filters) and validate them; every other row checked batch by batch"),
        ("load_models", "two saved RiskModels"),
        ("features", "build_features(as_of=...)"),
        ("predict", "both models + PSI drift per feature and week"),
        ("explain", f"TreeSHAP, drivers, what-if reductions; {1000 * t.get('explain', 0) / max(explained, 1):.1f} ms per listed learner"),
        ("compare", "change since the previous list"),
        ("report", "course overviews + HTML"),
        ("write", f"CSV {_size(files, 'risk_list.csv')}, Parquet {_size(files, 'risk_list.parquet')}, HTML {_size(files, 'report.html')}, fsync'ed"),
    ]  # fmt: skip
    for key, note in steps:
        if key in t:
            rows.append({"measure": f"step: {key}", "value": t[key], "unit": "s", "notes": note})
    if quick:
        return rows
    # issue 12: a long history of which only the running offerings are scored
    big = _cohort(HISTORY, HISTORY_AS_OF)
    wall, peak_mb, got, files, load = _case(big, models, HISTORY_AS_OF)
    s, t = got["summary"], got["summary"]["timings"]
    whole = _rows_in_folder(big)
    note = (
        f"{whole['learners']:,} learners, {whole['enrollments']:,} enrollments, {whole['activity']:,} activity rows in "
        f"{HISTORY['n_courses'] * HISTORY['offerings']} offerings; {len(s['population']['running_offerings'])} run at {HISTORY_AS_OF} "
        f"({s['data']['rows']['enrollments']:,} enrollments, {s['data']['rows']['activity']:,} activity rows read into memory), "
        f"{s['population']['enrollments_scored']:,} scored; load average {load:.1f}"
    )
    rows += [
        {"measure": "200,000 learners, 3 of 60 offerings running: total time, fresh process", "value": round(wall, 1), "unit": "s", "notes": note},
        {"measure": "200,000 learners: peak memory of the process", "value": round(peak_mb), "unit": "MB",
         "notes": "ru_maxrss of the child (9.9 GB before issue 12, when every table was read and validated whole)"},
        {"measure": "200,000 learners: step load_data", "value": t["load_data"], "unit": "s",
         "notes": "filtered read + validation of the running offerings, then check_parquet over every activity row in batches"},
        {"measure": "200,000 learners: score() call", "value": t["total"], "unit": "s", "notes": f"imports before it: {got['imports']:.1f} s"},
    ]  # fmt: skip
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick="--quick" in sys.argv):
        print(r)
