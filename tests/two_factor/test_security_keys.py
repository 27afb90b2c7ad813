"""Security keys and passkeys (WebAuthn) as a second factor (issue 14, item 1): adding one
at first sign-in or later, signing in with one, who may do what with whose keys, the
lockout, an administrator's reset, and the relying party settings.

The endpoints are driven by a software security key (tests/software_authenticator.py)
whose answers the server checks for real, through a client on http://localhost (the
relying party id the tests run under)."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings

from openmash.accounts.models import User
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.settings.base import webauthn_origins, webauthn_relying_party_id
from openmash.two_factor.services import (
    two_factor_has_factor,
    two_factor_recovery_codes_left,
    two_factor_reset,
    two_factor_security_keys,
)
from tests.conftest import PASSWORD
from tests.software_authenticator import SoftwareKey
from tests.two_factor_codes import code_for, verify_session

ADD = reverse("two_factor:security-key-add")
REGISTER = reverse("two_factor:security-key-register")
REGISTER_BEGIN = reverse("two_factor:security-key-register-begin")
REGISTER_COMPLETE = reverse("two_factor:security-key-register-complete")
SIGN_IN_BEGIN = reverse("two_factor:security-key-sign-in-begin")
SIGN_IN_COMPLETE = reverse("two_factor:security-key-sign-in-complete")
VERIFY = reverse("two_factor:verify")
SET_UP = reverse("two_factor:set-up")
MANAGE = reverse("two_factor:manage")
HOST = "localhost"


def password_only(user: User) -> Client:
    """Signed in with the password on http://localhost, nothing more yet."""
    client = Client(HTTP_HOST=HOST)
    response = client.post(
        reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def fully_signed_in(user: User) -> Client:
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    verify_session(client, user)
    return client


def without_factor(user: User) -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    return user


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def add_key(client: Client, key: SoftwareKey, name: str = "Blue USB key") -> Any:
    """Names a key, then answers the registration challenge with it."""
    assert client.post(ADD, {"name": name})["Location"] == REGISTER
    options = post_json(client, REGISTER_BEGIN).json()
    return post_json(client, REGISTER_COMPLETE, key.register(options))


def sign_in_with(client: Client, key: SoftwareKey, next_url: str = "") -> Any:
    options = post_json(client, SIGN_IN_BEGIN).json()
    url = f"{SIGN_IN_COMPLETE}?next={next_url}" if next_url else SIGN_IN_COMPLETE
    return post_json(client, url, key.sign_in(options))


def keyed(user: User, name: str = "Blue USB key") -> SoftwareKey:
    """`user` with a security key added (and past their second factor while adding it)."""
    key = SoftwareKey()
    response = add_key(fully_signed_in(user), key, name)
    assert response.status_code == 200, response.content
    return key


# --- Adding a key ----------------------------------------------------------------------------


def test_it_adds_a_key_at_first_sign_in_and_gives_recovery_codes(screener: User) -> None:
    client = password_only(without_factor(screener))
    # Sent to set up a factor; the security key is offered there.
    assert client.get("/")["Location"].startswith(SET_UP)
    assert ADD in client.get(SET_UP).content.decode()

    response = add_key(client, SoftwareKey(), "Blue USB key")

    assert response.status_code == 200
    assert response.json() == {"redirect_url": reverse("two_factor:recovery-codes")}
    [key] = two_factor_security_keys(user=screener)
    assert key.name == "Blue USB key"
    assert two_factor_has_factor(user=screener)
    assert two_factor_recovery_codes_left(user=screener) == 10
    # The session is past its second factor: the key was just used.
    assert client.get(reverse("home:home")).status_code == 200
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="two_factor_device")
    assert sorted(event.detail["kind"] for event in created) == ["recovery codes", "security key"]
    # The audit never holds the key itself.
    assert all("public_key" not in json.dumps(event.detail) for event in created)


def test_a_second_key_keeps_the_recovery_codes_and_goes_back_to_the_list(screener: User) -> None:
    keyed(screener, "First key")
    client = fully_signed_in(screener)
    codes_before = two_factor_recovery_codes_left(user=screener)

    response = add_key(client, SoftwareKey(), "Second key")

    assert response.json() == {"redirect_url": MANAGE}
    assert two_factor_recovery_codes_left(user=screener) == codes_before
    page = client.get(MANAGE).content.decode()
    assert "First key" in page and "Second key" in page and "Not used yet" in page


def test_it_asks_for_a_name(screener: User) -> None:
    client = fully_signed_in(screener)
    response = client.post(ADD, {"name": "   "})
    assert response.status_code == 400
    assert "Enter a name for your security key or passkey" in response.content.decode()
    too_long = client.post(ADD, {"name": "x" * 65})
    assert "Name must be 64 characters or fewer" in too_long.content.decode()
    # No name yet: the key's page sends back for one, and no challenge is given.
    assert client.get(REGISTER)["Location"] == ADD
    assert post_json(client, REGISTER_BEGIN).status_code == 400


def test_a_password_alone_never_adds_a_key_to_an_account_with_a_factor(screener: User) -> None:
    client = password_only(screener)  # has an authenticator app, not yet used
    assert client.get(ADD)["Location"].startswith(VERIFY)
    assert client.get(REGISTER)["Location"].startswith(VERIFY)
    assert post_json(client, REGISTER_BEGIN).status_code == 403
    assert (
        post_json(client, REGISTER_COMPLETE, SoftwareKey().register({"challenge": "x"})).status_code
        == 403
    )
    assert not WebAuthnCredential.objects.exists()


def test_it_refuses_an_answer_to_a_challenge_it_did_not_give(screener: User) -> None:
    client = fully_signed_in(screener)
    client.post(ADD, {"name": "Key"})
    post_json(client, REGISTER_BEGIN)
    forged = SoftwareKey().register({"challenge": "bm90LXRoZS1jaGFsbGVuZ2U"})

    response = post_json(client, REGISTER_COMPLETE, forged)

    assert response.status_code == 400
    assert "could not be added" in response.json()["detail"]
    assert not WebAuthnCredential.objects.exists()


def test_it_refuses_a_key_created_for_another_site(screener: User) -> None:
    client = fully_signed_in(screener)
    phished = SoftwareKey(origin="https://mash.evil.example", rp_id="mash.evil.example")
    response = add_key(client, phished)
    assert response.status_code == 400
    assert not WebAuthnCredential.objects.exists()


def test_each_challenge_is_answered_once(screener: User) -> None:
    client = fully_signed_in(screener)
    client.post(ADD, {"name": "Key"})
    options = post_json(client, REGISTER_BEGIN).json()
    key = SoftwareKey()
    answer = key.register(options)
    assert post_json(client, REGISTER_COMPLETE, answer).status_code == 200
    client.post(ADD, {"name": "Key again"})
    again = post_json(client, REGISTER_COMPLETE, answer)
    assert again.status_code == 400 and again.json()["redirect_url"] == ADD
    assert WebAuthnCredential.objects.count() == 1


def test_the_key_pages_load_their_script_from_this_site_and_nothing_inline(
    screener: User,
) -> None:
    client = fully_signed_in(screener)
    client.post(ADD, {"name": "Key"})
    page = client.get(REGISTER)
    html = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert '<script type="module" src="/static/js/security-keys.mjs">' in html
    scripts = html.count("<script")
    assert scripts == html.count("<script src=") + html.count('<script type="module" src=')


# --- Signing in with a key ------------------------------------------------------------------


def test_it_signs_in_with_a_key_and_goes_where_asked(screener: User) -> None:
    key = keyed(screener)
    client = password_only(screener)
    queue = reverse("enquiries:screening-queue")
    page = client.get(f"{VERIFY}?next={queue}").content.decode()
    assert "Use your security key" in page and "Or enter a code" in page

    response = sign_in_with(client, key, next_url=queue)

    assert response.status_code == 200 and response.json() == {"redirect_url": queue}
    assert client.get(queue).status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_IN).order_by("-id").first()
    assert event is not None and event.detail == {"second_factor": "security key"}
    used = WebAuthnCredential.objects.get()
    assert used.last_used_at is not None and used.sign_count == 1


def test_it_never_goes_to_another_site_after_the_key(screener: User) -> None:
    key = keyed(screener)
    client = password_only(screener)
    response = sign_in_with(client, key, next_url="https://evil.example/")
    assert response.json() == {"redirect_url": reverse("home:home")}


def test_someone_with_a_key_can_still_use_their_app_or_a_recovery_code(screener: User) -> None:
    keyed(screener)
    client = password_only(screener)
    response = client.post(VERIFY, {"code": code_for(screener)})
    assert response.status_code == 302
    assert client.get(reverse("home:home")).status_code == 200


def test_someone_else_s_key_is_refused_and_counted(personas: dict[str, User]) -> None:
    screener, manager = personas["screener"], personas["manager"]
    managers_key = keyed(manager)
    keyed(screener)
    client = password_only(screener)

    response = sign_in_with(client, managers_key)

    assert response.status_code == 400
    assert client.get(reverse("home:home"))["Location"].startswith(VERIFY)
    failed = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED, object_id=str(screener.pk))
    assert failed.detail == {"second_factor": "security key"}


def test_a_signature_replayed_is_refused(screener: User) -> None:
    key = keyed(screener)
    client = password_only(screener)
    options = post_json(client, SIGN_IN_BEGIN).json()
    answer = key.sign_in(options)
    assert post_json(client, SIGN_IN_COMPLETE, answer).status_code == 200
    other = password_only(screener)
    post_json(other, SIGN_IN_BEGIN)
    assert post_json(other, SIGN_IN_COMPLETE, answer).status_code == 400


def test_refused_keys_count_towards_the_lockout(screener: User, settings: Any) -> None:
    keyed(screener)
    stranger = SoftwareKey()
    client = password_only(screener)
    for _ in range(settings.SIGN_IN_ACCOUNT_FAILURES - 1):
        assert sign_in_with(client, stranger).status_code == 400
    response = sign_in_with(client, stranger)
    assert response.status_code == 429
    assert "Retry-After" in response
    # Signed out, and the password does not get back in while locked.
    assert client.get("/")["Location"].startswith(reverse("accounts:sign-in"))
    again = Client().post(
        reverse("accounts:sign-in"), {"username": "screener", "password": PASSWORD}
    )
    assert again.status_code == 429


def test_no_challenge_for_someone_without_a_key(screener: User) -> None:
    client = password_only(screener)
    assert post_json(client, SIGN_IN_BEGIN).status_code == 400
    page = client.get(VERIFY).content.decode()
    assert "Enter your code" in page and "security-keys.mjs" not in page


# --- Listing and removing keys -------------------------------------------------------------


def test_it_removes_a_key_after_asking(screener: User) -> None:
    keyed(screener, "Blue USB key")
    [key] = two_factor_security_keys(user=screener)
    client = fully_signed_in(screener)
    url = reverse("two_factor:security-key-remove", args=[key.pk])
    page = client.get(url).content.decode()
    assert "Are you sure you want to remove this security key?" in page
    # It is not her only factor: she has her app.
    assert "your only second factor" not in page

    response = client.post(url, follow=True)

    assert "Blue USB key, has been removed" in response.content.decode()
    assert not WebAuthnCredential.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="two_factor_device")
    assert event.detail == {"user": screener.pk, "kind": "security key"}
    assert event.actor_user == screener


def test_it_warns_before_removing_the_only_factor(screener: User) -> None:
    without_factor(screener)
    client = password_only(screener)
    add_key(client, SoftwareKey())
    [key] = two_factor_security_keys(user=screener)
    page = client.get(reverse("two_factor:security-key-remove", args=[key.pk])).content.decode()
    assert "This is your only second factor" in page


def test_nobody_sees_or_removes_anyone_else_s_key(personas: dict[str, User]) -> None:
    screener, manager = personas["screener"], personas["manager"]
    keyed(screener)
    [key] = two_factor_security_keys(user=screener)
    url = reverse("two_factor:security-key-remove", args=[key.pk])
    client = fully_signed_in(manager)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert "Blue USB key" not in client.get(MANAGE).content.decode()
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


# --- An administrator's reset ----------------------------------------------------------------


def test_an_administrators_reset_removes_keys_too(personas: dict[str, User]) -> None:
    screener, administrator = personas["screener"], personas["administrator"]
    keyed(screener)
    page = fully_signed_in(administrator).get(reverse("two_factor:reset", args=[screener.pk]))
    assert "Security keys and passkeys" in page.content.decode()

    two_factor_reset(actor=Actor(user=administrator), user=screener)

    assert not WebAuthnCredential.objects.filter(user=screener).exists()
    assert not two_factor_has_factor(user=screener)
    event = AuditEvent.objects.get(
        action=AuditAction.DELETE, object_type="two_factor_device", detail__reset=True
    )
    assert event.detail["security_keys"] == 1 and event.actor_user == administrator


# --- The relying party ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hosts", "rp_id", "origins"),
    [
        (["mash.example.gov.uk"], "mash.example.gov.uk", ["https://mash.example.gov.uk"]),
        (
            ["10.0.0.5", "mash.example.gov.uk", "beta.mash.example.gov.uk", "other.example"],
            "mash.example.gov.uk",
            ["https://mash.example.gov.uk", "https://beta.mash.example.gov.uk"],
        ),
        ([".example.gov.uk"], "example.gov.uk", []),
        (["127.0.0.1", "localhost"], "localhost", ["https://localhost"]),
        (["127.0.0.1", "*"], "localhost", []),
    ],
)
def test_the_relying_party_comes_from_allowed_hosts(
    hosts: list[str], rp_id: str, origins: list[str]
) -> None:
    assert webauthn_relying_party_id(hosts) == rp_id
    assert webauthn_origins(hosts, rp_id) == origins


def test_only_localhost_accepts_its_own_address_as_origin(screener: User, settings: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = "mash.example.gov.uk"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://mash.example.gov.uk"]
    settings.ALLOWED_HOSTS = ["mash.example.gov.uk", "localhost"]
    assert app_settings.OTP_WEBAUTHN_RP_ID == "mash.example.gov.uk"
    client = fully_signed_in(screener)
    response = add_key(client, SoftwareKey(origin="http://localhost", rp_id="mash.example.gov.uk"))
    assert response.status_code == 400
    assert not WebAuthnCredential.objects.exists()
