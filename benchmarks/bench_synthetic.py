"""How fast ``learnrisk.synthetic.generate`` makes an OULAD-sized set.

The set: ``generate(n_learners=29_500, n_courses=7, offerings=4)``, about 32,000 enrollments
in 28 offerings and 10 million activity rows, the size of the full OULAD release (32,593
registrations, 10.6 million VLE rows). Measured, the best of 2 runs in one process:

- wall-clock seconds and CPU seconds of the process for ``generate`` (the machine is shared:
  CPU time is the generator's own cost, wall time what a user waits);
- activity rows per second (wall and CPU);
- the extra time of ``return_truth=True`` (the exact backward recursion of the oracle);
- seconds to check the result with ``LearningData.validate()`` (not part of ``generate``).

    uv run python -m benchmarks.run bench_synthetic
"""

from __future__ import annotations

import os
import time

FULL = dict(n_learners=29_500, n_courses=7, offerings=4, seed=0)
QUICK = dict(n_learners=2_000, n_courses=3, offerings=2, seed=0)
REPEAT = 2


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def run(quick: bool = False) -> list[dict]:
    from learnrisk.synthetic import generate

    cfg = QUICK if quick else FULL
    size = f"{cfg['n_learners']:,} learners, {cfg['n_courses']} codes x {cfg['offerings']} offerings"
    best = None
    for _ in range(REPEAT):
        data, wall, cpu = _timed(lambda: generate(**cfg))
        if best is None or wall < best[1]:
            best = (data, wall, cpu)
        del data
    data, wall, cpu = best
    rows = len(data.activity)
    (_, truth), wall_t, cpu_t = _timed(lambda: generate(**cfg, return_truth=True))
    _, wall_v, _ = _timed(data.validate)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    note = f"{size}; load average {load:.1f} on {os.cpu_count()} cores"
    return [
        {"measure": "generate, wall", "value": round(wall, 2), "unit": "s", "notes": note},
        {"measure": "generate, CPU", "value": round(cpu, 2), "unit": "s", "notes": "process CPU time"},
        {"measure": "enrollments", "value": len(data.enrollments), "unit": "rows", "notes": size},
        {"measure": "activity rows", "value": rows, "unit": "rows", "notes": size},
        {"measure": "activity rows per second, wall", "value": int(rows / wall), "unit": "rows/s", "notes": "whole generate"},
        {"measure": "activity rows per second, CPU", "value": int(rows / cpu), "unit": "rows/s", "notes": "whole generate"},
        {
            "measure": "return_truth extra, wall",
            "value": round(max(wall_t - wall, 0.0), 2),
            "unit": "s",
            "notes": f"{len(truth):,} truth rows (CPU extra {max(cpu_t - cpu, 0.0):.2f} s)",
        },
        {"measure": "validate the result, wall", "value": round(wall_v, 2), "unit": "s", "notes": "LearningData.validate()"},
    ]
