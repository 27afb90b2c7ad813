"""Whether a contact is a re-referral: a child named in it was named in another contact
that the MASH first decided on in the year before it was received.

Worked out for one contact (or a few) when its facts are written
(openmash.metrics.facts), never per contact across a period's figures: the indicator
counts the stored flag (ContactFact.re_referral).
"""

from datetime import timedelta
from typing import Any

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Upper

from openmash.contacts.codes import CHILD_ROLES
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

RE_REFERRAL_DAYS = 365


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
