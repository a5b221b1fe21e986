"""The intervention catalog: the packaged one is valid, bad files are rejected naming the entry,
and no recommendation ever comes from a non-actionable or sensitive feature."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from learnrisk.explaining import InterventionCatalogError, explain, load_interventions
from learnrisk.explaining._explain import _recommend
from learnrisk.explaining._interventions import InterventionCatalog, Intervention, Trigger
from learnrisk.features import catalog

GOOD = """
interventions:
  - id: nudge
    title: A nudge
    description: Send a nudge.
    who: tutor
    channel: email
    triggers:
      - feature: days_since_last_activity
        min: 7
"""


def write(tmp_path, text: str):
    path = tmp_path / "catalog.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_default_catalog_is_valid_against_the_feature_catalog():
    cat = load_interventions(catalog=catalog())
    ids = [i.id for i in cat]
    assert len(ids) >= 8 and len(set(ids)) == len(ids)
    assert {i.who for i in cat} == {"tutor", "advisor", "learner"}
    # re-engagement, missed or late work, low or falling scores, never-started learners
    triggered = {t.feature for i in cat for t in i.triggers}
    assert {"days_since_last_activity", "assessments_missed", "submissions_late", "score_mean", "score_trend",
            "never_active"} <= triggered


def test_default_catalog_covers_the_actionable_features():
    """Every actionable feature can trigger something, so no actionable driver goes unanswered."""
    meta = catalog()
    actionable = set(meta.loc[meta["actionable"] & ~meta["sensitive"], "name"])
    triggered = {t.feature for i in load_interventions() for t in i.triggers}
    # the share of clicks on content is a mix, not a behaviour to change
    assert actionable - triggered == {"share_clicks_content"}


def test_default_catalog_is_packaged_as_data():
    from importlib import resources

    assert resources.files("learnrisk.explaining").joinpath("interventions.yaml").is_file()


def test_a_good_user_file_replaces_the_default(tmp_path):
    cat = load_interventions(write(tmp_path, GOOD), catalog=catalog())
    assert [i.id for i in cat] == ["nudge"]
    assert cat["nudge"].triggers == (Trigger(feature="days_since_last_activity", min=7.0),)


def test_extends_default_adds_and_replaces_by_id(tmp_path):
    default = load_interventions()
    text = GOOD.replace("interventions:", "extends: default\ninterventions:", 1)
    text += GOOD.split("interventions:\n", 1)[1].replace("id: nudge", f"id: {default.interventions[0].id}")
    cat = load_interventions(write(tmp_path, text), catalog=catalog())
    assert len(cat) == len(default) + 1
    assert cat[default.interventions[0].id].title == "A nudge"
    assert [i.id for i in cat][-1] == "nudge"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("days_since_last_activity", "days_since_last_login"), "unknown feature 'days_since_last_login'"),
        (("    channel: email\n", ""), "missing field(s) ['channel']"),
        (("who: tutor", "who: manager"), "unknown who 'manager'; allowed: tutor, advisor, learner"),
        (("days_since_last_activity", "gender"), "feature 'gender' is sensitive"),
        (("days_since_last_activity", "prior_attempts"), "feature 'prior_attempts' is not actionable"),
        (("        min: 7", "        min: seven"), "min must be a number"),
        (("      - feature: days_since_last_activity", "      - group: background"), "has no actionable feature"),
        (("    channel: email\n", "    channel: email\n    cost: 3\n"), "unknown field(s) ['cost']"),
    ],
)
def test_a_bad_catalog_is_rejected_naming_the_entry(tmp_path, edit, message):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(InterventionCatalogError) as err:
        load_interventions(write(tmp_path, text), catalog=catalog())
    assert "intervention 'nudge' (entry 1)" in str(err.value)
    assert message in str(err.value)


def test_a_bad_catalog_is_rejected_by_explain(tmp_path, tree_model, feats):
    path = write(tmp_path, GOOD.replace("days_since_last_activity", "clicks_last_week"))
    with pytest.raises(InterventionCatalogError, match="'nudge'.*unknown feature 'clicks_last_week'"):
        explain(tree_model, feats, rows=[0], interventions=path)


def test_not_a_catalog(tmp_path):
    with pytest.raises(InterventionCatalogError, match="'interventions' list"):
        load_interventions(write(tmp_path, "- just a list\n"))
    with pytest.raises(InterventionCatalogError, match="duplicate id"):
        load_interventions(write(tmp_path, GOOD + GOOD.split("interventions:\n", 1)[1]))
    with pytest.raises(InterventionCatalogError, match="not found"):
        load_interventions(tmp_path / "nope.yaml")


def test_no_recommendation_from_non_actionable_or_sensitive_features(sensitive_model, feats):
    """Over every row of the cohort, with a model that uses the sensitive attributes."""
    ex = explain(sensitive_model, feats, top_n=5)
    meta = catalog().set_index("name")
    ok = set(meta.index[meta["actionable"] & ~meta["sensitive"]])
    assert len(ex.recommendations) > 100
    triggered = {f for text in ex.recommendations["triggered_by"] for f in text.split(", ")}
    assert triggered <= ok
    # and every triggering feature is one of the learner's shown, actionable drivers
    shown = set(zip(ex.drivers["row"], ex.drivers["driver"], ex.drivers["actionable"]))
    for row, text in zip(ex.recommendations["row"], ex.recommendations["triggered_by"]):
        for f in text.split(", "):
            assert (row, f, True) in shown
    # context drivers exist: the test is not vacuous
    assert (~ex.drivers["actionable"]).sum() > 0


def test_runtime_guard_ignores_non_actionable_drivers_even_if_a_trigger_names_them():
    """A catalog that was never checked (built in memory) still cannot act on context drivers."""
    cat = InterventionCatalog(
        [Intervention("bad", "t", "d", "tutor", "email", (Trigger(feature="gender"), Trigger(group="background")))]
    )
    drivers = pd.DataFrame(
        {"row": [0, 0], "rank": [1, 2], "driver": ["gender", "prior_attempts"], "group": ["background", "background"],
         "contribution": [0.5, 0.3], "value": ["F", 2.0], "cohort_value": [np.nan, 0.0],
         "actionable": [False, False], "sensitive": [True, False]}
    )
    recs = _recommend(drivers, pd.DataFrame(index=[0]), cat)
    assert recs.empty
