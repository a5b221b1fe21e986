"""estimate_impact on lists with a known truth (synthetic.simulate_contacts): the randomized
interval covers the true effect, finds none when there is none; the observational estimates and
their bias; effects by band; the caveats printed with the numbers."""

from __future__ import annotations

import numpy as np
import pytest

from learnrisk import impact, synthetic
from learnrisk.errors import ImpactError

from .conftest import oracle_listings

OUTCOMES = ("withdrawal", "not_passing")


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), table II, example (a): 56/70 - 48/80 = 0.2, hybrid score interval 0.0524 to 0.3339
    d, lo, hi = impact.newcombe_interval(56, 70, 48, 80)
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)
    # one arm all events: the interval stays inside [-1, 1] and holds the difference
    d, lo, hi = impact.newcombe_interval(10, 10, 0, 10)
    assert d == 1.0 and -1 <= lo < 1.0 <= hi <= 1.0 + 1e-12


def _randomized(oracle, seed: int, **kw):
    listings = oracle_listings(oracle["data"], oracle["truth"], salt=str(seed))
    data, truth = synthetic.simulate_contacts(oracle["data"], listings, seed=seed, **kw)
    res = impact.estimate_impact(listings, data, designs=("randomized",))
    return res, synthetic.contact_effects(truth)


def test_randomized_interval_covers_the_true_effect_over_seeds(oracle):
    covered = {o: 0 for o in OUTCOMES}
    for seed in range(10):
        res, true = _randomized(oracle, seed, effect=0.2)
        for o in OUTCOMES:
            row = res.effect("randomized", o)
            covered[o] += row["ci_low"] <= true.loc[o, "itt"] <= row["ci_high"]
        assert true.loc["withdrawal", "itt"] < 0  # contact helps in this world
    assert all(c >= 8 for c in covered.values()), covered


@pytest.mark.slow
def test_randomized_coverage_is_near_95_percent(oracle):
    """200 re-randomizations (hold-out salt, contacts and their effects): coverage 0.90-0.99."""
    n = 200
    covered = {o: 0 for o in OUTCOMES}
    for seed in range(n):
        res, true = _randomized(oracle, 1000 + seed, effect=0.2)
        for o in OUTCOMES:
            row = res.effect("randomized", o)
            covered[o] += row["ci_low"] <= true.loc[o, "itt"] <= row["ci_high"]
    assert all(0.90 <= c / n <= 0.99 for c in covered.values()), covered


def test_no_effect_is_found_when_the_true_effect_is_zero(oracle):
    found = 0
    for seed in range(5):
        res, true = _randomized(oracle, seed, effect=0.0)
        assert (true.to_numpy() == 0).all()  # nothing changed: every true effect is zero
        for o in OUTCOMES:
            row = res.effect("randomized", o)
            found += not (row["ci_low"] <= 0 <= row["ci_high"])
    assert found <= 1, f"{found} of 10 intervals exclude zero"


def test_a_large_effect_is_recovered_and_excludes_zero(oracle):
    res, true = _randomized(oracle, 0, effect=0.6, heterogeneity=0.0, contact_rate=0.95)
    row = res.effect("randomized", "withdrawal")
    assert row["ci_high"] < 0
    assert row["ci_low"] <= true.loc["withdrawal", "itt"] <= row["ci_high"]
    per_contact = res.effect("randomized", "withdrawal", estimand="per contact (ITT/share)")
    assert per_contact["effect"] < row["effect"]  # scaled up by 1 / contact share


def test_effects_by_band_follow_the_heterogeneity(oracle):
    listings = oracle["listings"]
    data, truth = synthetic.simulate_contacts(oracle["data"], listings, effect=0.4, heterogeneity=1.0, seed=2)
    # heterogeneity 1: the per-learner effect falls from 0.8 at the lowest risk to 0 at the highest
    first = truth.sort_values("risk")
    assert first["effect"].iloc[0] > 0.75 and first["effect"].iloc[-1] < 0.05
    res = impact.estimate_impact(listings, data, designs=("randomized",))
    assert set(res.summary["band"]) == {"all", "high", "medium"}


def test_observational_estimates_and_their_bias(oracle):
    """Contact chosen by the listed risk only, and immediate: AIPW covers the true average effect,
    while the naive comparison is confounded by the risk; unseen confounding biases both."""
    listings = oracle["listings"].assign(held_out=False, holdout_share=0.0)
    data, truth = synthetic.simulate_contacts(
        oracle["data"], listings, effect=0.3, risk_selection=2.0, lag_days=0, seed=4
    )
    true = synthetic.contact_effects(truth)
    res = impact.estimate_impact(listings, data, designs=("observational",))
    assert not (res.summary["design"] == "randomized").any()
    aipw = res.effect("observational", "withdrawal", estimand="ATE, AIPW")
    assert aipw["ci_low"] <= true.loc["withdrawal", "ate"] <= aipw["ci_high"]
    naive = res.effect("observational", "withdrawal", estimand="naive (contacted vs not)")
    # advisors call the highest risks first: the naive comparison makes contact look harmful
    assert naive["effect"] > true.loc["withdrawal", "att"] + 0.05

    data, truth = synthetic.simulate_contacts(
        oracle["data"], listings, effect=0.0, confounding=3.0, lag_days=0, seed=4
    )
    res = impact.estimate_impact(listings, data, designs=("observational",))
    aipw = res.effect("observational", "not_passing", estimand="ATE, AIPW")
    # no effect at all, but advisors reached the learners who pass anyway: a spurious benefit
    assert aipw["effect"] < -0.1


def test_text_prints_the_numbers_with_the_caveats(oracle):
    data, _ = synthetic.simulate_contacts(oracle["data"], oracle["listings"], seed=1)
    res = impact.estimate_impact(oracle["listings"], data)
    text = res.to_text()
    assert "ITT (listed vs held out)" in text and "ATE, AIPW" in text and "ATT, matched on risk" in text
    assert "Course Signals" in text and "Interference" in text and "Outcomes changed by contact" in text
    assert repr(res).startswith("ImpactResult(") and "held out" in repr(res)
    units = res.units
    assert units[["course_id", "learner_id"]].duplicated().sum() == 0
    assert np.isfinite(res.summary["effect"]).sum() >= 12


def test_no_outcome_yet_is_an_error(oracle):
    cut = synthetic.generate(n_learners=300, seed=11, as_of="2014-11-01")
    listings = oracle_listings(*synthetic.generate(n_learners=300, seed=11, return_truth=True))
    listings = listings[listings["course_id"].str.endswith("2014J") & (listings["as_of"] < "2014-11-01")]
    with pytest.raises(ImpactError, match="has an outcome yet"):
        impact.estimate_impact(listings, cut)
    with pytest.raises(ImpactError, match="unknown design"):
        impact.estimate_impact(listings, cut, designs=("matched",))


def test_lists_of_an_overdue_model_are_refused(oracle):
    """Corporate lists rank overdue assignments (p_dropout empty): withdrawal and not passing mean
    nothing there, so the estimate is refused with a pointer to kpi-impact."""
    data, truth = synthetic.generate(n_learners=300, seed=11, return_truth=True)
    listings = oracle_listings(data, truth).assign(p_dropout=np.nan)
    with pytest.raises(ImpactError, match="kpi-impact"):
        impact.estimate_impact(listings, data)


def test_stratified_variance_by_hand():
    """Two strata of five (risk ranks 1-5 and 6-10); the Neyman variance with n - 1 in every arm.

    stratum 1: contacted y = 1, 0 (p1 = 1/2, n1 = 2), not y = 1, 1, 0 (p0 = 2/3, n0 = 3), w = 2
    stratum 2: contacted y = 1, 1, 0 (p1 = 2/3, n1 = 3), not y = 0, 1 (p0 = 1/2, n0 = 2), w = 3
    effect (2 (1/2 - 2/3) + 3 (2/3 - 1/2)) / 5 = 1/30
    variance (4 (1/4 / 1 + 2/9 / 2) + 9 (2/9 / 2 + 1/4 / 1)) / 25 = (13/6)^2 / 25: se 13/30
    """
    from learnrisk.impact._estimate import _stratified
    from learnrisk.metrics import Z95

    risk = np.arange(1, 11) / 10
    t = np.array([1, 1, 0, 0, 0, 1, 1, 1, 0, 0], dtype=bool)
    y = np.array([1, 0, 1, 1, 0, 1, 1, 0, 0, 1], dtype=float)
    est, lo, hi = _stratified(risk, t, y, strata=2)
    assert est == pytest.approx(1 / 30)
    assert (lo, hi) == pytest.approx((1 / 30 - Z95 * 13 / 30, 1 / 30 + Z95 * 13 / 30))
    # the same when the arms swap sizes: both arms use n - 1
    est2, lo2, hi2 = _stratified(risk, ~t, 1 - y, strata=2)
    assert hi2 - lo2 == pytest.approx(hi - lo)
