"""Figures written as the pages, charts and sentences show them: whole numbers with
thousands separators, hours and percentages to one place, rounded as people round by
hand."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openmash.core.proportions import Proportion
from openmash.core.time_text import plural

__all__ = ["plural"]  # counted nouns, as every page words them

NO_FIGURE = "\N{EN DASH}"  # nothing to show (no items, or none finished)
MINUS = "\N{MINUS SIGN}"


def whole(count: int) -> str:
    return f"{count:,}"


def rounded(value: float, places: int) -> str:
    """Half away from zero, as people round by hand (0.25 hours is 0.3, not 0.2)."""
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if exact == 0:
        exact = abs(exact)  # never "-0.0"
    return f"{exact:,}"


def half_up(value: float, places: int) -> float:
    """The value rounded as the page shows it (half away from zero), as a number."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def one_place(value: float) -> str:
    return rounded(value, 1)


def signed(text: str) -> str:
    """A rounded figure with a real minus sign (and a plus for a rise), for differences."""
    if text.startswith("-"):
        return MINUS + text[1:]
    return text if text.strip("0.,") == "" else f"+{text}"


def percent(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{rounded(value * 100, 1)}%"


def share(part: int, of: int, *, interval: bool = False) -> str:
    """A share always with its count: "45.0% (9 of 20)"; "not enough to say (3 of 4; at least
    10 needed)" below the minimum sample; a dash when there is nothing to count. With
    `interval`, the 95% interval too, for a figure a decision rests on."""
    proportion = Proportion(part, of)
    if interval:
        return proportion.text(none=NO_FIGURE)
    return proportion.short_text(none=NO_FIGURE)


def hours(value: float | None) -> str:
    return NO_FIGURE if value is None else rounded(value, 1)


def days(value: float | None) -> str:
    return NO_FIGURE if value is None else rounded(value / 24, 2)


def day_text(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
