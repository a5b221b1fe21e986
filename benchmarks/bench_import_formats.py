"""``learnrisk import`` readers for the file formats of issue 13 (mapped CSV, Canvas Data 2, Open
edX): records per second and peak memory.

The synthetic generator (1,000 learners, one course, two offerings, seed 0) is written in each
format by its writer (``learnrisk.sources.write``): one record per click (an events.csv row, a
web_logs request, a tracking-log event), about 0.9 million of them. Each read runs in a fresh
Python process that reports the time of the ``sources.read`` call (including ``from_frames``
and validation) and its own peak resident memory (VmHWM).

    uv run python -m benchmarks.run bench_import_formats
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
import learnrisk
from learnrisk import sources

def peak_kb():
    with open("/proc/self/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))

kind, source, mapping = sys.argv[1], sys.argv[2], sys.argv[3] or None
opts = json.loads(sys.argv[4])
report = sources.ImportReport(kind)
t0 = time.perf_counter()
data = sources.read(kind, source, report=report, mapping=mapping, **opts)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "read": report.read, "activity": len(data.activity), "peak_mb": peak_kb() / 1024}))
"""

CASES = {  # kind -> (what to pass as SOURCE, mapping file, options)
    "csv": (".", "mapping.yaml", {}),
    "canvas": (".", "", {"course_id": "sis"}),
    "edx": ("tracking.log", "mapping.yaml", {"learner": "username"}),
}


def run(quick: bool = False) -> list[dict]:
    import learnrisk
    from learnrisk import sources

    n = 60 if quick else 1000
    data = learnrisk.synthetic.generate(n, 1, 2, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, (src, mapping, opts) in CASES.items():
            folder = Path(tmp) / kind
            sources.write(kind, data, folder)
            out = subprocess.run(
                [sys.executable, "-c", CHILD, kind, str(folder / src), str(folder / mapping) if mapping else "", json.dumps(opts)],
                capture_output=True, text=True, check=True,
            )
            got = json.loads(out.stdout.strip().splitlines()[-1])
            note = f"{got['read']:,} records -> {got['activity']:,} activity rows; {n:,} learners, 2 offerings"
            rows += [
                {"measure": f"{kind}: records per second", "value": int(got["read"] / got["seconds"]), "unit": "records/s", "notes": note},
                {"measure": f"{kind}: read time", "value": round(got["seconds"], 2), "unit": "s", "notes": "sources.read, from_frames and validation"},
                {"measure": f"{kind}: peak memory", "value": round(got["peak_mb"]), "unit": "MB", "notes": "fresh process, VmHWM"},
            ]
    return rows
