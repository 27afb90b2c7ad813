"""The contacts, checks and hand-ons a set of figures counts, and what was true of each
at the moment the figures describe (MetricFilter.as_at).

Contacts are read from their facts (openmash.metrics.models.ContactFact, ADR 0026): one
narrow, indexed row per contact holding what the workflow's tables say now: when it was
first rated and last re-graded, first decided and last amended, and so on. The figures
need where things were at the end of the period, so every "has it happened yet?" compares
a recorded time with as_at (ADR 0008). Nearly always the fact answers: a contact last
re-graded before as_at had that rating then; one first rated after it had none. Only a
contact that changed again after as_at (re-graded, amended, returned) is looked up in the
workflow's tables, inside the same expression (a CASE's last branch), so a period long
past costs no more than this week. Everything here is a queryset or a filter: nothing is
fetched.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    Expression,
    F,
    Field,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from openmash.area.models import HandOnTeam
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    RagRating,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.models import ContactFact

# Teams whose hand-ons wait in a queue in OpenMASH (the others are closed when decided).
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)


def _as_at(
    moment: datetime,
    *,
    latest: str,
    first: str,
    value: str,
    history: QuerySet[Any],
    output_field: Field[Any, Any],
    settled: bool = False,
) -> Case | F:
    """`value` as it was at `moment`: the fact's own when its latest change (`latest`)
    came before the moment, nothing when its first (`first`) had not happened yet, and
    otherwise (changed again since) the first row of `history`, the workflow's record.
    `settled` (MetricFilter.settled): no fact changed at or after the moment, so the
    fact's own value is the answer."""
    if settled:
        return F(value)
    return Case(
        When(**{f"{latest}__lt": moment}, then=F(value)),
        When(Q(**{f"{first}__isnull": True}) | Q(**{f"{first}__gte": moment}), then=Value(None)),
        default=Subquery(history[:1]),
        output_field=output_field,
    )


def _ratings_before(f: MetricFilter) -> QuerySet[RagRating]:
    return RagRating.objects.filter(contact=OuterRef("pk"), set_at__lt=f.as_at).order_by(
        "-set_at", "-id"
    )


def _decisions_before(f: MetricFilter) -> QuerySet[Decision]:
    return Decision.objects.filter(contact=OuterRef("pk"), decided_at__lt=f.as_at).order_by(
        "-decided_at", "-id"
    )


def level_at(f: MetricFilter) -> Case | F:
    """The code of the RAG level in force at as_at (null if not yet rated)."""
    return _as_at(
        f.as_at,
        latest="rated_at",
        first="first_rated_at",
        value="level",
        history=_ratings_before(f).values("level__code"),
        output_field=CharField(),
        settled=f.settled,
    )


def decision_at(f: MetricFilter, value: str = "decision_id") -> Case | F:
    """Of the decision in force at as_at (the latest amendment made before then, or the
    original): its id, or with `value`="outcome_id" its outcome (null if not decided)."""
    return _as_at(
        f.as_at,
        latest="decided_at",
        first="first_decided_at",
        value=value,
        history=_decisions_before(f).values("pk" if value == "decision_id" else value),
        output_field=IntegerField(),
        settled=f.settled,
    )


def amendments_at(f: MetricFilter) -> Expression | F:
    """How many amendments of the contact's decision were made before as_at."""
    if f.settled:
        return F("amendments")
    made_before = (
        Decision.objects.filter(
            contact=OuterRef("pk"), amends__isnull=False, decided_at__lt=f.as_at
        )
        .order_by()
        .values("contact")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(Q(first_amended_at__isnull=True) | Q(first_amended_at__gte=f.as_at), then=Value(0)),
        When(decided_at__lt=f.as_at, then=F("amendments")),
        default=Subquery(made_before[:1]),
        output_field=IntegerField(),
    )


def contacts_filtered(f: MetricFilter, since: datetime | None = None) -> QuerySet[ContactFact]:
    """The facts of every contact received before as_at (and from `since`, if given) that
    passes the filters other than the period, annotated with its RAG level in force at
    as_at (`m_level`, a code; null if unrated). Their pk is the contact's.

    The team filter is a semi-join on the hand-ons of the same contacts, read by the
    received time each keeps: a look-up per contact (EXISTS) cost a year's page about a
    quarter of its time."""
    contacts = ContactFact.objects.filter(received_at__lt=f.as_at)
    if since is not None:
        contacts = contacts.filter(received_at__gte=since)
    contacts = contacts.annotate(m_level=level_at(f)).order_by()
    if f.rag:
        contacts = contacts.filter(m_level=f.rag)
    if f.source:
        contacts = contacts.filter(referral_source=f.source)
    if f.agency_id is not None:
        checks = AgencyCheck.objects.filter(
            contact=OuterRef("pk"), agency_id=f.agency_id, requested_at__lt=f.as_at
        )
        if since is not None:
            # Only the period's checks by the agency (check_agency_received), which
            # PostgreSQL then joins to the period's contacts: without the period it read
            # every check the agency was ever asked (about a quarter of a year's page).
            checks = checks.filter(contact_received_at__gte=since, contact_received_at__lt=f.as_at)
        # Otherwise a look-up per contact in the index of each agency's checks by contact
        # (check_agency_contact).
        contacts = contacts.filter(Exists(checks))
    if f.team:
        hand_ons = HandOn.objects.filter(
            team=f.team, created_at__lt=f.as_at, contact_received_at__lt=f.as_at
        )
        if since is not None:
            hand_ons = hand_ons.filter(contact_received_at__gte=since)
        contacts = contacts.filter(pk__in=hand_ons.values("contact_id"))
    return contacts


def contacts_received(f: MetricFilter) -> QuerySet[ContactFact]:
    """The contacts received in the period that pass the filters: the cohort most
    indicators describe."""
    return contacts_filtered(f, since=f.starts_at)


def with_deadline(contacts: QuerySet[ContactFact], f: MetricFilter) -> QuerySet[ContactFact]:
    """`m_deadline`: the decision deadline the workflow recorded with the rating in force
    at as_at (RagRating.deadline_at, which the queues show too); for a contact not yet
    rated, its provisional deadline."""
    rating_deadline = _as_at(
        f.as_at,
        latest="rated_at",
        first="first_rated_at",
        value="rating_deadline_at",
        history=_ratings_before(f).values("deadline_at"),
        output_field=DateTimeField(),
        settled=f.settled,
    )
    return contacts.annotate(
        m_deadline=Case(
            When(m_level__isnull=False, then=rating_deadline),
            default=F("deadline_at"),
        )
    )


def with_first_rating(contacts: QuerySet[ContactFact], f: MetricFilter) -> QuerySet[ContactFact]:
    """`m_rated`: when the contact was first given a RAG rating, if before as_at."""
    if f.settled:
        return contacts.annotate(m_rated=F("first_rated_at"))
    return contacts.annotate(
        m_rated=Case(When(first_rated_at__lt=f.as_at, then=F("first_rated_at")), default=None)
    )


def with_screening_started(
    contacts: QuerySet[ContactFact], f: MetricFilter
) -> QuerySet[ContactFact]:
    """`m_screened`: when a screener took the contact, if before as_at: the earlier of its
    current assignment and its first RAG rating (a contact released back to the queue
    and taken again keeps its first rating). Needs with_first_rating."""
    taken = Q(assigned_at__isnull=False)
    if not f.settled:
        taken &= Q(assigned_at__lt=f.as_at)
    return contacts.annotate(
        m_screened=Case(
            When(taken & Q(m_rated__isnull=True), then=F("assigned_at")),
            When(taken & Q(assigned_at__lt=F("m_rated")), then=F("assigned_at")),
            default=F("m_rated"),
        )
    )


def with_first_decision(contacts: QuerySet[ContactFact], f: MetricFilter) -> QuerySet[ContactFact]:
    """`m_decided`: when the MASH first decided (the original decision, not an
    amendment), if before as_at."""
    if f.settled:
        return contacts.annotate(m_decided=F("first_decided_at"))
    return contacts.annotate(
        m_decided=Case(When(first_decided_at__lt=f.as_at, then=F("first_decided_at")), default=None)
    )


def with_outcome_in_force(
    contacts: QuerySet[ContactFact], f: MetricFilter
) -> QuerySet[ContactFact]:
    """`m_outcome`: the outcome (an Outcome id) of the decision in force at as_at: the
    latest amendment made before then, or the original decision."""
    return contacts.annotate(m_outcome=decision_at(f, "outcome_id"))


@dataclass(frozen=True)
class ChildrenDecided:
    """Each child named in the contacts received in the period that the MASH had decided
    by as_at, with their own outcome in the decision in force then (ADR 0022): one per
    child per contact. The outcome indicators count these, as the Children in Need census
    counts referrals and their no further action per child.

    In three parts that never share a contact, to be counted alike and added up:

    - `together`: the facts of contacts whose decision has not changed since as_at and
      gave every child the decision's own outcome (nearly all). Each stands for
      `children` children, each with the fact's `outcome`: added up from the facts alone.
    - `apart`: the children of contacts whose decision has not changed since as_at but
      gave their children different outcomes, read one by one.
    - `changed`: the children of the few contacts decided before as_at and amended since,
      whose decision then is looked up in the workflow's tables.

    Reading every child's row made PostgreSQL join a year's decisions to their children
    and contacts (about 200 ms for a year's period on five years); one look-up for all
    of them made it work out the decision of every contact first (about 400 ms)."""

    together: QuerySet[ContactFact]
    apart: QuerySet[DecisionChild]
    changed: QuerySet[DecisionChild]


def children_decided(f: MetricFilter) -> ChildrenDecided:
    received = contacts_received(f)
    # Decided, and not changed since as_at. As things stand nothing has changed since:
    # every decided contact, one decided while the figures are worked out included
    # (ADR 0036), rather than left out of every part.
    settled = (
        received.filter(decided_at__isnull=False)
        if f.settled
        else received.filter(decided_at__lt=f.as_at)
    )
    changed_since = (
        received.filter(decided_at__gte=f.as_at, first_decided_at__lt=f.as_at)
        .annotate(m_decision=decision_at(f))
        .values("m_decision")
    )
    return ChildrenDecided(
        together=settled.filter(children_apart=False, children__gt=0),
        apart=DecisionChild.objects.filter(
            decision_id__in=settled.filter(children_apart=True).values("decision_id")
        ).order_by(),
        # As things stand, no decision has changed since as_at: nothing to read.
        changed=(
            DecisionChild.objects.none()
            if f.settled
            else DecisionChild.objects.filter(decision_id__in=changed_since).order_by()
        ),
    )


def open_in_mash_at(moment: datetime) -> Q:
    """Contacts the MASH was still working on at `moment`: received, and either not yet
    decided, or returned by the team it was handed on to and not yet decided again. The
    workflow's tables are read only for a contact with a return around the moment."""
    decided_again = Decision.objects.filter(
        contact=OuterRef("contact"), decided_at__gte=OuterRef("responded_at"), decided_at__lt=moment
    )
    returned_waiting = HandOn.objects.filter(
        contact=OuterRef("pk"), state=HandOnState.RETURNED, responded_at__lt=moment
    ).exclude(Exists(decided_again))
    not_yet_decided = Q(received_at__lt=moment) & (
        Q(first_decided_at__isnull=True) | Q(first_decided_at__gte=moment)
    )
    # "Is not null" first: a comparison with null is null, not false, and SQL must then
    # go on to the look-up; false stops it, so the look-up runs only around a return.
    around_a_return = (
        Q(returned_from__isnull=False)
        & Q(returned_from__lt=moment)
        & (Q(returned_until__isnull=True) | Q(returned_until__gte=moment))
    )
    return not_yet_decided | (around_a_return & Q(Exists(returned_waiting)))


def could_be_open_in(f: MetricFilter) -> Q:
    """Contacts that could be open in the MASH at some moment of the period: not decided
    before it, or returned around it."""
    return (
        Q(first_decided_at__isnull=True)
        | Q(first_decided_at__gte=f.starts_at)
        | (
            Q(returned_from__lt=f.as_at)
            & (Q(returned_until__isnull=True) | Q(returned_until__gte=f.starts_at))
        )
    )


# --- Agency checks and hand-ons --------------------------------------------------------


def checks_on(f: MetricFilter, *, since: datetime | None) -> QuerySet[AgencyCheck]:
    """The checks requested before as_at on the contacts received from `since` (None: any
    time) to as_at that pass the filters (only the filtered agency's checks). Read by the
    contact's received time each check keeps (indexed), so a year's checks cost a year's
    reading on any length of history; the contacts' facts are joined only for a filter
    the check itself cannot answer (an agency's check is itself the contact's check by
    that agency)."""
    checks = AgencyCheck.objects.filter(
        contact_received_at__lt=f.as_at, requested_at__lt=f.as_at
    ).order_by()
    if since is not None:
        checks = checks.filter(contact_received_at__gte=since)
    if f.agency_id is not None:
        checks = checks.filter(agency_id=f.agency_id)
    if f.rag or f.source or f.team:
        checks = checks.filter(contact_id__in=contacts_filtered(f, since).values("pk"))
    return checks


def check_completed_by(f: MetricFilter) -> Q:
    return Q(state=CheckState.COMPLETED, completed_at__lt=f.as_at)


def check_waived_by(f: MetricFilter) -> Q:
    return Q(state=CheckState.WAIVED, waived_at__lt=f.as_at)


def check_open_at(f: MetricFilter) -> Q:
    """Neither completed nor waived before as_at. The second half says the same of any
    check the workflow writes (a completed check has its completion time, a waived one
    its waiver's) in a form the indexes answer: the few checks still open, and those
    closed since as_at (none when as_at is now), not every check ever made."""
    closed_since = Q(completed_at__gte=f.as_at) | Q(waived_at__gte=f.as_at)
    return (
        ~check_completed_by(f)
        & ~check_waived_by(f)
        & (Q(state=CheckState.REQUESTED) | closed_since)
    )


def hand_ons_on(f: MetricFilter, *, since: datetime | None) -> QuerySet[HandOn]:
    """Hand-ons to a queued team (early help, children's social care) made before as_at
    on the contacts received from `since` (None: any time) to as_at that pass the filters
    (only the filtered team's), read as checks_on reads checks."""
    hand_ons = HandOn.objects.filter(
        contact_received_at__lt=f.as_at, created_at__lt=f.as_at, team__in=QUEUED_TEAMS
    ).order_by()
    if since is not None:
        hand_ons = hand_ons.filter(contact_received_at__gte=since)
    if f.team:
        hand_ons = hand_ons.filter(team=f.team)
    if f.rag or f.source or f.agency_id is not None:
        hand_ons = hand_ons.filter(contact_id__in=contacts_filtered(f, since).values("pk"))
    return hand_ons


def hand_on_answered_by(f: MetricFilter) -> Q:
    """Accepted or returned by the team before as_at."""
    return Q(state__in=(HandOnState.ACCEPTED, HandOnState.RETURNED), responded_at__lt=f.as_at)


def hand_on_withdrawn_by(f: MetricFilter) -> Q:
    return Q(state=HandOnState.WITHDRAWN, responded_at__lt=f.as_at)


def hand_on_pending_at(f: MetricFilter) -> Q:
    """Neither answered nor withdrawn before as_at; the second half as check_open_at's
    (every answer and withdrawal has its time)."""
    return (
        ~hand_on_answered_by(f)
        & ~hand_on_withdrawn_by(f)
        & (Q(state=HandOnState.PENDING) | Q(responded_at__gte=f.as_at))
    )
