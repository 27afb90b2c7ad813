"""The whole enquiry through the services, as the five users would take it."""

from typing import Any

import pytest
from django.core import mail

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries import workflow
from openmash.enquiries.models import (
    AgencyCheck,
    CheckState,
    Decision,
    HandOn,
    HandOnState,
    Message,
)
from openmash.enquiries.services.checks import check_record_findings, check_waive
from openmash.enquiries.services.decisions import (
    DecisionInput,
    closure_agree,
    decision_amend,
    decision_record,
)
from openmash.enquiries.services.guards import ChecksOutstanding, ContactAlreadyTaken
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_rate,
    contact_take,
    enquiry_open,
)
from openmash.enquiries.workflow import TRANSITIONS, IllegalTransition
from tests.enquiries.conftest import check_for, not_known

STEP_DOWN = DecisionInput(
    level_of_need=2,
    outcome="early_help",
    factor_codes=["16A"],
    primary_need="N4",
    rationale="Needs met by a family support worker.",
    receiving_team="Eastbridge early help hub",
)


def test_it_takes_a_contact_from_received_to_handed_on(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    early_help_coordinator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = contact_with_checks
    assert contact.state == ContactState.CHECKS_IN_PROGRESS
    for slug in ("police", "health"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact, slug).pk,
            findings=not_known(contact),
        )
    check_waive(
        actor=Actor(user=screener),
        check_id=check_for(contact, "education").pk,
        reason="School is the referrer and has shared what it knows.",
    )
    contact.refresh_from_db()
    assert contact.state == ContactState.AWAITING_DECISION

    with django_capture_on_commit_callbacks(execute=True):
        decision = decision_record(actor=Actor(user=manager), contact_id=contact.pk, data=STEP_DOWN)

    contact.refresh_from_db()
    assert contact.state == ContactState.HANDED_ON
    hand_on = HandOn.objects.get(decision=decision)
    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=hand_on.pk)
    hand_on.refresh_from_db()
    assert hand_on.state == HandOnState.ACCEPTED
    feedback = Message.objects.get(contact=contact, kind="outcome_feedback")
    assert feedback.to_email == contact.referrer_email
    to_referrer = [email for email in mail.outbox if email.to == [contact.referrer_email]]
    assert [email.subject for email in to_referrer] == [feedback.subject]
    assert "Step down to early help" in to_referrer[0].body
    # The early help team was told of the hand-on.
    assert [email.to for email in mail.outbox if "handed on to early help" in email.subject] == [
        [early_help_coordinator.email]
    ]


def test_it_refuses_a_decision_while_checks_are_outstanding(
    contact_with_checks: Contact, manager: User
) -> None:
    with pytest.raises(ChecksOutstanding):
        decision_record(
            actor=Actor(user=manager), contact_id=contact_with_checks.pk, data=STEP_DOWN
        )
    assert not Decision.objects.exists()


def test_it_refuses_to_decide_twice(rated_contact: Contact, screener: User, manager: User) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    decision_record(actor=Actor(user=manager), contact_id=rated_contact.pk, data=STEP_DOWN)
    with pytest.raises(IllegalTransition, match="already been decided"):
        decision_record(actor=Actor(user=manager), contact_id=rated_contact.pk, data=STEP_DOWN)
    assert Decision.objects.count() == 1


def test_it_gives_one_assignment_to_two_screeners(
    new_contact: Contact, screener: User, second_screener: User
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)
    with pytest.raises(ContactAlreadyTaken):
        contact_take(actor=Actor(user=second_screener), contact_id=new_contact.pk)
    new_contact.refresh_from_db()
    assert new_contact.assigned_to == screener


def test_a_regrade_moves_the_deadline_and_keeps_the_history(
    rated_contact: Contact, screener: User
) -> None:
    amber_deadline = rated_contact.deadline_at
    contact_rate(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        rag="red",
        rationale="Police report a new assault last night.",
    )
    rated_contact.refresh_from_db()
    assert rated_contact.rag_level.code == "red"
    assert rated_contact.deadline_at < amber_deadline
    assert [rating.level.code for rating in rated_contact.rag_ratings.all()] == ["red", "amber"]


def test_a_researcher_cannot_answer_another_agencys_check(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    with pytest.raises(AgencyCheck.DoesNotExist):
        check_record_findings(
            actor=Actor(user=researchers["police"]),
            check_id=check_for(contact_with_checks, "health").pk,
            findings=not_known(contact_with_checks),
        )
    assert check_for(contact_with_checks, "health").state == CheckState.REQUESTED


def test_a_closure_needs_a_manager_to_agree(
    rated_contact: Contact, screener: User, manager: User, partner_agencies: dict[str, Agency]
) -> None:
    proposal = closure_propose(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        outcome="nfa",
        rationale="Concern resolved by the school the same day.",
    )
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.AWAITING_DECISION
    decision = closure_agree(
        actor=Actor(user=manager), proposal_id=proposal.pk, level_of_need=1, primary_need="N9"
    )
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.CLOSED
    assert decision.outcome.code == "nfa"
    assert decision.decided_by == manager


def test_an_amendment_to_another_team_withdraws_the_old_hand_on(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    decision = decision_record(
        actor=Actor(user=manager), contact_id=rated_contact.pk, data=STEP_DOWN
    )
    amended = decision_amend(
        actor=Actor(user=manager),
        decision_id=decision.pk,
        data=DecisionInput(
            level_of_need=3,
            outcome="assessment_s17",
            factor_codes=["16A"],
            primary_need="N1",
            rationale="New police information: needs a social work assessment.",
            receiving_team="Assessment team north",
        ),
        reason="Police shared a further incident after the decision.",
    )
    states = dict(HandOn.objects.filter(contact=rated_contact).values_list("team", "state"))
    assert states == {"early_help": HandOnState.WITHDRAWN, "childrens_social_care": "pending"}
    assert HandOn.objects.get(state="pending").decision == amended
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.HANDED_ON


@pytest.mark.parametrize("state", list(ContactState))
def test_every_move_not_in_the_table_is_refused_and_changes_nothing(state: str) -> None:
    for to in ContactState:
        contact = Contact(reference="MASH-2026-000001", state=state)
        if to in TRANSITIONS[state]:
            assert workflow.move(contact, to) == state
            assert contact.state == to
        else:
            with pytest.raises(IllegalTransition):
                workflow.move(contact, to)
            assert contact.state == state
