"""The catalog describes exactly the columns of a features frame; sensitive attributes are opt-in."""

from __future__ import annotations

import pandas as pd

from learnrisk.features import KEY_COLUMNS, build_features, catalog, feature_columns, sensitive_attributes


def test_catalog_matches_the_frame(tiny):
    cat = catalog()
    assert list(cat.columns) == ["name", "group", "description", "actionable", "sensitive", "unit"]
    assert cat.name.is_unique
    assert set(cat.group) <= {"time", "engagement", "submissions", "scores", "registration", "background"}
    assert cat.description.str.len().gt(5).all() and cat.unit.str.len().gt(0).all()
    frame = build_features(tiny, weeks=[2])
    numeric = catalog(include_sensitive=False)
    assert feature_columns(frame) == list(numeric.name)
    assert not numeric.sensitive.any()
    # actionable: what a tutor or learner can change, never timing or background
    flags = cat.set_index("name")
    assert flags.loc["days_since_last_activity", "actionable"] and flags.loc["assessments_missed", "actionable"]
    assert not flags.loc[["week", "days_registered_before_start", "prior_attempts", "gender"], "actionable"].any()
    assert flags.loc["gender", "sensitive"] and flags.loc["gender", "group"] == "background"


def test_feature_columns_are_everything_but_the_keys_plus_week(tiny):
    frame = build_features(tiny, weeks=[2])
    cols = feature_columns(frame)
    assert cols[0] == "week" and not set(cols) & {"learner_id", "course_id", "cutoff"}
    assert len(cols) == frame.shape[1] - len(KEY_COLUMNS) + 1


def test_sensitive_attributes_only_when_asked(tiny):
    plain = build_features(tiny, weeks=[2])
    assert "gender" not in plain.columns
    with_s = build_features(tiny, weeks=[2], include_sensitive=True)
    assert isinstance(with_s["gender"].dtype, pd.CategoricalDtype)
    assert list(with_s["gender"].cat.categories) == ["F", "M"]
    assert "gender" in feature_columns(with_s)
    pd.testing.assert_frame_equal(with_s[plain.columns], plain)
    sens = sensitive_attributes(tiny, plain)
    assert sens.index.equals(plain.index) and list(sens.columns) == ["gender"]
    assert dict(zip(plain.learner_id, sens.gender.astype(str))) == {"L1": "F", "L2": "M", "L3": "F", "L4": "M", "L6": "M", "L7": "F"}


def test_sensitive_attributes_prefer_enrollment_columns(tiny):
    tiny.enrollments["age_band"] = ["0-35", "35-55", "0-35", "55<=", "0-35", "35-55", "0-35", "0-35"]
    tiny.learners["age_band"] = "ignored"
    frame = build_features(tiny, weeks=[1])
    sens = sensitive_attributes(tiny, frame)
    assert list(sens.columns) == ["gender", "age_band"]
    l1 = sens[(frame.learner_id == "L1").to_numpy()]
    assert set(l1.age_band.astype(str)) == {"0-35", "35-55"}  # L1 in A-2023 and in A-2024


def test_docs_list_every_feature():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "features.md").read_text()
    for name in catalog().name:
        assert f"| `{name}` |" in doc, f"docs/features.md: {name} missing from the catalog table"
