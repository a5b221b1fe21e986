"""xAPI statements (``learnrisk import --from xapi``): JSON and JSON-lines files, folders of them,
or a live LRS through the Statements API; and the writer (``learnrisk synth --format xapi``).

How a statement becomes canonical rows (``docs/sources-xapi-caliper.md`` has the worked examples):

- **learner**: the actor's ``account.name``; an ``mbox`` becomes the SHA-1 of the mbox (the same
  text as its ``mbox_sha1sum``, so both forms are one learner and no address is ever written);
  ``mbox_sha1sum`` and ``openid`` as given;
- **activity type**: the verb through the verb map (:data:`DEFAULT_VERBS`, the mapping's
  ``verbs:`` wins; a key is a verb IRI or the last segment of one); a verb mapped to ``null`` is
  not a learner action (``scored``, ``voided``); a verb in no map is dropped and counted (an
  error with ``-o strict=true``). learnrisk's own extension ``.../activity-type`` in
  ``context.extensions`` wins over the verb (the writer uses it for exact round trips);
- **clicks**: one statement is one click unless ``result.extensions`` carries a count under
  :data:`EXT_CLICKS`;
- **enrollments**: one per learner and course seen, registered at the first statement or at a
  ``registered`` statement on the course, whichever is earlier (a learner who registered and
  never acted is enrolled, and scored);
- **course**: the first activity of ``context.contextActivities`` ``parent`` or ``grouping``
  whose ``definition.type`` is a course type (``http://adlnet.gov/expapi/activities/course``),
  else the statement's ``context.registration`` in the mapping's ``course.registrations``, else
  the object itself when it is a course; no course: dropped and counted (strict: an error);
- **submissions**: a statement on an assessment (object type ``.../assessment`` or
  ``.../cmi.interaction``) with ``result.score`` or a submitting verb (completed, passed,
  failed, scored); the score is ``scaled`` x 100, else ``raw`` rescaled from ``min``-``max`` to
  0-100, else ``raw``; the first attempt per learner and assessment is kept (the later ones are
  counted);
- **voided**: a statement with the verb ``voided`` removes the statement it names;
- **errors** (one line naming ``file:line`` or the statement id, nothing written): a statement
  without an actor, a verb or a timestamp, an actor with no identifier, a version other than
  1.0.x, a time that is not ISO 8601.

Statements are parsed with orjson; the first ``validate`` statements (100 by default) are also
checked against ralph's pydantic xAPI model (``ralph.models.xapi``, extra ``xapi``), which is too
slow for millions.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, SourceError
from ._frames import ImportReport, from_frames
from ._jsonfiles import EXT_ACTIVITY_TYPE, EXT_ASSESSMENT, EXT_CLICKS, first_attempts, flag, iso, iter_records, loc, load_mapping, options_known, strip_prefix, write_jsonl
from ._registry import register

__all__ = ["ADL_VERBS", "DEFAULT_VERBS", "EXT_ACTIVITY_TYPE", "EXT_ASSESSMENT", "EXT_CLICKS", "read_xapi", "write_xapi"]

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_TYPES = "http://adlnet.gov/expapi/activities/"
VOIDED = ADL_VERBS + "voided"

DEFAULT_VERBS: dict[str, str | None] = {
    # content (docs/features.md: the "content" family)
    "experienced": "content", "launched": "content", "progressed": "content", "viewed": "content",
    "watched": "video", "played": "video", "read": "content", "downloaded": "resource", "accessed": "content",
    # quiz family
    "attempted": "assessment", "answered": "question", "passed": "assessment", "failed": "assessment",
    "mastered": "assessment", "submitted": "assessment", "completed": "completion",
    # forum family
    "commented": "comment", "asked": "forum-post", "responded": "forum-post", "shared": "forum-post",
    "posted": "forum-post", "replied": "forum-post",
    # other
    "initialized": "session", "terminated": "session", "suspended": "session", "resumed": "session",
    "exited": "session", "logged-in": "session", "logged-out": "session", "interacted": "interaction",
    "preferred": "preferences", "imported": "content", "attended": "meeting",
    # not learner actions: a score report, enrolment bookkeeping, voiding
    "scored": None, "registered": None, "unregistered": None, "satisfied": None, "waived": None, "voided": None,
}
"""Verb (last segment of the IRI; ADL's vocabulary http://adlnet.gov/expapi/verbs/ and the common
tincan/activitystrea.ms ones) -> activity type; ``None``: not a learner action (no activity row).
The activity types fall into the feature families: content, quiz (assessment, question),
forum (comment, forum-post) and other (completion, session, interaction)."""

COURSE_TYPES = (ADL_TYPES + "course",)
ASSESSMENT_TYPES = (ADL_TYPES + "assessment", ADL_TYPES + "cmi.interaction")
SUBMITTING_VERBS = ("completed", "passed", "failed", "scored")
MAPPING_KEYS = ("verbs", "course", "assessments", "resources", "course_dates", "strict")
OPTIONS = ("strict", "since", "until", "user", "password_env", "limit", "validate")


@dataclass
class XapiMap:
    """The mapping file's settings (YAML keys ``verbs``, ``course``, ``assessments``, ``resources``,
    ``course_dates``, ``strict``) with the defaults filled in."""

    verbs: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_VERBS))
    course_types: tuple[str, ...] = COURSE_TYPES
    course_from: tuple[str, ...] = ("parent", "grouping")
    course_strip: str | None = None
    registrations: dict[str, str] = field(default_factory=dict)
    assessment_types: tuple[str, ...] = ASSESSMENT_TYPES
    assessment_strip: str | None = None
    resource_strip: str | None = None
    course_dates: dict | None = None
    strict: bool = False

    @classmethod
    def from_mapping(cls, mapping) -> XapiMap:
        m = load_mapping(mapping, MAPPING_KEYS, "xapi")
        out = cls()
        verbs = m.get("verbs") or {}
        if not isinstance(verbs, dict):
            raise ConfigError("xapi mapping: verbs must map a verb (IRI or last segment) to an activity type or null")
        out.verbs.update({str(k): (None if v is None else str(v)) for k, v in verbs.items()})
        course = _section(m, "course", ("types", "from", "strip", "registrations"))
        out.course_types = _texts(course.get("types"), out.course_types)
        out.course_from = _texts(course.get("from"), out.course_from)
        bad = set(out.course_from) - {"parent", "grouping", "category", "other"}
        if bad:
            raise ConfigError(f"xapi mapping: course.from takes parent, grouping, category, other; found {', '.join(sorted(bad))}")
        out.course_strip = course.get("strip")
        out.registrations = {str(k): str(v) for k, v in (course.get("registrations") or {}).items()}
        asm = _section(m, "assessments", ("types", "strip"))
        out.assessment_types = _texts(asm.get("types"), out.assessment_types)
        out.assessment_strip = asm.get("strip")
        out.resource_strip = _section(m, "resources", ("strip",)).get("strip")
        out.course_dates = m.get("course_dates")
        out.strict = flag(m.get("strict", False), "strict")
        return out

    def verb_types(self, verbs: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(activity type or None, known?) of each verb IRI (a categorical): the full IRI, then
        its last segment."""
        types, known = {}, {}
        for v in verbs.cat.categories:
            key = v if v in self.verbs else _last(v)
            known[v] = "yes" if key in self.verbs else None
            types[v] = self.verbs.get(key)
        return _by_category(verbs, types), _by_category(verbs, known).notna()


def _last(iri: str) -> str:
    """The last segment of an IRI (``http://adlnet.gov/expapi/verbs/experienced`` -> ``experienced``)."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def _section(m: dict, name: str, keys: tuple[str, ...]) -> dict:
    sec = m.get(name) or {}
    if not isinstance(sec, dict) or set(sec) - set(keys):
        raise ConfigError(f"xapi mapping: {name} takes the keys {', '.join(keys)}")
    return sec


def _texts(value, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


# --------------------------------------------------------------------------- one statement
def _sha1_mbox(mbox: str) -> str:
    return hashlib.sha1(mbox.encode()).hexdigest()  # noqa: S324 - xAPI's mbox_sha1sum is SHA-1


def _actor_id(actor: dict) -> str | None:
    acc = actor.get("account")
    if acc:
        return acc.get("name")
    if actor.get("mbox"):
        return _sha1_mbox(actor["mbox"])
    return actor.get("mbox_sha1sum") or actor.get("openid")


_TEXT = ("wpath", "learner", "verb", "obj", "otype", "course", "atype")  # kept as categories
_NUMBERS = ("clicks", "scaled", "raw", "min", "max")
_ROW = ("sid", "wpath", "wpos", "warr", "learner", "verb", "obj", "otype", "course", "ts", *_NUMBERS, "atype", "asm")
CHUNK = 200_000  # statements parsed into compact columns at a time (memory stays flat)


def _numbers(values: list) -> np.ndarray:
    try:
        return np.array(values, dtype="float64")  # None -> NaN
    except (TypeError, ValueError):  # a text where a number belongs: NaN, as pandas coerces
        return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy("float64")


def _categorical(values: list) -> pd.Categorical:
    """Texts (None: missing) as a categorical with text categories (so chunks unite)."""
    cat = pd.Categorical(values)
    if cat.categories.dtype != "str":  # all missing (object), or numbers where a text belongs
        cat = pd.Categorical.from_codes(cat.codes, categories=pd.Index(cat.categories.astype("str"), dtype="str"))
    return cat


class _Statements:
    """Statements collected into columns (compacted every :data:`CHUNK`: ids as categories,
    times parsed), and the ids they void."""

    def __init__(self, xmap: XapiMap) -> None:
        self.xmap = xmap
        self.rows: list[tuple] = []
        self.chunks: list[dict] = []
        self.voided: set[str] = set()
        self.n = self.n_voiding = 0
        self._course_types = frozenset(xmap.course_types)
        self._asm_types = frozenset(xmap.assessment_types)

    def add(self, st, where) -> None:
        self.n += 1
        if not isinstance(st, dict):
            raise SourceError(f"{loc(where)}: not an xAPI statement (a JSON object), found {type(st).__name__}")
        sid = st.get("id")
        version = st.get("version")
        if version is not None and not str(version).startswith("1.0"):
            raise SourceError(f"{_name(where, sid)}: xAPI version {version!r}; this reader reads 1.0.x")
        actor = st.get("actor")
        if not actor:
            raise SourceError(f"{_name(where, sid)}: the statement has no actor")
        learner = _actor_id(actor)
        if not learner:
            raise SourceError(f"{_name(where, sid)}: the actor has no identifier (account, mbox, mbox_sha1sum or openid)")
        verb = (st.get("verb") or {}).get("id")
        if not verb:
            raise SourceError(f"{_name(where, sid)}: the statement has no verb id")
        obj = st.get("object") or {}
        if verb == VOIDED:
            self.voided.add(obj.get("id"))
            self.n_voiding += 1
            return
        ts = st.get("timestamp")
        if not ts:
            raise SourceError(f"{_name(where, sid)}: the statement has no timestamp")
        odef = obj.get("definition") or {}
        otype = odef.get("type")
        ctx = st.get("context") or {}
        course = None
        ca = ctx.get("contextActivities")
        if ca:
            for key in self.xmap.course_from:
                acts = ca.get(key) or ()
                for a in (acts,) if isinstance(acts, dict) else acts:  # one activity: 0.9 style, accepted
                    if isinstance(a, dict) and (a.get("definition") or {}).get("type") in self._course_types:
                        course = a.get("id")
                        break
                if course:
                    break
        if course is None and ctx.get("registration") in self.xmap.registrations:
            course = self.xmap.registrations[ctx["registration"]]
        if course is None and otype in self._course_types:
            course = obj.get("id")
        res = st.get("result") or {}
        score = res.get("score") or {}
        ext = ctx.get("extensions")
        rows = self.rows
        rows.append((
            sid, where[0], where[1], where[2], learner, verb, obj.get("id"), otype, course, ts,
            (res.get("extensions") or {}).get(EXT_CLICKS), score.get("scaled"), score.get("raw"), score.get("min"), score.get("max"),
            ext.get(EXT_ACTIVITY_TYPE) if ext else None,
            (odef.get("extensions") or {}).get(EXT_ASSESSMENT) if otype in self._asm_types else None,
        ))
        if len(rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """The collected lists as one compact chunk; a time that is not ISO 8601 is an error here."""
        if not self.rows:
            return
        c = dict(zip(_ROW, map(list, zip(*self.rows, strict=True)), strict=True))
        times = pd.to_datetime(pd.Series(c["ts"], dtype="object"), utc=True, format="ISO8601", errors="coerce")
        bad = np.flatnonzero(times.isna().to_numpy())
        if len(bad):
            i = bad[0]
            raise SourceError(f"{_name((c['wpath'][i], c['wpos'][i], c['warr'][i]), c['sid'][i])}: timestamp {c['ts'][i]!r} is not ISO 8601")
        part = {k: _categorical(c[k]) for k in _TEXT}
        part["sid"] = pd.array(c["sid"], dtype="str")
        part["wpos"] = np.array(c["wpos"], dtype="int64")
        part["warr"] = np.array(c["warr"], dtype=bool)
        part["timestamp"] = times.array
        part.update({k: _numbers(c[k]) for k in _NUMBERS})
        part["asm"] = np.array(c["asm"], dtype="object")
        self.chunks.append(part)
        self.rows = []

    def frame(self) -> pd.DataFrame:
        from pandas.api.types import union_categoricals

        self.flush()
        if not self.chunks:
            cols = {k: pd.Categorical([]) for k in _TEXT} | {"sid": pd.array([], dtype="str"), "wpos": np.array([], "int64"),
                    "warr": np.array([], bool), "timestamp": pd.array([], dtype="datetime64[ns, UTC]"), "asm": np.array([], "object")}
            return pd.DataFrame(cols | {k: np.array([], "float64") for k in _NUMBERS})
        parts, self.chunks = self.chunks, []
        out = {}
        for k in list(parts[0]):
            pieces = [p.pop(k) for p in parts]
            if k in _TEXT:
                out[k] = union_categoricals(pieces) if len(pieces) > 1 else pieces[0]
            elif k in ("sid", "timestamp"):
                out[k] = pd.concat([pd.Series(x) for x in pieces], ignore_index=True) if len(pieces) > 1 else pieces[0]
            else:
                out[k] = np.concatenate(pieces)
        return pd.DataFrame(out)


def _name(where, sid) -> str:
    return f"{loc(where)} (statement {sid})" if isinstance(sid, str) and sid else loc(where)


def _by_category(values: pd.Series, lookup: dict) -> pd.Series:
    """``lookup`` applied to each category of ``values`` (a categorical): a categorical (None: missing)."""
    cats = values.cat.categories
    mapped = [lookup.get(c) for c in cats]
    uniq = list(dict.fromkeys(m for m in mapped if m is not None))
    pos = {u: i for i, u in enumerate(uniq)}
    lut = np.array([pos[m] if m is not None else -1 for m in mapped] + [-1], dtype="int32")
    codes = lut[values.cat.codes.to_numpy()]  # code -1 (missing) reads the last entry, -1
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype="str")), index=values.index)


def _coalesce(a: pd.Series, b: pd.Series) -> pd.Series:
    """``a`` where it has a value, else ``b`` (both categoricals)."""
    cats = a.cat.categories.union(b.cat.categories)
    ac, bc = a.cat.set_categories(cats).cat.codes.to_numpy(), b.cat.set_categories(cats).cat.codes.to_numpy()
    return pd.Series(pd.Categorical.from_codes(np.where(ac >= 0, ac, bc), categories=cats), index=a.index)


# --------------------------------------------------------------------------- sources
def _validate_sample(statements: list, where: list[str]) -> None:
    """Check statements against ralph's pydantic xAPI model (the base statement)."""
    if not statements:
        return
    try:
        from pydantic import ValidationError
        from ralph.models.xapi.base.statements import BaseXapiStatement
    except ImportError:  # extra xapi not installed: the structural checks still run
        return
    for st, at in zip(statements, where, strict=True):
        try:
            BaseXapiStatement.model_validate(st)
        except ValidationError as exc:
            err = exc.errors()[0]
            path = ".".join(str(x) for x in err["loc"])
            sid = st.get("id") if isinstance(st, dict) else None
            raise SourceError(f"{_name(at, sid)}: not a valid xAPI statement: {path}: {err['msg']}") from None


def _lrs_pages(url: str, options: dict):
    """Statements of an LRS (GET ``.../statements``), page after page by the ``more`` links."""
    import urllib.parse

    try:
        import requests
    except ImportError:  # pragma: no cover - requests is installed with the extras
        requests = None
    endpoint = url if url.rstrip("/").endswith("/statements") else url.rstrip("/") + "/statements"
    params = {k: options[k] for k in ("since", "until", "limit") if options.get(k)}
    headers = {"X-Experience-API-Version": "1.0.3", "Accept": "application/json"}
    auth = None
    if options.get("user"):
        env = options.get("password_env") or "LRS_PASSWORD"
        password = os.environ.get(env)
        if password is None:
            raise ConfigError(f"xapi: -o user={options['user']} needs the password in the environment variable {env} (-o password-env=NAME)")
        auth = (options["user"], password)
    nxt = endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
    page = 0
    while nxt:
        page += 1
        if requests is not None:
            try:
                r = requests.get(nxt, headers=headers, auth=auth, timeout=60)
            except requests.RequestException as exc:
                raise SourceError(f"LRS {endpoint}: cannot connect ({exc.__class__.__name__})") from None
            status, body, version = r.status_code, r.content, r.headers.get("X-Experience-API-Version")
        else:  # pragma: no cover
            status, body, version = _urllib_get(nxt, headers, auth)
        if status != 200:
            raise SourceError(f"LRS {endpoint}: HTTP {status} on page {page}" + (" (check -o user and the password)" if status in (401, 403) else ""))
        if version and not version.startswith("1.0"):
            raise SourceError(f"LRS {endpoint}: answers in xAPI version {version}; this reader reads 1.0.x")
        import orjson

        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SourceError(f"LRS {endpoint}: page {page} is not JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("statements"), list):
            raise SourceError(f"LRS {endpoint}: page {page} is not a StatementResult (no statements list)")
        yield page, doc["statements"]
        more = doc.get("more")
        nxt = urllib.parse.urljoin(endpoint, more) if more else None


def _urllib_get(url, headers, auth):  # pragma: no cover - used only without requests
    import base64
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers=dict(headers))
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - the user's LRS
            return r.status, r.read(), r.headers.get("X-Experience-API-Version")
    except urllib.error.HTTPError as exc:
        return exc.code, b"", None
    except urllib.error.URLError as exc:
        raise SourceError(f"LRS {url}: cannot connect ({exc.reason})") from None


def _records(source, options: dict, report: ImportReport):
    text = str(source)
    if text.startswith(("http://", "https://")):
        page = 0
        for page, statements in _lrs_pages(text, options):
            for i, st in enumerate(statements):
                yield st, (f"LRS page {page}", i, True)
        report.note(f"LRS {text}: {page} page{'s' if page != 1 else ''} read (following the more links)")
    else:
        yield from iter_records(source, what="xAPI statement", list_key="statements")


# --------------------------------------------------------------------------- reader
def read_xapi(source, *, report: ImportReport, mapping=None, **options):
    """LearningData from xAPI statements: a ``.json``/``.jsonl`` file, a folder of them, or an
    LRS endpoint URL (``http(s)://host/xAPI/``; options ``since``, ``until``, ``limit`` (page
    size asked), ``user`` and ``password_env`` (the variable holding the password, default
    ``LRS_PASSWORD``)). ``strict`` (default false) turns unknown verbs and statements without
    a course into errors; ``validate`` is how many statements are checked against ralph's model
    first (default 100). See the module's docstring for the rules."""
    options_known(options, OPTIONS, "xapi")
    xmap = XapiMap.from_mapping(mapping)
    if "strict" in options:
        xmap.strict = flag(options["strict"], "strict")
    try:
        n_check = int(options.get("validate", 100))
    except ValueError:
        raise ConfigError(f"xapi: option validate takes a number of statements, found {options['validate']!r}") from None
    acc = _Statements(xmap)
    sample, sample_where = [], []
    for st, where in _records(source, options, report):
        if len(sample) < n_check:
            sample.append(st)
            sample_where.append(where)
            if len(sample) == n_check:
                _validate_sample(sample, sample_where)
        acc.add(st, where)
    if len(sample) < n_check:
        _validate_sample(sample, sample_where)
    report.read = acc.n
    events, assessments, submissions, registrations = _tables(acc, xmap, report)
    del acc  # the statements' columns are gone before the canonical tables are built (peak memory)
    return from_frames(events=events, assessments=assessments, submissions=submissions, course_dates=xmap.course_dates,
                       report=report, registrations=registrations)


def _first(df: pd.DataFrame, what: str) -> str:
    row = df.iloc[0]
    return f"{_name((row['wpath'], row['wpos'], row['warr']), row['sid'])}: {what}"


def _tables(acc: _Statements, xmap: XapiMap, report: ImportReport) -> tuple[pd.DataFrame, ...]:
    """(events, assessments, submissions, registrations) frames for :func:`from_frames` from the statements."""
    df = acc.frame()
    if acc.voided:
        gone = df["sid"].isin(acc.voided).to_numpy()
        report.drop("statements voided by a later statement", int(gone.sum()), df.loc[gone, "sid"].head(3))
        if gone.any():
            df = df[~gone]
    if acc.n_voiding:
        report.note(f"{acc.n_voiding:,} voiding statement{'s' if acc.n_voiding != 1 else ''} (verb voided) applied")
    vtype, vknown = xmap.verb_types(df["verb"])
    unknown = ~vknown.to_numpy() & df["atype"].isna().to_numpy()
    if unknown.any():
        if xmap.strict:
            raise SourceError(_first(df[unknown], f"verb {df.loc[unknown, 'verb'].iloc[0]} is not in the verb map (add it under verbs: in the mapping)"))
        report.drop("statements with a verb not in the verb map (add it under verbs:)", int(unknown.sum()), pd.unique(df.loc[unknown, "verb"])[:3])
    no_course = df["course"].isna().to_numpy() & ~unknown
    if no_course.any():
        if xmap.strict:
            raise SourceError(_first(df[no_course], "no course: no course activity in context.contextActivities and no registration map entry"))
        report.drop("statements without a course (no course activity in context, no registration mapped)", int(no_course.sum()), df.loc[no_course, "sid"].head(3))
    keep = ~unknown & ~no_course
    df["activity_type"] = _coalesce(df["atype"], vtype)
    if not keep.all():  # (a copy of millions of rows only when something is dropped)
        df = df[keep]
    df["course_id"] = strip_prefix(df["course"], xmap.course_strip)

    short = _by_category(df["verb"], {v: _last(v) for v in df["verb"].cat.categories})
    has_score = df[["scaled", "raw"]].notna().any(axis=1)
    is_sub = df["otype"].isin(list(xmap.assessment_types)) & (has_score | short.isin(SUBMITTING_VERBS))
    sub = df[is_sub.to_numpy()]
    scaled, raw, lo, hi = (sub[k] for k in ("scaled", "raw", "min", "max"))
    ranged = lo.notna() & hi.notna() & (hi > lo)
    score = (scaled * 100).where(scaled.notna(), ((raw - lo) / (hi - lo) * 100).where(ranged, raw))
    assessments, submissions = first_attempts(pd.DataFrame({
        "learner_id": sub["learner"], "assessment_id": strip_prefix(sub["obj"], xmap.assessment_strip),
        "submitted_at": sub["timestamp"], "score": score, "course_id": sub["course_id"], "info": sub["asm"],
    }), report)

    acts = df["activity_type"].notna().to_numpy()
    ev = df if acts.all() else df[acts]
    resource = strip_prefix(ev["obj"], xmap.resource_strip)
    events = pd.DataFrame({
        "learner_id": ev["learner"], "course_id": ev["course_id"], "timestamp": ev["timestamp"],
        "activity_type": ev["activity_type"], "clicks": ev["clicks"].fillna(1.0), "resource_id": resource,
    })
    not_activity = int(len(df) - len(ev) - (is_sub & df["activity_type"].isna()).sum())
    if not_activity:
        report.note(f"{not_activity:,} statements with a verb that is not a learner action (scored, registered, ...) and no submission: no activity")
    reg = df[short.eq("registered").to_numpy()]  # enrolls the learner, who may never act (registered_at: its time)
    registrations = pd.DataFrame({"learner_id": reg["learner"], "course_id": reg["course_id"], "registered_at": reg["timestamp"]})
    return events, assessments, submissions, registrations


# --------------------------------------------------------------------------- writer
BASE = "https://learnrisk.invalid/xapi/"
"""Where the writer's ids live: ``{BASE}courses/ID``, ``resources/ID``, ``assessments/ID``; the
mapping file it writes beside the statements strips them back."""


def _statement_ids(n: int, seed: int) -> list[str]:
    raw = np.random.default_rng(seed).bytes(16 * n)
    return [str(uuid.UUID(bytes=raw[16 * i:16 * i + 16], version=4)) for i in range(n)]


def xapi_statements(data, seed: int = 0):
    """LearningData as xAPI statements (dicts): one per activity row (its clicks in
    ``result.extensions``, its activity type in ``context.extensions``), one per submission
    (verb scored, the score in ``result.score``), one per enrollment (verb registered, the
    course as the object, at ``registered_at``: so learners who never acted come back)."""
    act, sub, enr = data.activity, data.submissions, data.enrollments
    ids = iter(_statement_ids(len(act) + len(sub) + len(enr), seed))
    home = "https://learnrisk.invalid"
    course_iri = {c: BASE + "courses/" + c for c in data.courses["course_id"]}
    course_ctx = {c: {"contextActivities": {"parent": [{"id": iri, "objectType": "Activity", "definition": {"type": COURSE_TYPES[0]}}]}}
                  for c, iri in course_iri.items()}
    has_res = "resource_id" in act.columns
    for learner, course, ts, atype, clicks, res in zip(
        act["learner_id"], act["course_id"], iso(act["timestamp"]), act["activity_type"], act["clicks"].tolist(),
        act["resource_id"] if has_res else [None] * len(act), strict=True,
    ):
        ctx = dict(course_ctx[course], extensions={EXT_ACTIVITY_TYPE: atype})
        obj = {"objectType": "Activity", "id": BASE + "resources/" + (res if isinstance(res, str) else f"{course}/{atype}")}
        yield {
            "id": next(ids), "actor": {"objectType": "Agent", "account": {"homePage": home, "name": learner}},
            "verb": {"id": ADL_VERBS + "experienced", "display": {"en-US": "experienced"}},
            "object": obj, "result": {"extensions": {EXT_CLICKS: int(clicks)}}, "context": ctx,
            "timestamp": ts, "version": "1.0.3",
        }
    asm = data.assessments.set_index("assessment_id")
    due = {aid: None if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%SZ") for aid, t in asm["due_at"].items()}
    for learner, aid, ts, score in zip(sub["learner_id"], sub["assessment_id"], iso(sub["submitted_at"]), sub["score"].tolist(), strict=True):
        course = asm.at[aid, "course_id"]
        ext = {"kind": asm.at[aid, "kind"], "due_at": due[aid], "weight": float(asm.at[aid, "weight"])}
        result = {"completion": True}
        if score == score:  # not NaN
            result["score"] = {"scaled": round(score / 100, 12), "raw": score, "min": 0, "max": 100}
        yield {
            "id": next(ids), "actor": {"objectType": "Agent", "account": {"homePage": home, "name": learner}},
            "verb": {"id": ADL_VERBS + "scored", "display": {"en-US": "scored"}},
            "object": {"objectType": "Activity", "id": BASE + "assessments/" + aid,
                       "definition": {"type": ASSESSMENT_TYPES[0], "extensions": {EXT_ASSESSMENT: ext}}},
            "result": result, "context": course_ctx[course], "timestamp": ts, "version": "1.0.3",
        }
    for learner, course, ts in zip(enr["learner_id"], enr["course_id"], iso(enr["registered_at"]), strict=True):
        yield {
            "id": next(ids), "actor": {"objectType": "Agent", "account": {"homePage": home, "name": learner}},
            "verb": {"id": ADL_VERBS + "registered", "display": {"en-US": "registered"}},
            "object": {"objectType": "Activity", "id": course_iri[course], "definition": {"type": COURSE_TYPES[0]}},
            "timestamp": ts, "version": "1.0.3",
        }


def write_xapi(data, out: Path, *, seed: int = 0, **_options) -> list[Path]:
    """``statements.jsonl`` (see :func:`xapi_statements`) and ``xapi-mapping.yaml`` (strips the
    writer's id prefixes and gives the course dates) into ``out``."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    stmts = write_jsonl(out / "statements.jsonl", xapi_statements(data, seed))
    dates = {c: [s.isoformat(), e.isoformat()] for c, s, e in zip(data.courses["course_id"], data.courses["start"], data.courses["end"], strict=True)}
    mapping = {
        "course": {"strip": BASE + "courses/"},
        "assessments": {"strip": BASE + "assessments/"},
        "resources": {"strip": BASE + "resources/"},
        "course_dates": dates,
    }
    m = out / "xapi-mapping.yaml"
    m.write_text("# learnrisk import --from xapi statements.jsonl --mapping xapi-mapping.yaml --out DIR\n" + yaml.safe_dump(mapping, sort_keys=False))
    return [stmts, m]


register("xapi", reader=read_xapi, writer=write_xapi, files=("statements.jsonl", "xapi-mapping.yaml"))
