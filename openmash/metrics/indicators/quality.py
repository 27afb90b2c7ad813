"""Quality: no further action by who referred, re-referrals, and amended decisions."""

from datetime import timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower, Trim, Upper

from openmash.area.models import Outcome, OutcomeKind
from openmash.contacts.codes import CHILD_ROLES, ReferralSource
from openmash.contacts.models import ContactPerson
from openmash.enquiries.models import Decision
from openmash.linkage.models import (
    ConflictIdentifier,
    ConflictState,
    IdentifierConflict,
    LinkState,
    PersonLink,
    WrongHolder,
)
from openmash.metrics.aggregates import in_binary_order
from openmash.metrics.cohort import contacts_received, with_first_decision, with_outcome_in_force
from openmash.metrics.figures import Amendments, Rate, RateRow, RateTable
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.outcomes import DECIDED
from openmash.metrics.indicators.registry import Group, Unit, indicator

RE_REFERRAL_DAYS = 365
# Referrers who are people, not organisations: what they type as an organisation is not
# shown (it may be their own name).
INDIVIDUAL_SOURCES = (
    ReferralSource.FAMILY,
    ReferralSource.ACQUAINTANCE,
    ReferralSource.SELF,
    ReferralSource.OTHER_INDIVIDUAL,
    ReferralSource.ANONYMOUS,
)
NOT_AN_ORGANISATION = "Individuals, anonymous referrers and organisation not recorded"
LARGEST_ORGANISATIONS = 20
OTHER_ORGANISATIONS = "Every other organisation"
NFA = """No further action: the outcome of the decision in force is of the no further
action kind. Information and advice is a different kind and is not counted here."""


def _decided_with_nfa(f: MetricFilter) -> tuple[QuerySet[Any], dict[str, Count]]:
    """The contacts decided by the end of the period (with their outcome in force) and
    the counts of them, and of those with no further action."""
    nfa = Outcome.objects.filter(kind=OutcomeKind.NO_FURTHER_ACTION).values("pk")
    contacts: QuerySet[Any] = with_outcome_in_force(contacts_received(f), f).filter(
        Q(m_outcome__isnull=False)
    )
    return contacts, {"decided": Count("pk"), "nfa": Count("pk", filter=Q(m_outcome__in=nfa))}


@indicator(
    key="nfa_by_source",
    title="No further action by referral source",
    definition=f"""The share of decided contacts with no further action, by the referral
    source the referrer gave (Children in Need census codes). {NFA} {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def nfa_by_source(f: MetricFilter) -> RateTable:
    contacts, counts = _decided_with_nfa(f)
    rows = {
        source: (nfa, decided)
        for source, decided, nfa in contacts.values("referral_source")
        .annotate(**counts)
        .values_list("referral_source", "decided", "nfa")
    }
    labels = dict(ReferralSource.choices)
    ordered = [code for code in ReferralSource.values if code in rows] + sorted(
        code for code in rows if code not in labels
    )
    return RateTable(
        "Referral source",
        "No further action",
        "Decided",
        RateRow(
            "",
            "All sources",
            sum(nfa for nfa, _ in rows.values()),
            sum(decided for _, decided in rows.values()),
        ),
        tuple(RateRow(code, str(labels.get(code, code)), *rows[code]) for code in ordered),
    )


@indicator(
    key="nfa_by_organisation",
    title="No further action by referring organisation",
    definition=f"""The share of decided contacts with no further action, by the
    organisation the referrer gave (as typed, ignoring capitals and spaces at either end),
    for the {LARGEST_ORGANISATIONS} organisations with the most decided contacts; the rest
    are added together. Referrers who are individuals (family, acquaintances, the child,
    other individuals) and anonymous referrers are counted together and never named.
    {NFA} {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def nfa_by_organisation(f: MetricFilter) -> RateTable:
    contacts, counts = _decided_with_nfa(f)
    organisation = Case(
        When(referral_source__in=INDIVIDUAL_SOURCES, then=Value("")),
        default=Lower(Trim("referrer_organisation")),
        output_field=CharField(),
    )
    groups = sorted(
        contacts.annotate(m_organisation=organisation)
        .values("m_organisation")
        .annotate(m_label=Min(in_binary_order(Trim("referrer_organisation"))), **counts)
        .values_list("m_organisation", "m_label", "nfa", "decided"),
        key=lambda group: (-group[3], group[0]),
    )
    named = [group for group in groups if group[0]]
    largest = named[:LARGEST_ORGANISATIONS]
    rest = named[LARGEST_ORGANISATIONS:]
    unnamed = [group for group in groups if not group[0]]
    rows = [RateRow(key, label, nfa, decided) for key, label, nfa, decided in largest]
    if rest:
        rows.append(
            RateRow(
                "other",
                OTHER_ORGANISATIONS,
                sum(group[2] for group in rest),
                sum(group[3] for group in rest),
            )
        )
    if unnamed:
        rows.append(
            RateRow(
                "individuals",
                NOT_AN_ORGANISATION,
                sum(group[2] for group in unnamed),
                sum(group[3] for group in unnamed),
            )
        )
    return RateTable(
        "Referring organisation",
        "No further action",
        "Decided",
        RateRow(
            "",
            "All referrers",
            sum(group[2] for group in groups),
            sum(group[3] for group in groups),
        ),
        tuple(rows),
    )


def _decided_in_the_year_before(contact: OuterRef) -> Exists:
    """`contact` was first decided on at most RE_REFERRAL_DAYS before the contact being
    counted was received (three queries out: decision, record, child, contact)."""
    received = OuterRef(OuterRef(OuterRef("received_at")))
    year_before = ExpressionWrapper(
        OuterRef(OuterRef(OuterRef("received_at"))) - timedelta(days=RE_REFERRAL_DAYS),
        output_field=DateTimeField(),
    )
    return Exists(
        Decision.objects.filter(
            contact_id=contact,
            amends__isnull=True,
            decided_at__lte=received,
            decided_at__gte=year_before,
        )
    )


def _refused_match() -> Q:
    """In an earlier record's query: a screener said it is not the child (OuterRef)."""
    states = (LinkState.REJECTED, LinkState.UNDONE)
    forward = PersonLink.objects.filter(
        state__in=states,
        contact_person_id=OuterRef(OuterRef("pk")),
        candidate__contact_person_id=OuterRef("pk"),
    )
    backward = PersonLink.objects.filter(
        state__in=states,
        contact_person_id=OuterRef("pk"),
        candidate__contact_person_id=OuterRef(OuterRef("pk")),
    )
    apart = (ConflictState.OPEN, ConflictState.DIFFERENT)
    conflict_forward = IdentifierConflict.objects.filter(
        state__in=apart,
        contact_person_id=OuterRef(OuterRef("pk")),
        other_contact_person_id=OuterRef("pk"),
    )
    conflict_backward = IdentifierConflict.objects.filter(
        state__in=apart,
        contact_person_id=OuterRef("pk"),
        other_contact_person_id=OuterRef(OuterRef("pk")),
    )
    return (
        Q(Exists(forward))
        | Q(Exists(backward))
        | Q(Exists(conflict_forward))
        | Q(Exists(conflict_backward))
    )


def _holds_in_error(identifier: str, person: Any) -> Exists:
    """The record (`person`, an OuterRef to its id) holds this identifier in error: a
    screener decided an identifier conflict "different children" saying so."""
    different = IdentifierConflict.objects.filter(
        state=ConflictState.DIFFERENT, identifier=identifier
    )
    return Exists(
        different.filter(
            Q(wrong_holder=WrongHolder.CONTACT_PERSON, contact_person_id=person)
            | Q(wrong_holder=WrongHolder.OTHER, other_contact_person_id=person)
        )
    )


def _earlier_by_rule(records: QuerySet[ContactPerson]) -> Exists:
    return Exists(
        records.exclude(contact_id=OuterRef(OuterRef("pk")))
        .exclude(_refused_match())
        .filter(_decided_in_the_year_before(OuterRef("contact_id")))
    )


def _earlier_by_link(*, forward: bool) -> Exists:
    """A record a screener confirmed is the child (OuterRef), whose contact was decided."""
    links = PersonLink.objects.filter(
        state=LinkState.CONFIRMED, candidate__contact_person__isnull=False
    )
    if forward:
        links = links.filter(contact_person_id=OuterRef("pk"))
        other = "candidate__contact_person__contact_id"
    else:
        links = links.filter(candidate__contact_person_id=OuterRef("pk"))
        other = "contact_person__contact_id"
    return Exists(links.filter(_decided_in_the_year_before(OuterRef(other))))


NHS = ConflictIdentifier.NHS_NUMBER
UPN = ConflictIdentifier.UPN


def is_re_referral() -> Exists:
    """For a contact (the outer query): a child named in it (the child it is about, or a
    sibling) is named in another contact that the MASH first decided on at most
    RE_REFERRAL_DAYS before this contact was received.

    The same child: the rule of openmash.linkage.same_child (NHS number, unique pupil
    number, or family name, given names and date of birth ignoring case), or a person
    link a screener confirmed (openmash.linkage), in either direction; never a pair a
    screener rejected or undid, nor a pair in an open or "different children" identifier
    conflict (openmash.linkage.conflicts); a record a screener said holds an identifier
    in error matches no one by it. Each way of matching is its own EXISTS, so each can
    use its index (contactperson_nhs_number, contactperson_upn, contactperson_name_dob_ci)."""
    people = ContactPerson.objects
    by_name = people.annotate(m_family=Upper("family_name"), m_given=Upper("given_names")).filter(
        m_family=Upper(OuterRef("family_name")),
        m_given=Upper(OuterRef("given_names")),
        date_of_birth=OuterRef("date_of_birth"),
    )
    children = people.filter(contact_id=OuterRef("pk"), role__in=CHILD_ROLES).filter(
        (
            ~Q(nhs_number="")
            & ~Q(_holds_in_error(NHS, OuterRef("pk")))
            & _earlier_by_rule(
                people.filter(nhs_number=OuterRef("nhs_number")).exclude(
                    _holds_in_error(NHS, OuterRef("pk"))
                )
            )
        )
        | (
            ~Q(upn="")
            & ~Q(_holds_in_error(UPN, OuterRef("pk")))
            & _earlier_by_rule(
                people.filter(upn=OuterRef("upn")).exclude(_holds_in_error(UPN, OuterRef("pk")))
            )
        )
        | (
            ~Q(family_name="")
            & ~Q(given_names="")
            & Q(date_of_birth__isnull=False)
            & _earlier_by_rule(by_name)
        )
        | _earlier_by_link(forward=True)
        | _earlier_by_link(forward=False)
    )
    return Exists(children)


@indicator(
    key="re_referrals",
    title="Re-referrals within 12 months",
    definition=f"""The share of contacts received in the period about a child the MASH
    had already decided on in the {RE_REFERRAL_DAYS} days before: a child the contact is
    about (or a sibling named in it) was named in an earlier contact that the MASH first
    decided on no more than {RE_REFERRAL_DAYS} days before this contact was received.

    The same child means the same NHS number, the same unique pupil number, or the same
    family name, given names and date of birth; or a match a screener confirmed between
    the two records. A match a screener rejected or undid keeps the records apart, as does
    an identifier conflict (the same number on records whose names or dates of birth
    disagree) until a screener decides it, or once they decide different children. This
    is the area's cumulative-concern rule for re-referrals; the national figure (22% of
    referrals in England) counts referrals to children's social care instead.""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def re_referrals(f: MetricFilter) -> Rate:
    counts = contacts_received(f).aggregate(
        contacts=Count("pk"), re_referrals=Count("pk", filter=Q(is_re_referral()))
    )
    return Rate(counts["re_referrals"], counts["contacts"])


@indicator(
    key="decisions_amended",
    title="Decisions amended",
    definition="""The share of contacts received in the period and decided by its end
    whose decision was amended (with a recorded reason) by the end of the period, and how
    many amendments were made: a decision can be amended more than once, for instance
    when a team returns the case to the MASH.""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def decisions_amended(f: MetricFilter) -> Amendments:
    amendments = Decision.objects.filter(amends__isnull=False, decided_at__lt=f.as_at)
    decided = with_first_decision(contacts_received(f), f).filter(Q(m_decided__isnull=False))
    counts = decided.aggregate(
        decided=Count("pk"),
        amended=Count("pk", filter=Q(Exists(amendments.filter(contact=OuterRef("pk"))))),
    )
    made = amendments.filter(contact_id__in=decided.values("pk")).count()
    return Amendments(decided=counts["decided"], amended=counts["amended"], amendments=made)
