"""A strategy discussion's events in the outbox (docs/adr/0014-event-outbox.md): each
service that changes what an invited agency sees publishes, in its own transaction, to
children's social care and to each invited agency, each payload holding what that
recipient's page shows it: minutes and the reason only to invitees, and of the actions
only the recipient's own. Never the MASH decision's rationale."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.events.models import Delivery, Event, WebhookEndpoint
from openmash.strategy.models import Attendance, DiscussionOutcome, StrategyDiscussion
from openmash.strategy.services import (
    ActionInput,
    DiscussionInvalid,
    ScheduleInput,
    action_add,
    action_complete,
    attendance_record,
    discussion_invite,
    discussion_raise,
    discussion_schedule,
    minutes_record,
    outcome_record,
)
from tests.strategy.conftest import RATIONALE_WORDS, earlier_today

pytestmark = pytest.mark.django_db

CSC_TEAM = "team:childrens_social_care"
MINUTES = "Police shared the partner's record; health shared the missed appointments."
DISCUSSION_FIELDS = {
    "discussion_id",
    "contact_id",
    "contact_reference",
    "state",
    "invited",
    "raised",
    "children",
    "schedule",
    "invitees",
    "minutes",
    "decision",
    "actions",
}


def who(event: Event) -> str:
    if event.recipient_agency is not None:
        return event.recipient_agency.slug
    return f"team:{event.recipient_team}"


def published(kind: str, discussion: StrategyDiscussion) -> dict[str, dict[str, Any]]:
    """The events of `kind` about the discussion, by recipient."""
    events = Event.objects.filter(kind=kind, contact_id=discussion.contact_id).select_related(
        "recipient_agency"
    )
    by_recipient = {who(event): event.payload for event in events}
    assert len(by_recipient) == events.count(), "one event per recipient"
    return by_recipient


def held(discussion: StrategyDiscussion, manager: User) -> None:
    """Attendance and the minutes recorded by the chair."""
    chair = Actor(user=manager)
    attendance_record(
        actor=chair,
        discussion_id=discussion.pk,
        attendance={each.pk: Attendance.ATTENDED for each in discussion.invitations.all()},
    )
    minutes_record(actor=chair, discussion_id=discussion.pk, minutes=MINUTES)


def test_scheduling_publishes_to_social_care_and_inviting_to_each_invited_agency(
    scheduled: StrategyDiscussion,
) -> None:
    # Scheduled before anyone was invited: children's social care only.
    assert list(published("strategy_discussion.scheduled", scheduled)) == [CSC_TEAM]
    invited = published("strategy_discussion.invited", scheduled)
    # Social care's own agency, invited, reads the team's event (no second copy);
    # education, not invited, gets nothing.
    assert sorted(invited) == ["health", "police", CSC_TEAM]
    assert not Event.objects.filter(recipient_agency__slug__in=["csc", "education"]).exists()

    police = invited["police"]
    assert set(police) == DISCUSSION_FIELDS
    assert police["invited"] is True
    assert police["schedule"]["place"] == "MASH room 2"
    assert police["schedule"]["chair"] == scheduled.chair.display_name
    assert police["schedule"]["scheduled_for"] == scheduled.scheduled_for.isoformat()
    assert [each["agency"]["name"] for each in police["invitees"]] == [
        "Children's Social Care",
        "Health",
        "Police",
    ]
    assert {each["attendance"]["code"] for each in police["invitees"]} == {"not_recorded"}
    assert police["minutes"] is None and police["decision"] is None
    assert police["actions"] == []
    # The children by name and date of birth, as the page shows them; nothing more.
    assert police["children"]
    assert set(police["children"][0]) == {"given_names", "family_name", "date_of_birth"}


def test_minutes_decision_and_actions_reach_each_agency_as_its_page_shows_them(
    scheduled: StrategyDiscussion,
    manager: User,
    agencies: dict[str, Agency],
    health_nurse: User,
) -> None:
    chair = Actor(user=manager)
    held(scheduled, manager)
    today = timezone.localdate()
    police_action = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Joint visit with a social worker", agencies["police"].pk, None, today),
    )
    health_action = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Health visitor to see the baby", None, health_nurse.pk, today),
    )
    outcome_record(actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.S47_JOINT)

    attendance = published("strategy_discussion.attendance_recorded", scheduled)
    assert sorted(attendance) == ["health", "police", CSC_TEAM]
    assert {each["attendance"]["code"] for each in attendance["health"]["invitees"]} == {"attended"}
    minutes = published("strategy_discussion.minutes_recorded", scheduled)
    assert sorted(minutes) == ["health", "police", CSC_TEAM]
    for payload in minutes.values():
        assert payload["minutes"]["text"] == MINUTES
        assert payload["minutes"]["recorded_by"] == manager.display_name

    # Each action goes to its owner only, with the discussion as the owner sees it.
    added = published("strategy_action.added", scheduled)
    assert sorted(added) == ["health", "police"]
    assert added["police"]["action"]["action_id"] == police_action.pk
    assert added["police"]["action"]["owner"] == {
        "agency": {"id": agencies["police"].pk, "name": "Police"},
        "person": None,
    }
    assert added["health"]["action"]["owner"]["person"] == health_nurse.display_name
    assert added["health"]["action"]["due_on"] == today.isoformat()
    assert [each["action_id"] for each in added["health"]["discussion"]["actions"]] == [
        health_action.pk
    ]

    decided = published("strategy_discussion.decided", scheduled)
    assert sorted(decided) == ["health", "police", CSC_TEAM]
    for payload in decided.values():
        assert payload["decision"]["code"] == "s47_joint"
        assert payload["decision"]["label"] == "Section 47 enquiry: joint with police"
        assert payload["state"]["code"] == "concluded"
    # Each agency lists only its own actions; social care owns none here.
    assert [each["action_id"] for each in decided["police"]["actions"]] == [police_action.pk]
    assert [each["action_id"] for each in decided["health"]["actions"]] == [health_action.pk]
    assert decided[CSC_TEAM]["actions"] == []
    assert "Health visitor" not in json.dumps(decided["police"])
    assert "Joint visit" not in json.dumps(decided["health"])

    # Nothing the discussion published carries the MASH decision's rationale.
    for event in Event.objects.filter(kind__startswith="strategy_"):
        assert RATIONALE_WORDS not in json.dumps(event.payload)
    # Education, never invited, got nothing.
    assert not Event.objects.filter(recipient_agency=agencies["education"]).exists()


def test_marking_an_action_done_tells_its_owner_only(
    scheduled: StrategyDiscussion,
    manager: User,
    agencies: dict[str, Agency],
    personas: dict[str, User],
) -> None:
    held(scheduled, manager)
    action = action_add(
        actor=Actor(user=manager),
        discussion_id=scheduled.pk,
        data=ActionInput("Check PNC", agencies["police"].pk, None, timezone.localdate()),
    )
    action_complete(actor=Actor(user=personas["police_researcher"]), action_id=action.pk)

    done = published("strategy_action.done", scheduled)
    assert list(done) == ["police"]
    assert done["police"]["action"]["done_by"] == personas["police_researcher"].display_name
    assert done["police"]["action"]["done_at"] is not None


def test_an_action_social_care_owns_goes_to_its_team(
    scheduled: StrategyDiscussion, manager: User, agencies: dict[str, Agency]
) -> None:
    held(scheduled, manager)
    action_add(
        actor=Actor(user=manager),
        discussion_id=scheduled.pk,
        data=ActionInput("Section 47 enquiry", agencies["csc"].pk, None, timezone.localdate()),
    )

    added = published("strategy_action.added", scheduled)
    assert list(added) == [CSC_TEAM]
    assert [each["description"] for each in added[CSC_TEAM]["discussion"]["actions"]] == [
        "Section 47 enquiry"
    ]


def test_social_care_not_invited_sees_no_minutes_and_no_reason(
    contact_with_checks: Contact,
    personas: dict[str, User],
    manager: User,
    agencies: dict[str, Agency],
) -> None:
    discussion = discussion_raise(
        actor=Actor(user=personas["police_researcher"]),
        contact_id=contact_with_checks.pk,
        reason="Disclosure to an officer.",
    )
    chair = Actor(user=manager)
    day, time = earlier_today()
    discussion_schedule(
        actor=chair,
        discussion_id=discussion.pk,
        data=ScheduleInput(
            day=day, time=time, call_link="https://call.example/x", chair_id=manager.pk
        ),
    )
    discussion_invite(actor=chair, discussion_id=discussion.pk, agency_ids=[agencies["police"].pk])
    held(discussion, manager)

    minutes = published("strategy_discussion.minutes_recorded", discussion)
    assert sorted(minutes) == ["police", CSC_TEAM]
    assert minutes["police"]["minutes"]["text"] == MINUTES
    assert minutes["police"]["raised"]["reason"] == "Disclosure to an officer."
    outside = minutes[CSC_TEAM]
    assert outside["invited"] is False
    assert outside["minutes"] is None and outside["raised"]["reason"] is None
    assert MINUTES not in json.dumps(outside)
    assert "Disclosure" not in json.dumps(outside)
    # What it may see: when, where and who is invited.
    assert outside["schedule"]["call_link"] == "https://call.example/x"
    assert [each["agency"]["name"] for each in outside["invitees"]] == ["Police"]


def test_a_named_person_invites_their_agency_and_rescheduling_is_published(
    scheduled: StrategyDiscussion, manager: User, agencies: dict[str, Agency]
) -> None:
    teacher = User.objects.create(username="designated_lead", agency=agencies["education"])
    chair = Actor(user=manager)
    discussion_invite(actor=chair, discussion_id=scheduled.pk, person_ids=[teacher.pk])
    discussion_schedule(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ScheduleInput(
            day=timezone.localdate() + timedelta(days=1),
            time="09:30",
            place="MASH room 1",
            chair_id=manager.pk,
        ),
    )

    moved = published("strategy_discussion.rescheduled", scheduled)
    assert sorted(moved) == ["education", "health", "police", CSC_TEAM]
    assert moved["education"]["schedule"]["place"] == "MASH room 1"
    assert [each["person"] for each in moved["education"]["invitees"]] == [
        None,
        teacher.display_name,
        None,
        None,
    ]


def test_a_refused_or_rolled_back_change_publishes_nothing(
    scheduled: StrategyDiscussion,
    manager: User,
    personas: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    before = Event.objects.count()
    with pytest.raises(PermissionDenied):
        minutes_record(
            actor=Actor(user=personas["police_researcher"]), discussion_id=scheduled.pk, minutes="x"
        )
    with pytest.raises(DiscussionInvalid):
        minutes_record(actor=Actor(user=manager), discussion_id=scheduled.pk, minutes="  ")
    # Inviting agencies already invited changes nothing, and says nothing.
    discussion_invite(
        actor=Actor(user=manager), discussion_id=scheduled.pk, agency_ids=[agencies["police"].pk]
    )
    assert Event.objects.count() == before

    # A change whose transaction is rolled back after it published leaves no event.
    with pytest.raises(RuntimeError), transaction.atomic():
        minutes_record(actor=Actor(user=manager), discussion_id=scheduled.pk, minutes=MINUTES)
        assert Event.objects.count() == before + 3
        raise RuntimeError("the request failed after the service")
    assert Event.objects.count() == before
    scheduled.refresh_from_db()
    assert scheduled.minutes == ""


def test_the_feed_shows_the_discussion_to_invited_agencies_tokens_only(
    scheduled: StrategyDiscussion, manager: User, agencies: dict[str, Agency]
) -> None:
    held(scheduled, manager)

    def feed(slug: str) -> list[dict[str, Any]]:
        _, secret = api_token_issue(agency=agencies[slug], name=f"{slug} system", issued_by="t")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        response = client.get("/api/v1/events")
        assert response.status_code == 200, response.content
        return [e for e in response.json()["events"] if e["kind"].startswith("strategy_")]

    police = feed("police")
    assert [event["kind"] for event in police] == [
        "strategy_discussion.invited",
        "strategy_discussion.attendance_recorded",
        "strategy_discussion.minutes_recorded",
    ]
    assert police[-1]["data"]["minutes"]["text"] == MINUTES
    # Social care's system reads its team's events: one of each, with scheduling too.
    assert [event["kind"] for event in feed("csc")] == [
        "strategy_discussion.scheduled",
        "strategy_discussion.invited",
        "strategy_discussion.attendance_recorded",
        "strategy_discussion.minutes_recorded",
    ]
    for slug in ("education", "early-help", "riverside"):
        assert feed(slug) == []


def test_each_event_is_queued_for_its_recipients_endpoints_only(
    raised: StrategyDiscussion, manager: User, agencies: dict[str, Agency]
) -> None:
    def endpoint(name: str, **recipient: object) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            name=name,
            url="https://case-system.example/events",
            secret_variable="OPENMASH_WEBHOOK_SECRET_X",
            **recipient,
        )

    police = endpoint("Police", recipient_agency=agencies["police"])
    education = endpoint("Education", recipient_agency=agencies["education"])
    social_care = endpoint("Social care", recipient_team="childrens_social_care")
    chair = Actor(user=manager)
    discussion_invite(actor=chair, discussion_id=raised.pk, agency_ids=[agencies["police"].pk])
    day, time = earlier_today()
    discussion_schedule(
        actor=chair,
        discussion_id=raised.pk,
        data=ScheduleInput(day=day, time=time, place="MASH room 2", chair_id=manager.pk),
    )

    def kinds(at: WebhookEndpoint) -> list[str]:
        return list(
            Delivery.objects.filter(endpoint=at)
            .order_by("event__sequence")
            .values_list("event__kind", flat=True)
        )

    assert kinds(police) == ["strategy_discussion.invited", "strategy_discussion.scheduled"]
    assert kinds(education) == []
    assert kinds(social_care)[-2:] == [
        "strategy_discussion.invited",
        "strategy_discussion.scheduled",
    ]
