"""Training, temporal evaluation, tracking and the model registry."""

from ._model import Calibrator, RiskModel, psi, split_by_learner

__all__ = ["Calibrator", "RiskModel", "psi", "split_by_learner"]
