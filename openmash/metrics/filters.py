"""What a set of figures is about: the period and the optional filters."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.core.period import Period


@dataclass(frozen=True)
class MetricFilter:
    """The figures asked for: contacts received from `start` to `end` (both whole days in
    Europe/London), followed up to the end of the period, and optionally only those with
    one RAG rating, referral source, agency or hand-on team.

    - `rag`: a RagLevel code; a contact's rating is the one in force at the end of the
      period (after any re-grade).
    - `source`: a CIN referral source code.
    - `agency_id`: a partner agency: only contacts it was asked to check, and only its
      own checks.
    - `team`: a HandOnTeam value: only contacts handed on to that team, and only its
      hand-ons.
    - `now`: when the figures are worked out (tests set it; otherwise the current time).
    - `clock`: `now` was just read from the clock (to work several counts out to one
      moment), so the figures are still as things stand (see `settled`).
    """

    start: date
    end: date
    rag: str = ""
    source: str = ""
    agency_id: int | None = None
    team: str = ""
    now: datetime | None = field(default=None, compare=False)
    clock: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @classmethod
    def last_days(
        cls, days: int, *, today: date | None = None, **filters: object
    ) -> "MetricFilter":
        today = today or timezone.localdate(timezone.now(), LONDON)
        return cls(start=today - timedelta(days=days - 1), end=today, **filters)  # type: ignore[arg-type]

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def starts_at(self) -> datetime:
        """Midnight at the start of the first day, in London."""
        return self.period.starts_at

    @property
    def ends_at(self) -> datetime:
        """Midnight at the end of the last day, in London (exclusive)."""
        return self.period.ends_at

    @property
    def as_at(self) -> datetime:
        """The moment the figures describe: the end of the period, or now if that is
        earlier. Anything that happened at or after it has not happened yet."""
        now = self.now or timezone.now()
        return min(self.ends_at, now)

    @property
    def settled(self) -> bool:
        """Whether the figures are as things stand: the period runs to the present, and
        the time is the clock's (none was set, or `clock`). Then nothing can have happened after as_at (the moment each query
        runs, to within the moments between reading the clock and the query), so each
        contact's facts are its state at as_at, and the figures read them as they are,
        without asking whether each change came before as_at (ADR 0036). A period that
        has ended, or figures worked out for a set `now`, compare every change with
        as_at."""
        if self.now is not None and not self.clock:
            return False
        return self.ends_at > (self.now or timezone.now())

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def days_begun(self) -> list[date]:
        """The period's days that had begun by as_at: every one once the period has ended;
        for a period running on past today, none still to come (no contact can have
        arrived on them, and they are not days with none)."""
        as_at = self.as_at
        return [day for day in self.days if datetime.combine(day, time(0), LONDON) < as_at]
