"""Volume: how many contacts arrive, from whom, how, and when."""

from datetime import date, datetime, timedelta

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

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RECEIVED = """A contact counts on the day it was received (the time the referrer made it,
which a screener may have recorded later), in UK time."""


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day_and_hour(moment: int | datetime) -> tuple[date, int]:
    """The UK day and hour of the day of a LocalHourNumber, or of a moment."""
    if isinstance(moment, int):
        days, hour = divmod(moment, 24)
        return date.fromordinal(EPOCH_ORDINAL + days), hour
    local = timezone.localtime(moment, LONDON) if timezone.is_aware(moment) else moment
    return local.date(), local.hour


@shared
def _by_local_hour(f: MetricFilter) -> dict[tuple[date, int], int]:
    """How many contacts were received in each hour of UK time (its day and its hour of
    the day) in the period: one query that the counts by day, by week and by weekday and
    hour are added up from (a year has at most 8,784 such hours), where each read every
    contact of the period again."""
    received = contacts_received(f)
    # Whole hours of UK time since 1970 on PostgreSQL (the database's own arithmetic): a
    # number each, not a datetime to make aware and convert (most of the time, a year's).
    on_postgresql = connections[received.db].vendor == "postgresql"
    hour = (
        LocalHourNumber("received_at") if on_postgresql else TruncHour("received_at", tzinfo=LONDON)
    )
    counts: dict[tuple[date, int], int] = {}
    for moment, contacts in (
        received.annotate(m_hour=hour)
        .values("m_hour")
        .annotate(contacts=CountOf("pk"))
        .values_list("m_hour", "contacts")
    ):
        key = _day_and_hour(moment)
        # The hour the clocks go back happens twice and counts once.
        counts[key] = counts.get(key, 0) + contacts
    return counts


@shared
def _by_local_day(f: MetricFilter) -> dict[date, int]:
    """How many contacts were received on each day (UK time) of the period."""
    counts: dict[date, int] = {}
    for (day, _), contacts in _by_local_hour(f).items():
        counts[day] = counts.get(day, 0) + contacts
    return counts


@indicator(
    key="contacts_received",
    title="Contacts received",
    definition=f"""Every contact received in the period, whatever happened to it next.
    {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_received_count(f: MetricFilter) -> Count:
    return Count(contacts_received(f).count())


@indicator(
    key="contacts_per_day",
    title="Contacts per day",
    definition=f"""Contacts received on each day of the period, including days with none,
    and the average per day. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_per_day(f: MetricFilter) -> Series:
    counts = _by_local_day(f)
    return Series("day", tuple(SeriesPoint(day, counts.get(day, 0)) for day in f.days))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@indicator(
    key="contacts_per_week",
    title="Contacts per week",
    definition=f"""Contacts received in each week (Monday to Sunday) that overlaps the
    period, and the average per week. The first and last weeks count only the days inside
    the period, so they can be part weeks. {RECEIVED}""",
    unit=Unit.CONTACTS,
    group=Group.VOLUME,
)
def contacts_per_week(f: MetricFilter) -> Series:
    counts: dict[date, int] = {}
    for day, contacts in _by_local_day(f).items():
        monday = _monday(day)
        counts[monday] = counts.get(monday, 0) + contacts
    weeks = sorted({_monday(day) for day in f.days})
    return Series("week", tuple(SeriesPoint(week, counts.get(week, 0)) for week in weeks))


def _breakdown(
    f: MetricFilter, field: str, choices: type[TextChoices], dimension: str
) -> Breakdown:
    counts = dict(
        contacts_received(f)
        .values(field)
        .annotate(contacts=CountOf("pk"))
        .values_list(field, "contacts")
    )
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
    for (day, hour), contacts in _by_local_hour(f).items():
        counts[day.weekday()][hour] += contacts
    return Matrix(
        "Day of the week",
        "Hour of the day",
        WEEKDAYS,
        tuple(f"{hour:02d}:00" for hour in range(24)),
        tuple(tuple(row) for row in counts),
    )
