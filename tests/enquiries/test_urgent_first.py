"""Urgent first (issue 12): immediate risk and red sorted and marked first in the screening
queue, MASH managers alerted when urgent work waits unassigned, and hand-ons with an
acceptance deadline, their age, an overdue marker, a reminder and an escalation."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.models import WorkingHours
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.models import HandOn, Message, MessageKind
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import contact_rate, contact_release, contact_take
from tests.conftest import signed_in
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact, hand_on_url
from tests.factories import a_submission

URGENT = MessageKind.URGENT_UNASSIGNED


def a_contact(
    referrer: User, *, immediate_risk: bool = False, received_at: datetime | None = None
) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=submission, now=received_at or timezone.now()
    )
    return contact


def rated(contact: Contact, screener: User, rag: str) -> Contact:
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Seen.")
    contact.refresh_from_db()
    return contact


def queue(client: Client, query: str = "") -> Any:
    response = client.get(reverse("enquiries:screening-queue") + query)
    assert response.status_code == 200
    return response


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Callable[[datetime], int]:
    def run(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return deadline_alerts_send(now=now)

    return run


def sent(kind: str, contact: Contact | None = None) -> list[str]:
    messages = Message.objects.filter(kind=kind)
    if contact is not None:
        messages = messages.filter(contact=contact)
    return sorted(m.to_user.username for m in messages)  # type: ignore[union-attr]


# --- The screening queue ----------------------------------------------------------------


def test_immediate_risk_then_red_then_the_nearest_deadline(
    school_referrer: User, screener: User
) -> None:
    overdue_amber = rated(
        a_contact(school_referrer, received_at=timezone.now() - timedelta(days=3)),
        screener,
        "amber",
    )
    green = rated(a_contact(school_referrer), screener, "green")
    red = rated(a_contact(school_referrer), screener, "red")
    immediate = a_contact(school_referrer, immediate_risk=True)

    rows = queue(signed_in(screener)).context["rows"]

    assert [row.reference for row in rows] == [
        immediate.reference,
        red.reference,
        overdue_amber.reference,
        green.reference,
    ]


def test_the_queue_marks_immediate_risk_and_highlights_it_until_rated(
    school_referrer: User, screener: User
) -> None:
    immediate = a_contact(school_referrer, immediate_risk=True)
    a_contact(school_referrer)
    client = signed_in(screener)

    page = queue(client).content.decode()
    assert page.count('data-testid="immediate-risk"') == 1
    assert page.count('data-testid="rate-now"') == 1
    assert "Rate now: a child is at immediate risk" in page

    rated(immediate, screener, "amber")
    page = queue(client).content.decode()
    # Still marked (the referrer said so), no longer asking to be rated.
    assert page.count('data-testid="immediate-risk"') == 1
    assert 'data-testid="rate-now"' not in page


def test_the_queue_reads_the_same_queries_with_1_or_20_immediate_risk_markers(
    school_referrer: User, screener: User
) -> None:
    client = signed_in(screener)
    a_contact(school_referrer, immediate_risk=True)
    queue(client)
    with CaptureQueriesContext(connection) as one:
        queue(client)
    for number in range(19):
        contact = a_contact(school_referrer, immediate_risk=True)
        if number % 2:
            rated(contact, screener, "red")
    with CaptureQueriesContext(connection) as twenty:
        page = queue(client).content.decode()
    assert len(one) == len(twenty)
    assert page.count('data-testid="immediate-risk"') == 20


def test_the_queue_warns_of_urgent_work_waiting_past_the_areas_minutes(
    school_referrer: User, screener: User
) -> None:
    client = signed_in(screener)
    a_contact(
        school_referrer, immediate_risk=True, received_at=timezone.now() - timedelta(minutes=5)
    )
    assert queue(client).context["urgent_unassigned"] == ""

    a_contact(
        school_referrer, immediate_risk=True, received_at=timezone.now() - timedelta(minutes=11)
    )
    page = queue(client).content.decode()
    assert "1 urgent contact (immediate risk or red) has waited more than 10 minutes" in page

    WorkingHours.objects.update(urgent_unassigned_minutes=2)
    assert queue(client).context["urgent_unassigned"].startswith("2 urgent contacts")


# --- The alert to MASH managers ---------------------------------------------------------


def test_managers_are_alerted_once_when_an_immediate_risk_contact_waits_unassigned(
    school_referrer: User,
    screener: User,
    manager: User,
    second_manager: User,
    send: Callable[[datetime], int],
) -> None:
    received = timezone.now()
    contact = a_contact(school_referrer, immediate_risk=True, received_at=received)
    a_contact(school_referrer, received_at=received)  # not urgent: no alert

    send(received + timedelta(minutes=9))
    assert sent(URGENT) == []

    send(received + timedelta(minutes=11))
    assert sent(URGENT, contact) == ["manager", "second_manager"]
    assert Message.objects.filter(kind=URGENT).count() == 2
    alert = Message.objects.filter(kind=URGENT).first()
    assert alert is not None
    assert alert.subject.startswith(f"{contact.reference}: a child at immediate risk")
    assert "Amy" not in alert.subject + alert.body, "no names in the email"
    assert {email.subject for email in mail.outbox if email.to == [manager.email]} >= {
        alert.subject
    }

    # Once per contact, however often the periodic task runs.
    send(received + timedelta(minutes=20))
    send(received + timedelta(hours=3))
    assert Message.objects.filter(kind=URGENT).count() == 2


def test_the_queue_says_managers_were_alerted_until_someone_takes_it(
    school_referrer: User, screener: User, manager: User, send: Callable[[datetime], int]
) -> None:
    received = timezone.now() - timedelta(minutes=15)
    contact = a_contact(school_referrer, immediate_risk=True, received_at=received)
    client = signed_in(screener)
    assert 'data-testid="managers-alerted"' not in queue(client).content.decode()

    send(timezone.now())
    assert queue(client).content.decode().count('data-testid="managers-alerted"') == 1

    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    page = queue(client).content.decode()
    assert 'data-testid="managers-alerted"' not in page
    assert 'id="urgent-unassigned"' not in page


def test_no_alert_once_someone_has_taken_it(
    school_referrer: User, screener: User, manager: User, send: Callable[[datetime], int]
) -> None:
    received = timezone.now() - timedelta(minutes=3)
    contact = a_contact(school_referrer, immediate_risk=True, received_at=received)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    send(received + timedelta(minutes=30))
    assert sent(URGENT) == []


def test_a_red_contact_released_unassigned_alerts_managers(
    school_referrer: User, screener: User, manager: User, send: Callable[[datetime], int]
) -> None:
    received = timezone.now() - timedelta(minutes=1)
    contact = rated(a_contact(school_referrer, received_at=received), screener, "red")
    contact_release(actor=Actor(user=screener), contact_id=contact.pk)
    send(received + timedelta(minutes=10, seconds=1))
    assert sent(URGENT, contact) == ["manager"]
    alert = Message.objects.get(kind=URGENT)
    assert "rated red" in alert.subject


def test_the_minutes_are_the_areas_setting(
    school_referrer: User, manager: User, send: Callable[[datetime], int]
) -> None:
    WorkingHours.objects.update(urgent_unassigned_minutes=30)
    received = timezone.now()
    a_contact(school_referrer, immediate_risk=True, received_at=received)
    send(received + timedelta(minutes=20))
    assert sent(URGENT) == []
    send(received + timedelta(minutes=31))
    assert sent(URGENT) == ["manager"]


# --- Hand-ons: acceptance deadline, age, overdue, reminder and escalation ----------------


@pytest.fixture
def hand_on(
    school_referrer: User, screener: User, manager: User, early_help_coordinator: User
) -> HandOn:
    WorkingHours.objects.update(hand_on_acceptance_hours=4, hand_on_acceptance_counting="clock")
    return decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)


def test_a_hand_on_gets_the_areas_acceptance_deadline(hand_on: HandOn) -> None:
    assert hand_on.deadline_at == hand_on.created_at + timedelta(hours=4)


def test_the_acceptance_timescale_counts_working_hours_by_default() -> None:
    hours = WorkingHours()
    assert (hours.hand_on_acceptance_hours, hours.hand_on_acceptance_counting) == (
        Decimal(8),
        "working",
    )


def test_the_team_is_reminded_and_managers_alerted_once_each(
    hand_on: HandOn,
    early_help_coordinator: User,
    manager: User,
    second_manager: User,
    send: Callable[[datetime], int],
) -> None:
    assert hand_on.deadline_at is not None
    send(hand_on.deadline_at - timedelta(hours=2))
    assert sent(MessageKind.HAND_ON_REMINDER) == []

    send(hand_on.deadline_at - timedelta(minutes=30))
    send(hand_on.deadline_at - timedelta(minutes=10))
    assert sent(MessageKind.HAND_ON_REMINDER) == ["early_help_coordinator"]
    assert sent(MessageKind.HAND_ON_OVERDUE) == []

    send(hand_on.deadline_at + timedelta(minutes=1))
    send(hand_on.deadline_at + timedelta(days=2))
    assert sent(MessageKind.HAND_ON_OVERDUE) == ["manager", "second_manager"]
    escalation = Message.objects.filter(kind=MessageKind.HAND_ON_OVERDUE).first()
    assert escalation is not None
    assert "handed on to early help and not accepted (was due" in escalation.subject


def test_nothing_is_sent_about_an_accepted_hand_on(
    hand_on: HandOn, early_help_coordinator: User, send: Callable[[datetime], int]
) -> None:
    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=hand_on.pk)
    assert hand_on.deadline_at is not None
    send(hand_on.deadline_at + timedelta(hours=1))
    assert sent(MessageKind.HAND_ON_REMINDER) + sent(MessageKind.HAND_ON_OVERDUE) == []


def test_the_queue_and_page_show_age_deadline_and_overdue(
    hand_on: HandOn, early_help_coordinator: User
) -> None:
    client = signed_in(early_help_coordinator)
    page = client.get(reverse("enquiries:hand-on-queue")).content.decode()
    assert "left" in page and "To be accepted by" in page
    assert 'data-testid="hand-on-overdue"' not in page

    HandOn.objects.filter(pk=hand_on.pk).update(
        created_at=timezone.now() - timedelta(days=2, hours=3),
        deadline_at=timezone.now() - timedelta(days=1),
    )
    page = client.get(reverse("enquiries:hand-on-queue")).content.decode()
    assert "2 days 3 hours" in page
    assert 'data-testid="hand-on-overdue"' in page
    assert "Overdue by 1 day" in page

    page = client.get(hand_on_url(hand_on)).content.decode()
    assert "waiting 2 days 3 hours" in page
    assert "Overdue by 1 day" in page


def test_a_hand_on_made_before_the_timescale_gets_one_worked_out(
    hand_on: HandOn, early_help_coordinator: User
) -> None:
    HandOn.objects.filter(pk=hand_on.pk).update(deadline_at=None)
    client = signed_in(early_help_coordinator)
    response = client.get(hand_on_url(hand_on))
    assert response.context["hand_on"].deadline.at == hand_on.created_at + timedelta(hours=4)


def test_hand_ons_made_before_the_timescale_cost_no_query_each(
    school_referrer: User, screener: User, manager: User, early_help_coordinator: User
) -> None:
    client = signed_in(early_help_coordinator)
    url = reverse("enquiries:hand-on-queue")
    decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    HandOn.objects.update(deadline_at=None)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    HandOn.objects.update(deadline_at=None)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert len(one) == len(five)
    assert page.count("To be accepted by") == 5
