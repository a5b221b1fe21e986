"""The MLflow pyfunc wrapper of a RiskModel, logged as a model from code (no pickle).

``log_run`` gives MLflow the path of this file (``python_model=<this file>``, MLflow's "models
from code"): MLflow stores the file's text beside the ``risk_model`` artifact folder, and loading
the model runs the file, which builds the wrapper with :func:`mlflow.models.set_model`. Nothing
is cloudpickled: the wrapper's code is this file, the model is the folder written by
:meth:`RiskModel.save` and read by :meth:`RiskModel.load` (JSON and LightGBM's text format).

MLflow runs this file as a module of its own (not as part of the package), hence the absolute
import. The LightGBM flavour's pyfunc ``predict`` returns 0/1 labels; this wrapper's ``predict``
takes the features frame and returns the calibrated probabilities an advisor list needs. The
input may carry ``course_id`` (an optional column of the signature): a model calibrated per
course code then uses each row's course code calibrator, as :meth:`RiskModel.predict_proba`
does.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd
from mlflow.models import set_model

from learnrisk.training._model import RiskModel


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


set_model(RiskModelPyfunc())
