"""Decisions: the MASH manager's decision on a contact (or agreement to a screener's
proposal to close it), and amendments to it, each handing the case on and telling the
referrer."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome
from openmash.contacts.codes import CHILD_ROLES, AssessmentFactor, ContactState, PrimaryNeed
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.enquiries import workflow
from openmash.enquiries.child_outcomes import highest_level, seriousness
from openmash.enquiries.models import (
    CheckFinding,
    CheckState,
    ClosureProposal,
    Decision,
    DecisionChild,
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
from openmash.enquiries.services.hand_ons import _hand_on, _hand_ons_amended, _teams_of
from openmash.enquiries.summary import (
    is_released,
    quotes_any,
    shared_finding,
    withheld_texts,
)
from openmash.enquiries.workflow import IllegalTransition


@dataclass(frozen=True)
class ChildOutcomeInput:
    """One child's outcome, for a contact about several children (ADR 0022)."""

    person_id: int
    level_of_need: int | None
    outcome: str
    primary_need: str
    receiving_team: str = ""


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
    # One for every child named in the contact, when their outcomes are decided one by
    # one; then the four fields above them (level of need, outcome, primary need and
    # receiving team) are not read. Empty: those four are every child's.
    children: Sequence[ChildOutcomeInput] = ()
    # The form asked for each child's outcome: even with none given, they are each child's.
    each_child: bool = False


def child_field(person_id: int, name: str) -> str:
    """The field a child's level of need, outcome, primary need or receiving team has in
    the decision form, and the key of its error."""
    return f"child_{person_id}_{name}"


@dataclass(frozen=True)
class _Choices:
    levels: dict[int, LevelOfNeed]
    outcomes: dict[str, Outcome]


def _choices() -> _Choices:
    return _Choices(
        levels={level.number: level for level in LevelOfNeed.objects.all()},
        outcomes={outcome.code: outcome for outcome in Outcome.objects.filter(active=True)},
    )


@dataclass(frozen=True)
class _OneOutcome:
    level: LevelOfNeed | None
    outcome: Outcome | None
    primary_need: str
    receiving_team: str


def _one_outcome(
    errors: dict[str, str],
    choices: _Choices,
    field: Callable[[str], str],
    *,
    level_of_need: int | None,
    outcome: str,
    primary_need: str,
    receiving_team: str,
    whose: str = "",
) -> _OneOutcome:
    """Check one set of level of need, outcome, primary need and receiving team: the
    contact's, or one child's (`whose` then names the child in each message)."""
    level = choices.levels.get(level_of_need) if level_of_need is not None else None
    if level is None:
        errors[field("level_of_need")] = f"Select the level of need{whose}"
    chosen = choices.outcomes.get(outcome)
    if chosen is None or chosen.hand_on_to == HandOnTeam.ALLOCATED_WORKER:
        errors[field("outcome")] = f"Select the outcome{whose}"
        chosen = None
    if primary_need not in PrimaryNeed.values:
        errors[field("primary_need")] = f"Select the primary need code{whose}"
    team = (receiving_team or "").strip()
    if len(team) > 200:
        errors[field("receiving_team")] = "Enter 200 characters or fewer"
    elif "\x00" in team:
        errors[field("receiving_team")] = "Remove the invisible control characters"
    elif (
        chosen is not None
        and chosen.hand_on_to not in ("", HandOnTeam.ALLOCATED_WORKER)
        and not team
    ):
        errors[field("receiving_team")] = f"Enter the team that will receive the case{whose}"
    return _OneOutcome(level, chosen, primary_need, team)


@dataclass(frozen=True)
class _ChildChecked:
    person: ContactPerson
    checked: _OneOutcome


@dataclass(frozen=True)
class _Checked:
    """A decision's fields as checked: the contact's own (for several children, those of
    the most serious child, as child_outcomes describes) and each child's."""

    level: LevelOfNeed | None
    outcome: Outcome
    codes: list[str]
    primary_need: str
    receiving_team: str
    rationale: str
    children: list[_ChildChecked]


def _children_fields(
    errors: dict[str, str], contact: Contact, data: DecisionInput, choices: _Choices
) -> tuple[_OneOutcome, list[_ChildChecked]]:
    """Every child named in the contact needs an outcome: one each (data.children), or
    the contact's four fields for all of them."""
    children = list(contact.people.filter(role__in=CHILD_ROLES).order_by("position"))
    if not data.children and not data.each_child:
        one = _one_outcome(
            errors,
            choices,
            lambda name: name,
            level_of_need=data.level_of_need,
            outcome=data.outcome,
            primary_need=data.primary_need,
            receiving_team=data.receiving_team,
        )
        return one, [_ChildChecked(person, one) for person in children]
    given = {child.person_id: child for child in data.children}
    if set(given) - {person.pk for person in children}:
        errors["children"] = "Give outcomes only for the children named in the contact"
    checked: list[_ChildChecked] = []
    for person in children:
        field = partial(child_field, person.pk)
        whose = f" for {person.full_name}"
        child = given.get(person.pk)
        if child is None:
            errors[field("outcome")] = f"Select the outcome{whose}"
            continue
        checked.append(
            _ChildChecked(
                person,
                _one_outcome(
                    errors,
                    choices,
                    field,
                    level_of_need=child.level_of_need,
                    outcome=child.outcome,
                    primary_need=child.primary_need,
                    receiving_team=child.receiving_team,
                    whose=whose,
                ),
            )
        )
    decided = [child for child in checked if child.checked.outcome is not None]
    if not decided:
        return _OneOutcome(None, None, "", ""), checked
    worst = max(
        decided,
        key=lambda child: seriousness(
            child.checked.outcome,  # type: ignore[arg-type]
            child.checked.level,
            child.person.position,
        ),
    ).checked
    return (
        _OneOutcome(
            highest_level(child.checked.level for child in checked),
            worst.outcome,
            worst.primary_need,
            worst.receiving_team,
        ),
        checked,
    )


def _decision_fields(
    errors: dict[str, str], contact: Contact, data: DecisionInput
) -> _Checked | None:
    """Check everything a decision records; None (with `errors` filled) if anything is
    wrong."""
    contact_outcome, children = _children_fields(errors, contact, data, _choices())
    codes = list(dict.fromkeys(data.factor_codes))
    if not codes:
        errors["factor_codes"] = "Select at least one assessment factor"
    elif set(codes) - set(AssessmentFactor.values):
        errors["factor_codes"] = "Select assessment factors from the list"
    rationale = _text(errors, "rationale", data.rationale, "Enter the rationale for the decision")
    if errors or contact_outcome.outcome is None:
        return None
    return _Checked(
        level=contact_outcome.level,
        outcome=contact_outcome.outcome,
        codes=codes,
        primary_need=contact_outcome.primary_need,
        receiving_team=contact_outcome.receiving_team,
        rationale=rationale,
        children=children,
    )


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
    checked: _Checked,
    composed: tuple[str, str, list[dict[str, object]]],
    *,
    closure_proposal: ClosureProposal | None = None,
    amends: Decision | None = None,
    amendment_reason: str = "",
) -> Decision:
    """Write a decision (or an amendment of one) and its children's outcomes, from what
    _decision_fields checked."""
    summary, worker_risks, shared = composed
    decision = Decision.objects.create(
        contact=contact,
        level_of_need=checked.level,
        outcome=checked.outcome,
        factor_codes=checked.codes,
        primary_need=checked.primary_need,
        rationale=checked.rationale,
        receiving_team=checked.receiving_team,
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
    DecisionChild.objects.bulk_create(
        DecisionChild(
            decision=decision,
            person=child.person,
            level_of_need=child.checked.level,
            outcome=child.checked.outcome,
            primary_need=child.checked.primary_need,
            receiving_team=child.checked.receiving_team,
        )
        for child in checked.children
    )
    return decision


@transaction.atomic
def decision_record(
    *, actor: Actor, contact_id: int, data: DecisionInput, now: datetime | None = None
) -> Decision:
    """The MASH manager's decision. Needs every requested check completed or waived
    (ChecksOutstanding otherwise). Final: a second decision on the same contact raises
    IllegalTransition and writes nothing, even when two managers press the button at the
    same moment (the contact's row is locked, and the database allows one original
    decision per contact). Every child named in the contact gets an outcome (the same
    one, or each their own: DecisionInput.children), written with the decision or not at
    all; a missing or wrong one is a field error beside that child's field. Hands each
    child on to the team their outcome goes to (one hand-on per team, naming its
    children), and tells the referrer."""
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
    checked = _decision_fields(errors, contact, data)
    composed = _summary_fields(errors, contact, data, checked.rationale if checked else "")
    _raise_if(errors)
    assert checked is not None
    outcome = checked.outcome
    workflow.move(contact, ContactState.DECIDED)
    proposal = contact.closure_proposals.filter(state=ProposalState.PROPOSED).first()
    try:
        with transaction.atomic():
            decision = _decision_create(
                contact,
                user,
                now,
                data,
                checked,
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
    contacts_changed([contact.pk], first_decision=True)
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
    """Amend the current decision with a reason; the original stays as it was, and the
    amendment carries every child's outcome anew (one child's changed, the others as they
    were). For each team: a hand-on that still concerns exactly the children the amended
    decision sends it carries on under the amendment; otherwise a waiting one is
    withdrawn and the children are handed on afresh (as they are after the team returned
    the case). The referrer is told if any child's outcome changed."""
    user = _require(actor, "enquiries.decide")
    now = now or timezone.now()
    original = Decision.objects.select_related("outcome").get(pk=decision_id)
    contact = _locked_contact(original.contact_id)
    if Decision.objects.filter(amends=original).exists():
        raise IllegalTransition(
            contact, contact.state, "That decision has already been amended: amend the latest one."
        )
    errors: dict[str, str] = {}
    checked = _decision_fields(errors, contact, data)
    composed = _summary_fields(errors, contact, data, checked.rationale if checked else "")
    reason = _text(errors, "amendment_reason", reason, "Enter the reason for the amendment")
    _raise_if(errors)
    assert checked is not None
    amendment = _decision_create(
        contact,
        user,
        now,
        data,
        checked,
        composed,
        amends=original,
        amendment_reason=reason,
    )
    returned = contact.state == ContactState.AWAITING_DECISION
    before = list(original.child_outcomes.select_related("outcome"))
    after = [child for child in checked.children if child.checked.outcome is not None]
    moved = _hand_ons_amended(
        actor, contact, amendment, now, lambda: publish(EventKind.DECISION_AMENDED, amendment)
    )
    teams_changed = original.outcome.hand_on_to != checked.outcome.hand_on_to or {
        child.person_id: child.outcome.hand_on_to for child in before
    } != {
        child.person.pk: child.checked.outcome.hand_on_to  # type: ignore[union-attr]
        for child in after
    }
    if returned or moved or teams_changed:
        workflow.move(contact, ContactState.DECIDED)
        teams = _teams_of(amendment)
        workflow.move(contact, ContactState.HANDED_ON if teams else ContactState.CLOSED)
        contact.closed_at = now
        contact.save(update_fields=["state", "closed_at"])
    # The referrer hears of any change of a child's outcome, even one that stays with the
    # same team (a section 17 assessment becoming a section 47 enquiry).
    outcomes_changed = checked.outcome.pk != original.outcome_id or {
        child.person_id: child.outcome_id for child in before
    } != {
        child.person.pk: child.checked.outcome.pk  # type: ignore[union-attr]
        for child in after
    }
    if returned or outcomes_changed:
        outcome_to_referrer(contact=contact, decision=amendment, now=now)
    _audit(actor, AuditAction.CREATE, "decision", amendment, contact, amends=original.pk)
    contacts_changed([contact.pk])
    return amendment
