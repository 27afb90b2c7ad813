"""Volume: how many contacts arrive, from whom, how, and when."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connections
from django.db.models import Count as CountOf
from django.db.models import TextChoices
from django.db.models.functions import TruncHour
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.contacts.codes import Channel, ReferralSource
from openmash.metrics.aggregates import LocalHourNumber
from openmash.metrics.cohort import contacts_received
from openmash.metrics.figures import Breakdown, Count, CountRow, Matrix, Series, SeriesPoint
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import Group, Unit, indicator, shared
from openmash.metrics.indicators.tallies import contacts_by, tallied

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RECEIVED = """A contact counts on the day it was received (the time the referrer made it,
which a screener may have recorded later), in UK time."""


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class _Arrivals:
    """How many contacts were received on each UK day of the period, and in each hour of
    each day of the week (Monday 0; the hour of the day in UK time)."""

    by_day: Mapping[date, int]
    by_weekday_and_hour: Mapping[tuple[int, int], int]


# Contacts received in each whole hour of UK time since 1970 (the hour the clocks go back
# happens twice and counts once), added up by day and by weekday and hour in the database:
# about 530 rows for a year, where the hours themselves are over 7,000 to read and convert.
# 1970-01-01 was a Thursday (weekday 3).
_ARRIVALS_SQL = (
    "WITH hours(n, contacts) AS ({inner}), "
    # Whole days and the hour within the day, rounded down (floor, and a remainder never
    # below 0), so a moment before 1970 is on its own day too.
    "days(d, h, contacts) AS (SELECT FLOOR(n / 24.0)::bigint, n - 24 * FLOOR(n / 24.0)::bigint, "
    "contacts FROM hours) "
    "SELECT d, NULL, NULL, SUM(contacts)::bigint FROM days GROUP BY d "
    "UNION ALL SELECT NULL, d + 3 - 7 * FLOOR((d + 3) / 7.0)::bigint, h, SUM(contacts)::bigint "
    "FROM days GROUP BY d + 3 - 7 * FLOOR((d + 3) / 7.0)::bigint, h"
)


@shared(first=True)
def _arrivals(f: MetricFilter) -> _Arrivals:
    """When the period's contacts were received, by day and by weekday and hour: one
    query that the counts by day, by week and by weekday and hour are made from, where
    each read every contact of the period again."""
    received = contacts_received(f)
    by_day: dict[date, int] = {}
    by_weekday_and_hour: dict[tuple[int, int], int] = {}
    if connections[received.db].vendor == "postgresql":
        # The whole hours as numbers (the database's own arithmetic), not datetimes to
        # make aware and convert.
        hours = (
            received.annotate(m_hour=LocalHourNumber("received_at"))
            .values("m_hour")
            .annotate(contacts=CountOf("pk"))
            .values_list("m_hour", "contacts")
        )
        inner, params = hours.query.sql_with_params()
        with connections[received.db].cursor() as cursor:
            # The inner query is Django's own SQL with its parameters kept apart.
            cursor.execute(_ARRIVALS_SQL.format(inner=inner), params)
            for day_number, weekday, hour, contacts in cursor.fetchall():
                if day_number is not None:
                    by_day[date.fromordinal(EPOCH_ORDINAL + day_number)] = contacts
                else:
                    by_weekday_and_hour[(weekday, hour)] = contacts
        return _Arrivals(by_day, by_weekday_and_hour)
    for moment, contacts in (
        received.annotate(m_hour=TruncHour("received_at", tzinfo=LONDON))
        .values("m_hour")
        .annotate(contacts=CountOf("pk"))
        .values_list("m_hour", "contacts")
    ):
        local = timezone.localtime(moment, LONDON) if timezone.is_aware(moment) else moment
        day, key = local.date(), (local.weekday(), local.hour)
        by_day[day] = by_day.get(day, 0) + contacts
        by_weekday_and_hour[key] = by_weekday_and_hour.get(key, 0) + contacts
    return _Arrivals(by_day, by_weekday_and_hour)


@indicator(
    key="contacts_received",
    title="Contacts received",
    definition=f"""Every contact received in the period, whatever happened to it next.
    {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_received_count(f: MetricFilter) -> Count:
    return Count(tallied(f).contacts)


@indicator(
    key="contacts_per_day",
    title="Contacts per day",
    definition=f"""Contacts received on each day of the period, including days with none,
    and the average per day. A period that runs on past today counts only the days so
    far. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_per_day(f: MetricFilter) -> Series:
    counts = _arrivals(f).by_day
    return Series("day", tuple(SeriesPoint(day, counts.get(day, 0)) for day in f.days_begun))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@indicator(
    key="contacts_per_week",
    title="Contacts per week",
    definition=f"""Contacts received in each week (Monday to Sunday) that overlaps the
    period, and the average per week: the contacts per seven days of the period. The
    first and last weeks count only the days inside the period, so they can be part
    weeks, and a period that runs on past today counts only the days so far. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_per_week(f: MetricFilter) -> Series:
    counts: dict[date, int] = {}
    for day, contacts in _arrivals(f).by_day.items():
        monday = _monday(day)
        counts[monday] = counts.get(monday, 0) + contacts
    days = f.days_begun
    weeks = sorted({_monday(day) for day in days})
    return Series(
        "week", tuple(SeriesPoint(week, counts.get(week, 0)) for week in weeks), days=len(days)
    )


def _breakdown(
    f: MetricFilter, field: str, choices: type[TextChoices], dimension: str
) -> Breakdown:
    counts = contacts_by(f, field)
    known = [
        CountRow(value, label, counts[value]) for value, label in choices.choices if value in counts
    ]
    # A code no longer in the list still counts, under its own name.
    unknown = [
        CountRow(value, value or "Not recorded", count)
        for value, count in sorted(counts.items())
        if value not in choices.values
    ]
    return Breakdown(dimension, tuple(known + unknown))


@indicator(
    key="contacts_by_source",
    title="Contacts by referral source",
    definition=f"""Contacts received in the period by the referral source the referrer
    gave, in the codes of the Children in Need census (2A schools, 6 police and so on),
    with each source's share of all contacts. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_by_source(f: MetricFilter) -> Breakdown:
    return _breakdown(f, "referral_source", ReferralSource, "Referral source")


@indicator(
    key="contacts_by_channel",
    title="Contacts by channel",
    definition=f"""Contacts received in the period by how they arrived: phone, email, the
    online form, a police notification or another agency's system. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_by_channel(f: MetricFilter) -> Breakdown:
    return _breakdown(f, "channel", Channel, "Channel")


@indicator(
    key="arrivals_by_weekday_and_hour",
    title="When contacts arrive",
    definition=f"""Contacts received in the period by the day of the week and the hour of
    the day they were received, in UK time (the hour 09:00 counts 09:00 to 09:59). Shows
    when the hub needs people to screen. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def arrivals_by_weekday_and_hour(f: MetricFilter) -> Matrix:
    counts = [[0] * 24 for _ in WEEKDAYS]
    for (weekday, hour), contacts in _arrivals(f).by_weekday_and_hour.items():
        counts[weekday][hour] += contacts
    return Matrix(
        "Day of the week",
        "Hour of the day",
        WEEKDAYS,
        tuple(f"{hour:02d}:00" for hour in range(24)),
        tuple(tuple(row) for row in counts),
    )
