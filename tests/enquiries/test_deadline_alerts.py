"""Reminders before a deadline and alerts when one passes: each sent once, to the right
people, recorded as a Message and sent by email once the work has committed."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus

from openmash.accounts.models import User
from openmash.area.models import WorkingHours
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import Role
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.models import CheckState, Message, MessageKind
from openmash.enquiries.services.checks import check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import contact_rate, enquiry_open
from openmash.enquiries.tasks import send_deadline_alerts
from tests.enquiries.conftest import check_for, not_known
from tests.factories import a_submission

REMINDER = MessageKind.DEADLINE_REMINDER
PASSED = MessageKind.DEADLINE_PASSED


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Callable[[datetime], int]:
    """Run the reminders as the task would, with emails going out on commit."""

    def run(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return deadline_alerts_send(now=now)

    return run


def sent_to(kind: str, contact: Contact | None = None) -> list[str]:
    messages = Message.objects.filter(kind=kind)
    if contact is not None:
        messages = messages.filter(contact=contact)
    return sorted(message.to_user.username for message in messages)  # type: ignore[union-attr]


def outbox_to() -> list[str]:
    return sorted(address for email in mail.outbox for address in email.to)


def a_contact(referrer: User, received_at: datetime) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=a_submission(), now=received_at
    )
    return contact


# --- The contact's decision deadline ----------------------------------------------------


def test_it_reminds_every_screener_of_an_unassigned_contact_once(
    new_contact: Contact,
    screener: User,
    second_screener: User,
    manager: User,
    send: Callable[[datetime], int],
) -> None:
    assert new_contact.deadline_at is not None
    half_an_hour_before = new_contact.deadline_at - timedelta(minutes=30)

    assert send(half_an_hour_before) == 2
    assert sent_to(REMINDER) == ["screener", "second_screener"]
    assert outbox_to() == [screener.email, second_screener.email]
    message = Message.objects.filter(kind=REMINDER).first()
    assert message is not None
    assert message.subject.startswith(f"{new_contact.reference}: MASH decision due by ")
    assert [email.subject for email in mail.outbox] == [message.subject] * 2
    assert "Amy" not in message.body and "Smith" not in message.body, "no names in email"

    assert send(half_an_hour_before + timedelta(minutes=10)) == 0
    assert len(mail.outbox) == 2
    assert Message.objects.count() == 2


def test_it_reminds_only_the_screener_the_contact_is_assigned_to(
    rated_contact: Contact, second_screener: User, send: Callable[[datetime], int]
) -> None:
    assert rated_contact.deadline_at is not None
    assert send(rated_contact.deadline_at - timedelta(minutes=5)) == 1
    assert sent_to(REMINDER) == ["screener"]


def test_it_reminds_every_screener_when_the_assigned_one_has_left(
    rated_contact: Contact, screener: User, second_screener: User, send: Callable[[datetime], int]
) -> None:
    User.objects.filter(pk=screener.pk).update(is_active=False)
    assert rated_contact.deadline_at is not None
    send(rated_contact.deadline_at - timedelta(minutes=5))
    assert sent_to(REMINDER) == ["second_screener"]


def test_it_sends_nothing_before_the_reminder_window(
    new_contact: Contact, screener: User, send: Callable[[datetime], int]
) -> None:
    assert new_contact.deadline_at is not None
    assert send(new_contact.deadline_at - timedelta(hours=1, minutes=1)) == 0
    assert send(new_contact.deadline_at - timedelta(hours=1)) == 1


def test_the_reminder_window_is_configured_in_working_hours(
    new_contact: Contact, screener: User, send: Callable[[datetime], int]
) -> None:
    WorkingHours.objects.update(reminder_hours_before=4)
    assert new_contact.deadline_at is not None
    assert send(new_contact.deadline_at - timedelta(hours=3, minutes=59)) == 1


def test_it_alerts_every_manager_once_when_the_deadline_passes(
    rated_contact: Contact,
    manager: User,
    second_manager: User,
    send: Callable[[datetime], int],
) -> None:
    assert rated_contact.deadline_at is not None
    send(rated_contact.deadline_at - timedelta(minutes=30))
    mail.outbox.clear()

    assert send(rated_contact.deadline_at + timedelta(minutes=1)) == 2
    assert sent_to(PASSED) == ["manager", "second_manager"]
    assert outbox_to() == [manager.email, second_manager.email]
    assert "MASH decision overdue (was due " in mail.outbox[0].subject
    # The screener is not told twice, and a later run sends nothing new.
    assert sent_to(REMINDER) == ["screener"]
    assert send(rated_contact.deadline_at + timedelta(hours=5)) == 0
    assert len(mail.outbox) == 2


def test_a_regrade_that_moves_the_deadline_earns_a_new_reminder(
    rated_contact: Contact, screener: User, send: Callable[[datetime], int]
) -> None:
    amber_deadline = rated_contact.deadline_at
    assert amber_deadline is not None
    send(rated_contact.received_at + timedelta(hours=3, minutes=30))
    assert Message.objects.count() == 0
    contact_rate(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        rag="red",
        rationale="Police report a new incident.",
    )
    rated_contact.refresh_from_db()
    assert rated_contact.deadline_at == rated_contact.received_at + timedelta(hours=4)
    assert send(rated_contact.received_at + timedelta(hours=3, minutes=30)) == 1


def test_it_says_when_in_london_time(
    school_referrer: User, screener: User, send: Callable[[datetime], int]
) -> None:
    # Received 13:05 BST; amber is 24 clock hours.
    contact = a_contact(school_referrer, datetime(2026, 7, 14, 12, 5, tzinfo=UTC))
    send(datetime(2026, 7, 15, 11, 30, tzinfo=UTC))
    message = Message.objects.get()
    assert message.subject == f"{contact.reference}: MASH decision due by 13:05 on 15 July 2026"


def test_decided_and_closed_contacts_get_nothing(
    rated_contact: Contact,
    screener: User,
    manager: User,
    send: Callable[[datetime], int],
) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    decision_record(
        actor=Actor(user=manager),
        contact_id=rated_contact.pk,
        data=DecisionInput(
            level_of_need=1,
            outcome="nfa",
            factor_codes=["16A"],
            primary_need="N9",
            rationale="Needs met by school.",
        ),
    )
    Message.objects.all().delete()
    mail.outbox.clear()
    assert rated_contact.deadline_at is not None
    assert send(rated_contact.deadline_at - timedelta(minutes=30)) == 0
    assert send(rated_contact.deadline_at + timedelta(hours=1)) == 0
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_users_without_an_email_or_no_longer_active_are_not_sent_anything(
    new_contact: Contact,
    screener: User,
    make_user: Callable[..., User],
    send: Callable[[datetime], int],
) -> None:
    no_email = make_user("no_email_screener", Role.SCREENER)
    User.objects.filter(pk=no_email.pk).update(email="")
    gone = make_user("gone_screener", Role.SCREENER)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    assert new_contact.deadline_at is not None
    send(new_contact.deadline_at - timedelta(minutes=1))
    assert sent_to(REMINDER) == ["screener"]


# --- Agency checks ----------------------------------------------------------------------


def test_it_reminds_the_agency_s_researchers_before_a_check_is_due(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    make_user: Callable[..., User],
    send: Callable[[datetime], int],
) -> None:
    second_police = make_user("second_police_researcher", Role.AGENCY_RESEARCHER, "police")
    police = check_for(contact_with_checks, "police")
    check_record_findings(
        actor=Actor(user=researchers["health"]),
        check_id=check_for(contact_with_checks, "health").pk,
        findings=not_known(contact_with_checks),
    )

    assert send(police.deadline_at - timedelta(minutes=20)) == 3
    check_reminders = Message.objects.filter(kind=REMINDER, subject__contains="check due by")
    assert sorted(m.to_user.username for m in check_reminders) == [  # type: ignore[union-attr]
        "education_researcher",
        "police_researcher",
        second_police.username,
    ]
    assert "Police check due by" in check_reminders.get(to_user=second_police).subject
    # The health check is answered; probation was not asked.
    assert not Message.objects.filter(to_user=researchers["health"]).exists()
    assert not Message.objects.filter(to_user=researchers["probation"]).exists()
    assert send(police.deadline_at - timedelta(minutes=10)) == 0


def test_it_alerts_managers_when_a_check_is_overdue(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    manager: User,
    screener: User,
    send: Callable[[datetime], int],
) -> None:
    police = check_for(contact_with_checks, "police")
    for slug in ("health", "education"):
        check_waive(
            actor=Actor(user=screener),
            check_id=check_for(contact_with_checks, slug).pk,
            reason="Not needed.",
        )
    assert send(police.deadline_at + timedelta(minutes=1)) == 1
    alert = Message.objects.get(kind=PASSED)
    assert alert.to_user == manager
    assert alert.subject.startswith(f"{contact_with_checks.reference}: Police check overdue")
    assert send(police.deadline_at + timedelta(minutes=2)) == 0


def test_a_check_left_open_on_a_decided_contact_gets_nothing(
    contact_with_checks: Contact, manager: User, send: Callable[[datetime], int]
) -> None:
    police = check_for(contact_with_checks, "police")
    Contact.objects.filter(pk=contact_with_checks.pk).update(state="closed", deadline_at=None)
    assert police.state == CheckState.REQUESTED
    assert send(police.deadline_at + timedelta(minutes=1)) == 0


# --- Scale, the task and the command ----------------------------------------------------


def test_a_run_with_nothing_new_to_send_costs_the_same_for_1_or_10_contacts(
    school_referrer: User,
    screener: User,
    manager: User,
    send: Callable[[datetime], int],
) -> None:
    received = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    after = received + timedelta(hours=30)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert send(after) == 0
        return len(captured)

    a_contact(school_referrer, received)
    assert send(after) == 1
    one = queries()
    for _ in range(9):
        a_contact(school_referrer, received)
    assert send(after) == 9
    assert queries() == one


def test_the_task_sends_the_reminders(
    new_contact: Contact, screener: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert new_contact.deadline_at is not None
    # The task runs at the real time: put the deadline 30 minutes from now.
    Contact.objects.filter(pk=new_contact.pk).update(
        deadline_at=timezone.now() + timedelta(minutes=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = send_deadline_alerts.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert outbox_to() == [screener.email]
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_alerts.enqueue().return_value == 0


def test_the_command_queues_the_task(
    new_contact: Contact,
    screener: User,
    manager: User,
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Contact.objects.filter(pk=new_contact.pk).update(
        deadline_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deadline_alerts")
    assert "Queued deadline alerts" in capsys.readouterr().out
    assert sent_to(PASSED) == ["manager"]
    assert outbox_to() == [manager.email]


def test_a_new_manager_is_alerted_about_a_deadline_already_passed(
    rated_contact: Contact,
    manager: User,
    make_user: Callable[..., User],
    send: Callable[[datetime], int],
) -> None:
    assert rated_contact.deadline_at is not None
    send(rated_contact.deadline_at + timedelta(minutes=1))
    make_user("new_manager", Role.MASH_MANAGER)
    assert send(rated_contact.deadline_at + timedelta(minutes=2)) == 1
    assert sent_to(PASSED) == ["manager", "new_manager"]
