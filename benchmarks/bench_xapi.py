"""10 million xAPI statements (JSON lines) to canonical Parquet: statements per second and peak
memory (issue 13; goals: at least 200,000 statements/s and at most 4 GB).

The statements are the synthetic writer's (``learnrisk synth --format xapi``: a statement per
activity row with its clicks in ``result.extensions``, one per submission) repeated until there
are ``N`` of them, each repetition with new statement ids and its own learners (``R<k>-`` before
the account name), so that no two repetitions collapse into the same activity rows. The import
runs in a fresh process, as ``learnrisk import --from xapi FILE --mapping MAP --out DIR`` does
(read, then write the Parquet folder), timed by phase; peak memory is that process's peak RSS.

``LEARNRISK_BENCH_XAPI_N`` sets N (default 10,000,000; ``--quick``: 50,000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("LEARNRISK_BENCH_XAPI_N", 10_000_000))

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from learnrisk import sources
report = sources.ImportReport("xapi")
data = sources.read("xapi", sys.argv[1], report=report, mapping=sys.argv[2])
t1 = time.perf_counter()
data.to_parquet(sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"read": t1 - t0, "write": t2 - t1, "cpu": time.process_time() - c0, "statements": report.read,
                  "activity": report.mapped.get("activity", 0), "submissions": report.mapped.get("submissions", 0),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _statements(folder: Path, n: int) -> tuple[Path, Path, int]:
    """``n`` statements in ``folder/statements.jsonl`` (the synthetic writer's, repeated)."""
    import learnrisk
    from learnrisk import sources

    base = folder / "base"
    sources.write("xapi", learnrisk.synthetic.generate(n_learners=max(50, min(2000, n // 2000)), seed=0), base)
    lines = (base / "statements.jsonl").read_bytes().splitlines(keepends=True)
    assert all(line.startswith(b'{"id":"') for line in lines[:10])
    out = folder / "statements.jsonl"
    written = 0
    with out.open("wb") as f:
        rep = 0
        while written < n:
            take = lines[: n - written]
            head = b'{"id":"%08x' % rep
            block = b"".join([head + line[15:] for line in take])  # a new id: its first 8 hex digits
            f.write(block.replace(b'"name":"', b'"name":"R%d-' % rep))
            written += len(take)
            rep += 1
    return out, base / "xapi-mapping.yaml", written


def run(quick: bool = False) -> list[dict]:
    n = 50_000 if quick else N
    with tempfile.TemporaryDirectory(prefix="bench-xapi-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path, mapping, n = _statements(folder, n)
        gen = time.perf_counter() - t0
        size_gb = path.stat().st_size / 1e9
        load = os.getloadavg()[0]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(mapping), str(folder / "canon")],
                              env=env, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        got = json.loads(done.stdout.strip().splitlines()[-1])
        load = max(load, os.getloadavg()[0])
    note = f"load average {load:.1f} on {os.cpu_count()} cores (shared machine)"
    return [
        {"measure": "statements", "value": n, "unit": "statements",
         "notes": f"JSON lines, {size_gb:.2f} GB; the synthetic writer's output repeated with new ids and learners (written in {gen:.0f} s)"},
        {"measure": "statements per second, whole import", "value": round(n / wall), "unit": "statements/s",
         "notes": f"{wall:.1f} s wall: read {got['read']:.1f} s, Parquet {got['write']:.1f} s, process start incl.; goal 200,000; {note}"},
        {"measure": "statements per second, CPU", "value": round(n / got["cpu"]), "unit": "statements/s",
         "notes": f"{got['cpu']:.1f} s CPU time of the import process (what an idle core would take)"},
        {"measure": "peak memory", "value": round(got["peak_mb"]), "unit": "MB",
         "notes": f"peak RSS of the import process; goal 4,096 MB; {got['activity']:,} activity rows, {got['submissions']:,} submissions written"},
    ]
