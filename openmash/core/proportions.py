"""A share of a count, written honestly: always with its count, with a 95% interval where a
decision rests on it, and "not enough to say" below a minimum sample rather than 0% or
100% from one or two cases."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from math import sqrt

# Below this many cases a share is not shown as a percentage.
MIN_SAMPLE = 10
# What a page says instead of a share from fewer than MIN_SAMPLE cases.
NOT_ENOUGH = "not enough to say"
# The normal quantile for a 95% interval.
Z_95 = 1.959964


def _percent(value: float) -> str:
    # Always to one place, as every other percentage on the pages ("75.0%", "100.0%"), so
    # a column of shares lines up and reads alike.
    exact = Decimal(repr(value * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{exact}%"


@dataclass(frozen=True)
class Proportion:
    """`part` of `whole` cases."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def enough(self) -> bool:
        return self.whole >= MIN_SAMPLE

    def interval(self) -> tuple[float, float] | None:
        """The Wilson score interval at 95%: sensible near 0% and 100% and for small
        counts, where the plain p ± 1.96·se interval runs past the ends."""
        if not self.whole:
            return None
        n, p = self.whole, self.part / self.whole
        centre = p + Z_95**2 / (2 * n)
        spread = Z_95 * sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n))
        scale = 1 + Z_95**2 / n
        # Exactly 0 and 1 at the ends (the formula gives them only to within rounding).
        low = 0.0 if self.part == 0 else max(0.0, min(p, (centre - spread) / scale))
        high = 1.0 if self.part == n else min(1.0, max(p, (centre + spread) / scale))
        return low, high

    def count_text(self) -> str:
        return f"{self.part:,} of {self.whole:,}"

    def percent_text(self, *, none: str = "none yet") -> str:
        """The share alone, for a headline whose count is written beside it: '83.3%', or
        NOT_ENOUGH below the minimum sample, or `none` for no cases."""
        if not self.whole:
            return none
        return _percent(self.part / self.whole) if self.enough else NOT_ENOUGH

    def interval_text(self) -> str:
        """'95% interval 66.4% to 92.7%', or '' where no share is shown."""
        interval = self.interval()
        if not self.enough or interval is None:
            return ""
        low, high = interval
        return f"95% interval {_percent(low)} to {_percent(high)}"

    def input_text(self) -> str:
        """A share a model is calibrated from, shown whatever the sample, since it is used
        whatever the sample: always with its count, so a small one is plain to see:
        '20.0% (1 of 5)'."""
        if not self.whole:
            return "none"
        return f"{_percent(self.part / self.whole)} ({self.count_text()})"

    def short_text(self, *, none: str = "none yet") -> str:
        """For a table cell: '83.3% (25 of 30)', 'not enough to say (3 of 4)', `none`."""
        if not self.whole:
            return none
        return f"{self.percent_text()} ({self.count_text()})"

    def text(self, *, none: str = "none yet", with_interval: bool = True) -> str:
        """'83.3% (25 of 30; 95% interval 66.4% to 92.7%)', or below the minimum sample
        'not enough to say (3 of 4; at least 10 needed)', or `none` for no cases."""
        if not self.whole:
            return none
        if not self.enough:
            return f"{NOT_ENOUGH} ({self.count_text()}; at least {MIN_SAMPLE} needed)"
        shown = f"{_percent(self.part / self.whole)} ({self.count_text()}"
        interval = self.interval()
        if with_interval and interval is not None:
            low, high = interval
            shown += f"; 95% interval {_percent(low)} to {_percent(high)}"
        return shown + ")"
