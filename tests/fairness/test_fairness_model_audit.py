"""`audit(model, data)`: features, labels, scores and the decision built from a model and data."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import learnrisk
from learnrisk import synthetic
from learnrisk.fairness import FairnessAuditError, audit

WEEKS = range(1, 7)
INJECTED = {"disability", "deprivation", "prior_education"}  # what sensitive_effect shifts


def _world(effect: str, n_learners: int, seed: int = 0):
    data = synthetic.generate(n_learners=n_learners, n_courses=1, offerings=2, seed=seed, sensitive_effect=effect)
    model, _ = learnrisk.train(data, target="dropout", weeks=WEEKS, model="logistic", baselines=False, fairness=False)
    return data, model


@pytest.fixture(scope="module")
def small_world():
    return _world("modest", 800, seed=3)


def test_audit_scores_the_models_test_offerings(small_world):
    data, model = small_world
    report = audit(model, data, weeks=WEEKS)
    assert report.params["offerings"] == model.metadata["test_offerings"] == ["AAA-2013J"]
    assert report.params["offerings_chosen"] == "the model's test offerings"
    assert report.params["target"] == "dropout" and report.params["top_frac"] == 0.1
    assert set(report.attributes) == {"gender", "age_band", "region", "disability", "deprivation", "prior_education"}
    assert report.params["size_unit"] == "enrollments"
    # The operating decision is the top 10 % of each week's list: the pooled selection rate is ~0.1.
    assert report.overall.set_index("week").loc["all", "selection_rate"] == pytest.approx(0.1, abs=0.01)
    assert report.params["weeks"] == list(WEEKS)


def test_audit_of_named_groups_and_offerings_warns_about_training_rows(small_world):
    data, model = small_world
    report = audit(model, data, groups=["gender"], weeks=range(1, 3), test_offerings=["AAA-2013B", "AAA-2013J"])
    assert report.attributes == ["gender"]
    assert report.warnings[0].startswith("the audit includes offerings the model was trained on (AAA-2013B)")
    with pytest.raises(FairnessAuditError, match="unknown offering"):
        audit(model, data, test_offerings=["ZZZ-2020B"])
    with pytest.raises(FairnessAuditError, match="neither a learner nor an enrollment column"):
        audit(model, data, groups=["shoe_size"], weeks=[1])
    with pytest.raises(FairnessAuditError, match="fitted RiskModel"):
        audit(object(), data)


def test_audit_builds_features_for_the_audited_offerings_only(small_world):
    # Other offerings in the data change nothing: the audit of AAA-2013J is the same on the
    # data restricted to it (its features never depend on the other offering's rows).
    data, model = small_world
    kwargs = dict(groups=["gender", "disability"], weeks=range(1, 4), test_offerings=["AAA-2013J"], n_permutations=20)
    full = audit(model, data, **kwargs)
    alone = audit(model, data.select_courses(["AAA-2013J"]), **kwargs)
    assert full.to_dict() == alone.to_dict()
    assert full.params["n_rows"] == alone.params["n_rows"] > 0


def test_audit_test_courses_is_a_deprecated_alias_of_test_offerings(small_world):
    data, model = small_world
    kwargs = dict(groups=["gender"], weeks=[1, 2], n_permutations=0)
    with pytest.warns(DeprecationWarning, match="test_offerings"):
        old = audit(model, data, test_courses=["AAA-2013J"], **kwargs)
    new = audit(model, data, test_offerings=["AAA-2013J"], **kwargs)
    assert old.to_dict() == new.to_dict()
    with pytest.raises(FairnessAuditError, match="test_offerings only"):
        audit(model, data, test_offerings=["AAA-2013J"], test_courses=["AAA-2013J"], **kwargs)


def test_audit_takes_other_learner_columns_as_groups(small_world):
    data, model = small_world
    data = copy.copy(data)  # the fixture's data stays as it was
    data.learners = data.learners.assign(
        department=np.where(np.arange(len(data.learners)) % 2 == 0, "Sales", "Support")
    )
    report = audit(model, data, groups=["department"], weeks=range(1, 3))
    assert set(report.summary["group"]) == {"Sales", "Support"}


def test_strong_injected_association_is_flagged_and_none_is_not():
    # About 5 s on a quiet 2-core machine (logistic model). ~4,000 learners, two offerings (test: the later, ~2,000 enrollments), weeks 1-6.
    # The generator's "strong" effect shifts motivation and ability by the learner's
    # disadvantage (deprivation, disability, prior education): the groups' dropout rates
    # differ and the model follows them, so the top-10 % list takes some groups several
    # times as often; with "none" no group differs and nothing is flagged.
    data, model = _world("strong", 4000)
    strong = audit(model, data, weeks=WEEKS)
    flagged = set(strong.flagged) | set(strong.flagged_selection)
    assert flagged and flagged <= INJECTED
    assert any("observed event rates" in f for f in strong.flags)
    data, model = _world("none", 4000)
    none = audit(model, data, weeks=WEEKS)
    assert none.flags == [] and none.passed
