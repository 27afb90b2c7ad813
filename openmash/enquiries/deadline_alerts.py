"""Deadline reminders and overdue alerts: the people responsible for a contact, an
agency check or a hand-on are reminded before its deadline, and MASH managers alerted
once it has passed; MASH managers are also alerted, once per contact, when a contact with
a child at immediate risk or rated at the most urgent level has waited the area's few
minutes with nobody taking it. Each is recorded and sent as
openmash.enquiries.message_delivery describes.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from openmash.accounts.models import User, UserRole
from openmash.area.calendar import LONDON
from openmash.area.deadlines import hand_on_deadlines_fill
from openmash.area.models import HandOnTeam, WorkingHours
from openmash.contacts.models import Contact
from openmash.core.overdue import is_overdue
from openmash.core.roles import Role
from openmash.enquiries.message_delivery import record_message
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
)
from openmash.enquiries.selectors.screening import urgent_unassigned_q
from openmash.enquiries.workflow import DEADLINE_STATES, OPEN_STATES

SUBJECT_LIMIT = 200  # Message.subject


def _when(moment: datetime) -> str:
    """A time as the hub reads it: "14:05 on 3 March 2026", in Europe/London."""
    return f"{timezone.localtime(moment, LONDON):%H:%M on %-d %B %Y}"


@dataclass(frozen=True)
class _Notice:
    contact: Contact
    kind: str
    user: User
    subject: str
    body: str
    dedupe_key: str


class _Recipients:
    """Everyone a reminder or alert can go to, read once per run rather than once per
    contact or check."""

    def __init__(self) -> None:
        grants = (
            UserRole.objects.filter(
                role__in=[
                    Role.SCREENER,
                    Role.MASH_MANAGER,
                    Role.AGENCY_RESEARCHER,
                    Role.EARLY_HELP_COORDINATOR,
                ],
                user__is_active=True,
            )
            .exclude(user__email="")
            .select_related("user")
            .order_by("user_id", "role")
        )
        self.screeners: list[User] = []
        self.managers: list[User] = []
        self.researchers: dict[int, list[User]] = defaultdict(list)
        self.early_help: list[User] = []
        for grant in grants:
            user = grant.user
            if grant.role == Role.SCREENER:
                self.screeners.append(user)
            elif grant.role == Role.MASH_MANAGER:
                self.managers.append(user)
            elif grant.role == Role.EARLY_HELP_COORDINATOR:
                self.early_help.append(user)
            elif user.agency_id is not None:
                self.researchers[user.agency_id].append(user)

    def for_screening(self, contact: Contact) -> list[User]:
        """The screener the contact is assigned to, or every screener while nobody has it
        (or its screener has left)."""
        assigned = contact.assigned_to
        if assigned is not None and assigned.is_active:
            return [assigned] if assigned.email else []
        return self.screeners


def _contact_notices(now: datetime, soon: datetime, people: _Recipients) -> Iterator[_Notice]:
    # A case returned by the team it was handed to has a new deadline, counted from the
    # return: its reminders are its own, even should the new deadline fall on the same
    # minute as an earlier one (working hours start every deadline set overnight at 09:00).
    latest_return = (
        HandOn.objects.filter(contact=OuterRef("pk"), state=HandOnState.RETURNED)
        .order_by("-responded_at", "-id")
        .values("pk")[:1]
    )
    contacts = (
        Contact.objects.filter(
            state__in=DEADLINE_STATES, deadline_at__isnull=False, deadline_at__lte=soon
        )
        .annotate(latest_return=Subquery(latest_return))
        .select_related("assigned_to")
        .order_by("deadline_at", "pk")
    )
    for contact in contacts.iterator(chunk_size=500):
        assert contact.deadline_at is not None
        due = _when(contact.deadline_at)
        returned = getattr(contact, "latest_return", None)
        cycle = f":return:{returned}" if returned else ""
        if not is_overdue(contact.deadline_at, now):
            recipients, kind = people.for_screening(contact), MessageKind.DEADLINE_REMINDER
            subject = f"{contact.reference}: MASH decision due by {due}"
        else:
            recipients, kind = people.managers, MessageKind.DEADLINE_PASSED
            subject = f"{contact.reference}: MASH decision overdue (was due {due})"
        for user in recipients:
            yield _Notice(
                contact=contact,
                kind=kind,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen OpenMASH to see the contact.",
                dedupe_key=(
                    f"{kind}:contact:{contact.pk}:{contact.deadline_at:%Y%m%d%H%M}:{user.pk}"
                    + cycle
                ),
            )


def _check_notices(now: datetime, soon: datetime, people: _Recipients) -> Iterator[_Notice]:
    # A check left open on a contact that has since been decided or closed is nobody's
    # deadline any more.
    checks = (
        AgencyCheck.objects.filter(
            state=CheckState.REQUESTED,
            deadline_at__lte=soon,
            contact__state__in=DEADLINE_STATES,
        )
        .select_related("agency", "contact")
        .order_by("deadline_at", "pk")
    )
    for check in checks.iterator(chunk_size=500):
        due = _when(check.deadline_at)
        if not is_overdue(check.deadline_at, now):
            recipients = people.researchers.get(check.agency_id, [])
            kind = MessageKind.DEADLINE_REMINDER
            subject = f"{check.contact.reference}: {check.agency.name} check due by {due}"
        else:
            recipients, kind = people.managers, MessageKind.DEADLINE_PASSED
            subject = (
                f"{check.contact.reference}: {check.agency.name} check overdue (was due {due})"
            )
        for user in recipients:
            yield _Notice(
                contact=check.contact,
                kind=kind,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen OpenMASH to see the check.",
                dedupe_key=f"{kind}:check:{check.pk}:{check.deadline_at:%Y%m%d%H%M}:{user.pk}",
            )


def _urgent_notices(now: datetime, minutes: int, people: _Recipients) -> Iterator[_Notice]:
    """MASH managers, once per contact, about urgent work nobody has taken."""
    contacts = (
        Contact.objects.filter(state__in=OPEN_STATES)
        .filter(urgent_unassigned_q(now, minutes))
        .select_related("rag_level")
        .order_by("received_at", "pk")
    )
    for contact in contacts.iterator(chunk_size=500):
        why = "urgent"
        if contact.immediate_risk:
            why = "a child at immediate risk"
        elif contact.rag_level is not None:
            why = f"rated {contact.rag_level.label.lower()}"
        subject = (
            f"{contact.reference}: {why}, received {_when(contact.received_at)} and "
            "nobody has taken it"
        )
        for user in people.managers:
            yield _Notice(
                contact=contact,
                kind=MessageKind.URGENT_UNASSIGNED,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen the screening queue in OpenMASH to assign it.",
                dedupe_key=f"{MessageKind.URGENT_UNASSIGNED}:contact:{contact.pk}:{user.pk}",
            )


def _hand_on_notices(now: datetime, soon: timedelta, people: _Recipients) -> Iterator[_Notice]:
    """The receiving team reminded before a hand-on's acceptance deadline; MASH managers
    alerted once it has passed. Once each per hand-on and recipient."""
    hand_ons = (
        HandOn.objects.filter(state=HandOnState.PENDING)
        .select_related("contact")
        .order_by("created_at", "pk")
    )
    for hand_on in hand_ons.iterator(chunk_size=500):
        hand_on_deadlines_fill([hand_on])
        deadline = hand_on.deadline_at
        if deadline is None or deadline > now + soon:
            continue
        team = HandOnTeam(hand_on.team).label.lower()
        due = _when(deadline)
        reference = hand_on.contact.reference
        if not is_overdue(deadline, now):
            kind = MessageKind.HAND_ON_REMINDER
            recipients = (
                people.early_help if hand_on.team == HandOnTeam.EARLY_HELP else people.managers
            )
            subject = f"{reference}: handed on to {team}, to be accepted by {due}"
        else:
            kind, recipients = MessageKind.HAND_ON_OVERDUE, people.managers
            subject = f"{reference}: handed on to {team} and not accepted (was due {due})"
        for user in recipients:
            yield _Notice(
                contact=hand_on.contact,
                kind=kind,
                user=user,
                subject=subject[:SUBJECT_LIMIT],
                body=f"{subject}.\n\nOpen OpenMASH to see the case handed on.",
                dedupe_key=f"{kind}:hand_on:{hand_on.pk}:{user.pk}",
            )


def _batches(notices: Iterator[_Notice], size: int = 500) -> Iterator[list[_Notice]]:
    batch: list[_Notice] = []
    for notice in notices:
        batch.append(notice)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def deadline_alerts_send(*, now: datetime) -> int:
    """Remind the people responsible before a deadline, and alert MASH managers when one
    has passed, and when urgent work has waited the area's few minutes unassigned. Safe to run as often as wanted: each reminder and alert is sent once per
    deadline and recipient (a re-grade that moves the deadline earns a new one, as does a
    case returned to the MASH, whose deadline is counted afresh from the return), and
    nothing is sent about a contact that has been decided or closed. Returns how many
    messages were recorded (each is sent once the run's transaction for it commits, and
    tried again later if the mail server does not take it)."""
    hours = WorkingHours.objects.first() or WorkingHours()
    ahead = timedelta(hours=float(hours.reminder_hours_before))
    soon = now + ahead
    people = _Recipients()
    notices = chain(
        _urgent_notices(now, int(hours.urgent_unassigned_minutes), people),
        _contact_notices(now, soon, people),
        _check_notices(now, soon, people),
        _hand_on_notices(now, ahead, people),
    )
    sent = 0
    for batch in _batches(notices):
        # Most runs find only reminders already sent: skip them with one query rather
        # than one failed insert each. The unique key still settles two runs at once.
        already = set(
            Message.objects.filter(
                dedupe_key__in=[notice.dedupe_key for notice in batch]
            ).values_list("dedupe_key", flat=True)
        )
        for notice in batch:
            if notice.dedupe_key in already:
                continue
            with transaction.atomic():
                message = record_message(
                    contact=notice.contact,
                    kind=notice.kind,
                    to_email=notice.user.email,
                    to_user=notice.user,
                    subject=notice.subject,
                    body=notice.body,
                    now=now,
                    dedupe_key=notice.dedupe_key,
                )
            sent += message is not None
    return sent
