"""learnrisk: early-warning risk models for learners.

The public face is a few verbs and nouns, re-exported lazily (PEP 562): ``import learnrisk``
loads none of pandas' heavy neighbours (scikit-learn, SciPy, LightGBM, MLflow); each name is
imported from the module that owns it on first use. ``docs/architecture.md`` maps the layers.

>>> import learnrisk
>>> data = learnrisk.synthetic.generate(n_learners=500, seed=0)          # doctest: +SKIP
>>> feats = learnrisk.build_features(data, weeks=range(1, 11))           # doctest: +SKIP
>>> model, report = learnrisk.train(data, target="dropout")              # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that owns it (relative to this package)
_EXPORTS: dict[str, str] = {
    # data
    "LearningData": ".data",
    "load_data": ".data",
    "read_oulad": ".data",
    "read_parquet": ".data",
    "write_oulad": ".data",
    # sources (platform exports)
    "from_frames": ".sources",
    # errors
    "ConfigError": ".errors",
    "DataValidationError": ".errors",
    "LearnriskError": ".errors",
    "ModelLoadError": ".errors",
    "NotFittedError": ".errors",
    "ScoringError": ".errors",
    # features, targets
    "build_features": ".features",
    "make_labels": ".targets",
    # training
    "RiskModel": ".training",
    "load_model": ".training",
    "train": ".training",
    # explaining
    "Explanation": ".explaining",
    "explain": ".explaining",
    # impact
    "kpi_impact": ".impact",
    # scoring
    "ScoreResult": ".scoring",
    "score": ".scoring",
}
# subpackages reachable as attributes (``learnrisk.fairness.audit``, ``learnrisk.synthetic.generate``)
_SUBMODULES = (
    "data",
    "errors",
    "explaining",
    "fairness",
    "features",
    "impact",
    "metrics",
    "monitoring",
    "scoring",
    "sources",
    "synthetic",
    "targets",
    "timeline",
    "training",
)

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from . import data, errors, explaining, fairness, features, impact, metrics, scoring, synthetic, targets, timeline, training
    from .data import LearningData, load_data, read_oulad, read_parquet, write_oulad
    from .errors import ConfigError, DataValidationError, LearnriskError, ModelLoadError, NotFittedError, ScoringError
    from .explaining import Explanation, explain
    from .features import build_features
    from .scoring import ScoreResult, score
    from .targets import make_labels
    from .training import RiskModel, load_model, train
