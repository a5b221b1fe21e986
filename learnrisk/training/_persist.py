"""Model files that load without pickle: :meth:`RiskModel.save` and :meth:`RiskModel.load`.

A saved model is a folder:

- ``model.json``: the parameters and every fitted attribute (feature names, categories, the
  drift references, the selection table, the metadata), the calibrators (isotonic thresholds,
  or the sigmoid's slope and intercept, pooled and per course code) and the estimator: a
  scikit-learn pipeline (imputer statistics, scaler means and scales, logistic coefficients) or
  the engagement rule as plain numbers, LightGBM as a reference to its booster file;
- ``booster.txt``: LightGBM's own text format of the trees (when the estimator is LightGBM);
- ``estimator.skops``: any other scikit-learn estimator, in skops' format (loaded only with the
  types skops trusts by default; other types need ``trust_pickle=True``).

Why not pickle: unpickling a file runs whatever code the file asks for, before any check can
look at it. A weekly job that loads ``models:/NAME@champion`` would run the code of anybody who
can write to the model registry or the model folder. JSON and LightGBM's text format are data:
reading them creates numbers, never calls. Only the classes named in :data:`PLAIN` are rebuilt
from JSON, by their parameters and fitted attributes.

A folder of the former format (``model.pkl`` only) is refused with :class:`ModelLoadError`
unless the caller says the file is trusted (``RiskModel.load(path, trust_pickle=True)``, the
``--trust-pickle`` flag of the commands); re-saving it then writes the new format.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.pipeline import Pipeline

from ..errors import ModelLoadError

FORMAT = "learnrisk-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
PICKLE_FILE = "model.pkl"
TRUST_HINT = "RiskModel.load(path, trust_pickle=True) in Python, --trust-pickle on the command line"
# classes rebuilt from JSON (their get_params() and fitted attributes): name -> (module, attribute)
PLAIN: dict[str, tuple[str, str]] = {
    "SimpleImputer": ("sklearn.impute", "SimpleImputer"),
    "StandardScaler": ("sklearn.preprocessing", "StandardScaler"),
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "Calibrator": ("learnrisk.training", "Calibrator"),
    "EngagementRule": ("learnrisk.training", "EngagementRule"),
}
# state LightGBM's scikit-learn wrapper keeps that is rebuilt, not stored
_LGBM_REBUILT = ("_Booster", "_le", "_evals_result", "_best_score")


class IsotonicMap:
    """A fitted isotonic regression read back from its thresholds (``predict`` only).

    ``predict`` computes what :class:`sklearn.isotonic.IsotonicRegression` does with
    ``out_of_bounds="clip"``: clip to the fitted range, then linear interpolation between the
    thresholds (``np.interp``, which scipy's ``interp1d`` calls for 1-D float data), so the numbers
    are identical.
    """

    def __init__(self, X_thresholds_, y_thresholds_, X_min_: float, X_max_: float) -> None:
        self.X_thresholds_ = np.asarray(X_thresholds_, dtype=float)
        self.y_thresholds_ = np.asarray(y_thresholds_, dtype=float)
        self.X_min_, self.X_max_ = float(X_min_), float(X_max_)

    def predict(self, T) -> np.ndarray:
        x, y = self.X_thresholds_, self.y_thresholds_
        t = np.clip(np.asarray(T, dtype=float).reshape(-1), self.X_min_, self.X_max_)
        if len(y) == 1:
            return y.repeat(t.shape)
        return np.interp(t, x, y)  # what interp1d delegates to for 1-D float64 data


# ---------------------------------------------------------------------------- values
class _Files:
    """The folder the side files (booster, skops) go to or come from, and the trust setting."""

    def __init__(self, folder: Path, trust_pickle: bool = False) -> None:
        self.folder, self.trust_pickle, self.n = folder, trust_pickle, 0

    def name(self, stem: str, ext: str) -> str:
        self.n += 1
        return f"{stem}{'' if self.n == 1 else f'-{self.n}'}.{ext}"


def _enc(v: Any, files: _Files, lenient: bool = False) -> Any:
    """A JSON value for ``v`` (arrays, frames and estimators tagged); ``lenient``: str() the rest."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.dtype):
        return {"__dtype__": str(v)}
    if isinstance(v, np.ndarray):
        return {"__ndarray__": [_enc(x, files, lenient) for x in v.tolist()] if v.dtype == object else v.tolist(), "dtype": str(v.dtype)}
    if isinstance(v, pd.DataFrame):
        cols = {str(c): {"values": _enc(v[c].to_numpy(), files, lenient), "dtype": str(v[c].dtype)} for c in v.columns}
        return {"__frame__": cols, "columns": [str(c) for c in v.columns]}
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {k: _enc(x, files, lenient) for k, x in v.items()}
        return {"__items__": [[_enc(k, files, lenient), _enc(x, files, lenient)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return [_enc(x, files, lenient) for x in v]
    if isinstance(v, (BaseEstimator, IsotonicMap)):
        return {"__estimator__": encode_estimator(v, files)}
    if lenient:
        return str(v)
    raise TypeError(f"cannot store a {type(v).__name__} in {MODEL_FILE}")


def _dec(v: Any, files: _Files) -> Any:
    if isinstance(v, list):
        return [_dec(x, files) for x in v]
    if not isinstance(v, dict):
        return v
    if "__ndarray__" in v:
        values = v["__ndarray__"]
        if v["dtype"] == "object":
            out = np.empty(len(values), dtype=object)
            out[:] = [_dec(x, files) for x in values]
            return out
        return np.asarray(values, dtype=v["dtype"])
    if "__dtype__" in v:
        return np.dtype(v["__dtype__"])
    if "__frame__" in v:
        cols = v["__frame__"]
        return pd.DataFrame({c: pd.Series(_dec(cols[c]["values"], files), dtype=cols[c]["dtype"]) for c in v["columns"]})
    if "__items__" in v:
        return {_hashable(_dec(k, files)): _dec(x, files) for k, x in v["__items__"]}
    if "__estimator__" in v:
        return decode_estimator(v["__estimator__"], files)
    return {k: _dec(x, files) for k, x in v.items()}


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


# ---------------------------------------------------------------------------- estimators
def _plain_class(name: str) -> type:
    module, attr = PLAIN[name]
    return getattr(importlib.import_module(module), attr)


def _state(obj: Any, params: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k not in params and k not in skip}


def encode_estimator(est: Any, files: _Files) -> dict[str, Any]:
    """The JSON form of an estimator (fitted or not); side files are written to ``files.folder``."""
    name = type(est).__name__
    if isinstance(est, IsotonicRegression) or isinstance(est, IsotonicMap):
        if not hasattr(est, "X_thresholds_"):
            raise TypeError("an unfitted IsotonicRegression has no stored form")
        return {
            "type": "isotonic",
            "X_thresholds_": est.X_thresholds_.tolist(),
            "y_thresholds_": est.y_thresholds_.tolist(),
            "X_min_": float(est.X_min_),
            "X_max_": float(est.X_max_),
        }
    if isinstance(est, Pipeline):
        params = {k: v for k, v in est.get_params(deep=False).items() if k != "steps"}
        return {"type": "pipeline", "steps": [[n, encode_estimator(s, files)] for n, s in est.steps], "params": _enc(params, files)}
    if name == "LGBMClassifier" and type(est).__module__.startswith("lightgbm"):
        params = est.get_params(deep=False)
        out = {"type": "lightgbm", "params": _enc(params, files)}
        if getattr(est, "fitted_", False):
            booster = files.name("booster", "txt")
            (files.folder / booster).write_text(est.booster_.model_to_string(num_iteration=-1))
            out["booster"] = booster
            out["best_iteration"] = int(est.booster_.best_iteration)
            out["state"] = _enc(_state(est, params, _LGBM_REBUILT), files)
        return out
    if name in PLAIN and type(est) is _plain_class(name):
        params = est.get_params(deep=False)
        return {"type": "plain", "class": name, "params": _enc(params, files), "state": _enc(_state(est, params), files)}
    return _skops_dump(est, files)


def decode_estimator(spec: dict[str, Any], files: _Files) -> Any:
    kind = spec["type"]
    if kind == "isotonic":
        return IsotonicMap(spec["X_thresholds_"], spec["y_thresholds_"], spec["X_min_"], spec["X_max_"])
    if kind == "pipeline":
        return Pipeline([(n, decode_estimator(s, files)) for n, s in spec["steps"]], **_dec(spec["params"], files))
    if kind == "plain":
        if spec["class"] not in PLAIN:
            raise ModelLoadError(f"{MODEL_FILE} names the class {spec['class']!r}, which is not one learnrisk rebuilds ({', '.join(PLAIN)})")
        return _rebuild(_plain_class(spec["class"])(**_dec(spec["params"], files)), _dec(spec.get("state", {}), files))
    if kind == "lightgbm":
        import lightgbm
        from sklearn.preprocessing import LabelEncoder

        est = lightgbm.LGBMClassifier(**_dec(spec["params"], files))
        if "booster" not in spec:
            return est
        booster = lightgbm.Booster(model_str=_side_file(files, spec["booster"]).read_text())
        booster.best_iteration = int(spec["best_iteration"])
        _rebuild(est, _dec(spec["state"], files))
        est._Booster = booster
        est._le = LabelEncoder().fit(est._classes)
        est._evals_result, est._best_score = {}, {}
        return est
    if kind == "skops":
        return _skops_load(spec, files)
    raise ModelLoadError(f"{MODEL_FILE} holds an estimator of unknown type {kind!r}")


def _rebuild(obj: Any, state: dict[str, Any]) -> Any:
    for k, v in state.items():
        setattr(obj, k, v)
    return obj


def _side_file(files: _Files, name: str) -> Path:
    path = files.folder / name
    if Path(name).name != name or not path.is_file():
        raise ModelLoadError(f"{files.folder}: {MODEL_FILE} refers to {name!r}, which is not a file of this folder")
    return path


def _skops_dump(est: Any, files: _Files) -> dict[str, Any]:
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops comes with MLflow
        raise ModelLoadError(
            f"cannot save a {type(est).__name__} without pickle: it has no plain form and skops is not installed "
            "(pip install skops), or use model='lightgbm', 'logistic' or 'auto'"
        ) from None
    name = files.name("estimator", "skops")
    sio.dump(est, files.folder / name)
    return {"type": "skops", "file": name, "class": f"{type(est).__module__}.{type(est).__qualname__}"}


def _skops_load(spec: dict[str, Any], files: _Files) -> Any:
    import skops.io as sio

    path = _side_file(files, spec["file"])
    untrusted = sio.get_untrusted_types(file=path)
    if untrusted and not files.trust_pickle:
        raise ModelLoadError(
            f"cannot read the model at {files.folder}: its estimator ({spec.get('class')}) needs types skops does not "
            f"trust by default ({', '.join(untrusted[:5])}); if you trust the folder's source, load it with {TRUST_HINT}"
        )
    return sio.load(path, trusted=untrusted or None)


# ---------------------------------------------------------------------------- the model
def write_model(model: BaseEstimator, path: str | os.PathLike) -> Path:
    """Write ``model`` (a RiskModel) to the folder ``path``: ``model.json`` and its side files."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    files = _Files(folder)
    params = model.get_params(deep=False)
    state = _state(model, params)
    metadata = state.pop("metadata_", {})
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        # read at a glance (what model.json held before it became the model)
        "target": getattr(model, "target", None),
        "kind": state.get("kind_"),
        "features": state.get("feature_names_"),
        "metadata": _enc(metadata, files, lenient=True),
        "params": _enc(params, files),
        "state": _enc(state, files),
    }
    tmp = folder / f".{MODEL_FILE}.tmp"
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, folder / MODEL_FILE)
    return folder


def read_model(cls: type, path: str | os.PathLike, *, trust_pickle: bool = False) -> Any:
    """Read a model of class ``cls`` from a folder written by :func:`write_model` (or its
    ``model.json``); a ``model.pkl`` only with ``trust_pickle=True``."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if path.is_dir() and (path / MODEL_FILE).is_file() or path.name == MODEL_FILE and path.is_file():
        return _read_json(cls, folder, trust_pickle)
    pkl = path / PICKLE_FILE if path.is_dir() else path
    if not pkl.is_file():
        raise ModelLoadError(f"no saved RiskModel at {path} (expected a folder with {MODEL_FILE})")
    if not trust_pickle:
        raise ModelLoadError(
            f"cannot read the model at {pkl}: it is a pickle (the format learnrisk saved before {MODEL_FILE}), and "
            f"loading a pickle runs any code the file holds, before any check. If you trust its source, load it with "
            f"{TRUST_HINT}, then save it again to get the {MODEL_FILE} format"
        )
    try:
        with open(pkl, "rb") as fh:
            model = pickle.load(fh)  # noqa: S301 - the caller said the file is trusted
    except Exception as exc:
        raise ModelLoadError(f"cannot read the model at {pkl}: {exc}") from exc
    if not isinstance(model, cls):
        raise ModelLoadError(f"{pkl} holds a {type(model).__name__}, not a {cls.__name__}")
    return model


def _read_json(cls: type, folder: Path, trust_pickle: bool) -> Any:
    file = folder / MODEL_FILE
    try:
        doc = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read the model at {file}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelLoadError(f"cannot read the model at {file}: not a saved {cls.__name__} (no \"format\": \"{FORMAT}\")")
    if doc.get("format_version", 0) > FORMAT_VERSION:
        raise ModelLoadError(
            f"cannot read the model at {file}: format version {doc['format_version']} is newer than this learnrisk "
            f"reads ({FORMAT_VERSION}); upgrade learnrisk"
        )
    if doc.get("class") != cls.__name__:
        raise ModelLoadError(f"{file} holds a {doc.get('class')}, not a {cls.__name__}")
    files = _Files(folder, trust_pickle)
    try:
        model = cls(**_dec(doc["params"], files))
        _rebuild(model, _dec(doc["state"], files))
        model.metadata = _dec(doc.get("metadata") or {}, files)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"cannot read the model at {file}: {type(exc).__name__}: {exc}") from exc
    return model
