"""When demo contacts arrive: by referral source, hour, weekday, school term and bank
holiday, as a hub sees them.

Each source agency has a pattern (a row of ARRIVAL_PATTERNS): relative weights for the
24 hours of the day, for the seven days of the week, and how much of its weekday volume
it keeps on a bank holiday and in the school holidays. The numbers are judgements from
how MASHs describe their demand, not measurements of one hub:

- Police notifications (CIN source 6) come round the clock and peak in the evening and
  overnight, when domestic incidents are attended; the notification is written up and
  sent at the end of the shift. Weekends bring as many as weekdays or more (domestic
  abuse peaks on Friday and Saturday nights). Police account for about a quarter of
  referrals (DfE, MASH-DOMAIN.md section 6).
- Schools (2A) and school nurses (3C) refer only on school days, in school hours, most
  after the morning register and at the end of the day, when a disclosure has been
  heard and written up by the designated safeguarding lead. They make about a sixth of
  referrals in term time and next to none in the holidays.
- Education services (2B), health visitors, GPs, housing, other council services, courts
  and probation, and the voluntary sector work office hours on working days.
- A&E (3E) refers round the clock, more in the evening.
- Family, neighbours and anonymous callers (1A-1D, 9, 10) ring in the day and evening,
  at weekends as well.

The school holidays are a configured list (ENGLISH_SCHOOL_HOLIDAYS): the usual English
pattern of half terms, Christmas, Easter and summer. Each local authority sets its own
term dates, so these are typical dates, not one area's; a hub using the demo for
something that depends on them should replace the list. Bank holidays come from the
area's working calendar (openmash.area.calendar: the `holidays` package and local
closure days).
"""

import random
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from openmash.area.calendar import LONDON

# Monday first.
WEEKDAYS_ONLY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class ArrivalPattern:
    """How one group of referral sources sends contacts: its share of a weekday's
    contacts, the relative weight of each hour (0 to 23, local time) and of each day of
    the week (Monday first, a weekday in term time is about 1), and the share of its
    weekday volume it keeps on bank holidays and in the school holidays."""

    name: str
    sources: tuple[tuple[str, int], ...]  # CIN referral source code, relative weight
    weekday_share: float
    hours: tuple[float, ...]
    days: tuple[float, ...]
    bank_holiday: float
    school_holiday: float
    school_days_only: bool = False

    def __post_init__(self) -> None:
        if len(self.hours) != 24 or len(self.days) != 7:
            raise ValueError(f"{self.name}: 24 hourly and 7 daily weights are needed")


ARRIVAL_PATTERNS: tuple[ArrivalPattern, ...] = (
    ArrivalPattern(
        name="police",
        sources=(("6", 1),),
        weekday_share=0.27,
        # Overnight: incidents attended in the evening and night are notified at the end
        # of the shift; a smaller daytime peak from officers' follow-up work.
        hours=(6, 6, 5, 4, 3, 3, 3, 4, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 7, 7),
        # Friday and weekend nights bring more domestic incidents.
        days=(1.0, 0.95, 0.95, 1.0, 1.1, 1.2, 1.15),
        bank_holiday=1.15,
        school_holiday=1.0,
    ),
    ArrivalPattern(
        name="schools",
        sources=(("2A", 17), ("3C", 2)),
        weekday_share=0.19,
        # School hours: after registration, at lunch and at the end of the day.
        hours=(0, 0, 0, 0, 0, 0, 0, 0, 3, 8, 9, 8, 6, 7, 8, 9, 5, 0, 0, 0, 0, 0, 0, 0),
        # Mondays bring what children said about the weekend.
        days=(1.2, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0),
        bank_holiday=0.0,
        school_holiday=0.0,
        school_days_only=True,
    ),
    ArrivalPattern(
        name="office",
        sources=(
            ("2B", 3),
            ("3A", 4),
            ("3B", 4),
            ("3D", 1),
            ("3F", 3),
            ("4", 3),
            ("5A", 4),
            ("5B", 2),
            ("5C", 2),
            ("5D", 3),
            ("7", 4),
            ("8", 5),
        ),
        weekday_share=0.38,
        # Professionals working office hours; a few write up late.
        hours=(0, 0, 0, 0, 0, 0, 0, 0.5, 4, 8, 9, 9, 7, 8, 9, 9, 7, 3, 1, 0.5, 0.3, 0, 0, 0),
        days=(1.05, 1.0, 1.0, 1.0, 0.95, 0.08, 0.05),
        bank_holiday=0.1,
        # Health visitors, GPs and the rest carry on, but fewer children are seen by
        # professionals when schools are closed.
        school_holiday=0.85,
    ),
    ArrivalPattern(
        name="emergency department",
        sources=(("3E", 1),),
        weekday_share=0.04,
        hours=(3, 2, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6, 5, 4, 4),
        days=(1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1),
        bank_holiday=1.1,
        school_holiday=1.0,
    ),
    ArrivalPattern(
        name="family and public",
        sources=(("1A", 6), ("1B", 2), ("1C", 1), ("1D", 2), ("9", 3), ("10", 1)),
        weekday_share=0.12,
        # Daytime and evening, seldom at night.
        hours=(
            0.5,
            0.3,
            0.2,
            0.1,
            0.1,
            0.1,
            0.3,
            1,
            3,
            5,
            6,
            6,
            5,
            5,
            5,
            5,
            5,
            5,
            5,
            5,
            4,
            3,
            2,
            1,
        ),
        days=(1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.6),
        bank_holiday=0.6,
        school_holiday=1.1,
    ),
)

# Typical English state-school holidays (inclusive), as most local authorities set them:
# October half term, Christmas, February half term, Easter, May half term, summer. Weekends
# between are school holidays too, which changes nothing at weekends.
ENGLISH_SCHOOL_HOLIDAYS: tuple[tuple[date, date], ...] = (
    (date(2024, 10, 28), date(2024, 11, 1)),
    (date(2024, 12, 23), date(2025, 1, 3)),
    (date(2025, 2, 17), date(2025, 2, 21)),
    (date(2025, 4, 7), date(2025, 4, 21)),
    (date(2025, 5, 26), date(2025, 5, 30)),
    (date(2025, 7, 23), date(2025, 9, 2)),
    (date(2025, 10, 27), date(2025, 10, 31)),
    (date(2025, 12, 22), date(2026, 1, 2)),
    (date(2026, 2, 16), date(2026, 2, 20)),
    (date(2026, 3, 30), date(2026, 4, 10)),
    (date(2026, 5, 25), date(2026, 5, 29)),
    (date(2026, 7, 22), date(2026, 9, 2)),
    (date(2026, 10, 26), date(2026, 10, 30)),
    (date(2026, 12, 21), date(2027, 1, 1)),
    (date(2027, 2, 15), date(2027, 2, 19)),
    (date(2027, 3, 29), date(2027, 4, 9)),
    (date(2027, 5, 31), date(2027, 6, 4)),
    (date(2027, 7, 21), date(2027, 9, 1)),
    (date(2027, 10, 25), date(2027, 10, 29)),
    (date(2027, 12, 20), date(2027, 12, 31)),
)


def in_school_holidays(day: date, holidays: Sequence[tuple[date, date]]) -> bool:
    """Whether `day` is in the school holidays. Outside the years the list covers, the
    same calendar dates of the nearest listed year are used, so a demo seeded in any year
    has holidays in the usual places."""
    if not holidays:
        return False
    first, last = holidays[0][0].year, holidays[-1][1].year
    year = min(max(day.year, first), last)
    if year != day.year:
        try:
            day = day.replace(year=year)
        except ValueError:  # 29 February
            day = day.replace(year=year, day=28)
    return any(start <= day <= end for start, end in holidays)


def is_school_day(
    day: date, bank_holidays: Container[date], holidays: Sequence[tuple[date, date]]
) -> bool:
    return day.weekday() < 5 and day not in bank_holidays and not in_school_holidays(day, holidays)


@dataclass(frozen=True)
class Arrival:
    received_at: datetime
    source: str
    pattern: str


def arrivals_on(
    rng: random.Random,
    day: date,
    per_weekday: float,
    bank_holidays: Container[date],
    school_holidays: Sequence[tuple[date, date]] = ENGLISH_SCHOOL_HOLIDAYS,
    patterns: Sequence[ArrivalPattern] = ARRIVAL_PATTERNS,
) -> list[Arrival]:
    """The contacts arriving on `day`, in time order: for each pattern a Poisson number
    with mean `per_weekday` x its share x its weight for the day, each at an hour drawn
    from its hourly weights and a minute drawn evenly."""
    bank_holiday = day in bank_holidays
    school_break = in_school_holidays(day, school_holidays)
    school_day = is_school_day(day, bank_holidays, school_holidays)
    arrivals = []
    for pattern in patterns:
        if pattern.school_days_only and not school_day:
            continue
        mean = per_weekday * pattern.weekday_share * pattern.days[day.weekday()]
        if bank_holiday:
            mean *= pattern.bank_holiday
        if school_break:
            mean *= pattern.school_holiday
        codes = [code for code, _ in pattern.sources]
        weights = [weight for _, weight in pattern.sources]
        for _ in range(poisson(rng, mean)):
            hour = rng.choices(range(24), weights=pattern.hours)[0]
            moment = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=LONDON)
            source = rng.choices(codes, weights=weights)[0]
            arrivals.append(Arrival(moment, source, pattern.name))
    return sorted(arrivals, key=lambda arrival: arrival.received_at)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's method (the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def pattern_of(source: str) -> ArrivalPattern | None:
    return next((pattern for pattern in ARRIVAL_PATTERNS if source in dict(pattern.sources)), None)
