"""What each event tells its recipient: one builder per kind of subject, each naming every
field it sends, so what crosses the fire wall is read here in one place.

Nothing here sends what agencies found, a finding's restricted information, the decision's
rationale or the reason for an amendment: those stay in the MASH. What the receiving team
may know of the MASH's research is the hand-on's MASH summary (`mash_summary_for`).
"""

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.enquiries.models import Decision, HandOn
from openmash.enquiries.selectors.summary import hand_on_summary

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


def mash_summary_for(hand_on: HandOn) -> Payload:
    """The MASH summary the receiving team may read for this hand-on: the one part of the
    MASH's research that crosses the fire wall with it (openmash.enquiries.summary): the
    summary text, the risks to workers visiting the home, the released findings as their
    agencies released them, and the rationale only if the manager chose to share it."""
    shared = hand_on_summary(hand_on)
    return {
        "text": shared.summary,
        "worker_risks": shared.worker_risks,
        "findings": [asdict(finding) for finding in shared.findings],
        "rationale": shared.rationale,
    }


def hand_on_payload(hand_on: HandOn) -> Payload:
    """A hand-on as its receiving team may see it."""
    decision = hand_on.decision
    contact = hand_on.contact
    return {
        "hand_on_id": hand_on.pk,
        "decision_id": decision.pk,
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "state": hand_on.state,
        "receiving_team": _team(hand_on.team, decision.receiving_team),
        "level_of_need": _level(decision.level_of_need),
        "outcome": _outcome(decision.outcome),
        "children": _children(contact),
        "decided_at": _moment(decision.decided_at),
        "handed_on_at": _moment(hand_on.created_at),
        "responded_at": _moment(hand_on.responded_at),
        "summary": mash_summary_for(hand_on),
    }


def decision_payload(decision: Decision) -> Payload:
    """A decision as the team it hands the case to may see it: what was decided, never
    why (the rationale and any reason for amending it stay in the MASH)."""
    contact = decision.contact
    return {
        "decision_id": decision.pk,
        "amends_decision_id": decision.amends_id,
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "level_of_need": _level(decision.level_of_need),
        "outcome": _outcome(decision.outcome),
        "receiving_team": _team(decision.outcome.hand_on_to, decision.receiving_team),
        "decided_at": _moment(decision.decided_at),
    }


def outcome_payload(decision: Decision) -> Payload:
    """The outcome as the referrer's agency may see it: what the referrer is emailed, and
    what GET /contacts/{id}/outcome answers. Never what agencies found."""
    contact = decision.contact
    return {
        "contact_id": contact.pk,
        "contact_reference": contact.reference,
        "outcome": _outcome(decision.outcome),
        "next_steps": decision.outcome.next_steps,
        "amended": decision.amends_id is not None,
        "decided_at": _moment(decision.decided_at),
    }
