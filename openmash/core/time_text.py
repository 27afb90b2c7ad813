"""Times and lengths of time as the MASH reads them, in Europe/London (TIME_ZONE).

One home for the wording every page uses: "14:05 on 3 March 2026", "3 March 2026",
"3 hours 10 minutes", "2 days 3 hours left", "Overdue by 2 hours".
"""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from openmash.core.overdue import is_overdue


def when_text(moment: datetime | None) -> str:
    """A moment like '14:05 on 3 March 2026'; nothing for no moment."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def day_text(day: date) -> str:
    """A day like '3 March 2026'."""
    return f"{day.day} {day:%B %Y}"


def minutes_text(minutes: float) -> str:
    """A number of minutes to the nearest whole one, rounded half up as by hand:
    '1 minute', '45 minutes'."""
    return plural(
        int(Decimal(repr(minutes)).quantize(Decimal(1), rounding=ROUND_HALF_UP)), "minute"
    )


def plural(count: int, unit: str, many: str | None = None) -> str:
    """'1 minute', '2 minutes', '1,200 contacts', '3 children' (with `many`)."""
    return f"{count:,} {unit if count == 1 else (many or unit + 's')}"


def duration_text(delta: timedelta) -> str:
    """A length of time to the minute, in at most two units: '2 days 3 hours',
    '3 hours 10 minutes', '5 minutes' or 'less than a minute'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return plural(days, "day") + (f" {plural(hours, 'hour')}" if hours else "")
    if hours:
        return plural(hours, "hour") + (f" {plural(minutes, 'minute')}" if minutes else "")
    if minutes:
        return plural(minutes, "minute")
    return "less than a minute"


def time_left_text(deadline: datetime, now: datetime) -> str:
    """'3 hours 10 minutes left', or 'Overdue by 2 hours' once the deadline has passed."""
    if is_overdue(deadline, now):
        return f"Overdue by {duration_text(now - deadline)}"
    return f"{duration_text(deadline - now)} left"
