"""The MASH's deadlines, from the area's RAG levels and calendar. The queues, the
reminders and the metrics all take their times from here."""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from openmash.area.calendar import WorkingCalendar, calendar_for_area
from openmash.area.models import RagLevel, WorkingHours
from openmash.area.selectors import rag_levels_active


class HasHandOnDeadline(Protocol):
    """A hand-on as its deadline is worked out (the area imports no enquiries model)."""

    created_at: datetime
    deadline_at: datetime | None


def provisional_level(*, immediate_risk: bool) -> RagLevel | None:
    """The rating a contact's deadline runs on until a screener rates it: the most
    urgent level if the referrer says a child is at immediate risk, otherwise the level
    marked as the default for unrated contacts (the least urgent if none is marked)."""
    levels = rag_levels_active()
    if not levels:
        return None
    if immediate_risk:
        return levels[0]
    return next((level for level in levels if level.default_for_unrated), levels[-1])


def decision_deadline(
    *, received_at: datetime, level: RagLevel, calendar: WorkingCalendar | None = None
) -> datetime:
    calendar = calendar or calendar_for_area()
    return calendar.add(received_at, level.decision_hours, level.decision_counting)


def check_deadline(
    *, requested_at: datetime, level: RagLevel, calendar: WorkingCalendar | None = None
) -> datetime:
    calendar = calendar or calendar_for_area()
    return calendar.add(requested_at, level.check_hours, level.check_counting)


def hand_on_deadline(
    *,
    handed_on_at: datetime,
    hours: WorkingHours | None = None,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """When the receiving team should have accepted (or returned) a case handed on at
    `handed_on_at`: the area's acceptance timescale, in clock or working hours. Pass the
    area's `hours` and `calendar` when working out many."""
    hours = hours or WorkingHours.objects.first() or WorkingHours()
    calendar = calendar or calendar_for_area()
    return calendar.add(
        handed_on_at, hours.hand_on_acceptance_hours, hours.hand_on_acceptance_counting
    )


def hand_on_deadlines_fill(hand_ons: Iterable[HasHandOnDeadline]) -> None:
    """Give each hand-on made before the acceptance timescale existed (no deadline_at)
    the deadline the area's timescale sets from when it was handed on, in memory, reading
    the area's settings once for them all (none at all when every one has a deadline)."""
    missing = [each for each in hand_ons if each.deadline_at is None]
    if not missing:
        return
    hours = WorkingHours.objects.first() or WorkingHours()
    calendar = calendar_for_area()
    for each in missing:
        each.deadline_at = hand_on_deadline(
            handed_on_at=each.created_at, hours=hours, calendar=calendar
        )
