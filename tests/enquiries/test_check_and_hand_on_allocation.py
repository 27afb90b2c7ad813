"""Allocating agency checks and hand-ons (issue 13, item 4): a MASH manager gives an
agency's checks to its named researchers, and whoever answers a receiving team's
hand-ons gives them to a named member of the team; one at a time or in bulk; every move
audited (who, from whom, to whom, when, why for a transfer); the worker told; two
managers at once leave the item with one worker."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.area.models import HandOnTeam
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
)
from openmash.enquiries.presenters.allocation import assignment_text
from openmash.enquiries.selectors.allocation import (
    HAND_ON_TEAM_ROLES,
    check_researchers,
    hand_on_workers,
)
from openmash.enquiries.services.allocation import (
    AllocationChanged,
    check_assign,
    checks_assign,
    hand_on_assign,
    hand_ons_assign,
)
from openmash.enquiries.services.checks import check_record_findings
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.conftest import not_known
from tests.factories import a_submission

pytestmark = pytest.mark.django_db

EARLY_HELP = DecisionInput(
    level_of_need=2,
    outcome="early_help",
    factor_codes=["16A"],
    primary_need="N4",
    rationale="Needs can be met by a family support worker.",
    receiving_team="Eastbridge early help hub",
)
ASSESSMENT = DecisionInput(
    level_of_need=3,
    outcome="assessment_s17",
    factor_codes=["16A"],
    primary_need="N1",
    rationale="A social worker should assess.",
    receiving_team="Assessment team",
)


def _rated(referrer: User, screener: User, rag: str = "amber") -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Seen.")
    return contact


def _police_check(
    referrer: User, screener: User, police: Agency, rag: str = "amber"
) -> AgencyCheck:
    contact = _rated(referrer, screener, rag)
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[police.pk])
    return AgencyCheck.objects.select_related("contact").get(contact=contact)


def _hand_on(
    referrer: User,
    screener: User,
    manager: User,
    data: DecisionInput = EARLY_HELP,
    rag: str = "amber",
) -> HandOn:
    contact = _rated(referrer, screener, rag)
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decision = decision_record(actor=Actor(user=manager), contact_id=contact.pk, data=data)
    return HandOn.objects.select_related("contact").get(decision=decision)


def _moves(object_type: str, pk: int) -> list[dict[str, Any]]:
    return [
        {**event.detail, "by": event.actor_user_id}
        for event in AuditEvent.objects.filter(object_type=object_type, object_id=str(pk)).order_by(
            "pk"
        )
        if event.detail.get("change") in ("assigned", "transferred")
    ]


@pytest.fixture
def police(agencies: dict[str, Agency]) -> Agency:
    return agencies["police"]


@pytest.fixture
def second_police_researcher(make_user: Callable[..., User]) -> User:
    return make_user("pc_second", Role.AGENCY_RESEARCHER, "police")


@pytest.fixture
def health_researcher(make_user: Callable[..., User]) -> User:
    return make_user("health_researcher", Role.AGENCY_RESEARCHER, "health")


@pytest.fixture
def second_coordinator(make_user: Callable[..., User]) -> User:
    return make_user("second_coordinator", Role.EARLY_HELP_COORDINATOR, "early-help")


@pytest.fixture
def police_researcher(personas: dict[str, User]) -> User:
    return personas["police_researcher"]


# --- Agency checks: assigning, transfers, audit, messages --------------------------------


def test_a_manager_assigns_a_check_to_a_researcher_of_its_agency_who_is_told(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    check = _police_check(school_referrer, screener, police)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)

    check.refresh_from_db()
    assert check.assigned_to == police_researcher
    assert check.assigned_by == manager
    assert check.assigned_at is not None
    assert _moves("agency_check", check.pk) == [
        {"change": "assigned", "from_user": None, "to_user": police_researcher.pk, "by": manager.pk}
    ]
    message = Message.objects.get(contact=check.contact, kind=MessageKind.ALLOCATED)
    assert message.to_user == police_researcher
    assert [email.to for email in mail.outbox] == [[police_researcher.email]]
    assert check.contact.reference in mail.outbox[0].subject
    # The email names the contact and the check, never the child.
    child = check.contact.people.order_by("position").first()
    assert child is not None
    assert child.family_name not in mail.outbox[0].body


def test_a_transfer_needs_a_reason_and_records_it(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
) -> None:
    check = _police_check(school_referrer, screener, police)
    check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)

    with pytest.raises(FieldErrors) as refused:
        check_assign(
            actor=Actor(user=manager), check_id=check.pk, worker_id=second_police_researcher.pk
        )
    assert set(refused.value.errors) == {"reason"}
    assert "Give the reason for the transfer" in refused.value.errors["reason"]
    check.refresh_from_db()
    assert check.assigned_to == police_researcher

    check_assign(
        actor=Actor(user=manager),
        check_id=check.pk,
        worker_id=second_police_researcher.pk,
        reason="On leave until Monday.",
    )

    check.refresh_from_db()
    assert check.assigned_to == second_police_researcher
    assert _moves("agency_check", check.pk)[-1] == {
        "change": "transferred",
        "from_user": police_researcher.pk,
        "to_user": second_police_researcher.pk,
        "reason": "On leave until Monday.",
        "by": manager.pk,
    }


@pytest.mark.parametrize(
    "who", ["health_researcher", "screener", "school_referrer", "inactive", "nobody", "junk"]
)
def test_only_an_active_researcher_of_the_checks_agency_may_be_chosen(
    who: str,
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    health_researcher: User,
    make_user: Callable[..., User],
) -> None:
    check = _police_check(school_referrer, screener, police)
    if who == "inactive":
        worker: object = make_user("gone", Role.AGENCY_RESEARCHER, "police")
        User.objects.filter(pk=worker.pk).update(is_active=False)  # type: ignore[attr-defined]
        worker_id: object = worker.pk  # type: ignore[attr-defined]
    elif who == "nobody":
        worker_id = ""
    elif who == "junk":
        worker_id = "1; drop table"
    else:
        worker_id = {"health_researcher": health_researcher, "screener": screener}.get(
            who, school_referrer
        ).pk

    with pytest.raises(FieldErrors) as refused:
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=worker_id)

    assert refused.value.errors == {"worker": "Select a researcher of the agency to assign to"}
    check.refresh_from_db()
    assert check.assigned_to is None
    assert not Message.objects.filter(kind=MessageKind.ALLOCATED).exists()


@pytest.mark.parametrize("who", ["screener", "police_researcher", "early_help_coordinator"])
def test_only_a_mash_manager_allocates_checks(
    who: str,
    personas: dict[str, User],
    school_referrer: User,
    screener: User,
    police: Agency,
    police_researcher: User,
) -> None:
    check = _police_check(school_referrer, screener, police)
    with pytest.raises(PermissionDenied):
        check_assign(
            actor=Actor(user=personas[who]), check_id=check.pk, worker_id=police_researcher.pk
        )
    with pytest.raises(PermissionDenied):
        checks_assign(
            actor=Actor(user=personas[who]),
            agency_id=police.pk,
            check_ids=[check.pk],
            worker_id=police_researcher.pk,
        )
    check.refresh_from_db()
    assert check.assigned_to is None


def test_a_completed_check_cannot_be_allocated(
    school_referrer: User, screener: User, manager: User, police: Agency, police_researcher: User
) -> None:
    check = _police_check(school_referrer, screener, police)
    check_record_findings(
        actor=Actor(user=police_researcher), check_id=check.pk, findings=not_known(check.contact)
    )
    with pytest.raises(AllocationChanged, match="completed"):
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)


def test_bulk_assigns_the_open_checks_and_skips_the_others_each_with_a_reason(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    agencies: dict[str, Agency],
    police_researcher: User,
    second_police_researcher: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second, theirs = (_police_check(school_referrer, screener, police) for _ in range(3))
    done = _police_check(school_referrer, screener, police)
    check_record_findings(
        actor=Actor(user=police_researcher), check_id=done.pk, findings=not_known(done.contact)
    )
    health_contact = _rated(school_referrer, screener)
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=health_contact.pk,
        agency_ids=[agencies["health"].pk],
    )
    health_check = AgencyCheck.objects.get(contact=health_contact)
    check_assign(
        actor=Actor(user=manager), check_id=theirs.pk, worker_id=second_police_researcher.pk
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        allocation = checks_assign(
            actor=Actor(user=manager),
            agency_id=police.pk,
            check_ids=[first.pk, second.pk, theirs.pk, done.pk, health_check.pk, "x"],
            worker_id=second_police_researcher.pk,
        )

    assert allocation.references == [first.contact.reference, second.contact.reference]
    reasons = [skipped.reason for skipped in allocation.skipped]
    assert any("already assigned" in reason for reason in reasons)
    assert any("completed" in reason for reason in reasons)
    # Another agency's check is not in this agency's queue.
    assert any("not found" in reason for reason in reasons)
    assert AgencyCheck.objects.filter(assigned_to=second_police_researcher).count() == 3
    assert health_check.__class__.objects.get(pk=health_check.pk).assigned_to is None
    assert len(mail.outbox) == 2


def test_bulk_with_a_transfer_and_no_reason_moves_nothing(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
) -> None:
    free, held = (_police_check(school_referrer, screener, police) for _ in range(2))
    check_assign(actor=Actor(user=manager), check_id=held.pk, worker_id=police_researcher.pk)

    with pytest.raises(FieldErrors) as refused:
        checks_assign(
            actor=Actor(user=manager),
            agency_id=police.pk,
            check_ids=[free.pk, held.pk],
            worker_id=second_police_researcher.pk,
        )

    assert held.contact.reference in refused.value.errors["reason"]
    assert police_researcher.display_name in refused.value.errors["reason"]
    free.refresh_from_db()
    assert free.assigned_to is None


def test_bulk_with_nothing_chosen_gives_both_field_errors(manager: User, police: Agency) -> None:
    with pytest.raises(FieldErrors) as refused:
        checks_assign(actor=Actor(user=manager), agency_id=police.pk, check_ids=[], worker_id="")
    assert refused.value.errors == {
        "checks": "Select the checks to assign",
        "worker": "Select a researcher of the agency to assign to",
    }


def test_a_reason_too_long_is_a_field_error(
    school_referrer: User, screener: User, manager: User, police: Agency, police_researcher: User
) -> None:
    check = _police_check(school_referrer, screener, police)
    with pytest.raises(FieldErrors) as refused:
        check_assign(
            actor=Actor(user=manager),
            check_id=check.pk,
            worker_id=police_researcher.pk,
            reason="x" * 1001,
        )
    assert "1,000 characters or fewer" in refused.value.errors["reason"]


# --- Concurrency: two managers at once ---------------------------------------------------


def test_two_managers_allocating_the_same_check_at_once_leave_it_with_one_researcher(
    school_referrer: User,
    screener: User,
    manager: User,
    second_manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
) -> None:
    """Both managers saw it unassigned; the first move wins and the second is refused,
    with nothing changed, rather than silently transferring it."""
    check = _police_check(school_referrer, screener, police)
    check_assign(
        actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk, seen=None
    )

    with pytest.raises(AllocationChanged, match="by someone else"):
        check_assign(
            actor=Actor(user=second_manager),
            check_id=check.pk,
            worker_id=second_police_researcher.pk,
            reason="Busy",
            seen=None,
        )

    check.refresh_from_db()
    assert check.assigned_to == police_researcher
    assert len(_moves("agency_check", check.pk)) == 1
    assert Message.objects.filter(kind=MessageKind.ALLOCATED).count() == 1


def test_the_conditional_update_refuses_a_move_read_before_another_was_written(
    school_referrer: User,
    screener: User,
    manager: User,
    second_manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race itself: the second manager's service reads the check as unassigned, then
    the first manager's move is written before its update. Its update, conditional on
    nobody having the check, changes nothing, and the check is skipped with the reason."""
    from openmash.enquiries.services import allocation as service

    check = _police_check(school_referrer, screener, police)
    real_move = service._move_item

    def first_manager_gets_there_in_between(*args: Any, **kwargs: Any) -> bool:
        AgencyCheck.objects.filter(pk=check.pk).update(assigned_to=police_researcher)
        return real_move(*args, **kwargs)

    monkeypatch.setattr(service, "_move_item", first_manager_gets_there_in_between)
    allocation = checks_assign(
        actor=Actor(user=second_manager),
        agency_id=police.pk,
        check_ids=[check.pk],
        worker_id=second_police_researcher.pk,
    )

    assert allocation.assigned == []
    assert "someone else" in allocation.skipped[0].reason
    check.refresh_from_db()
    assert check.assigned_to == police_researcher
    assert _moves("agency_check", check.pk) == []
    assert not Message.objects.filter(kind=MessageKind.ALLOCATED).exists()


# --- The worker chooser: eligibility and open work ---------------------------------------


def test_the_chooser_lists_the_agencys_researchers_with_their_open_and_red_checks(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
    health_researcher: User,
) -> None:
    red = _police_check(school_referrer, screener, police, rag="red")
    amber = _police_check(school_referrer, screener, police)
    done = _police_check(school_referrer, screener, police, rag="red")
    for check in (red, amber, done):
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)
    check_record_findings(
        actor=Actor(user=police_researcher), check_id=done.pk, findings=not_known(done.contact)
    )

    workers = {worker.user: worker for worker in check_researchers(agency_id=police.pk)}

    assert set(workers) == {police_researcher, second_police_researcher}
    assert (workers[police_researcher].open_count, workers[police_researcher].red_count) == (2, 1)
    assert workers[police_researcher].label.endswith("(2 open checks, 1 red)")
    assert workers[second_police_researcher].label.endswith("(0 open checks, 0 red)")


def test_hand_on_workers_are_the_people_who_answer_the_teams_hand_ons(
    personas: dict[str, User], second_coordinator: User, make_user: Callable[..., User]
) -> None:
    make_user("csc_screener", Role.SCREENER)
    early_help = {worker.user for worker in hand_on_workers(teams=[HandOnTeam.EARLY_HELP])}
    csc = {worker.user for worker in hand_on_workers(teams=[HandOnTeam.CHILDRENS_SOCIAL_CARE])}

    assert early_help == {personas["early_help_coordinator"], second_coordinator}
    assert csc == {personas["manager"]}
    # The table of who may be given a team's hand-ons is the rule of who answers them.
    for team, roles in HAND_ON_TEAM_ROLES.items():
        for role in Role:
            user = make_user(f"probe_{team}_{role.value}"[:30], role)
            answers = user.has_perm("enquiries.respond_to_hand_on", HandOn(team=team))
            assert answers == (role in roles), (team, role)


# --- Hand-ons ------------------------------------------------------------------------------


def test_the_coordinator_assigns_a_hand_on_to_a_team_member_who_is_told_and_may_transfer(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    second_coordinator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    hand_on = _hand_on(school_referrer, screener, manager)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        hand_on_assign(
            actor=Actor(user=early_help_coordinator),
            hand_on_id=hand_on.pk,
            worker_id=second_coordinator.pk,
        )

    hand_on.refresh_from_db()
    assert hand_on.assigned_to == second_coordinator
    # The free-text worker the team names on acceptance is a different thing, untouched.
    assert hand_on.allocated_worker == ""
    assert [email.to for email in mail.outbox] == [[second_coordinator.email]]
    assert Message.objects.get(kind=MessageKind.ALLOCATED).to_user == second_coordinator

    with pytest.raises(FieldErrors):
        hand_on_assign(
            actor=Actor(user=early_help_coordinator),
            hand_on_id=hand_on.pk,
            worker_id=early_help_coordinator.pk,
        )
    hand_on_assign(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        worker_id=early_help_coordinator.pk,
        reason="Second coordinator is off sick.",
    )
    assert _moves("hand_on", hand_on.pk) == [
        {
            "change": "assigned",
            "from_user": None,
            "to_user": second_coordinator.pk,
            "by": early_help_coordinator.pk,
        },
        {
            "change": "transferred",
            "from_user": second_coordinator.pk,
            "to_user": early_help_coordinator.pk,
            "reason": "Second coordinator is off sick.",
            "by": early_help_coordinator.pk,
        },
    ]


def test_a_hand_on_goes_only_to_a_member_of_its_own_team(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    police_researcher: User,
) -> None:
    early_help = _hand_on(school_referrer, screener, manager)
    csc = _hand_on(school_referrer, screener, manager, ASSESSMENT)

    with pytest.raises(FieldErrors) as refused:
        hand_on_assign(
            actor=Actor(user=early_help_coordinator),
            hand_on_id=early_help.pk,
            worker_id=police_researcher.pk,
        )
    assert refused.value.errors == {"worker": "Select a member of the receiving team to assign to"}
    # A MASH manager answers children's social care's hand-ons, not early help's.
    with pytest.raises(AllocationChanged):
        hand_on_assign(actor=Actor(user=manager), hand_on_id=early_help.pk, worker_id=manager.pk)
    allocation = hand_ons_assign(
        actor=Actor(user=manager), hand_on_ids=[csc.pk, early_help.pk], worker_id=manager.pk
    )
    assert allocation.references == [csc.contact.reference]
    assert allocation.skipped[0].reason == f"Hand-on {early_help.pk} was not found"
    # And a coordinator cannot be given the manager's team's hand-on.
    allocation = hand_ons_assign(
        actor=Actor(user=manager), hand_on_ids=[csc.pk], worker_id=early_help_coordinator.pk
    )
    assert allocation.assigned == []
    assert "is not in the children's social care team" in allocation.skipped[0].reason
    early_help.refresh_from_db()
    assert early_help.assigned_to is None


def test_an_answered_hand_on_cannot_be_allocated(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    second_coordinator: User,
) -> None:
    hand_on = _hand_on(school_referrer, screener, manager)
    hand_on_accept(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        allocated_worker="Sam Jones",
        worker_contact="01234 567890",
    )
    with pytest.raises(AllocationChanged, match="answered"):
        hand_on_assign(
            actor=Actor(user=early_help_coordinator),
            hand_on_id=hand_on.pk,
            worker_id=second_coordinator.pk,
        )
    hand_on.refresh_from_db()
    assert hand_on.state == HandOnState.ACCEPTED
    assert hand_on.assigned_to is None


def test_two_coordinators_allocating_the_same_hand_on_at_once_leave_it_with_one(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    second_coordinator: User,
) -> None:
    hand_on = _hand_on(school_referrer, screener, manager)
    hand_ons_assign(
        actor=Actor(user=early_help_coordinator),
        hand_on_ids=[hand_on.pk],
        worker_id=early_help_coordinator.pk,
        seen={hand_on.pk: None},
    )
    allocation = hand_ons_assign(
        actor=Actor(user=second_coordinator),
        hand_on_ids=[hand_on.pk],
        worker_id=second_coordinator.pk,
        reason="Mine",
        seen={hand_on.pk: None},
    )
    assert allocation.assigned == []
    assert "by someone else" in allocation.skipped[0].reason
    hand_on.refresh_from_db()
    assert hand_on.assigned_to == early_help_coordinator


# --- The pages -----------------------------------------------------------------------------


def test_the_researcher_sees_assigned_to_me_and_the_allocation_on_the_check_page(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
) -> None:
    mine, theirs, nobodys = (_police_check(school_referrer, screener, police) for _ in range(3))
    check_assign(actor=Actor(user=manager), check_id=mine.pk, worker_id=police_researcher.pk)
    check_assign(
        actor=Actor(user=manager), check_id=theirs.pk, worker_id=second_police_researcher.pk
    )
    client = signed_in(police_researcher)

    page = client.get(reverse("enquiries:check-queue") + "?show=mine").content.decode()

    assert mine.contact.reference in page
    assert theirs.contact.reference not in page
    assert nobodys.contact.reference not in page
    everything = client.get(reverse("enquiries:check-queue")).content.decode()
    assert nobodys.contact.reference in everything
    assert second_police_researcher.display_name in everything
    check_page = client.get(reverse("enquiries:check", args=[mine.pk])).content.decode()
    assert f"{police_researcher.display_name}, since" in check_page
    assert f"(by {manager.display_name})" in check_page


def test_the_allocation_page_shows_the_field_errors_and_keeps_what_was_typed(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    second_police_researcher: User,
) -> None:
    check = _police_check(school_referrer, screener, police)
    check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)
    client = signed_in(manager)
    url = reverse("enquiries:check-assign", args=[check.pk])

    response = client.post(
        url, {"worker": str(second_police_researcher.pk), "seen": str(police_researcher.pk)}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Give the reason for the transfer" in html
    assert f'<option value="{second_police_researcher.pk}" selected>' in html

    response = client.post(
        url,
        {
            "worker": str(second_police_researcher.pk),
            "seen": str(police_researcher.pk),
            "reason": "Leave",
        },
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.assigned_to == second_police_researcher

    # A stale page (it showed the first researcher) is refused, not obeyed.
    response = client.post(
        url, {"worker": str(police_researcher.pk), "seen": str(police_researcher.pk), "reason": "x"}
    )
    assert response.status_code == 409
    assert "by someone else" in response.content.decode()
    check.refresh_from_db()
    assert check.assigned_to == second_police_researcher


def test_the_hand_on_queue_filters_to_mine_and_the_page_shows_the_allocation(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    second_coordinator: User,
) -> None:
    mine, theirs = (_hand_on(school_referrer, screener, manager) for _ in range(2))
    client = signed_in(early_help_coordinator)
    response = client.post(
        reverse("enquiries:hand-on-queue-assign"),
        {"hand_ons": [str(mine.pk)], "worker": str(second_coordinator.pk)},
    )
    assert response.status_code == 302
    hand_ons_assign(
        actor=Actor(user=early_help_coordinator),
        hand_on_ids=[theirs.pk],
        worker_id=early_help_coordinator.pk,
    )

    page = (
        signed_in(second_coordinator)
        .get(reverse("enquiries:hand-on-queue") + "?assigned=me")
        .content.decode()
    )

    assert mine.contact.reference in page
    assert theirs.contact.reference not in page
    hand_on_page = client.get(reverse("enquiries:hand-on", args=[mine.pk])).content.decode()
    assert f"{second_coordinator.display_name}, since" in hand_on_page
    assert "Assign or transfer" in hand_on_page


# --- Query counts: the queues with the worker chooser ---------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_check_allocation_queue_asks_no_more_queries_for_more_checks_or_researchers(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
    make_user: Callable[..., User],
) -> None:
    client = signed_in(manager)
    url = reverse("enquiries:check-allocation") + f"?agency={police.slug}"
    check = _police_check(school_referrer, screener, police)
    check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)
    one = _queries(client, url)

    for number in range(4):
        researcher = make_user(f"pc_{number}", Role.AGENCY_RESEARCHER, "police")
        check = _police_check(school_referrer, screener, police, rag="red")
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=researcher.pk)
    five = _queries(client, url)

    assert five == one


def test_the_hand_on_queue_asks_no_more_queries_for_more_hand_ons_or_workers(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    make_user: Callable[..., User],
) -> None:
    client = signed_in(early_help_coordinator)
    url = reverse("enquiries:hand-on-queue")
    hand_on = _hand_on(school_referrer, screener, manager)
    hand_on_assign(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        worker_id=early_help_coordinator.pk,
    )
    one = _queries(client, url)

    for number in range(4):
        worker = make_user(f"eh_{number}", Role.EARLY_HELP_COORDINATOR, "early-help")
        hand_on = _hand_on(school_referrer, screener, manager, rag="red")
        hand_on_assign(
            actor=Actor(user=early_help_coordinator), hand_on_id=hand_on.pk, worker_id=worker.pk
        )
    five = _queries(client, url)

    assert five == one


def test_the_researchers_check_queue_asks_no_more_queries_for_more_assigned_checks(
    school_referrer: User,
    screener: User,
    manager: User,
    police: Agency,
    police_researcher: User,
) -> None:
    client = signed_in(police_researcher)
    url = reverse("enquiries:check-queue")
    check = _police_check(school_referrer, screener, police)
    check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)
    one = _queries(client, url)
    for _ in range(4):
        check = _police_check(school_referrer, screener, police)
        check_assign(actor=Actor(user=manager), check_id=check.pk, worker_id=police_researcher.pk)
    assert _queries(client, url) == one


@pytest.mark.parametrize(
    ("item", "text"),
    [
        (AgencyCheck(state=CheckState.REQUESTED), "Nobody yet: anyone in the queue may pick it up"),
        (
            AgencyCheck(state=CheckState.COMPLETED),
            "Nobody: it was completed without being assigned",
        ),
        (AgencyCheck(state=CheckState.WAIVED), "Nobody: it was waived without being assigned"),
        (HandOn(state=HandOnState.PENDING), "Nobody yet: anyone in the queue may pick it up"),
        (HandOn(state=HandOnState.ACCEPTED), "Nobody: it was accepted without being assigned"),
        (HandOn(state=HandOnState.RETURNED), "Nobody: it was returned without being assigned"),
    ],
)
def test_an_item_nobody_had_says_so_for_what_became_of_it(
    item: AgencyCheck | HandOn, text: str
) -> None:
    """A finished check or hand-on is not one "anyone in the queue may pick up"."""
    assert assignment_text(item).startswith(text)
