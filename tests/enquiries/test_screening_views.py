"""The screening queue and a contact's screening page, as a screener uses them."""

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import AgencyCheck, ClosureProposal, Decision, RagRating
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.decisions import closure_agree
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_take,
)
from openmash.linkage.same_child import contact_people_same_child
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_submission

MakeContact = Callable[..., Contact]


@pytest.fixture
def make_contact(school_referrer: User) -> MakeContact:
    """A contact through the real intake service; keyword arguments change the child."""

    def make(
        *,
        immediate_risk: bool = False,
        received_days_ago: int = 0,
        **child: Any,
    ) -> Contact:
        submission = a_submission(people=[a_child(**child), a_parent()])
        submission.concerns.immediate_risk = immediate_risk
        if received_days_ago:
            submission.received_at = timezone.now() - timedelta(days=received_days_ago)
            submission.received_at_reason = "Voicemail picked up after the weekend."
        contact, _ = contact_create(actor=Actor(user=school_referrer), submission=submission)
        return contact

    return make


def _screening(contact: Contact) -> str:
    return reverse("enquiries:screening", kwargs={"reference": contact.reference})


def _action(name: str, contact: Contact) -> str:
    return reverse(f"enquiries:screening-{name}", kwargs={"reference": contact.reference})


def _queue_references(client: Client, query: str = "") -> list[str]:
    response = client.get(reverse("enquiries:screening-queue") + query)
    assert response.status_code == 200
    return [row.reference for row in response.context["rows"]]


def _take_and_rate(contact: Contact, user: User, rag: str = "amber") -> Contact:
    contact_take(actor=Actor(user=user), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=user), contact_id=contact.pk, rag=rag, rationale="Seen at school."
    )
    contact.refresh_from_db()
    return contact


def _pass_to_worker(contact: Contact, user: User, worker: str = "Sam Patel") -> None:
    contact_take(actor=Actor(user=user), contact_id=contact.pk)
    contact_pass_to_allocated_worker(
        actor=Actor(user=user),
        contact_id=contact.pk,
        allocated_worker=worker,
        rationale="Open to the children in need team.",
    )


# --- The queue ---------------------------------------------------------------------------


def test_it_lists_immediate_risk_first_then_the_nearest_deadline(
    make_contact: MakeContact, screener: User
) -> None:
    amber = make_contact()
    red = make_contact(immediate_risk=True)
    overdue = make_contact(received_days_ago=3)
    green = _take_and_rate(make_contact(), screener, rag="green")
    gone = make_contact()
    _pass_to_worker(gone, screener)

    references = _queue_references(signed_in(screener))

    # Urgent first (issue 12): the immediate-risk contact before even an overdue one.
    assert references == [red.reference, overdue.reference, amber.reference, green.reference]


def test_it_filters_by_state_rating_overdue_and_screener(
    make_contact: MakeContact, screener: User, second_screener: User
) -> None:
    unrated = make_contact()
    overdue = make_contact(received_days_ago=3)
    mine = _take_and_rate(make_contact(), screener, rag="red")
    theirs = _take_and_rate(make_contact(), second_screener, rag="green")
    client = signed_in(screener)

    assert set(_queue_references(client, "?rag=unrated")) == {unrated.reference, overdue.reference}
    assert _queue_references(client, "?rag=red&rag=green") == [mine.reference, theirs.reference]
    assert _queue_references(client, "?overdue=on") == [overdue.reference]
    assert _queue_references(client, "?assigned=me") == [mine.reference]
    assert _queue_references(client, f"?assigned={second_screener.pk}") == [theirs.reference]
    assert set(_queue_references(client, "?assigned=unassigned")) == {
        unrated.reference,
        overdue.reference,
    }
    assert set(_queue_references(client, "?state=screening")) == {
        mine.reference,
        theirs.reference,
    }
    assert _queue_references(client, "?state=received&rag=red") == []


def test_it_keeps_the_filters_in_the_pagination_links(
    make_contact: MakeContact, screener: User
) -> None:
    for _ in range(51):
        make_contact()

    response = signed_in(screener).get(reverse("enquiries:screening-queue") + "?rag=unrated")

    html = response.content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?rag=unrated&amp;page=2"' in html
    second = signed_in(screener).get(reverse("enquiries:screening-queue") + "?rag=unrated&page=2")
    assert len(second.context["rows"]) == 1


def test_it_shows_overdue_contacts_and_counts_them(
    make_contact: MakeContact, screener: User
) -> None:
    overdue = make_contact(received_days_ago=3)
    make_contact()

    response = signed_in(screener).get(reverse("enquiries:screening-queue"))

    html = response.content.decode()
    assert response.context["queue"].open_count == 2
    assert response.context["queue"].overdue_count == 1
    assert re.search(r'govuk-tag--red">Overdue by 2 days( \d+ hours?)?</strong>', html)
    assert "Provisional deadline" in html
    assert '<strong class="govuk-tag govuk-tag--grey">Not rated</strong>' in html
    assert "Amy Smith (8 years)" in html or "Amy Smith (7 years)" in html
    assert "2A School" in html
    assert overdue.reference in html


def test_it_records_every_contact_listed(make_contact: MakeContact, screener: User) -> None:
    contacts = [make_contact(), make_contact()]

    signed_in(screener).get(reverse("enquiries:screening-queue"))

    listed = AuditEvent.objects.filter(actor_user=screener, action=AuditAction.LIST)
    assert sorted(event.contact_id for event in listed) == sorted(c.pk for c in contacts)


def test_it_keeps_the_queue_from_people_outside_the_mash(
    personas: dict[str, User], new_contact: Contact
) -> None:
    for name in ("police_researcher", "school_referrer", "analyst", "early_help_coordinator"):
        client = signed_in(personas[name])
        assert client.get(reverse("enquiries:screening-queue")).status_code == 403
        assert client.get(_screening(new_contact)).status_code == 403
        assert client.post(_action("take", new_contact)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.READ).exists()


# --- Taking and releasing ----------------------------------------------------------------


def test_it_tells_the_second_screener_who_took_the_contact_first(
    new_contact: Contact, screener: User, second_screener: User
) -> None:
    first, second = signed_in(screener), signed_in(second_screener)
    assert "Take this contact for screening" in first.get(_screening(new_contact)).content.decode()
    assert "Take this contact for screening" in second.get(_screening(new_contact)).content.decode()

    taken = first.post(_action("take", new_contact))
    late = second.post(_action("take", new_contact))

    assert taken.status_code == 302
    assert late.status_code == 409
    html = late.content.decode()
    assert "There is a problem" in html
    assert f"{new_contact.reference} has already been taken by Screener Tester." in html
    new_contact.refresh_from_db()
    assert new_contact.assigned_to == screener
    banner = first.get(taken["Location"]).content.decode()
    assert f"You have taken {new_contact.reference} for screening." in banner
    assert "govuk-notification-banner--success" in banner


def test_it_releases_a_contact_back_to_the_queue(new_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(_action("release", new_contact), follow=True)

    new_contact.refresh_from_db()
    assert new_contact.state == ContactState.RECEIVED
    assert new_contact.assigned_to is None
    assert "is back in the screening queue" in response.content.decode()


def test_it_explains_why_another_screener_cannot_release_it(
    new_contact: Contact, screener: User, second_screener: User
) -> None:
    signed_in(screener).post(_action("take", new_contact))

    response = signed_in(second_screener).post(_action("release", new_contact))

    assert response.status_code == 403
    assert "being screened by someone else" in response.content.decode()
    new_contact.refresh_from_db()
    assert new_contact.assigned_to == screener


def test_it_offers_the_screening_work_only_to_the_screener_who_took_it_or_a_manager(
    rated_contact: Contact, second_screener: User, manager: User
) -> None:
    other = signed_in(second_screener).get(_screening(rated_contact))
    managing = signed_in(manager).get(_screening(rated_contact))

    assert other.context["actions"].any is False
    assert "Screener Tester is screening this contact." in other.content.decode()
    assert managing.context["actions"].rate is True
    assert managing.context["actions"].open_enquiry is True


# --- Rating ------------------------------------------------------------------------------


def test_it_shows_the_rating_timescales_as_hints(new_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    html = client.get(_screening(new_contact)).content.decode()

    assert "Rate the contact" in html
    assert "Decision within 4 hours of the contact being received" in html
    assert "agency checks within 2 hours of being asked" in html


def test_it_shows_the_field_error_and_saves_nothing_without_a_rationale(
    new_contact: Contact, screener: User
) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(_action("rate", new_contact), {"rate-rag": "red", "rate-rationale": " "})

    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_rate-rationale">Enter the rationale for the rating</a>' in html
    assert 'id="id_rate-rationale-error"' in html
    assert re.search(r'value="red" checked', html)
    assert not RagRating.objects.exists()
    new_contact.refresh_from_db()
    assert new_contact.rag_level is None


def test_it_asks_for_a_rating(new_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(_action("rate", new_contact), {"rate-rationale": "Bruising on the arm."})

    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_rate-rag_0">Select a RAG rating</a>' in html
    assert "Bruising on the arm." in html


def test_it_rates_a_contact(new_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(
        _action("rate", new_contact),
        {"rate-rag": "red", "rate-rationale": "Bruising on the arm."},
        follow=True,
    )

    html = response.content.decode()
    assert "Rated red: the decision on" in html
    new_contact.refresh_from_db()
    assert new_contact.rag_level is not None and new_contact.rag_level.code == "red"


def test_it_keeps_the_rag_history_on_the_page_after_a_regrade(
    rated_contact: Contact, screener: User
) -> None:
    client = signed_in(screener)
    page = client.get(_screening(rated_contact)).content.decode()
    assert "Change the RAG rating" in page
    assert "Reason for the change" in page

    response = client.post(
        _action("rate", rated_contact),
        {"rate-rag": "red", "rate-rationale": "Police report a second incident last night."},
        follow=True,
    )

    html = response.content.decode()
    assert "RAG rating changed to red" in html
    assert "Police report a second incident last night." in html
    assert "Bruising seen twice this term; no immediate risk." in html
    assert html.index("Police report a second incident") < html.index("Bruising seen twice")
    assert "Re-grade" in html and "First rating" in html
    assert RagRating.objects.filter(contact=rated_contact).count() == 2


def test_it_refuses_to_rate_a_contact_nobody_has_taken(new_contact: Contact, manager: User) -> None:
    response = signed_in(manager).post(
        _action("rate", new_contact), {"rate-rag": "red", "rate-rationale": "Urgent."}
    )

    assert response.status_code == 409
    assert "take it for screening before rating it" in response.content.decode()
    assert not RagRating.objects.exists()


# --- Enquiry, closure, allocated worker ----------------------------------------------------


def test_it_pre_ticks_the_agencies_the_rating_usually_asks(
    rated_contact: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> None:
    response = signed_in(screener).get(_screening(rated_contact))

    form = response.context["enquiry_form"]
    ticked = {int(pk) for pk in form["agencies"].value()}
    assert ticked == {partner_agencies[slug].pk for slug in ("police", "health", "education")}
    html = response.content.decode()
    assert re.search(
        rf'value="{partner_agencies["police"].pk}" checked>\s*<label[^>]*>Police<', html
    )
    assert re.search(rf'value="{partner_agencies["probation"].pk}">', html)
    assert "Children&#x27;s Social Care" not in html.split('id="enquiry"')[1].split("</section>")[0]


def test_it_opens_an_enquiry_with_the_agencies_chosen(
    rated_contact: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> None:
    client = signed_in(screener)
    chosen = [partner_agencies[slug].pk for slug in ("police", "probation")]

    response = client.post(
        _action("open-enquiry", rated_contact), {"enquiry-agencies": chosen}, follow=True
    )

    html = response.content.decode()
    assert "Police and Probation Service asked to check their records." in html
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.CHECKS_IN_PROGRESS
    assert set(AgencyCheck.objects.values_list("agency_id", flat=True)) == set(chosen)
    assert "Ask more agencies to check" in html
    assert response.context["actions"].open_enquiry is False


def test_it_asks_more_agencies_once_an_enquiry_is_open(
    contact_with_checks: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> None:
    client = signed_in(screener)
    empty = client.post(_action("request-more-checks", contact_with_checks), {})
    assert empty.status_code == 400
    assert "Select at least one agency to ask" in empty.content.decode()

    response = client.post(
        _action("request-more-checks", contact_with_checks),
        {"more-checks-agencies": [partner_agencies["probation"].pk]},
        follow=True,
    )

    assert "Probation Service asked to check their records." in response.content.decode()
    assert AgencyCheck.objects.filter(contact=contact_with_checks).count() == 4


def test_it_lists_the_checks_without_their_findings(
    contact_with_checks: Contact, screener: User, researchers: dict[str, User]
) -> None:
    check = AgencyCheck.objects.get(contact=contact_with_checks, agency__slug="police")
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check.pk,
        findings=[
            FindingInput(
                person_id=person.pk,
                known=True,
                summary="Domestic abuse callout in March.",
                lawful_basis="public_task_safeguarding",
            )
            for person in contact_with_checks.people.all()
        ],
    )

    html = signed_in(screener).get(_screening(contact_with_checks)).content.decode()

    assert "Completed at" in html
    assert html.count('govuk-tag--blue">Requested<') == 2
    assert "Domestic abuse callout" not in html


def test_it_proposes_closure_for_a_manager_to_agree(rated_contact: Contact, screener: User) -> None:
    client = signed_in(screener)
    page = client.get(_screening(rated_contact)).content.decode()
    assert "A MASH manager must agree before the contact is closed" in page

    missing = client.post(_action("propose-closure", rated_contact), {"closure-outcome": "nfa"})
    assert missing.status_code == 400
    assert "Enter why the contact can be closed" in missing.content.decode()

    response = client.post(
        _action("propose-closure", rated_contact),
        {"closure-outcome": "nfa", "closure-rationale": "School is already supporting the family."},
        follow=True,
    )

    html = response.content.decode()
    assert "Closure proposed (no further action). A MASH manager must agree" in html
    proposal = ClosureProposal.objects.get(contact=rated_contact)
    assert proposal.outcome.code == "nfa"
    rated_contact.refresh_from_db()
    assert rated_contact.state == ContactState.AWAITING_DECISION
    assert "Awaiting a manager" in html
    assert response.context["actions"].request_more_checks is False


def test_it_passes_to_the_allocated_worker_it_found(
    make_contact: MakeContact, screener: User
) -> None:
    earlier = make_contact()
    _pass_to_worker(earlier, screener, worker="Sam Patel")
    contact = make_contact()
    client = signed_in(screener)
    client.post(_action("take", contact))

    page = client.get(_screening(contact))

    html = page.content.decode()
    assert "govuk-warning-text" in html
    assert "Amy Smith has an allocated worker: Sam Patel" in html
    assert page.context["worker_form"]["allocated_worker"].value() == "Sam Patel"

    response = client.post(
        _action("pass-to-worker", contact),
        {"worker-allocated_worker": "Sam Patel", "worker-rationale": "Sam knows the family."},
        follow=True,
    )

    assert "passed to Sam Patel, the child&#x27;s allocated worker" in response.content.decode()
    contact.refresh_from_db()
    assert contact.state == ContactState.HANDED_ON
    decision = Decision.objects.get(contact=contact)
    assert decision.receiving_team == "Sam Patel"


def test_it_keeps_what_was_typed_when_passing_on_fails(
    new_contact: Contact, screener: User
) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(
        _action("pass-to-worker", new_contact),
        {"worker-allocated_worker": "", "worker-rationale": "Known to the CIN team."},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<a href="#id_worker-allocated_worker">Enter the allocated worker&#x27;s name</a>' in html
    )
    assert "Known to the CIN team." in html
    assert not Decision.objects.exists()


def test_it_does_not_offer_a_worker_whose_case_a_later_decision_closed(
    make_contact: MakeContact, screener: User, manager: User
) -> None:
    _pass_to_worker(make_contact(), screener, worker="Sam Patel")
    later = _take_and_rate(make_contact(), screener)
    proposal = closure_propose(
        actor=Actor(user=screener), contact_id=later.pk, outcome="nfa", rationale="All well."
    )
    closure_agree(
        actor=Actor(user=manager), proposal_id=proposal.pk, level_of_need=1, primary_need="N9"
    )
    contact = make_contact()

    html = signed_in(screener).get(_screening(contact)).content.decode()

    assert "has an allocated worker" not in html
    assert "No further action" in html
    assert "Already open: passed to the allocated worker" in html


# --- What OpenMASH already knows ---------------------------------------------------------


def test_it_finds_the_same_child_by_nhs_number(make_contact: MakeContact, screener: User) -> None:
    earlier = make_contact(given_names="Amelia", family_name="Smith-Jones")
    stranger = make_contact(given_names="Ben", nhs_number="9000000009")
    contact = make_contact()

    response = signed_in(screener).get(_screening(contact))

    html = response.content.decode()
    assert "What OpenMASH already knows about these children" in html
    assert earlier.reference in html
    assert "Amelia Smith-Jones" in html
    assert stranger.reference not in html
    assert "1 other contact about this child is still open in the MASH." in html


def test_it_finds_the_same_child_by_name_and_date_of_birth_ignoring_case(
    make_contact: MakeContact, screener: User
) -> None:
    born = date.today() - timedelta(days=2000)
    earlier = make_contact(
        given_names="AMY", family_name="smith", date_of_birth=born, nhs_number=""
    )
    sibling = make_contact(
        given_names="Amy",
        family_name="Smith",
        date_of_birth=born - timedelta(days=700),
        nhs_number="",
    )
    contact = make_contact(
        given_names="Amy", family_name="Smith", date_of_birth=born, nhs_number=""
    )

    html = signed_in(screener).get(_screening(contact)).content.decode()

    assert earlier.reference in html
    assert sibling.reference not in html


def test_it_finds_the_same_child_by_upn_in_two_queries(
    make_contact: MakeContact, django_assert_num_queries: Any
) -> None:
    earlier = make_contact(given_names="Amelia", nhs_number="", upn="H801200001001")
    contact = make_contact(nhs_number="", upn="H801200001001")
    child = contact.people.get(position=0)

    # One for the records a screener linked to this child, one for its identifier
    # conflicts, one for the records.
    with django_assert_num_queries(3):
        found = list(contact_people_same_child(child))

    assert [record.contact.reference for record in found] == [earlier.reference]


def test_it_records_the_reads_of_the_contact_and_the_contacts_about_the_same_child(
    make_contact: MakeContact, screener: User
) -> None:
    earlier = make_contact()
    contact = make_contact()

    signed_in(screener).get(_screening(contact))

    events = AuditEvent.objects.filter(actor_user=screener)
    read = events.get(action=AuditAction.READ)
    assert read.contact_id == contact.pk and read.object_type == "contact"
    listed = events.get(action=AuditAction.LIST)
    assert listed.contact_id == earlier.pk
    assert listed.detail["shown_with"] == contact.reference


def test_it_gives_404_for_a_contact_that_does_not_exist(screener: User) -> None:
    client = signed_in(screener)
    assert client.get("/mash/contacts/MASH-2026-999999/").status_code == 404
    assert client.post("/mash/contacts/MASH-2026-999999/take/").status_code == 404


def test_it_refuses_a_worker_name_longer_than_the_record_holds(
    new_contact: Contact, screener: User
) -> None:
    client = signed_in(screener)
    client.post(_action("take", new_contact))

    response = client.post(
        _action("pass-to-worker", new_contact),
        {"worker-allocated_worker": "S" * 201, "worker-rationale": "Known to the CIN team."},
    )

    assert response.status_code == 400
    assert "Enter 200 characters or fewer" in response.content.decode()
    assert not Decision.objects.exists()
