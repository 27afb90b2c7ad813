"""A person's sessions (issue 14, item 4): recorded at every sign-in through Django's
signals, an absolute lifetime beside the idle timeout, the list of one's own sessions with
sign-out of one or all of the others, and changing one's own password."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User, UserSession
from openmash.accounts.sessions import (
    LAST_SEEN,
    RECORDED_KEY,
    SESSION_RECORD,
    SIGNED_IN_AT,
    browser_summary,
    partial_address,
    sessions_forget_ended,
)
from openmash.core.models import AuditEvent
from tests.conftest import PASSWORD, signed_in
from tests.oidc_provider.fixtures import SCREENERS, OidcProvider, sign_in_with_sso
from tests.two_factor_codes import verify_session

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def sign_in(username: str, *, browser: str = FIREFOX_ON_WINDOWS, address: str = "") -> Client:
    """Signs in through the sign-in page, from a browser and an address."""
    extra = {"HTTP_USER_AGENT": browser}
    if address:
        extra["REMOTE_ADDR"] = address
    client = Client(**extra)
    response = client.post(
        reverse("accounts:sign-in"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302
    # Past the second factor as django-otp's login() leaves a session after a good code.
    verify_session(client, User.objects.get(username=username))
    return client


def move_session(client: Client, **seconds_ago: float) -> None:
    """Moves a session's recorded times back, as if it had been open that long."""
    session = client.session
    now = timezone.now().timestamp()
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "last_seen": LAST_SEEN}[key]] = now - ago
    session.save()


@pytest.mark.parametrize(
    ("agent", "summary"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (EDGE_ON_WINDOWS, "Edge on Windows"),
        (CHROME_ON_ANDROID, "Chrome on Android"),
        ("curl/8.5.0", ""),
    ],
)
def test_it_sums_up_a_browser(agent: str, summary: str) -> None:
    assert browser_summary(agent) == summary


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("203.0.113.45", "203.0.x.x"),
        ("::ffff:198.51.100.7", "198.51.x.x"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:…"),
        ("", ""),
        ("not an address", ""),
    ],
)
def test_it_shows_only_the_network_of_an_address(address: str, shown: str) -> None:
    assert partial_address(address) == shown


def test_signing_in_records_the_session_without_the_full_address_or_browser_text(
    screener: User,
) -> None:
    client = sign_in("screener", browser=SAFARI_ON_IPHONE, address="203.0.113.45")

    [row] = UserSession.objects.filter(user=screener)
    assert row.session_key == client.session.session_key
    assert row.address == "203.0.x.x"
    assert row.browser == "Safari on iPhone"
    assert row.signed_in_at == row.last_seen_at


def test_signing_in_to_the_administration_is_recorded_too(personas: dict[str, User]) -> None:
    User.objects.filter(pk=personas["administrator"].pk).update(is_staff=True)
    client = Client()
    client.post(reverse("admin:login"), {"username": "administrator", "password": PASSWORD})

    assert UserSession.objects.filter(
        user=personas["administrator"], session_key=client.session.session_key
    ).exists()


def test_signing_in_through_single_sign_on_is_recorded_and_lives_as_long(
    sso: OidcProvider,
) -> None:
    sso.add_user("alice", groups=[SCREENERS])
    client = Client(HTTP_USER_AGENT=FIREFOX_ON_WINDOWS, REMOTE_ADDR="10.1.0.1")

    sign_in_with_sso(client, sso, "alice")

    [row] = UserSession.objects.filter(user__username="alice")
    assert row.session_key == client.session.session_key
    assert (row.browser, row.address) == ("Firefox on Windows", "10.1.x.x")
    move_session(client, signed_in=10 * 3600 + 1)
    assert client.get("/").status_code == 302
    assert not UserSession.objects.exists()


def test_signing_out_forgets_the_session(screener: User) -> None:
    client = sign_in("screener")

    client.post(reverse("accounts:sign-out"))

    assert not UserSession.objects.exists()


def test_last_seen_is_written_at_most_once_a_minute(
    screener: User, django_assert_num_queries: Any
) -> None:
    client = sign_in("screener")
    [row] = UserSession.objects.all()
    client.get("/")
    row.refresh_from_db()
    assert row.last_seen_at == row.signed_in_at  # within the minute: nothing written

    move_session(client, last_seen=61)
    client.get("/")

    row.refresh_from_db()
    assert row.last_seen_at > row.signed_in_at


def test_a_session_ends_after_its_lifetime_however_active(screener: User) -> None:
    client = sign_in("screener")
    move_session(client, signed_in=10 * 3600 + 1, last_seen=30)

    response = client.get(reverse("contacts:new-contacts"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in") + "?next=")
    page = client.get(response["Location"]).content.decode()
    assert "You have been signed out because you signed in more than 10 hours ago" in page
    assert SESSION_KEY not in client.session
    assert not UserSession.objects.exists()
    event = AuditEvent.objects.get(action="sign_out", actor_user=screener)
    assert event.detail == {"reason": "session lifetime", "hours": 10}


def test_a_session_within_its_lifetime_carries_on(screener: User) -> None:
    client = sign_in("screener")
    move_session(client, signed_in=10 * 3600 - 60)

    assert client.get("/").status_code == 200


def test_the_lifetime_comes_from_the_setting(screener: User, settings: Any) -> None:
    settings.SESSION_MAX_HOURS = 2
    client = sign_in("screener")
    move_session(client, signed_in=2 * 3600 + 1)

    assert client.get("/").status_code == 302


def test_a_person_sees_their_own_sessions_only(screener: User, personas: dict[str, User]) -> None:
    here = sign_in("screener", browser=FIREFOX_ON_WINDOWS, address="203.0.113.45")
    sign_in("screener", browser=SAFARI_ON_IPHONE, address="198.51.100.7")
    sign_in("manager", browser=EDGE_ON_WINDOWS, address="192.0.2.1")

    page = here.get(reverse("accounts:sessions")).content.decode()

    assert page.count('data-testid="session"') == 2
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "203.0.x.x" in page and "198.51.x.x" in page
    assert "Edge on Windows" not in page and "192.0" not in page
    assert "203.0.113.45" not in page
    assert page.count("This session") == 1


def test_signing_out_of_another_session_ends_it(screener: User) -> None:
    here = sign_in("screener")
    there = sign_in("screener", browser=SAFARI_ON_IPHONE)
    other = UserSession.objects.get(session_key=there.session.session_key)

    response = here.post(reverse("accounts:session-end", args=[other.pk]), follow=True)

    assert "You have signed out of that session." in response.content.decode()
    assert there.get("/").status_code == 302
    assert here.get("/").status_code == 200
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        here.session.session_key
    ]
    event = AuditEvent.objects.get(action="sign_out", actor_user=screener)
    assert event.detail == {"sessions_ended": 1, "by": "the user, from another session"}


def test_nobody_can_sign_out_someone_elses_session(
    screener: User, personas: dict[str, User]
) -> None:
    theirs = sign_in("manager")
    row = UserSession.objects.get(session_key=theirs.session.session_key)

    response = sign_in("screener").post(reverse("accounts:session-end", args=[row.pk]))

    assert response.status_code == 404
    assert theirs.get("/").status_code == 200


def test_signing_out_of_every_other_session(screener: User) -> None:
    here = sign_in("screener")
    others = [sign_in("screener", browser=SAFARI_ON_IPHONE) for _ in range(2)]

    response = here.post(reverse("accounts:sessions-end-others"), follow=True)

    assert "You have signed out of 2 other sessions." in response.content.decode()
    assert [client.get("/").status_code for client in others] == [302, 302]
    assert here.get("/").status_code == 200
    assert UserSession.objects.count() == 1


def test_the_list_leaves_out_sessions_that_have_expired(screener: User) -> None:
    here = sign_in("screener")
    idle = sign_in("screener", browser=SAFARI_ON_IPHONE)
    UserSession.objects.filter(session_key=idle.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(minutes=40)
    )
    gone = sign_in("screener", browser=EDGE_ON_WINDOWS)
    Session.objects.filter(session_key=gone.session.session_key).delete()

    page = here.get(reverse("accounts:sessions")).content.decode()

    assert page.count('data-testid="session"') == 1
    assert "Safari" not in page and "Edge" not in page


def test_the_account_loop_forgets_ended_sessions(screener: User) -> None:
    sign_in("screener")
    stale = sign_in("screener", browser=SAFARI_ON_IPHONE)
    UserSession.objects.filter(session_key=stale.session.session_key).update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )

    assert sessions_forget_ended(now=timezone.now()) == 1
    assert UserSession.objects.count() == 1


def test_a_session_begun_before_the_list_existed_joins_it(screener: User) -> None:
    client = signed_in(screener)
    UserSession.objects.all().delete()
    session = client.session
    for key in (SESSION_RECORD, RECORDED_KEY, LAST_SEEN):
        del session[key]
    session.save()

    client.get("/")

    assert UserSession.objects.filter(
        user=screener, session_key=client.session.session_key
    ).exists()


def test_changing_ones_password_keeps_this_session_and_ends_the_others(screener: User) -> None:
    here = sign_in("screener")
    there = sign_in("screener", browser=SAFARI_ON_IPHONE)
    new = "another-long-passphrase-2026"

    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )

    page = response.content.decode()
    assert "Your password has been changed. You have been signed out of 1 other session." in page
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    screener.refresh_from_db()
    assert screener.check_password(new)
    # This session's row follows the new key Django gave the session.
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        here.session.session_key
    ]
    event = AuditEvent.objects.get(action="update", object_type="user", actor_user=screener)
    assert event.detail == {"fields": ["password"], "how": "changed", "sessions_ended": 1}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20},
            "Your current password is not right",
        ),
        (
            {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
            "This password is too short",
        ),
        (
            {
                "old_password": PASSWORD,
                "new_password1": "12345678901234",
                "new_password2": "12345678901234",
            },
            "This password is entirely numeric",
        ),
        (
            {
                "old_password": PASSWORD,
                "new_password1": "a-long-passphrase-1",
                "new_password2": "another-2",
            },
            "The new passwords do not match",
        ),
        ({}, "Enter your current password"),
    ],
)
def test_changing_a_password_needs_the_current_one_and_a_good_new_one(
    screener: User, form: dict[str, str], message: str
) -> None:
    response = signed_in(screener).post(reverse("accounts:password-change"), form)

    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    assert message in page
    screener.refresh_from_db()
    assert screener.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="update", object_type="user").exists()


def test_someone_without_a_password_here_cannot_change_one(screener: User) -> None:
    screener.set_unusable_password()  # signs in through their organisation
    screener.save()
    client = signed_in(screener)

    assert client.get(reverse("accounts:password-change")).status_code == 403
    page = client.get(reverse("accounts:account")).content.decode()
    assert "OpenMASH holds no password for you" in page


def test_the_account_page_links_to_the_password_and_the_sessions(screener: User) -> None:
    client = signed_in(screener)

    home = client.get("/").content.decode()
    page = client.get(reverse("accounts:account")).content.decode()

    assert f'href="{reverse("accounts:account")}">Your account</a>' in home
    assert screener.username in page and screener.email in page
    assert "Screener" in page
    assert f'href="{reverse("accounts:password-change")}"' in page
    assert f'href="{reverse("accounts:sessions")}"' in page
    assert "You are signed in only here" in page


def test_the_list_costs_the_same_however_many_sessions(
    screener: User, django_assert_max_num_queries: Any
) -> None:
    here = sign_in("screener")
    for _ in range(8):
        sign_in("screener", browser=SAFARI_ON_IPHONE)

    # 13: one of them django-otp's, loading the session's second factor.
    with django_assert_max_num_queries(13):
        page = here.get(reverse("accounts:sessions")).content.decode()

    assert page.count('data-testid="session"') == 9
