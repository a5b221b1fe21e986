"""Per-row feature contributions in the model's raw (log-odds) space.

Three routes, chosen by ``model.kind_``; all give ``contributions.sum(axis=1) + base_value ==
model.decision_function(features)`` (additivity, tested to 1e-6):

- ``"tree"`` (LightGBM): the booster's own TreeSHAP, ``predict(X, pred_contrib=True)``. It is
  the same algorithm, and the same C++ code, that ``shap.TreeExplainer`` calls for LightGBM
  (shap 0.51 delegates to it in ``TreeExplainer.shap_values``), without shap's model parsing.
  The last column LightGBM returns is the expected raw score (the base value), identical on
  every row.
- ``"linear"`` (a scikit-learn pipeline ending in a logistic regression): exact contributions
  through the pipeline's transforms. For the default ``impute -> scale -> LogisticRegression``::

      contribution_j = w_j * (x_j_imputed - mean_j) / scale_j,      base_value = intercept

  so the base value is the log-odds of a learner at the training mean of every feature.
- ``"other"``: the ``shap`` library's model-agnostic explainer on the raw score (exact for up to
  10 features, permutation above), with a background sample of 50 cohort rows; the base value
  is the mean raw score over that background. Both are exactly additive whatever the sample;
  the permutation estimate uses 3 antithetic permutations per row (about 0.1 s a row for a
  33-feature gradient-boosting model), so it is a fallback, not the route for large lists.

Contributions are computed on the model's input matrix (``model.prepare``) and then mapped back
to the features frame's columns: the one-hot columns ``attribute=value`` of a category add up to
one contribution for ``attribute``.

Examples
--------
>>> contrib, base = feature_contributions(model, features)        # doctest: +SKIP
>>> np.allclose(contrib.sum(axis=1) + base, model.decision_function(features))  # doctest: +SKIP
True
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ..errors import ExplainError

__all__ = ["feature_contributions", "input_contributions", "source_of"]

BACKGROUND_ROWS = 50
PERMUTATIONS = 3  # antithetic permutation pairs per row for the shap route (cost ~0.1 s/row)


def input_contributions(
    model, X: pd.DataFrame, *, background: pd.DataFrame | None = None, random_state: int = 0
) -> tuple[pd.DataFrame, float]:
    """Contributions per model input column (``model.feature_names_``) and the base value.

    Parameters
    ----------
    model : RiskModel
        A fitted model.
    X : DataFrame
        The model's input matrix, ``model.prepare(features)``.
    background : DataFrame, optional
        Input rows that stand for "a typical learner" for the ``"other"`` route (default: ``X``);
        at most 50 of them are drawn.

    Returns
    -------
    contributions : DataFrame, index of ``X``, one column per model input
    base_value : float
    """
    kind = getattr(model, "kind_", "other")
    est = model.estimator_
    if len(X) == 0:  # nothing to explain: only the base value, from a one-row probe
        probe = pd.DataFrame(np.full((1, X.shape[1]), np.nan), columns=X.columns)
        if kind == "tree" or (kind == "linear" and _linear_ok(est, X)):
            _, base = input_contributions(model, probe)
        else:
            bg = X if background is None else background
            base = float(np.mean(model._raw(bg))) if len(bg) else float("nan")
        return pd.DataFrame(np.empty((0, X.shape[1])), index=X.index, columns=list(X.columns)), float(base)
    if kind == "tree":
        values, base = _tree(est, X)
    elif kind == "linear" and _linear_ok(est, X):
        values, base = _linear(est, X)
    else:
        bg = X if background is None else background
        values, base = _shap_other(model, X, bg, random_state)
    return pd.DataFrame(values, index=X.index, columns=list(X.columns)), float(base)


def feature_contributions(
    model, features: pd.DataFrame, *, background: pd.DataFrame | None = None, random_state: int = 0
) -> tuple[pd.DataFrame, float]:
    """Contributions per features-frame column (``model.source_columns_``) and the base value.

    Same as :func:`input_contributions` on ``model.prepare(features)``, with the one-hot columns
    of each category summed into their attribute. ``background`` is a features frame here.
    """
    X = model.prepare(features)
    bg = None if background is None else model.prepare(background)
    contrib, base = input_contributions(model, X, background=bg, random_state=random_state)
    return to_source(model, contrib), base


def source_of(model) -> dict[str, str]:
    """Map each model input column to the features-frame column it comes from.

    >>> source_of(model)["gender=F"]                                  # doctest: +SKIP
    'gender'
    """
    names = list(model.feature_names_)
    cats = getattr(model, "categories_", {}) or {}
    out = {}
    for name in names:
        out[name] = name
        for attr, values in cats.items():
            if name in {f"{attr}={v}" for v in values}:
                out[name] = attr
                break
    return out


def to_source(model, contrib: pd.DataFrame) -> pd.DataFrame:
    """Sum the contributions of input columns that come from the same features-frame column."""
    mapping = source_of(model)
    if all(k == v for k, v in mapping.items()):
        return contrib
    sources = list(getattr(model, "source_columns_", dict.fromkeys(mapping.values())))
    out = contrib.T.groupby(pd.Index([mapping[c] for c in contrib.columns]), sort=False).sum().T
    return out[[c for c in sources if c in out.columns]]


# ---------------------------------------------------------------------- routes
def _tree(est, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    # LGBMClassifier.predict(..., pred_contrib=True) uses the same iterations as the raw score
    # that decision_function returns (best_iteration_ when early stopping kept one).
    out = np.asarray(est.predict(X, pred_contrib=True), dtype=float)
    if out.ndim != 2 or out.shape[1] != X.shape[1] + 1:
        raise ExplainError(
            f"LightGBM returned contributions of shape {out.shape} for {X.shape[1]} features; "
            "expected (rows, features + 1): only binary classifiers are supported"
        )
    return out[:, :-1], float(out[0, -1])


def _split_pipeline(est) -> tuple[list, object]:
    if isinstance(est, Pipeline):
        return [step for _, step in est.steps[:-1]], est.steps[-1][1]
    return [], est


def _linear_ok(est, X: pd.DataFrame) -> bool:
    """True when the transforms before the logistic regression keep one column per input."""
    transforms, final = _split_pipeline(est)
    coef = getattr(final, "coef_", None)
    return coef is not None and coef.shape == (1, X.shape[1]) and all(hasattr(t, "transform") for t in transforms)


def _linear(est, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    transforms, final = _split_pipeline(est)
    Z = X
    for t in transforms:
        Z = t.transform(Z)
    Z = np.asarray(Z, dtype=float)
    # For impute -> StandardScaler this is w_j * (x_j_imputed - mean_j) / scale_j.
    return Z * final.coef_[0], float(final.intercept_[0])


def _shap_other(model, X: pd.DataFrame, background: pd.DataFrame, random_state: int) -> tuple[np.ndarray, float]:
    import shap

    columns = list(X.columns)
    rng = np.random.default_rng(random_state)
    if len(background) > BACKGROUND_ROWS:
        background = background.iloc[np.sort(rng.choice(len(background), BACKGROUND_ROWS, replace=False))]

    def raw(a: np.ndarray) -> np.ndarray:
        return model._raw(pd.DataFrame(a, columns=columns))

    masker = shap.maskers.Independent(background.to_numpy(dtype=float), max_samples=BACKGROUND_ROWS)
    explainer = shap.Explainer(raw, masker, feature_names=columns, seed=random_state)
    n_features = len(columns)
    # shap calls the model many times on small batches: OpenMP threads (HistGradientBoosting,
    # LightGBM) cost more than they give there (4 rows of a 5-feature model: 6.2 s with the
    # default threads, 0.16 s with one, measured on 2 busy shared cores). The first call in a
    # process also pays shap's numba compilation (10-50 s).
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", category=UserWarning)  # shap's progress-bar notices
        kwargs = {} if n_features <= 10 else {"max_evals": PERMUTATIONS * (2 * n_features + 1)}
        ex = explainer(X.to_numpy(dtype=float), silent=True, **kwargs)
    values = np.asarray(ex.values, dtype=float)
    base_values = np.atleast_1d(np.asarray(ex.base_values, dtype=float))
    base = float(base_values[0]) if len(base_values) else float(np.mean(raw(background.to_numpy(dtype=float))))
    return values, base
