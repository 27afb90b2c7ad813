"""Delivery through GOV.UK Notify (docs/adr/0017): against a local fake Notify server that
speaks its HTTP API and checks the client's JWT, never a mocked client. Notify's refusals
become failure texts without personal data; a bad request (400) is not tried again, a
refused key or a clock out of step (403, logged at ERROR as a configuration fault), a rate
limit or an outage (429, 5xx) is, after ADR 0010's waits; Notify's id
is kept so what became of the message can be asked, and a bounce is shown as failed."""

import logging
import socket
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.enquiries.message_delivery import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    messages_notify_status_refresh,
    messages_retry_due,
)
from openmash.enquiries.models import Message, MessageStatus
from tests.conftest import signed_in
from tests.enquiries.test_decision_views import decision_url, html
from tests.enquiries.test_message_delivery import DECIDED_AT, REFERRER_EMAIL, decide
from tests.fake_notify import FakeNotify


def _decide(contact: Contact, manager: User, screener: User, capture: Any) -> Message:
    with capture(execute=True):
        message = decide(contact, manager, screener, DECIDED_AT)
    message.refresh_from_db()
    return message


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (500, "GOV.UK Notify was unavailable (HTTP 500)"),
        (503, "GOV.UK Notify was unavailable (HTTP 503)"),
        (429, "GOV.UK Notify's rate limit was reached (HTTP 429)"),
    ],
)
def test_it_tries_again_after_an_outage_or_a_rate_limit(
    status: int,
    failure: str,
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_notify.fail_next(status, times=2)
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.FAILED
    assert message.failure == failure
    assert message.attempts == 1
    assert message.next_attempt_at == DECIDED_AT + RETRY_AFTER[0]
    assert message.notify_id == ""

    # Not yet due: nothing is asked of Notify.
    assert messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0] - timedelta(seconds=1)) == 0
    # Second attempt, still refused: the wait grows.
    assert messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0]) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 2)
    assert message.next_attempt_at == DECIDED_AT + RETRY_AFTER[0] + RETRY_AFTER[1]
    # Third attempt: Notify takes it.
    assert messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0] + RETRY_AFTER[1]) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 3
    assert message.failure == ""
    assert fake_notify.notifications[message.notify_id]["email_address"] == REFERRER_EMAIL
    assert [request[2] for request in fake_notify.requests] == [status, status, 201]
    assert mail.outbox == []


def test_a_request_notify_refuses_as_invalid_is_not_tried_again(
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The fake's 400 quotes the address, as Notify's validation errors can.
    fake_notify.fail_next(400)
    with caplog.at_level(logging.DEBUG):
        message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.FAILED
    assert message.failure == "GOV.UK Notify refused the message as invalid (HTTP 400)"
    assert message.next_attempt_at is None
    assert messages_retry_due(now=DECIDED_AT + timedelta(days=1)) == 0
    assert len(fake_notify.requests) == 1
    # Neither the failure nor any log line holds the address or the body.
    assert REFERRER_EMAIL not in message.failure
    for record in caplog.records:
        assert REFERRER_EMAIL not in record.getMessage()
        assert message.body not in record.getMessage()
    assert any(f"Message {message.pk} not sent" in r.getMessage() for r in caplog.records)


KEY_REFUSED = (
    "GOV.UK Notify refused OpenMASH's API key (HTTP 403): check OPENMASH_NOTIFY_API_KEY "
    "is current and the server's clock is within 30 seconds"
)


def test_a_key_notify_does_not_accept_is_tried_again_and_logged_as_a_configuration_error(
    fake_notify: FakeNotify,
    settings: Any,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A key with the right service but the wrong secret (revoked or rotated): the fake
    # server checks the JWT. Notify answers 403 for every message until the set-up is put
    # right, so giving up would lose every alert sent overnight.
    good_key = settings.NOTIFY_API_KEY
    settings.NOTIFY_API_KEY = (
        f"openmash_test-{fake_notify.service_id}-{'0' * 8}-0000-0000-0000-{'0' * 12}"
    )
    with caplog.at_level(logging.WARNING, logger="openmash"):
        message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert fake_notify.requests == [("POST", "/v2/notifications/email", 403)]
    assert fake_notify.sent == []
    assert message.status == MessageStatus.FAILED
    assert message.failure == KEY_REFUSED
    assert message.next_attempt_at == DECIDED_AT + RETRY_AFTER[0]
    refused = [r for r in caplog.records if f"Message {message.pk} not sent" in r.getMessage()]
    assert [r.levelno for r in refused] == [logging.ERROR]
    assert "OPENMASH_NOTIFY_API_KEY" in refused[0].getMessage()
    assert "It will be tried again." in refused[0].getMessage()
    for record in caplog.records:
        assert REFERRER_EMAIL not in record.getMessage()
        assert message.body not in record.getMessage()

    # The key is put right: the next due attempt sends it.
    settings.NOTIFY_API_KEY = good_key
    assert messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0]) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2
    assert message.notify_id in fake_notify.notifications


def test_a_403_keeps_the_waits_and_gives_up_only_after_the_last_attempt(
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # As a server clock more than 30 seconds out would: a 403 on every attempt.
    fake_notify.fail_next(403, times=MAX_ATTEMPTS)
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    due = DECIDED_AT
    for attempt in range(1, MAX_ATTEMPTS):
        assert (message.attempts, message.failure) == (attempt, KEY_REFUSED)
        due += RETRY_AFTER[attempt - 1]
        assert message.next_attempt_at == due
        assert messages_retry_due(now=due) == 0
        message.refresh_from_db()
    assert message.attempts == MAX_ATTEMPTS
    assert message.status == MessageStatus.FAILED
    assert message.next_attempt_at is None
    assert [request[2] for request in fake_notify.requests] == [403] * MAX_ATTEMPTS


def test_it_tries_again_when_notify_cannot_be_reached(
    fake_notify: FakeNotify,
    settings: Any,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{port}"
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.FAILED
    assert message.failure == "Could not reach GOV.UK Notify"
    assert message.next_attempt_at == DECIDED_AT + RETRY_AFTER[0]

    settings.NOTIFY_BASE_URL = fake_notify.base_url
    assert messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0]) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.notify_id in fake_notify.notifications


def test_it_gives_up_after_the_last_attempt(
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_notify.fail_next(500, times=MAX_ATTEMPTS)
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    when = DECIDED_AT
    for wait in RETRY_AFTER:
        when += wait
        messages_retry_due(now=when)
    message.refresh_from_db()
    assert message.attempts == MAX_ATTEMPTS
    assert message.status == MessageStatus.FAILED
    assert message.next_attempt_at is None
    assert messages_retry_due(now=when + timedelta(days=1)) == 0
    assert len(fake_notify.requests) == MAX_ATTEMPTS


def test_it_records_what_notify_says_became_of_a_message(
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.SENT
    fake_notify.statuses[message.notify_id] = "sending"
    assert messages_notify_status_refresh(now=DECIDED_AT + timedelta(minutes=5)) == 1
    message.refresh_from_db()
    assert (message.status, message.notify_status) == (MessageStatus.SENT, "sending")

    fake_notify.statuses[message.notify_id] = "delivered"
    messages_notify_status_refresh(now=DECIDED_AT + timedelta(minutes=10))
    message.refresh_from_db()
    assert message.notify_status == "delivered"
    # Delivered is final: Notify is not asked again.
    requests = len(fake_notify.requests)
    assert messages_notify_status_refresh(now=DECIDED_AT + timedelta(minutes=15)) == 0
    assert len(fake_notify.requests) == requests


def test_a_bounce_reported_by_notify_is_shown_to_managers_as_undelivered(
    fake_notify: FakeNotify,
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    fake_notify.statuses[message.notify_id] = "permanent-failure"
    messages_notify_status_refresh(now=DECIDED_AT + timedelta(hours=1))
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.notify_status == "permanent-failure"
    assert message.failure.startswith("GOV.UK Notify could not deliver it")
    assert message.next_attempt_at is None
    page = html(signed_in(manager).get(decision_url(rated_contact)))
    assert 'id="undelivered-emails"' in page
    assert "GOV.UK Notify could not deliver it" in page


def test_it_does_not_ask_notify_about_email_sent_without_a_key(
    rated_contact: Contact,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = _decide(rated_contact, manager, screener, django_capture_on_commit_callbacks)
    assert message.status == MessageStatus.SENT
    assert message.notify_id == ""
    assert messages_notify_status_refresh(now=DECIDED_AT + timedelta(hours=1)) == 0
