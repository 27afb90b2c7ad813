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


def linked_people_condition(person: ContactPerson) -> tuple[Q, Q]:
    """(records a screener confirmed as this person, records they said are not), from the
    person links of issue 4, in either direction, as subqueries."""
    from openmash.linkage.models import LinkState, PersonLink

    def linked(states: list[str]) -> Q:
        forward = PersonLink.objects.filter(
            contact_person=person, state__in=states, candidate__contact_person__isnull=False
        ).values("candidate__contact_person_id")
        backward = PersonLink.objects.filter(
            candidate__contact_person=person, state__in=states
        ).values("contact_person_id")
        return Q(pk__in=forward) | Q(pk__in=backward)

    return linked([LinkState.CONFIRMED]), linked([LinkState.REJECTED, LinkState.UNDONE])


def contact_people_same_child(person: ContactPerson) -> QuerySet[ContactPerson]:
    """The records of this child in every other contact, newest contact first: one query,
    plus one to follow confirmed matches.

    The same child by the rule above, or because a screener confirmed a match, or by the
    rule applied to a record a screener confirmed (so confirming one earlier contact
    brings in that record's own history); never a record a screener said is someone else
    (rejected or undone).

    Not scoped or audited: callers are selectors, which check the user may see them and
    record the read.
    """
    confirmed, refused = linked_people_condition(person)
    condition = same_child_condition(person)
    either = confirmed if condition is None else condition | confirmed
    for linked in ContactPerson.objects.filter(confirmed).exclude(refused):
        through = same_child_condition(linked)
        if through is not None:
            either |= through
    return (
        ContactPerson.objects.filter(either)
        .exclude(refused)
        .exclude(contact_id=person.contact_id)
        .select_related("contact")
        .order_by("-contact__received_at", "-contact_id", "position")
    )
