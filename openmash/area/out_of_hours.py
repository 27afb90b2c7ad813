"""Out of hours: whether the hub is closed at a moment, the emergency duty team (EDT)
that covers while it is, when it reopens, and who is on call. The EDT covers exactly the
time the working calendar (openmash/area/calendar.py) says the hub is closed: outside its
opening hours, on the days it does not open, on its nation's bank holidays and on the
area's local closure days."""

from dataclasses import dataclass
from datetime import datetime

from openmash.area.calendar import CalendarHasNoWorkingTime, WorkingCalendar, calendar_for_area
from openmash.area.models import EmergencyDutyTeam, OnCallPeriod, WorkingHours

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _days(numbers: list[int]) -> str:
    """Monday to Friday; Saturday and Sunday; Monday, Wednesday and Friday."""
    names = [DAY_NAMES[number] for number in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]} to {names[-1]}"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0]


def edt_covers(hours: WorkingHours | None = None) -> str:
    """When the emergency duty team covers, in the words a referrer reads."""
    hours = hours or WorkingHours.objects.first() or WorkingHours()
    open_days = sorted(hours.weekdays)
    closed_days = [day for day in range(7) if day not in hours.weekdays]
    parts = []
    if open_days:
        parts.append(f"before {hours.opens:%H:%M} and from {hours.closes:%H:%M} {_days(open_days)}")
    if closed_days:
        parts.append(f"all day {_days(closed_days)}")
    parts.append("on bank holidays and the council's closure days")
    return "Whenever the MASH is closed: " + ", ".join(parts)


@dataclass(frozen=True)
class OutOfHours:
    """The hub is closed: who covers, when, and when the MASH next opens."""

    team: EmergencyDutyTeam
    covers: str
    reopens_at: datetime


def out_of_hours_at(
    moment: datetime,
    *,
    hours: WorkingHours | None = None,
    calendar: WorkingCalendar | None = None,
) -> OutOfHours | None:
    """The EDT and when the hub reopens, if the hub is closed at `moment`. None while the
    hub is open, and None in an area that has not set up its emergency duty team: out-of-
    hours acknowledgements and alerts start once it has (what a referrer most needs out
    of hours is whom to call, and OpenMASH invents no phone number). Pass the area's
    `hours` and the `calendar` made from them where they have been read already."""
    team = EmergencyDutyTeam.objects.first()
    if team is None:
        return None
    if hours is None or calendar is None:
        # Read once for both the calendar and the words saying when the EDT covers.
        hours = WorkingHours.objects.first() or WorkingHours()
        calendar = calendar_for_area(hours)
    if calendar.is_open(moment):
        return None
    try:
        reopens_at = calendar.next_opening(moment)
    except CalendarHasNoWorkingTime:
        # Working hours with no open day (the admin form refuses them) cannot say when
        # the hub reopens; a contact must still be recorded.
        return None
    return OutOfHours(team=team, covers=edt_covers(hours), reopens_at=reopens_at)


def on_call_at(moment: datetime) -> OnCallPeriod | None:
    """The on-call period covering `moment`, with its person; None if nobody is on call."""
    return (
        OnCallPeriod.objects.filter(starts_at__lte=moment, ends_at__gt=moment)
        .select_related("person")
        .order_by("starts_at")
        .first()
    )
