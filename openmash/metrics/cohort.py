"""The contacts, checks and hand-ons a set of figures counts, and what was true of each
at the moment the figures describe (MetricFilter.as_at).

The state columns say where things are now; the figures need where they were at the end
of the period, so every "has it happened yet?" is read from the timestamps the workflow
records (a RAG rating's set_at, a decision's decided_at, a check's completed_at...) and
compared with as_at. Everything here is a queryset or a filter: nothing is fetched.
"""

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, When

from openmash.area.models import HandOnTeam
from openmash.contacts.models import Contact
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    Decision,
    HandOn,
    HandOnState,
    RagRating,
)
from openmash.metrics.filters import MetricFilter

# Teams whose hand-ons wait in a queue in OpenMASH (the others are closed when decided).
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)


def _latest_rating(f: MetricFilter) -> QuerySet[RagRating]:
    return RagRating.objects.filter(contact=OuterRef("pk"), set_at__lt=f.as_at).order_by(
        "-set_at", "-id"
    )


def contacts_filtered(f: MetricFilter) -> QuerySet[Contact]:
    """Every contact received before as_at that passes the filters other than the period,
    annotated with its RAG level in force at as_at (`m_level`, a code; null if unrated)."""
    contacts = (
        Contact.objects.filter(received_at__lt=f.as_at)
        .annotate(m_level=Subquery(_latest_rating(f).values("level__code")[:1]))
        .order_by()
    )
    if f.rag:
        contacts = contacts.filter(m_level=f.rag)
    if f.source:
        contacts = contacts.filter(referral_source=f.source)
    if f.agency_id is not None:
        contacts = contacts.filter(
            Exists(
                AgencyCheck.objects.filter(
                    contact=OuterRef("pk"), agency_id=f.agency_id, requested_at__lt=f.as_at
                )
            )
        )
    if f.team:
        contacts = contacts.filter(
            Exists(
                HandOn.objects.filter(contact=OuterRef("pk"), team=f.team, created_at__lt=f.as_at)
            )
        )
    return contacts


def contacts_received(f: MetricFilter) -> QuerySet[Contact]:
    """The contacts received in the period that pass the filters: the cohort most
    indicators describe."""
    return contacts_filtered(f).filter(received_at__gte=f.starts_at)


def with_deadline(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[Contact]:
    """`m_deadline`: the decision deadline the workflow recorded with the rating in force
    at as_at (RagRating.deadline_at, which the queues show too); for a contact not yet
    rated, its provisional deadline."""
    return contacts.annotate(
        m_deadline=Case(
            When(
                m_level__isnull=False,
                then=Subquery(_latest_rating(f).values("deadline_at")[:1]),
            ),
            default=F("deadline_at"),
        )
    )


def with_first_rating(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[Contact]:
    """`m_rated`: when the contact was first given a RAG rating, if before as_at."""
    first = RagRating.objects.filter(contact=OuterRef("pk"), set_at__lt=f.as_at).order_by(
        "set_at", "id"
    )
    return contacts.annotate(m_rated=Subquery(first.values("set_at")[:1]))


def with_screening_started(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[Contact]:
    """`m_screened`: when a screener took the contact, if before as_at: the earlier of its
    current assignment and its first RAG rating (a contact released back to the queue
    and taken again keeps its first rating). Needs with_first_rating."""
    taken = Q(assigned_at__isnull=False, assigned_at__lt=f.as_at)
    return contacts.annotate(
        m_screened=Case(
            When(taken & Q(m_rated__isnull=True), then=F("assigned_at")),
            When(taken & Q(assigned_at__lt=F("m_rated")), then=F("assigned_at")),
            default=F("m_rated"),
        )
    )


def with_first_decision(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[Contact]:
    """`m_decided`: when the MASH first decided (the original decision, not an
    amendment), if before as_at."""
    original = Decision.objects.filter(
        contact=OuterRef("pk"), amends__isnull=True, decided_at__lt=f.as_at
    )
    return contacts.annotate(m_decided=Subquery(original.values("decided_at")[:1]))


def with_outcome_in_force(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[Contact]:
    """`m_outcome`: the outcome (an Outcome id) of the decision in force at as_at: the
    latest amendment made before then, or the original decision."""
    latest = Decision.objects.filter(contact=OuterRef("pk"), decided_at__lt=f.as_at).order_by(
        "-decided_at", "-id"
    )
    return contacts.annotate(m_outcome=Subquery(latest.values("outcome_id")[:1]))


def open_in_mash_at(moment: object) -> Q:
    """Contacts the MASH was still working on at `moment`: received, and either not yet
    decided, or returned by the team it was handed on to and not yet decided again."""
    decided = Decision.objects.filter(contact=OuterRef("pk"), decided_at__lt=moment)
    decided_again = Decision.objects.filter(
        contact=OuterRef("contact"), decided_at__gte=OuterRef("responded_at"), decided_at__lt=moment
    )
    returned_waiting = HandOn.objects.filter(
        contact=OuterRef("pk"), state=HandOnState.RETURNED, responded_at__lt=moment
    ).exclude(Exists(decided_again))
    return Q(received_at__lt=moment) & (~Exists(decided) | Exists(returned_waiting))


# --- Agency checks and hand-ons --------------------------------------------------------


def checks_on(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[AgencyCheck]:
    """The checks requested before as_at on these contacts (only the filtered agency's)."""
    checks = AgencyCheck.objects.filter(
        contact_id__in=contacts.values("pk"), requested_at__lt=f.as_at
    ).order_by()
    if f.agency_id is not None:
        checks = checks.filter(agency_id=f.agency_id)
    return checks


def check_completed_by(f: MetricFilter) -> Q:
    return Q(state=CheckState.COMPLETED, completed_at__lt=f.as_at)


def check_waived_by(f: MetricFilter) -> Q:
    return Q(state=CheckState.WAIVED, waived_at__lt=f.as_at)


def check_open_at(f: MetricFilter) -> Q:
    return ~check_completed_by(f) & ~check_waived_by(f)


def hand_ons_on(contacts: QuerySet[Contact], f: MetricFilter) -> QuerySet[HandOn]:
    """Hand-ons to a queued team (early help, children's social care) made before as_at
    on these contacts (only the filtered team's)."""
    hand_ons = HandOn.objects.filter(
        contact_id__in=contacts.values("pk"), created_at__lt=f.as_at, team__in=QUEUED_TEAMS
    ).order_by()
    if f.team:
        hand_ons = hand_ons.filter(team=f.team)
    return hand_ons


def hand_on_answered_by(f: MetricFilter) -> Q:
    """Accepted or returned by the team before as_at."""
    return Q(state__in=(HandOnState.ACCEPTED, HandOnState.RETURNED), responded_at__lt=f.as_at)


def hand_on_withdrawn_by(f: MetricFilter) -> Q:
    return Q(state=HandOnState.WITHDRAWN, responded_at__lt=f.as_at)


def hand_on_pending_at(f: MetricFilter) -> Q:
    return ~hand_on_answered_by(f) & ~hand_on_withdrawn_by(f)
