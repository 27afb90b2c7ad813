"""Forgotten password (issue 14, item 4): a single-use, time-limited link by email, the
same answer whether or not an address has an account, through the project's email
channel (Django's backend here, GOV.UK Notify when configured), audited."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse

from openmash.accounts import throttle
from openmash.accounts.models import User, UserSession
from openmash.accounts.services import password_reset_request
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from tests.conftest import PASSWORD, signed_in
from tests.fake_notify import FakeNotify

RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "a-fresh-long-passphrase-2026"
LINK = re.compile(r"https?://[^\s]+/accounts/reset/[^\s]+/")


def ask_for_a_link(client: Client, email: str) -> Any:
    return client.post(RESET, {"email": email})


def the_link(message: mail.EmailMessage) -> str:
    match = LINK.search(str(message.body))
    assert match, message.body
    return match.group(0)


def set_password(client: Client, link: str, password: str = NEW_PASSWORD) -> Any:
    """Opens the link (which moves its secret into the session) and sets a password."""
    opened = client.get(link)
    assert opened.status_code == 302, opened.status_code
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def test_it_emails_a_link_that_sets_a_new_password(screener: User) -> None:
    client = Client()

    response = ask_for_a_link(client, "SCREENER@example.invalid")  # any case

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password-reset-sent")
    [message] = mail.outbox
    assert message.to == [screener.email]
    assert "Set a new password" in message.subject
    assert "works once, for 60 minutes" in message.body
    done = set_password(client, the_link(message))
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:sign-in")
    screener.refresh_from_db()
    assert screener.check_password(NEW_PASSWORD)
    signed = client.post(
        reverse("accounts:sign-in"), {"username": "screener", "password": NEW_PASSWORD}
    )
    assert signed.status_code == 302


def test_it_answers_the_same_whether_or_not_the_address_has_an_account(
    screener: User,
) -> None:
    known = ask_for_a_link(Client(), screener.email)
    unknown = ask_for_a_link(Client(), "nobody@example.invalid")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    page = Client().get(known["Location"]).content.decode()
    assert "If an OpenMASH account uses the email address you gave" in page
    assert "nobody@example.invalid" not in page


@pytest.mark.parametrize("kind", ["deactivated", "no password here"])
def test_it_sends_nothing_to_an_account_that_cannot_use_a_password(
    screener: User, kind: str
) -> None:
    if kind == "deactivated":
        screener.is_active = False
    else:
        screener.set_unusable_password()  # signs in through their organisation
    screener.save()

    response = ask_for_a_link(Client(), screener.email)

    assert response.status_code == 302
    assert mail.outbox == []


def test_the_link_works_once(screener: User) -> None:
    ask_for_a_link(Client(), screener.email)
    link = the_link(mail.outbox[0])
    set_password(Client(), link)

    again = Client().get(link)

    assert again.status_code == 200
    assert "The link has expired or been used" in again.content.decode()


def test_the_link_stops_working_once_its_time_is_up(
    screener: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask_for_a_link(Client(), screener.email)
    link = the_link(mail.outbox[0])
    later = datetime.now() + timedelta(minutes=61)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

    response = Client().get(link)

    assert "The link has expired or been used" in response.content.decode()
    screener.refresh_from_db()
    assert screener.check_password(PASSWORD)


def test_the_link_stops_working_once_the_person_signs_in(screener: User) -> None:
    ask_for_a_link(Client(), screener.email)
    link = the_link(mail.outbox[0])
    Client().post(reverse("accounts:sign-in"), {"username": "screener", "password": PASSWORD})

    response = Client().get(link)

    assert "The link has expired or been used" in response.content.decode()


def test_setting_a_new_password_signs_the_person_out_everywhere_and_is_audited(
    screener: User,
) -> None:
    elsewhere = signed_in(screener)
    assert elsewhere.get("/").status_code == 200
    ask_for_a_link(Client(), screener.email)

    set_password(Client(), the_link(mail.outbox[0]))

    assert elsewhere.get("/").status_code == 302
    assert not UserSession.objects.filter(user=screener).exists()
    asked = AuditEvent.objects.get(object_type="password_reset_link")
    assert asked.object_id == str(screener.pk)
    assert asked.detail == {"system": "password reset"}
    changed = AuditEvent.objects.get(action="update", object_type="user", actor_user=screener)
    assert changed.detail == {"fields": ["password"], "how": "reset by email", "sessions_ended": 1}


def test_a_new_password_must_pass_the_password_rules(screener: User) -> None:
    client = Client()
    ask_for_a_link(client, screener.email)

    response = set_password(client, the_link(mail.outbox[0]), password="short")

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert "This password is too short" in page
    screener.refresh_from_db()
    assert screener.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("not an address", "Enter an email address in the correct format"),
    ],
)
def test_it_asks_for_a_proper_address(email: str, message: str, db: None) -> None:
    response = ask_for_a_link(Client(), email)

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page


@pytest.mark.usefixtures("throttle_clock")
def test_it_sends_one_account_at_most_three_links_an_hour(screener: User) -> None:
    for _ in range(5):
        assert ask_for_a_link(Client(), screener.email).status_code == 302

    assert len(mail.outbox) == throttle.PASSWORD_RESET_EMAILS_PER_HOUR == 3


@pytest.mark.usefixtures("throttle_clock")
def test_it_slows_down_one_address_asking_too_often(db: None) -> None:
    client = Client()
    statuses = [
        ask_for_a_link(client, f"person{n}@example.invalid").status_code
        for n in range(throttle.PASSWORD_RESET_REQUESTS_PER_HOUR + 1)
    ]

    assert statuses[:-1] == [302] * throttle.PASSWORD_RESET_REQUESTS_PER_HOUR
    refused = ask_for_a_link(client, "someone@example.invalid")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()


def test_the_email_goes_through_gov_uk_notify_when_it_is_configured(
    screener: User, fake_notify: FakeNotify
) -> None:
    password_reset_request(
        actor=Actor(system="password reset"),
        email=screener.email,
        site_url="https://mash.example.gov.uk/",
    )

    [sent] = fake_notify.sent_to(screener.email)
    assert mail.outbox == []
    body = sent["personalisation"]["body"]
    assert "https://mash.example.gov.uk/accounts/reset/" in body
    assert sent["reference"] == f"openmash-password-reset-{screener.pk}"


def test_links_start_with_site_url_when_it_is_set(screener: User, settings: Any) -> None:
    settings.SITE_URL = "https://mash.example.gov.uk"

    ask_for_a_link(Client(), screener.email)

    assert the_link(mail.outbox[0]).startswith("https://mash.example.gov.uk/accounts/reset/")


def test_the_sign_in_page_links_to_it_and_says_plainly_what_went_wrong(screener: User) -> None:
    response = Client().post(
        reverse("accounts:sign-in"), {"username": "screener", "password": "wrong"}
    )

    page = response.content.decode()
    assert "The username or password is not right" in page
    assert "Please enter a correct" not in page
    assert f'href="{RESET}">Forgotten your password?</a>' in page
