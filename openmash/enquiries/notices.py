"""The emails that tell people about work as it moves (issue 13, item 6): an agency when
the MASH asks it to check its records, the receiving team when a case is handed on to it,
and the referrer when that team accepts the case (the outcome itself goes by
openmash.enquiries.outcome_feedback). Each is recorded in the transaction of the work
that causes it and sent as openmash.enquiries.message_delivery describes.

The reference only, never a child's name, in subjects and in the bodies to agencies and
teams: they read the details in OpenMASH, where reads are audited. The referrer is told
what the outcome email tells them, and whom the case went to.
"""

from datetime import datetime

from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam
from openmash.contacts.models import Contact
from openmash.core.roles import Role
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import AgencyCheck, HandOn, MessageKind

SUBJECT_LIMIT = 200  # Message.subject


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%H:%M on %-d %B %Y}"


def _people_with_role(role: Role, *, agency_id: int | None = None) -> list[User]:
    people = User.objects.filter(is_active=True, role_grants__role=role).exclude(email="")
    if agency_id is not None:
        people = people.filter(agency_id=agency_id)
    return list(people.distinct().order_by("pk"))


def check_requested_to_agency(*, check: AgencyCheck, contact: Contact, now: datetime) -> int:
    """Tell the agency asked to check: its team inbox if it has one, otherwise each of its
    researchers. Returns how many messages were recorded."""
    agency = check.agency
    subject = (
        f"{contact.reference}: the MASH asks {agency.name} to check its records, "
        f"due by {_when(check.deadline_at)}"
    )[:SUBJECT_LIMIT]
    level = contact.rag_level.label.lower() if contact.rag_level is not None else "unrated"
    body = (
        f"The MASH has asked {agency.name} to check its records for the people in contact "
        f"{contact.reference}, rated {level}. Findings are due by "
        f"{_when(check.deadline_at)}.\n\n"
        "Sign in to OpenMASH and open your agency's checks to record what you know.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    recipients: list[tuple[str, User | None]]
    if agency.team_email:
        recipients = [(agency.team_email, None)]
    else:
        recipients = [
            (person.email, person)
            for person in _people_with_role(Role.AGENCY_RESEARCHER, agency_id=agency.pk)
        ]
    for email, person in recipients:
        record_message(
            contact=contact,
            kind=MessageKind.CHECK_REQUESTED,
            to_email=email,
            to_user=person,
            subject=subject,
            body=body,
            now=now,
        )
    return len(recipients)


def hand_on_to_team(*, hand_on: HandOn, contact: Contact, now: datetime) -> int:
    """Tell the receiving team a case has been handed on to it: early help coordinators
    for early help, MASH managers for children's social care (who accept it for the
    team). Returns how many messages were recorded."""
    role = Role.EARLY_HELP_COORDINATOR if hand_on.team == HandOnTeam.EARLY_HELP else None
    people = _people_with_role(role or Role.MASH_MANAGER)
    team = HandOnTeam(hand_on.team).label.lower()
    due = f", to be accepted by {_when(hand_on.deadline_at)}" if hand_on.deadline_at else ""
    subject = f"{contact.reference}: case handed on to {team}{due}"[:SUBJECT_LIMIT]
    body = (
        f"The MASH has decided contact {contact.reference} and handed the case on to "
        f"{team}{due}.\n\n"
        "Sign in to OpenMASH and open the hand-on queue to accept it or return it.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    for person in people:
        record_message(
            contact=contact,
            kind=MessageKind.HAND_ON,
            to_email=person.email,
            to_user=person,
            subject=subject,
            body=body,
            now=now,
        )
    return len(people)


def hand_on_accepted_to_referrer(*, hand_on: HandOn, contact: Contact, now: datetime) -> bool:
    """Tell the referrer the receiving team has accepted the case, with the worker
    allocated and how to reach them when the team gave them (as the referrer's page shows).
    False if the referrer left no address."""
    if not contact.referrer_email:
        return False
    team = HandOnTeam(hand_on.team).label.lower()
    worker = ""
    if hand_on.allocated_worker:
        worker = f"The worker allocated is {hand_on.allocated_worker}"
        worker += f" ({hand_on.worker_contact}).\n\n" if hand_on.worker_contact else ".\n\n"
    body = (
        f"Dear {contact.referrer_name or 'referrer'},\n\n"
        f"Your safeguarding contact {contact.reference}, received "
        f"{timezone.localtime(contact.received_at, LONDON):%-d %B %Y}, was handed on to "
        f"{team}, who accepted the case on {timezone.localtime(now, LONDON):%-d %B %Y}.\n\n"
        + worker
        + "If you are worried that a child is at immediate risk, call the police on 999.\n\n"
        "Multi-Agency Safeguarding Hub"
    )
    record_message(
        contact=contact,
        kind=MessageKind.HAND_ON_ACCEPTED,
        to_email=contact.referrer_email,
        to_user=contact.submitted_by_user,
        subject=f"Your safeguarding contact {contact.reference} has been accepted by {team}",
        body=body,
        now=now,
    )
    return True
