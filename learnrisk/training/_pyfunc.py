"""The MLflow pyfunc wrapper of a RiskModel (imported only when MLflow is used).

The LightGBM flavour's pyfunc ``predict`` returns 0/1 labels; this wrapper's ``predict`` takes
the features frame and returns the calibrated probabilities an advisor list needs.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from ._model import RiskModel


class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """``predict(features_frame)`` -> calibrated probabilities (a Series named probability)."""

    # MLflow would otherwise ask for type hints on predict (and warn each time the class is
    # rebuilt); the signature logged with the model, inferred from a synthetic example,
    # validates the inputs instead.
    _skip_type_hint_validation = True

    def load_context(self, context):
        self.model = RiskModel.load(context.artifacts["risk_model"])

    def predict(self, context, model_input, params=None):
        return pd.Series(self.model.predict_proba(model_input), name="probability")
