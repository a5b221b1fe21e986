"""A model trained with sensitive attributes (include_sensitive=True) can be scored."""

import learnrisk
from learnrisk import targets
from learnrisk.training import RiskModel

from .conftest import AS_OF


def test_model_with_sensitive_attributes_is_scored(world):
    data = world["data"]
    feats = learnrisk.build_features(data, weeks=range(1, 11), include_sensitive=True)
    y = targets.make_labels(data, feats, "dropout")
    model = RiskModel("logistic", target="dropout").fit(feats[y.notna()], y[y.notna()])
    assert any("=" in name for name in model.feature_names_)  # one-hot sensitive columns
    result = learnrisk.score(data, AS_OF, model)
    assert len(result.risk_list) > 0 and result.risk_list["p_dropout"].between(0, 1).all()
