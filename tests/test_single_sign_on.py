"""Single sign-on with OpenID Connect (issue 14, item 2; docs/adr/0023).

Every test here signs in through a real OpenID Connect provider running in its own
process (django-oauth-toolkit, tests/oidc_provider): discovery, authorize with PKCE,
the token endpoint, the id token's RS256 signature checked against the provider's JWKS,
userinfo and end-session, all over HTTP. Nothing of the protocol is mocked: a failure
is made the way it happens (a callback in another browser, a secret that is wrong, a
JWKS with another key, groups changed at the provider).
"""

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_logged_in
from django.test import Client
from django.urls import reverse

from openmash.accounts.checks import single_sign_on_settings
from openmash.accounts.models import Agency, User
from openmash.accounts.sso import SIGNED_IN_WITH_SESSION_KEY
from openmash.accounts.sso.config import (
    Access,
    GroupGrant,
    Refusal,
    access_from_claims,
    identity_from_claims,
)
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.roles import Role
from tests.conftest import PASSWORD
from tests.oidc_provider.fixtures import (
    MANAGERS,
    NOT_FOR_OPENMASH,
    POLICE_RESEARCHERS,
    PROVIDER_NAME,
    SCREENERS,
    OidcProvider,
    provider_callback,
    sign_in_with_sso,
)

HOME = "/"


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).role_grants.values_list("role", flat=True))


def signed_in_user(client: Client) -> User | None:
    response = client.get(reverse("home:home"))
    if response.status_code != 200:
        return None
    user: User = response.wsgi_request.user  # type: ignore[assignment]
    return user


def refusals(reason: Refusal) -> list[AuditEvent]:
    return [
        event
        for event in AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).order_by("id")
        if event.detail.get("reason") == reason.value
    ]


@pytest.fixture
def logged_in_signals() -> Iterator[list[User]]:
    users: list[User] = []

    def record(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
        users.append(user)

    user_logged_in.connect(record)
    yield users
    user_logged_in.disconnect(record)


# --- Off by default ----------------------------------------------------------------------


def test_it_is_off_by_default(db: None) -> None:
    client = Client()

    page = client.get(reverse("accounts:sign-in")).content.decode()

    assert "Sign in with" not in page
    assert client.get(reverse("accounts:sso-start")).status_code == 404
    assert (
        client.get(reverse("accounts:sso-callback"), {"code": "x", "state": "y"}).status_code == 404
    )


def test_the_sign_in_page_offers_the_provider_beside_the_password(sso: OidcProvider) -> None:
    page = Client().get(reverse("accounts:sign-in"), {"next": "/mash/screening/"})

    html = page.content.decode()
    assert f"Sign in with {PROVIDER_NAME}" in html
    assert 'href="/accounts/sso/start/?next=%2Fmash%2Fscreening%2F"' in html
    assert 'name="password"' in html  # local accounts keep working


# --- Signing in ----------------------------------------------------------------------------


def test_it_signs_in_and_provisions_an_account_with_the_groups_agency_and_roles(
    sso: OidcProvider, logged_in_signals: list[User]
) -> None:
    sso.add_user("alice", groups=[SCREENERS], given_name="Alice", family_name="Okafor")
    client = Client(REMOTE_ADDR="10.1.0.1")

    response = sign_in_with_sso(client, sso, "alice", next_url="/mash/screening/")

    assert response.status_code == 302
    assert response["Location"] == "/mash/screening/"
    alice = User.objects.get(email="alice@northshire.example")
    assert (alice.username, alice.first_name, alice.last_name) == ("alice", "Alice", "Okafor")
    assert alice.agency == Agency.objects.get(slug="csc")
    assert roles_of(alice) == {Role.SCREENER}
    assert not alice.has_usable_password()
    assert client.session[SIGNED_IN_WITH_SESSION_KEY] == "sso"
    assert logged_in_signals == [alice]
    # She sees her role's pages.
    assert client.get(reverse("enquiries:screening-queue")).status_code == 200
    assert client.get(reverse("metrics:dashboard")).status_code == 403
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="user")
    assert created.detail == {
        "provisioned": True,
        "agency": "csc",
        "roles": ["screener"],
        "system": "single sign-on",
    }
    sign_in = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert (sign_in.actor_user, sign_in.ip_address) == (alice, "10.1.0.1")
    assert sign_in.detail == {"method": "single sign-on"}


def test_it_matches_an_existing_account_by_email_and_brings_it_into_line(
    sso: OidcProvider, make_user: Callable[..., User]
) -> None:
    existing = make_user("bob", Role.REFERRER, "riverside")
    sso.add_user("bob.provider", groups=[POLICE_RESEARCHERS], email="BOB@example.invalid")

    response = sign_in_with_sso(Client(), sso, "bob.provider")

    assert response.status_code == 302
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.username == "bob"  # never renamed
    assert existing.agency.slug == "police"
    assert roles_of(existing) == {Role.AGENCY_RESEARCHER}
    update = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(existing.pk))
    assert update.detail["roles_added"] == ["agency_researcher"]
    assert update.detail["roles_removed"] == ["referrer"]
    assert "agency" in update.detail["fields"]


def test_roles_follow_the_groups_at_the_next_sign_in(sso: OidcProvider) -> None:
    sso.add_user("carol", groups=[SCREENERS])
    assert sign_in_with_sso(Client(), sso, "carol").status_code == 302
    carol = User.objects.get(username="carol")
    assert roles_of(carol) == {Role.SCREENER}

    # Her IT team moves her from the screeners' group to the managers' at the provider.
    sso.add_user("carol", groups=[MANAGERS, NOT_FOR_OPENMASH])
    client = Client()
    response = sign_in_with_sso(client, sso, "carol")

    assert response.status_code == 302
    assert roles_of(carol) == {Role.MASH_MANAGER}
    assert client.get(reverse("enquiries:screening-queue")).status_code == 200
    assert client.get(reverse("metrics:dashboard")).status_code == 200
    update = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(carol.pk))
    assert (update.detail["roles_added"], update.detail["roles_removed"]) == (
        ["mash_manager"],
        ["screener"],
    )


def test_an_account_whose_groups_are_all_taken_away_loses_its_roles_and_is_refused(
    sso: OidcProvider,
) -> None:
    sso.add_user("dan", groups=[SCREENERS])
    sign_in_with_sso(Client(), sso, "dan")
    dan = User.objects.get(username="dan")

    sso.add_user("dan", groups=[NOT_FOR_OPENMASH])
    client = Client()
    response = sign_in_with_sso(client, sso, "dan")

    assert response.status_code == 403
    assert "You do not have access to OpenMASH" in response.content.decode()
    assert signed_in_user(client) is None
    assert roles_of(dan) == set()
    [refused] = refusals(Refusal.NO_MAPPED_GROUP)
    assert refused.object_id == str(dan.pk)


def test_someone_whose_groups_give_no_access_gets_a_page_and_no_account(
    sso: OidcProvider,
) -> None:
    sso.add_user("eve", groups=[NOT_FOR_OPENMASH])
    client = Client()

    response = sign_in_with_sso(client, sso, "eve")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You do not have access to OpenMASH" in page
    assert f"{PROVIDER_NAME} signed you in, but none of your groups" in page
    assert response.wsgi_request.request_id in page  # a reference for the administrator
    assert not User.objects.exists()
    assert signed_in_user(client) is None
    assert len(refusals(Refusal.NO_MAPPED_GROUP)) == 1


def test_groups_of_two_agencies_are_refused(sso: OidcProvider) -> None:
    sso.add_user("fay", groups=[SCREENERS, POLICE_RESEARCHERS])

    response = sign_in_with_sso(Client(), sso, "fay")

    assert response.status_code == 403
    assert "more than one agency" in response.content.decode()
    assert not User.objects.exists()


def test_a_deactivated_account_is_refused_and_left_as_it_is(
    sso: OidcProvider, make_user: Callable[..., User]
) -> None:
    leaver = make_user("gail", Role.SCREENER)
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    sso.add_user("gail", groups=[MANAGERS], email="gail@example.invalid")
    client = Client()

    response = sign_in_with_sso(client, sso, "gail")

    assert response.status_code == 403
    assert "Your OpenMASH account is switched off" in response.content.decode()
    assert signed_in_user(client) is None
    assert roles_of(leaver) == {Role.SCREENER}
    [refused] = refusals(Refusal.INACTIVE)
    assert refused.object_id == str(leaver.pk)


def test_a_session_ends_when_its_account_is_deactivated(sso: OidcProvider) -> None:
    sso.add_user("hal", groups=[SCREENERS])
    client = Client()
    sign_in_with_sso(client, sso, "hal")
    assert signed_in_user(client) is not None

    User.objects.filter(username="hal").update(is_active=False)

    assert signed_in_user(client) is None


def test_without_provisioning_someone_with_no_account_is_refused(
    sso: OidcProvider, settings: Any
) -> None:
    settings.OIDC_PROVISION_USERS = False
    sso.add_user("ian", groups=[SCREENERS])

    response = sign_in_with_sso(Client(), sso, "ian")

    assert response.status_code == 403
    assert "there is no OpenMASH account for you" in response.content.decode()
    assert not User.objects.exists()
    assert len(refusals(Refusal.UNKNOWN_USER)) == 1


def test_matched_by_entra_object_id_the_account_survives_an_email_change(
    sso: OidcProvider, settings: Any
) -> None:
    settings.OIDC_USER_CLAIM = "oid"
    oid = sso.add_user("jo", groups=[SCREENERS], email="jo@northshire.example")
    sign_in_with_sso(Client(), sso, "jo")
    jo = User.objects.get(sso_id=oid)

    sso.add_user("jo", groups=[SCREENERS], email="joanna@northshire.example")
    response = sign_in_with_sso(Client(), sso, "jo")

    assert response.status_code == 302
    assert User.objects.count() == 1
    jo.refresh_from_db()
    assert jo.email == "joanna@northshire.example"


def test_a_username_held_by_an_unlinked_account_is_not_taken_over(
    sso: OidcProvider, settings: Any, make_user: Callable[..., User]
) -> None:
    settings.OIDC_USER_CLAIM = "oid"
    local = make_user("kim", Role.SCREENER)
    sso.add_user("kim", groups=[MANAGERS])

    response = sign_in_with_sso(Client(), sso, "kim")

    assert response.status_code == 403
    assert "not linked" in response.content.decode()
    assert User.objects.count() == 1
    assert roles_of(local) == {Role.SCREENER}


# --- The protocol's own checks ---------------------------------------------------------------


def test_a_callback_in_another_browser_is_refused(sso: OidcProvider) -> None:
    sso.add_user("lee", groups=[SCREENERS])
    callback = provider_callback(Client(), sso, "lee")
    other_browser = Client()

    response = other_browser.get(callback)

    assert response.status_code == 400
    assert "Sign-in did not complete" in response.content.decode()
    assert signed_in_user(other_browser) is None
    assert not User.objects.exists()
    assert len(refusals(Refusal.BAD_STATE)) == 1


def test_a_callback_works_once(sso: OidcProvider) -> None:
    sso.add_user("max", groups=[SCREENERS])
    client = Client()
    callback = provider_callback(client, sso, "max")
    assert client.get(callback).status_code == 302
    client.post(reverse("accounts:sign-out"))

    replayed = client.get(callback)

    assert replayed.status_code == 400
    assert signed_in_user(client) is None


def test_a_tampered_state_is_refused(sso: OidcProvider) -> None:
    sso.add_user("nia", groups=[SCREENERS])
    client = Client()
    callback = urlsplit(provider_callback(client, sso, "nia"))
    query = parse_qs(callback.query)

    response = client.get(callback.path, {"code": query["code"][0], "state": "not-the-state"})

    assert response.status_code == 400
    assert signed_in_user(client) is None


def test_an_id_token_with_another_nonce_is_refused(sso: OidcProvider) -> None:
    sso.add_user("oli", groups=[SCREENERS])
    client = Client()
    callback = provider_callback(client, sso, "oli")
    # The session expects another nonce than the one the provider put in the id token,
    # as it would for a token obtained for another sign-in.
    session = client.session
    states = session["oidc_states"]
    for entry in states.values():
        entry["nonce"] = "another-nonce"
    session["oidc_states"] = states
    session.save()

    response = client.get(callback)

    assert response.status_code == 400
    assert "could not confirm the answer" in response.content.decode()
    assert signed_in_user(client) is None
    assert len(refusals(Refusal.INVALID_TOKEN)) == 1


def test_an_id_token_whose_signature_does_not_match_the_published_key_is_refused(
    sso: OidcProvider, settings: Any
) -> None:
    # The keys OpenMASH checks signatures with: another RSA key under the provider's key id.
    settings.OIDC_OP_JWKS_ENDPOINT = f"{sso.url}/control/jwks-of-another-key/"
    sso.add_user("pat", groups=[SCREENERS])
    client = Client()

    response = sign_in_with_sso(client, sso, "pat")

    assert response.status_code == 400
    assert signed_in_user(client) is None
    assert not User.objects.exists()
    assert len(refusals(Refusal.INVALID_TOKEN)) == 1


def test_a_wrong_client_secret_shows_a_page_not_a_server_error(
    sso: OidcProvider, settings: Any
) -> None:
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"
    sso.add_user("quinn", groups=[SCREENERS])
    client = Client()

    response = sign_in_with_sso(client, sso, "quinn")

    assert response.status_code == 400
    assert f"{PROVIDER_NAME} did not sign you in" in response.content.decode()
    assert signed_in_user(client) is None
    assert len(refusals(Refusal.PROVIDER_ERROR)) == 1


def test_an_error_from_the_provider_is_a_page_and_audited(sso: OidcProvider) -> None:
    client = Client()
    start = client.get(reverse("accounts:sso-start"))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    response = client.get(
        reverse("accounts:sso-callback"), {"error": "access_denied", "state": state}
    )

    assert response.status_code == 400
    [refused] = refusals(Refusal.PROVIDER_ERROR)
    assert refused.detail["provider_error"] == "access_denied"
    assert state not in client.session["oidc_states"]


def test_a_provider_that_cannot_be_reached_is_a_page_not_a_server_error(
    sso: OidcProvider, settings: Any
) -> None:
    settings.OIDC_ISSUER = f"{sso.url}/no-provider-here"

    response = Client().get(reverse("accounts:sso-start"))

    assert response.status_code == 503
    assert f"Signing in with {PROVIDER_NAME} is not working at the moment" in (
        response.content.decode()
    )


def test_a_discovery_document_of_another_issuer_is_not_used(
    sso: OidcProvider, settings: Any
) -> None:
    settings.OIDC_DISCOVERY_URL = f"{sso.issuer}/.well-known/openid-configuration"
    settings.OIDC_ISSUER = f"{sso.url}/another-issuer"

    response = Client().get(reverse("accounts:sso-start"))

    assert response.status_code == 503


def test_the_start_sends_state_nonce_and_a_pkce_challenge(sso: OidcProvider) -> None:
    start = Client().get(reverse("accounts:sso-start"))

    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(f"{sso.issuer}/authorize/")
    assert {"state", "nonce", "code_challenge"} <= set(query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["openid email profile"]


def test_a_password_sign_in_carrying_a_code_never_reaches_the_provider(
    sso: OidcProvider, make_user: Callable[..., User]
) -> None:
    make_user("rae", Role.SCREENER)
    client = Client()

    response = client.post(
        reverse("accounts:sign-in") + "?code=abc&state=def",
        {"username": "rae", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert SIGNED_IN_WITH_SESSION_KEY not in client.session


# --- Lockout --------------------------------------------------------------------------------


@pytest.fixture
def address_limit(settings: Any) -> None:
    # Each failure from an address weighs as one of an account's: 5 lock the address.
    settings.SIGN_IN_ACCOUNT_FAILURES = 5
    settings.AXES_FAILURE_LIMIT = 5
    settings.SIGN_IN_ADDRESS_FAILURES = 5


def test_failed_callbacks_lock_their_address_and_then_the_provider_is_not_asked(
    sso: OidcProvider, address_limit: None
) -> None:
    sso.add_user("sam", groups=[SCREENERS])
    # Sam is at the provider, on his way back with a genuine code, when someone at the
    # same address guesses at the callback.
    sams_browser = Client(REMOTE_ADDR="10.2.0.1")
    sams_callback = provider_callback(sams_browser, sso, "sam")
    guesser = Client(REMOTE_ADDR="10.2.0.1")
    statuses = [
        guesser.get(
            reverse("accounts:sso-callback"), {"code": "guess", "state": f"s{n}"}
        ).status_code
        for n in range(5)
    ]

    locked = sams_browser.get(sams_callback)
    start_while_locked = Client(REMOTE_ADDR="10.2.0.1").get(reverse("accounts:sso-start"))
    elsewhere = sign_in_with_sso(Client(REMOTE_ADDR="10.2.0.2"), sso, "sam")

    assert statuses == [400, 400, 400, 400, 429]
    assert locked.status_code == 429
    assert "Sign-in is locked for now" in locked.content.decode()
    assert signed_in_user(sams_browser) is None
    assert start_while_locked.status_code == 429
    assert elsewhere.status_code == 302
    attempts = AccessAttempt.objects.get(ip_address="10.2.0.1")
    assert attempts.username is None
    assert "guess" not in attempts.get_data  # the code is masked


def test_failed_callbacks_from_many_addresses_lock_nobody_else(
    sso: OidcProvider, address_limit: None
) -> None:
    sso.add_user("tia", groups=[SCREENERS])
    for n in range(6):
        Client(REMOTE_ADDR=f"10.3.0.{n}").get(
            reverse("accounts:sso-callback"), {"code": "guess", "state": "guess"}
        )

    response = sign_in_with_sso(Client(REMOTE_ADDR="10.3.0.99"), sso, "tia")

    assert response.status_code == 302


def test_a_refusal_counts_as_a_failed_sign_in_from_the_address(
    sso: OidcProvider, address_limit: None
) -> None:
    sso.add_user("uma", groups=[NOT_FOR_OPENMASH])

    sign_in_with_sso(Client(REMOTE_ADDR="10.4.0.1"), sso, "uma")

    assert AccessAttempt.objects.get(ip_address="10.4.0.1").failures_since_start == 1


# --- Signing out ----------------------------------------------------------------------------


def test_signing_out_ends_the_session_and_then_the_providers(sso: OidcProvider) -> None:
    sso.add_user("val", groups=[SCREENERS])
    client = Client()
    sign_in_with_sso(client, sso, "val")
    page = client.get(reverse("home:home"))
    assert f"form-action 'self' {sso.url};" in page["Content-Security-Policy"]

    response = client.post(reverse("accounts:sign-out"))

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso.issuer}/logout/"
    assert parse_qs(location.query) == {
        "client_id": ["openmash-northshire"],
        "post_logout_redirect_uri": ["http://testserver/accounts/sign-in/"],
    }
    assert signed_in_user(client) is None
    sign_out = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert sign_out.detail == {"method": "single sign-on"}


def test_a_password_users_sign_out_stays_here(
    sso: OidcProvider, make_user: Callable[..., User]
) -> None:
    make_user("wyn", Role.SCREENER)
    client = Client()
    client.post(reverse("accounts:sign-in"), {"username": "wyn", "password": PASSWORD})

    response = client.post(reverse("accounts:sign-out"))

    assert response["Location"] == reverse("accounts:sign-in")


def test_signing_out_at_the_provider_can_be_turned_off(sso: OidcProvider, settings: Any) -> None:
    settings.OIDC_SIGN_OUT_AT_PROVIDER = False
    sso.add_user("xan", groups=[SCREENERS])
    client = Client()
    sign_in_with_sso(client, sso, "xan")

    response = client.post(reverse("accounts:sign-out"))

    assert response["Location"] == reverse("accounts:sign-in")


# --- Configuration, without the provider ---------------------------------------------------


GRANTS = {
    "g-screen": GroupGrant(agency="csc", roles=frozenset({Role.SCREENER})),
    "g-manage": GroupGrant(agency="csc", roles=frozenset({Role.MASH_MANAGER})),
    "g-police": GroupGrant(agency="police", roles=frozenset({Role.AGENCY_RESEARCHER})),
}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (
            {"groups": ["g-screen", "g-manage", "other"]},
            Access("csc", frozenset({Role.SCREENER, Role.MASH_MANAGER})),
        ),
        ({"groups": "g-police"}, Access("police", frozenset({Role.AGENCY_RESEARCHER}))),
        ({"groups": ["other"]}, Refusal.NO_MAPPED_GROUP),
        ({}, Refusal.NO_MAPPED_GROUP),
        ({"groups": [7, None]}, Refusal.NO_MAPPED_GROUP),
        ({"groups": ["g-screen", "g-police"]}, Refusal.CONFLICTING_AGENCIES),
        ({"_claim_names": {"groups": "src1"}, "_claim_sources": {}}, Refusal.TOO_MANY_GROUPS),
    ],
)
def test_it_maps_groups_to_an_agency_and_roles(claims: dict[str, Any], expected: object) -> None:
    assert access_from_claims(claims, GRANTS, "groups") == expected


def test_it_reads_who_someone_is_from_the_configured_claim() -> None:
    claims = {
        "email": "a.b@northshire.example",
        "preferred_username": "a.b@northshire.example",
        "oid": "0b1c",
        "given_name": "Ada",
        "family_name": "Bell",
    }

    by_email = identity_from_claims(claims, "email")
    by_oid = identity_from_claims(claims, "oid")
    by_name = identity_from_claims({**claims, "preferred_username": "a b"}, "preferred_username")
    odd_username = identity_from_claims({**claims, "preferred_username": "a b"}, "oid")

    assert not isinstance(by_email, Refusal) and not isinstance(by_oid, Refusal)
    assert (by_email.match_field, by_email.match_value) == ("email", "a.b@northshire.example")
    assert (by_oid.match_field, by_oid.match_value, by_oid.username) == (
        "sso_id",
        "0b1c",
        "a.b@northshire.example",
    )
    assert by_name == Refusal.MISSING_CLAIM
    assert not isinstance(odd_username, Refusal)
    assert odd_username.username.startswith("sso-")
    assert identity_from_claims({"email": ""}, "email") == Refusal.MISSING_CLAIM


def test_the_settings_check_names_what_is_wrong(settings: Any) -> None:
    settings.OIDC_ISSUER = "http://login.example.org/tenant/v2.0"
    settings.OIDC_RP_CLIENT_ID = "client"
    settings.OIDC_RP_CLIENT_SECRET = ""
    settings.OIDC_GROUP_MAP = {
        "g1": {"agency": "csc", "roles": ["superuser"]},
        "g2": {"roles": ["screener"]},
    }

    messages = [message.msg for message in single_sign_on_settings()]

    assert "Single sign-on: OIDC_CLIENT_SECRET is not set (in the environment)." in messages
    assert "Single sign-on: OIDC_ISSUER must be an https address." in messages
    assert any("group g1: unknown roles superuser" in message for message in messages)
    assert any("group g2: no agency" in message for message in messages)


def test_the_settings_check_is_quiet_while_single_sign_on_is_off() -> None:
    assert single_sign_on_settings() == []
