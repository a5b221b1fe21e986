"""The intervention catalog: what someone can do about an actionable driver.

The catalog is a YAML file. learnrisk ships one (``learnrisk/explain/interventions.yaml``); a user
replaces it with their own (``explain(..., interventions="my.yaml")``, ``--interventions FILE``),
or extends it with a file that starts with ``extends: default`` (entries with the id of a
default entry replace it, new ids are added)::

    extends: default
    interventions:
      - id: study-group
        title: Invite to a peer study group
        description: Suggest the weekly study group run by the learner's tutor group.
        who: tutor                    # tutor, advisor or learner
        channel: email                # free text: how it reaches the learner
        triggers:                     # any one of them triggers the intervention
          - feature: clicks_last_week # a feature of the catalog ...
            vs_cohort: below          # ... optional: learner's value below (above) the cohort median
            max: 5                    # ... optional: value bounds (inclusive): min, max
          - group: scores             # ... or any actionable feature of a catalog group
        moves:                        # optional: what the estimated reduction re-scores;
          clicks_last_week: median    #   'median' (cohort median at the same cutoff) or a number.
                                      #   Default: the triggering features, to the cohort median.

A trigger fires only on a learner's *actionable* driver (a feature that raises that learner's
risk and that the feature catalog marks actionable and not sensitive). The file is checked
against the feature catalog before use: an unknown feature or group, a trigger or move on a
non-actionable or sensitive feature, a missing field, an unknown ``who`` are errors that name the
entry.

Examples
--------
>>> catalog = load_interventions()                                     # doctest: +SKIP
>>> [i.id for i in catalog][:2]                                       # doctest: +SKIP
['reengage-checkin', 'reengage-call']
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import InterventionCatalogError, LearnriskError

__all__ = ["WHO", "Intervention", "InterventionCatalog", "InterventionCatalogError", "Trigger", "load_interventions"]

WHO = ("tutor", "advisor", "learner")
REQUIRED = ("id", "title", "description", "who", "channel", "triggers")
OPTIONAL = ("moves",)
TRIGGER_KEYS = ("feature", "group", "vs_cohort", "min", "max")
DEFAULT_FILE = "interventions.yaml"



@dataclass(frozen=True)
class Trigger:
    """One driver condition: a feature (or any feature of a group), with optional value bounds."""

    feature: str | None = None
    group: str | None = None
    vs_cohort: str | None = None  # "above" or "below" the cohort median
    min: float | None = None
    max: float | None = None

    def mask(self, feature: np.ndarray, group: np.ndarray, value: np.ndarray, cohort: np.ndarray) -> np.ndarray:
        """Which drivers meet this condition, given their feature, group, value and cohort median.

        A value condition (``min``, ``max``, ``vs_cohort``) is never met by a missing value.

        >>> Trigger(feature="f", min=7).mask(np.array(["f", "f", "g"]), np.array(["e"] * 3),
        ...                                  np.array([9.0, 3.0, 9.0]), np.array([2.0] * 3))
        array([ True, False, False])
        """
        m = np.ones(len(feature), dtype=bool)
        if self.feature is not None:
            m &= np.asarray(feature) == self.feature
        if self.group is not None:
            m &= np.asarray(group) == self.group
        with np.errstate(invalid="ignore"):
            if self.min is not None:
                m &= value >= self.min
            if self.max is not None:
                m &= value <= self.max
            if self.vs_cohort == "above":
                m &= value > cohort
            elif self.vs_cohort == "below":
                m &= value < cohort
        return m


@dataclass(frozen=True)
class Intervention:
    """One entry of the catalog."""

    id: str
    title: str
    description: str
    who: str
    channel: str
    triggers: tuple[Trigger, ...]
    moves: dict[str, float | str] = field(default_factory=dict)


class InterventionCatalog:
    """An ordered set of interventions, checked against a feature catalog with :meth:`check`."""

    def __init__(self, interventions: list[Intervention], source: str = "<memory>") -> None:
        self.interventions = list(interventions)
        self.source = source

    def __iter__(self):
        return iter(self.interventions)

    def __len__(self) -> int:
        return len(self.interventions)

    def __getitem__(self, id: str) -> Intervention:
        for i in self.interventions:
            if i.id == id:
                return i
        raise KeyError(id)

    def __repr__(self) -> str:
        return f"InterventionCatalog({len(self)} interventions from {self.source})"

    def to_frame(self) -> pd.DataFrame:
        """One row per intervention: id, title, who, channel, description, triggers (as text)."""
        rows = []
        for i in self.interventions:
            trig = "; ".join(_describe_trigger(t) for t in i.triggers)
            rows.append({"id": i.id, "title": i.title, "who": i.who, "channel": i.channel, "triggers": trig,
                         "description": i.description})
        return pd.DataFrame(rows, columns=["id", "title", "who", "channel", "triggers", "description"])

    def check(self, features: pd.DataFrame) -> InterventionCatalog:
        """Check every trigger and move against a feature catalog (name, group, actionable, sensitive).

        Raises
        ------
        InterventionCatalogError
            naming the intervention, for an unknown feature or group, or a trigger or move on a
            feature that is not actionable or is sensitive.
        """
        cat = features.drop_duplicates("name").set_index("name")
        ok = cat["actionable"].astype(bool) & ~cat["sensitive"].astype(bool)
        groups = set(cat["group"].astype(str))
        for n, i in enumerate(self.interventions, 1):
            where = f"{self.source}: intervention {i.id!r} (entry {n})"
            for k, t in enumerate(i.triggers, 1):
                if t.feature is not None:
                    _check_feature(t.feature, cat, ok, f"{where}, trigger {k}")
                if t.group is not None and t.group not in groups:
                    raise InterventionCatalogError(
                        f"{where}, trigger {k}: unknown group {t.group!r}; "
                        f"the feature catalog's groups are {sorted(groups)}"
                    )
                if t.group is not None and not ok[cat["group"].astype(str) == t.group].any():
                    raise InterventionCatalogError(
                        f"{where}, trigger {k}: group {t.group!r} has no actionable feature, so it can never "
                        "trigger; name an actionable group or feature"
                    )
            for name in i.moves:
                _check_feature(name, cat, ok, f"{where}, moves")
        return self


def load_interventions(
    path: str | os.PathLike | None = None, *, catalog: pd.DataFrame | None = None
) -> InterventionCatalog:
    """Read an intervention catalog (default: the one packaged with learnrisk).

    Parameters
    ----------
    path : path, optional
        A YAML file. With ``extends: default`` at the top it adds to (or replaces entries of)
        the packaged catalog; otherwise it replaces it.
    catalog : DataFrame, optional
        A feature catalog (:func:`learnrisk.features.catalog`) to check the file against now;
        :func:`learnrisk.explain` always checks against the catalog it uses.

    Raises
    ------
    InterventionCatalogError
        for a file that is not a catalog, naming the entry and what is wrong.

    Examples
    --------
    >>> catalog = load_interventions("my_interventions.yaml")         # doctest: +SKIP
    """
    if path is None:
        result = _default()
    else:
        path = Path(path)
        if not path.is_file():
            raise InterventionCatalogError(f"intervention catalog not found: {path} (expected a YAML file)")
        doc = _load_yaml(path.read_text(encoding="utf-8"), str(path))
        result = _parse(doc, str(path))
        if _extends(doc, str(path)):
            own = {i.id: i for i in result.interventions}
            merged = [own.pop(i.id, i) for i in _default().interventions] + list(own.values())
            result = InterventionCatalog(merged, f"{path} (extends the default catalog)")
    if catalog is not None:
        result.check(catalog)
    return result


# ---------------------------------------------------------------------- parsing
@functools.lru_cache(maxsize=1)
def _default_entries() -> tuple[Intervention, ...]:
    text = resources.files(__package__).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    source = f"learnrisk/explain/{DEFAULT_FILE}"
    return tuple(_parse(_load_yaml(text, source), source).interventions)


def _default() -> InterventionCatalog:
    """The packaged catalog (parsed once per process; entries are frozen)."""
    return InterventionCatalog(list(_default_entries()), f"learnrisk/explain/{DEFAULT_FILE}")


def _load_yaml(text: str, source: str) -> dict:
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise InterventionCatalogError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or "interventions" not in doc:
        raise InterventionCatalogError(
            f"{source}: expected a mapping with an 'interventions' list at the top, found {type(doc).__name__}"
        )
    unknown = set(doc) - {"version", "extends", "interventions"}
    if unknown:
        raise InterventionCatalogError(
            f"{source}: unknown top-level key(s) {sorted(unknown)}; allowed: version, extends, interventions"
        )
    return doc


def _extends(doc: dict, source: str) -> bool:
    value = doc.get("extends")
    if value not in (None, "default"):
        raise InterventionCatalogError(f"{source}: extends must be 'default' (or absent), found {value!r}")
    return value == "default"


def _parse(doc: dict, source: str) -> InterventionCatalog:
    entries = doc["interventions"]
    if not isinstance(entries, list):
        raise InterventionCatalogError(f"{source}: 'interventions' must be a list, found {type(entries).__name__}")
    seen: set[str] = set()
    out = []
    for n, entry in enumerate(entries, 1):
        ident = entry.get("id") if isinstance(entry, dict) else None
        where = f"{source}: intervention {ident!r} (entry {n})" if ident else f"{source}: entry {n}"
        if not isinstance(entry, dict):
            raise InterventionCatalogError(f"{where}: expected a mapping, found {type(entry).__name__}")
        missing = [k for k in REQUIRED if k not in entry or entry[k] in (None, "", [])]
        if missing:
            raise InterventionCatalogError(f"{where}: missing field(s) {missing}; every intervention needs {list(REQUIRED)}")
        unknown = set(entry) - set(REQUIRED) - set(OPTIONAL)
        if unknown:
            raise InterventionCatalogError(
                f"{where}: unknown field(s) {sorted(unknown)}; allowed: {list(REQUIRED) + list(OPTIONAL)}"
            )
        if str(entry["id"]) in seen:
            raise InterventionCatalogError(f"{where}: duplicate id; ids must be unique")
        seen.add(str(entry["id"]))
        if entry["who"] not in WHO:
            raise InterventionCatalogError(f"{where}: unknown who {entry['who']!r}; allowed: {', '.join(WHO)}")
        if not isinstance(entry["triggers"], list):
            raise InterventionCatalogError(f"{where}: triggers must be a list of conditions")
        triggers = tuple(_trigger(t, f"{where}, trigger {k}") for k, t in enumerate(entry["triggers"], 1))
        moves = entry.get("moves") or {}
        if not isinstance(moves, dict):
            raise InterventionCatalogError(f"{where}: moves must map feature names to 'median' or a number")
        for name, to in moves.items():
            if to != "median" and (isinstance(to, bool) or not isinstance(to, (int, float))):
                raise InterventionCatalogError(f"{where}: moves.{name} must be 'median' or a number, found {to!r}")
        out.append(
            Intervention(
                id=str(entry["id"]),
                title=str(entry["title"]).strip(),
                description=" ".join(str(entry["description"]).split()),
                who=str(entry["who"]),
                channel=str(entry["channel"]),
                triggers=triggers,
                moves={str(k): (v if v == "median" else float(v)) for k, v in moves.items()},
            )
        )
    return InterventionCatalog(out, source)


def _trigger(t, where: str) -> Trigger:
    if not isinstance(t, dict):
        raise InterventionCatalogError(f"{where}: expected a mapping such as {{feature: NAME}}, found {t!r}")
    unknown = set(t) - set(TRIGGER_KEYS)
    if unknown:
        raise InterventionCatalogError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {list(TRIGGER_KEYS)}")
    if ("feature" in t) == ("group" in t):
        raise InterventionCatalogError(f"{where}: give exactly one of 'feature' or 'group'")
    if t.get("vs_cohort") not in (None, "above", "below"):
        raise InterventionCatalogError(f"{where}: vs_cohort must be 'above' or 'below', found {t['vs_cohort']!r}")
    for bound in ("min", "max"):
        v = t.get(bound)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise InterventionCatalogError(f"{where}: {bound} must be a number, found {v!r}")
    return Trigger(
        feature=t.get("feature"),
        group=t.get("group"),
        vs_cohort=t.get("vs_cohort"),
        min=None if t.get("min") is None else float(t["min"]),
        max=None if t.get("max") is None else float(t["max"]),
    )


def _check_feature(name: str, cat: pd.DataFrame, ok: pd.Series, where: str) -> None:
    if name not in cat.index:
        close = [c for c in cat.index if name.split("_")[0] in c][:5]
        hint = f"; similar names: {close}" if close else ""
        raise InterventionCatalogError(f"{where}: unknown feature {name!r}{hint}; see learnrisk.features.catalog()")
    if not ok[name]:
        kind = "sensitive" if bool(cat.loc[name, "sensitive"]) else "not actionable"
        raise InterventionCatalogError(
            f"{where}: feature {name!r} is {kind} in the feature catalog; only actionable, non-sensitive "
            "features can trigger or be moved by an intervention"
        )


def _describe_trigger(t: Trigger) -> str:
    what = t.feature or f"any actionable {t.group} feature"
    parts = [what]
    if t.vs_cohort:
        parts.append(f"{t.vs_cohort} the cohort median")
    if t.min is not None:
        parts.append(f">= {t.min:g}")
    if t.max is not None:
        parts.append(f"<= {t.max:g}")
    return " ".join(parts)
