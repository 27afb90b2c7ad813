"""Brute force (issue 14, item 3): every way in with a secret is throttled.

The sign-in page and the administration's sign-in lock an account after
SIGN_IN_ACCOUNT_FAILURES wrong passwords and an address after SIGN_IN_ADDRESS_FAILURES
(django-axes, counted in the database); the API answers 429 with Retry-After to a token
past its rate and to an address sending wrong tokens. An administrator unlocks, audited.
"""

from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from openmash.accounts.models import ApiToken, User
from openmash.accounts.services import sign_in_attempts_clear, user_sign_in_unlock
from openmash.core.audit import Actor
from openmash.core.client_address import client_address
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.roles import Role
from tests.conftest import PASSWORD, signed_in

SIGN_IN = "accounts:sign-in"
ADMIN_SIGN_IN = "admin:login"


@pytest.fixture
def administrator(personas: dict[str, User]) -> User:
    return personas["administrator"]


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


def _sign_in(client: Client, url_name: str, username: str, password: str) -> int:
    response = client.post(reverse(url_name), {"username": username, "password": password})
    return response.status_code


def _fail(client: Client, url_name: str, username: str, times: int) -> list[int]:
    return [_sign_in(client, url_name, username, "wrong-password") for _ in range(times)]


@pytest.mark.parametrize("url_name", [SIGN_IN, ADMIN_SIGN_IN])
@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_it_locks_an_account_after_five_wrong_passwords_on_every_sign_in_page(
    url_name: str, administrator: User
) -> None:
    client = Client()

    statuses = _fail(client, url_name, administrator.username, 5)
    right_password = client.post(
        reverse(url_name), {"username": administrator.username, "password": PASSWORD}
    )

    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429
    assert right_password.status_code == 429
    assert "Sign-in is locked for now" in right_password.content.decode()
    assert int(right_password["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_it_locks_the_account_from_another_address_too(screener: User) -> None:
    _fail(Client(REMOTE_ADDR="10.0.0.1"), SIGN_IN, screener.username, 5)

    status = _sign_in(Client(REMOTE_ADDR="10.0.0.2"), SIGN_IN, screener.username, PASSWORD)

    assert status == 429


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5, SIGN_IN_ADDRESS_FAILURES=20)
def test_it_locks_an_address_guessing_many_accounts_but_later_than_one_account(
    screener: User, manager: User
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.9")
    # Four wrong passwords each for five made-up usernames: no account reaches five.
    statuses = [status for n in range(4) for status in _fail(client, SIGN_IN, f"guess{n}", 4)]
    assert set(statuses) == {200}
    other_address_still_works = _sign_in(Client(), SIGN_IN, manager.username, PASSWORD)

    statuses += _fail(client, SIGN_IN, "guess9", 4)
    from_that_address = _sign_in(client, SIGN_IN, screener.username, PASSWORD)

    assert 429 in statuses
    assert from_that_address == 429
    assert other_address_still_works == 302


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_it_audits_a_lockout_naming_the_account_by_id(screener: User) -> None:
    _fail(Client(REMOTE_ADDR="10.0.0.3"), SIGN_IN, screener.username, 5)

    locked = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert locked.exists()
    event = locked.latest("id")
    assert event.object_id == str(screener.pk)
    assert event.ip_address == "10.0.0.3"
    assert event.detail["locked_out"] is True
    assert screener.username not in str(event.detail)


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_an_administrator_unlocks_an_account_and_it_is_audited(
    screener: User, administrator: User
) -> None:
    client = Client()
    _fail(client, SIGN_IN, screener.username, 5)

    cleared = user_sign_in_unlock(actor=Actor(user=administrator), user=screener)

    assert cleared >= 1
    assert _sign_in(client, SIGN_IN, screener.username, PASSWORD) == 302
    [event] = AuditEvent.objects.filter(action=AuditAction.UNLOCK)
    assert event.actor_user == administrator
    assert event.object_type == "user"
    assert event.object_id == str(screener.pk)


def test_nobody_but_an_administrator_may_unlock(screener: User, manager: User) -> None:
    with pytest.raises(PermissionDenied):
        user_sign_in_unlock(actor=Actor(user=manager), user=screener)
    with pytest.raises(PermissionDenied):
        sign_in_attempts_clear(actor=Actor(user=manager), attempt_ids=[])
    assert not AuditEvent.objects.filter(action=AuditAction.UNLOCK).exists()


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_the_admin_unlock_action_and_deleting_a_lockout_are_audited(
    screener: User, administrator: User
) -> None:
    _fail(Client(REMOTE_ADDR="10.0.0.4"), SIGN_IN, screener.username, 5)
    _fail(Client(REMOTE_ADDR="10.0.0.5"), SIGN_IN, "nobody-by-this-name", 2)
    admin = signed_in(administrator)

    action = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [screener.pk]},
        follow=True,
    )
    stranger = AccessAttempt.objects.get(username="nobody-by-this-name")
    deleted = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[stranger.pk]), {"post": "yes"}
    )

    assert action.status_code == 200
    assert "Unlocked sign-in for 1 user" in action.content.decode()
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    events = AuditEvent.objects.filter(action=AuditAction.UNLOCK).order_by("id")
    assert [(event.object_type, event.actor_user_id) for event in events] == [
        ("user", administrator.pk),
        ("sign_in_attempts", administrator.pk),
    ]
    assert events[1].detail == {"address": "10.0.0.5", "user": None}


def test_a_successful_sign_in_is_not_slowed(screener: User) -> None:
    client = Client()
    _fail(client, SIGN_IN, screener.username, 2)

    assert _sign_in(client, SIGN_IN, screener.username, PASSWORD) == 302


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5, SIGN_IN_ADDRESS_FAILURES=20)
def test_signing_in_to_ones_own_account_does_not_clear_guesses_at_another(
    screener: User, manager: User
) -> None:
    """Someone with an account of their own guesses four times at another's, signs in as
    themselves, and guesses again: the guesses still count, so the fifth locks it."""
    address = {"REMOTE_ADDR": "10.0.0.20"}
    statuses = []
    for _ in range(3):
        statuses += _fail(Client(**address), SIGN_IN, screener.username, 4)
        assert _sign_in(Client(**address), SIGN_IN, manager.username, PASSWORD) == 302

    assert statuses[:4] == [200] * 4
    assert 429 in statuses
    assert _sign_in(Client(**address), SIGN_IN, screener.username, PASSWORD) == 429
    assert _sign_in(Client(REMOTE_ADDR="10.0.0.21"), SIGN_IN, screener.username, PASSWORD) == 429


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5, SIGN_IN_ADDRESS_FAILURES=20)
def test_signing_in_to_ones_own_account_does_not_clear_the_addresss_count(
    screener: User, manager: User
) -> None:
    address = {"REMOTE_ADDR": "10.0.0.22"}
    for n in range(4):
        assert set(_fail(Client(**address), SIGN_IN, f"guess{n}", 4)) == {200}
    assert _sign_in(Client(**address), SIGN_IN, manager.username, PASSWORD) == 302

    statuses = _fail(Client(**address), SIGN_IN, "guess9", 4)

    guessed = AccessAttempt.objects.filter(ip_address="10.0.0.22").values_list("username")
    assert sorted(name for (name,) in guessed) == ["guess0", "guess1", "guess2", "guess3", "guess9"]
    assert 429 in statuses
    assert _sign_in(Client(**address), SIGN_IN, screener.username, PASSWORD) == 429


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_signing_in_clears_the_accounts_own_wrong_passwords_from_that_address(
    screener: User,
) -> None:
    address = {"REMOTE_ADDR": "10.0.0.23"}
    _fail(Client(**address), SIGN_IN, screener.username, 3)
    _fail(Client(REMOTE_ADDR="10.0.0.24"), SIGN_IN, screener.username, 1)

    assert _sign_in(Client(**address), SIGN_IN, screener.username, PASSWORD) == 302

    # Its own three are forgotten; the one from elsewhere may be someone else's and stays.
    remaining = AccessAttempt.objects.filter(username=screener.username)
    assert list(remaining.values_list("ip_address", "failures_since_start")) == [("10.0.0.24", 1)]
    assert _fail(Client(**address), SIGN_IN, screener.username, 3) == [200, 200, 200]


# The API


def _api(client: Client, token: str) -> int:
    response = client.get("/api/v1/checks", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


@override_settings(API_TOKEN_REQUESTS_PER_MINUTE=5)
@pytest.mark.usefixtures("throttle_clock")
def test_it_limits_each_api_token_to_its_rate(
    police_token: tuple[ApiToken, str], make_user: Callable[..., User]
) -> None:
    _, secret = police_token
    client = Client()

    statuses = [_api(client, secret) for _ in range(7)]
    response = client.get("/api/v1/checks", headers={"Authorization": f"Bearer {secret}"})

    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json() == {"detail": "Too many requests for this token: slow down."}


@override_settings(API_BAD_TOKEN_LIMIT=10)
@pytest.mark.usefixtures("throttle_clock")
def test_it_answers_429_to_an_address_flooding_the_api_with_wrong_tokens(
    police_token: tuple[ApiToken, str],
) -> None:
    _, secret = police_token
    flooder = Client(REMOTE_ADDR="10.0.0.66")

    statuses = [_api(flooder, f"omash_guess{n}") for n in range(12)]
    right_token_from_there = _api(flooder, secret)
    right_token_elsewhere = _api(Client(REMOTE_ADDR="10.0.0.67"), secret)

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # A right token from there still works: an agency's system may share the address.
    assert right_token_from_there == 200
    assert right_token_elsewhere == 200


@override_settings(API_BAD_TOKEN_LIMIT=3, TRUSTED_PROXY_COUNT=1)
@pytest.mark.usefixtures("throttle_clock")
def test_behind_the_proxy_it_counts_the_clients_address_not_the_proxys(
    db: None,
) -> None:
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}

    for n in range(4):
        _api(Client(**via_proxy, HTTP_X_FORWARDED_FOR="10.1.1.1"), f"omash_guess{n}")

    guess = "omash_one-more-guess"
    assert _api(Client(**via_proxy, HTTP_X_FORWARDED_FOR="10.1.1.1"), guess) == 429
    assert _api(Client(**via_proxy, HTTP_X_FORWARDED_FOR="10.1.1.2"), guess) == 401


def _address(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # nginx alone appends the address it saw.
        (1, "203.0.113.9", "203.0.113.9"),
        # A client writing its own X-Forwarded-For: nginx appends the real one after it.
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        # A load balancer, then nginx, each append: the client is second from the right.
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "198.51.100.66, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "198.51.100.66,203.0.113.9 ,10.0.0.2", "203.0.113.9"),
        # Fewer entries than proxies (nginx reached directly): the one nginx wrote.
        (2, "203.0.113.9", "203.0.113.9"),
        (1, "2001:db8::7", "2001:db8::7"),
        # No proxy trusted: the header is the client's own and is ignored.
        (0, "198.51.100.66", "127.0.0.1"),
        # Not an address, or no header: the connection's.
        (1, "198.51.100.66, unknown", "127.0.0.1"),
        (1, None, "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_saw(
    proxies: int, forwarded: str | None, expected: str
) -> None:
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert _address("127.0.0.1", forwarded) == expected


@override_settings(
    TRUSTED_PROXY_COUNT=2,
    SIGN_IN_ACCOUNT_FAILURES=5,
    AXES_FAILURE_LIMIT=5,
    SIGN_IN_ADDRESS_FAILURES=5,
)
def test_behind_a_load_balancer_each_client_is_locked_out_on_its_own(manager: User) -> None:
    """With a load balancer in front of nginx every request comes from the load balancer;
    the address lockout is the guesser's, not everyone's, whatever the guesser writes."""

    def via_balancer(client: str, written: str = "") -> Client:
        chain = ", ".join(part for part in (written, client, "10.0.0.2") if part)
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=chain)

    statuses = [
        _sign_in(via_balancer("203.0.113.9", f"198.51.100.{n}"), SIGN_IN, f"guess{n}", "x")
        for n in range(6)
    ]

    assert statuses[-1] == 429
    assert _sign_in(via_balancer("203.0.113.9"), SIGN_IN, manager.username, PASSWORD) == 429
    assert _sign_in(via_balancer("203.0.113.10"), SIGN_IN, manager.username, PASSWORD) == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@pytest.mark.parametrize("path", ["web", "admin", "api"])
@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5, API_BAD_TOKEN_LIMIT=5)
@pytest.mark.usefixtures("throttle_clock")
def test_every_sign_in_path_is_throttled(
    path: str, administrator: User, police_token: tuple[ApiToken, str]
) -> None:
    """The issue's test: web sign-in, the administration's sign-in and the API each stop
    answering guesses (429) well before 250 of them."""
    client = Client(REMOTE_ADDR="10.9.9.9")
    statuses: list[int] = []
    for _ in range(50):
        if path == "web":
            statuses.append(_sign_in(client, SIGN_IN, administrator.username, "guess"))
        elif path == "admin":
            statuses.append(_sign_in(client, ADMIN_SIGN_IN, administrator.username, "guess"))
        else:
            statuses.append(_api(client, "omash_guess"))

    assert statuses[-1] == 429
    assert statuses.index(429) <= 5
    assert set(statuses[statuses.index(429) :]) == {429}
    assert Role.ADMINISTRATOR in administrator.roles


@override_settings(SIGN_IN_ACCOUNT_FAILURES=5, AXES_FAILURE_LIMIT=5)
def test_wrong_current_passwords_on_changing_a_password_lock_the_account(screener: User) -> None:
    client = signed_in(screener)
    wrong = {"old_password": "a-guess", "new_password1": "x" * 20, "new_password2": "x" * 20}

    statuses = [
        client.post(reverse("accounts:password-change"), wrong).status_code for _ in range(5)
    ]

    assert statuses == [400, 400, 400, 400, 429]
    # The session that guessed has ended, and the right password no longer signs in.
    assert "_auth_user_id" not in client.session
    assert _sign_in(Client(), SIGN_IN, screener.username, PASSWORD) == 429
    screener.refresh_from_db()
    assert screener.check_password(PASSWORD)
    locked = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, object_id=screener.pk)
    assert reverse("accounts:password-change") in [event.detail["path"] for event in locked]
