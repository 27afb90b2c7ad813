"""User administration (issue 16, item 5): the services that add a user, change their
details and roles, and who may do what (docs/adr/0029-user-administration.md); then the
pages that call them."""

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import Agency, DeactivationReason, User
from openmash.accounts.services import (
    UserDetails,
    roles_grantable_by,
    user_add,
    user_deactivate,
    user_roles_set,
    user_update,
)
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from tests.conftest import signed_in

SITE = "https://openmash.example.gov.uk"


def details(agency: Agency, **changes: Any) -> UserDetails:
    values: dict[str, Any] = {
        "first_name": "Grace",
        "last_name": "Adeyemi",
        "username": "grace.adeyemi",
        "email": "grace.adeyemi@health.example.nhs.uk",
        "agency_id": agency.pk,
        "job_title": "Safeguarding nurse",
        "phone": "",
    }
    return UserDetails(**{**values, **changes})


@pytest.fixture
def administrator(personas: dict[str, User]) -> User:
    return personas["administrator"]


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


# --- Adding a user -----------------------------------------------------------------------


def test_it_adds_a_user_with_their_roles_audited_and_emails_them_a_link(
    administrator: User, agencies: dict[str, Agency]
) -> None:
    user = user_add(
        actor=Actor(user=administrator),
        details=details(agencies["health"]),
        roles=[Role.SCREENER],
        site_url=SITE,
    )

    user.refresh_from_db()
    assert (user.username, user.agency, user.roles) == (
        "grace.adeyemi",
        agencies["health"],
        frozenset({"screener"}),
    )
    # Nobody knows the password: the person chooses their own from the emailed link.
    assert user.has_usable_password()
    created = AuditEvent.objects.get(action="create", object_type="user", object_id=str(user.pk))
    assert created.actor_user == administrator
    assert created.detail == {"roles": ["screener"]}
    assert AuditEvent.objects.filter(
        action="create", object_type="password_reset_link", object_id=str(user.pk)
    ).exists()
    [email] = mail.outbox
    assert email.to == ["grace.adeyemi@health.example.nhs.uk"]
    assert "username: grace.adeyemi" in email.body
    assert re.search(rf"{SITE}/accounts/reset/\S+/", email.body)


def test_it_refuses_a_user_with_every_problem_at_once_and_writes_nothing(
    administrator: User, agencies: dict[str, Agency], personas: dict[str, User]
) -> None:
    before = (User.objects.count(), AuditEvent.objects.count())
    taken = personas["screener"]

    with pytest.raises(FieldErrors) as refused:
        user_add(
            actor=Actor(user=administrator),
            details=details(
                agencies["health"],
                first_name=" ",
                username=taken.username.upper(),
                email=taken.email.upper(),
                agency_id=None,
            ),
            roles=[],
            site_url=SITE,
        )

    assert refused.value.errors == {
        "first_name": "Enter their first name",
        "username": "Another account already has this username",
        "email": "Another account already uses this email address",
        "agency": "Select their agency",
        "roles": "Select at least one role",
    }
    assert (User.objects.count(), AuditEvent.objects.count()) == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "grace adeyemi"}, "username", "without spaces"),
        ({"email": "grace@"}, "email", "correct format"),
        ({"last_name": ""}, "last_name", "Enter their last name"),
        ({"phone": "0" * 41}, "phone", "40 characters or fewer"),
    ],
)
def test_it_says_what_is_wrong_with_each_field(
    administrator: User,
    agencies: dict[str, Agency],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    with pytest.raises(FieldErrors) as refused:
        user_add(
            actor=Actor(user=administrator),
            details=details(agencies["health"], **changes),
            roles=[Role.SCREENER],
            site_url=SITE,
        )

    assert message in refused.value.errors[field]


def test_an_agency_researcher_belongs_to_an_agency_in_the_mash(
    administrator: User, agencies: dict[str, Agency]
) -> None:
    with pytest.raises(FieldErrors) as refused:
        user_add(
            actor=Actor(user=administrator),
            details=details(agencies["riverside"]),
            roles=[Role.AGENCY_RESEARCHER],
            site_url=SITE,
        )

    assert refused.value.errors == {
        "roles": "An agency researcher must belong to an agency that sits in the MASH: "
        "Riverside Primary School does not"
    }


@pytest.mark.parametrize("persona", ["screener", "auditor", "analyst", "no_role"])
def test_only_administrators_and_managers_add_users(
    persona: str, personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    with pytest.raises(PermissionDenied):
        user_add(
            actor=Actor(user=personas[persona]),
            details=details(agencies["health"]),
            roles=[Role.SCREENER],
            site_url=SITE,
        )

    assert not User.objects.filter(username="grace.adeyemi").exists()


def test_a_manager_adds_a_worker_but_gives_no_role_above_their_own(
    manager: User, agencies: dict[str, Agency]
) -> None:
    assert Role.ADMINISTRATOR not in roles_grantable_by(manager)
    for role in (Role.ADMINISTRATOR, Role.AUDITOR, Role.INFORMATION_GOVERNANCE):
        with pytest.raises(FieldErrors) as refused:
            user_add(
                actor=Actor(user=manager),
                details=details(agencies["health"]),
                roles=[Role.SCREENER, role],
                site_url=SITE,
            )
        assert refused.value.errors == {
            "roles": f"You cannot give the {role.label.lower()} role: ask an administrator"
        }

    added = user_add(
        actor=Actor(user=manager),
        details=details(agencies["health"]),
        roles=[Role.SCREENER],
        site_url=SITE,
    )
    assert added.roles == frozenset({"screener"})


# --- Changing a user ---------------------------------------------------------------------


def test_it_changes_details_auditing_the_fields_not_their_values(
    administrator: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    analyst = personas["analyst"]
    wanted = details(
        agencies["csc"],
        first_name=analyst.first_name,
        last_name="Okoro",
        username=analyst.username,
        email="analyst.okoro@example.invalid",
        job_title=analyst.job_title,
    )

    changed = user_update(actor=Actor(user=administrator), user=analyst, details=wanted)

    assert changed == ["email", "last_name"]
    analyst.refresh_from_db()
    assert (analyst.last_name, analyst.email) == ("Okoro", "analyst.okoro@example.invalid")
    event = AuditEvent.objects.get(action="update", object_id=str(analyst.pk))
    assert event.detail == {"fields": ["email", "last_name"]}
    # The same again changes and audits nothing.
    assert user_update(actor=Actor(user=administrator), user=analyst, details=wanted) == []
    assert AuditEvent.objects.filter(action="update", object_id=str(analyst.pk)).count() == 1


def test_an_address_another_account_already_shared_does_not_stop_other_changes(
    administrator: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    analyst, auditor = personas["analyst"], personas["auditor"]
    User.objects.filter(pk=auditor.pk).update(email=analyst.email.upper())
    wanted = details(
        agencies["csc"],
        first_name=analyst.first_name,
        last_name="Okoro",
        username=analyst.username,
        email=analyst.email,
        job_title=analyst.job_title,
    )

    assert user_update(actor=Actor(user=administrator), user=analyst, details=wanted) == [
        "last_name"
    ]
    with pytest.raises(FieldErrors) as refused:
        user_update(
            actor=Actor(user=administrator),
            user=personas["screener"],
            details=details(agencies["csc"], username="screener", email=analyst.email),
        )
    assert refused.value.errors == {"email": "Another account already uses this email address"}


def test_a_researcher_cannot_move_to_an_agency_outside_the_mash(
    administrator: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    researcher = personas["police_researcher"]

    with pytest.raises(FieldErrors) as refused:
        user_update(
            actor=Actor(user=administrator),
            user=researcher,
            details=details(
                agencies["hillview"],
                username=researcher.username,
                email=researcher.email,
            ),
        )

    assert "Hillview Academy does not" in refused.value.errors["agency"]
    researcher.refresh_from_db()
    assert researcher.agency == agencies["police"]


def test_it_sets_roles_exactly_and_audits_what_was_added_and_removed(
    administrator: User, personas: dict[str, User]
) -> None:
    screener = personas["screener"]
    assert screener.has_role(Role.SCREENER)

    added, removed = user_roles_set(
        actor=Actor(user=administrator), user=screener, roles=[Role.MASH_MANAGER, Role.ANALYST]
    )

    assert (added, removed) == (["analyst", "mash_manager"], ["screener"])
    assert User.objects.get(pk=screener.pk).roles == frozenset({"analyst", "mash_manager"})
    event = AuditEvent.objects.get(action="update", object_id=str(screener.pk))
    assert event.detail == {
        "roles_added": ["analyst", "mash_manager"],
        "roles_removed": ["screener"],
        "fields": [],
    }
    with pytest.raises(FieldErrors) as refused:
        user_roles_set(actor=Actor(user=administrator), user=screener, roles=[])
    assert refused.value.errors == {"roles": "Select at least one role"}


def test_nobody_removes_their_own_administrator_role(administrator: User, manager: User) -> None:
    with pytest.raises(FieldErrors) as refused:
        user_roles_set(actor=Actor(user=administrator), user=administrator, roles=[Role.ANALYST])
    assert refused.value.errors == {
        "roles": "You cannot remove your own administrator role: ask another administrator"
    }
    with pytest.raises(FieldErrors):
        user_roles_set(actor=Actor(user=manager), user=manager, roles=[Role.SCREENER])

    # Adding a role to oneself, keeping the one that administers, is allowed.
    user_roles_set(
        actor=Actor(user=administrator),
        user=administrator,
        roles=[Role.ADMINISTRATOR, Role.ANALYST],
    )
    assert User.objects.get(pk=administrator.pk).roles == frozenset({"administrator", "analyst"})


@pytest.mark.parametrize("target", ["administrator", "auditor", "ig_officer"])
def test_a_manager_cannot_change_an_account_holding_a_role_above_theirs(
    manager: User, personas: dict[str, User], target: str
) -> None:
    account = personas[target]
    actor = Actor(user=manager)

    with pytest.raises(PermissionDenied):
        user_roles_set(actor=actor, user=account, roles=[Role.SCREENER])
    with pytest.raises(PermissionDenied):
        user_update(
            actor=actor,
            user=account,
            details=details(account.agency, username=account.username, email=account.email),  # type: ignore[arg-type]
        )
    with pytest.raises(PermissionDenied):
        user_deactivate(user=account, by=actor, reason=DeactivationReason.LEFT)

    assert User.objects.get(pk=account.pk).is_active
    assert not AuditEvent.objects.filter(action="update", object_id=str(account.pk)).exists()


def test_a_manager_deactivates_a_worker(manager: User, personas: dict[str, User]) -> None:
    screener = personas["screener"]

    assert user_deactivate(user=screener, by=Actor(user=manager), reason=DeactivationReason.LEFT)

    assert not User.objects.get(pk=screener.pk).is_active


# --- The pages ---------------------------------------------------------------------------


def _add_form(agency: Agency, **changes: Any) -> dict[str, Any]:
    return {
        "first_name": "Grace",
        "last_name": "Adeyemi",
        "username": "grace.adeyemi",
        "email": "grace.adeyemi@health.example.nhs.uk",
        "agency": str(agency.pk),
        "job_title": "",
        "phone": "",
        "roles": ["screener"],
        **changes,
    }


def test_the_add_page_adds_a_user_and_opens_their_page(
    administrator: User, agencies: dict[str, Agency]
) -> None:
    client = signed_in(administrator)

    response = client.post(reverse("user-admin:user-add"), _add_form(agencies["health"]))

    user = User.objects.get(username="grace.adeyemi")
    assert response.status_code == 302
    assert response["Location"] == reverse("user-admin:user", args=[user.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Grace Adeyemi&#x27;s account has been added" in page
    assert "Health" in page and "Screener" in page


def test_the_add_page_keeps_what_was_typed_and_shows_each_error_beside_its_field(
    administrator: User, agencies: dict[str, Agency], personas: dict[str, User]
) -> None:
    response = signed_in(administrator).post(
        reverse("user-admin:user-add"),
        _add_form(agencies["health"], username=personas["screener"].username, roles=[]),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Select at least one role" in page
    assert 'href="#id_roles_0"' in page
    assert 'value="grace.adeyemi@health.example.nhs.uk"' in page
    assert not User.objects.filter(email="grace.adeyemi@health.example.nhs.uk").exists()


def test_the_add_page_shows_the_services_errors_beside_their_fields(
    administrator: User, agencies: dict[str, Agency], personas: dict[str, User]
) -> None:
    response = signed_in(administrator).post(
        reverse("user-admin:user-add"),
        _add_form(agencies["health"], username=personas["screener"].username),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_username-error"' in page
    assert "Another account already has this username" in page
    assert 'value="Grace"' in page


def test_a_manager_is_offered_only_the_roles_they_may_give(manager: User) -> None:
    page = signed_in(manager).get(reverse("user-admin:user-add")).content.decode()

    assert 'value="screener"' in page
    assert 'value="administrator"' not in page
    assert 'value="auditor"' not in page
    # Each role with what it is for.
    assert "Screens and rates new contacts" in page


def test_a_tampered_role_is_refused_beside_the_roles(
    manager: User, agencies: dict[str, Agency]
) -> None:
    response = signed_in(manager).post(
        reverse("user-admin:user-add"),
        _add_form(agencies["health"], roles=["screener", "administrator"]),
    )

    assert response.status_code == 400
    assert "Select only the roles listed" in response.content.decode()
    assert not User.objects.filter(username="grace.adeyemi").exists()


def test_the_list_filters_by_agency_role_and_status(
    administrator: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> None:
    user_deactivate(
        user=personas["analyst"], by=Actor(user=administrator), reason=DeactivationReason.LEFT
    )
    client = signed_in(administrator)
    url = reverse("user-admin:users")

    police = client.get(url, {"agency": agencies["police"].pk}).content.decode()
    screeners = client.get(url, {"role": "screener"}).content.decode()
    deactivated = client.get(url, {"status": "deactivated"}).content.decode()
    nonsense = client.get(url, {"agency": "x", "role": "king", "page": "99"})

    assert "1 user matching the filters" in police and "Police_Researcher" in police
    assert "1 user matching the filters" in screeners and "Screener Tester" in screeners
    assert "1 user matching the filters" in deactivated and "Analyst Tester" in deactivated
    assert nonsense.status_code == 200


def test_the_roles_page_says_what_each_role_opens_and_who_holds_it(manager: User) -> None:
    page = signed_in(manager).get(reverse("user-admin:roles")).content.decode()

    screener = page.split('id="screener-heading"', 1)[1].split("</section>", 1)[0]
    assert "Screening queue" in screener
    assert "Screener Tester" in screener
    analyst = page.split('id="analyst-heading"', 1)[1].split("</section>", 1)[0]
    assert "Performance" in analyst and "Screening queue" not in analyst
    assert "Who holds the MASH manager role: 1 active" in page


def test_deactivating_from_the_page_asks_for_a_reason_then_signs_them_out(
    manager: User, personas: dict[str, User]
) -> None:
    screener = personas["screener"]
    their_session = signed_in(screener)
    client = signed_in(manager)
    url = reverse("user-admin:user-deactivate", args=[screener.pk])

    asked = client.get(url).content.decode()
    missing = client.post(url, {})
    done = client.post(url, {"reason": "left"})

    assert "govuk-button--warning" in asked
    assert missing.status_code == 400
    assert "Select why you are deactivating the account" in missing.content.decode()
    assert done.status_code == 302
    assert not User.objects.get(pk=screener.pk).is_active
    assert their_session.get("/").status_code == 302

    reactivated = client.post(reverse("user-admin:user-reactivate", args=[screener.pk]))
    assert reactivated.status_code == 302
    assert User.objects.get(pk=screener.pk).is_active


def test_nobody_deactivates_themselves_from_the_page(administrator: User) -> None:
    client = signed_in(administrator)
    url = reverse("user-admin:user-deactivate", args=[administrator.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"reason": "left"})

    assert "You cannot deactivate your own account" in page
    assert "govuk-button--warning" not in page
    assert response.status_code == 409
    assert User.objects.get(pk=administrator.pk).is_active
    own = client.get(reverse("user-admin:user", args=[administrator.pk])).content.decode()
    assert "Deactivate account" not in own


def test_a_manager_sees_an_administrator_without_change_links(
    manager: User, administrator: User
) -> None:
    page = signed_in(manager).get(reverse("user-admin:user", args=[administrator.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Only an administrator can change this account" in text
    assert reverse("user-admin:user-change", args=[administrator.pk]) not in text
    assert "Deactivate account" not in text


def test_changing_roles_on_the_page_keeps_the_choice_when_refused(administrator: User) -> None:
    response = signed_in(administrator).post(
        reverse("user-admin:user-roles", args=[administrator.pk]), {"roles": ["analyst"]}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in page
    assert re.search(r'value="analyst" checked', page)


def test_a_missing_user_is_not_found(administrator: User) -> None:
    client: Client = signed_in(administrator)
    assert client.get(reverse("user-admin:user", args=[999999])).status_code == 404
    assert client.get(reverse("user-admin:user-roles", args=[999999])).status_code == 404


def test_djangos_admin_shows_roles_but_people_are_added_and_given_roles_on_the_pages(
    administrator: User, personas: dict[str, User]
) -> None:
    client = signed_in(administrator)

    change = client.get(reverse("admin:accounts_user_change", args=[personas["screener"].pk]))
    add = client.get(reverse("admin:accounts_user_add"))

    assert change.status_code == 200
    page = change.content.decode()
    assert "Administration &gt; Users" in page
    assert 'name="role_grants-0-role"' not in page
    assert add.status_code == 403
