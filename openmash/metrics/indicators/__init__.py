"""The indicators of issue 5, each defined once (registry.py) and grouped as the issue
groups them. Importing this package registers every one."""

from openmash.metrics.indicators import (
    outcomes,
    quality,
    strategy,
    timeliness,
    volume,
    workload,
)
from openmash.metrics.indicators.registry import (
    INDICATORS,
    Group,
    Indicator,
    Unit,
    indicators_compute,
    indicators_in,
    indicators_shown,
)

__all__ = [
    "INDICATORS",
    "Group",
    "Indicator",
    "Unit",
    "indicators_compute",
    "indicators_in",
    "indicators_shown",
    "outcomes",
    "quality",
    "strategy",
    "timeliness",
    "volume",
    "workload",
]
