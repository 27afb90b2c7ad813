"""Cumulative concern: patterns across the contacts about one child that no single
contact shows (issue 4, item 7). The rules are the area's configuration
(openmash.area.models.ConcernRule, edited in Django admin):

- contacts_in_period: N or more contacts received in the last D days;
- agencies_in_period: contacts from N or more different agencies in the last D days
  (the agency that submitted the contact, or its referral source when no agency did);
- re_referral: N or more contacts received in the last D days, each within D days after
  a MASH decision on an earlier contact about the child.

Periods are counted back from today, in whole days in Europe/London: a contact received
D days ago still counts. Reads here are not scoped or audited: the callers are
selectors, which check who may see the child and record what they show.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.area.models import ConcernRule, ConcernRuleKind
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.linkage.conflicts import ConflictFacts, conflict_facts
from openmash.linkage.models import ConflictIdentifier, LinkState, PersonLink
from openmash.linkage.same_child import (
    RULE_FIELDS,
    contact_people_same_child,
    person_links_of,
    records_sharing_a_key,
    same_child_contact_ids,
    same_child_rule_holds,
)


@dataclass(frozen=True)
class TriggeringContact:
    """A contact that made a rule fire."""

    contact_id: int
    reference: str
    received_at: datetime


@dataclass(frozen=True)
class ConcernFlag:
    """One rule that fires for a child, and the contacts that made it fire, oldest first."""

    rule_id: int
    kind: str
    label: str
    contacts: tuple[TriggeringContact, ...]
    order: int = 0  # the rule's place in the area's list


@dataclass(frozen=True)
class ContactFacts:
    """What the rules need to know about one contact about the child."""

    contact_id: int
    reference: str
    received_at: datetime
    # Who it came from: ("agency", id) or ("source", referral source code).
    agency: tuple[str, str]
    # When the MASH first decided on it (an amendment does not move a decision in time).
    decided_at: datetime | None = None

    @classmethod
    def of(cls, contact: Contact, decided_at: datetime | None) -> "ContactFacts":
        return cls(
            contact_id=contact.pk,
            reference=contact.reference,
            received_at=contact.received_at,
            agency=agency_key(contact.submitted_by_agency_id, contact.referral_source),
            decided_at=decided_at,
        )

    @property
    def triggering(self) -> TriggeringContact:
        return TriggeringContact(self.contact_id, self.reference, self.received_at)


def agency_key(agency_id: int | None, referral_source: str) -> tuple[str, str]:
    if agency_id is not None:
        return ("agency", str(agency_id))
    return ("source", referral_source)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, LONDON).date()


def _in_period(facts: ContactFacts, rule: ConcernRule, today: date) -> bool:
    return today - timedelta(days=rule.period_days) <= _local_day(facts.received_at) <= today


def _re_referrals(
    history: Sequence[ContactFacts], rule: ConcernRule, today: date
) -> list[ContactFacts]:
    """The re-referrals (contacts in the period, each received no more than the period's
    days after a decision on another contact about the child) and the decided contacts
    they follow, if there are at least the rule's threshold of re-referrals."""
    decided = [facts for facts in history if facts.decided_at is not None]
    triggering: dict[int, ContactFacts] = {}
    re_referrals = 0
    for facts in history:
        if not _in_period(facts, rule, today):
            continue
        earlier = [
            (previous.decided_at, previous)
            for previous in decided
            if previous.decided_at is not None
            and previous.contact_id != facts.contact_id
            and previous.decided_at <= facts.received_at
            and _local_day(facts.received_at) - _local_day(previous.decided_at)
            <= timedelta(days=rule.period_days)
        ]
        if earlier:
            re_referrals += 1
            _, previous = max(earlier, key=lambda pair: (pair[0], pair[1].contact_id))
            triggering[previous.contact_id] = previous
            triggering[facts.contact_id] = facts
    return list(triggering.values()) if re_referrals >= rule.threshold else []


def concern_flags_in(
    history: Iterable[ContactFacts], rules: Iterable[ConcernRule], today: date
) -> list[ConcernFlag]:
    """The rules that fire on one child's contacts; plain data in, no queries."""
    contacts = sorted(
        {facts.contact_id: facts for facts in history}.values(),
        key=lambda facts: (facts.received_at, facts.contact_id),
    )
    flags = []
    for rule in rules:
        if not rule.active:
            continue
        if rule.kind == ConcernRuleKind.RE_REFERRAL:
            triggering = _re_referrals(contacts, rule, today)
        else:
            in_period = [facts for facts in contacts if _in_period(facts, rule, today)]
            if rule.kind == ConcernRuleKind.CONTACTS_IN_PERIOD:
                count = len(in_period)
            else:
                count = len({facts.agency for facts in in_period})
            triggering = in_period if count >= rule.threshold else []
        if triggering:
            ordered = sorted(triggering, key=lambda facts: (facts.received_at, facts.contact_id))
            flags.append(
                ConcernFlag(
                    rule_id=rule.pk,
                    kind=rule.kind,
                    label=rule.label,
                    contacts=tuple(facts.triggering for facts in ordered),
                    order=rule.order,
                )
            )
    return flags


def concern_rules_active() -> list[ConcernRule]:
    return list(ConcernRule.objects.filter(active=True).order_by("order", "id"))


def contact_facts(contact_ids: Iterable[int]) -> dict[int, ContactFacts]:
    """The facts of each contact, by id, with when it was first decided on: one query."""
    contacts = (
        Contact.objects.filter(pk__in=set(contact_ids))
        .annotate(first_decided_at=Min("decisions__decided_at"))
        .only("id", "reference", "received_at", "submitted_by_agency_id", "referral_source")
        .order_by()
    )
    return {contact.pk: ContactFacts.of(contact, contact.first_decided_at) for contact in contacts}


# --- Which contacts are about the child --------------------------------------------------
# Issue 4's linkage will add confirmed person links here: swap these two together.


def child_contact_ids(person: ContactPerson) -> set[int]:
    """Every contact about this child: the person's own contact and every contact naming
    the same child (openmash.linkage.same_child)."""
    return {person.contact_id} | {
        record.contact_id for record in contact_people_same_child(person).only("contact_id")
    }


def _same_child(person: ContactPerson, other: ContactPerson, facts: ConflictFacts) -> bool:
    """The rule of openmash.linkage.same_child.same_child_condition, for records in hand,
    with what identifier conflicts say (openmash.linkage.conflicts): never a pair kept
    apart, never by a number either record holds in error."""
    return frozenset((person.pk, other.pk)) not in facts.apart and same_child_rule_holds(
        person, other, facts.disowned
    )


def children_contact_ids(people: Sequence[ContactPerson]) -> dict[int, set[int]]:
    """child_contact_ids for many children at once, by person id: four queries (the
    children's identifier conflicts, the records sharing an identifier and those sharing
    a name and date of birth, the person links), and more when any of them has a
    confirmed match (_add_confirmed_links)."""
    facts = conflict_facts(people)
    found: dict[int, set[int]] = {person.pk: {person.contact_id} for person in people}
    records = records_sharing_a_key(people)
    # Only the people a record shares a key with can be the same child: a page of 50
    # contacts can meet thousands of records, so each is compared with those alone.
    by_key: dict[tuple[object, ...], list[ContactPerson]] = defaultdict(list)
    for person in people:
        for key in _same_child_keys(person):
            by_key[key].append(person)
    for record in records:
        candidates = {
            person.pk: person for key in _same_child_keys(record) for person in by_key.get(key, ())
        }
        for person in candidates.values():
            if _same_child(person, record, facts):
                found[person.pk].add(record.contact_id)
    _add_confirmed_links(people, found, facts)
    return found


def _same_child_keys(person: ContactPerson) -> list[tuple[object, ...]]:
    """The values _same_child can join two records on: an identifier, or the full name
    with the date of birth."""
    keys: list[tuple[object, ...]] = [
        (identifier, value)
        for identifier in (ConflictIdentifier.NHS_NUMBER, ConflictIdentifier.UPN)
        if (value := getattr(person, identifier))
    ]
    if person.family_name and person.given_names and person.date_of_birth:
        keys.append(
            (
                "name",
                person.family_name.casefold(),
                person.given_names.casefold(),
                person.date_of_birth,
            )
        )
    return keys


def _add_confirmed_links(
    people: Sequence[ContactPerson], found: dict[int, set[int]], facts: ConflictFacts
) -> None:
    """Contacts joined to these people by a screener's confirmed match (one query), less
    those a screener said are someone else. A person with confirmed matches is worked out
    by same_child_contact_ids instead, as child_contact_ids would, which also follows the
    rule from the linked records: given the links read here and the people's identifier
    conflicts (`facts`), three queries for all of them."""
    ids = [person.pk for person in people]
    columns = (
        "contact_person_id",
        "contact_person__contact_id",
        "candidate__contact_person_id",
        "candidate__contact_person__contact_id",
        "state",
    )
    # A UNION of the links from these people and the links to them, each found by its
    # own index: one condition with an OR across the join to the candidate made
    # PostgreSQL read every link (about 100 ms on five years of data).
    # A suggested link counts for nothing here, and the matcher suggests many: only the
    # links a screener decided are read (about 900 rows for a page of five years' data,
    # each joined to its two records, where the decided ones are a few dozen).
    decided = [LinkState.CONFIRMED, LinkState.REJECTED, LinkState.UNDONE]
    from_them = PersonLink.objects.filter(
        contact_person_id__in=ids, state__in=decided, candidate__contact_person__isnull=False
    ).values_list(*columns)
    to_them = PersonLink.objects.filter(
        candidate__contact_person_id__in=ids, state__in=decided
    ).values_list(*columns)
    rows = from_them.union(to_them, all=True)
    linked: set[int] = set()
    # (person, the other record, state): the links same_child_contact_ids would read again.
    seen: list[tuple[int, int, str]] = []
    for left, left_contact, right, right_contact, state in rows:
        for person_id, other, other_contact in (
            (left, right, right_contact),
            (right, left, left_contact),
        ):
            if person_id not in found:
                continue
            seen.append((person_id, other, state))
            if state == LinkState.CONFIRMED:
                linked.add(person_id)
            elif state in (LinkState.REJECTED, LinkState.UNDONE):
                found[person_id].discard(other_contact)
    found.update(
        same_child_contact_ids(
            [person for person in people if person.pk in linked],
            links=person_links_of(linked, seen),
            facts=facts,
        )
    )


# --- Flags -------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate(timezone.now(), LONDON)


def concern_flags_for_child(
    person: ContactPerson, *, today: date | None = None
) -> list[ConcernFlag]:
    """The cumulative-concern flags for one child: four queries."""
    facts = contact_facts(child_contact_ids(person))
    return concern_flags_in(facts.values(), concern_rules_active(), _today(today))


def concern_flags_for_people(
    people: Sequence[ContactPerson], *, today: date | None = None
) -> dict[int, list[ConcernFlag]]:
    """The flags for each child, by person id, in the same few queries however many."""
    found = children_contact_ids(people)
    facts = contact_facts({contact_id for ids in found.values() for contact_id in ids})
    rules = concern_rules_active()
    day = _today(today)
    return {
        person_id: concern_flags_in((facts[pk] for pk in ids if pk in facts), rules, day)
        for person_id, ids in found.items()
    }


def concern_flags_for_contacts(
    contacts: Sequence[Contact], *, today: date | None = None
) -> dict[int, list[ConcernFlag]]:
    """The flags of every child named in each contact, by contact id (one flag per rule,
    with the contacts of every child it fired for): a page of the screening queue in the
    same queries whether it shows 1 contact or 50."""
    children = list(
        ContactPerson.objects.filter(contact__in=contacts, role__in=CHILD_ROLES).only(*RULE_FIELDS)
    )
    flags: dict[int, list[ConcernFlag]] = {contact.pk: [] for contact in contacts}
    flags.update(concern_flags_by_contact(children, today=today))
    return flags


def concern_flags_by_contact(
    children: Sequence[ContactPerson], *, today: date | None = None
) -> dict[int, list[ConcernFlag]]:
    """concern_flags_for_contacts for children already read (the children named in each
    contact, as a queue prefetches them), by the id of each child's contact: the same
    queries less the one for the children. A contact with no child flagged may be left out."""
    by_person = concern_flags_for_people(children, today=today)
    merged: dict[int, dict[int, ConcernFlag]] = defaultdict(dict)
    for child in children:
        for flag in by_person.get(child.pk, []):
            rules = merged[child.contact_id]
            if flag.rule_id in rules:
                earlier = rules[flag.rule_id]
                both = {each.contact_id: each for each in earlier.contacts + flag.contacts}
                flag = ConcernFlag(
                    rule_id=flag.rule_id,
                    kind=flag.kind,
                    label=flag.label,
                    contacts=tuple(
                        sorted(both.values(), key=lambda each: (each.received_at, each.contact_id))
                    ),
                    order=flag.order,
                )
            rules[flag.rule_id] = flag
    return {
        contact_id: sorted(rules.values(), key=lambda flag: (flag.order, flag.rule_id))
        for contact_id, rules in merged.items()
    }
