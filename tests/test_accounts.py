"""Signing in and out, session expiry, passwords, and API tokens for agencies' systems."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import Agency, ApiToken, User, hash_token
from openmash.accounts.services import api_token_authenticate, api_token_revoke
from openmash.accounts.sessions import LAST_SEEN
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from tests.conftest import PASSWORD, ROLE_PERSONAS, signed_in
from tests.two_factor_codes import code_for


def test_it_signs_in_with_username_and_password_and_audits_it(screener: User) -> None:
    client = Client()
    response = client.post("/accounts/sign-in/", {"username": "screener", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="sign_in", actor_user=screener).exists()
    # Then the second factor: every page but that one waits for it.
    assert client.get("/")["Location"] == "/accounts/two-factor/verify/?next=%2F"
    response = client.post("/accounts/two-factor/verify/?next=/", {"code": code_for(screener)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_it_refuses_a_wrong_password_with_a_gov_uk_error(screener: User) -> None:
    response = Client().post("/accounts/sign-in/", {"username": "screener", "password": "nope"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "govuk-error-summary" in page


def test_it_signs_out_only_by_post(screener: User) -> None:
    client = signed_in(screener)
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.post("/accounts/sign-out/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="sign_out", actor_user=screener).exists()


def test_sessions_expire_after_inactivity() -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60


def test_a_session_in_use_slides_its_expiry_at_least_once_a_minute(screener: User) -> None:
    client = signed_in(screener)
    client.get("/")
    key = client.session.session_key
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)

    # Seen under a minute ago: the next request leaves the stored session alone.
    soon = timezone.now() + timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == soon

    # Last seen over a minute ago: the request saves it, with the full idle time ahead.
    session = client.session
    session[LAST_SEEN] = (timezone.now() - timedelta(minutes=2)).timestamp()
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=soon)
    before = timezone.now()
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date >= before + idle


def test_production_hashes_passwords_with_argon2() -> None:
    from openmash.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = Argon2PasswordHasher()
    assert hasher.encode("a long passphrase", hasher.salt()).startswith("argon2$argon2id$")


def test_a_user_holds_roles_and_belongs_to_one_agency(
    make_user: object, agencies: dict[str, Agency]
) -> None:
    user = make_user("both", Role.SCREENER)  # type: ignore[operator]
    user.role_grants.create(role=Role.MASH_MANAGER)
    fresh = User.objects.get(pk=user.pk)
    assert fresh.roles == {Role.SCREENER, Role.MASH_MANAGER}
    assert fresh.agency == agencies["csc"]


def test_an_inactive_user_has_no_roles(screener: User) -> None:
    screener.is_active = False
    screener.save()
    assert User.objects.get(pk=screener.pk).roles == frozenset()


def test_it_issues_an_api_token_shown_once_and_stored_hashed(agencies: dict[str, Agency]) -> None:
    out = StringIO()
    call_command(
        "issue_api_token",
        "--agency",
        "police",
        "--name",
        "Niche RMS",
        stdout=out,
        stderr=StringIO(),
    )
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(name="Niche RMS")
    assert token.agency == agencies["police"]
    assert token.token_hash == hash_token(secret)
    assert secret not in token.token_hash
    assert api_token_authenticate(secret) == token


def test_it_refuses_a_token_for_an_unknown_agency(agencies: dict[str, Agency]) -> None:
    with pytest.raises(CommandError, match="No agency with slug"):
        call_command("issue_api_token", "--agency", "nowhere", "--name", "x", stdout=StringIO())


def test_a_revoked_token_no_longer_authenticates(police_token: tuple[ApiToken, str]) -> None:
    token, secret = police_token
    token.revoked_at = token.created_at
    token.save()
    assert api_token_authenticate(secret) is None


def test_an_administrator_revokes_a_token_and_it_is_audited(
    police_token: tuple[ApiToken, str], personas: dict[str, User]
) -> None:
    token, secret = police_token
    administrator = personas["administrator"]
    api_token_revoke(actor=Actor(user=administrator), token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(secret) is None
    assert AuditEvent.objects.filter(
        actor_user=administrator,
        action="update",
        object_type="api_token",
        object_id=str(token.pk),
        detail__revoked=True,
    ).exists()


@pytest.mark.parametrize("persona", [name for name in ROLE_PERSONAS if name != "administrator"])
def test_only_an_administrator_may_revoke_a_token(
    persona: str, police_token: tuple[ApiToken, str], personas: dict[str, User]
) -> None:
    token, secret = police_token
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=Actor(user=personas[persona]), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(secret) == token
    assert AuditEvent.objects.count() == events


def test_a_system_with_no_user_may_not_revoke_a_token(police_token: tuple[ApiToken, str]) -> None:
    token, _ = police_token
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=Actor(token=token), token=token)


def test_a_bulk_delete_of_agencies_in_admin_is_audited(
    personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    from openmash.core.models import AuditEvent
    from tests.conftest import signed_in

    spare = Agency.objects.create(name="Closed youth club", slug="closed-youth-club")
    response = signed_in(personas["administrator"]).post(
        "/admin/accounts/agency/",
        {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Agency.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="agency", object_id=str(spare.pk), action="delete"
    ).exists()
