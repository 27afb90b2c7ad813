"""The outbox: each change's events are written in the change's own transaction, to the
recipient who may see them, in the order the feed reads them."""

from collections.abc import Callable

import pytest
from django.db import transaction

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.outbox import EventKind, PublishedOutsideTransaction, publish
from openmash.enquiries.models import HandOn
from openmash.enquiries.services import decisions
from openmash.enquiries.services.decisions import DecisionInput, decision_amend
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.services.screening import (
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_take,
    enquiry_open,
)
from openmash.events.models import Delivery, Event, EventSequence, WebhookEndpoint
from openmash.events.recipients import teams_received_by
from tests.enquiries.test_decision_views import POLICE_SUMMARY, RESTRICTED
from tests.factories import a_submission

ASSESSMENT = DecisionInput(
    level_of_need=3,
    outcome="assessment_s17",
    factor_codes=["16A"],
    primary_need="N1",
    rationale=f"Police told us: {POLICE_SUMMARY}",
    receiving_team="Assessment team north",
)


def kinds(**where: object) -> list[tuple[str, str]]:
    return [
        (event.kind, event.recipient_team or event.recipient_agency.slug)
        for event in Event.objects.filter(**where).select_related("recipient_agency")
    ]


class Refused(Exception):
    pass


def test_a_decision_publishes_to_the_receiving_team_and_the_referrers_agency(
    hand_on_to_early_help: Callable[[], HandOn],
) -> None:
    hand_on = hand_on_to_early_help()

    assert kinds() == [
        ("decision.recorded", "early_help"),
        ("hand_on.created", "early_help"),
        ("outcome.sent_to_referrer", "riverside"),
    ]
    outcome = Event.objects.get(kind="outcome.sent_to_referrer").payload
    assert set(outcome) == {
        "contact_id",
        "contact_reference",
        "outcome",
        "next_steps",
        "amended",
        "decided_at",
        "child_outcomes",
    }
    # Each child's outcome (ADR 0022), with the names the referrer gave and nothing else.
    [child] = outcome["child_outcomes"]
    assert set(child) == {"person_id", "given_names", "family_name", "outcome", "next_steps"}
    assert child["outcome"]["code"] == "early_help"
    assert outcome["contact_reference"] == hand_on.contact.reference
    sequences = list(Event.objects.values_list("sequence", flat=True))
    assert sequences == [1, 2, 3]
    assert EventSequence.objects.get().last == 3


def test_accepting_and_returning_publish_to_the_team(
    hand_on_to_early_help: Callable[[], HandOn], early_help_coordinator: User
) -> None:
    accepted = hand_on_to_early_help()
    returned = hand_on_to_early_help()
    before = Event.objects.count()

    hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=accepted.pk)
    hand_on_return(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=returned.pk,
        reason="Mum tells us police were called again last night.",
    )

    new = list(Event.objects.order_by("sequence")[before:])
    assert [(e.kind, e.recipient_team, e.payload["state"]) for e in new] == [
        ("hand_on.accepted", "early_help", "accepted"),
        ("hand_on.returned", "early_help", "returned"),
    ]
    assert new[0].payload["responded_at"] is not None
    # The team's own reason does not come back to it as a payload field.
    assert "police were called" not in str(new[1].payload)


def test_an_amendment_to_another_team_tells_the_old_team_it_is_withdrawn(
    hand_on_to_early_help: Callable[[], HandOn], manager: User
) -> None:
    hand_on = hand_on_to_early_help()
    before = Event.objects.count()

    decision_amend(
        actor=Actor(user=manager),
        decision_id=hand_on.decision_id,
        data=ASSESSMENT,
        reason=f"Police shared a further incident: {RESTRICTED}",
    )

    new = list(Event.objects.order_by("sequence")[before:])
    assert [(e.kind, e.recipient_team or e.recipient_agency.slug) for e in new] == [
        ("hand_on.withdrawn", "early_help"),
        ("decision.amended", "childrens_social_care"),
        ("hand_on.created", "childrens_social_care"),
        ("outcome.sent_to_referrer", "riverside"),
    ]
    assert new[0].payload["state"] == "withdrawn"
    for event in new:
        # Neither the rationale nor the reason for the amendment crosses the fire wall.
        assert POLICE_SUMMARY not in str(event.payload)
        assert RESTRICTED not in str(event.payload)
    assert new[1].payload["amends_decision_id"] == hand_on.decision_id


def test_a_service_rolled_back_after_publishing_writes_no_event(
    hand_on_to_early_help: Callable[[], HandOn],
    early_help_endpoint: WebhookEndpoint,
    manager: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    hand_on = hand_on_to_early_help()
    before = (Event.objects.count(), Delivery.objects.count(), EventSequence.objects.get().last)

    def audit_fails(*args: object, **kwargs: object) -> None:
        raise Refused

    # decision_amend publishes the withdrawal, the amendment and the new hand-on, then
    # fails at its last step: the whole transaction rolls back, events and all.
    monkeypatch.setattr(decisions, "_audit", audit_fails)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Refused):
        decision_amend(
            actor=Actor(user=manager),
            decision_id=hand_on.decision_id,
            data=ASSESSMENT,
            reason="Further incident.",
        )

    after = (Event.objects.count(), Delivery.objects.count(), EventSequence.objects.get().last)
    assert after == before
    assert callbacks == []
    hand_on.refresh_from_db()
    assert hand_on.state == "pending"


def test_a_refused_service_writes_no_event(
    hand_on_to_early_help: Callable[[], HandOn], early_help_coordinator: User
) -> None:
    hand_on = hand_on_to_early_help()
    before = Event.objects.count()

    with pytest.raises(FieldErrors):
        hand_on_return(actor=Actor(user=early_help_coordinator), hand_on_id=hand_on.pk, reason="")

    assert Event.objects.count() == before


def test_the_callers_transaction_rolled_back_takes_the_event_with_it(
    hand_on_to_early_help: Callable[[], HandOn], early_help_coordinator: User
) -> None:
    hand_on = hand_on_to_early_help()
    before = Event.objects.count()

    with pytest.raises(Refused), transaction.atomic():
        hand_on_accept(actor=Actor(user=early_help_coordinator), hand_on_id=hand_on.pk)
        assert Event.objects.count() == before + 1
        raise Refused

    assert Event.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_nothing_can_be_published_outside_a_transaction(agencies: dict[str, Agency]) -> None:
    with pytest.raises(PublishedOutsideTransaction):
        publish(EventKind.HAND_ON_CREATED, object())


def test_a_contact_passed_to_the_allocated_worker_goes_to_childrens_social_care(
    school_contact: Contact, screener: User, agencies: dict[str, Agency]
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=school_contact.pk)

    contact_pass_to_allocated_worker(
        actor=Actor(user=screener),
        contact_id=school_contact.pk,
        allocated_worker="Sam Patel",
        rationale="Open to the children in need team; police told us of a new partner.",
    )

    assert kinds() == [
        ("decision.recorded", "allocated_worker"),
        ("hand_on.created", "allocated_worker"),
        ("outcome.sent_to_referrer", "riverside"),
    ]
    hand_on = Event.objects.get(kind="hand_on.created").payload
    assert hand_on["state"] == "accepted"
    assert hand_on["receiving_team"]["name"] == "Sam Patel"
    assert "police" not in str(Event.objects.values_list("payload", flat=True))
    # Children's social care's system reads the allocated worker's events.
    assert "allocated_worker" in teams_received_by(agencies["csc"])


def test_a_decision_for_the_police_carries_the_mash_summary_and_not_the_rationale(
    school_referrer: User, screener: User, manager: User
) -> None:
    # Police and another local authority have no hand-on in OpenMASH: the decision's event
    # is what reaches them, so it carries the MASH summary the manager composed.
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Amber.")
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decisions.decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=DecisionInput(
            level_of_need=3,
            outcome="police_action",
            factor_codes=["16A"],
            primary_need="N1",
            rationale="Internal to the MASH: the uncle's record decided this.",
            receiving_team="Eastbridge public protection unit",
            summary="A disclosure at school needs police action today.",
            worker_risks="Visit in pairs.",
        ),
    )

    assert ("decision.recorded", "police") in kinds()
    payload = Event.objects.get(kind="decision.recorded").payload
    assert payload["summary"] == {
        "text": "A disclosure at school needs police action today.",
        "worker_risks": "Visit in pairs.",
        "findings": [],
        "rationale": None,
    }
    assert "uncle" not in str(Event.objects.values_list("payload", flat=True))
