"""Print the realism figures of synthetic data beside those of an OULAD release.

    uv run python -m learnrisk.synthetic --oulad ../shared/data/oulad-sample --learners 3000 --seed 7

The synthetic set is ``generate(learners, courses, offerings, seed=seed)``, by default the
committed sample ``data/synthetic/sample``; the table is the one in ``docs/synthetic.md``.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..data import read_oulad
from . import generate
from ._realism import realism


def main(argv: list[str] | None = None) -> int:

    p = argparse.ArgumentParser(description="Compare the realism figures of synthetic data and OULAD.")
    p.add_argument("--oulad", help="folder of the OULAD release (or the sample in ../shared)")
    p.add_argument("--learners", type=int, default=3000)
    p.add_argument("--courses", type=int, default=3)
    p.add_argument("--offerings", type=int, default=4)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    columns = {"synthetic": realism(generate(args.learners, args.courses, args.offerings, seed=args.seed))}
    if args.oulad:
        columns["OULAD"] = realism(read_oulad(args.oulad))
    table = pd.DataFrame(columns)
    print("| figure | " + " | ".join(table.columns) + " |")
    print("|---|" + "---|" * len(table.columns))
    for name, row in table.iterrows():
        cells = [f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}" if abs(v) < 1 else f"{v:.1f}" for v in row]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
