"""``synthetic.write_parquet``: a world written in parts of course codes is a valid world, one
part is ``generate`` itself, and each part is the world ``generate`` draws for its codes."""

from __future__ import annotations

import pandas as pd
import pytest

from learnrisk import read_parquet, synthetic
from learnrisk.synthetic import SyntheticConfigError
from tests.conftest import run_cli as run


def test_one_part_is_generate_itself(tmp_path):
    w = synthetic.write_parquet(tmp_path / "w", 400, 2, 2, seed=5, truth=tmp_path / "t.parquet")
    data, truth = synthetic.generate(400, 2, 2, seed=5, return_truth=True)
    assert w.parts == 1 and w.rows["activity"] == len(data.activity)
    assert read_parquet(tmp_path / "w").digest() == data.digest()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), truth)


def test_parts_make_one_valid_world(tmp_path):
    w = synthetic.write_parquet(tmp_path / "w", 1000, 5, 2, seed=3, learners_per_part=300, self_paced_courses=2,
                                as_of="2013-06-01", truth=tmp_path / "t.parquet")  # fmt: skip
    assert w.parts == 4  # ceil(1000 / 300), at most one per code
    data = read_parquet(tmp_path / "w")  # validated: keys unique, references resolve
    assert sorted(data.courses["course_code"].unique()) == ["AAA", "BBB", "CCC", "DDD", "EEE"]
    pacing = data.courses.drop_duplicates("course_code").set_index("course_code")["pacing"]
    assert list(pacing) == ["cohort", "cohort", "cohort", "self-paced", "self-paced"]  # the last codes, as generate
    assert data.learners["learner_id"].is_unique and len(data.learners) == w.rows["learners"]
    assert data.enrollments.groupby("learner_id")["course_id"].apply(lambda c: c.str[:3].nunique()).max() == 1
    assert {n: len(f) for n, f in data.all_tables().items()} == w.rows
    assert data.activity["timestamp"].max() < pd.Timestamp("2013-06-01", tz="UTC")  # as_of holds in every part
    truth = pd.read_parquet(tmp_path / "t.parquet")
    assert len(truth) == w.truth_rows and set(truth["course_id"]) <= set(data.courses["course_id"])


def test_a_part_is_the_world_generate_draws_for_its_codes(tmp_path):
    """Part p is generate's world for its codes, from the stream SeedSequence([seed, p]),
    named after the codes and learners before it (checked on the second of two parts)."""
    import numpy as np

    from learnrisk.synthetic._world import _university

    synthetic.write_parquet(tmp_path / "w", 600, 4, 1, seed=9, learners_per_part=300)
    whole = read_parquet(tmp_path / "w")
    part = _university(np.random.default_rng(np.random.SeedSequence([9, 1])), 300, 2, 1, 0.15, 2013, 0, None, False, 2, 301)
    mine = whole.select_courses(part.courses["course_id"])
    for name, frame in part.all_tables().items():
        pd.testing.assert_frame_equal(getattr(mine, name).reset_index(drop=True), frame.reset_index(drop=True),
                                      check_dtype=False, obj=name)  # fmt: skip
    assert part.learners["learner_id"].iloc[0] == "L000301"


def test_a_failure_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    synthetic.write_parquet(tmp_path / "w", 200, 2, 1, seed=1)
    before = read_parquet(tmp_path / "w").digest()

    def boom(part, parts):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        synthetic.write_parquet(tmp_path / "w", 400, 2, 1, seed=2, learners_per_part=200, progress=boom)
    assert read_parquet(tmp_path / "w").digest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]  # no staging folder left


def test_bad_part_size_is_refused(tmp_path):
    with pytest.raises(SyntheticConfigError, match="learners_per_part"):
        synthetic.write_parquet(tmp_path / "w", 100, 1, 1, learners_per_part=0)


def test_cli_writes_in_parts(capsys, tmp_path):
    code, _, err = run(capsys, "synth", "--learners", "600", "--courses", "3", "--offerings", "1", "--seed", "4",
                       "--learners-per-part", "200", "--out", str(tmp_path / "s"))  # fmt: skip
    assert code == 0, err
    assert "(3 parts)" in err and "600 learners" in err
    assert len(read_parquet(tmp_path / "s").courses) == 3
