"""Which records in the contacts are one child, for the extracts: the rule of
openmash.linkage.same_child and the matches screeners confirmed, followed as far as they
go, so that every record of a child gets the same Child Unique ID in every extract.

contact_people_same_child() answers for one child at a time. An extract needs every
child in a period at once, and the same answer from whichever of a child's records it
starts, so here:

- the records matching each record by the rule (same_child_condition: the same NHS
  number, or unique pupil number, or family name, given names and date of birth,
  ignoring case) are fetched in chunks of conditions, and the person links screeners
  decided on, in one query per chunk of records;
- the records found are followed in turn (a record found by its NHS number may carry a
  pupil number that finds another), until nothing new turns up: usually two rounds;
- two records are the same child when the rule or a confirmed link joins them, unless a
  screener rejected (or undid) a match between those two records, or the two are in an
  open or "different children" identifier conflict (openmash.linkage.conflicts), read
  in one query per chunk of records; a record a screener said holds an identifier in
  error joins no one by it, and a conflict decided "same child" joins its records. A
  third record that matches both of a rejected pair still joins them: an id has to be
  one per child. Two records in an open or "different children" identifier conflict
  are never joined, not even through a third record: that one joins whichever group it
  meets first.

The Child Unique ID is the OpenMASH person id of the child's first record (the lowest
id among the records naming them as a child), the id of the child's chronology page
(/mash/children/<id>/), so a manager can find the child an inspector asks about. It
says nothing about the child by itself. It stays the same as new contacts arrive; it
changes only when a confirmed match or a new record shows that two children thought
different are one, and then it becomes the earlier of the two ids.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from django.db.models import Q

from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import ContactPerson
from openmash.linkage.conflicts import ConflictFacts, conflict_facts
from openmash.linkage.models import ConflictIdentifier, LinkState, PersonLink
from openmash.linkage.same_child import same_child_condition

# Records whose conditions go in one query: each has up to three OR-ed terms, which keeps
# the WHERE clause well inside SQLite's limit on expression depth (1,000).
CONDITIONS_PER_QUERY = 150
IDS_PER_QUERY = 500
# What the rule and the extracts read of a record: never more.
PERSON_FIELDS = (
    "id",
    "contact_id",
    "role",
    "nhs_number",
    "upn",
    "family_name",
    "given_names",
    "date_of_birth",
)
# What a row about a child needs besides: never the names or identifiers themselves.
CHILD_FIELDS = (
    *PERSON_FIELDS,
    "position",
    "sex",
    "estimated_age",
    "ethnicity",
    "contact",
    "contact__received_at",
    "contact__referral_source",
)
REFUSED = (LinkState.REJECTED, LinkState.UNDONE)

T = TypeVar("T")
MatchKey = tuple[str, str] | tuple[str, str, str, date]


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match_keys(person: ContactPerson, facts: ConflictFacts | None = None) -> list[MatchKey]:
    """The rule of same_child_condition as keys: two records sharing a key match. An
    identifier the record holds in error (facts) is no key."""
    keys: list[MatchKey] = []
    wrong = facts.holds_in_error if facts is not None else (lambda *_: False)
    if person.nhs_number and not wrong(person.pk, ConflictIdentifier.NHS_NUMBER, person.nhs_number):
        keys.append(("nhs", person.nhs_number))
    if person.upn and not wrong(person.pk, ConflictIdentifier.UPN, person.upn):
        keys.append(("upn", person.upn))
    if person.family_name and person.given_names and person.date_of_birth:
        keys.append(
            ("name", person.family_name.upper(), person.given_names.upper(), person.date_of_birth)
        )
    return keys


class _Groups:
    """Union-find over person ids, with pairs that may never be joined (identifier
    conflicts): a join that would put both records of such a pair in one group is
    refused, even through a third record."""

    def __init__(self, ids: Iterable[int], apart: Iterable[frozenset[int]] = ()) -> None:
        self.parent = {pk: pk for pk in ids}
        self.apart_of: dict[int, set[int]] = defaultdict(set)
        for pair in apart:
            if len(pair) == 2 and pair <= self.parent.keys():
                left, right = sorted(pair)
                self.apart_of[left].add(right)
                self.apart_of[right].add(left)
        # For each group holding a record with a conflict: those records.
        self.constrained: dict[int, set[int]] = {pk: {pk} for pk in self.apart_of}

    def find(self, pk: int) -> int:
        root = pk
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[pk] != root:
            self.parent[pk], pk = root, self.parent[pk]
        return root

    def join(self, left: int, right: int) -> None:
        left, right = self.find(left), self.find(right)
        if left == right:
            return
        ours, theirs = self.constrained.get(left), self.constrained.get(right)
        if ours and theirs and any(self.apart_of[pk] & theirs for pk in ours):
            return
        keep, gone = min(left, right), max(left, right)
        self.parent[gone] = keep
        if ours or theirs:
            self.constrained[keep] = (ours or set()) | (theirs or set())
            self.constrained.pop(gone, None)


@dataclass(frozen=True)
class ChildIndex:
    """Every record found for the children asked about, and the child each belongs to."""

    records: dict[int, ContactPerson]
    # Person id -> the Child Unique ID (a person id) of the child the record belongs to.
    child_of: dict[int, int]

    def child_id(self, person_id: int) -> int:
        return self.child_of[person_id]

    def contact_ids(self, child_id: int) -> set[int]:
        """The contacts naming this child as a child (the child it is about, or a sibling)."""
        return {
            record.contact_id
            for pk, record in self.records.items()
            if self.child_of[pk] == child_id and record.role in CHILD_ROLES
        }

    def records_by_child(self) -> dict[int, list[ContactPerson]]:
        """Each child's records naming them as a child, one per contact or more."""
        records: dict[int, list[ContactPerson]] = defaultdict(list)
        for pk, record in self.records.items():
            if record.role in CHILD_ROLES:
                records[self.child_of[pk]].append(record)
        return dict(records)

    def contacts_by_child(self) -> dict[int, set[int]]:
        contacts: dict[int, set[int]] = defaultdict(set)
        for pk, record in self.records.items():
            if record.role in CHILD_ROLES:
                contacts[self.child_of[pk]].add(record.contact_id)
        return dict(contacts)


def _any(conditions: Sequence[Q]) -> Q:
    either = Q()
    for condition in conditions:
        either |= condition
    return either


def _links(person_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(record, record, state) for every confirmed, rejected or undone link between a
    record of these people and another record in a contact: one query per chunk."""
    rows: list[tuple[int, int, str]] = []
    for chunk in chunked(person_ids, IDS_PER_QUERY):
        rows.extend(
            PersonLink.objects.filter(
                Q(contact_person_id__in=chunk) | Q(candidate__contact_person_id__in=chunk),
                candidate__contact_person__isnull=False,
                state__in=(LinkState.CONFIRMED, *REFUSED),
            ).values_list("contact_person_id", "candidate__contact_person_id", "state")
        )
    return rows


def child_index(people: Sequence[ContactPerson]) -> ChildIndex:
    """The child each of these records (and every record found joined to them) belongs
    to. `people` need the PERSON_FIELDS; not scoped or audited (callers are selectors)."""
    records: dict[int, ContactPerson] = {person.pk: person for person in people}
    confirmed: set[tuple[int, int]] = set()
    refused: set[frozenset[int]] = set()
    to_follow = sorted(records)
    wanted: set[int] = set()
    facts = ConflictFacts()
    while to_follow or wanted:
        found: list[ContactPerson] = []
        conditions = [
            condition
            for pk in to_follow
            if (condition := same_child_condition(records[pk])) is not None
        ]
        for some in chunked(conditions, CONDITIONS_PER_QUERY):
            found.extend(ContactPerson.objects.filter(_any(some)).only(*PERSON_FIELDS))
        for ids in chunked(sorted(wanted), IDS_PER_QUERY):
            found.extend(ContactPerson.objects.filter(pk__in=ids).only(*PERSON_FIELDS))
        for left, right, state in _links(to_follow):
            if state == LinkState.CONFIRMED:
                confirmed.add((left, right))
                wanted.update(pk for pk in (left, right) if pk not in records)
            else:
                refused.add(frozenset((left, right)))
        for chunk in chunked(to_follow, IDS_PER_QUERY):
            more = conflict_facts([records[pk] for pk in chunk])
            facts.apart |= more.apart
            facts.joined |= more.joined
            for key, holders in more.disowned.items():
                facts.disowned[key] |= holders
        new = {record.pk: record for record in found if record.pk not in records}
        records.update(new)
        wanted -= records.keys()
        to_follow = sorted(new)
    refused |= facts.apart
    confirmed |= {(left, right) for left, right in map(sorted, facts.joined)}
    return ChildIndex(records=records, child_of=_child_ids(records, confirmed, refused, facts))


def _child_ids(
    records: dict[int, ContactPerson],
    confirmed: set[tuple[int, int]],
    refused: set[frozenset[int]],
    facts: ConflictFacts | None = None,
) -> dict[int, int]:
    groups = _Groups(records, facts.apart if facts is not None else ())
    by_key: dict[MatchKey, list[int]] = defaultdict(list)
    for pk, record in records.items():
        for key in _match_keys(record, facts):
            by_key[key].append(pk)
    refused_ids = {pk for pair in refused for pk in pair}
    for members in by_key.values():
        if refused_ids.isdisjoint(members):
            for pk in members[1:]:
                groups.join(members[0], pk)
            continue
        for index, pk in enumerate(members):
            for other in members[:index]:
                if frozenset((pk, other)) not in refused:
                    groups.join(pk, other)
    for left, right in confirmed:
        if left in records and right in records and frozenset((left, right)) not in refused:
            groups.join(left, right)
    first_record: dict[int, int] = {}
    for pk in sorted(records):
        root = groups.find(pk)
        if records[pk].role in CHILD_ROLES:
            first_record.setdefault(root, pk)
    return {pk: first_record.get(groups.find(pk), groups.find(pk)) for pk in records}


def children_in(contacts: Q) -> list[ContactPerson]:
    """The children named in the contacts the condition selects (the child the contact
    is about, or a sibling), with their contact, in the order received: one query."""
    return list(
        ContactPerson.objects.filter(contacts, role__in=CHILD_ROLES)
        .select_related("contact")
        .only(*CHILD_FIELDS)
        .order_by("contact__received_at", "contact_id", "position")
    )


def once_per_child(
    people: Sequence[ContactPerson], index: ChildIndex
) -> list[tuple[ContactPerson, int]]:
    """(record, Child Unique ID) for each child once per contact, even when a referrer
    named the same child twice in one contact."""
    seen: set[tuple[int, int]] = set()
    found = []
    for person in people:
        child = index.child_id(person.pk)
        if (person.contact_id, child) not in seen:
            seen.add((person.contact_id, child))
            found.append((person, child))
    return found
