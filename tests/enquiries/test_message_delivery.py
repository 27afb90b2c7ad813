"""Emails the mail server does not take: recorded as failed, tried again after a growing
wait by the periodic work up to a limit, shown to MASH managers, who can try one again;
never an error page for the work that caused them, and never personal data in the logs."""

import importlib
import smtplib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries import message_delivery
from openmash.enquiries.message_delivery import MAX_ATTEMPTS, RETRY_AFTER, messages_retry_due
from openmash.enquiries.models import Decision, Message, MessageKind, MessageStatus
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import enquiry_open
from openmash.enquiries.tasks import retry_undelivered_messages
from tests.conftest import signed_in
from tests.enquiries.test_concurrency import at_the_same_moment
from tests.enquiries.test_decision_views import decision_url, html
from tests.enquiries.test_referrer_outcome import detail_url

REFERRER_EMAIL = "jo.bennett@riverside.sch.uk"
NO_FURTHER_ACTION = DecisionInput(
    level_of_need=1,
    outcome="nfa",
    factor_codes=["16A"],
    primary_need="N9",
    rationale="Needs met by the school.",
)
DECIDED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class MailServer:
    """Django's locmem backend, made to fail with `error` while `down` is set."""

    def __init__(self) -> None:
        self.down = False
        self.error: Exception = smtplib.SMTPRecipientsRefused(
            {REFERRER_EMAIL: (550, f"5.1.1 <{REFERRER_EMAIL}>: no such user".encode())}
        )
        self.during_send: Callable[[], None] | None = None


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    deliver = locmem.EmailBackend.send_messages

    def send_messages(backend: locmem.EmailBackend, messages: Any) -> int:
        if server.during_send is not None:
            server.during_send()
        if server.down:
            raise server.error
        return deliver(backend, messages)

    with mock.patch.object(
        locmem.EmailBackend, "send_messages", autospec=True, side_effect=send_messages
    ):
        yield server


def decide(contact: Contact, manager: User, screener: User, now: datetime | None = None) -> Message:
    """Decide no further action on the rated contact: the referrer is emailed the outcome."""
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decision_record(
        actor=Actor(user=manager), contact_id=contact.pk, data=NO_FURTHER_ACTION, now=now
    )
    return Message.objects.get(contact=contact, kind=MessageKind.OUTCOME_FEEDBACK)


@pytest.fixture
def failed_message(
    rated_contact: Contact,
    manager: User,
    screener: User,
    mail_server: MailServer,
    django_capture_on_commit_callbacks: Any,
) -> Message:
    """The outcome email to the referrer, refused by the mail server at DECIDED_AT."""
    mail_server.down = True
    with django_capture_on_commit_callbacks(execute=True):
        message = decide(rated_contact, manager, screener, DECIDED_AT)
    message.refresh_from_db()
    mail_server.down = False
    return message


def retry_url(message: Message) -> str:
    return reverse("enquiries:message-retry", kwargs={"message_id": message.pk})


# --- Recording a failure ----------------------------------------------------------------


def test_a_refused_email_is_left_failed_after_one_attempt(
    rated_contact: Contact,
    manager: User,
    screener: User,
    mail_server: MailServer,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mail_server.down = True
    with django_capture_on_commit_callbacks(execute=True):
        message = decide(rated_contact, manager, screener, DECIDED_AT)

    assert Decision.objects.filter(contact=rated_contact).count() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1
    assert message.last_attempt_at == DECIDED_AT
    assert message.next_attempt_at == DECIDED_AT + timedelta(minutes=5)
    assert message.sent_at is None
    assert message.failure == (
        "The mail server refused the recipient's address (SMTPRecipientsRefused)"
    )
    assert mail.outbox == []
    assert f"Message {message.pk} not sent (attempt 1 of {MAX_ATTEMPTS})" in caplog.text
    for secret in (REFERRER_EMAIL, "jo.bennett", "no such user", "Jo Bennett", "Dear"):
        assert secret not in caplog.text, "no personal data in logs"
        assert secret not in message.failure


def test_a_sent_email_records_when_the_mail_server_took_it(
    rated_contact: Contact,
    manager: User,
    screener: User,
    mail_server: MailServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = decide(rated_contact, manager, screener, DECIDED_AT)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (
        MessageStatus.SENT,
        1,
        DECIDED_AT,
    )
    assert message.next_attempt_at is None
    assert [email.to for email in mail.outbox] == [[REFERRER_EMAIL]]


def test_an_email_is_queued_until_its_transaction_commits(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    message = decide(rated_contact, manager, screener, DECIDED_AT)
    assert (message.status, message.attempts, message.sent_at) == (MessageStatus.QUEUED, 0, None)
    assert mail.outbox == []


# --- Trying again ------------------------------------------------------------------------


def test_the_periodic_work_sends_it_once_its_wait_is_over(
    failed_message: Message, mail_server: MailServer
) -> None:
    assert messages_retry_due(now=DECIDED_AT + timedelta(minutes=4)) == 0
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.attempts) == (MessageStatus.FAILED, 1)

    retried_at = DECIDED_AT + timedelta(minutes=5)
    assert messages_retry_due(now=retried_at) == 1
    failed_message.refresh_from_db()
    assert failed_message.status == MessageStatus.SENT
    assert failed_message.attempts == 2
    assert failed_message.sent_at == failed_message.last_attempt_at == retried_at
    assert failed_message.failure == ""
    assert failed_message.next_attempt_at is None
    assert [email.to for email in mail.outbox] == [[REFERRER_EMAIL]]

    assert messages_retry_due(now=retried_at + timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_it_waits_longer_after_each_failure_and_stops_after_the_limit(
    failed_message: Message, mail_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    mail_server.down = True
    waits = []
    while failed_message.next_attempt_at is not None:
        assert failed_message.last_attempt_at is not None
        waits.append(failed_message.next_attempt_at - failed_message.last_attempt_at)
        assert messages_retry_due(now=failed_message.next_attempt_at) == 0
        failed_message.refresh_from_db()
    assert waits == list(RETRY_AFTER)
    assert (failed_message.status, failed_message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert "A MASH manager can try it again." in caplog.text

    # Given up: the periodic work leaves it alone, even once the mail server is back.
    mail_server.down = False
    assert messages_retry_due(now=DECIDED_AT + timedelta(days=30)) == 0
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert mail.outbox == []


def test_a_queued_email_whose_attempt_never_happened_is_sent_by_the_periodic_work(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    # The on-commit attempt is lost (the test discards it, as a process killed just after
    # committing would).
    message = decide(rated_contact, manager, screener, DECIDED_AT)
    assert messages_retry_due(now=DECIDED_AT + timedelta(minutes=9)) == 0
    assert messages_retry_due(now=DECIDED_AT + message_delivery.SENDING_LEASE) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


def test_an_attempt_under_way_is_not_made_again_by_a_second_run(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    message = decide(rated_contact, manager, screener, DECIDED_AT)
    due = DECIDED_AT + message_delivery.SENDING_LEASE
    nested: list[int] = []
    # A second worker runs while the first is still talking to the mail server.
    mail_server.during_send = lambda: nested.append(messages_retry_due(now=due))
    assert messages_retry_due(now=due) == 1
    assert nested == [0]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert len(mail.outbox) == 1


def test_an_abandoned_last_attempt_is_given_up_rather_than_repeated(
    failed_message: Message, mail_server: MailServer
) -> None:
    # The fifth attempt was claimed, and its worker died before recording how it went.
    abandoned_at = DECIDED_AT + timedelta(hours=6)
    Message.objects.filter(pk=failed_message.pk).update(
        status=MessageStatus.QUEUED,
        attempts=MAX_ATTEMPTS,
        last_attempt_at=abandoned_at,
        next_attempt_at=abandoned_at + message_delivery.SENDING_LEASE,
    )
    assert messages_retry_due(now=abandoned_at + message_delivery.SENDING_LEASE) == 0
    failed_message.refresh_from_db()
    assert failed_message.status == MessageStatus.FAILED
    assert failed_message.attempts == MAX_ATTEMPTS
    assert failed_message.next_attempt_at is None
    assert "did not finish" in failed_message.failure
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "Could not reach the mail server"),
        (smtplib.SMTPServerDisconnected("gone"), "Could not reach the mail server"),
        (
            smtplib.SMTPAuthenticationError(535, b"bad credentials"),
            "The mail server did not accept OpenMASH's credentials",
        ),
        (
            smtplib.SMTPDataError(554, f"rejected mail for {REFERRER_EMAIL}".encode()),
            "The mail server refused the message",
        ),
        (RuntimeError(f"boom: {REFERRER_EMAIL}"), "The email could not be handed to the"),
    ],
)
def test_the_failure_says_what_kind_of_error_and_nothing_personal(
    failed_message: Message,
    mail_server: MailServer,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    failure: str,
) -> None:
    mail_server.down = True
    mail_server.error = error
    messages_retry_due(now=DECIDED_AT + timedelta(minutes=5))
    failed_message.refresh_from_db()
    assert failed_message.failure.startswith(failure)
    assert failed_message.failure.endswith(f"({type(error).__name__})")
    assert REFERRER_EMAIL not in failed_message.failure
    assert REFERRER_EMAIL not in caplog.text


def test_the_task_and_the_command_try_again_what_is_due(
    rated_contact: Contact,
    manager: User,
    screener: User,
    mail_server: MailServer,
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The task runs at the real time: the email failed an hour ago.
    mail_server.down = True
    with django_capture_on_commit_callbacks(execute=True):
        message = decide(rated_contact, manager, screener, timezone.now() - timedelta(hours=1))
    mail_server.down = False

    with django_capture_on_commit_callbacks(execute=True):
        call_command("deadline_alerts")
    assert "Queued retries of undelivered emails" in capsys.readouterr().out
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert [email.to for email in mail.outbox] == [[REFERRER_EMAIL]]
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_undelivered_messages.enqueue().return_value == 0


def test_existing_messages_are_treated_as_sent_by_the_migration(
    rated_contact: Contact, manager: User, screener: User
) -> None:
    message = decide(rated_contact, manager, screener, DECIDED_AT)
    Message.objects.filter(pk=message.pk).update(sent_at=DECIDED_AT, created_at=timezone.now())
    migration = importlib.import_module("openmash.enquiries.migrations.0003_message_delivery")
    migration.mark_existing_sent(apps, None)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert message.created_at == message.last_attempt_at == message.sent_at == DECIDED_AT


# --- What managers see, and trying again by hand -----------------------------------------


def test_managers_see_undelivered_emails_on_the_decision_page_and_the_queue(
    failed_message: Message, manager: User
) -> None:
    client = signed_in(manager)
    page = html(client.get(decision_url(failed_message.contact)))
    assert 'id="undelivered-emails"' in page
    assert "Outcome fed back to the referrer" in page
    assert f"To the referrer: {REFERRER_EMAIL}" in page
    assert "The mail server refused the recipient&#x27;s address (SMTPRecipientsRefused)" in page
    assert "OpenMASH will try again at " in page
    assert f'action="{retry_url(failed_message)}"' in page

    queue = html(client.get(reverse("enquiries:decision-queue")))
    assert "Emails not delivered" in queue
    assert f"{decision_url(failed_message.contact)}#undelivered-emails" in queue
    assert "To the referrer" in queue
    assert REFERRER_EMAIL not in queue


def test_the_queue_lists_undelivered_emails_in_the_audit_log(
    failed_message: Message, manager: User
) -> None:
    signed_in(manager).get(reverse("enquiries:decision-queue"))
    assert AuditEvent.objects.filter(
        actor_user=manager,
        action=AuditAction.LIST,
        object_type="message",
        object_id=str(failed_message.pk),
    ).exists()


def test_a_delivered_email_is_not_listed(
    failed_message: Message, manager: User, mail_server: MailServer
) -> None:
    messages_retry_due(now=DECIDED_AT + timedelta(minutes=5))
    client = signed_in(manager)
    assert "Emails not delivered" not in html(client.get(decision_url(failed_message.contact)))
    assert "Emails not delivered" not in html(client.get(reverse("enquiries:decision-queue")))


def test_a_screener_sees_undelivered_emails_but_cannot_try_them_again(
    failed_message: Message, screener: User
) -> None:
    client = signed_in(screener)
    page = html(client.get(decision_url(failed_message.contact)))
    assert "Emails not delivered" in page
    assert "A MASH manager can try to send them again." in page
    assert retry_url(failed_message) not in page
    assert client.post(retry_url(failed_message)).status_code == 403
    failed_message.refresh_from_db()
    assert failed_message.status == MessageStatus.FAILED


def test_a_manager_tries_again_and_the_attempt_is_audited(
    failed_message: Message,
    manager: User,
    mail_server: MailServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(manager).post(retry_url(failed_message))
    assert response.status_code == 302
    assert response["Location"] == decision_url(failed_message.contact) + "#undelivered-emails"
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.attempts) == (MessageStatus.SENT, 2)
    assert [email.to for email in mail.outbox] == [[REFERRER_EMAIL]]
    event = AuditEvent.objects.get(actor_user=manager, object_type="message")
    assert event.action == AuditAction.UPDATE
    assert event.contact_id == failed_message.contact_id
    assert event.detail["change"] == "sending tried again"


def test_an_email_already_sent_is_not_sent_again(
    failed_message: Message, manager: User, mail_server: MailServer
) -> None:
    messages_retry_due(now=DECIDED_AT + timedelta(minutes=5))
    response = signed_in(manager).post(retry_url(failed_message))
    assert response.status_code == 409
    assert "This email has been sent." in html(response)
    assert len(mail.outbox) == 1


def test_trying_again_answers_get_and_unknown_emails_as_it_should(
    failed_message: Message, manager: User
) -> None:
    client = signed_in(manager)
    assert client.get(retry_url(failed_message)).status_code == 405
    assert client.post("/mash/emails/999999/retry/").status_code == 404
    assert client.post(f"/mash/emails/{2**63}/retry/").status_code == 404


# --- With real commits: the attempt is made inside the request ---------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "breakage",
    ["refused", "unreachable", "backend bug", "database"],
)
def test_a_failed_send_never_turns_a_committed_decision_into_an_error_page(
    rated_contact: Contact,
    manager: User,
    screener: User,
    mail_server: MailServer,
    caplog: pytest.LogCaptureFixture,
    breakage: str,
) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    mail_server.down = True
    mail_server.error = {
        "refused": mail_server.error,
        "unreachable": ConnectionRefusedError(111, "Connection refused"),
        "backend bug": RuntimeError(f"cannot send to {REFERRER_EMAIL}"),
        "database": mail_server.error,
    }[breakage]
    with mock.patch.object(
        message_delivery,
        "_claim",
        side_effect=DatabaseError("database is locked") if breakage == "database" else None,
        wraps=message_delivery._claim,
    ):
        response = signed_in(manager).post(
            decision_url(rated_contact),
            {
                "level_of_need": "1",
                "outcome": "nfa",
                "factor_codes": ["16A"],
                "primary_need": "N9",
                "rationale": "Needs met by the school.",
            },
        )

    assert response.status_code == 302
    assert Decision.objects.filter(contact=rated_contact).count() == 1
    message = Message.objects.get(contact=rated_contact, kind=MessageKind.OUTCOME_FEEDBACK)
    if breakage == "database":
        # Nothing recorded of the attempt: the periodic work will make it.
        assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
        assert message.next_attempt_at is not None
    else:
        assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert REFERRER_EMAIL not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_manager_is_told_the_email_was_sent(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    mail_server.down = True
    message = decide(rated_contact, manager, screener)
    mail_server.down = False
    client = signed_in(manager)

    response = client.post(retry_url(message), follow=True)

    assert response.redirect_chain[-1][0].endswith("#undelivered-emails")
    page = html(response)
    assert "The email was sent." in page
    assert "Emails not delivered" not in page
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_a_manager_is_told_when_it_still_cannot_be_sent(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    mail_server.down = True
    message = decide(rated_contact, manager, screener)
    Message.objects.filter(pk=message.pk).update(attempts=MAX_ATTEMPTS, next_attempt_at=None)

    response = signed_in(manager).post(retry_url(message))

    assert response.status_code == 200
    page = html(response)
    assert "There is a problem" in page
    assert 'href="#undelivered-emails"' in page
    assert "The email still could not be sent: The mail server refused" in page
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS + 1)
    # Beyond the limit, a manager's attempt is not followed by automatic ones.
    assert message.next_attempt_at is None
    assert "OpenMASH has stopped trying" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_a_due_email_once(
    rated_contact: Contact, manager: User, screener: User, mail_server: MailServer
) -> None:
    mail_server.down = True
    message = decide(rated_contact, manager, screener, DECIDED_AT)
    mail_server.down = False
    assert message.next_attempt_at is not None
    due = message.next_attempt_at

    results = at_the_same_moment(
        lambda: messages_retry_due(now=due), lambda: messages_retry_due(now=due)
    )

    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)


# --- What the referrer is told ----------------------------------------------------------


def referrer_page(referrer: User, message: Message) -> str:
    return html(signed_in(referrer).get(detail_url(Contact.objects.get(pk=message.contact_id))))


def test_the_referrer_is_not_told_an_undelivered_email_was_sent(
    failed_message: Message, school_referrer: User
) -> None:
    page = referrer_page(school_referrer, failed_message)
    assert "We emailed the outcome" not in page
    assert f"We are emailing the outcome to {REFERRER_EMAIL}" in page
    assert "It has not been delivered yet; we will keep trying." in page


def test_the_referrer_is_told_when_the_email_could_not_be_sent(
    failed_message: Message, school_referrer: User
) -> None:
    Message.objects.filter(pk=failed_message.pk).update(attempts=MAX_ATTEMPTS, next_attempt_at=None)
    page = referrer_page(school_referrer, failed_message)
    assert f"We could not email the outcome to {REFERRER_EMAIL}." in page
    assert "We emailed the outcome" not in page


def test_the_referrer_is_told_when_a_retried_email_was_sent(
    failed_message: Message, school_referrer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        messages_retry_due(now=DECIDED_AT + RETRY_AFTER[0] + timedelta(seconds=1))
    failed_message.refresh_from_db()
    assert failed_message.status == MessageStatus.SENT
    page = referrer_page(school_referrer, failed_message)
    assert f"We emailed the outcome to {REFERRER_EMAIL} on " in page
