"""Administrators set the hourly costs and stage times in Django admin: every change is
audited, and a figure already in force cannot be changed or deleted (that would rewrite
the cost of past work); a new figure from a date replaces it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.core.models import AuditEvent
from openmash.value.models import StaffCost, StageTime
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
FUTURE = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def admin_client(personas: dict[str, User]) -> Client:
    return signed_in(personas["administrator"])


def cost_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "role": "agency_researcher",
        "agency_type": "police",
        "agency": "",
        "hourly_cost": "31.50",
        "includes_on_costs": "on",
        "effective_from": FUTURE.isoformat(),
        "source": "Finance: police staff scale point 20, 2027-28",
    }
    form.update(changes)
    return form


def test_the_administrator_adds_a_new_cost_from_a_date(admin_client: Client) -> None:
    response = admin_client.post("/admin/value/staffcost/add/", cost_form())
    assert response.status_code == 302
    added = StaffCost.objects.get(source__startswith="Finance")
    assert (added.hourly_cost, added.effective_from) == (Decimal("31.50"), FUTURE)
    event = AuditEvent.objects.get(object_type="staff_cost", object_id=str(added.pk))
    assert event.action == "create"
    assert "hourly_cost" in event.detail["fields"]


def test_a_figure_in_force_cannot_be_changed_or_deleted(admin_client: Client) -> None:
    in_force = StaffCost.objects.get(role="screener", agency_type="")
    assert in_force.effective_from <= timezone.localdate()
    response = admin_client.post(
        f"/admin/value/staffcost/{in_force.pk}/change/",
        cost_form(role="screener", agency_type="", hourly_cost="99.00"),
    )
    assert response.status_code == 403
    response = admin_client.post(f"/admin/value/staffcost/{in_force.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    in_force.refresh_from_db()
    assert in_force.hourly_cost != Decimal("99.00")
    # It is still shown, read only.
    assert admin_client.get(f"/admin/value/staffcost/{in_force.pk}/change/").status_code == 200


def test_a_figure_not_yet_in_force_can_be_corrected_or_withdrawn(admin_client: Client) -> None:
    later = StageTime.objects.create(
        stage="decision", role="mash_manager", minutes=Decimal(40), effective_from=FUTURE
    )
    response = admin_client.post(
        f"/admin/value/stagetime/{later.pk}/change/",
        {
            "stage": "decision",
            "agency_type": "",
            "agency": "",
            "role": "mash_manager",
            "minutes": "45",
            "effective_from": FUTURE.isoformat(),
            "source": "Time study, November 2026",
        },
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.minutes == Decimal(45)
    response = admin_client.post(f"/admin/value/stagetime/{later.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not StageTime.objects.filter(pk=later.pk).exists()
    assert list(
        AuditEvent.objects.filter(object_type="stage_time", object_id=str(later.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["update", "delete"]


def test_bulk_delete_refuses_a_figure_in_force(admin_client: Client) -> None:
    in_force = StaffCost.objects.get(role="screener", agency_type="")
    later = StaffCost.objects.create(
        role="screener", hourly_cost=Decimal(40), effective_from=FUTURE
    )
    both = {"action": "delete_selected", "_selected_action": [later.pk, in_force.pk], "post": "yes"}
    assert admin_client.post("/admin/value/staffcost/", both).status_code == 403
    assert StaffCost.objects.filter(pk__in=[in_force.pk, later.pk]).count() == 2
    only_later = {**both, "_selected_action": [later.pk]}
    assert admin_client.post("/admin/value/staffcost/", only_later).status_code == 302
    assert not StaffCost.objects.filter(pk=later.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="staff_cost", object_id=str(later.pk), action="delete"
    ).exists()


def test_a_figure_for_one_agency_must_match_its_type(
    admin_client: Client, agencies: dict[str, Agency]
) -> None:
    response = admin_client.post(
        "/admin/value/staffcost/add/",
        cost_form(agency=agencies["health"].pk, agency_type="police"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["agency_type"] == [
        "Leave the agency type blank, or choose the agency's own type"
    ]


@pytest.mark.parametrize("persona", ["manager", "analyst", "screener"])
def test_only_administrators_get_in(personas: dict[str, User], persona: str) -> None:
    response = signed_in(personas[persona]).get("/admin/value/staffcost/")
    assert response.status_code == 302


def test_the_defaults_are_loaded_and_say_they_are_assumptions(db: None) -> None:
    costs = {(row.role, row.agency_type): row for row in StaffCost.objects.all()}
    assert len(costs) == 8
    screener = costs[("screener", "")]
    # £42,000 x 1.30 / 1,650 hours.
    assert screener.hourly_cost == Decimal("33.09")
    assert screener.includes_on_costs
    assert all(row.source.startswith("Assumption.") for row in costs.values())
    assert all(row.effective_from == date(2024, 4, 1) for row in costs.values())
    times = {(row.stage, row.agency_type): row.minutes for row in StageTime.objects.all()}
    assert times[("screening", "")] == Decimal(30)
    assert times[("agency_check", "police")] == Decimal(45)
    assert times[("agency_check", "early_help")] == Decimal(20)
    assert len(times) == 10
