"""The weekly scoring job: risk lists and an advisor report, atomic, idempotent, safe to re-run.

>>> res = learnrisk.score("data/", "2024-03-04", "models:/learnrisk-dropout@champion",
...                       out="risk-lists")                                  # doctest: +SKIP
>>> res.paths["report.html"]                                                 # doctest: +SKIP

See ``docs/scoring.md`` for the columns, bands, safety guarantees and a weekly schedule.
"""

from ._job import ScoreResult, parse_as_of, score
from ._loop import holdout_mask
from ._sources import OfferingStream

__all__ = ["OfferingStream", "ScoreResult", "holdout_mask", "parse_as_of", "score"]
