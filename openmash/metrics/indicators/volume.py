"""Volume: how many contacts arrive, from whom, how, and when."""

from datetime import date, datetime, timedelta

from django.db.models import Count as CountOf
from django.db.models import TextChoices
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncWeek
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.contacts.codes import Channel, ReferralSource
from openmash.metrics.cohort import contacts_received
from openmash.metrics.figures import Breakdown, Count, CountRow, Matrix, Series, SeriesPoint
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import Group, Unit, indicator

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RECEIVED = """A contact counts on the day it was received (the time the referrer made it,
which a screener may have recorded later), in UK time."""


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
    counts = dict(
        contacts_received(f)
        .annotate(day=TruncDate("received_at", tzinfo=LONDON))
        .values("day")
        .annotate(contacts=CountOf("pk"))
        .values_list("day", "contacts")
    )
    return Series("day", tuple(SeriesPoint(day, counts.get(day, 0)) for day in f.days))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value, LONDON).date() if timezone.is_aware(value) else value.date()
        )
    return value


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
    rows = (
        contacts_received(f)
        .annotate(week=TruncWeek("received_at", tzinfo=LONDON))
        .values("week")
        .annotate(contacts=CountOf("pk"))
        .values_list("week", "contacts")
    )
    counts = {_local_date(week): contacts for week, contacts in rows}
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
    rows = (
        contacts_received(f)
        .annotate(
            weekday=ExtractIsoWeekDay("received_at", tzinfo=LONDON),
            hour=ExtractHour("received_at", tzinfo=LONDON),
        )
        .values("weekday", "hour")
        .annotate(contacts=CountOf("pk"))
        .values_list("weekday", "hour", "contacts")
    )
    counts = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, contacts in rows:  # at most 168 rows: one per weekday and hour
        counts[int(weekday) - 1][int(hour)] = contacts
    return Matrix(
        "Day of the week",
        "Hour of the day",
        WEEKDAYS,
        tuple(f"{hour:02d}:00" for hour in range(24)),
        tuple(tuple(row) for row in counts),
    )
