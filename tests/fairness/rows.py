"""Synthetic scored rows for the audit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from learnrisk.fairness import select_top


def scored_rows(n: int = 6000, *, effect: str = "none", seed: int = 0, weeks: int = 4) -> pd.DataFrame:
    """Scored enrollment-weeks with one balanced binary attribute ``gender``.

    effect="strong": the score of group "M" carries much more noise (a model that ranks
    one group far worse, AUC ~0.95 vs ~0.65); effect="none": the same score model for both.
    """
    rng = np.random.default_rng(seed)
    gender = rng.choice(["F", "M"], n)
    y = rng.random(n) < 0.3
    noise = np.where((gender == "M") & (effect == "strong"), 3.0, 0.8)
    logit = -1.5 + 2.5 * y + rng.normal(0, 1, n) * noise
    frame = pd.DataFrame(
        {
            "course_id": rng.choice(["A-2023", "B-2023"], n),
            "week": rng.integers(1, weeks + 1, n),
            "gender": gender,
            "y_true": y.astype(float),
            "score": 1 / (1 + np.exp(-logit)),
        }
    )
    frame["selected"] = select_top(frame, top_frac=0.1)
    return frame
