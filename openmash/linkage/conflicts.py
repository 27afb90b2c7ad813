"""Identifier conflicts: finding them, what they mean for "the same child", and a
screener's decision on them (issue 11, item 1). The rule itself is
openmash.linkage.conflict_rule.

- Found when a contact's people are indexed (`conflicts_detect_for_records`, called by
  openmash.linkage.index.index_contact_people in the contact's own transaction, so the
  screening page shows the conflict as soon as the contact is there), against every
  record in the index sharing an NHS number or UPN: other contacts' people and agencies'
  records. `conflicts_detect_for_person` checks one person again after their details
  are corrected: it finds new conflicts and withdraws open ones that no longer apply.
  Both are idempotent.
- Until a screener decides, the two records are not the same child for anything
  (`ConflictFacts`, read by openmash.linkage.same_child, the extracts, cumulative
  concern and the re-referral figure), and the matcher never links them automatically.
- Decided "same child": they are the same child, as if a link were confirmed.
  Decided "different children": kept apart for good, and the record holding the number
  in error no longer joins anyone by that number.
- Decisions can be undone (back to open); every change is kept in the row's history and
  audited.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.errors import FieldErrors
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.linkage.conflict_rule import Identity, details_disagree
from openmash.linkage.models import (
    ConflictIdentifier,
    ConflictState,
    IdentifierConflict,
    IndexedPerson,
    IndexSource,
    WrongHolder,
)
from openmash.people.identifiers import nhs_number_is_valid, upn_is_valid, upn_normal

DETECTOR = Actor(system="identifier-conflicts", request_id="task:conflicts")
# Conflicts that keep two records apart.
APART = (ConflictState.OPEN, ConflictState.DIFFERENT)
IDENTIFIERS = (ConflictIdentifier.NHS_NUMBER, ConflictIdentifier.UPN)
# The index field holding each identifier, valid only.
INDEX_FIELD: dict[str, str] = {
    ConflictIdentifier.NHS_NUMBER: "nhs_valid",
    ConflictIdentifier.UPN: "upn_valid",
}


class ConflictNotOpen(Exception):
    """The conflict is not in a state that allows this; nothing was changed."""


# --- What the conflicts say about who is the same child ----------------------------------

IdentifierKey = tuple[str, str]  # (identifier, value)


@dataclass
class ConflictFacts:
    """What the conflicts among some records in contacts say, by contact person id."""

    # Pairs of records kept apart: an open conflict, or decided "different children".
    apart: set[frozenset[int]] = field(default_factory=set)
    # Pairs decided "same child".
    joined: set[frozenset[int]] = field(default_factory=set)
    # (identifier, value) -> the records holding that value in error: they join no one by it.
    disowned: dict[IdentifierKey, set[int]] = field(default_factory=lambda: defaultdict(set))

    def apart_from(self, person_id: int) -> set[int]:
        return {other for pair in self.apart if person_id in pair for other in pair} - {person_id}

    def joined_with(self, person_id: int) -> set[int]:
        return {other for pair in self.joined if person_id in pair for other in pair} - {person_id}

    def holds_in_error(self, person_id: int, identifier: str, value: str) -> bool:
        return person_id in self.disowned.get((identifier, value), set())


def identifier_keys(person: Any) -> list[IdentifierKey]:
    keys: list[IdentifierKey] = []
    if getattr(person, "nhs_number", ""):
        keys.append((ConflictIdentifier.NHS_NUMBER, person.nhs_number))
    if getattr(person, "upn", ""):
        keys.append((ConflictIdentifier.UPN, person.upn))
    return keys


def _by_value(keys: Iterable[IdentifierKey], fields: Mapping[str, str] | None = None) -> Q:
    """Rows holding one of these (identifier, value): one IN per identifier, so the query
    stays flat however many values."""
    values: dict[str, set[str]] = defaultdict(set)
    for identifier, value in keys:
        values[identifier].add(value)
    condition = Q(pk__in=[])
    for identifier, wanted in values.items():
        if fields is None:
            condition |= Q(identifier=identifier, value__in=sorted(wanted))
        else:
            condition |= Q(**{f"{fields[identifier]}__in": sorted(wanted)})
    return condition


def conflict_facts(people: Sequence[Any]) -> ConflictFacts:
    """The conflicts bearing on these records in contacts (ContactPerson-like objects
    with pk, nhs_number and upn): the conflicts of each, and the records holding one of
    their identifiers in error. One query (none without people)."""
    facts = ConflictFacts()
    if not people:
        return facts
    ids = sorted({person.pk for person in people})
    keys = {key for person in people for key in identifier_keys(person)}
    condition = Q(contact_person_id__in=ids) | Q(other_contact_person_id__in=ids)
    if keys:
        condition |= Q(state=ConflictState.DIFFERENT) & _by_value(keys)
    rows = (
        IdentifierConflict.objects.filter(condition)
        .exclude(state=ConflictState.WITHDRAWN)
        .values_list(
            "contact_person_id",
            "other_contact_person_id",
            "identifier",
            "value",
            "state",
            "wrong_holder",
        )
    )
    for person_id, other_id, identifier, value, state, wrong in rows:
        if state == ConflictState.DIFFERENT:
            holder = person_id if wrong == WrongHolder.CONTACT_PERSON else other_id
            if holder is not None:
                facts.disowned[(identifier, value)].add(holder)
        if other_id is None:
            continue
        pair = frozenset((person_id, other_id))
        if state in APART:
            facts.apart.add(pair)
        elif state == ConflictState.SAME_CHILD:
            facts.joined.add(pair)
    facts.joined -= facts.apart
    return facts


@dataclass(frozen=True)
class KeptApart:
    """For the matcher, about one person in a contact: the index records they have an
    open or "different children" conflict with (index record id -> state), the index
    records holding one of their numbers in error, and whether they hold one in error."""

    records: dict[int, str] = field(default_factory=dict)
    wrong_records: set[int] = field(default_factory=set)
    person_wrong: bool = False

    @property
    def different(self) -> set[int]:
        return {pk for pk, state in self.records.items() if state == ConflictState.DIFFERENT}


def index_records_kept_apart(person: ContactPerson) -> KeptApart:
    """What identifier conflicts say about matching this person: one query."""
    keys = identifier_keys(person)
    condition = Q(contact_person=person) | Q(other_contact_person=person)
    if keys:
        condition |= Q(state=ConflictState.DIFFERENT) & _by_value(keys)
    rows = (
        IdentifierConflict.objects.filter(condition)
        .exclude(state=ConflictState.WITHDRAWN)
        .values_list(
            "contact_person_id",
            "contact_person__index_entry__id",
            "other_id",
            "other_contact_person_id",
            "state",
            "wrong_holder",
        )
    )
    kept = KeptApart()
    person_wrong = False
    for person_id, person_entry, other_id, other_person_id, state, wrong in rows:
        if state == ConflictState.DIFFERENT:
            if wrong == WrongHolder.CONTACT_PERSON:
                person_wrong |= person_id == person.pk
                if person_entry is not None:
                    kept.wrong_records.add(person_entry)
            elif wrong == WrongHolder.OTHER:
                person_wrong |= other_person_id == person.pk
                kept.wrong_records.add(other_id)
        if state not in APART:
            continue
        if person_id == person.pk:
            kept.records[other_id] = state
        elif other_person_id == person.pk and person_entry is not None:
            kept.records[person_entry] = state
    return replace(kept, person_wrong=person_wrong)


# --- Finding conflicts -------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    person_id: int  # the contact person of the pair (the later record)
    other: IndexedPerson
    identifier: str
    value: str
    disagreement: list[str]


def _identity(record: IndexedPerson | ContactPerson) -> Identity:
    return Identity(
        given_names=record.given_names,
        family_name=record.family_name,
        date_of_birth=record.date_of_birth,
        other_names=record.other_names,
    )


def _valid_keys(nhs_number: str, upn: str) -> list[IdentifierKey]:
    keys: list[IdentifierKey] = []
    if nhs_number and nhs_number_is_valid(nhs_number):
        keys.append((ConflictIdentifier.NHS_NUMBER, nhs_number))
    if upn and upn_is_valid(upn):
        keys.append((ConflictIdentifier.UPN, upn_normal(upn)))
    return keys


@dataclass(frozen=True)
class _Subject:
    """A person in a contact being checked: their details and their index entry."""

    person_id: int
    entry: IndexedPerson
    identity: Identity
    keys: list[IdentifierKey]


def _shared_beyond_themselves(
    candidates: Sequence[IndexedPerson], subjects: Sequence[_Subject]
) -> bool:
    """Whether any of these records holding the subjects' numbers could pair with a
    subject: a number held by two records, or by a record that is not a subject's own."""
    entries = {subject.entry.pk for subject in subjects}
    people = {subject.person_id for subject in subjects}
    holders: dict[IdentifierKey, int] = defaultdict(int)
    for record in candidates:
        if record.pk not in entries and record.contact_person_id not in people:
            return True
        for identifier, index_field in INDEX_FIELD.items():
            value = getattr(record, index_field)
            if value:
                holders[(identifier, value)] += 1
    return any(count > 1 for count in holders.values())


def _find(
    subjects: Sequence[_Subject], *, stored_needed: bool = True
) -> tuple[list[_Found], list[IdentifierConflict]]:
    """The conflicts these people have now (canonical pairs), and the conflicts stored
    for them. Two queries, however many people and records: the records sharing their
    numbers, and the stored conflicts (theirs, and those saying a record holds one of
    their numbers in error). Without `stored_needed`, when no other record shares a
    number there is nothing to find and the stored conflicts are not read (one query:
    a child whose numbers are new to OpenMASH)."""
    keys = {key for subject in subjects for key in subject.keys}
    if not subjects:
        return [], []
    ids = [subject.person_id for subject in subjects]
    subject_entries = {subject.entry.pk for subject in subjects}
    candidates: list[IndexedPerson] = []
    if keys:
        candidates = list(
            IndexedPerson.objects.filter(_by_value(keys, INDEX_FIELD), withdrawn_at__isnull=True)
        )
        if not stored_needed and not _shared_beyond_themselves(candidates, subjects):
            return [], []
    theirs = Q(contact_person_id__in=ids) | Q(other_contact_person_id__in=ids)
    condition = theirs
    if keys:
        condition |= Q(state=ConflictState.DIFFERENT) & _by_value(keys)
    stored = list(
        IdentifierConflict.objects.filter(condition).annotate(
            person_entry=F("contact_person__index_entry__id")
        )
    )
    wanted = set(ids)
    existing: list[IdentifierConflict] = [
        conflict
        for conflict in stored
        if conflict.contact_person_id in wanted or conflict.other_contact_person_id in wanted
    ]
    if not keys:
        return [], existing
    held_in_error: set[tuple[str, str, int]] = set()
    for conflict in stored:
        if conflict.state != ConflictState.DIFFERENT:
            continue
        holder = (
            conflict.other_id
            if conflict.wrong_holder == WrongHolder.OTHER
            else conflict.person_entry
        )
        if holder is not None:
            held_in_error.add((conflict.identifier, conflict.value, holder))
    found: list[_Found] = []
    for subject in subjects:
        for identifier, value in subject.keys:
            if (identifier, value, subject.entry.pk) in held_in_error:
                continue
            for record in candidates:
                if getattr(record, INDEX_FIELD[identifier]) != value:
                    continue
                if record.pk == subject.entry.pk or record.contact_person_id == subject.person_id:
                    continue
                if (identifier, value, record.pk) in held_in_error:
                    continue
                # Two people checked together: the pair is stored once, from the later one.
                if (
                    record.pk in subject_entries
                    and record.contact_person_id is not None
                    and record.contact_person_id > subject.person_id
                ):
                    continue
                disagreement = details_disagree(subject.identity, _identity(record))
                if not disagreement:
                    continue
                if (
                    record.contact_person_id is not None
                    and record.contact_person_id > subject.person_id
                ):
                    found.append(
                        _Found(
                            record.contact_person_id,
                            subject.entry,
                            identifier,
                            value,
                            disagreement.reasons,
                        )
                    )
                else:
                    found.append(
                        _Found(subject.person_id, record, identifier, value, disagreement.reasons)
                    )
    return found, existing


def contacts_naming_the_same(people: Iterable[Any]) -> set[int]:
    """The contacts naming a record that shares an NHS number, a unique pupil number or
    family name, given names and date of birth with any of these people (records, or
    anything with those attributes): the contacts whose re-referral figure a change to
    how these people are matched can change. One query (none without people)."""
    terms: list[Q] = []
    for person in people:
        if getattr(person, "nhs_number", ""):
            terms.append(Q(nhs_number=person.nhs_number))
        if getattr(person, "upn", ""):
            terms.append(Q(upn=person.upn))
        if person.family_name and person.given_names and person.date_of_birth:
            terms.append(
                Q(
                    family_name__iexact=person.family_name,
                    given_names__iexact=person.given_names,
                    date_of_birth=person.date_of_birth,
                )
            )
    if not terms:
        return set()
    same = terms[0]
    for term in terms[1:]:
        same |= term
    return set(ContactPerson.objects.filter(same).values_list("contact_id", flat=True))


def _conflicts_change_facts(conflicts: Iterable[IdentifierConflict]) -> None:
    """Conflicts keep records apart and say who holds a number in error, so the
    re-referral figures of every contact naming the number, or either record, change with
    them (openmash.core.metric_facts): one query, and the refresh."""
    conflicts = list(conflicts)
    if not conflicts:
        return
    by_value = Q(pk__in=[])
    for conflict in conflicts:
        if conflict.value:
            by_value |= Q(**{conflict.identifier: conflict.value})
        by_value |= Q(pk__in=[conflict.contact_person_id])
        if conflict.other_contact_person_id is not None:
            by_value |= Q(pk__in=[conflict.other_contact_person_id])
    contacts_changed(ContactPerson.objects.filter(by_value).values_list("contact_id", flat=True))


def _store(
    found: Iterable[_Found], existing: Iterable[IdentifierConflict], now: datetime
) -> list[IdentifierConflict]:
    """Create the conflicts not stored yet, and open again any withdrawn one that applies
    again. Returns those created or reopened."""
    stored = {(c.contact_person_id, c.other_id, c.identifier): c for c in existing}
    made: list[IdentifierConflict] = []
    fresh: dict[tuple[int, int, str], IdentifierConflict] = {}
    for each in found:
        key = (each.person_id, each.other.pk, each.identifier)
        conflict = stored.get(key)
        if conflict is None:
            fresh.setdefault(
                key,
                IdentifierConflict(
                    contact_person_id=each.person_id,
                    other=each.other,
                    other_contact_person_id=each.other.contact_person_id,
                    identifier=each.identifier,
                    value=each.value,
                    disagreement=each.disagreement,
                    detected_at=now,
                    updated_at=now,
                ),
            )
        elif conflict.state == ConflictState.WITHDRAWN:
            conflict.state = ConflictState.OPEN
            conflict.value = each.value
            conflict.disagreement = each.disagreement
            conflict.updated_at = now
            conflict.history = [
                *conflict.history,
                {
                    "state": ConflictState.OPEN,
                    "wrong_holder": "",
                    "reason": "Found again",
                    "by": None,
                    "at": now.isoformat(),
                },
            ]
            conflict.save(update_fields=["state", "value", "disagreement", "updated_at", "history"])
            made.append(conflict)
    if fresh:
        try:
            with transaction.atomic():
                made.extend(IdentifierConflict.objects.bulk_create(fresh.values()))
        except IntegrityError:
            # Another run stored some of them first: store the rest one by one.
            for conflict in fresh.values():
                try:
                    with transaction.atomic():
                        conflict.pk = None
                        conflict.save(force_insert=True)
                except IntegrityError:
                    continue
                made.append(conflict)
    if made:
        contacts = dict(
            ContactPerson.objects.filter(pk__in=[c.contact_person_id for c in made]).values_list(
                "id", "contact_id"
            )
        )
        audit_record_many(
            actor=DETECTOR,
            action=AuditAction.CREATE,
            object_type="identifier_conflict",
            objects=[(c.pk, contacts.get(c.contact_person_id)) for c in made],
        )
        _conflicts_change_facts(made)
    return made


def conflicts_detect_for_records(
    records: Sequence[IndexedPerson], *, now: datetime | None = None
) -> list[IdentifierConflict]:
    """Find the conflicts of these index records of people in contacts (just indexed)
    with every other record sharing their NHS number or UPN. Idempotent: a pair already
    stored is left as it is. A few queries, however many records."""
    now = now or timezone.now()
    subjects = [
        _Subject(
            person_id=record.contact_person_id,
            entry=record,
            identity=_identity(record),
            keys=_valid_keys(record.nhs_number, record.upn),
        )
        for record in records
        if record.source == IndexSource.CONTACT and record.contact_person_id is not None
    ]
    subjects = [subject for subject in subjects if subject.keys]
    if not subjects:
        return []
    # Only the conflicts found are stored (_store): with nothing found, those stored
    # already need not be read.
    found, existing = _find(subjects, stored_needed=False)
    return _store(found, existing, now)


def conflicts_detect_for_person(
    person: ContactPerson, *, now: datetime | None = None
) -> list[IdentifierConflict]:
    """Check one person in a contact again, after their details were corrected: store
    any new conflict, and withdraw open conflicts of theirs that no longer apply (the
    records no longer share the number, or no longer disagree). Reads the person's own
    details; their index entry should be up to date for others' checks. Idempotent.
    Returns the conflicts created, reopened or withdrawn."""
    now = now or timezone.now()
    entry = IndexedPerson.objects.filter(contact_person=person).first()
    if entry is None:
        return []
    subject = _Subject(
        person_id=person.pk,
        entry=entry,
        identity=_identity(person),
        keys=_valid_keys(person.nhs_number, person.upn),
    )
    found, existing = _find([subject])
    changed = _store(found, existing, now)
    still = {(each.person_id, each.other.pk, each.identifier) for each in found}
    withdrawn: list[IdentifierConflict] = []
    for conflict in existing:
        key = (conflict.contact_person_id, conflict.other_id, conflict.identifier)
        if conflict.state == ConflictState.OPEN and key not in still:
            conflict.state = ConflictState.WITHDRAWN
            conflict.updated_at = now
            conflict.history = [
                *conflict.history,
                {
                    "state": ConflictState.WITHDRAWN,
                    "wrong_holder": "",
                    "reason": "The details no longer conflict",
                    "by": None,
                    "at": now.isoformat(),
                },
            ]
            conflict.save(update_fields=["state", "updated_at", "history"])
            withdrawn.append(conflict)
    if withdrawn:
        audit_record_many(
            actor=DETECTOR,
            action=AuditAction.UPDATE,
            object_type="identifier_conflict",
            objects=[(c.pk, person.contact_id) for c in withdrawn],
            detail={"change": ConflictState.WITHDRAWN},
        )
        _conflicts_change_facts(withdrawn)
    return [*changed, *withdrawn]


# --- A screener's decision ---------------------------------------------------------------


OUTCOMES = (ConflictState.SAME_CHILD, ConflictState.DIFFERENT)


def _conflict_for_update(actor: Actor, conflict_id: int) -> IdentifierConflict:
    """The conflict, locked, if the actor may decide it: a screener who is not kept out
    of both contacts by another screener taking them, or a MASH manager."""
    user = actor.user
    if user is None or not user.has_perm("linkage.view_identifier_conflicts"):
        raise PermissionDenied
    conflict = (
        IdentifierConflict.objects.select_for_update(of=("self",))
        .select_related("contact_person__contact", "other", "other_contact_person__contact")
        .filter(pk=conflict_id)
        .first()
    )
    if conflict is None or conflict.state == ConflictState.WITHDRAWN:
        raise ConflictNotOpen("This conflict no longer applies: the records were corrected.")
    contacts = [conflict.contact_person.contact]
    if conflict.other_contact_person is not None:
        contacts.append(conflict.other_contact_person.contact)
    if not any(user.has_perm("linkage.decide_identifier_conflict", c) for c in contacts):
        raise PermissionDenied
    return conflict


def _change(
    actor: Actor,
    conflict: IdentifierConflict,
    state: str,
    wrong: str,
    reason: str,
    now: datetime,
    change: str,
) -> IdentifierConflict:
    conflict.state = state
    conflict.wrong_holder = wrong
    conflict.reason = reason
    conflict.decided_by = actor.user
    conflict.decided_at = now
    conflict.updated_at = now
    conflict.history = [
        *conflict.history,
        {
            "state": state,
            "wrong_holder": wrong,
            "reason": reason,
            "by": actor.user.pk if actor.user is not None else None,
            "at": now.isoformat(),
        },
    ]
    conflict.save(
        update_fields=[
            "state",
            "wrong_holder",
            "reason",
            "decided_by",
            "decided_at",
            "updated_at",
            "history",
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="identifier_conflict",
        object_id=conflict.pk,
        contact_id=conflict.contact_person.contact_id,
        detail={"change": change, "state": state, "wrong_holder": wrong},
    )
    _conflicts_change_facts([conflict])
    return conflict


@transaction.atomic
def conflict_resolve(
    *,
    actor: Actor,
    conflict_id: int,
    outcome: str,
    wrong_holder: str = "",
    reason: str,
    now: datetime | None = None,
) -> IdentifierConflict:
    """A screener decides an open conflict: the same child (one record has a typo), or
    different children, saying which record holds the number in error. A reason is
    required. FieldErrors (outcome, wrong_holder, reason) and nothing changed if not."""
    conflict = _conflict_for_update(actor, conflict_id)
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Select whether the records are the same child or different children"
    if outcome == ConflictState.DIFFERENT and wrong_holder not in WrongHolder.values:
        errors["wrong_holder"] = "Select which record holds the number in error"
    if not reason.strip():
        errors["reason"] = "Enter the reason for your decision"
    if errors:
        raise FieldErrors(errors)
    if conflict.state != ConflictState.OPEN:
        raise ConflictNotOpen(
            f"This conflict was decided already: {conflict.get_state_display().lower()}."
        )
    wrong = wrong_holder if outcome == ConflictState.DIFFERENT else ""
    return _change(
        actor, conflict, outcome, wrong, reason.strip()[:2000], now or timezone.now(), "resolve"
    )


@transaction.atomic
def conflict_undo(
    *, actor: Actor, conflict_id: int, reason: str, now: datetime | None = None
) -> IdentifierConflict:
    """Undo a decision on a conflict, with the reason: it is open again, and the records
    are kept apart until a screener decides again. The decision stays in the history."""
    conflict = _conflict_for_update(actor, conflict_id)
    if not reason.strip():
        raise FieldErrors({"reason": "Enter why the decision is wrong"})
    if conflict.state not in OUTCOMES:
        raise ConflictNotOpen("This conflict has not been decided: there is nothing to undo.")
    return _change(
        actor,
        conflict,
        ConflictState.OPEN,
        "",
        reason.strip()[:2000],
        now or timezone.now(),
        "undo",
    )


# --- Reads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictRecord:
    """One side of a conflict as the panel shows it."""

    name: str
    date_of_birth: date | None
    sex: str
    address: str
    postcode: str
    # A record in a contact: the contact; an agency's record: the agency's name.
    contact: Contact | None
    agency_name: str
    when: datetime | None
    is_this_contact: bool
    holds_in_error: bool


@dataclass(frozen=True)
class ConflictView:
    conflict: IdentifierConflict
    this: ConflictRecord
    other: ConflictRecord
    # Whether `this` (the record in the contact whose page it is) is the row's
    # contact_person (else it is the row's other record).
    this_is_contact_person: bool
    may_decide: bool
    # Every decision and undo, oldest first: (state label, reason, who, when).
    history: tuple[tuple[str, str, str, datetime | None], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.conflict.state == ConflictState.OPEN

    @property
    def identifier_label(self) -> str:
        return self.conflict.get_identifier_display()

    @property
    def this_holder(self) -> str:
        """The wrong_holder value meaning "the record in this contact"."""
        return WrongHolder.CONTACT_PERSON if self.this_is_contact_person else WrongHolder.OTHER

    @property
    def other_holder(self) -> str:
        return WrongHolder.OTHER if self.this_is_contact_person else WrongHolder.CONTACT_PERSON


def _person_side(person: ContactPerson, *, here: bool, wrong: bool) -> ConflictRecord:
    return ConflictRecord(
        name=" ".join(part for part in (person.given_names, person.family_name) if part),
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        address=", ".join(
            part for part in (person.address_line1, person.address_line2, person.town) if part
        ),
        postcode=person.postcode,
        contact=person.contact,
        agency_name="",
        when=person.contact.received_at,
        is_this_contact=here,
        holds_in_error=wrong,
    )


def _agency_side(record: IndexedPerson, *, wrong: bool) -> ConflictRecord:
    return ConflictRecord(
        name=" ".join(part for part in (record.given_names, record.family_name) if part),
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        address=record.address,
        postcode=record.postcode,
        contact=None,
        agency_name=record.agency.name if record.agency is not None else "An agency",
        when=record.imported_at,
        is_this_contact=False,
        holds_in_error=wrong,
    )


def conflicts_for_contact(*, actor: Actor, contact: Contact) -> list[ConflictView]:
    """The conflicts of the people in this contact, open first, for MASH screeners and
    managers only (the fire wall: nobody else sees another agency's record or another
    contact through them; others get an empty list). Conflicts with a record in an
    agency index the agency keeps from MASH screeners are left out. Records the read of
    each other contact shown. Two queries."""
    user = actor.user
    if user is None or not user.has_perm("linkage.view_identifier_conflicts"):
        return []
    may_decide = user.has_perm("linkage.decide_identifier_conflict", contact)
    rows = (
        IdentifierConflict.objects.filter(
            Q(contact_person__contact=contact) | Q(other_contact_person__contact=contact)
        )
        .exclude(state=ConflictState.WITHDRAWN)
        .select_related(
            "contact_person__contact",
            "other__agency__index_settings",
            "other_contact_person__contact",
            "decided_by",
        )
        .order_by("detected_at", "id")
    )
    views: list[ConflictView] = []
    shown: list[tuple[object, int | None]] = []
    for conflict in rows:
        here_is_person = conflict.contact_person.contact_id == contact.pk
        wrong_person = conflict.state == ConflictState.DIFFERENT and (
            conflict.wrong_holder == WrongHolder.CONTACT_PERSON
        )
        wrong_other = conflict.state == ConflictState.DIFFERENT and (
            conflict.wrong_holder == WrongHolder.OTHER
        )
        person_side = _person_side(conflict.contact_person, here=here_is_person, wrong=wrong_person)
        if conflict.other_contact_person is not None:
            other_side = _person_side(
                conflict.other_contact_person, here=not here_is_person, wrong=wrong_other
            )
        else:
            agency = conflict.other.agency
            settings_row = getattr(agency, "index_settings", None) if agency else None
            if settings_row is not None and not settings_row.visible_to_mash_screeners:
                continue
            other_side = _agency_side(conflict.other, wrong=wrong_other)
        this, other = (person_side, other_side) if here_is_person else (other_side, person_side)
        if other.contact is not None:
            shown.append((other.contact.pk, other.contact.pk))
        views.append(
            ConflictView(
                conflict=conflict,
                this=this,
                other=other,
                this_is_contact_person=here_is_person,
                may_decide=may_decide,
            )
        )
    views = _with_history(views)
    views.sort(key=lambda view: (not view.is_open, view.conflict.detected_at, view.conflict.pk))
    if views:
        audit_record_many(
            actor=actor,
            action=AuditAction.LIST,
            object_type="identifier_conflict",
            objects=[(view.conflict.pk, contact.pk) for view in views],
        )
        if shown:
            audit_record_many(
                actor=actor, action=AuditAction.LIST, object_type="contact", objects=shown
            )
    return views


def _with_history(views: list[ConflictView]) -> list[ConflictView]:
    """The views with their history in words: one query for the names of whoever
    decided, none without history."""
    user_ids = {entry["by"] for view in views for entry in view.conflict.history if entry.get("by")}
    names: dict[int, str] = {}
    if user_ids:
        names = {
            user.pk: user.display_name for user in User.objects.filter(pk__in=sorted(user_ids))
        }
    labels = {
        **dict(ConflictState.choices),
        ConflictState.OPEN: "Decision undone",
        ConflictState.WITHDRAWN: "No longer applies",
    }
    found = []
    for view in views:
        history = tuple(
            (
                "Found again"
                if entry.get("state") == ConflictState.OPEN and not entry.get("by")
                else labels.get(entry.get("state", ""), entry.get("state", "")),
                entry.get("reason", ""),
                names.get(entry.get("by") or 0, "OpenMASH"),
                _parse_time(entry.get("at")),
            )
            for entry in view.conflict.history
        )
        found.append(replace(view, history=history))
    return found


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def contacts_with_open_conflicts(contact_ids: Iterable[int]) -> set[int]:
    """Which of these contacts name a person with an open conflict: one query."""
    ids = sorted(set(contact_ids))
    if not ids:
        return set()
    found: set[int] = set()
    for left, right in IdentifierConflict.objects.filter(
        Q(contact_person__contact_id__in=ids) | Q(other_contact_person__contact_id__in=ids),
        state=ConflictState.OPEN,
    ).values_list("contact_person__contact_id", "other_contact_person__contact_id"):
        found.update(pk for pk in (left, right) if pk in ids)
    return found


def open_conflicts_among(person_ids: Iterable[int]) -> int:
    """How many open conflicts the records of one child have: one query."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    return (
        IdentifierConflict.objects.filter(
            Q(contact_person_id__in=ids) | Q(other_contact_person_id__in=ids),
            state=ConflictState.OPEN,
        )
        .values("id")
        .count()
    )
