"""Impact: did what was done (training, interventions) change what happened afterwards?

``kpi_impact``: a matched difference in differences of a business KPI for completers of a
course against non-completers (docs/corporate.md).
"""

from ._kpi import KpiImpact, kpi_impact

__all__ = ["KpiImpact", "kpi_impact"]
