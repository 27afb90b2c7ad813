"""An outcome per child (issue 13, item 5; ADR 0022): a contact about two siblings can
send one to an assessment and close the other with advice; every child needs an outcome;
nothing is half-saved; an amendment changes one child's outcome."""

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState, PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.outbox import EventKind
from openmash.enquiries.models import (
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
)
from openmash.enquiries.services.decisions import (
    ChildOutcomeInput,
    DecisionInput,
    decision_amend,
    decision_record,
)
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import (
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_take,
    enquiry_open,
)
from openmash.events.models import Event
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_sibling, a_submission

RATIONALE = "Amy's injuries need a social work assessment; Ben is thriving at nursery."


@pytest.fixture
def siblings_contact(school_referrer: User, screener: User) -> Contact:
    """A contact about Amy and her brother Ben, screened and waiting for a decision."""
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(),
                a_sibling(),
                a_parent(),
            ]
        ),
    )
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="amber",
        rationale="Bruising seen twice; a sibling at home.",
    )
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    contact.refresh_from_db()
    return contact


def children(contact: Contact) -> tuple[ContactPerson, ContactPerson]:
    amy, ben = contact.people.filter(role__in=["subject_child", "sibling"]).order_by("position")
    return amy, ben


def two_outcomes(contact: Contact, **amy_overrides: Any) -> DecisionInput:
    amy, ben = children(contact)
    amy_outcome: dict[str, Any] = {
        "person_id": amy.pk,
        "level_of_need": 3,
        "outcome": "assessment_s17",
        "primary_need": "N1",
        "receiving_team": "Assessment team north",
    }
    amy_outcome.update(amy_overrides)
    return DecisionInput(
        level_of_need=None,
        outcome="",
        factor_codes=["16A", "4B"],
        primary_need="",
        rationale=RATIONALE,
        each_child=True,
        children=[
            ChildOutcomeInput(**amy_outcome),
            ChildOutcomeInput(
                person_id=ben.pk, level_of_need=1, outcome="information_advice", primary_need="N9"
            ),
        ],
    )


def to_two_teams(contact: Contact) -> DecisionInput:
    """Amy to a social care assessment, Ben stepped down to early help: two teams."""
    _, ben = children(contact)
    data = two_outcomes(contact)
    return DecisionInput(
        **{
            **data.__dict__,
            "children": [
                data.children[0],
                ChildOutcomeInput(
                    person_id=ben.pk,
                    level_of_need=2,
                    outcome="early_help",
                    primary_need="N4",
                    receiving_team="Eastbridge early help hub",
                ),
            ],
        }
    )


def test_it_records_a_different_outcome_for_each_sibling(
    siblings_contact: Contact, manager: User
) -> None:
    amy, ben = children(siblings_contact)
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=two_outcomes(siblings_contact),
    )
    rows = {row.person_id: row for row in DecisionChild.objects.filter(decision=decision)}
    assert rows[amy.pk].outcome.code == "assessment_s17"
    assert rows[amy.pk].level_of_need is not None and rows[amy.pk].level_of_need.number == 3
    assert rows[amy.pk].receiving_team == "Assessment team north"
    assert rows[ben.pk].outcome.code == "information_advice"
    assert rows[ben.pk].primary_need == "N9"
    # The decision's own fields are the most serious child's, so one-outcome code holds.
    assert decision.outcome.code == "assessment_s17"
    assert decision.level_of_need is not None and decision.level_of_need.number == 3
    assert decision.primary_need == "N1"
    assert decision.receiving_team == "Assessment team north"
    # One hand-on, to social care, about Amy only: Ben is closed with advice.
    hand_on = HandOn.objects.get(contact=siblings_contact)
    assert hand_on.team == "childrens_social_care"
    assert list(hand_on.children.all()) == [amy]
    siblings_contact.refresh_from_db()
    assert siblings_contact.state == ContactState.HANDED_ON


def test_it_hands_each_sibling_to_their_own_team(siblings_contact: Contact, manager: User) -> None:
    amy, ben = children(siblings_contact)
    decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=to_two_teams(siblings_contact),
    )
    teams = {
        hand_on.team: [child.pk for child in hand_on.children.all()]
        for hand_on in HandOn.objects.filter(contact=siblings_contact)
    }
    assert teams == {"childrens_social_care": [amy.pk], "early_help": [ben.pk]}


def test_every_child_needs_an_outcome_and_nothing_is_half_saved(
    siblings_contact: Contact, manager: User
) -> None:
    _, ben = children(siblings_contact)
    data = two_outcomes(siblings_contact)
    only_amy = DecisionInput(**{**data.__dict__, "children": [data.children[0]]})
    with pytest.raises(EnquiryInvalid) as refused:
        decision_record(actor=Actor(user=manager), contact_id=siblings_contact.pk, data=only_amy)
    assert refused.value.errors == {
        f"child_{ben.pk}_outcome": "Select the outcome for Ben Smith",
    }
    assert not Decision.objects.filter(contact=siblings_contact).exists()
    assert not DecisionChild.objects.exists()
    assert not HandOn.objects.filter(contact=siblings_contact).exists()
    siblings_contact.refresh_from_db()
    assert siblings_contact.state == ContactState.AWAITING_DECISION


def test_each_childs_errors_are_beside_that_childs_fields(
    siblings_contact: Contact, manager: User
) -> None:
    amy, _ = children(siblings_contact)
    data = two_outcomes(siblings_contact, level_of_need=None, receiving_team="", primary_need="")
    with pytest.raises(EnquiryInvalid) as refused:
        decision_record(actor=Actor(user=manager), contact_id=siblings_contact.pk, data=data)
    assert refused.value.errors == {
        f"child_{amy.pk}_level_of_need": "Select the level of need for Amy Smith",
        f"child_{amy.pk}_primary_need": "Select the primary need code for Amy Smith",
        f"child_{amy.pk}_receiving_team": "Enter the team that will receive the case for Amy Smith",
    }
    assert not Decision.objects.filter(contact=siblings_contact).exists()


def test_it_refuses_an_outcome_for_someone_not_a_child_of_the_contact(
    siblings_contact: Contact, manager: User
) -> None:
    parent = siblings_contact.people.get(role=PersonRole.PARENT_CARER)
    data = two_outcomes(siblings_contact)
    data = DecisionInput(
        **{
            **data.__dict__,
            "children": [
                *data.children,
                ChildOutcomeInput(
                    person_id=parent.pk, level_of_need=1, outcome="nfa", primary_need="N9"
                ),
            ],
        }
    )
    with pytest.raises(EnquiryInvalid) as refused:
        decision_record(actor=Actor(user=manager), contact_id=siblings_contact.pk, data=data)
    assert "children" in refused.value.errors
    assert not Decision.objects.exists()


def test_one_outcome_for_a_contact_about_several_children_is_every_childs(
    siblings_contact: Contact, manager: User
) -> None:
    """The services' callers that decide once for the contact (agreeing a closure, the
    demo data) give every child that outcome."""
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=DecisionInput(
            level_of_need=1,
            outcome="nfa",
            factor_codes=["16A"],
            primary_need="N9",
            rationale="Resolved by the school.",
        ),
    )
    assert sorted(
        DecisionChild.objects.filter(decision=decision).values_list("outcome__code", flat=True)
    ) == ["nfa", "nfa"]
    siblings_contact.refresh_from_db()
    assert siblings_contact.state == ContactState.CLOSED


def test_amending_one_childs_outcome_keeps_the_others_hand_on(
    siblings_contact: Contact, manager: User
) -> None:
    amy, ben = children(siblings_contact)
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=two_outcomes(siblings_contact),
    )
    first_hand_on = HandOn.objects.get(contact=siblings_contact)
    hand_on_accept(actor=Actor(user=manager), hand_on_id=first_hand_on.pk)
    Message.objects.all().delete()
    data = two_outcomes(siblings_contact)
    amended = decision_amend(
        actor=Actor(user=manager),
        decision_id=decision.pk,
        reason="The nursery called: Ben has unexplained bruising too.",
        data=DecisionInput(
            **{
                **data.__dict__,
                "children": [
                    data.children[0],
                    ChildOutcomeInput(
                        person_id=ben.pk,
                        level_of_need=2,
                        outcome="early_help",
                        primary_need="N4",
                        receiving_team="Eastbridge early help hub",
                    ),
                ],
            }
        ),
    )
    # The original stays as it was; the amendment carries both children anew.
    assert sorted(
        DecisionChild.objects.filter(decision=decision).values_list("outcome__code", flat=True)
    ) == ["assessment_s17", "information_advice"]
    assert dict(
        DecisionChild.objects.filter(decision=amended).values_list("person_id", "outcome__code")
    ) == {amy.pk: "assessment_s17", ben.pk: "early_help"}
    # Amy's accepted hand-on carries on under the amendment; Ben is handed to early help.
    first_hand_on.refresh_from_db()
    assert first_hand_on.state == HandOnState.ACCEPTED
    assert first_hand_on.decision == amended
    early_help = HandOn.objects.get(contact=siblings_contact, team="early_help")
    assert early_help.state == HandOnState.PENDING
    assert list(early_help.children.all()) == [ben]
    # Ben's outcome changed, so the referrer is told.
    assert Message.objects.filter(kind=MessageKind.OUTCOME_FEEDBACK).count() == 1
    siblings_contact.refresh_from_db()
    assert siblings_contact.state == ContactState.HANDED_ON


def test_amending_a_childs_outcome_away_from_a_team_withdraws_its_waiting_hand_on(
    siblings_contact: Contact, manager: User
) -> None:
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=two_outcomes(siblings_contact),
    )
    decision_amend(
        actor=Actor(user=manager),
        decision_id=decision.pk,
        reason="The injuries were explained by the GP.",
        data=two_outcomes(
            siblings_contact, outcome="nfa", level_of_need=1, primary_need="N9", receiving_team=""
        ),
    )
    assert HandOn.objects.get(contact=siblings_contact).state == HandOnState.WITHDRAWN
    siblings_contact.refresh_from_db()
    assert siblings_contact.state == ContactState.CLOSED


def test_the_decision_event_and_the_email_give_each_childs_outcome(
    siblings_contact: Contact, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        decision = decision_record(
            actor=Actor(user=manager),
            contact_id=siblings_contact.pk,
            data=two_outcomes(siblings_contact),
        )
    event = Event.objects.get(kind=EventKind.DECISION_RECORDED)
    payload = event.payload
    # To social care: the children it hands to them, each with their own outcome.
    [amy] = payload["child_outcomes"]
    assert (amy["given_names"], amy["outcome"]["code"]) == ("Amy", "assessment_s17")
    hand_on = Event.objects.get(kind=EventKind.HAND_ON_CREATED).payload
    assert [child["given_names"] for child in hand_on["children"]] == ["Amy"]
    referrer = Event.objects.get(kind=EventKind.OUTCOME_SENT_TO_REFERRER).payload
    assert [
        (child["given_names"], child["outcome"]["code"]) for child in referrer["child_outcomes"]
    ] == [
        ("Amy", "assessment_s17"),
        ("Ben", "information_advice"),
    ]
    assert payload["outcome"]["code"] == decision.outcome.code
    body = mail.outbox[-1].body
    assert "Amy Smith: Children's social care assessment (section 17)" in body
    assert "Ben Smith: Information and advice" in body


def test_the_migration_gives_every_child_of_an_earlier_decision_its_outcome(
    siblings_contact: Contact, manager: User
) -> None:
    """Decisions made before outcomes per child (enquiries 0012): each child named in the
    contact gets a row copying the decision, adults none; each hand-on concerns every
    child."""
    backfill = import_module("openmash.enquiries.migrations.0012_outcome_per_child").backfill
    amy, ben = children(siblings_contact)
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=DecisionInput(
            level_of_need=3,
            outcome="assessment_s17",
            factor_codes=["16A"],
            primary_need="N1",
            rationale=RATIONALE,
            receiving_team="Assessment team north",
        ),
    )
    amendment = decision_amend(
        actor=Actor(user=manager),
        decision_id=decision.pk,
        reason="A strategy discussion is needed.",
        data=DecisionInput(
            level_of_need=4,
            outcome="strategy_s47",
            factor_codes=["16A"],
            primary_need="N1",
            rationale=RATIONALE,
            receiving_team="Assessment team north",
        ),
    )
    # As the database stood before 0009: no child rows, hand-ons naming nobody.
    DecisionChild.objects.all().delete()
    HandOn.children.through.objects.all().delete()

    backfill(apps, None)

    rows = DecisionChild.objects.order_by("decision_id", "person__position")
    assert [
        (row.decision_id, row.person_id, row.outcome.code, row.level_of_need.number, row.primary_need, row.receiving_team)  # type: ignore[union-attr]
        for row in rows
    ] == [
        (decision.pk, amy.pk, "assessment_s17", 3, "N1", "Assessment team north"),
        (decision.pk, ben.pk, "assessment_s17", 3, "N1", "Assessment team north"),
        (amendment.pk, amy.pk, "strategy_s47", 4, "N1", "Assessment team north"),
        (amendment.pk, ben.pk, "strategy_s47", 4, "N1", "Assessment team north"),
    ]  # fmt: skip
    for hand_on in HandOn.objects.filter(contact=siblings_contact):
        assert list(hand_on.children.order_by("position")) == [amy, ben]


def test_passing_to_the_allocated_worker_gives_every_child_that_outcome(
    school_referrer: User, screener: User
) -> None:
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(),
                a_child(role=PersonRole.SIBLING, given_names="Ben", nhs_number=""),
                a_parent(),
            ]
        ),
    )
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    decision = contact_pass_to_allocated_worker(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        allocated_worker="Sam Patel",
        rationale="Both children are open to the children in need team.",
    )
    amy, ben = children(contact)
    rows = DecisionChild.objects.filter(decision=decision).order_by("person__position")
    assert [(row.person_id, row.outcome.code, row.receiving_team) for row in rows] == [
        (amy.pk, "already_open", "Sam Patel"),
        (ben.pk, "already_open", "Sam Patel"),
    ]
    hand_on = HandOn.objects.get(contact=contact)
    assert list(hand_on.children.order_by("position")) == [amy, ben]


def test_the_referrer_is_told_each_teams_answer_when_siblings_go_to_two_teams(
    siblings_contact: Contact, manager: User, school_referrer: User
) -> None:
    decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=to_two_teams(siblings_contact),
    )
    social_care = HandOn.objects.get(contact=siblings_contact, team="childrens_social_care")
    hand_on_accept(actor=Actor(user=manager), hand_on_id=social_care.pk)

    page = (
        signed_in(school_referrer)
        .get(reverse("contacts:detail", kwargs={"reference": siblings_contact.reference}))
        .content.decode()
    )
    # Not "Accepted by children's social care" alone: early help has not answered yet.
    assert "children&#x27;s social care (accepted at" in page
    assert "early help (waiting for them to accept it)" in page
    assert "Accepted by children" not in page


def test_each_team_is_sent_the_findings_about_its_own_children_and_the_adults(
    siblings_contact: Contact, manager: User
) -> None:
    from openmash.enquiries.summary import HAND_ON_CHILDREN, hand_on_summary

    amy, ben = children(siblings_contact)
    parent = siblings_contact.people.get(role=a_parent().role)
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=to_two_teams(siblings_contact),
    )

    def released(pk: int, person: ContactPerson, text: str, *, with_id: bool = True) -> dict:
        item = {
            "finding": pk,
            "agency_id": 1,
            "agency": "Police",
            "person": person.full_name,
            "sharing": "full",
            "lawful_basis": "law_enforcement_safeguarding",
            "text": text,
        }
        return {**item, "person_id": person.pk} if with_id else item

    decision.shared_findings = [
        released(1, amy, "ABOUT-AMY"),
        released(2, ben, "ABOUT-BEN"),
        released(3, parent, "ABOUT-THE-PARENT"),
        # Chosen before the person's id was kept: told apart by name.
        released(4, amy, "ABOUT-AMY-BY-NAME", with_id=False),
    ]
    decision.save(update_fields=["shared_findings"])

    seen = {}
    for hand_on in (
        HandOn.objects.filter(contact=siblings_contact)
        .select_related(
            "contact", "decision__outcome", "decision__level_of_need", "decision__decided_by"
        )
        .prefetch_related(*HAND_ON_CHILDREN)
    ):
        seen[hand_on.team] = {item.text for item in hand_on_summary(hand_on).findings}
    assert seen == {
        "childrens_social_care": {"ABOUT-AMY", "ABOUT-THE-PARENT", "ABOUT-AMY-BY-NAME"},
        "early_help": {"ABOUT-BEN", "ABOUT-THE-PARENT"},
    }


def test_a_team_is_linked_only_to_the_chronologies_of_its_own_children(
    siblings_contact: Contact, manager: User, personas: dict[str, User]
) -> None:
    amy, ben = children(siblings_contact)
    decision_record(
        actor=Actor(user=manager),
        contact_id=siblings_contact.pk,
        data=to_two_teams(siblings_contact),
    )
    early_help = HandOn.objects.get(contact=siblings_contact, team="early_help")
    client = signed_in(personas["early_help_coordinator"])
    page = client.get(reverse("enquiries:hand-on", args=[early_help.pk])).content.decode()
    ben_link = reverse("enquiries:child-chronology", args=[ben.pk])
    amy_link = reverse("enquiries:child-chronology", args=[amy.pk])
    assert ben_link in page
    assert amy_link not in page
    assert "Amy Smith" in page  # still named, in the contact's people
    assert client.get(ben_link).status_code == 200
