"""Every indicator, defined once: its key, title, plain-English definition (shown on the
page beside its figures), unit and group, and the function that computes it."""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any, TypeVar

from django.db.models import TextChoices

from openmash.core.side_by_side import side_by_side
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
    # About how many milliseconds of its own work a year's period on five years at 100
    # contacts a day takes (measured: docs/BENCHMARKS.md, metrics_scale); 0 for the
    # quick ones. indicators_compute starts the costliest first (`_longest_first`).
    cost: int = 0

    @property
    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.definition.split("\n\n") if part.strip()]


INDICATORS: dict[str, Indicator] = {}


def _plain(text: str) -> str:
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n\n".join(paragraphs)


def indicator(
    *, key: str, title: str, definition: str, unit: Unit, group: Group, cost: int = 0
) -> Callable[[F], F]:
    """Register the decorated function as the one way to compute this indicator."""

    def register(compute: F) -> F:
        if key in INDICATORS:
            raise ValueError(f"Indicator {key} is defined twice.")
        INDICATORS[key] = Indicator(key, title, _plain(definition), unit, group, compute, cost)
        return compute

    return register


def indicators_in(group: Group) -> list[Indicator]:
    return [each for each in INDICATORS.values() if each.group == group]


class _WorkedOut:
    """Figures more than one indicator is made from, each worked out once while one
    indicators_compute runs, by the function, the filter and its `now`: the first
    indicator to ask works it out; one asking meanwhile, on another connection, waits
    for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: dict[tuple[Any, ...], Future[Any]] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            figures = self._figures.get(key)
            first = figures is None
            if figures is None:
                figures = self._figures[key] = Future()
        if first:
            try:
                figures.set_result(compute())
            except BaseException as error:
                figures.set_exception(error)
                raise
        return figures.result()


_worked_out: ContextVar[_WorkedOut | None] = ContextVar("metrics_worked_out", default=None)


# Shared figures the whole dashboard starts with, the longest first (see `shared`).
_STARTED_FIRST: list[Compute] = []


def shared(compute: F | None = None, *, first: bool = False) -> Any:
    """Mark figures that several indicators are made from (the turnaround tables the
    deadlines missed are turned round from; the children decided by outcome that three
    outcome indicators count): within one indicators_compute, worked out once for a
    filter and given again, as the same immutable figures. Outside it, worked out every
    call.

    `first`: among the longest work of the whole dashboard, so indicators_compute starts
    it before any indicator, each on its own connection: otherwise an indicator needing
    it while another connection works it out waits with nothing to do (three indicators
    share the contacts' timings, and waited for them side by side)."""

    def decorate(compute: F) -> F:
        @wraps(compute)
        def once(f: MetricFilter) -> Any:
            worked_out = _worked_out.get()
            if worked_out is None:
                return compute(f)
            return worked_out.get((compute, f, f.now), lambda: compute(f))

        if first:
            _STARTED_FIRST.append(once)
        return once  # type: ignore[return-value]

    return decorate if compute is None else decorate(compute)


def _longest_first(chosen: dict[str, Indicator]) -> list[str]:
    """The indicators' keys, the costliest first (the order defined among equals): each
    connection takes the next piece not yet taken, so a long piece taken last keeps one
    connection working after the others are done. On five years, the backlog (about
    65 ms) taken last kept one connection busy 50 ms after the other had finished."""
    return sorted(chosen, key=lambda key: -chosen[key].cost)


def indicators_compute(f: MetricFilter, keys: list[str] | None = None) -> dict[str, Any]:
    """The figures of every indicator (or of those named), by key, in the order defined:
    on PostgreSQL, over several connections side by side (openmash.core.side_by_side)."""
    chosen = INDICATORS if keys is None else {key: INDICATORS[key] for key in keys}
    work: dict[Any, Callable[[], Any]] = {}
    if keys is None:
        # The longest shared work first, so no connection waits for it (`shared`).
        work = {("first", n): partial(compute, f) for n, compute in enumerate(_STARTED_FIRST)}
    work.update({key: partial(chosen[key].compute, f) for key in _longest_first(chosen)})
    token = _worked_out.set(_WorkedOut())
    try:
        figures = side_by_side(work)
    finally:
        _worked_out.reset(token)
    return {key: figures[key] for key in chosen}
