"""What each event tells its recipient: one builder per kind of subject, each naming every
field it sends, so what crosses the fire wall is read here in one place.

Nothing here sends what agencies found, a finding's restricted information, the decision's
rationale or the reason for an amendment: those stay in the MASH. What the receiving team
may know of the MASH's research is the hand-on's MASH summary (`mash_summary_for`).

A strategy discussion's events carry what its recipient sees on the discussion's page
(openmash.strategy.selectors.discussion_get_for): when, where and who chairs it, the
children, who was invited and whether they attended, its decision; the reason it was
raised and the minutes only to an invited agency (the page is shared with invitees only);
and of the actions only the recipient's own. Never the MASH decision's rationale.
"""

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.deadlines import hand_on_deadlines_fill
from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.overdue import is_overdue
from openmash.enquiries.child_outcomes import children_of, highest_level, most_serious, seriousness
from openmash.enquiries.models import Decision, DecisionChild, HandOn, HandOnState
from openmash.enquiries.selectors.summary import HandOnSummary, decision_summary, hand_on_summary
from openmash.strategy.models import (
    Attendance,
    DiscussionOrigin,
    DiscussionOutcome,
    DiscussionState,
    Invitation,
    StrategyAction,
    StrategyDiscussion,
)

Payload = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _level(level: LevelOfNeed | None) -> Payload | None:
    return {"number": level.number, "label": level.label} if level is not None else None


def _outcome(outcome: Outcome) -> Payload:
    return {"code": outcome.code, "label": outcome.label}


def _team(code: str, name: str) -> Payload:
    label = HandOnTeam(code).label if code in HandOnTeam.values else code
    return {"code": code, "label": label, "name": name}


def _child(person: ContactPerson) -> Payload:
    """The identifying details the receiving team needs to find or open the child's
    record: name, date of birth, NHS number and address. Nothing else about them."""
    return {
        "person_id": person.pk,
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth": _day(person.date_of_birth),
        "nhs_number": person.nhs_number,
        "address": {
            "line1": person.address_line1,
            "line2": person.address_line2,
            "town": person.town,
            "postcode": person.postcode,
        },
    }


def _children(contact: Contact) -> list[Payload]:
    return [
        _child(person)
        for person in contact.people.order_by("position")
        if person.role in CHILD_ROLES
    ]


def _child_with_outcome(child: DecisionChild) -> Payload:
    """A child handed on, with their own outcome in the decision (ADR 0022)."""
    return {**_child(child.person), **_outcome_of(child)}


def _outcome_of(child: DecisionChild) -> Payload:
    return {
        "level_of_need": _level(child.level_of_need),
        "outcome": _outcome(child.outcome),
        "receiving_team": child.receiving_team,
    }


def _named_outcome(child: DecisionChild) -> Payload:
    """Which child (the names only) and their own outcome: the decision's events carry
    no more of a child than this; the hand-on's carry what the team needs to find them."""
    person = child.person
    return {
        "person_id": person.pk,
        "given_names": person.given_names,
        "family_name": person.family_name,
        **_outcome_of(child),
    }


def _decision_children(decision: Decision, team: str) -> list[DecisionChild]:
    """The decision's children whose outcome goes to `team` (all of them for no team)."""
    rows = children_of(decision)
    return [row for row in rows if not team or row.outcome.hand_on_to == team]


def decision_teams(decision: Decision) -> list[str]:
    """The teams outside the MASH a decision hands children to (a decision that closes
    every child's case has none), most serious first."""
    rows = children_of(decision)
    if not rows:
        team = decision.outcome.hand_on_to
        return [team] if team != HandOnTeam.NONE else []
    teams: list[str] = []
    for row in sorted(
        rows,
        key=lambda row: seriousness(row.outcome, row.level_of_need, row.person.position),
        reverse=True,
    ):
        team = row.outcome.hand_on_to
        if team != HandOnTeam.NONE and team not in teams:
            teams.append(team)
    return teams


def mash_summary_for(hand_on: HandOn) -> Payload:
    """The MASH summary the receiving team may read for this hand-on: the one part of the
    MASH's research that crosses the fire wall with it (openmash.enquiries.summary)."""
    return _summary(hand_on_summary(hand_on))


def decision_summary_for(decision: Decision, team: str | None = None) -> Payload:
    """The same MASH summary, as the decision carries it to the team it hands the case to
    (by default its most serious outcome's): for police or another local authority, which
    have no hand-on in OpenMASH, the decision's event is the one thing that reaches them."""
    return _summary(_decision_summary(decision, team))


def _decision_summary(decision: Decision, team: str | None) -> HandOnSummary:
    return decision_summary(
        decision,
        hand_on_id=0,
        reference=decision.contact.reference,
        team=decision.outcome.hand_on_to if team is None else team,
    )


def _summary(shared: HandOnSummary) -> Payload:
    """The summary text, the risks to workers visiting the home, the released findings as
    their agencies released them, and the rationale only if the manager chose to share it."""
    return {
        "text": shared.summary,
        "worker_risks": shared.worker_risks,
        "findings": [asdict(finding) for finding in shared.findings],
        "rationale": shared.rationale,
    }


def hand_on_payload(hand_on: HandOn, *, now: datetime | None = None) -> Payload:
    """A hand-on as its receiving team may see it, with when the team should accept or
    return it (the area's acceptance timescale) and whether, waiting, it is past that."""
    decision = hand_on.decision
    contact = hand_on.contact
    hand_on_deadlines_fill([hand_on])
    now = now or timezone.now()
    concerned = {person.pk for person in hand_on.children.all()}
    children = [row for row in children_of(decision) if row.person_id in concerned]
    worst = most_serious(children) if children else None
    return {
        "hand_on_id": hand_on.pk,
        "decision_id": decision.pk,
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "state": hand_on.state,
        # The most serious outcome of the children it concerns; each child's own below.
        "receiving_team": _team(
            hand_on.team, worst.receiving_team if worst else decision.receiving_team
        ),
        "level_of_need": _level(
            highest_level(row.level_of_need for row in children)
            if children
            else decision.level_of_need
        ),
        "outcome": _outcome(worst.outcome if worst else decision.outcome),
        "children": [_child_with_outcome(row) for row in children]
        if children
        else _children(contact),
        "decided_at": _moment(decision.decided_at),
        "handed_on_at": _moment(hand_on.created_at),
        "responded_at": _moment(hand_on.responded_at),
        "deadline_at": _moment(hand_on.deadline_at),
        "overdue": hand_on.state == HandOnState.PENDING and is_overdue(hand_on.deadline_at, now),
        "summary": mash_summary_for(hand_on),
    }


def decision_payload(decision: Decision, team: str | None = None) -> Payload:
    """A decision as a team it hands children to may see it (by default the team of its
    most serious outcome): what was decided for the children it hands to that team, each
    with their own outcome, and the MASH summary; never why (the rationale, unless the
    manager shared it, and any reason for amending it stay in the MASH), nor the outcomes
    of siblings it does not hand to them. level_of_need, outcome and receiving_team are
    the most serious of those children's."""
    contact = decision.contact
    team = decision.outcome.hand_on_to if team is None else team
    summary = _decision_summary(decision, team)
    children = _decision_children(decision, team)
    worst = most_serious(children) if children else None
    return {
        "decision_id": decision.pk,
        "amends_decision_id": decision.amends_id,
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "level_of_need": _level(
            highest_level(row.level_of_need for row in children)
            if children
            else decision.level_of_need
        ),
        "outcome": _outcome(worst.outcome if worst else decision.outcome),
        "receiving_team": _team(team, summary.receiving_team),
        "decided_at": _moment(decision.decided_at),
        "summary": _summary(summary),
        "child_outcomes": [_named_outcome(row) for row in children],
    }


def outcome_payload(decision: Decision) -> Payload:
    """The outcome as the referrer's agency may see it: what the referrer is emailed, and
    what GET /contacts/{id}/outcome answers. Never what agencies found."""
    contact = decision.contact
    return {
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        # The most serious child's outcome; each child's (as the referrer is emailed) below:
        # the names the referrer gave and the outcome, never the child's other details.
        "outcome": _outcome(decision.outcome),
        "next_steps": decision.outcome.next_steps,
        "amended": decision.amends_id is not None,
        "decided_at": _moment(decision.decided_at),
        "child_outcomes": [
            {
                "person_id": row.person_id,
                "given_names": row.person.given_names,
                "family_name": row.person.family_name,
                "outcome": _outcome(row.outcome),
                "next_steps": row.outcome.next_steps,
            }
            for row in children_of(decision)
        ],
    }


# --- Strategy discussions ----------------------------------------------------------------


@dataclass(frozen=True)
class StrategyViewer:
    """Whose view of a discussion an event carries: an agency's (its id alone), or
    children's social care's as a receiving team (its agencies' ids; none if the area
    has none). Invited if any of them is; its actions are theirs."""

    agency_ids: frozenset[int]


@dataclass(frozen=True)
class StrategyRecord:
    """A discussion with what every recipient's payload is cut from, read once per
    event: its invitations and all its actions."""

    discussion: StrategyDiscussion
    invitations: Sequence[Invitation]
    actions: Sequence[StrategyAction]
    children: Sequence[ContactPerson]


def strategy_record(discussion: StrategyDiscussion) -> StrategyRecord:
    discussion = StrategyDiscussion.objects.select_related(
        "contact", "decision", "chair", "minutes_recorded_by"
    ).get(pk=discussion.pk)
    return StrategyRecord(
        discussion=discussion,
        invitations=list(
            discussion.invitations.select_related("agency", "person").order_by("agency__name", "id")
        ),
        actions=list(discussion.actions.select_related("owner_agency", "owner_person", "done_by")),
        children=list(
            ContactPerson.objects.filter(
                contact_id=discussion.contact_id, role__in=CHILD_ROLES
            ).order_by("position")
        ),
    )


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def _invitee(invitation: Invitation) -> Payload:
    attendance = Attendance(invitation.attendance)
    return {
        "agency": {"id": invitation.agency_id, "name": invitation.agency.name},
        "person": _name(invitation.person),
        "invited_at": _moment(invitation.invited_at),
        "attendance": {"code": attendance.value, "label": attendance.label},
    }


def strategy_action_item(action: StrategyAction) -> Payload:
    return {
        "action_id": action.pk,
        "description": action.description,
        "owner": {
            "agency": {"id": action.owner_agency_id, "name": action.owner_agency.name},
            "person": _name(action.owner_person),
        },
        "due_on": _day(action.due_on),
        "done_at": _moment(action.done_at),
        "done_by": _name(action.done_by),
    }


def is_invited(record: StrategyRecord, viewer: StrategyViewer) -> bool:
    return any(each.agency_id in viewer.agency_ids for each in record.invitations)


def _own_actions(actions: Collection[StrategyAction], viewer: StrategyViewer) -> list[Payload]:
    return [
        strategy_action_item(action)
        for action in actions
        if action.owner_agency_id in viewer.agency_ids
    ]


def strategy_discussion_payload(record: StrategyRecord, viewer: StrategyViewer) -> Payload:
    """A strategy discussion as `viewer` may see it on the discussion's page."""
    discussion = record.discussion
    contact = discussion.contact
    invited = is_invited(record, viewer)
    origin = DiscussionOrigin(discussion.origin)
    minutes = (
        {
            "text": discussion.minutes,
            "recorded_by": _name(discussion.minutes_recorded_by),
            "recorded_at": _moment(discussion.minutes_recorded_at),
        }
        if invited and discussion.minutes
        else None
    )
    decision = (
        {
            "code": discussion.outcome,
            "label": DiscussionOutcome(discussion.outcome).label,
            "detail": discussion.outcome_detail,
            "recorded_at": _moment(discussion.outcome_recorded_at),
        }
        if discussion.outcome
        else None
    )
    return {
        "discussion_id": discussion.pk,
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "state": {
            "code": discussion.state,
            "label": DiscussionState(discussion.state).label,
        },
        "invited": invited,
        "raised": {
            "origin": origin.value,
            "label": origin.label,
            "at": _moment(discussion.identified_at),
            # Why police or social care raised it: shown to invitees only.
            "reason": discussion.reason if invited else None,
        },
        "children": [
            {
                "given_names": child.given_names,
                "family_name": child.family_name,
                "date_of_birth": _day(child.date_of_birth),
            }
            for child in record.children
        ],
        "schedule": {
            "scheduled_for": _moment(discussion.scheduled_for),
            "place": discussion.place,
            "call_link": discussion.call_link,
            "chair": _name(discussion.chair),
        },
        "invitees": [_invitee(each) for each in record.invitations],
        "minutes": minutes,
        "decision": decision,
        "actions": _own_actions(record.actions, viewer),
    }
