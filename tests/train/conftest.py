import pytest

import learnrisk
from learnrisk import synthetic


@pytest.fixture(scope="session")
def small_synth():
    """~1,700 enrollments: 2 course codes x 3 offerings, with the generator's truth."""
    return synthetic.generate(n_learners=1500, n_courses=2, offerings=3, seed=3, return_truth=True)


@pytest.fixture(scope="session")
def trained(small_synth):
    data, truth = small_synth
    # model="lightgbm": these tests are about training and tracking, not the auto selection; the
    # pyfunc test serves only the model columns (no course_id for a per-code calibrator)
    model, report = learnrisk.train(data, "dropout", weeks=range(1, 9), truth=truth, model="lightgbm")
    return data, model, report


@pytest.fixture(scope="session")
def trained_auto(small_synth):
    data, truth = small_synth
    model, report = learnrisk.train(data, "dropout", weeks=range(1, 9), truth=truth)
    return data, model, report


@pytest.fixture(scope="session")
def folder(tmp_path_factory):
    """A small canonical Parquet folder (1 course code x 3 offerings) for the command tests."""
    path = tmp_path_factory.mktemp("synth") / "data"
    synthetic.generate(n_learners=900, n_courses=1, offerings=3, seed=5).to_parquet(path)
    return path
