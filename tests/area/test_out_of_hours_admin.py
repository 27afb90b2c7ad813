"""The administrator sets up the emergency duty team and the on-call rota in Django
admin: one team per area, shown with when it covers; rota periods that end after they
start, never overlapping, for someone who can be alerted; every change audited."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.area.models import EmergencyDutyTeam, OnCallPeriod
from openmash.core.models import AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(personas: dict[str, User]) -> Client:
    return signed_in(personas["administrator"])


def period_form(person: User, starts: str, ends: str) -> dict[str, Any]:
    """Admin's split date and time fields: '2026-12-05 18:00'."""
    (start_day, start_time), (end_day, end_time) = starts.split(), ends.split()
    return {
        "person": person.pk,
        "starts_at_0": start_day,
        "starts_at_1": start_time,
        "ends_at_0": end_day,
        "ends_at_1": end_time,
        "_save": "Save",
    }


def errors(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {field: list(messages) for field, messages in form.errors.items()}


def test_the_administrator_sets_up_the_emergency_duty_team(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/area/emergencydutyteam/add/",
        {
            "name": "Eastbridge emergency duty team",
            "phone": "0300 123 4567",
            "email": "edt@eastbridge.gov.uk",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    team = EmergencyDutyTeam.objects.get()
    assert (team.name, team.phone, team.email) == (
        "Eastbridge emergency duty team",
        "0300 123 4567",
        "edt@eastbridge.gov.uk",
    )
    assert AuditEvent.objects.filter(
        object_type="emergency_duty_team", object_id=str(team.pk), action="create"
    ).exists()
    # The change page shows when it covers, from the working hours.
    page = admin_client.get(f"/admin/area/emergencydutyteam/{team.pk}/change/").content.decode()
    assert "Whenever the MASH is closed: before 09:00 and from 17:00 Monday to Friday" in page
    # One team per area.
    assert admin_client.get("/admin/area/emergencydutyteam/add/").status_code == 403


def test_it_refuses_an_edt_without_a_usable_phone_number_or_email(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/area/emergencydutyteam/add/",
        {"name": "EDT", "phone": "ring the council", "email": "not an address", "_save": "Save"},
    )
    assert response.status_code == 200
    found = errors(response)
    assert found["phone"] == ["Enter a phone number, like 0300 123 4567 or +44 300 123 4567"]
    assert "email" in found
    assert not EmergencyDutyTeam.objects.exists()


def test_the_administrator_puts_people_on_call_one_after_another(
    admin_client: Client, personas: dict[str, User]
) -> None:
    manager, screener = personas["manager"], personas["screener"]
    first = admin_client.post(
        "/admin/area/oncallperiod/add/",
        period_form(manager, "2026-12-04 17:00:00", "2026-12-05 09:00:00"),
    )
    assert first.status_code == 302
    # Back to back is not an overlap.
    second = admin_client.post(
        "/admin/area/oncallperiod/add/",
        period_form(screener, "2026-12-05 09:00:00", "2026-12-06 09:00:00"),
    )
    assert second.status_code == 302
    periods = list(OnCallPeriod.objects.order_by("starts_at"))
    assert [period.person for period in periods] == [manager, screener]
    assert periods[0].starts_at == datetime(2026, 12, 4, 17, 0, tzinfo=LONDON)
    assert AuditEvent.objects.filter(object_type="on_call_period", action="create").count() == 2
    listing = admin_client.get("/admin/area/oncallperiod/").content.decode()
    assert ">manager<" in listing and ">screener<" in listing
    assert "Not given" in listing  # neither has a phone number on their account


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        ("2026-12-05 08:00:00", "2026-12-05 10:00:00"),  # starts inside
        ("2026-12-04 12:00:00", "2026-12-04 18:00:00"),  # ends inside
        ("2026-12-04 12:00:00", "2026-12-06 12:00:00"),  # around it
        ("2026-12-04 20:00:00", "2026-12-04 21:00:00"),  # within it
    ],
)
def test_it_refuses_a_period_that_overlaps_another(
    admin_client: Client, personas: dict[str, User], starts: str, ends: str
) -> None:
    manager, screener = personas["manager"], personas["screener"]
    OnCallPeriod.objects.create(
        person=manager,
        starts_at=datetime(2026, 12, 4, 17, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 12, 5, 9, 0, tzinfo=LONDON),
    )
    response = admin_client.post(
        "/admin/area/oncallperiod/add/", period_form(screener, starts, ends)
    )
    assert response.status_code == 200
    assert errors(response)["starts_at"] == [
        "This period overlaps Manager Tester's, from 17:00 on 4 December 2026 to 09:00 on "
        "5 December 2026: change one of them so only one person is on call at a time"
    ]
    assert OnCallPeriod.objects.count() == 1


def test_a_period_can_be_moved_without_overlapping_itself(
    admin_client: Client, personas: dict[str, User]
) -> None:
    period = OnCallPeriod.objects.create(
        person=personas["manager"],
        starts_at=datetime(2026, 12, 4, 17, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 12, 5, 9, 0, tzinfo=LONDON),
    )
    response = admin_client.post(
        f"/admin/area/oncallperiod/{period.pk}/change/",
        period_form(personas["manager"], "2026-12-04 18:00:00", "2026-12-05 09:00:00"),
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.starts_at == datetime(2026, 12, 4, 18, 0, tzinfo=LONDON)


def test_it_refuses_a_period_that_ends_before_it_starts(
    admin_client: Client, personas: dict[str, User]
) -> None:
    response = admin_client.post(
        "/admin/area/oncallperiod/add/",
        period_form(personas["manager"], "2026-12-05 09:00:00", "2026-12-05 09:00:00"),
    )
    assert response.status_code == 200
    assert errors(response)["ends_at"] == ["The period must end after it starts"]


def test_it_refuses_someone_who_could_not_be_alerted(
    admin_client: Client, personas: dict[str, User]
) -> None:
    manager = personas["manager"]
    User.objects.filter(pk=manager.pk).update(email="")
    response = admin_client.post(
        "/admin/area/oncallperiod/add/",
        period_form(manager, "2026-12-05 09:00:00", "2026-12-05 17:00:00"),
    )
    assert response.status_code == 200
    assert errors(response)["person"][0].startswith("This person has no email address")
    assert not OnCallPeriod.objects.exists()


@pytest.mark.parametrize("persona", ["manager", "screener", "no_role"])
def test_only_the_administrator_may_change_the_rota(
    personas: dict[str, User], persona: str
) -> None:
    client = signed_in(personas[persona])
    response = client.post(
        "/admin/area/oncallperiod/add/",
        period_form(personas["manager"], "2026-12-05 09:00:00", "2026-12-05 17:00:00"),
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not OnCallPeriod.objects.exists()


def test_a_period_is_named_by_the_areas_clock_in_summer_time(
    personas: dict[str, User],
) -> None:
    # 16:00 UTC on 1 July is 17:00 BST, whatever zone the request happens to be in.
    period = OnCallPeriod(
        person=personas["manager"],
        starts_at=datetime(2026, 7, 1, 16, 0, tzinfo=UTC),
        ends_at=datetime(2026, 7, 2, 8, 0, tzinfo=UTC),
    )
    with timezone.override(UTC):
        assert str(period) == "On call from 01 July 2026 17:00"
    winter = OnCallPeriod(
        person=personas["manager"],
        starts_at=datetime(2026, 12, 4, 17, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
    )
    assert str(winter) == "On call from 04 December 2026 17:00"
