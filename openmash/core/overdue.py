"""What "overdue" means, once, for the queues, their counts and filters, the reminders and
overdue alerts, and the metrics.

Overdue means strictly past the deadline: at the deadline itself a contact or a check is
not yet overdue, just as work done exactly at its deadline counts as in time. The Python
predicates and the queryset filters below are the same comparison.
"""

from datetime import datetime

from django.db.models import F, Q


def is_overdue(deadline_at: datetime | None, now: datetime) -> bool:
    """Past its deadline at `now` (never, without a deadline)."""
    return deadline_at is not None and now > deadline_at


def done_in_time(done_at: datetime, deadline_at: datetime) -> bool:
    """Done by its deadline: at the deadline itself counts as in time."""
    return not is_overdue(deadline_at, done_at)


def overdue_q(now: datetime, *, deadline: str = "deadline_at") -> Q:
    """Rows whose `deadline` field is past at `now`: is_overdue as a queryset filter."""
    return Q(**{f"{deadline}__lt": now})


def done_in_time_q(*, done: str, deadline: str) -> Q:
    """Rows done by their deadline (both fields of the row): done_in_time as a filter."""
    return Q(**{f"{done}__lte": F(deadline)})


def done_late_q(*, done: str, deadline: str) -> Q:
    """Rows done after their deadline: the rest of those done."""
    return Q(**{f"{done}__gt": F(deadline)})
