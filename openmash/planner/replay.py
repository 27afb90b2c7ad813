"""A check against the past (issue 6, item 5): what actually happened to the contacts of a
recorded period, measured as the simulation measures it, so the two can be compared.

The engine draws arrivals from rates (it takes no trace of actual arrival times), so a
replay simulates the period's own rates, mix, agencies asked, work times and the people
who recorded work in it. The recorded period happened once; the simulation gives many
versions of it, so the actual figure is compared with the spread of the replications
(lowest to highest), not only with the 95% interval of their mean.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openmash.area.calendar import calendar_for_area
from openmash.area.selectors import rag_levels_active
from openmash.capacity.results import ReplicationMetrics, quantile
from openmash.contacts.models import Contact
from openmash.core.overdue import done_in_time, is_overdue
from openmash.core.period import Period
from openmash.enquiries.models import Decision, RagRating

SPREAD_METRICS = ("within_timescale", "median_turnaround_hours", "p90_turnaround_hours")


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def actual_turnaround(*, period: Period, now: datetime) -> dict[str, Any]:
    """For each RAG level, the rated contacts received in `period`: how many, the median
    and 90th percentile of the time from receipt to the MASH decision (in the level's own
    counting, clock or working hours), the share decided by their deadline, and the
    breaches. A contact not yet decided whose deadline has passed has breached (its
    turnaround counts as longer than any); one whose deadline is still to come is left
    out and counted as pending."""
    begin, end = period.bounds()
    calendar = calendar_for_area()
    contacts = list(
        Contact.objects.filter(
            received_at__gte=begin, received_at__lt=end, rag_level__isnull=False
        ).values("id", "received_at", "deadline_at", "closed_at", "rag_level__code")
    )
    ids = [contact["id"] for contact in contacts]
    decided = dict(
        Decision.objects.filter(contact_id__in=ids, amends__isnull=True).values_list(
            "contact_id", "decided_at"
        )
    )
    # Each rating's deadline, oldest first: a decision is judged by the deadline set by
    # the last rating before it, not by a later one (a case returned to the MASH, or
    # re-graded after the decision, has its deadline counted again).
    ratings: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for contact_id, set_at, deadline_at in (
        RagRating.objects.filter(contact_id__in=ids)
        .order_by("set_at", "id")
        .values_list("contact_id", "set_at", "deadline_at")
    ):
        ratings[contact_id].append((set_at, deadline_at))
    figures: dict[str, Any] = {}
    for level in rag_levels_active():
        own = [contact for contact in contacts if contact["rag_level__code"] == level.code]
        turnarounds: list[float] = []
        within = pending = 0
        for contact in own:
            # A contact passed to its allocated worker is closed without a decision.
            done = decided.get(contact["id"]) or contact["closed_at"]
            rated_before = [
                deadline_at
                for set_at, deadline_at in ratings[contact["id"]]
                if done and set_at <= done
            ]
            if rated_before:
                deadline = rated_before[-1]
            else:
                deadline = contact["deadline_at"] or calendar.add(
                    contact["received_at"], level.decision_hours, level.decision_counting
                )
            if done is None:
                if not is_overdue(deadline, now):
                    pending += 1
                else:
                    turnarounds.append(math.inf)
                continue
            hours = (
                calendar.elapsed(contact["received_at"], done, level.decision_counting)
            ).total_seconds() / 3600
            turnarounds.append(hours)
            within += done_in_time(done, deadline)
        counted = len(turnarounds)
        figures[level.code] = {
            "contacts": counted,
            "pending": pending,
            "median_turnaround_hours": _finite(quantile(turnarounds, 0.5)),
            "p90_turnaround_hours": _finite(quantile(turnarounds, 0.9)),
            "within_timescale": within / counted if counted else None,
            "breaches": counted - within,
        }
    return figures


def replication_spread(metrics: Sequence[ReplicationMetrics]) -> dict[str, Any]:
    """Each rating's figures replication by replication (None where unknown): the spread
    of the simulated versions of the period."""
    ratings = metrics[0].ratings if metrics else {}
    return {
        rating: {
            metric: [_finite(replication.ratings[rating][metric]) for replication in metrics]
            for metric in SPREAD_METRICS
        }
        for rating in ratings
    }
