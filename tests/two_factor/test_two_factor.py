"""Two-factor sign-in (issue 14, item 1): who must use a second factor, setting one up at
first sign-in, signing in with a code or a recovery code, lockout on wrong codes, an
administrator's reset, and the area's exemptions."""

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.accounts.models import User
from openmash.accounts.sso import SIGNED_IN_WITH_SESSION_KEY, SIGNED_IN_WITH_SSO
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.roles import Role
from openmash.two_factor.codes import next_code
from openmash.two_factor.models import TwoFactorExemption
from openmash.two_factor.services import (
    two_factor_check,
    two_factor_exemptions_set,
    two_factor_has_factor,
    two_factor_recovery_codes_left,
    two_factor_recovery_codes_regenerate,
    two_factor_required,
    two_factor_reset,
    two_factor_totp_confirm,
    two_factor_totp_start,
)
from tests.conftest import PASSWORD, signed_in
from tests.two_factor_codes import code_for

VERIFY = reverse("two_factor:verify")
SET_UP = reverse("two_factor:set-up")


def password_only(user: User, **extra: Any) -> Client:
    """Signed in with the password through the sign-in page, nothing more yet."""
    client = Client(**extra)
    response = client.post(
        reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def without_factor(user: User) -> User:
    TOTPDevice.objects.filter(user=user).delete()
    return user


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    device = two_factor_totp_start(actor=Actor(user=user), user=user)
    codes = two_factor_totp_confirm(
        actor=Actor(user=user), user=user, device_id=device.pk, code=next_code(device) or ""
    )
    assert codes is not None
    device.refresh_from_db()
    return device, codes


# --- Who must ------------------------------------------------------------------------------


def test_every_role_must_use_a_second_factor_by_default(personas: dict[str, User]) -> None:
    for name, user in personas.items():
        without_factor(user)
        assert two_factor_required(user=user, signed_in_with_sso=False), name


def test_an_exempted_role_may_sign_in_with_the_password_alone(
    personas: dict[str, User],
) -> None:
    administrator = personas["administrator"]
    analyst = without_factor(personas["analyst"])
    screener = without_factor(personas["screener"])
    two_factor_exemptions_set(actor=Actor(user=administrator), roles=[Role.ANALYST])

    assert not two_factor_required(user=analyst, signed_in_with_sso=False)
    assert two_factor_required(user=screener, signed_in_with_sso=False)
    # In and about: the analyst reaches pages with the password alone.
    assert password_only(analyst).get(reverse("home:home")).status_code == 200
    exemption = TwoFactorExemption.objects.get()
    assert (exemption.role, exemption.exempted_by) == (Role.ANALYST, administrator)
    event = AuditEvent.objects.get(object_type="two_factor_exemption")
    assert event.detail == {"exempted": ["analyst"], "no_longer_exempt": []}
    assert event.actor_user == administrator


def test_someone_is_exempt_only_if_every_role_they_hold_is(make_user: Any) -> None:
    both = without_factor(make_user("both", Role.ANALYST))
    both.role_grants.create(role=Role.SCREENER)
    two_factor_exemptions_set(actor=Actor(system="test"), roles=[Role.ANALYST])
    assert two_factor_required(user=both, signed_in_with_sso=False)
    nobody = without_factor(make_user("nobody", None))
    assert two_factor_required(user=nobody, signed_in_with_sso=False)


def test_administrators_can_never_be_exempted(personas: dict[str, User]) -> None:
    with pytest.raises(ValueError):
        two_factor_exemptions_set(actor=Actor(system="test"), roles=[Role.ADMINISTRATOR])
    assert not TwoFactorExemption.objects.exists()


def test_someone_who_has_a_factor_uses_it_even_if_exempt(analyst: User) -> None:
    two_factor_exemptions_set(actor=Actor(system="test"), roles=[Role.ANALYST])
    assert two_factor_required(user=analyst, signed_in_with_sso=False)


def test_the_exemptions_page_saves_the_roles_and_says_who(personas: dict[str, User]) -> None:
    client = signed_in(personas["administrator"])
    response = client.post(reverse("two_factor:exemptions"), {"roles": ["analyst", "auditor"]})
    assert response.status_code == 302
    page = client.get(reverse("two_factor:exemptions")).content.decode()
    assert "Analyst" in page and "Administrator Tester" in page
    assert set(TwoFactorExemption.objects.values_list("role", flat=True)) == {"analyst", "auditor"}
    # Administrators are not offered.
    assert 'value="administrator"' not in page
    client.post(reverse("two_factor:exemptions"), {})
    assert not TwoFactorExemption.objects.exists()


def test_single_sign_on_skips_the_local_factor_only_when_the_provider_enforces_one(
    screener: User, settings: Any
) -> None:
    settings.OIDC_IDP_ENFORCES_MFA = False
    assert two_factor_required(user=screener, signed_in_with_sso=True)
    settings.OIDC_IDP_ENFORCES_MFA = True
    assert not two_factor_required(user=screener, signed_in_with_sso=True)
    assert two_factor_required(user=screener, signed_in_with_sso=False)


def test_a_provider_session_is_let_through_when_the_provider_enforces_mfa(
    screener: User, settings: Any
) -> None:
    settings.OIDC_IDP_ENFORCES_MFA = True
    client = Client()
    client.force_login(screener)
    session = client.session
    session[SIGNED_IN_WITH_SESSION_KEY] = SIGNED_IN_WITH_SSO
    session.save()
    assert client.get(reverse("home:home")).status_code == 200
    settings.OIDC_IDP_ENFORCES_MFA = False
    assert client.get(reverse("home:home"))["Location"].startswith(VERIFY)


# --- Enforcement -----------------------------------------------------------------------


def test_no_navigation_is_offered_until_the_second_factor(screener: User) -> None:
    # After the password, the code page offers no service navigation: every link
    # would only come back to it.
    client = password_only(screener)
    waiting = client.get(VERIFY)
    assert waiting.context["service_groups"] == []
    assert 'href="/mash/queue/"' not in waiting.content.decode()
    # Once past the code, the same person's pages have it.
    client.post(VERIFY, {"code": code_for(screener)})
    home = client.get(reverse("home:home"))
    assert home.status_code == 200
    assert home.context["service_groups"]
    assert 'href="/mash/queue/"' in home.content.decode()


def test_after_the_password_every_page_but_the_code_and_sign_out_waits(screener: User) -> None:
    client = password_only(screener)
    for url in ["/", reverse("enquiries:screening-queue"), reverse("accounts:account"), SET_UP]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url
    assert client.get(VERIFY).status_code == 200
    assert client.get(reverse("core:health")).status_code == 200
    assert client.post(reverse("accounts:sign-out")).status_code == 302


def test_a_post_before_the_second_factor_is_refused_without_acting(screener: User) -> None:
    client = password_only(screener)
    response = client.post(reverse("accounts:password-change"), {"old_password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == VERIFY


def test_someone_without_a_factor_is_sent_to_set_one_up_and_nowhere_else(
    screener: User,
) -> None:
    client = password_only(without_factor(screener))
    response = client.get(reverse("accounts:account"))
    assert response["Location"] == f"{SET_UP}?next=%2Faccounts%2F"
    page = client.get(SET_UP).content.decode()
    assert "Set up an authenticator app" in page and "<svg" in page
    assert client.get(VERIFY)["Location"] == "/"  # nothing to verify: on, and back here
    assert client.get("/")["Location"].startswith(SET_UP)


def test_the_api_takes_tokens_and_no_second_factor(police_token: tuple[Any, str]) -> None:
    response = Client().get(
        "/api/v1/contacts/", headers={"Authorization": f"Bearer {police_token[1]}"}
    )
    assert response.status_code != 302


# --- Setting up at first sign-in -------------------------------------------------------------


def test_it_sets_up_an_authenticator_app_and_gives_recovery_codes(screener: User) -> None:
    client = password_only(without_factor(screener))
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=screener, confirmed=False)

    wrong = client.post(SET_UP, {"code": "12345"})
    assert wrong.status_code == 400
    assert "Enter the 6-digit code from your authenticator app" in wrong.content.decode()
    response = client.post(SET_UP, {"code": next_code(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor:recovery-codes")
    page = client.get(response["Location"]).content.decode()
    assert page.count("<li><code>") == 10
    # Shown once only.
    assert client.get(reverse("two_factor:recovery-codes"))["Location"] == reverse(
        "two_factor:manage"
    )
    assert client.get("/").status_code == 200  # signed in, with the new factor
    device.refresh_from_db()
    assert device.confirmed
    assert two_factor_recovery_codes_left(user=screener) == 10
    kinds = [
        event.detail["kind"]
        for event in AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type="two_factor_device"
        )
    ]
    assert sorted(kinds) == ["authenticator app", "recovery codes"]


def test_a_wrong_code_does_not_confirm_the_app(screener: User) -> None:
    device = two_factor_totp_start(actor=Actor(user=screener), user=without_factor(screener))
    assert (
        two_factor_totp_confirm(
            actor=Actor(user=screener), user=screener, device_id=device.pk, code="000000"
        )
        is None
        or next_code(device) == "000000"
    )
    device.refresh_from_db()
    assert not device.confirmed or next_code(device) == "000000"


def test_a_password_alone_cannot_add_another_app(screener: User) -> None:
    client = password_only(screener)  # has an app already
    response = client.get(SET_UP)
    assert response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=screener, confirmed=False).exists()


def test_nobody_can_confirm_someone_elses_pending_app(screener: User, analyst: User) -> None:
    device = two_factor_totp_start(actor=Actor(user=screener), user=screener)
    assert (
        two_factor_totp_confirm(
            actor=Actor(user=analyst),
            user=analyst,
            device_id=device.pk,
            code=next_code(device) or "",
        )
        is None
    )


# --- Signing in with a code -------------------------------------------------------------------


def test_it_signs_in_with_the_apps_code_and_goes_where_asked(screener: User) -> None:
    client = password_only(screener)
    queue = reverse("enquiries:screening-queue")
    response = client.post(f"{VERIFY}?next={queue}", {"code": code_for(screener)})
    assert response.status_code == 302 and response["Location"] == queue
    assert client.get(queue).status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_IN).order_by("-id").first()
    assert event is not None and event.detail["second_factor"] == "authenticator app"


def test_it_never_goes_to_another_site_after_the_code(screener: User) -> None:
    client = password_only(screener)
    response = client.post(f"{VERIFY}?next=https://evil.example/", {"code": code_for(screener)})
    assert response["Location"] == "/"


def test_a_code_works_once(screener: User) -> None:
    code = code_for(screener)
    assert two_factor_check(actor=Actor(user=screener), user=screener, code=code)
    assert two_factor_check(actor=Actor(user=screener), user=screener, code=code) is None


def test_a_wrong_code_is_refused_with_a_gov_uk_error_and_audited(screener: User) -> None:
    client = password_only(screener)
    response = client.post(VERIFY, {"code": "999999" if code_for(screener) != "999999" else "1"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and "The code is not right" in page
    assert client.get("/")["Location"].startswith(VERIFY)
    failed = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failed.detail == {"second_factor": "authenticator app"}
    empty = client.post(VERIFY, {"code": ""})
    assert "Enter the code from your authenticator app, or a recovery code" in (
        empty.content.decode()
    )


def test_wrong_codes_are_throttled_by_the_device(screener: User) -> None:
    device = TOTPDevice.objects.get(user=screener)
    two_factor_check(actor=Actor(user=screener), user=screener, code="0000000")
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # While throttled even the right code waits.
    assert (
        two_factor_check(actor=Actor(user=screener), user=screener, code=code_for(screener)) is None
    )


def test_wrong_codes_count_towards_the_lockout(screener: User, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only the lockout here
    client = password_only(screener)
    for _ in range(settings.SIGN_IN_ACCOUNT_FAILURES - 1):
        assert client.post(VERIFY, {"code": "0000000"}).status_code == 400
    response = client.post(VERIFY, {"code": "0000000"})
    assert response.status_code == 429
    assert "Retry-After" in response
    # Signed out, and the password does not get back in while locked.
    assert client.get("/")["Location"].startswith(reverse("accounts:sign-in"))
    assert AccessAttempt.objects.filter(username="screener").exists()
    again = Client().post(
        reverse("accounts:sign-in"), {"username": "screener", "password": PASSWORD}
    )
    assert again.status_code == 429


# --- Recovery codes ----------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(screener: User) -> None:
    _, codes = enrol(without_factor(screener))
    client = password_only(screener)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200
    assert "You have 9 recovery codes left" in response.content.decode()
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    again = password_only(screener)
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 400
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).get()
    assert event.detail == {"second_factor": "recovery codes"}


def test_new_recovery_codes_replace_the_old(screener: User) -> None:
    _, old = enrol(without_factor(screener))
    client = signed_in(screener)
    page = client.get(reverse("two_factor:manage")).content.decode()
    assert 'id="recovery-codes-left">10<' in page
    response = client.post(reverse("two_factor:recovery-codes"), follow=True)
    new = response.content.decode()
    assert new.count("<li><code>") == 10
    assert not any(code in new for code in old)
    assert not StaticToken.objects.filter(token__in=old).exists()
    with pytest.raises(Exception):  # noqa: B017 -- NoFactor
        two_factor_recovery_codes_regenerate(
            actor=Actor(system="test"), user=without_factor(screener)
        )


# --- An administrator's reset ------------------------------------------------------------------


def test_an_administrator_resets_someones_factors(personas: dict[str, User]) -> None:
    administrator, screener = personas["administrator"], personas["screener"]
    enrol(screener)
    client = signed_in(administrator)
    url = reverse("two_factor:reset", kwargs={"user_id": screener.pk})
    page = client.get(url).content.decode()
    assert "Reset their two-factor sign-in" in page and "Screener Tester" in page

    response = client.post(url, follow=True)

    assert "second factors have been reset" in response.content.decode()
    assert not two_factor_has_factor(user=screener)
    assert two_factor_recovery_codes_left(user=screener) == 0
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="two_factor_device")
    assert event.actor_user == administrator
    assert event.detail == {
        "user": screener.pk,
        "reset": True,
        "devices": 3,
        "security_keys": 0,
    }
    # Next time: set up a new one before anything else.
    assert password_only(screener).get("/")["Location"].startswith(SET_UP)


def test_a_reset_sends_a_signed_in_session_to_set_up_again(screener: User) -> None:
    client = signed_in(screener)
    assert client.get("/").status_code == 200
    two_factor_reset(actor=Actor(system="test"), user=screener)
    assert client.get("/")["Location"].startswith(SET_UP)


def test_only_administrators_reset_and_unknown_people_are_not_found(
    personas: dict[str, User],
) -> None:
    url = reverse("two_factor:reset", kwargs={"user_id": personas["screener"].pk})
    assert signed_in(personas["manager"]).post(url).status_code == 403
    assert two_factor_has_factor(user=personas["screener"])
    missing = reverse("two_factor:reset", kwargs={"user_id": 999999})
    assert signed_in(personas["administrator"]).get(missing).status_code == 404


# --- The demonstration ------------------------------------------------------------------------


def test_demo_users_have_the_demo_app_and_demo_code_shows_its_code(db: None) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    call_command("seed_demo", "--days", "1", "--seed", "3", stdout=StringIO())
    screener = User.objects.get(username="screener")
    assert two_factor_has_factor(user=screener)
    out = StringIO()
    call_command("demo_code", "screener", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert two_factor_check(actor=Actor(system="test"), user=screener, code=code)
    # Someone with a secret of their own: refused.
    other = User.objects.create(username="real.person")
    TOTPDevice.objects.create(user=other, name="app", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_code", "real.person", stdout=StringIO())
