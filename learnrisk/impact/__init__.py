"""Close the loop: record what advisors did, and measure whether contact helped.

>>> learnrisk.impact.log_action("data/", "11391", "AAA-2014J", "welcome-call")   # doctest: +SKIP
>>> res = learnrisk.impact.estimate_impact("risk-lists", "data/")                  # doctest: +SKIP
>>> print(res.to_text())                                                           # doctest: +SKIP

A layer above ``scoring``: it reads the lists the weekly job published and the outcomes and
actions in the data; it never scores again. See ``docs/impact.md``.

``kpi_impact``: did completing a course move a business KPI? A matched difference in
differences of completers against non-completers (docs/corporate.md).
"""

from ._actions import ACTION_COLUMNS, duplicate_actions, import_actions_csv, log_action, read_actions
from ._estimate import CAVEATS, ImpactResult, estimate_impact, newcombe_interval, unit_outcomes
from ._kpi import KpiImpact, kpi_impact
from ._lists import first_listings, read_lists

__all__ = [
    "ACTION_COLUMNS",
    "CAVEATS",
    "ImpactResult",
    "KpiImpact",
    "duplicate_actions",
    "estimate_impact",
    "first_listings",
    "import_actions_csv",
    "kpi_impact",
    "log_action",
    "newcombe_interval",
    "read_actions",
    "read_lists",
    "unit_outcomes",
]
