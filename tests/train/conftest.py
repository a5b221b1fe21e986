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
