"""Training, temporal evaluation, tracking and the model registry."""

from ._card import model_card
from ._evaluate import EvaluationReport, evaluate_scores
from ._model import Calibrator, RiskModel, drift_by_feature, psi, split_by_learner
from ._tracking import Gate, GateResult, TrackedRun, check_gate, load_model, log_run, resolve_tracking_uri
from ._trainer import EngagementRule, temporal_split, train

__all__ = [
    "Calibrator",
    "EngagementRule",
    "EvaluationReport",
    "Gate",
    "GateResult",
    "RiskModel",
    "TrackedRun",
    "check_gate",
    "drift_by_feature",
    "evaluate_scores",
    "load_model",
    "log_run",
    "model_card",
    "psi",
    "resolve_tracking_uri",
    "split_by_learner",
    "temporal_split",
    "train",
]
