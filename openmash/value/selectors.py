"""Reads for value for money: the configured rates, and counts of the recorded work in a
period, added up in the database. Aggregates only: no child's record is read, so nothing
here is recorded in the audit log (as the Performance page).

The period means what it means on the Performance page (openmash.metrics.filters): whole
days in UK time, from midnight at the start of `start` to midnight at the end of `end`,
or to now if that is earlier (MetricFilter.as_at). Work counts in the period if it was
recorded then, whenever the contact was received.
"""

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.area.calendar import LONDON
from openmash.area.models import Outcome
from openmash.core.side_by_side import side_by_side
from openmash.enquiries.models import AgencyCheck, CheckState, Decision, HandOn, RagRating
from openmash.metrics.cohort import (
    contacts_filtered,
    contacts_received,
    with_first_rating,
    with_outcome_in_force,
    with_screening_started,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.outcomes import contacts_decided_by_outcome
from openmash.value.costing import (
    AgencyInfo,
    OutcomeInfo,
    ValueForMoney,
    WorkCount,
    value_for_money,
)
from openmash.value.models import StaffCost, Stage, StageTime
from openmash.value.rates import Figure, Rates


def rates_current() -> Rates:
    """Every configured stage time and hourly cost, past and future (two queries)."""
    times = tuple(
        Figure(
            key=row.stage,
            value=row.minutes,
            effective_from=row.effective_from,
            agency_type=row.agency_type,
            agency_id=row.agency_id,
            order=row.pk,
            role=row.role,
            source=row.source,
        )
        for row in StageTime.objects.order_by("id")
    )
    costs = tuple(
        Figure(
            key=row.role,
            value=row.hourly_cost,
            effective_from=row.effective_from,
            agency_type=row.agency_type,
            agency_id=row.agency_id,
            order=row.pk,
            includes_on_costs=row.includes_on_costs,
            source=row.source,
        )
        for row in StaffCost.objects.order_by("id")
    )
    return Rates(times=times, costs=costs)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def _segment(moment: str, rates: Rates) -> Expression:
    """The segment (rates.py) the moment falls in: how many change days are on or before
    it, in UK time."""
    days = rates.change_days
    if not days:
        return Value(0, output_field=IntegerField())
    whens = [
        When(**{f"{moment}__gte": _midnight(day)}, then=Value(number))
        for number, day in reversed(list(enumerate(days, start=1)))
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _counted(
    items: QuerySet[Any],
    stage: Stage,
    *,
    moment: str,
    agency: Expression | str,
    contact: str,
    f: MetricFilter,
    rates: Rates,
) -> list[WorkCount]:
    """The items' counts by agency, segment and cohort outcome (the outcome in force at
    the end of the period of their contact if it was received in the period; null for a
    contact received before it or not yet decided): one query.

    `contact`: the items' contact id, by which they are joined to the cohort's outcomes
    (_joined_to_cohort); "pk" for the contacts' facts themselves, which hold their own
    outcome (joining the facts to themselves took the screening query from 35 to 59 ms
    on a year of five years' work)."""
    labelled = items.annotate(
        m_agency=F(agency) if isinstance(agency, str) else agency,
        m_segment=_segment(moment, rates),
    )
    if contact != "pk":
        rows = _joined_to_cohort(
            labelled.order_by().values_list(contact, "m_agency", "m_segment"), f
        )
    else:
        in_cohort = When(received_at__gte=f.starts_at, then=F("m_outcome"))
        rows = list(
            with_outcome_in_force(labelled, f)
            .annotate(m_cohort_outcome=Case(in_cohort, default=None))
            .values("m_agency", "m_segment", "m_cohort_outcome")
            .annotate(m_count=Count("pk"))
            .order_by()
            .values_list("m_agency", "m_segment", "m_cohort_outcome", "m_count")
        )
    return [
        WorkCount(stage.value, agency_id, int(segment), outcome_id, int(count))
        for agency_id, segment, outcome_id, count in rows
    ]


def _joined_to_cohort(items: QuerySet[Any], f: MetricFilter) -> list[tuple[Any, ...]]:
    """(agency, segment, outcome, count) of the items, rows of (contact id, agency,
    segment), each with its contact's outcome if the contact is in the period's cohort
    (contacts_received, with_outcome_in_force). Joined on the contact id alone: going
    through the contact (a relation from the items to its facts) made PostgreSQL read
    every contact ever received, about a third of each stage's query on a year of five
    years' work, and a look-up per row (a scalar subquery) took three quarters. The
    contact id is the items' own field, so it comes first whatever order Django gives
    annotations."""
    outcomes: QuerySet[Any] = with_outcome_in_force(contacts_received(f), f)
    cohort = outcomes.values_list("pk", "m_outcome")
    try:
        items_sql, items_params = items.query.get_compiler(using=items.db).as_sql()
    except EmptyResultSet:  # a filter that can match nothing
        return []
    try:
        cohort_sql, cohort_params = cohort.query.get_compiler(using=items.db).as_sql()
    except EmptyResultSet:  # no contact in the cohort: every outcome is null
        cohort_sql, cohort_params = "SELECT NULL, NULL WHERE 1 = 0", ()
    sql = (
        f"WITH i(contact, agency, segment) AS ({items_sql}), "  # noqa: S608
        f"c(contact, outcome) AS ({cohort_sql}) "
        "SELECT i.agency, i.segment, c.outcome, COUNT(*) FROM i "
        "LEFT JOIN c ON c.contact = i.contact GROUP BY i.agency, i.segment, c.outcome"
    )
    with connections[items.db].cursor() as cursor:
        cursor.execute(sql, (*items_params, *cohort_params))
        return list(cursor.fetchall())


def _in_period(moment: str, f: MetricFilter) -> Q:
    return Q(**{f"{moment}__gte": f.starts_at, f"{moment}__lt": f.as_at})


def _work_counted(f: MetricFilter, rates: Rates) -> dict[Stage, Callable[[], list[WorkCount]]]:
    """How to count every piece of work recorded in the period at each stage, by agency,
    segment and cohort outcome: a query a stage, however much work there is."""
    # Screening: as the Performance page's time to screening, and by the screener who
    # started it (whoever took the contact, or its first rater if that came first).
    taken_first = Q(assigned_at__isnull=False, assigned_at__lt=f.as_at) & (
        Q(m_rated__isnull=True) | Q(assigned_at__lt=F("m_rated"))
    )
    screened = with_screening_started(with_first_rating(contacts_filtered(f), f), f).filter(
        _in_period("m_screened", f)
    )
    screener_agency = Case(
        When(taken_first, then=F("assigned_to__agency_id")),
        default=F("first_rated_by__agency_id"),
        output_field=IntegerField(),
    )
    return {
        Stage.SCREENING: lambda: _counted(
            screened,
            Stage.SCREENING,
            moment="m_screened",
            agency=screener_agency,
            contact="pk",
            f=f,
            rates=rates,
        ),
        Stage.RAG_RATING: lambda: _counted(
            RagRating.objects.filter(_in_period("set_at", f)),
            Stage.RAG_RATING,
            moment="set_at",
            agency="set_by__agency_id",
            contact="contact_id",
            f=f,
            rates=rates,
        ),
        Stage.AGENCY_CHECK: lambda: _counted(
            AgencyCheck.objects.filter(state=CheckState.COMPLETED).filter(
                _in_period("completed_at", f)
            ),
            Stage.AGENCY_CHECK,
            moment="completed_at",
            agency="agency_id",
            contact="contact_id",
            f=f,
            rates=rates,
        ),
        Stage.DECISION: lambda: _counted(
            Decision.objects.filter(_in_period("decided_at", f)),
            Stage.DECISION,
            moment="decided_at",
            agency="decided_by__agency_id",
            contact="contact_id",
            f=f,
            rates=rates,
        ),
        Stage.HAND_ON: lambda: _counted(
            HandOn.objects.filter(_in_period("created_at", f)),
            Stage.HAND_ON,
            moment="created_at",
            agency="decision__decided_by__agency_id",
            contact="contact_id",
            f=f,
            rates=rates,
        ),
    }


def decisions_made(f: MetricFilter) -> int:
    """The MASH's first decisions made in the period (not amendments)."""
    return Decision.objects.filter(amends__isnull=True).filter(_in_period("decided_at", f)).count()


def value_for_money_compute(f: MetricFilter) -> ValueForMoney:
    """Staff hours and cost of the work recorded in the period, by stage and by agency,
    and the cost per contact, per decision and per outcome. Twelve queries, however much
    work there is; on PostgreSQL the eight that count over several connections side by
    side (openmash.core.side_by_side). Only the period of `f` is used (not its other
    filters)."""
    # One moment for every count, though they run one after another or side by side.
    period = MetricFilter(
        start=f.start, end=f.end, now=f.now or timezone.now(), clock=f.now is None or f.clock
    )
    rates = rates_current()
    counted: dict[str, Callable[[], Any]] = {
        **{stage.value: count for stage, count in _work_counted(period, rates).items()},
        "decided": lambda: contacts_decided_by_outcome(period),
        "received": lambda: contacts_received(period).count(),
        "decisions": lambda: decisions_made(period),
    }
    figures = side_by_side(counted)
    work = [piece for stage in Stage for piece in figures[stage.value]]
    agency_ids = {piece.agency_id for piece in work if piece.agency_id is not None} | {
        figure.agency_id for figure in (*rates.times, *rates.costs) if figure.agency_id is not None
    }
    agencies = {
        agency.pk: AgencyInfo(agency.name, agency.agency_type)
        for agency in Agency.objects.filter(pk__in=agency_ids)
    }
    outcomes = [
        OutcomeInfo(outcome.pk, outcome.code, outcome.label, outcome.kind)
        for outcome in Outcome.objects.order_by("order", "id")
    ]
    return value_for_money(
        start=period.start,
        end=period.end,
        as_at=period.as_at,
        work=work,
        rates=rates,
        agencies=agencies,
        outcomes=outcomes,
        decided=figures["decided"],
        contacts_received=figures["received"],
        decisions=figures["decisions"],
    )
