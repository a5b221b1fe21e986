"""Work that closed before a learner registered is neither due for them nor missed."""

import learnrisk
from learnrisk.data import LearningData
from tests.conftest import T, make_tiny


def test_assessment_due_before_registration_is_not_missed():
    tables = make_tiny().tables()
    e = tables["enrollments"].copy()
    # L4 registers 2023-01-17, the day after A23-1 was due (2023-01-16); A23-2 is due 2023-02-13
    e.loc[(e["learner_id"] == "L4") & (e["course_id"] == "A-2023"), "registered_at"] = T("2023-01-17")
    data = LearningData(**{**tables, "enrollments": e})
    f = learnrisk.build_features(data, weeks=[3, 7]).set_index(["learner_id", "course_id", "week"])
    l4_w3 = f.loc[("L4", "A-2023", 3)]
    assert l4_w3["assessments_due"] == 0 and l4_w3["assessments_missed"] == 0
    assert l4_w3["assessments_submitted"] == 1  # the late-registrant's submission of A23-1 still counts
    l4_w7 = f.loc[("L4", "A-2023", 7)]  # cutoff 2023-02-20: A23-2 due and submitted on 2023-02-13
    assert l4_w7["assessments_due"] == 1 and l4_w7["assessments_missed"] == 0
    l2_w3 = f.loc[("L2", "A-2023", 3)]  # registered before the start, never submits: A23-1 missed
    assert l2_w3["assessments_due"] == 1 and l2_w3["assessments_missed"] == 1
    l2_w7 = f.loc[("L2", "A-2023", 7)]
    assert (l2_w7["assessments_due"], l2_w7["assessments_missed"]) == (2.0, 2.0)
