"""Regenerate the model cards in models/ from the committed synthetic sample.

    uv run python models/make_cards.py

Trains both targets on data/synthetic/sample (weeks 1-20, default LightGBM, test = the 2014J
offerings) with the generator's truth for the oracle column, and writes
models/sample-<target>.md. No MLflow needed; nothing but aggregates goes into the cards.
"""

from pathlib import Path

import pandas as pd

import learnrisk
from learnrisk.train import model_card

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

if __name__ == "__main__":
    data = learnrisk.read_parquet(ROOT / "data" / "synthetic" / "sample")
    truth = pd.read_parquet(ROOT / "data" / "synthetic" / "sample-truth.parquet")
    feats = learnrisk.build_features(data, weeks=range(1, 21))
    for target in ("dropout", "underperformance"):
        model, report = learnrisk.train(data, target, weeks=range(1, 21), features=feats, truth=truth)
        text = model_card(model, report, name=f"learnrisk-{target} (committed synthetic sample)")
        (HERE / f"sample-{target}.md").write_text(text)
        print(report)
