"""The referrer's view stays current (issue 12, item 4): once the MASH hands a case on,
the referrer's page and the API say whether the team accepted it (and who their named
contact is), or returned it to the MASH, or that the MASH closed it."""

from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries.models import HandOn
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.hand_ons import hand_on_return
from openmash.enquiries.services.screening import enquiry_open
from tests.conftest import signed_in
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact

WORKER = "Sam Patel"
WORKER_CONTACT = "01234 567890"


@pytest.fixture
def hand_on(school_referrer: User, screener: User, manager: User) -> HandOn:
    return decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)


def referrer_page(referrer: User, contact: Contact) -> str:
    response = signed_in(referrer).get(
        reverse("contacts:detail", kwargs={"reference": contact.reference})
    )
    assert response.status_code == 200
    return response.content.decode()


def api_outcome(agencies: dict[str, Agency], contact: Contact) -> dict[str, Any]:
    _, secret = api_token_issue(agency=agencies["riverside"], name="School MIS", issued_by="t")
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get(
        f"/api/v1/contacts/{contact.pk}/outcome"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_while_the_team_has_not_answered_the_referrer_is_told_it_waits_for_them(
    hand_on: HandOn, school_referrer: User, agencies: dict[str, Agency]
) -> None:
    page = referrer_page(school_referrer, hand_on.contact)
    assert "Decided, and passed to early help: waiting for them to accept it" in page
    assert "Named contact" not in page
    body = api_outcome(agencies, hand_on.contact)
    assert body["hand_on_state"] == "pending"
    assert body["receiving_team"] == "Early help"
    assert body["named_contact"] is None


def test_once_accepted_the_referrer_sees_the_named_contact(
    hand_on: HandOn,
    school_referrer: User,
    early_help_coordinator: User,
    agencies: dict[str, Agency],
) -> None:
    client = signed_in(early_help_coordinator)
    response = client.post(
        reverse("enquiries:hand-on-accept", kwargs={"hand_on_id": hand_on.pk}),
        {"accept-allocated_worker": WORKER, "accept-worker_contact": WORKER_CONTACT},
    )
    assert response.status_code == 302
    hand_on.refresh_from_db()
    assert (hand_on.allocated_worker, hand_on.worker_contact) == (WORKER, WORKER_CONTACT)

    page = referrer_page(school_referrer, hand_on.contact)
    assert "Accepted by early help at" in page
    assert "passed to the team that will act" not in page
    assert f"{WORKER}, {WORKER_CONTACT}" in page
    listing = signed_in(school_referrer).get(reverse("contacts:submitted")).content.decode()
    assert "Accepted by early help at" in listing
    body = api_outcome(agencies, hand_on.contact)
    assert body["hand_on_state"] == "accepted"
    assert body["named_contact"] == WORKER
    assert body["named_contact_details"] == WORKER_CONTACT
    assert body["responded_at"]
    # Still nothing of the MASH's working.
    assert "rationale" not in body and STEP_DOWN_INPUT.rationale not in str(body)


def test_a_worker_contact_too_long_is_a_field_error(
    hand_on: HandOn, early_help_coordinator: User
) -> None:
    response = signed_in(early_help_coordinator).post(
        reverse("enquiries:hand-on-accept", kwargs={"hand_on_id": hand_on.pk}),
        {"accept-worker_contact": "x" * 201},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter 200 characters or fewer" in page
    assert 'href="#id_accept-worker_contact"' in page


def test_a_returned_case_is_being_reviewed_by_the_mash(
    hand_on: HandOn,
    school_referrer: User,
    early_help_coordinator: User,
    agencies: dict[str, Agency],
) -> None:
    hand_on_return(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        reason="The family has moved out of the area.",
    )
    page = referrer_page(school_referrer, hand_on.contact)
    assert "The MASH is reviewing its decision" in page
    assert "The family has moved out of the area." not in page
    body = api_outcome(agencies, hand_on.contact)
    assert body["hand_on_state"] == "returned"
    assert body["named_contact"] is None


def test_a_contact_the_mash_closed_says_so(
    rated_contact: Contact,
    screener: User,
    manager: User,
    school_referrer: User,
    agencies: dict[str, Agency],
) -> None:
    enquiry_open(actor=Actor(user=screener), contact_id=rated_contact.pk, agency_ids=[])
    decision_record(
        actor=Actor(user=manager),
        contact_id=rated_contact.pk,
        data=replace(STEP_DOWN_INPUT, outcome="nfa", level_of_need=1, receiving_team=""),
    )
    page = referrer_page(school_referrer, rated_contact)
    assert "Decided, and closed by the MASH" in page
    body = api_outcome(agencies, rated_contact)
    assert body["state"] == "closed"
    assert body["hand_on_state"] is None and body["named_contact"] is None
