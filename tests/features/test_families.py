"""The activity-family map: public default, explicit entries that win over it, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnrisk.errors import FeatureSpecError
from learnrisk.features import (
    DEFAULT_ACTIVITY_FAMILIES,
    FAMILIES,
    Offering,
    build_features,
    family_of,
    offering_features,
)
from learnrisk.synthetic import generate
from tests.conftest import run_cli as run
from tests.features.test_tiny import row

SHARES = ["share_clicks_content", "share_clicks_forum", "share_clicks_quiz"]

# The OULAD activity types and their family under the default map (docs/features.md).
OULAD = {
    "dataplus": "content", "dualpane": "other", "externalquiz": "quiz", "folder": "content",
    "forumng": "forum", "glossary": "content", "homepage": "other", "htmlactivity": "content",
    "oucollaborate": "forum", "oucontent": "content", "ouelluminate": "forum", "ouwiki": "forum",
    "page": "content", "questionnaire": "quiz", "quiz": "quiz", "repeatactivity": "other",
    "resource": "content", "sharedsubpage": "content", "subpage": "content", "url": "content",
}


def test_the_default_map_of_the_oulad_types():
    assert family_of(OULAD) == OULAD
    assert FAMILIES == ("content", "forum", "quiz", "other")
    assert set(DEFAULT_ACTIVITY_FAMILIES.values()) <= set(FAMILIES)
    with pytest.raises(TypeError):
        DEFAULT_ACTIVITY_FAMILIES["video"] = "content"  # read-only: pass activity_families= instead


def test_other_vocabularies_and_unknown_types():
    got = family_of(["video", "mod_forum", "mod_quiz", "Discussion", "badge"])
    assert got == {"video": "content", "mod_forum": "forum", "mod_quiz": "quiz", "Discussion": "forum", "badge": "other"}


def test_explicit_entries_win_over_the_patterns():
    got = family_of(["ouwiki", "dualpane", "OUContent", "homepage"], {"OUWIKI": "content", "dualpane": "quiz", "homepage": "content"})
    assert got == {"ouwiki": "content", "dualpane": "quiz", "OUContent": "content", "homepage": "content"}


def _tiny_shares(tiny, families, learner, week):
    f = build_features(tiny, weeks=[2, 3], activity_families=families)
    return [row(f, learner, "A-2023", week)[c] for c in SHARES], f


def test_override_changes_the_share_features(tiny):
    default = build_features(tiny, weeks=[2, 3])
    # L1 at week 3: 15 resource clicks and 3 forum clicks (pre-start)
    assert [row(default, "L1", "A-2023", 3)[c] for c in SHARES] == pytest.approx([15 / 18, 3 / 18, 0])
    shares, f = _tiny_shares(tiny, {"Resource": "quiz"}, "L1", 3)
    assert shares == pytest.approx([0, 3 / 18, 15 / 18])
    # nothing else changes
    pd.testing.assert_frame_equal(f.drop(columns=SHARES), default.drop(columns=SHARES), check_exact=True)
    # "other" has no share of its own: the forum clicks leave the shares
    assert _tiny_shares(tiny, {"forum": "other"}, "L1", 3)[0] == pytest.approx([15 / 18, 0, 0])
    # L3 at week 2: 6 quiz clicks, now forum
    assert _tiny_shares(tiny, {"quiz": "forum"}, "L3", 2)[0] == pytest.approx([0, 1, 0])


def test_entries_equal_to_the_default_change_nothing(tiny):
    types = tiny.activity.activity_type.unique()
    same = build_features(tiny, weeks=[1, 3], activity_families=family_of(types))
    pd.testing.assert_frame_equal(same, build_features(tiny, weeks=[1, 3]), check_exact=True)
    pd.testing.assert_frame_equal(build_features(tiny, weeks=[1, 3], activity_families={}), same, check_exact=True)


def test_default_map_unchanged_on_the_synthetic_sample():
    """The default shares are the plain computation with the families of the synthetic types."""
    data = generate(n_learners=300, seed=1)
    families = {
        "forumng": "forum", "homepage": "other", "oucontent": "content", "subpage": "content",
        "resource": "content", "quiz": "quiz", "url": "content", "ouwiki": "forum",
        "glossary": "content", "dataplus": "content",
    }
    assert family_of(data.activity.activity_type.unique()) == families
    f = build_features(data, weeks=[3, 6])
    act = data.activity.assign(family=data.activity.activity_type.map(families))
    rows = f[["learner_id", "course_id", "cutoff"]].reset_index()
    seen = act.merge(rows, on=["learner_id", "course_id"])
    seen = seen[seen.timestamp < seen.cutoff]
    per = seen.pivot_table(index="index", columns="family", values="clicks", aggfunc="sum", fill_value=0)
    per = per.reindex(index=f.index, columns=list(FAMILIES), fill_value=0)
    total = per.sum(axis=1).where(lambda s: s > 0)
    for fam in ("content", "forum", "quiz"):
        np.testing.assert_allclose(f[f"share_clicks_{fam}"], per[fam] / total, rtol=1e-12, err_msg=fam)
    assert f["share_clicks_forum"].notna().any()


def test_one_partition_takes_the_map_too(tiny):
    course = tiny.courses.set_index("course_id", drop=False).loc["A-2023"]
    off = Offering.from_frames(
        course, tiny.enrollments, tiny.activity, tiny.assessments, tiny.submissions, activity_families={"resource": "quiz"}
    )
    cols = offering_features(off, [3])
    want = build_features(tiny, weeks=[3], activity_families={"resource": "quiz"})
    want = want[want.course_id == "A-2023"]
    np.testing.assert_array_equal(cols["share_clicks_quiz"], want.share_clicks_quiz.to_numpy())


@pytest.mark.parametrize(
    "families, message",
    [
        ({"video": "lecture"}, "content, forum, quiz, other"),
        (["video"], "map activity types"),
        ({3: "content"}, "activity type"),
        ({"Video": "content", "video": "forum"}, "twice"),
    ],
)
def test_bad_maps_are_errors(tiny, families, message):
    with pytest.raises(FeatureSpecError, match=message):
        build_features(tiny, weeks=[1], activity_families=families)


# --------------------------------------------------------------------------- command line
@pytest.fixture
def folder(tiny, tmp_path):
    return tiny.to_parquet(tmp_path / "tiny")


def test_cli_activity_families(capsys, tiny, folder, tmp_path):
    spec = tmp_path / "families.yaml"
    spec.write_text("# our platform\nresource: quiz\nforum: other\n", encoding="utf-8")
    out = tmp_path / "f.parquet"
    code, _, err = run(capsys, "features", "--data", str(folder), "--weeks", "1-3", "--activity-families", str(spec), "--out", str(out))
    assert code == 0, err
    want = build_features(tiny, weeks=range(1, 4), activity_families={"resource": "quiz", "forum": "other"})
    pd.testing.assert_frame_equal(pd.read_parquet(out), want)


@pytest.mark.parametrize(
    "text, message",
    [
        ("resource: lecture\n", "content, forum, quiz, other"),
        ("- resource\n- quiz\n", "must map activity types"),
        ("resource: [quiz\n", "not valid YAML"),
        ("", "must map activity types"),
    ],
)
def test_cli_bad_activity_families(capsys, folder, tmp_path, text, message):
    spec = tmp_path / "families.yaml"
    spec.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "features", "--data", str(folder), "--weeks", "1", "--activity-families", str(spec), "--out", "x.parquet")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_the_docs_table_of_the_oulad_types_is_the_default_map():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "features.md").read_text(encoding="utf-8")
    for family in FAMILIES:
        types = sorted(t for t, f in OULAD.items() if f == family)
        assert f"| {family} | {', '.join(types)} |" in doc, family
