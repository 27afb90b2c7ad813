"""Two people acting on the same contact at the same moment, each from their own thread
and database connection: the database serves them one after the other, so exactly one
wins and the other is told why. PostgreSQL only (SQLite serialises every write anyway).

Run with: DATABASE_URL=postgres://... pytest tests/enquiries/test_concurrency.py
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.enquiries.models import AgencyCheck, Decision, HandOn, Message, MessageKind
from openmash.enquiries.services.allocation import AllocationChanged, check_assign
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.guards import ContactAlreadyTaken
from openmash.enquiries.services.screening import contact_take, enquiry_open
from openmash.enquiries.workflow import IllegalTransition
from tests.conftest import signed_in
from tests.enquiries.test_check_views import findings_post

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
    # Each thread needs committed rows to see; tests/conftest.py's area_defaults puts the
    # area's configuration back after the flush. (Not serialized_rollback: reloading the
    # serialized content types clashes with those a previous flush recreated.)
    pytest.mark.django_db(transaction=True),
]

STEP_DOWN = DecisionInput(
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
    rationale="A social worker should assess Amy's needs.",
    receiving_team="Assessment team",
)


def at_the_same_moment(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (so its own database connection), all released
    together by a barrier; returns each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


@pytest.fixture
def awaiting_contact(rated_contact: Contact, screener: User) -> Contact:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.AWAITING_DECISION
    return rated_contact


def test_two_managers_deciding_at_once_make_one_decision(
    awaiting_contact: Contact, manager: User, second_manager: User
) -> None:
    results = at_the_same_moment(
        lambda: decision_record(
            actor=Actor(user=manager), contact_id=awaiting_contact.pk, data=STEP_DOWN
        ),
        lambda: decision_record(
            actor=Actor(user=second_manager), contact_id=awaiting_contact.pk, data=ASSESSMENT
        ),
    )

    decisions = [result for result in results if isinstance(result, Decision)]
    refusals = [result for result in results if isinstance(result, IllegalTransition)]
    assert len(decisions) == 1, results
    assert len(refusals) == 1, results
    assert f"{awaiting_contact.reference} has already been decided" in str(refusals[0])
    assert "record an amendment with a reason" in str(refusals[0])
    assert Decision.objects.filter(contact=awaiting_contact).count() == 1
    assert HandOn.objects.filter(contact=awaiting_contact).count() == 1
    awaiting_contact.refresh_from_db()
    assert awaiting_contact.state == ContactState.HANDED_ON


def test_two_managers_pressing_decide_on_the_page_at_once(
    awaiting_contact: Contact, manager: User, second_manager: User
) -> None:
    url = reverse("enquiries:decision", kwargs={"reference": awaiting_contact.reference})
    form = {
        "level_of_need": "2",
        "outcome": "early_help",
        "factor_codes": ["16A"],
        "primary_need": "N4",
        "rationale": "Needs can be met by a family support worker.",
        "receiving_team": "Eastbridge early help hub",
    }
    first, second = signed_in(manager), signed_in(second_manager)

    responses = at_the_same_moment(lambda: first.post(url, form), lambda: second.post(url, form))

    assert sorted(response.status_code for response in responses) == [302, 409], responses
    refused = next(response for response in responses if response.status_code == 409)
    winner = Decision.objects.select_related("decided_by").get(contact=awaiting_contact)
    assert (
        f"has already been decided by {winner.decided_by.display_name}" in refused.content.decode()
    )
    assert "Your decision was not saved" in refused.content.decode()


def test_two_screeners_taking_a_contact_at_once_give_one_assignment(
    new_contact: Contact, screener: User, second_screener: User
) -> None:
    results = at_the_same_moment(
        lambda: contact_take(actor=Actor(user=screener), contact_id=new_contact.pk),
        lambda: contact_take(actor=Actor(user=second_screener), contact_id=new_contact.pk),
    )

    taken = [result for result in results if isinstance(result, Contact)]
    refusals = [result for result in results if isinstance(result, ContactAlreadyTaken)]
    assert len(taken) == 1, results
    assert len(refusals) == 1, results
    winner = taken[0].assigned_to
    assert winner in (screener, second_screener)
    assert str(refusals[0]) == (
        f"{new_contact.reference} has already been taken by {winner.display_name}."
    )
    new_contact.refresh_from_db()
    assert new_contact.assigned_to == winner
    assert new_contact.state == ContactState.SCREENING


def test_two_managers_allocating_a_check_at_once_leave_it_with_one_researcher(
    contact_with_checks: Contact,
    manager: User,
    second_manager: User,
    researchers: dict[str, User],
    make_user: Callable[..., User],
) -> None:
    """Both saw the police check unassigned and chose a different researcher: the
    conditional update lets exactly one move through (issue 13, item 4)."""
    check = AgencyCheck.objects.get(contact=contact_with_checks, agency__slug="police")
    other = make_user("pc_other", Role.AGENCY_RESEARCHER, "police")

    def allocate(by: User, to: User) -> Callable[[], Any]:
        return lambda: check_assign(
            actor=Actor(user=by), check_id=check.pk, worker_id=to.pk, reason="Busy", seen=None
        )

    results = at_the_same_moment(
        allocate(manager, researchers["police"]), allocate(second_manager, other)
    )

    moved = [result for result in results if isinstance(result, AgencyCheck)]
    refused = [result for result in results if isinstance(result, AllocationChanged)]
    assert len(moved) == 1, results
    assert len(refused) == 1, results
    check.refresh_from_db()
    assert check.assigned_to == moved[0].assigned_to
    assert (
        AuditEvent.objects.filter(object_type="agency_check", object_id=str(check.pk))
        .filter(detail__change__in=["assigned", "transferred"])
        .count()
        == 1
    )
    assert Message.objects.filter(kind=MessageKind.ALLOCATED).count() == 1


def test_two_researchers_answering_a_check_on_the_page_at_once_record_one_answer(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    make_user: Callable[..., User],
) -> None:
    """Outside any test transaction, as a real request is: the findings and the check's
    completion are one transaction with the contact locked, so one answer is recorded
    and the other researcher is told (a service that lost its transaction failed both
    with a server error on PostgreSQL, which the tests inside a transaction never see)."""
    check = AgencyCheck.objects.get(contact=contact_with_checks, agency__slug="police")
    other = make_user("pc_second", Role.AGENCY_RESEARCHER, "police")
    url = reverse("enquiries:check", kwargs={"check_id": check.pk})
    form = findings_post(contact_with_checks)
    first, second = signed_in(researchers["police"]), signed_in(other)

    responses = at_the_same_moment(lambda: first.post(url, form), lambda: second.post(url, form))

    assert sorted(response.status_code for response in responses) == [302, 409], responses
    check.refresh_from_db()
    assert check.state == "completed"
    assert check.findings.count() == contact_with_checks.people.count()
