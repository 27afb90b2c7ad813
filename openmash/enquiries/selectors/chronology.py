"""The read behind a child's chronology: every contact about the child and the MASH's work
on each, scoped to what the viewer may see, with each contact shown audited as a read.

Who may open a child's chronology (enquiries.view_child_chronology), and what they see:
- MASH screeners and managers: any child; every rating, check and agency finding, and
  the reasons recorded for ratings, waivers and decisions.
- An agency researcher: a child their agency has been asked to check on; ratings and
  checks, but only their own agency's findings (another agency's completed check is
  shown as completed, with nothing it found), and none of the MASH's reasons, which
  can repeat what other agencies found (the fire wall).
- An early help coordinator: a child handed on to early help; the contacts, decisions
  and hand-ons, and no agency's checks or findings.
Anyone else with the permission, or a child outside the viewer's scope, gets Http404,
so person ids cannot be probed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson, PersonCorrection
from openmash.core.audit import Actor, audit_record_many
from openmash.core.models import AuditAction
from openmash.enquiries.concern import (
    ConcernFlag,
    ContactFacts,
    concern_flags_in,
    concern_rules_active,
)
from openmash.enquiries.models import (
    AgencyCheck,
    CaseNote,
    CheckFinding,
    Decision,
    HandOn,
    RagRating,
)
from openmash.enquiries.selectors.notes import notes_audit, visible_notes
from openmash.linkage.conflicts import open_conflicts_among
from openmash.linkage.same_child import contact_people_same_child

# The largest id a database row can have: larger ones are not looked up at all.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ChronologyScope:
    """What of the MASH's work the viewer may see."""

    all_findings: bool  # every agency's findings, and the MASH's reasons
    own_agency_id: int | None  # a researcher's agency: its findings only
    screening: bool  # RAG ratings and agency checks at all


@dataclass(frozen=True)
class ChronologyContact:
    """One contact about the child and the MASH's work on it, oldest first, as far as
    the viewer may see it; a check's `findings` hold only those the viewer may read."""

    contact: Contact
    child_records: list[ContactPerson]  # the child as named in this contact
    ratings: list[RagRating]
    checks: list[AgencyCheck]
    decisions: list[Decision]
    hand_ons: list[HandOn]
    # The case notes the viewer may see (openmash.enquiries.selectors.notes), oldest first.
    notes: list[CaseNote] = field(default_factory=list)


@dataclass(frozen=True)
class ChildChronology:
    person: ContactPerson
    contacts: list[ChronologyContact]  # newest first
    scope: ChronologyScope
    now: datetime
    contacts_in_12_months: int
    # The area's cumulative-concern rules that fire on these contacts (the early warning).
    concern_flags: list[ConcernFlag]
    # Open identifier conflicts of the child's records (openmash.linkage.conflicts): the
    # records sharing the number are left out until a screener decides.
    open_conflicts: int = 0
    # Corrections of the child's details on any of these contacts, newest first, each
    # with its person and contact loaded.
    corrections: list[PersonCorrection] = field(default_factory=list)

    @property
    def own_corrections(self) -> list[PersonCorrection]:
        """Corrections of the record the chronology is opened from."""
        return [each for each in self.corrections if each.person_id == self.person.pk]

    @property
    def early_warning(self) -> bool:
        return bool(self.concern_flags)


def a_year_before(moment: datetime) -> datetime:
    """The same time on the same date a year earlier (28 February for 29 February)."""
    local = timezone.localtime(moment, LONDON)
    day = local.date()
    try:
        earlier = day.replace(year=day.year - 1)
    except ValueError:
        earlier = date(day.year - 1, 2, 28)
    return datetime.combine(earlier, local.time(), tzinfo=LONDON)


def _scope_for(actor: Actor) -> ChronologyScope:
    user = actor.user
    if user is None or not user.has_perm("enquiries.view_child_chronology"):
        raise PermissionDenied
    if user.has_perm("enquiries.view_all_findings"):
        return ChronologyScope(all_findings=True, own_agency_id=None, screening=True)
    if user.has_perm("enquiries.view_agency_checks") and user.agency_id is not None:
        return ChronologyScope(all_findings=False, own_agency_id=user.agency_id, screening=True)
    if user.has_perm("enquiries.view_hand_on_queue"):
        return ChronologyScope(all_findings=False, own_agency_id=None, screening=False)
    raise Http404


def _in_scope(scope: ChronologyScope, contacts: list[ChronologyContact]) -> bool:
    """Whether the viewer has a need to see this child: the MASH always; a researcher
    once their agency is asked to check; early help once the child is handed to it."""
    if scope.all_findings:
        return True
    if scope.own_agency_id is not None:
        return any(
            check.agency_id == scope.own_agency_id for entry in contacts for check in entry.checks
        )
    return any(
        hand_on.team == HandOnTeam.EARLY_HELP for entry in contacts for hand_on in entry.hand_ons
    )


def _contacts(
    scope: ChronologyScope, contact_ids: set[int], person_ids: set[int]
) -> QuerySet[Contact]:
    prefetches: list[str | Prefetch[str]] = [
        "factors",
        Prefetch(
            "people",
            queryset=ContactPerson.objects.filter(pk__in=person_ids).order_by("position"),
            to_attr="child_records",
        ),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("outcome", "level_of_need", "decided_by")
            .prefetch_related("child_outcomes__outcome", "child_outcomes__level_of_need")
            .order_by("decided_at", "id"),
        ),
        Prefetch(
            "hand_ons",
            queryset=HandOn.objects.select_related("responded_by")
            .prefetch_related("children")
            .order_by("created_at", "id"),
        ),
    ]
    if scope.screening:
        findings = CheckFinding.objects.filter(person_id__in=person_ids).select_related("person")
        if not scope.all_findings:
            assert scope.own_agency_id is not None
            # The fire wall: another agency's findings are never read for a researcher.
            findings = findings.filter(agency_check__agency_id=scope.own_agency_id)
        prefetches += [
            Prefetch(
                "rag_ratings",
                queryset=RagRating.objects.select_related("level", "set_by").order_by(
                    "set_at", "id"
                ),
            ),
            Prefetch(
                "agency_checks",
                queryset=AgencyCheck.objects.select_related(
                    "agency", "requested_by", "completed_by", "completed_by_token", "waived_by"
                )
                .prefetch_related(Prefetch("findings", queryset=findings))
                .order_by("requested_at", "agency__name"),
            ),
        ]
    return (
        Contact.objects.filter(pk__in=contact_ids)
        .select_related("submitted_by_agency")
        .prefetch_related(*prefetches)
        .order_by("-received_at", "-id")
    )


def _concerning(hand_ons: Iterable[HandOn], person_ids: set[int]) -> list[HandOn]:
    """The hand-ons about this child (ADR 0022): a sibling handed on alone is not in the
    child's chronology. A hand-on naming no child (a contact that named none) is the
    contact's."""
    kept = []
    for hand_on in hand_ons:
        children = {person.pk for person in hand_on.children.all()}
        if not children or children & person_ids:
            kept.append(hand_on)
    return kept


def child_chronology_for(
    *, actor: Actor, person_id: int, now: datetime | None = None
) -> ChildChronology:
    """The child's chronology as this viewer may see it; records a read of each contact
    shown. Raises PermissionDenied without the permission, Http404 for a person who is
    not a child or does not exist, or a child outside the viewer's scope."""
    scope = _scope_for(actor)
    now = now or timezone.now()
    if not 0 < person_id <= MAX_ID:
        raise Http404
    person = ContactPerson.objects.select_related("contact").filter(pk=person_id).first()
    if person is None or person.role not in CHILD_ROLES:
        raise Http404
    records = [person, *contact_people_same_child(person)]
    person_ids = {record.pk for record in records}
    contact_ids = {record.contact_id for record in records}
    notes: dict[int, list[CaseNote]] = {}
    for note in (
        visible_notes(actor).filter(contact_id__in=contact_ids).order_by("created_at", "id")
    ):
        notes.setdefault(note.contact_id, []).append(note)
    contacts = [
        ChronologyContact(
            contact=contact,
            child_records=contact.child_records,  # type: ignore[attr-defined]
            ratings=list(contact.rag_ratings.all()) if scope.screening else [],
            checks=list(contact.agency_checks.all()) if scope.screening else [],
            decisions=list(contact.decisions.all()),
            hand_ons=_concerning(contact.hand_ons.all(), person_ids),
            notes=notes.get(contact.pk, []),
        )
        for contact in _contacts(scope, contact_ids, person_ids)
    ]
    if not _in_scope(scope, contacts):
        raise Http404
    year_ago = a_year_before(now)
    audit_record_many(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        objects=[(entry.contact.pk, entry.contact.pk) for entry in contacts],
        detail={"via": "child_chronology", "person": person.pk},
    )
    notes_audit(actor, [note for entry in contacts for note in entry.notes])
    return ChildChronology(
        person=person,
        contacts=contacts,
        scope=scope,
        now=now,
        contacts_in_12_months=sum(
            year_ago <= entry.contact.received_at <= now for entry in contacts
        ),
        concern_flags=_concern_flags(contacts, now),
        open_conflicts=open_conflicts_among(person_ids),
        corrections=list(
            PersonCorrection.objects.filter(person_id__in=person_ids)
            .select_related("corrected_by", "person__contact")
            .order_by("-corrected_at", "-id")
        ),
    )


def _concern_flags(contacts: list[ChronologyContact], now: datetime) -> list[ConcernFlag]:
    """The cumulative-concern rules that fire on the contacts shown (openmash/enquiries/
    concern.py), from what is already loaded: one query, for the rules."""
    facts = [
        ContactFacts.of(
            entry.contact,
            min((decision.decided_at for decision in entry.decisions), default=None),
        )
        for entry in contacts
    ]
    return concern_flags_in(facts, concern_rules_active(), timezone.localdate(now, LONDON))
