"""The strategy discussion pages: each invited agency sees its invitations and the
discussion (its attendance, the minutes once recorded, its own actions); an agency not
invited gets 404; the MASH decision's rationale never shows; bad input gets field-level
errors; the lists cost the same queries for 1 and 5 discussions."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import Decision
from openmash.strategy.models import DiscussionOutcome, DiscussionState, StrategyDiscussion
from openmash.strategy.services import (
    ActionInput,
    action_add,
    discussion_invite,
    discussion_raise,
    minutes_record,
    outcome_record,
)
from tests.conftest import signed_in
from tests.enquiries.test_hand_on_views import decided_contact
from tests.strategy.conftest import RATIONALE_WORDS, STRATEGY_INPUT

pytestmark = pytest.mark.django_db


def page(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def discussion_url(discussion: StrategyDiscussion, name: str = "discussion") -> str:
    return reverse(f"strategy:{name}", args=[discussion.pk])


def test_the_manager_is_offered_the_discussion_the_mash_decided(
    strategy_decision: Decision, manager: User
) -> None:
    client = signed_in(manager)
    listing = page(client.get(reverse("strategy:discussions")))
    reference = strategy_decision.contact.reference
    assert "Set up the strategy discussion" in listing
    assert reverse("strategy:raise", args=[reference]) in listing

    response = client.post(reverse("strategy:raise", args=[reference]), {"reason": ""})

    discussion = StrategyDiscussion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == discussion_url(discussion)
    assert discussion.decision == strategy_decision
    assert "Set up the strategy discussion" not in page(client.get(reverse("strategy:discussions")))


def test_raising_without_a_reason_shows_the_error_beside_the_field(
    contact_with_checks: object, personas: dict[str, User]
) -> None:
    client = signed_in(personas["police_researcher"])
    reference = contact_with_checks.reference  # type: ignore[attr-defined]

    response = client.post(reverse("strategy:raise", args=[reference]), {"reason": " "})

    assert response.status_code == 400
    html = page(response)
    assert 'href="#id_reason"' in html
    assert 'id="id_reason-error"' in html
    assert "Enter why a strategy discussion is needed" in html
    assert not StrategyDiscussion.objects.exists()


def test_scheduling_errors_are_shown_beside_their_fields(
    raised: StrategyDiscussion, manager: User
) -> None:
    client = signed_in(manager)
    response = client.post(
        discussion_url(raised, "schedule"),
        {"day_day": "31", "day_month": "2", "day_year": "2027", "time": "noon", "chair_id": ""},
    )

    assert response.status_code == 400
    html = page(response)
    assert "The date must be a real date, like 27 3 2019" in html
    assert 'href="#id_day_0"' in html
    raised.refresh_from_db()
    assert raised.state == DiscussionState.RAISED

    response = client.post(
        discussion_url(raised, "schedule"),
        {
            "day_day": "1",
            "day_month": "1",
            "day_year": "2099",
            "time": "noon",
            "chair_id": manager.pk,
        },
    )
    html = page(response)
    assert response.status_code == 400
    assert 'href="#id_time"' in html
    assert "Enter where it will be held, or a call link, or both" in html


def test_each_invited_agency_sees_its_invitation_and_education_does_not(
    scheduled: StrategyDiscussion, researchers: dict[str, User]
) -> None:
    for slug in ("police", "health"):
        client = signed_in(researchers[slug])
        listing = page(client.get(reverse("strategy:discussions")))
        assert "Invitations to strategy discussions" in listing
        assert discussion_url(scheduled) in listing
        assert client.get(discussion_url(scheduled)).status_code == 200

    education = signed_in(researchers["education"])
    assert discussion_url(scheduled) not in page(education.get(reverse("strategy:discussions")))
    assert education.get(discussion_url(scheduled)).status_code == 404


def test_early_help_and_the_referrer_see_it_only_once_invited(
    scheduled: StrategyDiscussion,
    early_help_coordinator: User,
    school_referrer: User,
    manager: User,
    agencies: dict[str, Agency],
) -> None:
    for user in (early_help_coordinator, school_referrer):
        assert signed_in(user).get(discussion_url(scheduled)).status_code == 404

    discussion_invite(
        actor=Actor(user=manager),
        discussion_id=scheduled.pk,
        agency_ids=[agencies["riverside"].pk],
    )

    assert signed_in(school_referrer).get(discussion_url(scheduled)).status_code == 200
    assert signed_in(early_help_coordinator).get(discussion_url(scheduled)).status_code == 404


def test_an_invitee_reads_the_minutes_and_only_its_own_actions_never_the_rationale(
    scheduled: StrategyDiscussion,
    manager: User,
    researchers: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    chair = Actor(user=manager)
    police = signed_in(researchers["police"])
    assert "Not recorded yet" in page(police.get(discussion_url(scheduled)))
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Agreed a joint visit.")
    outcome_record(actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.S47_JOINT)
    today = timezone.localdate()
    action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Police to run PNC checks", agencies["police"].pk, None, today),
    )
    action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Health visitor to visit", agencies["health"].pk, None, today),
    )

    html = page(police.get(discussion_url(scheduled)))

    assert "Agreed a joint visit." in html
    assert "Section 47 enquiry: joint with police" in html
    assert "Police to run PNC checks" in html
    assert "Health visitor to visit" not in html
    assert RATIONALE_WORDS not in html
    mash = page(signed_in(manager).get(discussion_url(scheduled)))
    assert "Health visitor to visit" in mash and "Police to run PNC checks" in mash


def test_the_police_mark_their_action_done_and_health_cannot(
    scheduled: StrategyDiscussion,
    manager: User,
    researchers: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    chair = Actor(user=manager)
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Held.")
    action = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Check PNC", agencies["police"].pk, None, timezone.localdate()),
    )
    url = reverse("strategy:action-done", args=[scheduled.pk, action.pk])

    assert signed_in(researchers["health"]).post(url).status_code == 404
    response = signed_in(researchers["police"]).post(url)

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_by == researchers["police"]


def test_a_chair_page_is_forbidden_to_another_manager(
    scheduled: StrategyDiscussion, second_manager: User
) -> None:
    assert signed_in(second_manager).get(discussion_url(scheduled, "minutes")).status_code == 403


def test_minutes_before_the_discussion_is_held_is_a_conflict(
    raised: StrategyDiscussion, manager: User
) -> None:
    client = signed_in(manager)
    client.post(
        discussion_url(raised, "schedule"),
        {
            "day_day": "1",
            "day_month": "1",
            "day_year": "2099",
            "time": "10:00",
            "place": "Room",
            "chair_id": manager.pk,
        },
    )
    response = client.post(discussion_url(raised, "minutes"), {"minutes": "Too soon."})

    assert response.status_code == 409
    assert "has not been held yet" in page(response)


def test_the_pages_are_recorded_in_the_audit_log(
    scheduled: StrategyDiscussion, researchers: dict[str, User]
) -> None:
    client = signed_in(researchers["police"])
    client.get(reverse("strategy:discussions"))
    client.get(discussion_url(scheduled))

    actions = set(
        AuditEvent.objects.filter(
            actor_user=researchers["police"], object_type="strategy_discussion"
        ).values_list("action", flat=True)
    )
    assert actions == {AuditAction.LIST, AuditAction.READ}


def _another_discussion(
    school_referrer: User, screener: User, manager: User, agencies: dict[str, Agency]
) -> StrategyDiscussion:
    hand_on = decided_contact(school_referrer, screener, manager, STRATEGY_INPUT)
    discussion = discussion_raise(actor=Actor(user=manager), contact_id=hand_on.contact_id)
    discussion_invite(
        actor=Actor(user=manager),
        discussion_id=discussion.pk,
        agency_ids=[agencies["police"].pk, agencies["health"].pk],
    )
    return discussion


@pytest.mark.parametrize("who", ["manager", "police_researcher"])
def test_the_list_costs_the_same_queries_for_1_and_5_discussions(
    who: str,
    school_referrer: User,
    screener: User,
    manager: User,
    personas: dict[str, User],
    agencies: dict[str, Agency],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = signed_in(personas[who])
    url = reverse("strategy:discussions")
    _another_discussion(school_referrer, screener, manager, agencies)
    decided_contact(school_referrer, screener, manager, STRATEGY_INPUT)  # awaiting one
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        _another_discussion(school_referrer, screener, manager, agencies)
        decided_contact(school_referrer, screener, manager, STRATEGY_INPUT)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)

    assert len(set(re.findall(r"/strategy-discussions/(\d+)/", page(response)))) == 5


def test_the_discussion_page_costs_the_same_queries_for_1_and_5_actions(
    scheduled: StrategyDiscussion,
    manager: User,
    agencies: dict[str, Agency],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    chair = Actor(user=manager)
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Held.")
    due = timezone.localdate() + timedelta(days=3)

    def add() -> None:
        action_add(
            actor=chair,
            discussion_id=scheduled.pk,
            data=ActionInput("Visit", agencies["police"].pk, None, due),
        )

    add()
    client = signed_in(manager)
    client.get(discussion_url(scheduled))
    with CaptureQueriesContext(connection) as few:
        client.get(discussion_url(scheduled))
    for _ in range(4):
        add()
    with django_assert_max_num_queries(len(few)):
        response = client.get(discussion_url(scheduled))
    assert page(response).count("Mark done") == 5


def test_the_police_check_page_offers_to_raise_one_and_health_s_does_not(
    contact_with_checks: object, researchers: dict[str, User]
) -> None:
    reference = contact_with_checks.reference  # type: ignore[attr-defined]
    raise_url = reverse("strategy:raise", args=[reference])

    for slug, offered in (("police", True), ("health", False)):
        check = contact_with_checks.agency_checks.get(agency__slug=slug)  # type: ignore[attr-defined]
        html = page(signed_in(researchers[slug]).get(reverse("enquiries:check", args=[check.pk])))
        assert (raise_url in html) is offered
