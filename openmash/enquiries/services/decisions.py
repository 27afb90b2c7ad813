"""Decisions: the MASH manager's decision on a contact (or agreement to a screener's
proposal to close it), and amendments to it, each handing the case on and telling the
referrer."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome
from openmash.contacts.codes import AssessmentFactor, ContactState, PrimaryNeed
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.enquiries import workflow
from openmash.enquiries.models import (
    CheckFinding,
    CheckState,
    ClosureProposal,
    Decision,
    HandOn,
    HandOnState,
    ProposalState,
)
from openmash.enquiries.outcome_feedback import outcome_to_referrer
from openmash.enquiries.services.guards import (
    TEXT_LIMIT,
    ChecksOutstanding,
    _audit,
    _locked_contact,
    _raise_if,
    _require,
    _text,
)
from openmash.enquiries.services.hand_ons import _hand_on
from openmash.enquiries.summary import (
    crossing_record,
    is_released,
    quotes_any,
    shared_finding,
    withheld_texts,
)
from openmash.enquiries.workflow import IllegalTransition


@dataclass(frozen=True)
class DecisionInput:
    level_of_need: int | None
    outcome: str
    factor_codes: Sequence[str]
    primary_need: str
    rationale: str
    receiving_team: str = ""
    # The MASH summary for the receiving team (see openmash.enquiries.summary).
    summary: str = ""
    worker_risks: str = ""
    # Only if the manager deliberately ticks it: the rationale otherwise stays in the MASH.
    share_rationale: bool = False
    # Released findings (CheckFinding ids) to pass on, each as its agency released it.
    shared_finding_ids: Sequence[int] = ()


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


def _summary_fields(
    errors: dict[str, str], contact: Contact, data: DecisionInput, rationale: str
) -> tuple[str, str, list[dict[str, object]]]:
    """The MASH summary, checked against the fire wall: only findings their agency
    released, and no text of a finding (or part of one) that was not released, in the
    summary, the risks to workers, or a rationale the manager chose to share."""
    summary = (data.summary or "").strip()
    worker_risks = (data.worker_risks or "").strip()
    for field, value in (("summary", summary), ("worker_risks", worker_risks)):
        if len(value) > TEXT_LIMIT:
            errors[field] = f"Enter {TEXT_LIMIT:,} characters or fewer"
        elif "\x00" in value:
            errors[field] = "Remove the invisible control characters"
    findings = list(
        CheckFinding.objects.filter(agency_check__contact=contact).select_related(
            "agency_check__agency", "person"
        )
    )
    wanted = set(data.shared_finding_ids)
    released = {finding.pk: finding for finding in findings if is_released(finding)}
    if wanted - set(released):
        errors["shared_finding_ids"] = "Select only findings their agency released for sharing"
    withheld = withheld_texts(findings)
    quoted = (
        ("summary", summary, "The summary"),
        ("worker_risks", worker_risks, "The risks to workers"),
        *((("share_rationale", rationale, "The rationale"),) if data.share_rationale else ()),
    )
    for field, value, what in quoted:
        if field not in errors and quotes_any(value, withheld):
            errors[field] = (
                f"{what} repeats a finding its agency did not release to the receiving "
                "team: remove it"
            )
    shared = [shared_finding(released[pk]) for pk in sorted(wanted & set(released))]
    return summary, worker_risks, shared


def _decision_create(
    contact: Contact,
    user: User,
    now: datetime,
    data: DecisionInput,
    checked: tuple[LevelOfNeed | None, Outcome, list[str], str],
    composed: tuple[str, str, list[dict[str, object]]],
    *,
    closure_proposal: ClosureProposal | None = None,
    amends: Decision | None = None,
    amendment_reason: str = "",
) -> Decision:
    """Write a decision (or an amendment of one) from what _decision_fields checked."""
    level, outcome, codes, rationale = checked
    summary, worker_risks, shared = composed
    return Decision.objects.create(
        contact=contact,
        level_of_need=level,
        outcome=outcome,
        factor_codes=codes,
        primary_need=data.primary_need,
        rationale=rationale,
        receiving_team=data.receiving_team.strip(),
        decided_by=user,
        decided_at=now,
        closure_proposal=closure_proposal,
        amends=amends,
        amendment_reason=amendment_reason,
        summary=summary,
        worker_risks=worker_risks,
        rationale_shared=data.share_rationale,
        shared_findings=shared,
    )


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
    composed = _summary_fields(errors, contact, data, rationale)
    _raise_if(errors)
    assert outcome is not None
    workflow.move(contact, ContactState.DECIDED)
    proposal = contact.closure_proposals.filter(state=ProposalState.PROPOSED).first()
    try:
        with transaction.atomic():
            decision = _decision_create(
                contact,
                user,
                now,
                data,
                (level, outcome, codes, rationale),
                composed,
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
    publish(EventKind.DECISION_RECORDED, decision)
    _hand_on(actor, contact, decision, now)
    _audit(actor, AuditAction.CREATE, "decision", decision, contact, outcome=outcome.code)
    outcome_to_referrer(contact=contact, decision=decision, now=now)
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


def _hand_on_amended(actor: Actor, contact: Contact, amendment: Decision) -> None:
    """An amendment that leaves the case with the same team: the team's hand-on now
    carries the amended decision, so it sees the amended MASH summary; the audit log
    records what crossed this time."""
    hand_on = (
        HandOn.objects.filter(
            contact=contact, state__in=(HandOnState.PENDING, HandOnState.ACCEPTED)
        )
        .exclude(team=HandOnTeam.ALLOCATED_WORKER)
        .order_by("-created_at", "-id")
        .first()
    )
    if hand_on is None:
        return
    hand_on.decision = amendment
    hand_on.save(update_fields=["decision"])
    _audit(
        actor,
        AuditAction.UPDATE,
        "hand_on",
        hand_on,
        contact,
        change="summary amended",
        shared=crossing_record(amendment, hand_on.team),
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
    composed = _summary_fields(errors, contact, data, rationale)
    reason = _text(errors, "amendment_reason", reason, "Enter the reason for the amendment")
    _raise_if(errors)
    assert outcome is not None
    amendment = _decision_create(
        contact,
        user,
        now,
        data,
        (level, outcome, codes, rationale),
        composed,
        amends=original,
        amendment_reason=reason,
    )
    returned = contact.state == ContactState.AWAITING_DECISION
    if returned or outcome.hand_on_to != original.outcome.hand_on_to:
        # Whatever still waits with the old team is withdrawn, and the case is handed on
        # afresh (or closed) under the amended decision.
        withdrawn = list(
            HandOn.objects.select_for_update().filter(contact=contact, state=HandOnState.PENDING)
        )
        for hand_on in withdrawn:
            hand_on.state = HandOnState.WITHDRAWN
            hand_on.responded_at = now
            hand_on.save(update_fields=["state", "responded_at"])
            publish(EventKind.HAND_ON_WITHDRAWN, hand_on)
        workflow.move(contact, ContactState.DECIDED)
        publish(EventKind.DECISION_AMENDED, amendment)
        _hand_on(actor, contact, amendment, now)
    else:
        publish(EventKind.DECISION_AMENDED, amendment)
        _hand_on_amended(actor, contact, amendment)
    # The referrer hears of any change of outcome, even one that stays with the same team
    # (a section 17 assessment becoming a section 47 enquiry).
    if returned or outcome.pk != original.outcome_id:
        outcome_to_referrer(contact=contact, decision=amendment, now=now)
    _audit(actor, AuditAction.CREATE, "decision", amendment, contact, amends=original.pk)
    return amendment
