"""The decisions queue and the decision page, as a MASH manager uses them."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.time_text import duration_text, time_left_text, when_text
from openmash.enquiries.models import CheckState, ClosureProposal, Decision, HandOn
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, decision_amend, decision_record
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_rate,
    contact_take,
    enquiry_open,
)
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for, not_known
from tests.factories import a_submission

POLICE_SUMMARY = "Known to police: two domestic incidents at the family home in 2025."
RESTRICTED = "New address of the mother: 4 Hidden Lane. Not to be shared with the father."
EDUCATION_WAIVED = "The school made the contact and has shared what it knows."

STEP_DOWN = {
    "level_of_need": "2",
    "outcome": "early_help",
    "factor_codes": ["16A", "4B"],
    "primary_need": "N4",
    "rationale": "Needs can be met by a family support worker.",
    "receiving_team": "Eastbridge early help hub",
}


def make_ready(contact: Contact, researchers: dict[str, User], screener: User) -> Contact:
    """Police found the child known (with restricted information), health did not know
    the family, and the education check was waived: the contact awaits a decision."""
    people = list(contact.people.order_by("position"))
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact, "police").pk,
        findings=[
            FindingInput(
                person_id=people[0].pk,
                known=True,
                summary=POLICE_SUMMARY,
                risk_indicators="Domestic abuse",
                lawful_basis="public_task_safeguarding",
                restricted_information=RESTRICTED,
                summary_restricted=True,
            ),
            *[
                FindingInput(
                    person_id=person.pk, known=False, lawful_basis="public_task_safeguarding"
                )
                for person in people[1:]
            ],
        ],
    )
    check_record_findings(
        actor=Actor(user=researchers["health"]),
        check_id=check_for(contact, "health").pk,
        findings=not_known(contact),
    )
    check_waive(
        actor=Actor(user=screener),
        check_id=check_for(contact, "education").pk,
        reason=EDUCATION_WAIVED,
    )
    contact.refresh_from_db()
    assert contact.state == ContactState.AWAITING_DECISION
    return contact


@pytest.fixture
def ready_contact(
    contact_with_checks: Contact, researchers: dict[str, User], screener: User
) -> Contact:
    return make_ready(contact_with_checks, researchers, screener)


def decision_url(contact: Contact) -> str:
    return reverse("enquiries:decision", kwargs={"reference": contact.reference})


def html(response: Any) -> str:
    return response.content.decode()


# --- Presenting time -------------------------------------------------------------------


def test_it_says_how_long_is_left_or_how_overdue() -> None:
    now = timezone.now()
    assert time_left_text(now + timedelta(hours=3, minutes=10), now) == "3 hours 10 minutes left"
    assert time_left_text(now - timedelta(hours=2), now) == "Overdue by 2 hours"
    assert time_left_text(now + timedelta(minutes=1), now) == "1 minute left"
    assert duration_text(timedelta(days=2, hours=3, minutes=5)) == "2 days 3 hours"
    assert duration_text(timedelta(seconds=20)) == "less than a minute"


def test_it_shows_times_in_london() -> None:
    from datetime import UTC, datetime

    assert when_text(datetime(2026, 7, 3, 13, 5, tzinfo=UTC)) == "14:05 on 3 July 2026"
    assert when_text(datetime(2026, 3, 3, 14, 5, tzinfo=UTC)) == "14:05 on 3 March 2026"


# --- The queue -------------------------------------------------------------------------


def test_the_queue_lists_contacts_due_first_with_their_rag_and_time_left(
    ready_contact: Contact,
    contact_with_checks: Contact,
    school_referrer: User,
    screener: User,
    manager: User,
) -> None:
    red, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=red.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=red.pk, rag="red", rationale="Injury seen today."
    )
    enquiry_open(actor=Actor(user=screener), contact_id=red.pk, agency_ids=[])

    page = html(signed_in(manager).get(reverse("enquiries:decision-queue")))

    ready_section = page.split('id="awaiting"')[1].split('id="in-checks"')[0]
    assert ready_section.index(red.reference) < ready_section.index(ready_contact.reference)
    assert "govuk-tag--red" in ready_section
    assert "govuk-tag--orange" in ready_section
    assert " left" in ready_section
    assert "Amy Smith" in ready_section


def test_the_queue_shows_checks_in_progress_with_how_many_are_outstanding(
    contact_with_checks: Contact, researchers: dict[str, User], manager: User
) -> None:
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact_with_checks, "police").pk,
        findings=not_known(contact_with_checks),
    )
    page = html(signed_in(manager).get(reverse("enquiries:decision-queue")))
    in_checks = page.split('id="in-checks"')[1]
    assert contact_with_checks.reference in in_checks
    assert "2 of 3 outstanding" in in_checks


def test_the_queue_shows_closure_proposals(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    closure_propose(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        outcome="nfa",
        rationale="Resolved by the school the same day.",
    )
    page = html(signed_in(manager).get(reverse("enquiries:decision-queue")))
    proposals = page.split('id="proposals"')[1].split('id="awaiting"')[0]
    assert rated_contact.reference in proposals
    assert "no further action" in proposals


def test_the_queue_is_recorded_in_the_audit_log(ready_contact: Contact, manager: User) -> None:
    signed_in(manager).get(reverse("enquiries:decision-queue"))
    assert AuditEvent.objects.filter(
        actor_user=manager, action=AuditAction.LIST, contact_id=ready_contact.pk
    ).exists()


def _awaiting_contacts(count: int, referrer: User, screener: User) -> None:
    for _ in range(count):
        contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
        contact_take(actor=Actor(user=screener), contact_id=contact.pk)
        contact_rate(
            actor=Actor(user=screener), contact_id=contact.pk, rag="green", rationale="Low."
        )
        enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])


def test_the_queue_costs_the_same_queries_for_1_and_6_contacts(
    school_referrer: User,
    screener: User,
    manager: User,
    contact_with_checks: Contact,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = signed_in(manager)
    url = reverse("enquiries:decision-queue")
    _awaiting_contacts(1, school_referrer, screener)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _awaiting_contacts(5, school_referrer, screener)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert html(response).count("Amy Smith") >= 7


def test_only_a_manager_sees_the_queue(screener: User, school_referrer: User) -> None:
    assert signed_in(screener).get(reverse("enquiries:decision-queue")).status_code == 403
    assert signed_in(school_referrer).get(reverse("enquiries:decision-queue")).status_code == 403


# --- The decision page -----------------------------------------------------------------


def test_the_page_shows_every_agencys_findings_with_restricted_information_marked(
    ready_contact: Contact, manager: User
) -> None:
    page = html(signed_in(manager).get(decision_url(ready_contact)))
    assert "Police" in page and "Health" in page and "Education Safeguarding" in page
    assert POLICE_SUMMARY in page
    assert RESTRICTED in page
    assert page.count("Not to be disclosed outside the MASH") == 2  # summary + restricted
    assert EDUCATION_WAIVED in page
    assert "Waived" in page and "Completed" in page
    assert "Bruising seen twice this term" in page  # the RAG history
    assert "Amy Smith" in page and "Karen Smith" in page
    assert "Jo Bennett" in page


def test_the_page_records_the_reads(ready_contact: Contact, manager: User) -> None:
    signed_in(manager).get(decision_url(ready_contact))
    reads = AuditEvent.objects.filter(
        actor_user=manager, action=AuditAction.READ, contact_id=ready_contact.pk
    )
    assert {event.object_type for event in reads} >= {"contact", "agency_check"}


def test_the_decision_form_ticks_the_contacts_concerns(
    ready_contact: Contact, manager: User
) -> None:
    page = html(signed_in(manager).get(decision_url(ready_contact)))
    form = page.split('id="decision-form"')[1]
    assert 'value="16A" checked' in form
    assert 'value="4B" checked' in form
    assert 'value="1A" checked' not in form
    assert "already_open" not in form
    assert "The early help team will contact the family" in form  # next steps as the hint
    assert "Level 2: Additional needs (early help)" in form


def test_a_manager_records_a_decision_from_the_page(
    ready_contact: Contact, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decision_url(ready_contact), STEP_DOWN)
    assert response.status_code == 302
    assert response["Location"] == decision_url(ready_contact)

    decision = Decision.objects.get(contact=ready_contact)
    assert decision.outcome.code == "early_help"
    assert decision.level_of_need is not None and decision.level_of_need.number == 2
    assert decision.factor_codes == ["16A", "4B"]
    assert decision.decided_by == manager
    ready_contact.refresh_from_db()
    assert ready_contact.state == ContactState.HANDED_ON
    assert HandOn.objects.filter(contact=ready_contact, team="early_help").exists()

    page = html(client.get(decision_url(ready_contact)))
    assert "Decision recorded: Step down to early help." in page
    assert "Needs can be met by a family support worker." in page
    assert "Amend the decision" in page
    assert 'id="decision-form"' not in page


def test_missing_fields_are_shown_as_errors_and_nothing_is_saved(
    ready_contact: Contact, manager: User
) -> None:
    response = signed_in(manager).post(
        decision_url(ready_contact),
        {"outcome": "early_help", "rationale": "Typed before the error.", "factor_codes": []},
    )
    assert response.status_code == 400
    page = html(response)
    assert "There is a problem" in page
    assert "<title>Error:" in page
    for message in (
        "Select the level of need",
        "Select at least one assessment factor",
        "Select the primary need code",
        "Enter the team that will receive the case",
    ):
        assert page.count(message) == 2, message  # in the summary and by the field
    assert 'href="#id_level_of_need_0"' in page
    assert "Typed before the error." in page
    assert 'value="early_help" checked' in page
    assert not Decision.objects.exists()
    ready_contact.refresh_from_db()
    assert ready_contact.state == ContactState.AWAITING_DECISION


def test_it_explains_which_checks_are_outstanding(
    contact_with_checks: Contact, researchers: dict[str, User], manager: User
) -> None:
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact_with_checks, "police").pk,
        findings=not_known(contact_with_checks),
    )
    response = signed_in(manager).post(decision_url(contact_with_checks), STEP_DOWN)
    assert response.status_code == 409
    page = html(response)
    assert "Checks still outstanding from" in page
    outstanding = page.split('id="outstanding-checks"')[1].split("</div>")[0]
    for slug in ("health", "education"):
        check = check_for(contact_with_checks, slug)
        assert reverse("enquiries:check-waive", kwargs={"check_id": check.pk}) in outstanding
    assert "Police:" not in outstanding
    assert "Eastbridge early help hub" in page  # what was typed is kept
    assert not Decision.objects.exists()


def test_the_second_manager_is_told_who_decided_first(
    ready_contact: Contact, manager: User, second_manager: User
) -> None:
    decision_record(
        actor=Actor(user=second_manager),
        contact_id=ready_contact.pk,
        data=DecisionInput(
            level_of_need=3,
            outcome="assessment_s17",
            factor_codes=["16A"],
            primary_need="N1",
            rationale="Section 17 assessment needed.",
            receiving_team="Assessment team",
        ),
    )
    response = signed_in(manager).post(decision_url(ready_contact), STEP_DOWN)
    assert response.status_code == 409
    page = html(response)
    assert "has already been decided by Second_Manager Tester" in page
    assert "Your decision was not saved" in page
    assert Decision.objects.filter(contact=ready_contact).count() == 1


def test_an_amendment_keeps_the_original_visible(ready_contact: Contact, manager: User) -> None:
    client = signed_in(manager)
    client.post(decision_url(ready_contact), STEP_DOWN)
    original = Decision.objects.get(contact=ready_contact)
    amend_url = reverse("enquiries:decision-amend", kwargs={"reference": ready_contact.reference})

    missing = client.post(amend_url, {**STEP_DOWN, "decision_id": original.pk})
    assert missing.status_code == 400
    assert "Enter the reason for the amendment" in html(missing)

    response = client.post(
        amend_url,
        {
            **STEP_DOWN,
            "decision_id": original.pk,
            "level_of_need": "3",
            "outcome": "assessment_s17",
            "receiving_team": "Assessment team",
            "rationale": "New police information: a section 17 assessment is needed.",
            "amendment_reason": "Police shared a new incident after the decision.",
        },
    )
    assert response.status_code == 302
    amendment = Decision.objects.get(amends=original)
    assert amendment.outcome.code == "assessment_s17"

    page = html(client.get(decision_url(ready_contact)))
    assert page.index("Amended decision") < page.index("Original decision")
    assert "Police shared a new incident after the decision." in page
    assert "Needs can be met by a family support worker." in page  # the original
    assert "New police information" in page
    assert f'name="decision_id" value="{amendment.pk}"' in page


def test_an_amendment_of_a_decision_already_amended_is_refused(
    ready_contact: Contact, manager: User, second_manager: User
) -> None:
    client = signed_in(manager)
    client.post(decision_url(ready_contact), STEP_DOWN)
    original = Decision.objects.get(contact=ready_contact)
    decision_amend(
        actor=Actor(user=second_manager),
        decision_id=original.pk,
        data=DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale="Same, with a different team.",
            receiving_team="Westbridge early help hub",
        ),
        reason="Family moved to Westbridge.",
    )
    response = client.post(
        reverse("enquiries:decision-amend", kwargs={"reference": ready_contact.reference}),
        {**STEP_DOWN, "decision_id": original.pk, "amendment_reason": "Second thoughts."},
    )
    assert response.status_code == 409
    assert "already been amended" in html(response)
    assert Decision.objects.filter(contact=ready_contact).count() == 2


def test_a_screener_sees_the_page_but_cannot_decide(ready_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    page = html(client.get(decision_url(ready_contact)))
    assert POLICE_SUMMARY in page
    assert 'id="decision-form"' not in page
    assert "A MASH manager records the decision." in page
    assert client.post(decision_url(ready_contact), STEP_DOWN).status_code == 403
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    "persona", ["police_researcher", "early_help_coordinator", "school_referrer", "analyst"]
)
def test_no_one_outside_the_mash_sees_the_decision_page(
    persona: str, ready_contact: Contact, personas: dict[str, User]
) -> None:
    assert signed_in(personas[persona]).get(decision_url(ready_contact)).status_code == 403


@pytest.mark.parametrize("reference", ["MASH-2026-999999", "MASH%00X", "%F0%9F%98%80", "M" * 300])
def test_an_unknown_reference_is_not_found(manager: User, reference: str) -> None:
    client = signed_in(manager)
    assert client.get(f"/mash/contacts/{reference}/decision/").status_code == 404
    assert client.post(f"/mash/contacts/{reference}/decision/", STEP_DOWN).status_code == 404
    assert client.post(f"/mash/contacts/{reference}/decision/amend/", STEP_DOWN).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/mash/checks/99999999999999999999/waive/",
        "/mash/closure-proposals/99999999999999999999/agree/",
        "/mash/closure-proposals/0/decline/",
    ],
)
def test_an_unknown_id_is_not_found(manager: User, url: str) -> None:
    assert signed_in(manager).post(url, {"reason": "x"}).status_code == 404


def test_a_contact_being_screened_is_not_ready_for_a_decision(
    rated_contact: Contact, manager: User
) -> None:
    page = html(signed_in(manager).get(decision_url(rated_contact)))
    assert "is still being screened" in page
    assert 'id="decision-form"' not in page


# --- Waiving a check -------------------------------------------------------------------


def test_a_check_is_waived_from_the_decision_page(
    contact_with_checks: Contact, researchers: dict[str, User], manager: User
) -> None:
    for slug in ("police", "health"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact_with_checks, slug).pk,
            findings=not_known(contact_with_checks),
        )
    client = signed_in(manager)
    check = check_for(contact_with_checks, "education")
    page = html(client.get(decision_url(contact_with_checks)))
    waive_url = reverse("enquiries:check-waive", kwargs={"check_id": check.pk})
    assert waive_url in page

    empty = client.post(waive_url, {"reason": " ", "next": decision_url(contact_with_checks)})
    assert empty.status_code == 400
    assert "Enter why this check is no longer needed" in html(empty)

    response = client.post(
        waive_url, {"reason": EDUCATION_WAIVED, "next": decision_url(contact_with_checks)}
    )
    assert response.status_code == 302
    assert response["Location"] == decision_url(contact_with_checks)
    check.refresh_from_db()
    assert check.state == CheckState.WAIVED
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.AWAITING_DECISION

    again = client.post(waive_url, {"reason": EDUCATION_WAIVED})
    assert again.status_code == 409
    assert "already waived" in html(again)


def test_the_waive_page_never_redirects_off_the_site(
    contact_with_checks: Contact, screener: User
) -> None:
    check = check_for(contact_with_checks, "health")
    response = signed_in(screener).post(
        reverse("enquiries:check-waive", kwargs={"check_id": check.pk}),
        {"reason": "Not needed.", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == decision_url(contact_with_checks)


def test_a_researcher_cannot_waive_a_check(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    client = signed_in(researchers["police"])
    url = reverse("enquiries:check-waive", kwargs={"check_id": check.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Mine."}).status_code == 403
    check.refresh_from_db()
    assert check.state == CheckState.REQUESTED


# --- Closure proposals -----------------------------------------------------------------


@pytest.fixture
def proposal(rated_contact: Contact, screener: User) -> ClosureProposal:
    return closure_propose(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        outcome="nfa",
        rationale="Resolved by the school the same day.",
    )


def test_a_manager_agrees_to_close_at_screening(
    proposal: ClosureProposal, rated_contact: Contact, manager: User
) -> None:
    client = signed_in(manager)
    page = html(client.get(decision_url(rated_contact)))
    assert "Resolved by the school the same day." in page
    assert 'name="agree-level_of_need" type="radio" value="1" checked' in page

    url = reverse("enquiries:closure-agree", kwargs={"proposal_id": proposal.pk})
    missing = client.post(url, {"agree-level_of_need": "1"})
    assert missing.status_code == 400
    assert "Select the primary need code" in html(missing)
    assert not Decision.objects.exists()

    response = client.post(url, {"agree-level_of_need": "1", "agree-primary_need": "N9"})
    assert response.status_code == 302
    decision = Decision.objects.get(contact=rated_contact)
    assert decision.outcome.code == "nfa"
    assert decision.closure_proposal == proposal
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.CLOSED


def test_a_manager_declines_a_closure_with_a_reason(
    proposal: ClosureProposal, rated_contact: Contact, manager: User
) -> None:
    client = signed_in(manager)
    url = reverse("enquiries:closure-decline", kwargs={"proposal_id": proposal.pk})
    missing = client.post(url, {"decline-reason": ""})
    assert missing.status_code == 400
    assert "Enter why the contact should not be closed" in html(missing)

    response = client.post(url, {"decline-reason": "Ask police and health first."})
    assert response.status_code == 302
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.SCREENING
    page = html(client.get(decision_url(rated_contact)))
    assert "Ask police and health first." in page
    assert "Not agreed" in page

    again = client.post(url, {"decline-reason": "Twice."})
    assert again.status_code == 409
    assert "already been answered" in html(again)


def test_a_screener_cannot_answer_a_closure_proposal(
    proposal: ClosureProposal, screener: User
) -> None:
    client: Client = signed_in(screener)
    url = reverse("enquiries:closure-agree", kwargs={"proposal_id": proposal.pk})
    assert (
        client.post(url, {"agree-level_of_need": "1", "agree-primary_need": "N9"}).status_code
        == 403
    )
    assert not Decision.objects.exists()
