"""Every read of agency checks and their findings: the MASH's fire wall.

An agency's researcher (or its system's API token) sees only the checks asked of their
own agency, and only that agency's findings; another agency's check is answered as not
existing, so ids cannot be probed. Every agency's findings together are for the MASH's
screeners and managers only. Each read is audited.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404

from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.enquiries.models import (
    AgencyCheck,
    CheckFinding,
    CheckState,
    Decision,
    HandOn,
    HandOnState,
)

CHECKS_PER_PAGE = 50
# The largest id a database row can have: larger ones are not looked up at all.
MAX_ID = 2**63 - 1


def _agency_id_for(actor: Actor) -> int:
    """The agency whose checks the actor may see: the token's agency, or the signed-in
    researcher's. Anyone else has no check queue."""
    if actor.token is not None:
        if not actor.token.is_active:
            raise PermissionDenied
        return actor.token.agency_id
    user = actor.user
    if user is None or not user.has_perm("enquiries.view_agency_checks"):
        raise PermissionDenied
    if user.agency_id is None:
        raise PermissionDenied
    return user.agency_id


def _own_agency_checks(actor: Actor) -> QuerySet[AgencyCheck]:
    return AgencyCheck.objects.filter(agency_id=_agency_id_for(actor)).select_related(
        "agency", "contact__rag_level", "assigned_to", "assigned_by"
    )


def _with_children(checks: QuerySet[AgencyCheck]) -> QuerySet[AgencyCheck]:
    return checks.prefetch_related(
        Prefetch(
            "contact__people",
            queryset=ContactPerson.objects.filter(role__in=CHILD_ROLES).order_by("position"),
            to_attr="children",
        )
    )


def _audit_listed(actor: Actor, checks: list[AgencyCheck]) -> None:
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="agency_check",
        objects=[(check.pk, check.contact_id) for check in checks],
    )


def check_page_for_agency(
    *,
    actor: Actor,
    completed: bool = False,
    assigned_to_me: bool = False,
    page_number: str | int | None = None,
) -> Page:
    """One page of the checks asked of the actor's own agency; records each one shown.

    Open checks come first due first; with `completed`, the checks answered or no
    longer needed, most recent first; with `assigned_to_me`, only those a manager gave
    the signed-in researcher. Each check carries its contact, RAG level, the researcher
    it is assigned to and the children named in it.
    """
    checks = _with_children(_own_agency_checks(actor))
    if assigned_to_me:
        checks = checks.filter(assigned_to_id=actor.user.pk if actor.user else None)
    if completed:
        checks = checks.filter(state__in=[CheckState.COMPLETED, CheckState.WAIVED]).order_by(
            F("completed_at").desc(nulls_last=True), F("waived_at").desc(nulls_last=True), "-id"
        )
    else:
        checks = checks.filter(state=CheckState.REQUESTED).order_by("deadline_at", "id")
    page = Paginator(checks, CHECKS_PER_PAGE).get_page(page_number)
    _audit_listed(actor, list(page.object_list))
    return page


# --- Allocating checks (issue 13, item 4) ------------------------------------------------

# The manager's allocation queue: every open check, those nobody has, or one researcher's.
ALL, UNASSIGNED = "", "unassigned"


def _require_allocator(actor: Actor) -> None:
    user = actor.user
    if actor.token is not None or user is None or not user.has_perm("enquiries.allocate_checks"):
        raise PermissionDenied


def check_allocation_page(
    *,
    actor: Actor,
    agency_id: int,
    assigned: str = ALL,
    page_number: str | int | None = None,
) -> Page:
    """One page of the open checks asked of an agency, due first, for a MASH manager to
    allocate to the agency's researchers: all of them, those nobody has (`assigned` is
    UNASSIGNED) or one researcher's (`assigned` is their id). Records each one shown.
    PermissionDenied for anyone who may not allocate checks."""
    _require_allocator(actor)
    checks = _with_children(
        AgencyCheck.objects.filter(agency_id=agency_id, state=CheckState.REQUESTED)
        .select_related("agency", "contact__rag_level", "assigned_to")
        .order_by("deadline_at", "id")
    )
    if assigned == UNASSIGNED:
        checks = checks.filter(assigned_to__isnull=True)
    elif assigned.isdigit() and int(assigned) <= MAX_ID:
        checks = checks.filter(assigned_to_id=int(assigned))
    page = Paginator(checks, CHECKS_PER_PAGE).get_page(page_number)
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="agency_check",
        objects=[(check.pk, check.contact_id) for check in page.object_list],
        detail={"view": "allocation"},
    )
    return page


def check_for_allocation(*, actor: Actor, check_id: int) -> AgencyCheck:
    """A check, with its agency, contact, RAG level and who has it, for a MASH manager
    allocating it (no findings: allocation needs none). Records the read; Http404 if
    there is none."""
    _require_allocator(actor)
    if not 1 <= check_id <= MAX_ID:
        raise Http404
    check = (
        _with_children(AgencyCheck.objects.filter(pk=check_id))
        .select_related("agency", "contact__rag_level", "assigned_to", "assigned_by")
        .first()
    )
    if check is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="agency_check",
        object_id=check.pk,
        contact_id=check.contact_id,
        detail={"view": "allocation"},
    )
    return check


def check_get_for_agency(*, actor: Actor, check_id: int) -> AgencyCheck:
    """The check, with its contact's people and concerns and the agency's own findings,
    if it was asked of the actor's agency; records the read.

    Raises Http404 for another agency's check exactly as for one that does not exist.
    """
    if not 1 <= check_id <= MAX_ID:
        raise Http404
    check = (
        _own_agency_checks(actor)
        .filter(pk=check_id)
        .prefetch_related(
            Prefetch("contact__people", queryset=ContactPerson.objects.order_by("position")),
            "contact__factors",
            Prefetch(
                "findings",
                queryset=CheckFinding.objects.select_related("person").order_by("person__position"),
            ),
        )
        .first()
    )
    if check is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="agency_check",
        object_id=check.pk,
        contact_id=check.contact_id,
    )
    return check


def check_person_ids(*, actor: Actor, check_id: int) -> list[int]:
    """The ids of the people a check asked of the actor's agency is about, in the order
    the findings are validated (no personal data, so not audited). Http404 for another
    agency's check."""
    if not 1 <= check_id <= MAX_ID:
        raise Http404
    contact_id = (
        AgencyCheck.objects.filter(pk=check_id, agency_id=_agency_id_for(actor))
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        raise Http404
    return list(
        ContactPerson.objects.filter(contact_id=contact_id)
        .order_by("position")
        .values_list("pk", flat=True)
    )


def findings_for_contact(*, actor: Actor, contact: Contact) -> list[AgencyCheck]:
    """Every agency's check on the contact, each with its findings (people in order),
    for the MASH's screeners and managers only: anyone else, an agency researcher or an
    API token included, gets PermissionDenied (the fire wall). Records a read of each
    check. Waived and still open checks are included, with no findings."""
    user = actor.user
    if actor.token is not None or user is None or not user.has_perm("enquiries.view_all_findings"):
        raise PermissionDenied
    checks = list(
        AgencyCheck.objects.filter(contact_id=contact.pk)
        .select_related("agency", "completed_by", "completed_by_token")
        .prefetch_related(
            Prefetch(
                "findings",
                queryset=CheckFinding.objects.select_related("person").order_by("person__position"),
            )
        )
        .order_by("agency__name", "id")
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.READ,
        object_type="agency_check",
        objects=[(check.pk, check.contact_id) for check in checks],
        detail={"view": "findings"},
    )
    return checks


# --- What a referring agency's system may know about its own contact -------------------


@dataclass(frozen=True)
class ContactOutcome:
    """A contact's state and the MASH's current decision, if any: never what the
    agencies found."""

    contact: Contact
    decision: Decision | None
    # The latest hand-on not withdrawn, if any: whether the team accepted the case.
    hand_on: HandOn | None = None
    # Every hand-on not withdrawn, newest first, with the children each concerns: which
    # team is acting for which child (ADR 0022).
    hand_ons: list[HandOn] = field(default_factory=list)


def contact_outcome_for_agency(*, actor: Actor, contact_id: int) -> ContactOutcome:
    """The outcome of a contact the API token's own agency submitted; records the read.
    Http404 for any other contact, so ids cannot be probed."""
    if actor.token is None:
        raise PermissionDenied
    if not 1 <= contact_id <= MAX_ID:
        raise Http404
    contact = Contact.objects.filter(
        pk=contact_id, submitted_by_agency_id=actor.token.agency_id
    ).first()
    if contact is None:
        raise Http404
    # The current decision is the last of its chain of amendments: the one not amended.
    decision = (
        Decision.objects.filter(contact=contact, amended_by__isnull=True)
        .select_related("outcome")
        .prefetch_related("child_outcomes__outcome", "child_outcomes__person")
        .order_by("-decided_at", "-id")
        .first()
    )
    hand_ons = list(
        HandOn.objects.filter(contact=contact)
        .exclude(state=HandOnState.WITHDRAWN)
        .prefetch_related("children")
        .order_by("-created_at", "-id")
    )
    hand_on = hand_ons[0] if hand_ons else None
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
        detail={"view": "outcome"},
    )
    return ContactOutcome(contact=contact, decision=decision, hand_on=hand_on, hand_ons=hand_ons)
