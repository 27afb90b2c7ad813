"""Every kind of message OpenMASH sends goes through GOV.UK Notify when an API key is
configured (here a local fake Notify server that speaks its HTTP API, reached through
the official client), and through Django's email backend otherwise.

The test is parametrised over MessageKind: a new kind with no path here fails, so a
message type cannot be added without showing how it is sent."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.area.models import OnCallPeriod
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.models import HandOn, Message, MessageKind, MessageStatus
from openmash.enquiries.services.additions import contact_add_information
from openmash.enquiries.services.allocation import contact_assign
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT
from tests.enquiries.test_message_delivery import NO_FURTHER_ACTION
from tests.factories import a_submission
from tests.fake_notify import TEMPLATE_ID, FakeNotify

# The hub (09:00 to 17:00, Monday to Friday) is open on Monday 7 December 2026 at 10:00
# and closed on Saturday 5 December at 06:13.
IN_HOURS = datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
SATURDAY_0613 = datetime(2026, 12, 5, 6, 13, tzinfo=LONDON)
CHILD_NAMES = ("Amy", "Smith")


class World:
    """The fixtures a path asks for, fetched only when it asks."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request

    def __getattr__(self, name: str) -> object:
        return self.request.getfixturevalue(name)

    @property
    def referrer(self) -> User:
        return self.request.getfixturevalue("school_referrer")

    @property
    def screener(self) -> User:
        return self.request.getfixturevalue("screener")

    @property
    def manager(self) -> User:
        return self.request.getfixturevalue("manager")

    def contact(self, *, now: datetime = IN_HOURS, immediate_risk: bool = False) -> Contact:
        submission = a_submission()
        if immediate_risk:
            submission.concerns.immediate_risk = True
        contact, _ = contact_create(actor=Actor(user=self.referrer), submission=submission, now=now)
        return contact

    def rated(self, *, now: datetime = IN_HOURS) -> Contact:
        contact = self.contact(now=now)
        contact_take(actor=Actor(user=self.screener), contact_id=contact.pk, now=now)
        contact_rate(
            actor=Actor(user=self.screener),
            contact_id=contact.pk,
            rag="amber",
            rationale="Amber.",
            now=now,
        )
        contact.refresh_from_db()
        return contact

    def decided(self, data: object = NO_FURTHER_ACTION) -> Contact:
        contact = self.rated()
        enquiry_open(actor=Actor(user=self.screener), contact_id=contact.pk, agency_ids=[])
        decision_record(
            actor=Actor(user=self.manager), contact_id=contact.pk, data=data, now=IN_HOURS
        )
        return contact

    def handed_on(self) -> HandOn:
        self.request.getfixturevalue("early_help_coordinator")
        contact = self.decided(STEP_DOWN_INPUT)
        return HandOn.objects.get(contact=contact)


def outcome_feedback(world: World) -> None:
    world.decided()


def deadline_reminder(world: World) -> None:
    contact = world.rated()
    assert contact.deadline_at is not None
    deadline_alerts_send(now=contact.deadline_at - timedelta(minutes=30))


def deadline_passed(world: World) -> None:
    contact = world.rated()
    assert contact.deadline_at is not None
    deadline_alerts_send(now=contact.deadline_at + timedelta(minutes=1))


def hand_on(world: World) -> None:
    world.handed_on()


def urgent_unassigned(world: World) -> None:
    world.manager  # noqa: B018 - the managers alerted
    world.contact(immediate_risk=True)
    deadline_alerts_send(now=IN_HOURS + timedelta(minutes=11))


def hand_on_reminder(world: World) -> None:
    pending = world.handed_on()
    assert pending.deadline_at is not None
    deadline_alerts_send(now=pending.deadline_at - timedelta(minutes=30))


def hand_on_overdue(world: World) -> None:
    pending = world.handed_on()
    assert pending.deadline_at is not None
    deadline_alerts_send(now=pending.deadline_at + timedelta(minutes=1))


def allocated(world: World) -> None:
    contact = world.contact()
    contact_assign(
        actor=Actor(user=world.manager), contact_id=contact.pk, worker_id=world.screener.pk
    )


def new_information(world: World) -> None:
    contact = world.contact()
    contact_take(actor=Actor(user=world.screener), contact_id=contact.pk)
    contact_add_information(
        actor=Actor(user=world.referrer),
        contact_id=contact.pk,
        text="Mum phoned the school this morning.",
    )


def check_requested(world: World) -> None:
    contact = world.rated()
    agencies: dict[str, Agency] = world.partner_agencies  # type: ignore[assignment]
    world.researchers  # noqa: B018 - the police researcher told
    enquiry_open(
        actor=Actor(user=world.screener),
        contact_id=contact.pk,
        agency_ids=[agencies["police"].pk],
        now=IN_HOURS,
    )


def hand_on_accepted(world: World) -> None:
    pending = world.handed_on()
    hand_on_accept(
        actor=Actor(user=world.early_help_coordinator),  # type: ignore[arg-type]
        hand_on_id=pending.pk,
        allocated_worker="Sam Patel",
        worker_contact="01234 567890",
    )


def out_of_hours_acknowledgement(world: World) -> None:
    world.emergency_duty_team  # noqa: B018
    world.contact(now=SATURDAY_0613)


def on_call_alert(world: World) -> None:
    world.emergency_duty_team  # noqa: B018
    OnCallPeriod.objects.create(
        person=world.manager,
        starts_at=SATURDAY_0613 - timedelta(hours=6),
        ends_at=SATURDAY_0613 + timedelta(hours=6),
    )
    world.contact(now=SATURDAY_0613, immediate_risk=True)


def edt_alert(world: World) -> None:
    world.emergency_duty_team  # noqa: B018 - set up, with nobody on call
    world.contact(now=SATURDAY_0613, immediate_risk=True)


PATHS: dict[str, Callable[[World], None]] = {
    MessageKind.OUTCOME_FEEDBACK: outcome_feedback,
    MessageKind.DEADLINE_REMINDER: deadline_reminder,
    MessageKind.DEADLINE_PASSED: deadline_passed,
    MessageKind.HAND_ON: hand_on,
    MessageKind.URGENT_UNASSIGNED: urgent_unassigned,
    MessageKind.HAND_ON_REMINDER: hand_on_reminder,
    MessageKind.HAND_ON_OVERDUE: hand_on_overdue,
    MessageKind.ALLOCATED: allocated,
    MessageKind.NEW_INFORMATION: new_information,
    MessageKind.CHECK_REQUESTED: check_requested,
    MessageKind.HAND_ON_ACCEPTED: hand_on_accepted,
    MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT: out_of_hours_acknowledgement,
    MessageKind.ON_CALL_ALERT: on_call_alert,
    MessageKind.EDT_ALERT: edt_alert,
}


def _send_by(kind: MessageKind, request: pytest.FixtureRequest, capture: object) -> list[Message]:
    path = PATHS.get(kind)
    assert path is not None, f"No test path sends a {kind.label!r} message: add one to PATHS"
    with capture(execute=True):  # type: ignore[operator]
        path(World(request))
    messages = list(Message.objects.filter(kind=kind).order_by("pk"))
    assert messages, f"The path for {kind.label!r} recorded no message of that kind"
    for message in messages:
        assert message.status == MessageStatus.SENT, (message.pk, message.failure)
        assert message.sent_at is not None
        assert not any(name in message.subject for name in CHILD_NAMES)
    return messages


@pytest.mark.parametrize("kind", list(MessageKind), ids=[kind.value for kind in MessageKind])
def test_it_sends_every_kind_through_gov_uk_notify_when_a_key_is_configured(
    kind: MessageKind,
    db: None,
    fake_notify: FakeNotify,
    request: pytest.FixtureRequest,
    django_capture_on_commit_callbacks: object,
) -> None:
    messages = _send_by(kind, request, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    for message in messages:
        assert message.notify_id, message.pk
        sent = fake_notify.notifications[message.notify_id]
        assert sent["email_address"] == message.to_email
        assert sent["template_id"] == TEMPLATE_ID
        assert sent["personalisation"] == {"subject": message.subject, "body": message.body}
        assert sent["reference"] == f"openmash-message-{message.pk}"
    assert len(fake_notify.sent) == Message.objects.filter(status=MessageStatus.SENT).count()


@pytest.mark.parametrize("kind", list(MessageKind), ids=[kind.value for kind in MessageKind])
def test_it_sends_every_kind_by_email_without_a_notify_key(
    kind: MessageKind,
    db: None,
    request: pytest.FixtureRequest,
    django_capture_on_commit_callbacks: object,
) -> None:
    messages = _send_by(kind, request, django_capture_on_commit_callbacks)
    for message in messages:
        assert message.notify_id == ""
        assert any(
            email.to == [message.to_email]
            and email.subject == message.subject
            and email.body == message.body
            for email in mail.outbox
        ), message.pk
    assert len(mail.outbox) == Message.objects.filter(status=MessageStatus.SENT).count()
    assert timezone.now()  # the clock is not frozen: every path passes its own time
