"""read_oulad on a release the size of the full public OULAD: seconds and peak memory.

The full public release has 32,593 registrations and 10,655,280 studentVle rows; no real
learner data may be copied here, so the benchmark writes a synthetic release of that size in
the official format: ``learnrisk.synthetic.generate`` (7 course codes, 3 offerings each, like
OULAD's 7 modules and 22 presentations) sized to about 32,593 registrations, its activity
thinned at random (seeded), or topped up with repeats of random rows, to exactly 10,655,280
rows, then ``write_oulad``. The release is
cached in ``benchmarks/_data/oulad-full/`` (git-ignored) with a ``_meta.json`` recording how it
was made and how long ``write_oulad`` took.

Each read runs in a fresh Python process, which reports the time of the ``read_oulad`` call
and its own peak resident memory (``ru_maxrss``), so that the figure is the whole cost of
loading the release (including the imported libraries, reported apart).

    uv run python -m benchmarks.run bench_oulad_read
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "oulad-full"
REGISTRATIONS = 32_593  # full public OULAD release
VLE_ROWS = 10_655_280
SEED = 0
SHAPE = dict(n_courses=7, offerings=3)

# Peak memory of the child: VmHWM, the high-water mark of its own address space. (ru_maxrss
# would do on a fresh interpreter, but Linux carries it over from the parent through fork and
# exec, and the parent holds the generated data when it has just built the release.)
CHILD = """
import json, resource, sys, time

def peak_kb():
    try:
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

import learnrisk
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

before = peak_kb()
t0, c0 = time.perf_counter(), cpu()
data = learnrisk.read_oulad(sys.argv[1], validate=sys.argv[2] == "1")
seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": cpu_seconds,
    "peak_kb": peak_kb(),
    "import_kb": before,
    "enrollments": len(data.enrollments),
    "activity": len(data.activity),
}))
"""


def _generate(n_registrations: int, n_vle: int, seed: int):
    """Synthetic data with about ``n_registrations`` enrollments and at most ``n_vle`` activity rows."""
    from learnrisk.data import LearningData
    from learnrisk.synthetic import generate

    pilot = generate(n_learners=3000, seed=seed, **SHAPE)  # enrollments per learner (retakes)
    n_learners = round(n_registrations * len(pilot.learners) / len(pilot.enrollments))
    data = generate(n_learners=n_learners, seed=seed, **SHAPE)
    act = data.activity
    rng = np.random.default_rng(seed)
    if len(act) > n_vle:  # thin at random, keeping the order of the rows
        keep = np.sort(rng.choice(len(act), n_vle, replace=False))
    else:  # top up with repeats of random rows, placed beside them (OULAD has exact duplicate rows too)
        keep = np.sort(np.concatenate([np.arange(len(act)), rng.choice(len(act), n_vle - len(act))]))
    act = act.iloc[keep].reset_index(drop=True)
    tables = data.tables()
    tables["activity"] = act
    return LearningData(**tables, validate=False), n_learners


def build(folder: Path, n_registrations: int, n_vle: int) -> dict:
    """Write the synthetic release into ``folder`` (reused when its ``_meta.json`` matches)."""
    from learnrisk.data import write_oulad

    wanted = {"registrations_target": n_registrations, "vle_target": n_vle, "seed": SEED, "recipe": 2, **SHAPE}
    meta_path = folder / "_meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} == wanted and (folder / "studentVle.csv").exists():
            return meta
    t0 = time.perf_counter()
    data, n_learners = _generate(n_registrations, n_vle, SEED)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_oulad(data, folder)
    written = time.perf_counter() - t0
    meta = {
        **wanted,
        "n_learners": n_learners,
        "registrations": len(data.enrollments),
        "vle_rows": len(data.activity),
        "generate_seconds": round(generated, 1),
        "write_seconds": round(written, 1),
        "megabytes": round(sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6, 1),
        "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def read_in_child(folder: Path, validate: bool) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), "1" if validate else "0"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"read_oulad failed in the child process:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    if quick:
        tmp = tempfile.TemporaryDirectory()
        folder, n_reg, n_vle = Path(tmp.name) / "oulad", 2_000, 300_000
    else:
        folder, n_reg, n_vle = DATA, REGISTRATIONS, VLE_ROWS
    meta = build(folder, n_reg, n_vle)
    size = f"{meta['registrations']:,} registrations, {meta['vle_rows']:,} VLE rows, {meta['megabytes']:,} MB of CSV"
    load = "load average {:.1f} on {} cores".format(os.getloadavg()[0], os.cpu_count())
    full = read_in_child(folder, validate=True)
    bare = read_in_child(folder, validate=False)
    assert full["activity"] == meta["vle_rows"] and full["enrollments"] == meta["registrations"]
    gb = 1024 * 1024  # kB (KiB) -> GiB
    rows = [
        {"measure": "read_oulad, validated", "value": round(full["seconds"], 1), "unit": "s",
         "notes": f"{size}; {full['cpu_seconds']:.1f} s of CPU (several threads); {load}"},
        {"measure": "read_oulad, peak memory", "value": round(full["peak_kb"] / gb, 2), "unit": "GiB",
         "notes": f"peak RSS of a fresh process, of which {full['import_kb'] / gb:.2f} GiB after importing learnrisk"},
        {"measure": "read_oulad, validate=False", "value": round(bare["seconds"], 1), "unit": "s",
         "notes": f"{bare['cpu_seconds']:.1f} s of CPU, peak {bare['peak_kb'] / gb:.2f} GiB; the difference to the validated read is the contract checks"},
        {"measure": "write_oulad", "value": meta["write_seconds"], "unit": "s",
         "notes": f"same release, timed when the cache was built ({meta['built']})"},
    ]
    if quick:
        tmp.cleanup()
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick="--quick" in sys.argv):
        print(row)
