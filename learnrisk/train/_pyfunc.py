"""The MLflow pyfunc wrapper of a RiskModel (imported only when MLflow is used).

The LightGBM flavour's pyfunc ``predict`` returns 0/1 labels; this wrapper's ``predict`` takes
the features frame and returns the calibrated probabilities an advisor list needs.
"""

from __future__ import annotations

import warnings

import mlflow.pyfunc
import pandas as pd

from ._model import RiskModel

with warnings.catch_warnings():
    # MLflow asks for type hints on predict to validate inputs; the signature logged with the
    # model (inferred from a synthetic example) does that job here.
    warnings.simplefilter("ignore", UserWarning)

    class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
        """``predict(features_frame)`` -> calibrated probabilities (a Series named probability)."""

        def load_context(self, context):
            self.model = RiskModel.load(context.artifacts["risk_model"])

        def predict(self, context, model_input, params=None):
            return pd.Series(self.model.predict_proba(model_input), name="probability")
