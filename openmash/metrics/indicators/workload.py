"""Workload: what is open at the end of the period, who holds it (without names), how
the backlog moved, and the deadlines missed."""

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, cast

from django.db import connections
from django.db.models import (
    Count,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from openmash.accounts.models import Agency
from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam
from openmash.core.overdue import overdue_q
from openmash.enquiries.models import Decision, HandOn, HandOnState
from openmash.metrics.aggregates import EpochSeconds, MomentsBefore
from openmash.metrics.cohort import (
    check_open_at,
    checks_on,
    contacts_filtered,
    could_be_open_in,
    hand_on_pending_at,
    hand_ons_on,
    open_in_mash_at,
)
from openmash.metrics.figures import (
    Breaches,
    HandOnWorkload,
    OpenRow,
    OpenTable,
    Series,
    SeriesPoint,
    Workload,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import Group, Unit, indicator
from openmash.metrics.indicators.timeliness import check_turnaround, decision_turnaround
from openmash.metrics.models import ContactFact

# Longer periods are shown week by week.
LONGEST_DAILY_BACKLOG = 31
OPEN_IN_MASH = """Open in the MASH: received and not yet decided, or returned to the MASH
by the team it was handed on to and not yet decided again."""
SNAPSHOT = """Counted at the end of the period, whenever the items were received; the
filters other than the period apply."""


@indicator(
    key="open_per_screener",
    cost=25,
    title="Open contacts held by each screener",
    definition=f"""Contacts open in the MASH at the end of the period, by the screener (or
    manager) who took each one for screening, largest first, and those nobody has taken.
    Screeners are not named here: the screening queue shows who holds what. A contact
    released back to the queue and taken again counts with whoever took it last.
    {OPEN_IN_MASH} {SNAPSHOT}""",
    unit=Unit.ITEMS,
    group=Group.WORKLOAD,
)
def open_per_screener(f: MetricFilter) -> Workload:
    held: dict[int | None, int] = dict(
        contacts_filtered(f)
        .filter(open_in_mash_at(f.as_at))
        .values("assigned_to_id")
        .annotate(contacts=Count("pk"))
        .values_list("assigned_to_id", "contacts")
    )
    unassigned = held.pop(None, 0)
    return Workload(held=tuple(sorted(held.values(), reverse=True)), unassigned=unassigned)


@indicator(
    key="open_checks_per_agency",
    cost=20,
    title="Open agency checks by agency",
    definition=f"""Agency checks asked for and neither answered nor waived by the end of
    the period, by agency, and how many of them were past their deadline then (the
    deadline the agency's check queue shows). {SNAPSHOT}""",
    unit=Unit.ITEMS,
    group=Group.WORKLOAD,
)
def open_checks_per_agency(f: MetricFilter) -> OpenTable:
    rows = list(
        checks_on(f, since=None)
        .filter(check_open_at(f))
        .values("agency_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(f.as_at)))
        .values_list("agency_id", "open", "overdue")
    )
    names = dict(Agency.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "name"))
    return OpenTable(
        "Agency",
        tuple(
            OpenRow(str(agency_id), names[agency_id], open_, overdue)
            for agency_id, open_, overdue in sorted(rows, key=lambda row: names[row[0]])
        ),
    )


@indicator(
    key="open_hand_ons_per_team",
    cost=30,
    title="Hand-ons waiting for a team",
    definition=f"""Cases handed on to early help or children's social care and not yet
    accepted or returned by the end of the period, by team; and early help's by the
    receiving team named in the decision. {SNAPSHOT}""",
    unit=Unit.ITEMS,
    group=Group.WORKLOAD,
)
def open_hand_ons_per_team(f: MetricFilter) -> HandOnWorkload:
    # One query: by team and receiving team (in the database's order of their names),
    # added up by team here.
    waiting = (
        hand_ons_on(f, since=None)
        .filter(hand_on_pending_at(f))
        .values("team", "decision__receiving_team")
        .annotate(hand_ons=Count("pk"))
        .order_by("team", "decision__receiving_team")
        .values_list("team", "decision__receiving_team", "hand_ons")
    )
    by_team: Counter[str] = Counter()
    early_help: dict[str, int] = {}
    for team, receiving_team, hand_ons in waiting:
        by_team[team] += hand_ons
        if team == HandOnTeam.EARLY_HELP:
            early_help[receiving_team] = hand_ons
    return HandOnWorkload(
        by_team=OpenTable(
            "Team",
            tuple(
                OpenRow(team.value, team.label, by_team[team.value])
                for team in HandOnTeam
                if team.value in by_team
            ),
        ),
        early_help_teams=OpenTable(
            "Early help team",
            tuple(
                OpenRow(name or "", name or "Team not recorded", count)
                for name, count in early_help.items()
            ),
        ),
    )


def backlog_points(f: MetricFilter) -> list[tuple[date, datetime]]:
    """(day, moment) of each point: the end of each day, or for a long period of each
    week (Sunday) and of the last day; never later than as_at."""
    as_at = f.as_at
    days = f.days_begun
    if len(f.days) > LONGEST_DAILY_BACKLOG:
        days = [day for day in days if day.weekday() == 6 or day == f.end]
    return [
        (day, min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON), as_at))
        for day in days
    ]


@indicator(
    key="backlog",
    cost=65,
    title="Backlog over time",
    definition=f"""Contacts open in the MASH at the end of each day of the period (for a
    period longer than {LONGEST_DAILY_BACKLOG} days, at the end of each week, Sunday, and
    of the last day). {OPEN_IN_MASH} {SNAPSHOT}""",
    unit=Unit.CONTACTS,
    group=Group.WORKLOAD,
)
def backlog(f: MetricFilter) -> Series:
    points = backlog_points(f)
    if not points:
        return Series("day", (), is_level=True)
    moments = [moment for _, moment in points]
    # Only contacts that could be open at some point: not decided before the period,
    # or returned by a team around it.
    candidates = contacts_filtered(f).filter(could_be_open_in(f))
    counts = _open_never_returned(candidates, moments)
    returned = _open_after_a_return(candidates.filter(returned_from__isnull=False), moments)
    step = "day" if len(f.days) <= LONGEST_DAILY_BACKLOG else "week"
    return Series(
        step,
        tuple(
            SeriesPoint(day, counts[index] + returned[index])
            for index, (day, _) in enumerate(points)
        ),
        is_level=True,
    )


def _open_after_a_return(contacts: QuerySet[ContactFact], moments: list[datetime]) -> list[int]:
    """How many of the contacts (the few ever returned by a team) were open in the MASH at
    each moment, as open_in_mash_at says: not yet decided, or a hand-on now returned had
    been answered before the moment with no decision made from its return until then.
    Two queries (the contacts, and their returns with the first decision made at or after
    each, looked up by the contacts' ids: a subquery for them read the contacts again, and
    with the team filter every hand-on the team was ever sent, about a fifth of the
    indicator's time), then counted here: asking the database at every moment took one
    expression a moment (53 for a year's weekly points), and about 0.1 s just to write the
    query.
    Every moment is read as seconds since the epoch (as PostgreSQL gives them, or from
    the datetime): about 5,000 a year, each a datetime parsed and compared six times
    took half the indicator's time, and seconds order the moments as the datetimes do."""
    # (contact, received, first decided, first returned, last answered): every one
    # returned, so the first return is never empty.
    facts = [
        (contact_id, *(_seconds(value) for value in values))
        for contact_id, *values in contacts.values_list(
            "pk",
            *_as_seconds(
                contacts, "received_at", "first_decided_at", "returned_from", "returned_until"
            ),
        )
    ]
    next_decision = (
        Decision.objects.filter(
            contact=OuterRef("contact"), decided_at__gte=OuterRef("responded_at")
        )
        .order_by("decided_at")
        .values("decided_at")[:1]
    )
    returns: dict[int, list[tuple[float, float | None]]] = defaultdict(list)
    for contact_id, responded_at, decided_again in (
        HandOn.objects.filter(
            contact_id__in=[contact_id for contact_id, *_ in facts],
            state=HandOnState.RETURNED,
            responded_at__isnull=False,
        )
        .order_by()
        .annotate(m_decided_again=Subquery(next_decision))
        .values_list("contact_id", *_as_seconds(contacts, "responded_at", "m_decided_again"))
    ):
        returns[contact_id].append((cast(float, _seconds(responded_at)), _seconds(decided_again)))

    # Each contact is open over spans (start, end]: the moment just after `start` up to
    # and including `end` (None: still open). Not yet decided: from being received to
    # being first decided. After a return: from the return (once the contact's first
    # return had come) to the first decision made from it (while the last decision to
    # answer a return had not come). A contact counts once at a moment however many of
    # its spans hold it.
    points = [moment.timestamp() for moment in moments]
    change = [0] * (len(moments) + 1)
    for contact_id, received_at, first_decided_at, returned_from, returned_until in facts:
        assert received_at is not None and returned_from is not None
        spans = [(received_at, first_decided_at)]
        for responded_at, decided_again in returns[contact_id]:
            ends = [end for end in (returned_until, decided_again) if end is not None]
            spans.append((max(returned_from, responded_at), min(ends) if ends else None))
        for first, last in _merged(spans):
            since = bisect_right(points, first)
            until = len(points) if last is None else bisect_right(points, last)
            if since < until:
                change[since] += 1
                change[until] -= 1
    return list(accumulate(change[:-1]))


def _as_seconds(items: QuerySet[Any], *fields: str) -> list[str | Expression]:
    """The fields, as seconds since the epoch on PostgreSQL (parsed by the database, not
    one datetime at a time here); as they are elsewhere (_seconds converts them)."""
    if connections[items.db].vendor != "postgresql":
        return list(fields)
    return [EpochSeconds(field) for field in fields]


def _seconds(value: datetime | float | None) -> float | None:
    """Seconds since the epoch: the database's, or the datetime's (Python divides its
    microseconds as PostgreSQL does, so the two agree exactly)."""
    if value is None or isinstance(value, float):
        return value
    return value.timestamp()


def _merged(
    spans: list[tuple[float, float | None]],
) -> list[tuple[float, float | None]]:
    """The spans (start, end] (end None: open-ended) joined where they overlap."""
    merged: list[tuple[float, float | None]] = []
    for first, last in sorted(spans, key=lambda span: span[0]):
        if last is not None and last <= first:
            continue  # holds no moment
        if merged:
            start, end = merged[-1]
            if end is None or first < end:
                merged[-1] = (start, None if end is None or last is None else max(end, last))
                continue
        merged.append((first, last))
    return merged


def _open_never_returned(contacts: QuerySet[ContactFact], moments: list[datetime]) -> list[int]:
    """How many of the contacts never returned by a team were open in the MASH at each
    moment: received before it and not decided before it (open_in_mash_at without a
    return). One query, whatever the number of moments: each contact counts from the
    first moment after it was received until the first moment after it was first decided,
    so it is grouped by those two and the counts added up moment by moment (a contact
    decided no later than it was received is never open)."""
    spans = (
        contacts.filter(returned_from__isnull=True)
        .filter(Q(first_decided_at__isnull=True) | Q(first_decided_at__gt=F("received_at")))
        .values(
            m_opened=MomentsBefore("received_at", moments),
            m_closed=MomentsBefore("first_decided_at", moments),
        )
        .annotate(contacts=Count("pk"))
        .values_list("m_opened", "m_closed", "contacts")
    )
    change = [0] * (len(moments) + 1)
    for opened, closed, contacts_ in spans:
        change[opened] += contacts_
        change[closed] -= contacts_
    counts, running = [], 0
    for index in range(len(moments)):
        running += change[index]
        counts.append(running)
    return counts


@indicator(
    key="deadline_breaches",
    title="Deadlines missed",
    definition="""Decision deadlines missed, by RAG rating, and agency check deadlines
    missed, by agency, for contacts received in the period: finished after the deadline,
    or not finished by the end of the period and already past it. Out of those whose
    deadline has been met or missed; the same figures as the turnaround and check
    turnaround above, turned round.""",
    unit=Unit.PERCENT,
    group=Group.WORKLOAD,
)
def deadline_breaches(f: MetricFilter) -> Breaches:
    return Breaches(decision_times=decision_turnaround(f), check_times=check_turnaround(f))
