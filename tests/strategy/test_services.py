"""The strategy discussion services: raised from a decision (once) or by police or social
care; scheduled, invited, attendance, minutes, decision and actions; each refusal writes
nothing, and every change is audited."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import Decision
from openmash.strategy.models import (
    Attendance,
    DiscussionOrigin,
    DiscussionOutcome,
    DiscussionState,
    Invitation,
    StrategyAction,
    StrategyDiscussion,
)
from openmash.strategy.services import (
    ActionInput,
    DiscussionConflict,
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

pytestmark = pytest.mark.django_db


def test_it_raises_the_discussion_from_the_strategy_decision(
    strategy_decision: Decision, manager: User
) -> None:
    discussion = discussion_raise(
        actor=Actor(user=manager), contact_id=strategy_decision.contact_id
    )

    assert discussion.decision == strategy_decision
    assert discussion.origin == DiscussionOrigin.DECISION
    assert discussion.state == DiscussionState.RAISED
    assert AuditEvent.objects.filter(
        object_type="strategy_discussion",
        object_id=str(discussion.pk),
        action=AuditAction.CREATE,
        contact_id=strategy_decision.contact_id,
    ).exists()


def test_it_raises_only_one_discussion_from_a_decision(
    raised: StrategyDiscussion, manager: User
) -> None:
    with pytest.raises(DiscussionConflict):
        discussion_raise(actor=Actor(user=manager), contact_id=raised.contact_id)

    assert StrategyDiscussion.objects.count() == 1


def test_police_raise_one_on_a_contact_they_checked_with_a_reason(
    contact_with_checks: Contact, personas: dict[str, User]
) -> None:
    police = Actor(user=personas["police_researcher"])
    with pytest.raises(DiscussionInvalid) as invalid:
        discussion_raise(actor=police, contact_id=contact_with_checks.pk, reason="  ")
    assert invalid.value.errors == {"reason": "Enter why a strategy discussion is needed"}

    discussion = discussion_raise(
        actor=police, contact_id=contact_with_checks.pk, reason="Disclosure to an officer."
    )

    assert discussion.origin == DiscussionOrigin.POLICE
    assert discussion.decision is None


def test_police_cannot_raise_one_on_a_contact_they_were_not_asked_about(
    new_contact: Contact, personas: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        discussion_raise(
            actor=Actor(user=personas["police_researcher"]),
            contact_id=new_contact.pk,
            reason="Disclosure.",
        )


@pytest.mark.parametrize("persona", ["early_help_coordinator", "school_referrer", "analyst"])
def test_no_one_else_raises_one(
    persona: str, contact_with_checks: Contact, personas: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        discussion_raise(
            actor=Actor(user=personas[persona]), contact_id=contact_with_checks.pk, reason="x"
        )
    assert not StrategyDiscussion.objects.exists()


def test_social_care_raise_one_on_a_contact(contact_with_checks: Contact, screener: User) -> None:
    discussion = discussion_raise(
        actor=Actor(user=screener), contact_id=contact_with_checks.pk, reason="Bruising."
    )
    assert discussion.origin == DiscussionOrigin.SOCIAL_CARE


def test_scheduling_needs_a_date_a_time_a_place_or_link_and_a_manager_in_the_chair(
    raised: StrategyDiscussion, manager: User, screener: User
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(DiscussionInvalid) as invalid:
        discussion_schedule(
            actor=Actor(user=manager),
            discussion_id=raised.pk,
            data=ScheduleInput(
                day=yesterday, time="25:00", call_link="http://x", chair_id=screener.pk
            ),
        )

    assert invalid.value.errors == {
        "day": "The date must be today or in the future",
        "time": "Enter the time in 24-hour format, like 14:30",
        "call_link": "Enter the call link as a web address starting https://",
        "chair_id": "Select the chair: a MASH or social care manager",
    }
    raised.refresh_from_db()
    assert raised.state == DiscussionState.RAISED
    with pytest.raises(DiscussionInvalid) as nowhere:
        discussion_schedule(
            actor=Actor(user=manager),
            discussion_id=raised.pk,
            data=ScheduleInput(day=timezone.localdate(), time="23:59", chair_id=manager.pk),
        )
    assert nowhere.value.errors == {"place": "Enter where it will be held, or a call link, or both"}


def test_it_schedules_with_a_call_link_and_can_be_moved(
    raised: StrategyDiscussion, manager: User, second_manager: User
) -> None:
    day = timezone.localdate() + timedelta(days=1)
    discussion_schedule(
        actor=Actor(user=manager),
        discussion_id=raised.pk,
        data=ScheduleInput(
            day=day, time="9.30", call_link="https://meet.example/abc", chair_id=manager.pk
        ),
    )
    moved = discussion_schedule(
        actor=Actor(user=manager),
        discussion_id=raised.pk,
        data=ScheduleInput(day=day, time="14:00", place="Room 1", chair_id=second_manager.pk),
    )

    assert moved.state == DiscussionState.SCHEDULED
    assert timezone.localtime(moved.scheduled_for).hour == 14
    assert moved.chair == second_manager
    changes = AuditEvent.objects.filter(
        object_type="strategy_discussion", object_id=str(raised.pk)
    ).values_list("detail__change", flat=True)
    assert {"scheduled", "rescheduled"} <= set(changes)


def test_only_a_manager_schedules_and_invites(
    raised: StrategyDiscussion, screener: User, personas: dict[str, User], agencies: dict
) -> None:
    for user in (screener, personas["police_researcher"]):
        with pytest.raises(PermissionDenied):
            discussion_schedule(
                actor=Actor(user=user),
                discussion_id=raised.pk,
                data=ScheduleInput(day=timezone.localdate(), time="23:00", place="Room"),
            )
        with pytest.raises(PermissionDenied):
            discussion_invite(
                actor=Actor(user=user),
                discussion_id=raised.pk,
                agency_ids=[agencies["police"].pk],
            )


def test_invitations_are_made_once_each_and_a_named_person_brings_their_agency(
    scheduled: StrategyDiscussion, manager: User, agencies: dict, health_nurse: User
) -> None:
    made = discussion_invite(
        actor=Actor(user=manager),
        discussion_id=scheduled.pk,
        agency_ids=[agencies["police"].pk, agencies["riverside"].pk],
        person_ids=[health_nurse.pk],
    )

    assert [(each.agency.slug, each.person) for each in made] == [
        ("riverside", None),
        ("health", health_nurse),
    ]
    assert scheduled.invitations.count() == 5
    with pytest.raises(DiscussionInvalid) as invalid:
        discussion_invite(actor=Actor(user=manager), discussion_id=scheduled.pk, agency_ids=[0])
    assert invalid.value.errors == {"agency_ids": "Select agencies from the list"}


def _attendance(discussion: StrategyDiscussion, value: str = Attendance.ATTENDED) -> dict:
    return {each.pk: value for each in discussion.invitations.all()}


def test_attendance_needs_an_answer_for_every_invitation(
    scheduled: StrategyDiscussion, manager: User
) -> None:
    answers = _attendance(scheduled)
    missing = next(iter(answers))
    answers[missing] = Attendance.NOT_RECORDED

    with pytest.raises(DiscussionInvalid) as invalid:
        attendance_record(actor=Actor(user=manager), discussion_id=scheduled.pk, attendance=answers)

    assert invalid.value.errors == {f"attendance_{missing}": "Select whether they attended"}
    assert not Invitation.objects.exclude(attendance=Attendance.NOT_RECORDED).exists()


def test_the_chair_records_minutes_then_the_decision_then_actions(
    scheduled: StrategyDiscussion, manager: User, agencies: dict[str, Agency]
) -> None:
    chair = Actor(user=manager)
    with pytest.raises(DiscussionConflict):
        outcome_record(
            actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.NO_FURTHER_ACTION
        )
    with pytest.raises(DiscussionConflict):
        action_add(
            actor=chair,
            discussion_id=scheduled.pk,
            data=ActionInput("Visit", agencies["police"].pk, None, timezone.localdate()),
        )
    attendance_record(actor=chair, discussion_id=scheduled.pk, attendance=_attendance(scheduled))
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Police and health shared.")
    with pytest.raises(DiscussionInvalid) as other:
        outcome_record(actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.OTHER)
    assert other.value.errors == {"detail": "Describe the decision"}

    decided = outcome_record(
        actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.S47_JOINT
    )
    action = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput(
            "Joint visit with a social worker", agencies["police"].pk, None, timezone.localdate()
        ),
    )

    assert decided.state == DiscussionState.CONCLUDED
    assert decided.outcome_recorded_at is not None
    assert action.owner_agency == agencies["police"]
    with pytest.raises(DiscussionConflict):
        outcome_record(
            actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.NO_FURTHER_ACTION
        )
    with pytest.raises(DiscussionConflict):
        minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Changed.")


def test_only_the_chair_records_minutes(
    scheduled: StrategyDiscussion, second_manager: User, personas: dict[str, User]
) -> None:
    for user in (second_manager, personas["police_researcher"], personas["screener"]):
        with pytest.raises(PermissionDenied):
            minutes_record(actor=Actor(user=user), discussion_id=scheduled.pk, minutes="x")
    scheduled.refresh_from_db()
    assert scheduled.minutes == ""


def test_minutes_wait_until_the_discussion_has_been_held(
    raised: StrategyDiscussion, manager: User
) -> None:
    discussion_schedule(
        actor=Actor(user=manager),
        discussion_id=raised.pk,
        data=ScheduleInput(
            day=timezone.localdate() + timedelta(days=2),
            time="10:00",
            place="Room",
            chair_id=manager.pk,
        ),
    )
    with pytest.raises(DiscussionConflict):
        minutes_record(actor=Actor(user=manager), discussion_id=raised.pk, minutes="Early.")


def test_an_action_belongs_to_an_invited_agency_and_a_person_of_it(
    scheduled: StrategyDiscussion, manager: User, agencies: dict[str, Agency], health_nurse: User
) -> None:
    chair = Actor(user=manager)
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Held.")
    today = timezone.localdate()

    with pytest.raises(DiscussionInvalid) as uninvited:
        action_add(
            actor=chair,
            discussion_id=scheduled.pk,
            data=ActionInput("Share records", agencies["education"].pk, None, today),
        )
    with pytest.raises(DiscussionInvalid) as wrong_person:
        action_add(
            actor=chair,
            discussion_id=scheduled.pk,
            data=ActionInput("Share records", agencies["police"].pk, health_nurse.pk, today),
        )
    with pytest.raises(DiscussionInvalid) as empty:
        action_add(
            actor=chair,
            discussion_id=scheduled.pk,
            data=ActionInput("", None, None, today - timedelta(days=1)),
        )
    by_person = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Health visitor to see the baby", None, health_nurse.pk, today),
    )

    assert uninvited.value.errors == {
        "owner_agency_id": "Invite Education Safeguarding first, or select an invited agency"
    }
    assert wrong_person.value.errors == {
        "owner_person_id": "The named person must be one of Police's, or nobody"
    }
    assert empty.value.errors == {
        "description": "Enter the action",
        "owner_agency_id": "Select the agency that owns the action",
        "due_on": "The due date must be today or in the future",
    }
    assert by_person.owner_agency == agencies["health"]


def test_an_action_is_marked_done_by_its_owner_or_a_manager_once(
    scheduled: StrategyDiscussion,
    manager: User,
    agencies: dict[str, Agency],
    personas: dict[str, User],
    researchers: dict[str, User],
) -> None:
    chair = Actor(user=manager)
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Held.")
    action = action_add(
        actor=chair,
        discussion_id=scheduled.pk,
        data=ActionInput("Check PNC", agencies["police"].pk, None, timezone.localdate()),
    )
    with pytest.raises(PermissionDenied):
        action_complete(actor=Actor(user=researchers["health"]), action_id=action.pk)

    done = action_complete(actor=Actor(user=personas["police_researcher"]), action_id=action.pk)

    assert done.done_by == personas["police_researcher"]
    with pytest.raises(DiscussionConflict):
        action_complete(actor=chair, action_id=action.pk)
    assert StrategyAction.objects.get().done_at is not None


def test_every_change_is_audited_without_the_minutes_text(
    scheduled: StrategyDiscussion, manager: User
) -> None:
    chair = Actor(user=manager)
    attendance_record(actor=chair, discussion_id=scheduled.pk, attendance=_attendance(scheduled))
    minutes_record(actor=chair, discussion_id=scheduled.pk, minutes="Secret words of the meeting.")
    outcome_record(actor=chair, discussion_id=scheduled.pk, outcome=DiscussionOutcome.S47_SINGLE)

    events = AuditEvent.objects.filter(
        contact_id=scheduled.contact_id, detail__discussion=scheduled.pk
    )
    changes = [event.detail["change"] for event in events.order_by("id")]
    assert changes == [
        "raised",
        "scheduled",
        "invited",
        "invited",
        "invited",
        "attendance",
        "attendance",
        "attendance",
        "minutes recorded",
        "decided",
    ]
    assert not any("Secret" in str(event.detail) for event in events)
