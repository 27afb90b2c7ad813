"""Which people in other contacts are the same child: a deterministic rule, together with
the person links of the probabilistic matcher (openmash/linkage, issue 4). The matcher
does not replace the rule; each adds to the other.

By the rule, two records are the same child when they share an NHS number, or a unique
pupil number, or the same family name, given names and date of birth (names compared
without regard to case). Date of birth and given names are both required for a match on
names, so a sibling or parent in the same household is never taken for the child
(MASH-DOMAIN.md §5).

A link confirmed by a screener, or made automatically by the matcher, joins two records
the rule keeps apart (a misspelt name, a date of birth with day and month swapped), and
the rule is then applied to the linked record too, so it brings its own history. A link
a screener rejected or undid keeps two records apart even when the rule would join them.

An identifier conflict (openmash.linkage.conflicts) overrides both: two records sharing
an NHS number or UPN whose names or dates of birth disagree beyond a typo are not the
same child while the conflict is open or once a screener said they are different
children, and a record a screener said holds a number in error joins no one by it. A
conflict decided "same child" joins the two records like a confirmed link.

same_child_condition() is the rule alone (openmash/extracts/children.py and
openmash/enquiries/concern.py apply it to many records at once);
contact_people_same_child() is the rule and the links, for one child's history.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet

from openmash.contacts.models import ContactPerson
from openmash.linkage.conflicts import ConflictFacts, IdentifierKey, conflict_facts
from openmash.linkage.models import ConflictIdentifier, LinkState, PersonLink


def _identifier_term(
    person: ContactPerson, identifier: str, disowned: Mapping[IdentifierKey, set[int]] | None
) -> Q | None:
    """Records sharing the person's identifier, less those holding it in error; None if
    the person has none, or holds theirs in error."""
    value = getattr(person, identifier)
    if not value:
        return None
    wrong = (disowned or {}).get((identifier, value), set())
    if person.pk in wrong:
        return None
    term = Q(**{identifier: value})
    if wrong:
        term &= ~Q(pk__in=sorted(wrong))
    return term


def same_name_and_birth(family_name: str, given_names: str, date_of_birth: date) -> Q:
    """Records with this full name (ignoring capitals) and date of birth: the same-child
    rule's term for a person without a shared identifier."""
    return Q(
        family_name__iexact=family_name,
        given_names__iexact=given_names,
        date_of_birth=date_of_birth,
    )


# What the same-child rule reads of a record, for rules applied in hand.
RULE_FIELDS = (
    "id",
    "contact_id",
    "nhs_number",
    "upn",
    "family_name",
    "given_names",
    "date_of_birth",
)


def records_sharing_a_key(
    people: Iterable[ContactPerson], also: Iterable[int] = ()
) -> list[ContactPerson]:
    """Every record sharing an identifier with one of the people, or their full name
    (ignoring capitals, as same_name_and_birth compares them) and date of birth, and the
    records `also` names, each once and with RULE_FIELDS only, in no order: a superset
    of what the same-child rule finds for them, to be decided in hand
    (same_child_rule_holds, with what identifier conflicts say). Two queries at most.

    The names are joined to the records through a list of values, not written as one
    term each: PostgreSQL planned an OR of fifty terms (one for each child on a page of
    the queue) in about 10 ms, five times as long as it took to run."""
    people = list(people)
    nhs_numbers = sorted({person.nhs_number for person in people if person.nhs_number})
    upns = sorted({person.upn for person in people if person.upn})
    ids = sorted(set(also))
    named = sorted(
        {
            (person.family_name, person.given_names, person.date_of_birth)
            for person in people
            if person.family_name and person.given_names and person.date_of_birth
        }
    )
    found: dict[int, ContactPerson] = {}
    terms = [
        Q(**{lookup: values})
        for lookup, values in (("nhs_number__in", nhs_numbers), ("upn__in", upns), ("pk__in", ids))
        if values
    ]
    if terms:
        for record in ContactPerson.objects.filter(Q(*terms, _connector=Q.OR)).only(*RULE_FIELDS):
            found[record.pk] = record
    if named:
        for record in ContactPerson.objects.raw(*_by_name_and_birth(named)):
            found.setdefault(record.pk, record)
    return list(found.values())


def _by_name_and_birth(named: Sequence[tuple[str, str, date]]) -> tuple[str, list[object]]:
    """The records with one of these full names and dates of birth: a SELECT joining them
    to a list of values, for ContactPerson.objects.raw, on both databases. UPPER on both
    sides, as family_name__iexact compares on PostgreSQL (so the expression index
    contactperson_name_dob_ci serves the join); SQLite's UPPER and its LIKE, which iexact
    uses there, both ignore the case of ASCII letters alone."""
    table = connection.ops.quote_name(ContactPerson._meta.db_table)
    columns = ", ".join(f"person.{connection.ops.quote_name(name)}" for name in RULE_FIELDS)
    values = ", ".join(["(%s, %s, %s)"] * len(named))
    sql = (
        f"WITH wanted (family, given, born) AS (VALUES {values}) "  # noqa: S608
        f"SELECT {columns} FROM {table} AS person JOIN wanted "
        "ON UPPER(person.family_name) = UPPER(wanted.family) "
        "AND UPPER(person.given_names) = UPPER(wanted.given) "
        "AND person.date_of_birth = wanted.born"
    )
    return sql, [value for row in named for value in row]


def same_child_condition(
    person: ContactPerson, disowned: Mapping[IdentifierKey, set[int]] | None = None
) -> Q | None:
    """The filter that finds the person's other records, or None if nothing identifies
    them. `disowned` ((identifier, value) -> records holding it in error, from
    openmash.linkage.conflicts.conflict_facts) leaves out what screeners said is wrong."""
    conditions: list[Q] = []
    for identifier in (ConflictIdentifier.NHS_NUMBER, ConflictIdentifier.UPN):
        term = _identifier_term(person, identifier, disowned)
        if term is not None:
            conditions.append(term)
    if person.family_name and person.given_names and person.date_of_birth:
        conditions.append(
            same_name_and_birth(person.family_name, person.given_names, person.date_of_birth)
        )
    if not conditions:
        return None
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def linked_people_ids(person: ContactPerson) -> tuple[set[int], set[int]]:
    """(records a screener confirmed as this person, records they said are not), from the
    person links of issue 4, in either direction.

    One small query (a UNION of two indexed lookups) that gives lists of ids: a subquery inside the OR of the
    conditions below would make PostgreSQL scan every contact person (about a second
    with 250,000 contacts) instead of using each condition's index."""
    wanted = [LinkState.CONFIRMED, LinkState.REJECTED, LinkState.UNDONE]
    forward = PersonLink.objects.filter(
        contact_person=person, state__in=wanted, candidate__contact_person__isnull=False
    ).values_list("candidate__contact_person_id", "state")
    backward = PersonLink.objects.filter(
        candidate__contact_person=person, state__in=wanted
    ).values_list("contact_person_id", "state")
    confirmed: set[int] = set()
    refused: set[int] = set()
    for other, state in forward.union(backward, all=True):
        (confirmed if state == LinkState.CONFIRMED else refused).add(other)
    return confirmed - refused, refused


def contact_people_same_child(person: ContactPerson) -> QuerySet[ContactPerson]:
    """The records of this child in every other contact, newest contact first: one query,
    plus one to read the person's links, one their identifier conflicts, and one or two
    to follow confirmed matches.

    The same child by the rule above, or because a screener confirmed a match, or by the
    rule applied to a record a screener confirmed (so confirming one earlier contact
    brings in that record's own history); never a record a screener said is someone else
    (rejected or undone), nor one in an open or "different children" identifier conflict
    with the person.

    Not scoped or audited: callers are selectors, which check the user may see them and
    record the read.

    Not built on same_child_contact_ids: that gives contacts, not the records callers
    show, and compares names in Python (casefold) where this compares them in the
    database (iexact), which differ: on PostgreSQL a name with the Turkish dotless i is
    the same name with a dotted i here, and not there.
    """
    confirmed, refused = linked_people_ids(person)
    facts = conflict_facts([person])
    refused |= facts.apart_from(person.pk)
    confirmed = (confirmed | facts.joined_with(person.pk)) - refused
    condition = same_child_condition(person, facts.disowned)
    either = Q(pk__in=sorted(confirmed)) if condition is None else condition
    if confirmed:
        either |= Q(pk__in=sorted(confirmed))
        linked_records = list(ContactPerson.objects.filter(pk__in=sorted(confirmed)))
        through_facts = conflict_facts(linked_records)
        for linked in linked_records:
            through = same_child_condition(linked, through_facts.disowned)
            if through is not None:
                either |= through
    found = ContactPerson.objects.filter(either)
    if refused:
        found = found.exclude(pk__in=sorted(refused))
    return (
        found.exclude(contact_id=person.contact_id)
        .select_related("contact")
        .order_by("-contact__received_at", "-contact_id", "position")
    )


# By record id: (records a screener confirmed as that record, records they said are not),
# as linked_people_ids gives them for one.
PersonLinks = Mapping[int, tuple[set[int], set[int]]]


def person_links_of(
    ids: Iterable[int], rows: Iterable[tuple[int, int, str]]
) -> dict[int, tuple[set[int], set[int]]]:
    """linked_people_ids for each of these records, from rows already read of (record,
    other record, link state), each link in both directions it applies: a suggested
    link counts for nothing, and a rejected or undone one outweighs a confirmed one."""
    wanted = set(ids)
    confirmed: dict[int, set[int]] = defaultdict(set)
    refused: dict[int, set[int]] = defaultdict(set)
    for person_id, other, state in rows:
        if person_id not in wanted:
            continue
        if state == LinkState.CONFIRMED:
            confirmed[person_id].add(other)
        elif state in (LinkState.REJECTED, LinkState.UNDONE):
            refused[person_id].add(other)
    return {pk: (confirmed[pk] - refused[pk], set(refused[pk])) for pk in wanted}


def _links_of(ids: Sequence[int]) -> dict[int, tuple[set[int], set[int]]]:
    """linked_people_ids for many records at once, by record id: one query."""
    wanted = [LinkState.CONFIRMED, LinkState.REJECTED, LinkState.UNDONE]
    forward = PersonLink.objects.filter(
        contact_person_id__in=ids, state__in=wanted, candidate__contact_person__isnull=False
    ).values_list("contact_person_id", "candidate__contact_person_id", "state")
    backward = PersonLink.objects.filter(
        candidate__contact_person_id__in=ids, state__in=wanted
    ).values_list("candidate__contact_person_id", "contact_person_id", "state")
    return person_links_of(ids, forward.union(backward, all=True))


def same_child_rule_holds(
    person: ContactPerson, record: ContactPerson, disowned: Mapping[IdentifierKey, set[int]]
) -> bool:
    """Whether same_child_condition(person, disowned) holds for a record in hand (names
    compared without regard to case, as the condition compares them)."""
    for identifier in (ConflictIdentifier.NHS_NUMBER, ConflictIdentifier.UPN):
        value = getattr(person, identifier)
        wrong = disowned.get((identifier, value), set())
        if (
            value
            and person.pk not in wrong
            and getattr(record, identifier) == value
            and record.pk not in wrong
        ):
            return True
    return bool(
        person.family_name
        and person.given_names
        and person.date_of_birth
        and record.date_of_birth == person.date_of_birth
        and record.family_name.casefold() == person.family_name.casefold()
        and record.given_names.casefold() == person.given_names.casefold()
    )


def same_child_contact_ids(
    people: Sequence[ContactPerson],
    *,
    links: PersonLinks | None = None,
    facts: ConflictFacts | None = None,
) -> dict[int, set[int]]:
    """For each person (by id), their own contact and the contact of every record
    contact_people_same_child finds for them: the same records, by the same rule, links
    and conflicts, for many people in six queries however many (their links, their
    conflicts, the records they are linked to, those records' conflicts, and every record
    any of them finds: records_sharing_a_key's two), where one person at a time took five
    or six each.

    A caller that has already read the people's links (person_links_of, with an entry for
    every person) or their identifier conflicts (conflict_facts of these people, or of
    more records including them) passes them in, and each saves its query."""
    if not people:
        return {}
    if links is None:
        links = _links_of([person.pk for person in people])
    if facts is None:
        facts = conflict_facts(people)
    chosen: dict[int, tuple[set[int], set[int]]] = {}
    for person in people:
        confirmed, refused = links[person.pk]
        # A new set: the links may be the caller's.
        refused = refused | facts.apart_from(person.pk)
        chosen[person.pk] = ((confirmed | facts.joined_with(person.pk)) - refused, refused)
    every_confirmed = sorted({pk for confirmed, _ in chosen.values() for pk in confirmed})
    linked = (
        {record.pk: record for record in ContactPerson.objects.filter(pk__in=every_confirmed)}
        if every_confirmed
        else {}
    )
    through_facts = conflict_facts(list(linked.values()))
    records = records_sharing_a_key([*people, *linked.values()], also=every_confirmed)
    found: dict[int, set[int]] = {}
    for person in people:
        confirmed, refused = chosen[person.pk]
        seeds = [(person, facts.disowned)] + [
            (linked[pk], through_facts.disowned) for pk in confirmed if pk in linked
        ]
        found[person.pk] = {person.contact_id} | {
            record.contact_id
            for record in records
            if record.pk not in refused
            and record.contact_id != person.contact_id
            and (
                record.pk in confirmed
                or any(same_child_rule_holds(seed, record, disowned) for seed, disowned in seeds)
            )
        }
    return found
