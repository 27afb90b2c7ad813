"""A case the receiving team returns to the MASH gets a new decision deadline, counted
from the return with the area's timescale for its RAG rating: it is not overdue at once,
the queue ranks it by the new deadline, and reminders and alerts follow the new one."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import RagLevel, TimeCounting, WorkingHours
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.time_text import when_text
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.models import Decision, HandOn, HandOnState, Message, MessageKind
from openmash.enquiries.services.decisions import decision_amend, decision_record
from openmash.enquiries.services.hand_ons import hand_on_return
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.test_decision_views import decision_url, html
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT
from tests.factories import a_submission

# Monday 2 March 2026, 10:00 in London (GMT).
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REASON = "Already open to a social worker in Westbridge."


def returned_case(
    referrer: User,
    screener: User,
    manager: User,
    coordinator: User,
    *,
    received_at: datetime,
    returned_at: datetime,
    rag: str = "amber",
) -> Contact:
    """A contact rated `rag`, stepped down to early help two hours after it was received,
    and returned by early help at `returned_at`."""
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=a_submission(), now=received_at
    )
    at = received_at + timedelta(minutes=30)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk, now=at)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Rated.", now=at
    )
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[], now=at)
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=STEP_DOWN_INPUT,
        now=received_at + timedelta(hours=2),
    )
    hand_on_return(
        actor=Actor(user=coordinator),
        hand_on_id=HandOn.objects.get(decision=decision).pk,
        reason=REASON,
        now=returned_at,
    )
    contact.refresh_from_db()
    assert contact.state == ContactState.AWAITING_DECISION
    return contact


@pytest.fixture
def return_case(
    school_referrer: User, screener: User, manager: User, early_help_coordinator: User
) -> Callable[..., Contact]:
    def make(
        returned_at: datetime, received_at: datetime = RECEIVED, rag: str = "amber"
    ) -> Contact:
        return returned_case(
            school_referrer,
            screener,
            manager,
            early_help_coordinator,
            received_at=received_at,
            returned_at=returned_at,
            rag=rag,
        )

    return make


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Callable[[datetime], int]:
    def run(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return deadline_alerts_send(now=now)

    return run


def test_it_counts_a_new_deadline_from_the_return(return_case: Callable[..., Contact]) -> None:
    returned_at = RECEIVED + timedelta(days=5, hours=3)
    contact = return_case(returned_at)
    # Amber is 24 clock hours: from the return, not from when the contact was received.
    assert contact.deadline_at == returned_at + timedelta(hours=24)


def test_it_counts_the_new_deadline_in_working_hours_where_the_area_does(
    return_case: Callable[..., Contact],
) -> None:
    RagLevel.objects.filter(code="amber").update(
        decision_hours=8, decision_counting=TimeCounting.WORKING_HOURS
    )
    # Returned at 18:00 on Friday 6 March, after the hub has closed: one working day is
    # Monday 9:00 to 17:00.
    contact = return_case(datetime(2026, 3, 6, 18, 0, tzinfo=UTC))
    assert contact.deadline_at == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def test_the_return_is_audited_with_the_old_and_the_new_deadline(
    return_case: Callable[..., Contact], early_help_coordinator: User
) -> None:
    returned_at = RECEIVED + timedelta(days=5)
    contact = return_case(returned_at)
    event = AuditEvent.objects.get(
        actor_user=early_help_coordinator, object_type="hand_on", contact_id=contact.pk
    )
    assert event.detail == {
        "change": "returned",
        "old_deadline": (RECEIVED + timedelta(hours=24)).isoformat(),
        "new_deadline": (returned_at + timedelta(hours=24)).isoformat(),
    }


def test_a_returned_case_is_not_overdue_and_the_queue_ranks_it_by_its_new_deadline(
    return_case: Callable[..., Contact], school_referrer: User, screener: User, manager: User
) -> None:
    now = timezone.now()
    returned = return_case(now - timedelta(minutes=5), received_at=now - timedelta(days=6))
    # A red contact received an hour ago is due in three hours: before the returned case,
    # due in 23 hours 55 minutes (it was ranked first, four days overdue).
    urgent, _ = contact_create(
        actor=Actor(user=school_referrer), submission=a_submission(), now=now - timedelta(hours=1)
    )
    contact_take(actor=Actor(user=screener), contact_id=urgent.pk)
    contact_rate(actor=Actor(user=screener), contact_id=urgent.pk, rag="red", rationale="Urgent.")
    enquiry_open(actor=Actor(user=screener), contact_id=urgent.pk, agency_ids=[])

    client = signed_in(manager)
    queue = html(client.get(reverse("enquiries:decision-queue")))
    assert queue.index(urgent.reference) < queue.index(returned.reference)
    assert "Overdue" not in queue
    assert "Returned by early help: amend the decision" in queue
    assert f"Why: {REASON}" in queue

    page = html(client.get(decision_url(returned)))
    assert returned.deadline_at is not None
    # 23 hours 54 minutes and some seconds left as the page is drawn.
    assert f"Decision due by {when_text(returned.deadline_at)}: 23 hours 54 minutes left" in page
    assert "Overdue" not in page
    assert "Returned to the MASH by early help" in page
    assert "The decision deadline was counted again from the return." in page
    assert REASON in page


def test_the_reminder_and_the_alert_follow_the_new_deadline(
    return_case: Callable[..., Contact],
    screener: User,
    manager: User,
    send: Callable[[datetime], int],
) -> None:
    returned_at = RECEIVED + timedelta(days=5)
    contact = return_case(returned_at)
    assert contact.deadline_at == returned_at + timedelta(hours=24)

    # The deadline set when the contact was received passed four days ago: no alert.
    assert send(returned_at + timedelta(minutes=1)) == 0
    assert send(contact.deadline_at - timedelta(minutes=30)) == 1
    reminder = Message.objects.get(kind=MessageKind.DEADLINE_REMINDER)
    assert reminder.to_user == screener
    assert reminder.subject == (
        f"{contact.reference}: MASH decision due by {when_text(contact.deadline_at)}"
    )
    assert send(contact.deadline_at + timedelta(minutes=1)) == 1
    alert = Message.objects.get(kind=MessageKind.DEADLINE_PASSED)
    assert alert.to_user == manager
    assert f"was due {when_text(contact.deadline_at)}" in alert.subject
    assert [email.to for email in mail.outbox] == [[screener.email], [manager.email]]


def test_a_second_return_due_on_the_same_minute_still_earns_its_reminder(
    return_case: Callable[..., Contact],
    screener: User,
    manager: User,
    early_help_coordinator: User,
    send: Callable[[datetime], int],
) -> None:
    """Working hours start every deadline set overnight at the same moment: a case
    returned, amended, handed on and returned again before the hub opens can be due on the
    very minute its last reminder was for."""
    RagLevel.objects.filter(code="red").update(
        decision_hours=4, decision_counting=TimeCounting.WORKING_HOURS
    )
    WorkingHours.objects.update(reminder_hours_before=8)
    contact = return_case(datetime(2026, 3, 6, 18, 0, tzinfo=UTC), received_at=RECEIVED, rag="red")
    monday_1pm = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert contact.deadline_at == monday_1pm
    assert send(datetime(2026, 3, 9, 6, 0, tzinfo=UTC)) == 1

    amendment = decision_amend(
        actor=Actor(user=manager),
        decision_id=Decision.objects.get(contact=contact).pk,
        data=STEP_DOWN_INPUT,
        reason="Early help can work alongside the social worker.",
        now=datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
    )
    hand_on_return(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=HandOn.objects.get(decision=amendment, state=HandOnState.PENDING).pk,
        reason="Still open to the social worker.",
        now=datetime(2026, 3, 9, 7, 0, tzinfo=UTC),
    )
    contact.refresh_from_db()
    assert contact.deadline_at == monday_1pm

    assert send(datetime(2026, 3, 9, 7, 30, tzinfo=UTC)) == 1
    reminders = Message.objects.filter(kind=MessageKind.DEADLINE_REMINDER, to_user=screener)
    assert reminders.count() == 2


def test_a_contact_never_returned_keeps_its_reminder_key(
    rated_contact: Contact, send: Callable[[datetime], int]
) -> None:
    # Keys already recorded must still match after an upgrade, or every reminder would be
    # sent again.
    assert rated_contact.deadline_at is not None
    send(rated_contact.deadline_at - timedelta(minutes=5))
    reminder = Message.objects.get()
    assert reminder.dedupe_key == (
        f"deadline_reminder:contact:{rated_contact.pk}:"
        f"{rated_contact.deadline_at:%Y%m%d%H%M}:{reminder.to_user_id}"
    )


def test_a_regrade_of_a_returned_case_counts_from_the_return(
    return_case: Callable[..., Contact], screener: User
) -> None:
    returned_at = RECEIVED + timedelta(days=5)
    contact = return_case(returned_at)
    rating = contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="red",
        rationale="Police report a new incident.",
        now=returned_at + timedelta(hours=1),
    )
    contact.refresh_from_db()
    assert rating.deadline_at == contact.deadline_at == returned_at + timedelta(hours=4)
