"""The receiving teams' hand-on queues: early help and children's social care accept a
case or return it to the MASH, and see the decision but never the agencies' findings."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ContactState
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import Decision, HandOn, HandOnState
from openmash.enquiries.services.allocation import hand_on_assign
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.test_decision_views import (
    POLICE_SUMMARY,
    RESTRICTED,
    STEP_DOWN,
    decision_url,
    html,
    make_ready,
)
from tests.factories import a_submission

STEP_DOWN_INPUT = DecisionInput(
    level_of_need=2,
    outcome="early_help",
    factor_codes=["16A"],
    primary_need="N4",
    rationale="Needs can be met by a family support worker.",
    receiving_team="Eastbridge early help hub",
)
ASSESSMENT_INPUT = DecisionInput(
    level_of_need=3,
    outcome="assessment_s17",
    factor_codes=["16A"],
    primary_need="N1",
    rationale="A social worker should assess Amy's needs.",
    receiving_team="Assessment team",
)


def decided_contact(
    referrer: User,
    screener: User,
    manager: User,
    data: DecisionInput,
    *,
    agencies: dict[str, Agency] | None = None,
    researchers: dict[str, User] | None = None,
) -> HandOn:
    """A contact decided with `data`; with researchers, after the full set of checks."""
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Amber.")
    if agencies and researchers:
        enquiry_open(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            agency_ids=[agencies[slug].pk for slug in ("police", "health", "education")],
        )
        make_ready(contact, researchers, screener)
    else:
        enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decision = decision_record(actor=Actor(user=manager), contact_id=contact.pk, data=data)
    return HandOn.objects.get(decision=decision)


@pytest.fixture
def early_help_hand_on(
    school_referrer: User,
    screener: User,
    manager: User,
    partner_agencies: dict[str, Agency],
    researchers: dict[str, User],
) -> HandOn:
    return decided_contact(
        school_referrer,
        screener,
        manager,
        STEP_DOWN_INPUT,
        agencies=partner_agencies,
        researchers=researchers,
    )


@pytest.fixture
def social_care_hand_on(school_referrer: User, screener: User, manager: User) -> HandOn:
    return decided_contact(school_referrer, screener, manager, ASSESSMENT_INPUT)


def hand_on_url(hand_on: HandOn, action: str = "") -> str:
    name = f"enquiries:hand-on-{action}" if action else "enquiries:hand-on"
    return reverse(name, kwargs={"hand_on_id": hand_on.pk})


def test_each_team_sees_only_its_own_hand_ons(
    early_help_hand_on: HandOn,
    social_care_hand_on: HandOn,
    early_help_coordinator: User,
    manager: User,
) -> None:
    early_help = html(signed_in(early_help_coordinator).get(reverse("enquiries:hand-on-queue")))
    assert hand_on_url(early_help_hand_on) in early_help
    assert hand_on_url(social_care_hand_on) not in early_help
    # The rationale stays in the MASH (issue 12): the queue shows the MASH summary.
    assert "Needs can be met by a family support worker." not in early_help
    assert "Step down to early help" in early_help

    social_care = html(signed_in(manager).get(reverse("enquiries:hand-on-queue")))
    assert hand_on_url(social_care_hand_on) in social_care
    assert hand_on_url(early_help_hand_on) not in social_care


def test_pending_hand_ons_come_before_answered_ones(
    early_help_hand_on: HandOn,
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
) -> None:
    later = decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=later.pk)
    page = html(signed_in(early_help_coordinator).get(reverse("enquiries:hand-on-queue")))
    assert page.index(hand_on_url(early_help_hand_on)) < page.index("Recently answered")
    assert page.index("Recently answered") < page.index(hand_on_url(later))


def test_the_queue_names_who_decided_who_has_and_who_answered_each_case(
    early_help_hand_on: HandOn,
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
) -> None:
    hand_on_assign(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=early_help_hand_on.pk,
        worker_id=early_help_coordinator.pk,
    )
    answered = decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=answered.pk)

    page = html(signed_in(early_help_coordinator).get(reverse("enquiries:hand-on-queue")))

    waiting, recent = page.split("Recently answered")
    assert f"{manager.display_name}, " in waiting
    assert re.search(
        rf'data-testid="assigned-to">{re.escape(early_help_coordinator.display_name)}<', waiting
    )
    assert f"{early_help_coordinator.display_name} at " in recent


def test_the_early_help_coordinator_never_sees_the_agencies_findings(
    early_help_hand_on: HandOn, early_help_coordinator: User
) -> None:
    client = signed_in(early_help_coordinator)
    page = html(client.get(hand_on_url(early_help_hand_on)))
    # The rationale stays in the MASH unless the manager shares it (issue 12).
    assert "Needs can be met by a family support worker." not in page
    assert "Amy Smith" in page
    assert "Amy arrives hungry" in page  # the concern
    assert "16A Neglect" in page
    assert POLICE_SUMMARY not in page
    assert RESTRICTED not in page
    assert "Not to be disclosed" not in page
    assert "Bruising" not in page and "Amber." not in page  # no RAG rationale
    assert decision_url(early_help_hand_on.contact) not in page
    assert client.get(decision_url(early_help_hand_on.contact)).status_code == 403


def test_a_hand_on_for_another_team_is_not_found(
    early_help_hand_on: HandOn,
    social_care_hand_on: HandOn,
    early_help_coordinator: User,
    manager: User,
) -> None:
    early_help = signed_in(early_help_coordinator)
    assert early_help.get(hand_on_url(social_care_hand_on)).status_code == 404
    assert early_help.post(hand_on_url(social_care_hand_on, "accept")).status_code == 404
    social_care = signed_in(manager)
    assert social_care.get(hand_on_url(early_help_hand_on)).status_code == 404
    assert (
        social_care.post(hand_on_url(early_help_hand_on, "return"), {"return-reason": "No."})
    ).status_code == 404
    assert early_help.get("/mash/hand-ons/999999/").status_code == 404
    early_help_hand_on.refresh_from_db()
    assert early_help_hand_on.state == HandOnState.PENDING


@pytest.mark.parametrize("persona", ["screener", "police_researcher", "school_referrer"])
def test_no_one_else_sees_a_hand_on_queue(persona: str, personas: dict[str, User]) -> None:
    assert signed_in(personas[persona]).get(reverse("enquiries:hand-on-queue")).status_code == 403


def test_the_early_help_coordinator_accepts_a_case(
    early_help_hand_on: HandOn, early_help_coordinator: User
) -> None:
    client = signed_in(early_help_coordinator)
    response = client.post(
        hand_on_url(early_help_hand_on, "accept"), {"accept-allocated_worker": "Sam Patel"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("enquiries:hand-on-queue")
    early_help_hand_on.refresh_from_db()
    assert early_help_hand_on.state == HandOnState.ACCEPTED
    assert early_help_hand_on.allocated_worker == "Sam Patel"
    assert early_help_hand_on.responded_by == early_help_coordinator
    assert f"You accepted {early_help_hand_on.contact.reference}." in html(
        client.get(reverse("enquiries:hand-on-queue"))
    )

    again = client.post(hand_on_url(early_help_hand_on, "accept"), {})
    assert again.status_code == 409
    assert "already been accepted" in html(again)


def test_a_return_needs_a_reason(early_help_hand_on: HandOn, early_help_coordinator: User) -> None:
    response = signed_in(early_help_coordinator).post(
        hand_on_url(early_help_hand_on, "return"), {"return-reason": "  "}
    )
    assert response.status_code == 400
    page = html(response)
    assert page.count("Enter why you are returning the case") == 2
    assert 'href="#id_return-reason"' in page
    early_help_hand_on.refresh_from_db()
    assert early_help_hand_on.state == HandOnState.PENDING


def test_a_returned_case_goes_back_to_the_manager_who_amends_the_decision(
    early_help_hand_on: HandOn, early_help_coordinator: User, manager: User
) -> None:
    contact = early_help_hand_on.contact
    response = signed_in(early_help_coordinator).post(
        hand_on_url(early_help_hand_on, "return"),
        {"return-reason": "Already open to a social worker in Westbridge."},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.state == ContactState.AWAITING_DECISION

    client = signed_in(manager)
    queue = html(client.get(reverse("enquiries:decision-queue")))
    assert contact.reference in queue
    assert "Returned by early help: amend the decision" in queue
    assert "Why: Already open to a social worker in Westbridge." in queue
    page = html(client.get(decision_url(contact)))
    assert "Returned to the MASH by early help" in page
    assert "Already open to a social worker in Westbridge." in page
    assert 'id="amend-form"' in page

    original = Decision.objects.get(contact=contact)
    response = client.post(
        reverse("enquiries:decision-amend", kwargs={"reference": contact.reference}),
        {
            **STEP_DOWN,
            "decision_id": original.pk,
            "level_of_need": "3",
            "outcome": "assessment_s17",
            "receiving_team": "Assessment team",
            "amendment_reason": "Early help returned it: the needs are complex.",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.state == ContactState.HANDED_ON
    new_hand_on = HandOn.objects.get(contact=contact, state=HandOnState.PENDING)
    assert new_hand_on.team == "childrens_social_care"
    assert hand_on_url(new_hand_on) in html(client.get(reverse("enquiries:hand-on-queue")))


def test_the_hand_on_pages_are_recorded_in_the_audit_log(
    early_help_hand_on: HandOn, early_help_coordinator: User
) -> None:
    client = signed_in(early_help_coordinator)
    client.get(reverse("enquiries:hand-on-queue"))
    client.get(hand_on_url(early_help_hand_on))
    events = AuditEvent.objects.filter(
        actor_user=early_help_coordinator, contact_id=early_help_hand_on.contact_id
    )
    assert {event.action for event in events} >= {AuditAction.LIST, AuditAction.READ}


def test_the_queue_costs_the_same_queries_for_1_and_5_hand_ons(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = signed_in(early_help_coordinator)
    url = reverse("enquiries:hand-on-queue")
    accepted = decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=accepted.pk)
    decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(re.findall(r"/mash/hand-ons/\d+/", html(response))) == 6


def test_the_waiting_cases_come_a_page_at_a_time_oldest_first(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("openmash.enquiries.selectors.decisions.HAND_ONS_PER_PAGE", 2)
    monkeypatch.setattr("openmash.enquiries.views.hand_ons.HAND_ONS_PER_PAGE", 2)
    oldest_first = [
        decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT) for _ in range(5)
    ]
    client = signed_in(early_help_coordinator)

    def listed(page: str) -> list[int]:
        waiting = page.split("Recently answered")[0]
        shown = [int(pk) for pk in re.findall(r"/mash/hand-ons/(\d+)/", waiting)]
        return list(dict.fromkeys(shown))

    def link(page: str, rel: str) -> str | None:
        found = re.search(rf'href="(\?[^"]*)" rel="{rel}"', page)
        return found.group(1).replace("&amp;", "&") if found else None

    url = reverse("enquiries:hand-on-queue")
    first = html(client.get(url))
    assert "5 cases waiting, 2 a page, the longest waiting first." in first
    assert listed(first) == [hand_on.pk for hand_on in oldest_first[:2]]
    assert link(first, "prev") is None

    second = html(client.get(url + str(link(first, "next"))))
    assert listed(second) == [hand_on.pk for hand_on in oldest_first[2:4]]
    third = html(client.get(url + str(link(second, "next"))))
    assert listed(third) == [oldest_first[4].pk]
    assert link(third, "next") is None

    back = html(client.get(url + str(link(third, "prev"))))
    assert listed(back) == [hand_on.pk for hand_on in oldest_first[2:4]]


def test_a_mistyped_page_link_shows_the_first_page(
    early_help_hand_on: HandOn, early_help_coordinator: User
) -> None:
    response = signed_in(early_help_coordinator).get(
        reverse("enquiries:hand-on-queue"), {"after": "not-a-cursor"}
    )
    assert response.status_code == 200
    assert hand_on_url(early_help_hand_on) in html(response)
