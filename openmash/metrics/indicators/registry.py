"""Every indicator, defined once: its key, title, plain-English definition (shown on the
page beside its figures), unit and group, and the function that computes it."""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.db.models import TextChoices

from openmash.metrics.filters import MetricFilter


class Group(TextChoices):
    VOLUME = "volume", "Volume"
    TIMELINESS = "timeliness", "Timeliness"
    OUTCOMES = "outcomes", "Outcomes"
    QUALITY = "quality", "Quality"
    WORKLOAD = "workload", "Workload"


class Unit(TextChoices):
    CONTACTS = "contacts", "contacts"
    HOURS = "hours", "hours"
    DAYS = "days", "hours and days"
    PERCENT = "percent", "percentage"
    ITEMS = "items", "open items"


Compute = Callable[[MetricFilter], Any]
F = TypeVar("F", bound=Compute)


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    definition: str
    unit: Unit
    group: Group
    compute: Compute

    @property
    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.definition.split("\n\n") if part.strip()]


INDICATORS: dict[str, Indicator] = {}


def _plain(text: str) -> str:
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n\n".join(paragraphs)


def indicator(
    *, key: str, title: str, definition: str, unit: Unit, group: Group
) -> Callable[[F], F]:
    """Register the decorated function as the one way to compute this indicator."""

    def register(compute: F) -> F:
        if key in INDICATORS:
            raise ValueError(f"Indicator {key} is defined twice.")
        INDICATORS[key] = Indicator(key, title, _plain(definition), unit, group, compute)
        return compute

    return register


def indicators_in(group: Group) -> list[Indicator]:
    return [each for each in INDICATORS.values() if each.group == group]


# Figures more than one indicator is made from, each worked out once while
# indicators_compute runs (None outside it): by the function, the filter and its `now`.
_worked_out: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "metrics_worked_out", default=None
)


def shared(compute: F) -> F:
    """Mark figures that several indicators are made from (the turnaround tables the
    deadlines missed are turned round from; the children decided by outcome that three
    outcome indicators count): within one indicators_compute, worked out once for a
    filter and given again, as the same immutable figures. Outside it, worked out every
    call."""

    @wraps(compute)
    def once(f: MetricFilter) -> Any:
        worked_out = _worked_out.get()
        if worked_out is None:
            return compute(f)
        key = (compute, f, f.now)
        if key not in worked_out:
            worked_out[key] = compute(f)
        return worked_out[key]

    return once  # type: ignore[return-value]


def indicators_compute(f: MetricFilter, keys: list[str] | None = None) -> dict[str, Any]:
    """The figures of every indicator (or of those named), by key, in the order defined."""
    chosen = INDICATORS if keys is None else {key: INDICATORS[key] for key in keys}
    token = _worked_out.set({})
    try:
        return {key: each.compute(f) for key, each in chosen.items()}
    finally:
        _worked_out.reset(token)
