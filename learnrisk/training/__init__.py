"""Training, temporal evaluation, tracking and the model registry."""

from ._card import model_card
from ._evaluate import EvaluationReport, calibration_by_offering, evaluate_risk, evaluate_scores
from ._model import CANDIDATES, Calibrator, RiskModel, drift_by_feature, psi, select_candidate, split_by_learner
from ._tracking import Gate, GateResult, TrackedRun, check_gate, load_model, log_run, resolve_tracking_uri
from ._trainer import EngagementRule, temporal_split, train

__all__ = [
    "CANDIDATES",
    "Calibrator",
    "EngagementRule",
    "EvaluationReport",
    "Gate",
    "GateResult",
    "RiskModel",
    "TrackedRun",
    "check_gate",
    "calibration_by_offering",
    "drift_by_feature",
    "evaluate_risk",
    "evaluate_scores",
    "load_model",
    "log_run",
    "model_card",
    "psi",
    "resolve_tracking_uri",
    "select_candidate",
    "split_by_learner",
    "temporal_split",
    "train",
]
