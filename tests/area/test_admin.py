"""Administrators configure the area's MASH in Django admin; the forms refuse settings
that would break the deadlines, and every change is audited."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from openmash.accounts.models import User
from openmash.area.models import LevelOfNeed, Outcome, RagLevel, WorkingHours
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import a_submission

pytestmark = pytest.mark.django_db


def rag_form(level: RagLevel, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": level.label,
        "colour": level.colour,
        "order": level.order,
        "decision_hours": level.decision_hours,
        "decision_counting": level.decision_counting,
        "check_hours": level.check_hours,
        "check_counting": level.check_counting,
        "default_check_agency_types": list(level.default_check_agency_types),
        "_save": "Save",
    }
    if level.default_for_unrated:
        data["default_for_unrated"] = "on"
    if level.active:
        data["active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def hours_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "opens": "09:00",
        "closes": "17:00",
        "monday": "on",
        "tuesday": "on",
        "wednesday": "on",
        "thursday": "on",
        "friday": "on",
        "reminder_hours_before": "1",
        "urgent_unassigned_minutes": "10",
        "hand_on_acceptance_hours": "8",
        "hand_on_acceptance_counting": "working",
        "nation": "england-and-wales",
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_url(model: str, pk: int) -> str:
    return f"/admin/area/{model}/{pk}/change/"


@pytest.fixture
def admin_client(personas: dict[str, User]) -> Client:
    return signed_in(personas["administrator"])


def test_the_administrator_changes_the_amber_timescale_and_new_contacts_use_it(
    admin_client: Client, school_referrer: User
) -> None:
    amber = RagLevel.objects.get(code="amber")
    response = admin_client.get(change_url("raglevel", amber.pk))
    assert response.status_code == 200
    assert b"Agencies asked to check by default" in response.content

    response = admin_client.post(
        change_url("raglevel", amber.pk), rag_form(amber, decision_hours="8")
    )
    assert response.status_code == 302, response.content
    amber.refresh_from_db()
    assert amber.decision_hours == Decimal(8)
    event = AuditEvent.objects.get(object_type="rag_level", object_id=str(amber.pk))
    assert event.detail == {"fields": ["decision_hours"]}

    received = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    contact, _ = contact_create(
        actor=Actor(user=school_referrer), submission=a_submission(), now=received
    )
    assert contact.deadline_at == received + timedelta(hours=8)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"decision_hours": "0"}, "decision_hours", "greater than 0"),
        ({"check_hours": "-2"}, "check_hours", "greater than 0"),
        ({"decision_hours": "soon"}, "decision_hours", "Enter a number"),
        ({"colour": "sparkly"}, "colour", "Select a valid choice"),
        ({"default_check_agency_types": ["police", "fire"]}, "default_check_agency_types", "fire"),
        ({"order": "1"}, "order", "Another active RAG level has this order"),
        ({"active": None}, "default_for_unrated", "Only an active level"),
    ],
)
def test_it_refuses_a_rag_level_that_would_break_deadlines(
    admin_client: Client, changes: dict[str, Any], field: str | None, message: str | None
) -> None:
    amber = RagLevel.objects.get(code="amber")
    before = RagLevel.objects.values().get(pk=amber.pk)
    response = admin_client.post(change_url("raglevel", amber.pk), rag_form(amber, **changes))
    if field is None:
        # Deactivating one of three is allowed.
        assert response.status_code == 302
        return
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert RagLevel.objects.values().get(pk=amber.pk) == before


def test_it_keeps_one_default_for_unrated_contacts(admin_client: Client) -> None:
    green = RagLevel.objects.get(code="green")
    response = admin_client.post(
        change_url("raglevel", green.pk), rag_form(green, default_for_unrated="on")
    )
    assert response.status_code == 200
    assert "already the default" in str(response.context["adminform"].form.errors)


def test_the_administrator_retires_a_rag_level(admin_client: Client) -> None:
    green = RagLevel.objects.get(code="green")
    response = admin_client.post(change_url("raglevel", green.pk), rag_form(green, active=None))
    assert response.status_code == 302
    green.refresh_from_db()
    assert not green.active


def test_it_keeps_at_least_one_rag_level_active(admin_client: Client) -> None:
    RagLevel.objects.exclude(code="red").update(active=False, default_for_unrated=False)
    red = RagLevel.objects.get(code="red")
    response = admin_client.post(change_url("raglevel", red.pk), rag_form(red, active=None))
    assert response.status_code == 200
    assert "must stay active" in str(response.context["adminform"].form.errors)


def test_the_model_refuses_unknown_agency_types() -> None:
    from django.core.exceptions import ValidationError

    amber = RagLevel.objects.get(code="amber")
    amber.default_check_agency_types = ["police", "fire"]
    with pytest.raises(ValidationError, match="Unknown agency types: fire"):
        amber.full_clean()


def test_the_rag_code_cannot_be_changed_once_created(admin_client: Client) -> None:
    amber = RagLevel.objects.get(code="amber")
    admin_client.post(change_url("raglevel", amber.pk), rag_form(amber, code="yellow"))
    amber.refresh_from_db()
    assert amber.code == "amber"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closes": "09:00"}, "close later in the day"),
        ({"opens": "18:00"}, "close later in the day"),
        (
            {day: None for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            "at least one day",
        ),
        ({"reminder_hours_before": "-1"}, "0 or more"),
        ({"urgent_unassigned_minutes": "0"}, "1 or more"),
        ({"hand_on_acceptance_hours": "0"}, "greater than 0"),
    ],
)
def test_it_refuses_working_hours_with_no_working_time(
    admin_client: Client, changes: dict[str, Any], message: str
) -> None:
    hours = WorkingHours.objects.get()
    response = admin_client.post(change_url("workinghours", hours.pk), hours_form(**changes))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors)
    hours.refresh_from_db()
    assert (hours.opens, hours.closes, hours.monday) == (time(9), time(17), True)


def test_the_administrator_changes_working_hours(admin_client: Client) -> None:
    hours = WorkingHours.objects.get()
    response = admin_client.post(
        change_url("workinghours", hours.pk),
        hours_form(opens="08:30", saturday="on", reminder_hours_before="2"),
    )
    assert response.status_code == 302
    hours.refresh_from_db()
    assert hours.opens == time(8, 30)
    assert 5 in hours.weekdays
    assert hours.reminder_hours_before == Decimal(2)
    # One set of hours: none to add, and they cannot be deleted.
    assert admin_client.get("/admin/area/workinghours/add/").status_code == 403
    assert admin_client.get(f"/admin/area/workinghours/{hours.pk}/delete/").status_code == 403


def test_the_administrator_adds_and_deletes_a_closure_day(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/area/closureday/add/",
        {"day": "2026-06-08", "name": "Jubilee bank holiday", "_save": "Save"},
    )
    assert response.status_code == 302
    duplicate = admin_client.post(
        "/admin/area/closureday/add/",
        {"day": "2026-06-08", "name": "Again", "_save": "Save"},
    )
    assert duplicate.status_code == 200
    from openmash.area.models import ClosureDay

    holiday = ClosureDay.objects.get(day="2026-06-08")
    response = admin_client.post(
        "/admin/area/closureday/",
        {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ClosureDay.objects.filter(pk=holiday.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="closure_day", object_id=str(holiday.pk), action="delete"
    ).exists()


def test_the_administrator_relabels_a_level_of_need(admin_client: Client) -> None:
    level = LevelOfNeed.objects.get(number=2)
    url = change_url("levelofneed", level.pk)
    form = {"number": "2", "label": "Early help (Tier 2)", "description": "", "_save": "Save"}
    assert admin_client.post(url, form).status_code == 302
    level.refresh_from_db()
    assert level.label == "Early help (Tier 2)"
    refused = admin_client.post(url, {**form, "number": "0"})
    assert refused.status_code == 200
    clash = admin_client.post(url, {**form, "number": "3"})
    assert clash.status_code == 200


def outcome_form(outcome: Outcome, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "label": outcome.label,
        "order": outcome.order,
        "kind": outcome.kind,
        "hand_on_to": outcome.hand_on_to,
        "next_steps": outcome.next_steps,
        "_save": "Save",
    }
    if outcome.closes_at_screening:
        data["closes_at_screening"] = "on"
    if outcome.active:
        data["active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_administrator_edits_an_outcome_s_next_steps(admin_client: Client) -> None:
    early_help = Outcome.objects.get(code="early_help")
    url = change_url("outcome", early_help.pk)
    response = admin_client.post(
        url, outcome_form(early_help, next_steps="A family worker will call within a week.")
    )
    assert response.status_code == 302
    early_help.refresh_from_db()
    assert early_help.next_steps == "A family worker will call within a week."


@pytest.mark.parametrize(
    ("code", "changes", "message"),
    [
        ("early_help", {"closes_at_screening": "on"}, "hands the case on to nobody"),
        ("nfa", {"hand_on_to": "allocated_worker"}, "Another active outcome"),
        ("nfa", {"hand_on_to": "the_moon"}, "Select a valid choice"),
    ],
)
def test_it_refuses_an_outcome_the_workflow_cannot_follow(
    admin_client: Client, code: str, changes: dict[str, Any], message: str
) -> None:
    outcome = Outcome.objects.get(code=code)
    response = admin_client.post(
        change_url("outcome", outcome.pk), outcome_form(outcome, **changes)
    )
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors)


@pytest.mark.parametrize("persona", ["screener", "manager", "analyst", "auditor", "no_role"])
def test_only_the_administrator_may_configure_the_area(
    personas: dict[str, User], persona: str
) -> None:
    amber = RagLevel.objects.get(code="amber")
    client = signed_in(personas[persona])
    response = client.post(change_url("raglevel", amber.pk), rag_form(amber, decision_hours="1"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    amber.refresh_from_db()
    assert amber.decision_hours == Decimal(24)


def test_the_default_outcomes_say_what_kind_they_are(db: None) -> None:
    kinds = dict(Outcome.objects.values_list("code", "kind"))
    assert kinds == {
        "nfa": "nfa",
        "information_advice": "information_advice",
        "early_help": "early_help",
        "assessment_s17": "assessment",
        "strategy_s47": "strategy_discussion",
        "police_action": "other",
        "already_open": "other",
        "transfer_la": "other",
    }


def test_the_administrator_sets_the_urgent_alert_minutes_and_the_hand_on_timescale(
    admin_client: Client,
) -> None:
    hours = WorkingHours.objects.get()
    assert (hours.urgent_unassigned_minutes, hours.hand_on_acceptance_hours) == (10, Decimal(8))
    response = admin_client.post(
        change_url("workinghours", hours.pk),
        hours_form(
            urgent_unassigned_minutes="5",
            hand_on_acceptance_hours="16",
            hand_on_acceptance_counting="clock",
        ),
    )
    assert response.status_code == 302
    hours.refresh_from_db()
    assert hours.urgent_unassigned_minutes == 5
    assert hours.hand_on_acceptance_hours == Decimal(16)
    assert hours.hand_on_acceptance_counting == "clock"
