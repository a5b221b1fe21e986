"""As-of features: point-in-time-correct per-learner features at weekly or daily cutoffs or a calendar date.

A row at cutoff ``t`` reads only facts strictly before ``t`` and exists for every enrollment
registered before ``t`` and not withdrawn before it, in an offering running at ``t``
(``docs/features.md`` states the rule with worked dates).

>>> import learnrisk
>>> feats = learnrisk.build_features(data, weeks=range(1, 21))      # doctest: +SKIP
>>> today = learnrisk.build_features(data, as_of="2024-03-04")      # doctest: +SKIP
>>> day30 = learnrisk.build_features(data, days=[30])               # doctest: +SKIP
>>> learnrisk.features.family_of(["forumng", "video"])              # doctest: +SKIP
>>> X = feats[learnrisk.features.feature_columns(feats)]            # doctest: +SKIP
>>> learnrisk.features.catalog().head()                             # doctest: +SKIP
"""

from ._build import (
    KEY_COLUMNS,
    RELATIVE_FEATURES,
    FeatureSpecError,
    build_features,
    feature_columns,
    offering_features,
    relative_features,
    sensitive_attributes,
)
from ._catalog import catalog
from ._corporate import corporate_features, hr_as_of, open_assignments
from ._offering import DEFAULT_ACTIVITY_FAMILIES, FAMILIES, Offering, family_of
from ._stream import write_features_by_offering

__all__ = [
    "DEFAULT_ACTIVITY_FAMILIES",
    "FAMILIES",
    "KEY_COLUMNS",
    "RELATIVE_FEATURES",
    "FeatureSpecError",
    "Offering",
    "build_features",
    "catalog",
    "corporate_features",
    "family_of",
    "feature_columns",
    "hr_as_of",
    "offering_features",
    "open_assignments",
    "relative_features",
    "sensitive_attributes",
    "write_features_by_offering",
]
