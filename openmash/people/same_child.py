"""Which people in other contacts are the same child: a deterministic rule, until the
probabilistic matcher of issue 4 replaces it.

Two records are the same child when they share an NHS number, or a unique pupil number,
or the same family name, given names and date of birth (names compared without regard
to case). Date of birth and given names are both required for a match on names, so a
sibling or parent in the same household is never taken for the child (MASH-DOMAIN.md §5).
"""

from django.db.models import Q, QuerySet

from openmash.contacts.models import ContactPerson


def same_child_condition(person: ContactPerson) -> Q | None:
    """The filter that finds the person's other records, or None if nothing identifies them."""
    conditions: list[Q] = []
    if person.nhs_number:
        conditions.append(Q(nhs_number=person.nhs_number))
    if person.upn:
        conditions.append(Q(upn=person.upn))
    if person.family_name and person.given_names and person.date_of_birth:
        conditions.append(
            Q(
                family_name__iexact=person.family_name,
                given_names__iexact=person.given_names,
                date_of_birth=person.date_of_birth,
            )
        )
    if not conditions:
        return None
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def contact_people_same_child(person: ContactPerson) -> QuerySet[ContactPerson]:
    """The records of this child in every other contact, newest contact first: one query.

    Not scoped or audited: callers are selectors, which check the user may see them and
    record the read.
    """
    condition = same_child_condition(person)
    if condition is None:
        return ContactPerson.objects.none()
    return (
        ContactPerson.objects.filter(condition)
        .exclude(contact_id=person.contact_id)
        .select_related("contact")
        .order_by("-contact__received_at", "-contact_id", "position")
    )
