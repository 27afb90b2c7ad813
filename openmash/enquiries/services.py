"""Every write in the MASH enquiry: screening, RAG ratings, agency checks, decisions,
hand-ons and feedback. Each service is one transaction that checks permission, validates,
moves the contact's state through openmash.enquiries.workflow, writes, and records its
audit event; emails are sent only once the transaction has committed.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.deadlines import check_deadline, decision_deadline, provisional_level
from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome, RagLevel
from openmash.contacts.codes import AssessmentFactor, ContactState, LawfulBasis, PrimaryNeed
from openmash.contacts.models import Contact
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.enquiries import feedback, workflow
from openmash.enquiries.models import (
    AgencyCheck,
    CheckFinding,
    CheckState,
    ClosureProposal,
    Decision,
    HandOn,
    HandOnState,
    Message,
    MessageStatus,
    ProposalState,
    RagRating,
)
from openmash.enquiries.workflow import IllegalTransition

TEXT_LIMIT = 20000
# Teams with a queue in OpenMASH; other outcomes close the contact when decided.
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)


class EnquiryInvalid(Exception):
    """The request breaks one or more rules; nothing was written. `errors` maps each
    field to a message that says how to put it right."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class ContactAlreadyTaken(Exception):
    """Another screener took the contact first; nothing was changed."""

    def __init__(self, contact: Contact) -> None:
        self.contact = contact
        who = contact.assigned_to.display_name if contact.assigned_to else "another screener"
        super().__init__(f"{contact.reference} has already been taken by {who}.")


class ChecksOutstanding(Exception):
    """A decision needs every requested check completed or waived."""

    def __init__(self, checks: Sequence[AgencyCheck]) -> None:
        self.checks = list(checks)
        names = ", ".join(check.agency.name for check in self.checks)
        super().__init__(f"Checks still outstanding from {names}: complete or waive them first.")


def _require(actor: Actor, permission: str, obj: Model | None = None) -> User:
    if actor.user is None or not actor.user.has_perm(permission, obj):
        raise PermissionDenied
    return actor.user


def _locked_contact(contact_id: int) -> Contact:
    """The contact, its row locked until the transaction ends (PostgreSQL), so two people
    acting on it at once are served one after the other."""
    return Contact.objects.select_for_update().get(pk=contact_id)


def _require_its_screener(user: User, contact: Contact) -> None:
    """While a contact is being screened only the screener who took it, or a MASH
    manager, works on it; anyone else asks them to release it (PermissionDenied)."""
    if (
        contact.state == ContactState.SCREENING
        and contact.assigned_to_id not in (None, user.pk)
        and not user.has_perm("enquiries.manage_screening")
    ):
        raise PermissionDenied


def _text(errors: dict[str, str], field: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = message
    elif len(value) > TEXT_LIMIT:
        errors[field] = f"Enter {TEXT_LIMIT:,} characters or fewer"
    elif "\x00" in value:
        errors[field] = "Remove the invisible control characters"
    return value


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise EnquiryInvalid(errors)


def _audit(
    actor: Actor, action: str, object_type: str, obj: object, contact: Contact, **detail: object
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction(action),
        object_type=object_type,
        object_id=getattr(obj, "pk", obj),
        contact_id=contact.pk,
        detail=dict(detail),
    )


# --- Screening -------------------------------------------------------------------------


@transaction.atomic
def contact_take(*, actor: Actor, contact_id: int, now: datetime | None = None) -> Contact:
    """Assign a received contact to the screener taking it. Exactly one of two screeners
    taking it at once succeeds; the other gets ContactAlreadyTaken and nothing changes."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    taken = Contact.objects.filter(
        pk=contact_id, state=ContactState.RECEIVED, assigned_to__isnull=True
    ).update(state=ContactState.SCREENING, assigned_to=user, assigned_at=now)
    contact = Contact.objects.select_related("assigned_to").get(pk=contact_id)
    if not taken:
        if contact.assigned_to_id is not None:
            raise ContactAlreadyTaken(contact)
        raise IllegalTransition(contact, ContactState.SCREENING)
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="taken for screening")
    return contact


@transaction.atomic
def contact_release(*, actor: Actor, contact_id: int) -> Contact:
    """Give a contact being screened back to the queue (the screener is going off shift)."""
    user = _require(actor, "enquiries.screen_contact")
    contact = _locked_contact(contact_id)
    if contact.assigned_to_id not in (None, user.pk) and not user.has_perm(
        "enquiries.manage_screening"
    ):
        raise PermissionDenied
    workflow.move(contact, ContactState.RECEIVED)
    contact.assigned_to = None
    contact.assigned_at = None
    contact.save(update_fields=["state", "assigned_to", "assigned_at"])
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="released")
    return contact


def _active_level(errors: dict[str, str], code: str) -> RagLevel | None:
    level = RagLevel.objects.filter(code=code, active=True).first()
    if level is None:
        errors["rag"] = "Select a RAG rating"
    return level


@transaction.atomic
def contact_rate(
    *,
    actor: Actor,
    contact_id: int,
    rag: str,
    rationale: str,
    now: datetime | None = None,
) -> RagRating:
    """Set or re-grade the contact's RAG rating. The first rating needs a rationale; a
    re-grade needs the reason for it. The contact's deadline, counted from when it was
    received, moves with the rating, and so do its open checks' deadlines; every rating
    stays in the history. A case returned to the MASH by the team it was handed to has
    its deadline counted from the return instead (see hand_on_return)."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    if contact.state not in workflow.OPEN_STATES or contact.state == ContactState.RECEIVED:
        raise IllegalTransition(
            contact,
            contact.state,
            f"{contact.reference} is {contact.get_state_display().lower()}: "
            + (
                "take it for screening before rating it."
                if contact.state == ContactState.RECEIVED
                else "its rating can no longer be changed."
            ),
        )
    is_regrade = contact.rag_ratings.exists()
    errors: dict[str, str] = {}
    level = _active_level(errors, rag)
    rationale = _text(
        errors,
        "rationale",
        rationale,
        "Enter the reason for changing the rating"
        if is_regrade
        else "Enter the rationale for the rating",
    )
    if level is not None and is_regrade and contact.rag_level_id == level.pk:
        errors["rag"] = (
            f"The contact is already rated {level.label.lower()}: select a different rating"
        )
    _raise_if(errors)
    assert level is not None
    deadline = decision_deadline(received_at=_deadline_runs_from(contact), level=level)
    rating = RagRating.objects.create(
        contact=contact,
        level=level,
        rationale=rationale,
        is_regrade=is_regrade,
        deadline_at=deadline,
        set_by=user,
        set_at=now,
    )
    contact.rag_level = level
    contact.deadline_at = deadline
    contact.save(update_fields=["rag_level", "deadline_at"])
    for check in contact.agency_checks.filter(state=CheckState.REQUESTED):
        check.deadline_at = check_deadline(requested_at=check.requested_at, level=level)
        check.save(update_fields=["deadline_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "contact",
        contact,
        contact,
        change="re-graded" if is_regrade else "rated",
        rag=level.code,
    )
    return rating


def _require_rated(contact: Contact) -> None:
    if contact.rag_level_id is None or not contact.rag_ratings.exists():
        raise EnquiryInvalid({"rag": "Rate the contact before deciding what happens next"})


def _request_checks(
    actor: Actor, user: User, contact: Contact, agencies: Iterable[Agency], now: datetime
) -> list[AgencyCheck]:
    level = contact.rag_level
    assert level is not None
    already = set(contact.agency_checks.values_list("agency_id", flat=True))
    checks = []
    for agency in agencies:
        if agency.pk in already:
            continue
        check = AgencyCheck.objects.create(
            contact=contact,
            agency=agency,
            requested_by=user,
            requested_at=now,
            deadline_at=check_deadline(requested_at=now, level=level),
        )
        _audit(actor, AuditAction.CREATE, "agency_check", check, contact, agency=agency.slug)
        checks.append(check)
    return checks


def _agencies(errors: dict[str, str], agency_ids: Iterable[int]) -> list[Agency]:
    ids = {int(pk) for pk in agency_ids}
    agencies = list(Agency.objects.filter(pk__in=ids, is_mash_partner=True).order_by("name"))
    if len(agencies) != len(ids):
        errors["agencies"] = "Select agencies from the list of MASH partners"
    return agencies


@transaction.atomic
def enquiry_open(
    *, actor: Actor, contact_id: int, agency_ids: Iterable[int], now: datetime | None = None
) -> list[AgencyCheck]:
    """Open a MASH enquiry on a rated contact and ask the chosen agencies to check their
    records, each by the deadline its RAG rating sets. With no agencies chosen the
    contact goes straight to the manager for a decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    agencies = _agencies(errors, agency_ids)
    _raise_if(errors)
    to = ContactState.CHECKS_IN_PROGRESS if agencies else ContactState.AWAITING_DECISION
    # Only from screening: the workflow also allows these moves for a returned hand-on or
    # more checks, which must not be reached by opening an enquiry again.
    if contact.state != ContactState.SCREENING:
        raise IllegalTransition(contact, to)
    workflow.move(contact, to)
    contact.save(update_fields=["state"])
    checks = _request_checks(actor, user, contact, agencies, now)
    _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="enquiry opened")
    return checks


@transaction.atomic
def checks_request_more(
    *, actor: Actor, contact_id: int, agency_ids: Iterable[int], now: datetime | None = None
) -> list[AgencyCheck]:
    """Ask more agencies to check, on an enquiry already open."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    agencies = _agencies(errors, agency_ids)
    if not agencies and "agencies" not in errors:
        errors["agencies"] = "Select at least one agency to ask"
    _raise_if(errors)
    # Agencies already asked are skipped; with none new the contact stays where it is (a
    # contact moved to checks in progress with no check open could never be decided).
    already = set(contact.agency_checks.values_list("agency_id", flat=True))
    if all(agency.pk in already for agency in agencies):
        return []
    if contact.state != ContactState.CHECKS_IN_PROGRESS:
        workflow.move(contact, ContactState.CHECKS_IN_PROGRESS)
        contact.save(update_fields=["state"])
    return _request_checks(actor, user, contact, agencies, now)


@transaction.atomic
def closure_propose(
    *, actor: Actor, contact_id: int, outcome: str, rationale: str, now: datetime | None = None
) -> ClosureProposal:
    """Propose closing a rated contact at screening (no further action, or information
    and advice). It goes to a MASH manager, whose agreement records the decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    _require_rated(contact)
    errors: dict[str, str] = {}
    chosen = Outcome.objects.filter(code=outcome, active=True, closes_at_screening=True).first()
    if chosen is None:
        errors["outcome"] = "Select no further action or information and advice"
    rationale = _text(errors, "rationale", rationale, "Enter why the contact can be closed")
    _raise_if(errors)
    assert chosen is not None
    # Only from screening: not while checks run, nor once the contact has been handed on.
    if contact.state != ContactState.SCREENING:
        raise IllegalTransition(contact, ContactState.AWAITING_DECISION)
    workflow.move(contact, ContactState.AWAITING_DECISION)
    contact.save(update_fields=["state"])
    proposal = ClosureProposal.objects.create(
        contact=contact, outcome=chosen, rationale=rationale, proposed_by=user, proposed_at=now
    )
    _audit(actor, AuditAction.CREATE, "closure_proposal", proposal, contact, outcome=chosen.code)
    return proposal


@transaction.atomic
def closure_decline(
    *, actor: Actor, proposal_id: int, reason: str, now: datetime | None = None
) -> ClosureProposal:
    """A manager does not agree to close at screening: it goes back to the screener."""
    user = _require(actor, "enquiries.decide")
    now = now or timezone.now()
    proposal = ClosureProposal.objects.get(pk=proposal_id)
    contact = _locked_contact(proposal.contact_id)
    proposal.refresh_from_db()
    if proposal.state != ProposalState.PROPOSED:
        raise IllegalTransition(contact, contact.state, "This proposal has already been answered.")
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why the contact should not be closed")
    _raise_if(errors)
    workflow.move(contact, ContactState.SCREENING)
    contact.save(update_fields=["state"])
    proposal.state = ProposalState.DECLINED
    proposal.responded_by = user
    proposal.responded_at = now
    proposal.response_reason = reason
    proposal.save(update_fields=["state", "responded_by", "responded_at", "response_reason"])
    _audit(actor, AuditAction.UPDATE, "closure_proposal", proposal, contact, change="declined")
    return proposal


@transaction.atomic
def contact_pass_to_allocated_worker(
    *,
    actor: Actor,
    contact_id: int,
    allocated_worker: str,
    rationale: str,
    now: datetime | None = None,
) -> Decision:
    """The child already has an allocated social worker: the contact goes to them and
    leaves the MASH, recorded as an 'already open' decision."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    _require_its_screener(user, contact)
    errors: dict[str, str] = {}
    worker = _text(
        errors, "allocated_worker", allocated_worker, "Enter the allocated worker's name"
    )
    if len(worker) > 200:  # HandOn.allocated_worker and Decision.receiving_team hold 200
        errors["allocated_worker"] = "Enter 200 characters or fewer"
    rationale = _text(errors, "rationale", rationale, "Enter what you have passed on and why")
    outcome = Outcome.objects.filter(hand_on_to=HandOnTeam.ALLOCATED_WORKER, active=True).first()
    if outcome is None:
        errors["allocated_worker"] = (
            "The area has no 'already open' outcome: ask an administrator to add one"
        )
    _raise_if(errors)
    assert outcome is not None
    workflow.move(contact, ContactState.HANDED_ON)
    contact.closed_at = now
    contact.save(update_fields=["state", "closed_at"])
    decision = Decision.objects.create(
        contact=contact,
        level_of_need=None,
        outcome=outcome,
        factor_codes=contact.factor_codes,
        primary_need=PrimaryNeed.N0,
        rationale=rationale,
        receiving_team=worker,
        decided_by=user,
        decided_at=now,
    )
    HandOn.objects.create(
        contact=contact,
        decision=decision,
        team=HandOnTeam.ALLOCATED_WORKER,
        state=HandOnState.ACCEPTED,
        allocated_worker=worker,
        created_at=now,
        responded_by=user,
        responded_at=now,
    )
    _audit(actor, AuditAction.CREATE, "decision", decision, contact, outcome=outcome.code)
    feedback.outcome_to_referrer(contact=contact, decision=decision, now=now)
    return decision


# --- Agency checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class FindingInput:
    """What an agency records about one person in the contact."""

    person_id: int
    known: bool | None
    summary: str = ""
    risk_indicators: str = ""
    last_involvement_on: date | None = None
    lawful_basis: str = ""
    restricted_information: str = ""
    summary_restricted: bool = False


def _check_for_agency(actor: Actor, check_id: int) -> AgencyCheck:
    """The check, if the actor's agency owns it. Another agency's check is reported as
    not existing, so ids cannot be probed (the fire wall)."""
    agency_id = actor.agency_id
    found = (
        AgencyCheck.objects.filter(pk=check_id, agency_id=agency_id).values_list(
            "contact_id", flat=True
        )
        if agency_id is not None
        else None
    )
    contact_id = found.first() if found is not None else None
    if contact_id is None:
        raise AgencyCheck.DoesNotExist(f"No check {check_id} for this agency.")
    # Locks in one order everywhere, the contact first, so two people cannot deadlock.
    _locked_contact(contact_id)
    return AgencyCheck.objects.select_for_update().get(pk=check_id)


def _finding_errors(
    findings: Sequence[FindingInput], person_ids: list[int], today: date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    by_person = {finding.person_id: finding for finding in findings}
    for index, person_id in enumerate(person_ids):
        prefix = f"findings-{index}"
        finding = by_person.get(person_id)
        if finding is None or finding.known is None:
            errors[f"{prefix}-known"] = "Select whether the person is known to your agency"
            continue
        if finding.known and not finding.summary.strip():
            errors[f"{prefix}-summary"] = "Enter a summary of what your agency knows"
        if not finding.lawful_basis or finding.lawful_basis not in LawfulBasis.values:
            errors[f"{prefix}-lawful_basis"] = "Select the lawful basis for sharing"
        if finding.last_involvement_on is not None and finding.last_involvement_on > today:
            errors[f"{prefix}-last_involvement_on"] = (
                "Date of most recent involvement must be today or in the past"
            )
        for field in ("summary", "risk_indicators", "restricted_information"):
            value = getattr(finding, field)
            if len(value) > TEXT_LIMIT:
                errors[f"{prefix}-{field}"] = f"Enter {TEXT_LIMIT:,} characters or fewer"
            elif "\x00" in value:
                errors[f"{prefix}-{field}"] = "Remove the invisible control characters"
    unknown = set(by_person) - set(person_ids)
    if unknown:
        errors["findings"] = "Record findings only for the people in this contact"
    elif len(by_person) != len(findings):
        # Two findings for one person would break one_finding_per_person at the database.
        errors["findings"] = "Record one finding for each person"
    return errors


def _complete_if_all_checks_done(actor: Actor, contact: Contact) -> None:
    if contact.state != ContactState.CHECKS_IN_PROGRESS:
        return
    if not contact.agency_checks.filter(state=CheckState.REQUESTED).exists():
        workflow.move(contact, ContactState.AWAITING_DECISION)
        contact.save(update_fields=["state"])
        _audit(actor, AuditAction.UPDATE, "contact", contact, contact, change="checks complete")


@transaction.atomic
def check_record_findings(
    *,
    actor: Actor,
    check_id: int,
    findings: Sequence[FindingInput],
    now: datetime | None = None,
) -> AgencyCheck:
    """Record the agency's findings, one per person in the contact, and complete the
    check. Only the agency asked may answer (a researcher or its system's API token);
    another agency's check raises AgencyCheck.DoesNotExist. When the last open check is
    answered the contact goes to the manager for a decision."""
    if actor.token is None:
        _require(actor, "enquiries.record_findings")
    now = now or timezone.now()
    check = _check_for_agency(actor, check_id)
    contact = _locked_contact(check.contact_id)
    if check.state != CheckState.REQUESTED or contact.state not in (
        ContactState.CHECKS_IN_PROGRESS,
        ContactState.AWAITING_DECISION,
    ):
        raise IllegalTransition(
            contact,
            contact.state,
            f"This check is {check.get_state_display().lower()}"
            + (
                ""
                if check.state != CheckState.REQUESTED
                else f" and {contact.reference} is {contact.get_state_display().lower()}"
            )
            + ": findings can no longer be recorded.",
        )
    person_ids = list(contact.people.order_by("position").values_list("pk", flat=True))
    _raise_if(_finding_errors(findings, person_ids, timezone.localdate(now)))
    CheckFinding.objects.bulk_create(
        CheckFinding(
            agency_check=check,
            person_id=finding.person_id,
            known=bool(finding.known),
            summary=finding.summary.strip() if finding.known else "",
            risk_indicators=finding.risk_indicators.strip() if finding.known else "",
            last_involvement_on=finding.last_involvement_on if finding.known else None,
            lawful_basis=finding.lawful_basis,
            restricted_information=finding.restricted_information.strip(),
            summary_restricted=finding.summary_restricted,
        )
        for finding in findings
    )
    check.state = CheckState.COMPLETED
    check.completed_by = actor.user
    check.completed_by_token = actor.token
    check.completed_at = now
    check.save(update_fields=["state", "completed_by", "completed_by_token", "completed_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "agency_check",
        check,
        contact,
        change="findings recorded",
        known=sum(1 for finding in findings if finding.known),
    )
    _complete_if_all_checks_done(actor, contact)
    return check


@transaction.atomic
def check_waive(
    *, actor: Actor, check_id: int, reason: str, now: datetime | None = None
) -> AgencyCheck:
    """The MASH decides it no longer needs an agency's check, with the reason."""
    user = _require(actor, "enquiries.screen_contact")
    now = now or timezone.now()
    contact = _locked_contact(
        AgencyCheck.objects.values_list("contact_id", flat=True).get(pk=check_id)
    )
    check = AgencyCheck.objects.select_for_update().select_related("agency").get(pk=check_id)
    if check.state != CheckState.REQUESTED:
        raise IllegalTransition(
            contact,
            contact.state,
            f"The {check.agency.name} check is already {check.get_state_display().lower()}.",
        )
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why this check is no longer needed")
    _raise_if(errors)
    check.state = CheckState.WAIVED
    check.waived_by = user
    check.waived_at = now
    check.waive_reason = reason
    check.save(update_fields=["state", "waived_by", "waived_at", "waive_reason"])
    _audit(actor, AuditAction.UPDATE, "agency_check", check, contact, change="waived")
    _complete_if_all_checks_done(actor, contact)
    return check


# --- Decisions and hand-on -------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    level_of_need: int | None
    outcome: str
    factor_codes: Sequence[str]
    primary_need: str
    rationale: str
    receiving_team: str = ""


def _decision_fields(
    errors: dict[str, str], data: DecisionInput
) -> tuple[LevelOfNeed | None, Outcome | None, list[str], str]:
    level = (
        LevelOfNeed.objects.filter(number=data.level_of_need).first()
        if data.level_of_need is not None
        else None
    )
    if level is None:
        errors["level_of_need"] = "Select the level of need"
    outcome = Outcome.objects.filter(code=data.outcome, active=True).first()
    if outcome is None or outcome.hand_on_to == HandOnTeam.ALLOCATED_WORKER:
        errors["outcome"] = "Select the outcome"
    codes = list(dict.fromkeys(data.factor_codes))
    if not codes:
        errors["factor_codes"] = "Select at least one assessment factor"
    elif set(codes) - set(AssessmentFactor.values):
        errors["factor_codes"] = "Select assessment factors from the list"
    if data.primary_need not in PrimaryNeed.values:
        errors["primary_need"] = "Select the primary need code"
    rationale = _text(errors, "rationale", data.rationale, "Enter the rationale for the decision")
    if len(data.receiving_team) > 200:
        errors["receiving_team"] = "Enter 200 characters or fewer"
    if (
        outcome is not None
        and outcome.hand_on_to not in ("", HandOnTeam.ALLOCATED_WORKER)
        and not data.receiving_team.strip()
    ):
        errors["receiving_team"] = "Enter the team that will receive the case"
    return level, outcome, codes, rationale


def _hand_on(contact: Contact, decision: Decision, now: datetime) -> HandOn | None:
    """Pass the decided contact on: to a team's queue, or close it."""
    team = decision.outcome.hand_on_to
    if team in QUEUED_TEAMS:
        workflow.move(contact, ContactState.HANDED_ON)
        hand_on = HandOn.objects.create(
            contact=contact, decision=decision, team=team, created_at=now
        )
    else:
        workflow.move(contact, ContactState.CLOSED)
        hand_on = None
    contact.closed_at = now
    contact.save(update_fields=["state", "closed_at"])
    return hand_on


@transaction.atomic
def decision_record(
    *, actor: Actor, contact_id: int, data: DecisionInput, now: datetime | None = None
) -> Decision:
    """The MASH manager's decision. Needs every requested check completed or waived
    (ChecksOutstanding otherwise). Final: a second decision on the same contact raises
    IllegalTransition and writes nothing, even when two managers press the button at the
    same moment (the contact's row is locked, and the database allows one original
    decision per contact). Hands the case on, and tells the referrer."""
    user = _require(actor, "enquiries.decide")
    now = now or timezone.now()
    contact = _locked_contact(contact_id)
    if contact.decisions.exists():
        raise IllegalTransition(contact, ContactState.DECIDED)
    outstanding = list(
        contact.agency_checks.filter(state=CheckState.REQUESTED).select_related("agency")
    )
    if outstanding and contact.state in (
        ContactState.CHECKS_IN_PROGRESS,
        ContactState.AWAITING_DECISION,
    ):
        raise ChecksOutstanding(outstanding)
    if not workflow.can_move(contact, ContactState.DECIDED):
        raise IllegalTransition(contact, ContactState.DECIDED)
    errors: dict[str, str] = {}
    level, outcome, codes, rationale = _decision_fields(errors, data)
    _raise_if(errors)
    assert outcome is not None
    workflow.move(contact, ContactState.DECIDED)
    proposal = contact.closure_proposals.filter(state=ProposalState.PROPOSED).first()
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                contact=contact,
                level_of_need=level,
                outcome=outcome,
                factor_codes=codes,
                primary_need=data.primary_need,
                rationale=rationale,
                receiving_team=data.receiving_team.strip(),
                decided_by=user,
                decided_at=now,
                closure_proposal=proposal
                if proposal and proposal.outcome_id == outcome.pk
                else None,
            )
    except IntegrityError as error:
        contact.refresh_from_db()
        raise IllegalTransition(contact, ContactState.DECIDED) from error
    if proposal is not None:
        proposal.state = (
            ProposalState.AGREED if proposal.outcome_id == outcome.pk else ProposalState.DECLINED
        )
        proposal.responded_by = user
        proposal.responded_at = now
        proposal.save(update_fields=["state", "responded_by", "responded_at"])
    _hand_on(contact, decision, now)
    _audit(actor, AuditAction.CREATE, "decision", decision, contact, outcome=outcome.code)
    feedback.outcome_to_referrer(contact=contact, decision=decision, now=now)
    return decision


@transaction.atomic
def closure_agree(
    *,
    actor: Actor,
    proposal_id: int,
    level_of_need: int,
    primary_need: str,
    now: datetime | None = None,
) -> Decision:
    """A manager agrees to close at screening: records the decision with the screener's
    outcome and rationale."""
    proposal = ClosureProposal.objects.select_related("outcome").get(pk=proposal_id)
    if proposal.state != ProposalState.PROPOSED:
        contact = Contact.objects.get(pk=proposal.contact_id)
        raise IllegalTransition(contact, contact.state, "This proposal has already been answered.")
    contact = Contact.objects.get(pk=proposal.contact_id)
    return decision_record(
        actor=actor,
        contact_id=proposal.contact_id,
        data=DecisionInput(
            level_of_need=level_of_need,
            outcome=proposal.outcome.code,
            factor_codes=contact.factor_codes,
            primary_need=primary_need,
            rationale=proposal.rationale,
        ),
        now=now,
    )


@transaction.atomic
def decision_amend(
    *,
    actor: Actor,
    decision_id: int,
    data: DecisionInput,
    reason: str,
    now: datetime | None = None,
) -> Decision:
    """Amend the current decision with a reason; the original stays as it was. If the
    amended outcome goes to a different team (or the case was returned to the MASH), the
    case is handed on again and the referrer told."""
    user = _require(actor, "enquiries.decide")
    now = now or timezone.now()
    original = Decision.objects.select_related("outcome").get(pk=decision_id)
    contact = _locked_contact(original.contact_id)
    if Decision.objects.filter(amends=original).exists():
        raise IllegalTransition(
            contact, contact.state, "That decision has already been amended: amend the latest one."
        )
    errors: dict[str, str] = {}
    level, outcome, codes, rationale = _decision_fields(errors, data)
    reason = _text(errors, "amendment_reason", reason, "Enter the reason for the amendment")
    _raise_if(errors)
    assert outcome is not None
    amendment = Decision.objects.create(
        contact=contact,
        level_of_need=level,
        outcome=outcome,
        factor_codes=codes,
        primary_need=data.primary_need,
        rationale=rationale,
        receiving_team=data.receiving_team.strip(),
        decided_by=user,
        decided_at=now,
        amends=original,
        amendment_reason=reason,
    )
    returned = contact.state == ContactState.AWAITING_DECISION
    if returned or outcome.hand_on_to != original.outcome.hand_on_to:
        # Whatever still waits with the old team is withdrawn, and the case is handed on
        # afresh (or closed) under the amended decision.
        HandOn.objects.filter(contact=contact, state=HandOnState.PENDING).update(
            state=HandOnState.WITHDRAWN, responded_at=now
        )
        workflow.move(contact, ContactState.DECIDED)
        _hand_on(contact, amendment, now)
    # The referrer hears of any change of outcome, even one that stays with the same team
    # (a section 17 assessment becoming a section 47 enquiry).
    if returned or outcome.pk != original.outcome_id:
        feedback.outcome_to_referrer(contact=contact, decision=amendment, now=now)
    _audit(actor, AuditAction.CREATE, "decision", amendment, contact, amends=original.pk)
    return amendment


def _hand_on_for(actor: Actor, hand_on_id: int) -> tuple[User, HandOn]:
    # The contact is locked before the hand-on, the order every service uses.
    _locked_contact(HandOn.objects.values_list("contact_id", flat=True).get(pk=hand_on_id))
    hand_on = HandOn.objects.select_for_update().get(pk=hand_on_id)
    user = _require(actor, "enquiries.respond_to_hand_on", hand_on)
    if hand_on.state != HandOnState.PENDING:
        contact = Contact.objects.get(pk=hand_on.contact_id)
        raise IllegalTransition(
            contact,
            contact.state,
            f"This case has already been {hand_on.get_state_display().lower()}.",
        )
    return user, hand_on


@transaction.atomic
def hand_on_accept(
    *, actor: Actor, hand_on_id: int, allocated_worker: str = "", now: datetime | None = None
) -> HandOn:
    """The receiving team accepts the case (optionally naming the worker allocated)."""
    user, hand_on = _hand_on_for(actor, hand_on_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if len(allocated_worker) > 200:
        errors["allocated_worker"] = "Enter 200 characters or fewer"
    _raise_if(errors)
    hand_on.state = HandOnState.ACCEPTED
    hand_on.allocated_worker = allocated_worker.strip()
    hand_on.responded_by = user
    hand_on.responded_at = now
    hand_on.save(update_fields=["state", "allocated_worker", "responded_by", "responded_at"])
    contact = Contact.objects.get(pk=hand_on.contact_id)
    _audit(actor, AuditAction.UPDATE, "hand_on", hand_on, contact, change="accepted")
    return hand_on


def _deadline_runs_from(contact: Contact) -> datetime:
    """When an open contact's decision deadline is counted from: its receipt, or the
    latest return of a case the team it was handed to sent back."""
    returned_at = (
        HandOn.objects.filter(contact=contact, state=HandOnState.RETURNED)
        .order_by("-responded_at", "-id")
        .values_list("responded_at", flat=True)
        .first()
    )
    return returned_at or contact.received_at


def _deadline_from_return(contact: Contact, returned_at: datetime) -> datetime | None:
    """A returned case's decision deadline: the area's timescale for the contact's RAG
    rating, counted from the return as a first rating counts it from receipt (clock or
    working hours as the area configures the level)."""
    level = contact.rag_level or provisional_level(immediate_risk=contact.immediate_risk)
    if level is None:
        return contact.deadline_at
    return decision_deadline(received_at=returned_at, level=level)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@transaction.atomic
def hand_on_return(
    *, actor: Actor, hand_on_id: int, reason: str, now: datetime | None = None
) -> HandOn:
    """The receiving team returns the case to the MASH with a reason; it waits for the
    manager to amend the decision by a new deadline, counted from the return (the one
    counted from receipt has usually passed, and would make the case overdue at once).
    The audit event keeps the old and the new deadline."""
    user, hand_on = _hand_on_for(actor, hand_on_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why you are returning the case")
    _raise_if(errors)
    contact = _locked_contact(hand_on.contact_id)
    workflow.move(contact, ContactState.AWAITING_DECISION)
    old_deadline = contact.deadline_at
    contact.deadline_at = _deadline_from_return(contact, now)
    contact.closed_at = None
    contact.save(update_fields=["state", "closed_at", "deadline_at"])
    hand_on.state = HandOnState.RETURNED
    hand_on.return_reason = reason
    hand_on.responded_by = user
    hand_on.responded_at = now
    hand_on.save(update_fields=["state", "return_reason", "responded_by", "responded_at"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "hand_on",
        hand_on,
        contact,
        change="returned",
        old_deadline=_iso(old_deadline),
        new_deadline=_iso(contact.deadline_at),
    )
    return hand_on


# --- Emails ----------------------------------------------------------------------------


class MessageNotRetryable(Exception):
    """The email is not one that failed (it has been sent, or is being sent); nothing was
    changed."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(
            "This email has been sent."
            if message.status == MessageStatus.SENT
            else "This email is being sent now."
        )


@transaction.atomic
def message_retry(*, actor: Actor, message_id: int, now: datetime | None = None) -> Message:
    """A MASH manager tries again to send an email the mail server did not take. The
    attempt is made once this transaction commits and counts towards the limit of
    attempts; it never raises for the mail server (the message records how it went).
    Raises MessageNotRetryable unless the message has failed."""
    _require(actor, "enquiries.retry_message")
    now = now or timezone.now()
    contact_id = Message.objects.values_list("contact_id", flat=True).get(pk=message_id)
    contact = _locked_contact(contact_id)
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.status != MessageStatus.FAILED:
        raise MessageNotRetryable(message)
    feedback.message_requeue(message=message, now=now)
    _audit(
        actor,
        AuditAction.UPDATE,
        "message",
        message,
        contact,
        change="sending tried again",
        attempts=message.attempts,
    )
    return message
