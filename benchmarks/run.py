"""Run every benchmark (``benchmarks/bench_*.py``) and write ``benchmarks/results.md``.

Each benchmark module defines ``run(quick: bool = False) -> list[dict]``; a dict is one row of
the results table with the keys ``benchmark``, ``measure``, ``value``, ``unit`` and ``notes``.
``python -m benchmarks.run bench_features`` runs only the named modules and replaces only their
rows in the table; ``--quick`` runs each on small data (a smoke check, nothing is written).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    p.add_argument("--quick", action="store_true", help="small sizes, to check the benchmark code")
    p.add_argument("--out", default=str(HERE / "results.md"))
    args = p.parse_args(argv)
    names = args.names or sorted(f.stem for f in HERE.glob("bench_*.py"))
    rows: list[dict] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name.removesuffix('.py')}")
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        got = module.run(quick=args.quick)
        for r in got:
            print(f"   {r['measure']}: {r['value']} {r.get('unit', '')}  {r.get('notes', '')}", flush=True)
        rows += [{"benchmark": name, **r} for r in got]
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}; "
        f"run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}{' (quick sizes)' if args.quick else ''}.",
        "Command: `make bench` (or `uv run python -m benchmarks.run NAME`).",
        "",
        "| benchmark | measure | value | unit | notes |",
        "|---|---|---|---|---|",
    ]
    out = Path(args.out)
    ran = {r["benchmark"] for r in rows}
    if out.exists():  # keep the rows of benchmarks not run this time
        for line in out.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| bench_") and cells[0] not in ran:
                lines.append(line)
    for r in rows:
        v = r["value"]
        v = f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
        lines.append(f"| {r['benchmark']} | {r['measure']} | {v} | {r.get('unit', '')} | {r.get('notes', '')} |")
    if not args.quick:
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
