"""Regressions found reviewing the MASH enquiry: forged requests that gave a 500 or left
a record half-saved, and workflow moves the rules should stop."""

import smtplib
from datetime import datetime
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, Message, MessageKind
from openmash.enquiries.services.checks import check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_pass_to_allocated_worker,
    contact_take,
)
from openmash.enquiries.workflow import IllegalTransition
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for, not_known
from tests.factories import a_submission


def _action(name: str, contact: Contact) -> str:
    return reverse(f"enquiries:screening-{name}", kwargs={"reference": contact.reference})


def test_it_refuses_more_checks_on_a_contact_not_yet_rated(
    new_contact: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)

    response = signed_in(screener).post(
        _action("request-more-checks", new_contact),
        {"more-checks-agencies": [str(partner_agencies["police"].pk)]},
    )

    assert response.status_code == 400
    new_contact.refresh_from_db()
    assert new_contact.state == ContactState.SCREENING
    assert not AgencyCheck.objects.filter(contact=new_contact).exists()


def test_it_does_not_strand_a_contact_when_every_agency_asked_had_been_asked(
    contact_with_checks: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> None:
    actor = Actor(user=screener)
    for slug in ("police", "health", "education"):
        check_waive(
            actor=actor, check_id=check_for(contact_with_checks, slug).pk, reason="Not needed."
        )
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.AWAITING_DECISION

    response = signed_in(screener).post(
        _action("request-more-checks", contact_with_checks),
        {"more-checks-agencies": [str(partner_agencies["police"].pk)]},
    )

    assert response.status_code == 302
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.AWAITING_DECISION


# --- Forged requests: a page with the problem, never a 500 ---------------------------------

HUGE = "x" * 20001
BIG_ID = "99999999999999999999999"


@pytest.fixture
def decided(contact_with_checks: Contact, researchers: dict[str, User], manager: User) -> Contact:
    for slug in ("police", "health", "education"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact_with_checks, slug).pk,
            findings=not_known(contact_with_checks),
        )
    decision_record(
        actor=Actor(user=manager),
        contact_id=contact_with_checks.pk,
        data=DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale="Family support will help.",
            receiving_team="Eastbridge early help hub",
        ),
    )
    contact_with_checks.refresh_from_db()
    return contact_with_checks


def test_forged_screening_posts_never_give_a_500(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    client = signed_in(screener)
    posts = [
        ("rate", {"rate-rag": "purple", "rate-rationale": "x"}),
        ("rate", {"rate-rag": "red", "rate-rationale": HUGE}),
        ("rate", {"rate-rag": "red", "rate-rationale": "a\x00b"}),
        ("open-enquiry", {"enquiry-agencies": ["abc"]}),
        ("open-enquiry", {"enquiry-agencies": [BIG_ID]}),
        ("request-more-checks", {"more-checks-agencies": ["-1"]}),
        ("propose-closure", {"closure-outcome": "strategy_s47", "closure-rationale": "x"}),
        ("propose-closure", {"closure-outcome": "nfa", "closure-rationale": HUGE}),
        ("pass-to-worker", {"worker-allocated_worker": "a\x00", "worker-rationale": "x"}),
        ("pass-to-worker", {"worker-allocated_worker": "x" * 300, "worker-rationale": "x"}),
        ("take", {}),
    ]
    for name, data in posts:
        response = client.post(_action(name, rated_contact), data)
        assert response.status_code < 500, (name, data, response.status_code)
        assert client.get(_action(name, rated_contact)).status_code == 405
    for query in (
        "?page=abc",
        "?page=-3",
        f"?page={BIG_ID}",
        "?assigned=abc",
        "?state=closed",
        "?rag=%00",
        "?assigned=%C2%B2",
        "?overdue=maybe",
    ):
        response = client.get(reverse("enquiries:screening-queue") + query)
        assert response.status_code == 200, query
    response = signed_in(manager).post(_action("release", rated_contact), {})
    assert response.status_code < 500


def test_forged_decision_posts_never_give_a_500(decided: Contact, manager: User) -> None:
    client = signed_in(manager)
    decision = reverse("enquiries:decision", kwargs={"reference": decided.reference})
    amend = reverse("enquiries:decision-amend", kwargs={"reference": decided.reference})
    bad = {
        "level_of_need": "99",
        "outcome": "allocated",
        "factor_codes": ["ZZ"],
        "primary_need": "N99",
        "rationale": "a\x00",
        "receiving_team": "x" * 300,
    }
    assert client.post(decision, bad).status_code < 500
    for decision_id in ("abc", BIG_ID, "-1", ""):
        response = client.post(amend, {**bad, "decision_id": decision_id, "amendment_reason": HUGE})
        assert response.status_code < 500, decision_id
    assert client.post(amend, {"outcome": "already_open", "level_of_need": "2"}).status_code < 500
    assert client.get(amend).status_code == 405
    for url in ("enquiries:decision-queue", "enquiries:hand-on-queue"):
        assert client.get(reverse(url) + "?page=abc").status_code == 200


def test_forged_check_posts_never_give_a_500(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    client = signed_in(researchers["police"])
    url = reverse("enquiries:check", kwargs={"check_id": check.pk})
    response = client.post(
        url,
        {
            "findings-0-known": "yes",
            "findings-0-summary": HUGE,
            "findings-0-lawful_basis": "nonsense",
            "findings-0-last_involvement_on_0": "1",
            "findings-0-last_involvement_on_1": "1",
            "findings-0-last_involvement_on_2": "99999999999",
            "findings-1-known": "maybe",
            "findings-1-last_involvement_on_0": "99999999999999999999",
            "findings-1-last_involvement_on_1": "1",
            "findings-1-last_involvement_on_2": "2020",
        },
    )
    assert response.status_code == 400
    for query in ("?page=abc", "?show=completed&page=-1", f"?page={BIG_ID}"):
        assert client.get(reverse("enquiries:check-queue") + query).status_code == 200
    other = check_for(contact_with_checks, "health")
    assert client.post(reverse("enquiries:check", kwargs={"check_id": other.pk})).status_code == 404


# --- Screening actions belong to screening ---------------------------------------------------


def test_a_handed_on_contact_cannot_be_sent_back_by_opening_an_enquiry(
    decided: Contact, screener: User
) -> None:
    assert decided.state == ContactState.HANDED_ON

    response = signed_in(screener).post(_action("open-enquiry", decided), {})

    assert response.status_code == 409
    decided.refresh_from_db()
    assert decided.state == ContactState.HANDED_ON


def test_a_handed_on_contact_cannot_be_proposed_for_closure(
    decided: Contact, screener: User
) -> None:
    response = signed_in(screener).post(
        _action("propose-closure", decided),
        {"closure-outcome": "nfa", "closure-rationale": "Nothing more to do."},
    )

    assert response.status_code == 409
    decided.refresh_from_db()
    assert decided.state == ContactState.HANDED_ON
    assert not decided.closure_proposals.exists()


def test_closure_cannot_be_proposed_while_checks_are_running(
    contact_with_checks: Contact, screener: User
) -> None:
    with pytest.raises(IllegalTransition):
        closure_propose(
            actor=Actor(user=screener),
            contact_id=contact_with_checks.pk,
            outcome="nfa",
            rationale="Nothing more to do.",
        )
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.CHECKS_IN_PROGRESS


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("rate", {"rate-rag": "red", "rate-rationale": "Worse than it looked."}),
        ("open-enquiry", {}),
        ("propose-closure", {"closure-outcome": "nfa", "closure-rationale": "Nothing to do."}),
        ("pass-to-worker", {"worker-allocated_worker": "Sam", "worker-rationale": "Open case."}),
    ],
)
def test_another_screener_cannot_work_on_a_contact_being_screened(
    rated_contact: Contact, second_screener: User, name: str, data: dict[str, str]
) -> None:
    ratings = rated_contact.rag_ratings.count()

    response = signed_in(second_screener).post(_action(name, rated_contact), data)

    assert response.status_code == 403
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.SCREENING
    assert rated_contact.rag_ratings.count() == ratings
    assert not rated_contact.decisions.exists()


def test_a_manager_can_work_on_a_contact_another_screener_is_screening(
    rated_contact: Contact, manager: User
) -> None:
    response = signed_in(manager).post(
        _action("rate", rated_contact), {"rate-rag": "red", "rate-rationale": "Worse."}
    )

    assert response.status_code == 302
    rated_contact.refresh_from_db()
    assert rated_contact.rag_level is not None and rated_contact.rag_level.code == "red"


def test_forged_waive_closure_and_hand_on_posts_never_give_a_500(
    decided: Contact,
    rated_contact: Contact,
    contact_with_checks: Contact,
    screener: User,
    manager: User,
    early_help_coordinator: User,
    new_contact: Contact,
) -> None:
    # rated_contact, contact_with_checks and decided are one contact: make a proposal on
    # another.
    del rated_contact, contact_with_checks, new_contact
    hand_on = decided.hand_ons.get()
    check = check_for(decided, "police")
    waive = reverse("enquiries:check-waive", kwargs={"check_id": check.pk})
    client = signed_in(screener)
    for target in ("/\nfoo", "//evil.example", "/\\evil.example", "javascript:alert(1)", "\x00"):
        response = client.post(waive, {"reason": "a\x00", "next": target})
        assert response.status_code < 500, target
        response = client.get(waive, {"next": target})
        assert response.status_code == 200, target
        assert "evil.example" not in response.content.decode()
    assert client.post(waive, {"reason": "Done already."}).status_code == 409
    manager_client = signed_in(manager)
    for name in ("closure-agree", "closure-decline"):
        response = manager_client.post(reverse(f"enquiries:{name}", kwargs={"proposal_id": 1}))
        assert response.status_code == 404
    eh = signed_in(early_help_coordinator)
    for name, data in (
        ("hand-on-accept", {"accept-allocated_worker": "x" * 300}),
        ("hand-on-accept", {"accept-allocated_worker": "\x00"}),
        ("hand-on-return", {"return-reason": HUGE}),
        ("hand-on-return", {"return-reason": "\x00"}),
    ):
        response = eh.post(reverse(f"enquiries:{name}", kwargs={"hand_on_id": hand_on.pk}), data)
        assert response.status_code == 400, (name, data)
        assert (
            eh.get(reverse(f"enquiries:{name}", kwargs={"hand_on_id": hand_on.pk})).status_code
            == 405
        )
    # A manager may not answer early help's hand-on.
    response = manager_client.post(
        reverse("enquiries:hand-on-accept", kwargs={"hand_on_id": hand_on.pk}), {}
    )
    assert response.status_code == 404
    hand_on.refresh_from_db()
    assert hand_on.state == "pending"


# --- Email after commit -----------------------------------------------------------------------


def test_a_mail_server_failure_does_not_fail_the_decision_already_saved(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    manager: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for slug in ("police", "health", "education"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact_with_checks, slug).pk,
            findings=not_known(contact_with_checks),
        )

    def refuse(*args: object, **kwargs: object) -> int:
        raise smtplib.SMTPRecipientsRefused({contact_with_checks.referrer_email: (550, b"no")})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert contact_with_checks.referrer_email

    with django_capture_on_commit_callbacks(execute=True):
        decision_record(
            actor=Actor(user=manager),
            contact_id=contact_with_checks.pk,
            data=DecisionInput(
                level_of_need=1,
                outcome="nfa",
                factor_codes=["16A"],
                primary_need="N9",
                rationale="Nothing more needed.",
            ),
        )

    assert contact_with_checks.decisions.count() == 1
    assert contact_with_checks.referrer_email not in caplog.text, "no personal data in logs"


def test_every_page_about_a_handed_on_contact_shows_without_error(
    decided: Contact,
    screener: User,
    manager: User,
    researchers: dict[str, User],
    early_help_coordinator: User,
) -> None:
    child = decided.people.order_by("position").first()
    assert child is not None
    hand_on = decided.hand_ons.get()
    chronology = reverse("enquiries:child-chronology", kwargs={"person_id": child.pk})
    for user, urls in (
        (screener, [_action_page(decided), _decision_page(decided), chronology]),
        (manager, [_decision_page(decided), chronology, reverse("enquiries:decision-queue")]),
        (researchers["police"], [chronology, reverse("enquiries:check-queue") + "?show=completed"]),
        (
            early_help_coordinator,
            [chronology, reverse("enquiries:hand-on", kwargs={"hand_on_id": hand_on.pk})],
        ),
    ):
        client = signed_in(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user.username, url)


def _action_page(contact: Contact) -> str:
    return reverse("enquiries:screening", kwargs={"reference": contact.reference})


def _decision_page(contact: Contact) -> str:
    return reverse("enquiries:decision", kwargs={"reference": contact.reference})


def test_the_referrer_is_told_the_day_the_contact_was_received_in_london(
    school_referrer: User, screener: User
) -> None:
    submission = a_submission()
    # Half past midnight in London is still the day before in UTC.
    submission.received_at = datetime(2026, 6, 1, 0, 30, tzinfo=LONDON)
    submission.received_at_reason = "Left on the out-of-hours line."
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=submission)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)

    contact_pass_to_allocated_worker(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        allocated_worker="Sam Patel",
        rationale="Open to the children in need team.",
    )

    message = Message.objects.get(contact=contact, kind=MessageKind.OUTCOME_FEEDBACK)
    assert "received 1 June 2026." in message.body
