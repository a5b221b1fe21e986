"""Every number of the synthetic world in one place: categories, shares and model coefficients.

The latent model itself (``_latent``) and the observation models (``_engagement``,
``_assessments``) read these constants and nothing else, so that tuning the world means
editing this file only; ``docs/synthetic.md`` explains each group in plain words.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- learner attributes
# OULAD-like categories and shares (the full OULAD release, rounded). ``deprivation`` is the
# index of multiple deprivation band of the learner's area: "0-10%" is the most deprived tenth.
GENDER = (("F", 0.45), ("M", 0.55))
AGE_BAND = (("0-35", 0.70), ("35-55", 0.29), ("55<=", 0.01))
REGION = (
    ("Scotland", 0.106), ("East Anglian Region", 0.101), ("London Region", 0.099),
    ("South Region", 0.094), ("North Western Region", 0.086), ("West Midlands Region", 0.080),
    ("South West Region", 0.074), ("East Midlands Region", 0.071), ("South East Region", 0.065),
    ("Wales", 0.064), ("Yorkshire Region", 0.062), ("North Region", 0.056), ("Ireland", 0.042),
)
DISABILITY = (("N", 0.903), ("Y", 0.097))
DEPRIVATION = tuple((f"{10 * i}-{10 * i + 10}%", 0.098) for i in range(10)) + ((None, 0.02),)
PRIOR_EDUCATION = (
    ("A Level or Equivalent", 0.43), ("Lower Than A Level", 0.40), ("HE Qualification", 0.145),
    ("No Formal quals", 0.015), ("Post Graduate Qualification", 0.01),
)
CREDITS = ((60, 0.62), (120, 0.22), (30, 0.06), (90, 0.04), (180, 0.04), (240, 0.02))
# Attempts before the simulated window (OULAD: 0 for 87 %, 1 for 10 %, 2+ for 3 %).
PRIOR_ATTEMPTS = ((0, 0.87), (1, 0.10), (2, 0.025), (3, 0.005))

# --------------------------------------------------------------------------- sensitive effect
# Strength of the shift of the latent means by the "disadvantage" score of a learner (see
# ``_population.make_learners``); in standard deviations of the latent traits per unit of score.
SENSITIVE_EFFECTS = {"none": 0.0, "modest": 0.15, "strong": 0.8}

# --------------------------------------------------------------------------- courses
COURSE_LENGTH_DAYS = (230, 270)        # uniform range of an offering's length
SELF_PACED_WINDOW_DAYS = 150           # self-paced: learners register during this window
COURSE_DIFFICULTY_SD = 0.25            # per course code, lowers ability
COURSE_DEMAND_SD = 0.15                # per course code, a shift of motivation
COURSE_CLICKS_SD = 0.25                # per course code, log of a multiplier of rows per day
OFFERING_DRIFT_SD = 0.08               # per offering, a small shift of motivation
N_TMA = (4, 6)                         # inclusive range of tutor-marked assignments per code
N_CMA = (0, 6)                         # computer-marked assignments (0 = none)
EXAM_DAYS_BEFORE_END = 3               # the exam is due this many days before the end
PRE_START_DAYS = 28                    # activity is possible this many days before week 0

# --------------------------------------------------------------------------- latent traits
TRAIT_CORRELATION = 0.3                # correlation of motivation and ability
ENROLLMENT_NOISE_SD = 0.35             # per-enrollment wobble of motivation
RETAKE_MOTIVATION = -0.25              # retakers are a little less motivated ...
RETAKE_ABILITY = 0.15                  # ... and a little better prepared
LOAD_PER_60_CREDITS = 0.15             # life-event log-odds per 60 credits above 60
RETAKE_SHARE = 0.10                    # share of learners who retake a later offering

# --------------------------------------------------------------------------- weekly chain
# Motivation level z on a grid of K values; a disruption flag d (a life event in progress).
LEVELS = np.linspace(-2.1, 2.1, 7)
INITIAL_LEVEL_SD = 0.45                # start level = m + noise, snapped to the grid
FATIGUE = 0.7                          # the motivation target falls this much over a course
MOVE_BASE = -1.9                       # log-odds of moving one level up or down ...
MOVE_GAP = 1.1                         # ... pulled back toward the target ...
MOVE_DISRUPTED_DOWN = 1.6              # ... and pushed down while disrupted
LIFE_EVENT_HAZARD = 0.025              # weekly chance that a life event starts
LIFE_EVENT_PERSIST = 0.65              # chance that it lasts one more week
# Missed TMAs so far, M (capped): a missed TMA is a TMA the learner decided not to do.
MISSED_CAP = 3
# Withdrawal hazard per week: logistic(base + slope * z + disrupted + missed + early weeks).
WITHDRAW_BASE = -7.3
WITHDRAW_SLOPE = -1.7
WITHDRAW_DISRUPTED = 1.5
WITHDRAW_MISSED = 0.4                  # per missed TMA
WITHDRAW_EARLY = 2.0                   # extra log-odds in week 0, decaying ...
WITHDRAW_EARLY_WEEKS = 5.0             # ... with this time constant (weeks)

# Pre-start withdrawal and "ghost" (registered, never active, never submits).
PRESTART_BASE = -2.75
PRESTART_SLOPE = -0.7
GHOST_BASE = -5.8
GHOST_SLOPE = -0.9
GHOST_HAZARD = 0.03                    # weekly withdrawal hazard of a ghost

# --------------------------------------------------------------------------- engagement
DAY_BASE = -1.0                        # log-odds that a learner is active on a given day
DAY_SLOPE = 1.1                        # ... per unit of motivation z
DAY_DISRUPTED = 0.3                    # activity multiplier while disrupted
PRE_START_FACTOR = 0.5                 # activity multiplier before week 0
STYLE_SD = 0.5                         # per-learner taste for clicking (no effect on outcome)
ROWS_PER_DAY = 2.6                     # mean extra rows (resources) on an active day ...
ROWS_SHAPE = 1.0                       # ... times a Gamma(shape, 1 / shape) daily intensity
CLICKS_PER_ROW = 2.6                   # mean clicks in one row ...
HEAVY_ROW_SHARE = 0.15                 # ... or, for this share of rows,
HEAVY_ROW_CLICKS = 8.0                 # ... this mean
DUPLICATE_SHARE = 0.06                 # rows logged twice (exact duplicates)
BURST_DAYS = 7                         # deadline bursts start this many days before a due date
BURST_DAY = 1.0                        # activity multiplier grows to 1 + this on the due day
BURST_ROWS = 0.5                       # rows multiplier grows to 1 + this on the due day
# Calendar weekday rhythm, Monday first (activity is lower on Friday and Saturday).
WEEKDAY = np.array([1.10, 1.08, 1.05, 1.0, 0.82, 0.80, 1.12])
ACTIVITY_TYPES = (
    # type, share of rows, resources per offering
    ("forumng", 0.30, 14), ("homepage", 0.18, 1), ("oucontent", 0.15, 40), ("subpage", 0.10, 30),
    ("resource", 0.10, 110), ("quiz", 0.08, 8), ("url", 0.05, 30), ("ouwiki", 0.02, 3),
    ("glossary", 0.01, 2), ("dataplus", 0.01, 3),
)

# --------------------------------------------------------------------------- assessments
SUBMIT_BASE = 3.0                      # log-odds of submitting an assignment ...
SUBMIT_SLOPE = 1.0                     # ... per unit of z
SUBMIT_DISRUPTED = -2.2
LATE_BASE = -0.3                       # log-odds of a late submission
LATE_SLOPE = -0.7
LATE_DISRUPTED = 1.2
LATE_MEAN_DAYS = 4.0                   # late by Geometric days (at least 1) with this mean
SCORE_MEAN = 78.5                      # coursework score = mean + ability + z + noise
SCORE_ABILITY = 12.0
SCORE_LEVEL = 4.0
SCORE_NOISE = 12.0
SCORE_MISSING = 0.01                   # share of submissions with no score
# Final result of a completer: sits the exam with logistic(base + z + disrupted + missed); the
# exam performance is Y = ability + FINAL_LEVEL z - FINAL_DISRUPTED d - FINAL_MISSED M +
# N(0, FINAL_NOISE^2) and the final score CENTER + SCALE Y, rounded and clipped to 0-100.
# Fail below PASS_MARK, distinction from DISTINCTION_MARK.
SIT_BASE = 2.6
SIT_SLOPE = 1.0
SIT_DISRUPTED = -1.8
SIT_MISSED = -0.8                      # per missed TMA
FINAL_LEVEL = 0.45
FINAL_DISRUPTED = 0.3
FINAL_MISSED = 0.35                    # per missed TMA
FINAL_NOISE = 0.7
FINAL_CENTER = 64.5
FINAL_SCALE = 15.0
PASS_MARK = 40
DISTINCTION_MARK = 85
