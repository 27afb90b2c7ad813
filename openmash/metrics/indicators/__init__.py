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
)

__all__ = [
    "INDICATORS",
    "Group",
    "Indicator",
    "Unit",
    "indicators_compute",
    "indicators_in",
    "outcomes",
    "quality",
    "strategy",
    "timeliness",
    "volume",
    "workload",
]
