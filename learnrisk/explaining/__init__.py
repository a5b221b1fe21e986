"""Explanations: per-learner drivers in plain words and intervention recommendations.

>>> ex = learnrisk.explain(model, feats, rows=feats["learner_id"] == "L42")   # doctest: +SKIP
>>> ex.drivers[["sentence", "actionable"]]                                    # doctest: +SKIP
>>> ex.recommendations[["title", "who", "estimated_reduction"]]               # doctest: +SKIP

See ``docs/explain.md``. The estimated risk reduction of an intervention is an association in the
model, not a causal effect.
"""

from ..training._contributions import feature_contributions
from ._explain import explain
from ._explanation import Explanation
from ._interventions import Intervention, InterventionCatalog, InterventionCatalogError, load_interventions

__all__ = [
    "Explanation",
    "Intervention",
    "InterventionCatalog",
    "InterventionCatalogError",
    "explain",
    "feature_contributions",
    "load_interventions",
]
