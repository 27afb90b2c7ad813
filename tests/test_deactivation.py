"""Leavers and dormant accounts (issue 14, item 4): deactivating a person ends their
sessions at once, audited, by an administrator only (a service, and the administration's
action and "Active" box through it); an account nobody has signed in to for
DORMANT_ACCOUNT_DAYS is deactivated by the account loop, and reactivating one starts its
clock again."""

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import DeactivationReason, User, UserSession
from openmash.accounts.services import (
    CannotDeactivateYourself,
    deactivate_user,
    user_deactivate,
    user_reactivate,
    users_dormant_deactivate,
)
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent, Heartbeat
from tests.conftest import PASSWORD, signed_in

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def administrator(personas: dict[str, User]) -> User:
    return personas["administrator"]


def test_deactivating_a_leaver_signs_them_out_everywhere_and_is_audited(
    screener: User, administrator: User
) -> None:
    sessions = [signed_in(screener) for _ in range(2)]

    assert user_deactivate(
        user=screener, by=Actor(user=administrator), reason=DeactivationReason.LEFT
    )

    screener.refresh_from_db()
    assert not screener.is_active
    assert screener.deactivated_at is not None
    assert screener.deactivation_reason == DeactivationReason.LEFT
    assert [client.get("/").status_code for client in sessions] == [302, 302]
    assert not UserSession.objects.filter(user=screener).exists()
    event = AuditEvent.objects.get(
        action="update", object_type="user", object_id=str(screener.pk), actor_user=administrator
    )
    assert event.detail == {"is_active": False, "reason": "left", "sessions_ended": 2}
    refused = Client().post(
        reverse("accounts:sign-in"), {"username": "screener", "password": PASSWORD}
    )
    assert "The username or password is not right" in refused.content.decode()


def test_deactivating_twice_changes_nothing_the_second_time(
    screener: User, administrator: User
) -> None:
    actor = Actor(user=administrator)
    assert deactivate_user(user=screener, by=actor, reason=DeactivationReason.LEFT)
    first = User.objects.get(pk=screener.pk).deactivated_at

    assert not deactivate_user(user=screener, by=actor, reason=DeactivationReason.SECURITY)

    again = User.objects.get(pk=screener.pk)
    assert (again.deactivated_at, again.deactivation_reason) == (first, "left")
    assert AuditEvent.objects.filter(action="update", object_type="user").count() == 1


@pytest.mark.parametrize(
    ("persona", "victim_persona"),
    [
        ("screener", "analyst"),
        ("auditor", "analyst"),
        # A MASH manager deactivates the hub's workers, never an administrator or an
        # auditor (docs/adr/0029-user-administration.md).
        ("manager", "administrator"),
        ("manager", "auditor"),
    ],
)
def test_only_someone_who_may_change_the_account_deactivates(
    persona: str, victim_persona: str, personas: dict[str, User]
) -> None:
    victim = personas[victim_persona]

    with pytest.raises(PermissionDenied):
        user_deactivate(
            user=victim, by=Actor(user=personas[persona]), reason=DeactivationReason.LEFT
        )

    assert User.objects.get(pk=victim.pk).is_active


def test_an_administrator_cannot_deactivate_themselves(administrator: User) -> None:
    with pytest.raises(CannotDeactivateYourself):
        user_deactivate(
            user=administrator, by=Actor(user=administrator), reason=DeactivationReason.LEFT
        )

    assert User.objects.get(pk=administrator.pk).is_active


def test_reactivating_lets_them_sign_in_again(screener: User, administrator: User) -> None:
    actor = Actor(user=administrator)
    user_deactivate(user=screener, by=actor, reason=DeactivationReason.LEFT)

    assert user_reactivate(user=screener, by=actor)

    screener.refresh_from_db()
    assert screener.is_active and screener.deactivated_at is None
    assert screener.reactivated_at is not None
    signed = Client().post(
        reverse("accounts:sign-in"), {"username": "screener", "password": PASSWORD}
    )
    assert signed.status_code == 302
    assert AuditEvent.objects.filter(detail__is_active=True, object_id=str(screener.pk)).exists()


def test_the_administrations_action_deactivates_leavers(
    screener: User, administrator: User, personas: dict[str, User]
) -> None:
    session = signed_in(screener)
    analyst = personas["analyst"]

    response = signed_in(administrator).post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "deactivate_leavers",
            "_selected_action": [screener.pk, analyst.pk, administrator.pk],
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Deactivated 2 users" in page
    assert "You cannot deactivate your own account." in page
    assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) == {
        "screener",
        "analyst",
    }
    assert session.get("/").status_code == 302


def _change_form(user: User, **changes: Any) -> dict[str, Any]:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "agency": user.agency_id,
        "job_title": "Senior screener",
        "phone": "",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "role_grants-TOTAL_FORMS": "0",
        "role_grants-INITIAL_FORMS": "0",
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_unticking_active_in_the_administration_ends_the_sessions_and_ticking_it_resets_the_clock(
    screener: User, administrator: User
) -> None:
    session = signed_in(screener)
    admin = signed_in(administrator)
    url = reverse("admin:accounts_user_change", args=[screener.pk])

    response = admin.post(url, _change_form(screener, is_active=""))

    assert response.status_code == 302, response.content.decode()[:2000]
    screener.refresh_from_db()
    assert not screener.is_active
    assert screener.deactivation_reason == DeactivationReason.OTHER
    assert screener.job_title == "Senior screener"  # the rest of the form is saved too
    assert session.get("/").status_code == 302

    admin.post(url, _change_form(screener, is_active="on"))

    screener.refresh_from_db()
    assert screener.is_active
    assert screener.reactivated_at is not None and screener.deactivated_at is None


def _last_active(user: User, *, days_ago: int, field: str = "last_login") -> None:
    User.objects.filter(pk=user.pk).update(**{field: NOW - timedelta(days=days_ago)})


def test_accounts_not_signed_in_to_for_the_set_days_are_deactivated(
    personas: dict[str, User], settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    User.objects.update(date_joined=NOW - timedelta(days=400), last_login=NOW)
    _last_active(personas["screener"], days_ago=91)
    _last_active(personas["manager"], days_ago=89)
    # Never signed in: counted from the day the account was made.
    User.objects.filter(pk=personas["analyst"].pk).update(last_login=None)

    deactivated = users_dormant_deactivate(now=NOW)

    assert set(User.objects.filter(pk__in=deactivated).values_list("username", flat=True)) == {
        "screener",
        "analyst",
    }
    assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) == {
        "screener",
        "analyst",
    }
    event = AuditEvent.objects.get(object_id=str(personas["screener"].pk), action="update")
    assert event.actor_user is None
    assert event.detail == {
        "is_active": False,
        "reason": "dormant",
        "sessions_ended": 0,
        "system": "dormant accounts",
    }
    assert users_dormant_deactivate(now=NOW) == []


def test_a_new_account_and_a_reactivated_one_are_not_dormant(
    personas: dict[str, User], settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 30
    User.objects.update(date_joined=NOW - timedelta(days=400), last_login=NOW)
    _last_active(personas["screener"], days_ago=200)
    _last_active(personas["screener"], days_ago=3, field="reactivated_at")
    User.objects.filter(pk=personas["manager"].pk).update(
        last_login=None, date_joined=NOW - timedelta(days=10)
    )

    assert users_dormant_deactivate(now=NOW) == []


def test_dormant_accounts_are_left_alone_when_the_setting_is_zero(
    personas: dict[str, User], settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 0
    User.objects.update(last_login=NOW - timedelta(days=1000))

    assert users_dormant_deactivate(now=NOW) == []
    assert not User.objects.filter(is_active=False).exists()


def test_the_account_loop_deactivates_dormant_accounts_and_beats(
    personas: dict[str, User], settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    User.objects.update(last_login=timezone.now(), date_joined=timezone.now() - timedelta(days=365))
    User.objects.filter(pk=personas["screener"].pk).update(
        last_login=timezone.now() - timedelta(days=100)
    )
    out = StringIO()

    call_command("account_lifecycle", stdout=out)

    assert "Deactivated 1 account not signed in to for 90 days" in out.getvalue()
    assert "screener" not in out.getvalue()  # counts only; which one is in the audit log
    assert not User.objects.get(pk=personas["screener"].pk).is_active
    assert Heartbeat.objects.filter(loop="account_lifecycle").exists()
