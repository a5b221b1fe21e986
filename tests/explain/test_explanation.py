"""The Explanation object: plain data, JSON records, summary, repr, row selection, plot."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from learnrisk.explaining import Explanation, explain


@pytest.fixture(scope="module")
def ex(tree_model, feats, top_rows) -> Explanation:
    return explain(tree_model, feats, rows=top_rows)


def _no_numpy(obj) -> None:
    if isinstance(obj, dict):
        for v in obj.values():
            _no_numpy(v)
    elif isinstance(obj, list):
        for v in obj:
            _no_numpy(v)
    else:
        assert obj is None or type(obj) in (str, int, float, bool), type(obj)


def test_records_round_trip_through_json(ex):
    records = ex.to_records(contributions=True)
    assert len(records) == len(ex) == int(ex.risk.size)
    _no_numpy(records)
    back = json.loads(json.dumps(records, allow_nan=False))
    assert back == records
    r = back[0]
    assert set(r) >= {"learner_id", "course_id", "week", "cutoff", "risk", "raw_score", "base_value", "drivers",
                      "recommendations", "contributions"}
    assert pd.Timestamp(r["cutoff"]) == ex.keys["cutoff"].iloc[0]  # ISO string with the time zone
    assert r["raw_score"] == pytest.approx(r["base_value"] + sum(r["contributions"].values()), abs=1e-6)
    with_recs = next(x for x in back if x["recommendations"])
    assert isinstance(with_recs["recommendations"][0]["triggered_by"], list)


def test_frames_have_the_documented_columns(ex):
    assert {"learner_id", "course_id", "week", "cutoff", "rank", "driver", "group", "contribution", "value",
            "cohort_value", "sentence", "actionable"} <= set(ex.drivers.columns)
    assert {"learner_id", "course_id", "intervention_id", "title", "who", "channel", "triggered_by",
            "estimated_reduction", "rank"} <= set(ex.recommendations.columns)
    assert ex.contributions.shape == (len(ex), len(ex.metadata))
    assert set(ex.groups.columns) >= {"engagement", "submissions"}
    np.testing.assert_allclose(ex.groups.sum(axis=1), ex.contributions.sum(axis=1))
    assert isinstance(ex.base_value, float)


def test_summary_and_repr(ex):
    s = ex.summary
    assert len(s) == len(ex) and list(s.columns[:4]) == ["learner_id", "course_id", "week", "cutoff"]
    first = ex.drivers[ex.drivers["row"] == s.index[0]]
    assert s["drivers"].iloc[0] == "; ".join(first["sentence"])
    assert (s["top_reduction"] >= 0).all()
    text = repr(ex)
    assert f"{len(ex):,} rows of a cohort of" in text and "LightGBM TreeSHAP" in text


def test_rows_by_label_mask_and_series(tree_model, feats):
    labels = list(feats.index[[3, 10, 40]])
    a = explain(tree_model, feats, rows=labels)
    mask = feats.index.isin(labels)
    b = explain(tree_model, feats, rows=mask)
    c = explain(tree_model, feats, rows=pd.Series(mask, index=feats.index))
    assert list(a.contributions.index) == labels
    pd.testing.assert_frame_equal(a.contributions, b.contributions)
    pd.testing.assert_frame_equal(b.drivers, c.drivers)
    with pytest.raises(KeyError, match="rows not in"):
        explain(tree_model, feats, rows=[10**9])
    with pytest.raises(ValueError, match="more than once"):
        explain(tree_model, feats, rows=[3, 3])
    with pytest.raises(ValueError, match="boolean rows mask"):
        explain(tree_model, feats, rows=np.array([True, False]))


def test_explaining_a_subset_gives_the_same_answer_as_explaining_all(tree_model, feats):
    rows = [5, 77, 300]
    part = explain(tree_model, feats, rows=rows)
    whole = explain(tree_model, feats)
    pd.testing.assert_frame_equal(part.contributions, whole.contributions.loc[rows], atol=1e-12)
    w = whole.drivers[whole.drivers["row"].isin(rows)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.drivers, w)


def test_plot_waterfall(ex):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = ex.plot_waterfall(0, max_features=6)
    assert len(ax.patches) == 7  # 6 features and "n other features"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(" = " in t for t in labels) and "other features" in labels[0]
    plt.close(ax.figure)


def test_linear_model_explanation(linear_model, feats):
    ex = explain(linear_model, feats, rows=np.arange(0, 200, 10))
    assert ex.kind == "linear"
    np.testing.assert_allclose(ex.contributions.sum(axis=1) + ex.base_value, ex.raw_score, atol=1e-6)
    json.dumps(ex.to_records())


@pytest.mark.parametrize("which", ["tree_model", "linear_model"])
def test_no_rows_to_explain(which, request, feats):
    model = request.getfixturevalue(which)
    ex = explain(model, feats, rows=np.zeros(len(feats), dtype=bool))
    assert len(ex) == 0 and ex.drivers.empty and ex.recommendations.empty and ex.to_records() == []
    assert np.isfinite(ex.base_value)
    assert ex.base_value == pytest.approx(explain(model, feats, rows=[0]).base_value)
