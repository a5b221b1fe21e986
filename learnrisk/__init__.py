"""learnrisk: early-warning risk models for learners.

The public face is a few verbs and nouns; everything else lives in private modules.

>>> import learnrisk
>>> data = learnrisk.synthetic.generate(n_learners=500, seed=0)          # doctest: +SKIP
>>> feats = learnrisk.build_features(data, weeks=range(1, 11))           # doctest: +SKIP
>>> model, report = learnrisk.train(data, target="dropout")              # doctest: +SKIP
"""

from __future__ import annotations

from . import synthetic
from .data import LearningData, load_data, read_oulad, read_parquet, write_oulad
from .errors import DataValidationError, LearnriskError, ModelLoadError
from . import fairness, features
from .features import build_features
from .explain import Explanation, explain
from .train import RiskModel, load_model, train
from .scoring import ScoreResult, score

__version__ = "0.1.0"

__all__ = [
    "DataValidationError",
    "Explanation",
    "LearnriskError",
    "LearningData",
    "ModelLoadError",
    "__version__",
    "build_features",
    "explain",
    "fairness",
    "features",
    "load_data",
    "read_oulad",
    "RiskModel",
    "ScoreResult",
    "load_model",
    "read_parquet",
    "score",
    "synthetic",
    "train",
    "write_oulad",
]
