"""The MASH's deadlines, from the area's RAG levels and calendar. The queues, the
reminders and the metrics all take their times from here."""

from datetime import datetime

from openmash.area.calendar import WorkingCalendar, calendar_for_area
from openmash.area.models import RagLevel
from openmash.area.selectors import rag_levels_active


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
