"""What the JSON event readers (xAPI, Caliper) share: reading records from JSON and JSON-lines
files or folders of them (each record with where it came from, ``file:line``), the mapping file
(YAML), the reader options given as text (``-o key=value``) and writing JSON lines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from ..errors import ConfigError, SourceError

__all__ = ["EXT_ACTIVITY_TYPE", "EXT_ASSESSMENT", "EXT_CLICKS", "JSON_SUFFIXES", "Where", "first_attempts", "loc", "flag", "iter_records", "load_mapping", "options_known", "write_jsonl"]

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
LEARNRISK = "https://w3id.org/learnrisk/xapi/"
EXT_CLICKS = LEARNRISK + "clicks"
"""Extension key (xAPI ``result.extensions``, Caliper event ``extensions``): how many clicks the
record stands for (default 1). learnrisk's writers use it; other sources rarely have it."""
EXT_ACTIVITY_TYPE = LEARNRISK + "activity-type"
"""Extension key (xAPI ``context.extensions``, Caliper event ``extensions``): the activity type,
winning over the verb or event-type map (exact round trips of the writers)."""
EXT_ASSESSMENT = LEARNRISK + "assessment"
"""Extension key (xAPI ``object.definition.extensions``, Caliper assignable ``extensions``):
``{"kind", "due_at", "weight"}`` of an assessment."""
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def json_files(source: str | Path, what: str) -> list[Path]:
    """The files of ``source``: the file itself, or a folder's ``*.json``/``*.jsonl``/``*.ndjson``
    files (recursively, in name order)."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in JSON_SUFFIXES)
        if not files:
            raise SourceError(f"{path}: no {what} files (*.json, *.jsonl, *.ndjson) in this folder")
        return files
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    return [path]


Where = tuple  # (file or page name, position, True if the position is an index in a JSON array)


def loc(where: Where) -> str:
    """``file:line`` (JSON lines) or ``file:[i]`` (the i-th element of a JSON array)."""
    name, pos, in_array = where
    return f"{name}:[{pos}]" if in_array else f"{name}:{pos}"


def iter_records(source: str | Path, *, what: str, list_key: str | None = None) -> Iterator[tuple[Any, Where]]:
    """Every record of the JSON files of ``source`` with where it is (a :data:`Where`, written by
    :func:`loc`). A ``.json`` file holds one array, an object with the array under ``list_key``
    (if given) or one record; other files are JSON lines (blank lines skipped). Raises
    SourceError naming the line for text that is not JSON."""
    for path in json_files(source, what):
        name = str(path)
        if path.suffix.lower() == ".json":
            try:
                doc = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise SourceError(f"{path}: not valid JSON ({exc})") from None
            if list_key and isinstance(doc, dict) and isinstance(doc.get(list_key), list):
                doc = doc[list_key]
            if isinstance(doc, list):
                for i, rec in enumerate(doc):
                    yield rec, (name, i, True)
            else:
                yield doc, (name, 1, False)
            continue
        loads = orjson.loads
        with path.open("rb", buffering=1 << 20) as f:
            for i, line in enumerate(f, 1):
                try:
                    rec = loads(line)
                except orjson.JSONDecodeError as exc:
                    if not line.strip():
                        continue
                    raise SourceError(f"{path}:{i}: not valid JSON ({exc})") from None
                yield rec, (name, i, False)


def load_mapping(mapping, known: Iterable[str], kind: str) -> dict:
    """The mapping file (YAML; a path) or dict as a dict, its top-level keys checked."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        import yaml

        path = Path(mapping)
        if not path.is_file():
            raise ConfigError(f"mapping file {path} not found")
        try:
            mapping = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"mapping file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(mapping, dict):
            raise ConfigError(f"mapping file {path} must hold a mapping (key: value), found {type(mapping).__name__}")
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        raise ConfigError(f"{kind} mapping: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return mapping


def options_known(options: dict, known: Iterable[str], kind: str) -> None:
    """ConfigError for a reader option (``-o key=value``) the reader does not take."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(f"{kind}: unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def flag(value, name: str) -> bool:
    """A yes/no option given as text (``-o strict=true``) or a bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(f"option {name} takes true or false, found {value!r}")


def strip_prefix(values: pd.Series, prefix: str | None) -> pd.Series:
    """``values`` without the leading ``prefix`` (ids written as IRIs: ``https://lms/courses/C1`` -> ``C1``)."""
    if not prefix:
        return values
    if isinstance(values.dtype, pd.CategoricalDtype):  # on the categories only (injective)
        cats = values.cat.categories.astype("str")
        return values.cat.rename_categories(cats.where(~cats.str.startswith(prefix), cats.str.slice(len(prefix))))
    return values.where(~values.str.startswith(prefix, na=False), values.str.slice(len(prefix)))


def iso(times: pd.Series) -> list[str]:
    """UTC times as ISO 8601 text with a ``Z`` (microseconds only when there are some)."""
    has_us = bool((times.dt.microsecond != 0).any()) if len(times) else False
    return times.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if has_us else "%Y-%m-%dT%H:%M:%SZ").tolist()


def first_attempts(sub: pd.DataFrame, report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(assessments, submissions) from scored records (``learner_id``, ``assessment_id``,
    ``submitted_at``, ``score`` 0-100, optionally ``scored_at``, ``course_id``, ``info`` the
    assessment extension or None):
    the first attempt per learner and assessment is kept (the later ones counted in ``report``);
    an assessment's kind, due date and weight come from ``info``, else ``assessment``, none, 1."""
    s = sub.assign(score=sub["score"].astype("float64").round(9)).sort_values("submitted_at", kind="stable")
    later = s.duplicated(["learner_id", "assessment_id"]).to_numpy()
    report.drop("later attempts at an assessment (the first attempt is kept)", int(later.sum()), s.loc[later, "assessment_id"].head(3))
    s = s[~later]
    a = s.drop_duplicates("assessment_id")
    info = [x if isinstance(x, dict) else {} for x in a["info"]]
    assessments = pd.DataFrame({
        "assessment_id": a["assessment_id"].to_numpy(), "course_id": a["course_id"].to_numpy(),
        "kind": [str(i.get("kind") or "assessment") for i in info],
        "due_at": pd.to_datetime(pd.Series([i.get("due_at") for i in info], dtype="object"), utc=True, format="ISO8601"),
        "weight": [float(i["weight"]) if i.get("weight") is not None else 1.0 for i in info],
    })
    if any(not i for i in info):
        report.note("assessments without learnrisk's assessment extension: kind 'assessment', no due date, weight 1 (equal weights)")
    return assessments, s[[c for c in ("learner_id", "assessment_id", "submitted_at", "score", "scored_at") if c in s.columns]]


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    """Records as JSON lines (orjson), one per line."""
    with path.open("wb") as f:
        for rec in records:
            f.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
    return path
