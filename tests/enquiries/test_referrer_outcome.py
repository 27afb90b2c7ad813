"""The referrer is told what became of their contact: where it is, the outcome, what
happens next and when it was decided, by email and on their contact pages. Never what
the agencies found, the manager's rationale or the RAG rating."""

from typing import Any

from django.core import mail
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries.models import Decision, Message, MessageKind
from openmash.enquiries.services.decisions import DecisionInput, decision_amend
from openmash.enquiries.services.hand_ons import hand_on_return
from tests.conftest import signed_in
from tests.enquiries.test_decision_views import (
    EDUCATION_WAIVED,
    POLICE_SUMMARY,
    RESTRICTED,
    STEP_DOWN,
    decision_url,
    html,
    make_ready,
)

RATIONALE = STEP_DOWN["rationale"]


def to_referrer(address: str = "jo.bennett@riverside.sch.uk") -> list[Any]:
    """The emails sent to the referrer (the receiving team is told of a hand-on too)."""
    return [email for email in mail.outbox if email.to == [address]]


def detail_url(contact: Contact) -> str:
    return reverse("contacts:detail", kwargs={"reference": contact.reference})


def _ready(contact: Contact, researchers: dict[str, User], screener: User) -> Contact:
    return make_ready(contact, researchers, screener)


def test_before_a_decision_the_referrer_sees_where_the_contact_is(
    contact_with_checks: Contact, school_referrer: User
) -> None:
    client = signed_in(school_referrer)
    page = html(client.get(detail_url(contact_with_checks)))
    assert "The MASH is finding out more" in page
    assert "The MASH will tell you the outcome of this contact." in page
    listing = html(client.get(reverse("contacts:submitted")))
    assert "The MASH is finding out more" in listing
    assert "Not decided yet" in listing


def test_the_referrer_sees_the_outcome_but_no_findings_rationale_or_rating(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    school_referrer: User,
) -> None:
    contact = _ready(contact_with_checks, researchers, screener)
    signed_in(manager).post(decision_url(contact), STEP_DOWN)

    client = signed_in(school_referrer)
    for page in (
        html(client.get(detail_url(contact))),
        html(client.get(reverse("contacts:submitted"))),
    ):
        assert "Step down to early help" in page
        # Where it is now says which team has it, and that it waits for them (issue 12).
        assert "Decided, and passed to early help: waiting for them to accept it" in page
        assert "Decided" in page
        for secret in (
            POLICE_SUMMARY,
            RESTRICTED,
            EDUCATION_WAIVED,
            RATIONALE,
            "Bruising seen twice this term",  # the RAG rationale
            "Amber",
            "govuk-tag--orange",
            "Not to be disclosed",
            "Eastbridge early help hub",
        ):
            assert secret not in page, secret
    detail = html(client.get(detail_url(contact)))
    assert "The early help team will contact the family to offer support." in detail
    assert decision_url(contact) not in detail
    assert client.get(decision_url(contact)).status_code == 403


def test_an_email_of_the_outcome_is_recorded_sent_and_shown(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    school_referrer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = _ready(contact_with_checks, researchers, screener)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(manager).post(decision_url(contact), STEP_DOWN)
    assert response.status_code == 302

    message = Message.objects.get(contact=contact, kind=MessageKind.OUTCOME_FEEDBACK)
    assert message.to_email == "jo.bennett@riverside.sch.uk"
    assert len(to_referrer()) == 1
    email = to_referrer()[0]
    assert email.subject == message.subject
    assert "Step down to early help" in email.body
    for secret in (POLICE_SUMMARY, RESTRICTED, RATIONALE, "Amber"):
        assert secret not in email.body

    page = html(signed_in(school_referrer).get(detail_url(contact)))
    assert "We emailed the outcome to jo.bennett@riverside.sch.uk on " in page


def test_nothing_is_emailed_when_the_decision_fails(
    contact_with_checks: Contact, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(manager).post(decision_url(contact_with_checks), STEP_DOWN)
    assert response.status_code == 409
    # Only the agencies asked to check were told, when they were asked.
    assert not Message.objects.exclude(kind=MessageKind.CHECK_REQUESTED).exists()
    assert mail.outbox == []


def test_an_amended_outcome_shows_both_dates_and_the_new_outcome(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    school_referrer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = _ready(contact_with_checks, researchers, screener)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(manager).post(decision_url(contact), STEP_DOWN)
        original = Decision.objects.get(contact=contact)
        decision_amend(
            actor=Actor(user=manager),
            decision_id=original.pk,
            data=DecisionInput(
                level_of_need=3,
                outcome="assessment_s17",
                factor_codes=["16A"],
                primary_need="N1",
                rationale="New information from the police.",
                receiving_team="Assessment team",
            ),
            reason="Police shared a new incident.",
        )
    assert len(to_referrer()) == 2
    assert "(amended)" in to_referrer()[1].body

    client = signed_in(school_referrer)
    page = html(client.get(detail_url(contact)))
    assert "Children&#x27;s social care assessment (section 17)" in page
    assert "Decision amended" in page
    assert "A social worker will assess the child" in page
    assert "Police shared a new incident." not in page
    assert "New information from the police." not in page
    assert page.count("We emailed the outcome to") == 2
    listing = html(client.get(reverse("contacts:submitted")))
    assert "amended" in listing


def test_a_returned_case_is_under_review_for_the_referrer(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    early_help_coordinator: User,
    school_referrer: User,
) -> None:
    contact = _ready(contact_with_checks, researchers, screener)
    signed_in(manager).post(decision_url(contact), STEP_DOWN)
    hand_on = contact.hand_ons.get()
    hand_on_return(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        reason="The family is already known to a social worker.",
    )
    page = html(signed_in(school_referrer).get(detail_url(contact)))
    assert "The MASH is reviewing its decision" in page
    assert "already known to a social worker" not in page


def test_another_schools_referrer_sees_nothing(
    contact_with_checks: Contact, other_school_referrer: User
) -> None:
    assert signed_in(other_school_referrer).get(detail_url(contact_with_checks)).status_code == 404


def test_the_referrer_is_told_of_a_new_outcome_for_the_same_team(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    screener: User,
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = _ready(contact_with_checks, researchers, screener)
    assessment = {**STEP_DOWN, "level_of_need": "3", "outcome": "assessment_s17"}
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(manager).post(decision_url(contact), {**assessment, "receiving_team": "A"})
        decision_amend(
            actor=Actor(user=manager),
            decision_id=Decision.objects.get(contact=contact).pk,
            data=DecisionInput(
                level_of_need=4,
                outcome="strategy_s47",
                factor_codes=["16A"],
                primary_need="N1",
                rationale="Significant harm now suspected.",
                receiving_team="A",
            ),
            reason="A new disclosure.",
        )
    assert len(to_referrer()) == 2
    assert "Strategy discussion and section 47 enquiry" in to_referrer()[1].body
    assert contact.hand_ons.count() == 1  # still with children's social care
