"""Each role's home page opens on the person's work (issue 16, item 1): counts of what
waits, each a link to the list it counts, and the most urgent item one click away."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactDraft
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import AgencyCheck, HandOn
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact
from tests.factories import a_submission

HOME = "/"


def _contact(referrer: User, *, immediate_risk: bool = False, minutes_ago: int = 30) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=submission,
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return contact


def _rated(contact: Contact, screener: User, rag: str) -> Contact:
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Seen.")
    contact.refresh_from_db()
    return contact


def tally(page: str, label: str) -> tuple[int, str]:
    """The count shown beside `label` and the address it links to."""
    found = re.search(
        r'<a class="govuk-link[^"]*" href="([^"]+)"><span class="app-tally__value">(\d+)</span>'
        rf'<span class="app-tally__label">{re.escape(label)}</span>',
        page,
    )
    assert found, f"no count labelled {label!r}"
    return int(found.group(2)), found.group(1).replace("&amp;", "&")


def most_urgent(page: str) -> str:
    found = re.search(r'Most urgent: <a class="govuk-link[^"]*" href="([^"]+)"', page)
    assert found, "no most urgent item"
    return found.group(1)


@pytest.mark.django_db
def test_a_screener_sees_open_work_by_urgency_and_the_most_urgent_contact_first(
    school_referrer: User, screener: User
) -> None:
    amber = _rated(_contact(school_referrer), screener, "amber")
    red = _rated(_contact(school_referrer), screener, "red")
    immediate = _contact(school_referrer, immediate_risk=True, minutes_ago=5)
    closed = _contact(school_referrer)
    Contact.objects.filter(pk=closed.pk).update(state=ContactState.CLOSED)

    page = signed_in(screener).get(HOME).content.decode()

    queue = reverse("enquiries:screening-queue")
    assert tally(page, "Open contacts") == (3, queue)
    assert tally(page, "Immediate risk") == (1, f"{queue}?immediate=on")
    assert tally(page, "Red") == (1, f"{queue}?rag=red")
    assert tally(page, "Amber") == (1, f"{queue}?rag=amber")
    assert tally(page, "Not rated yet") == (1, f"{queue}?rag=unrated")
    assert tally(page, "Unassigned") == (1, f"{queue}?assigned=unassigned")
    assert tally(page, "Assigned to you") == (2, f"{queue}?assigned=me")
    # A child at immediate risk comes before the red rating, as in the queue.
    assert most_urgent(page) == reverse("enquiries:screening", args=[immediate.reference])
    assert red.reference not in page and amber.reference not in page
    shown = AuditEvent.objects.filter(
        actor_user=screener, action=AuditAction.LIST, object_type="contact"
    )
    assert [event.contact_id for event in shown] == [immediate.pk]


@pytest.mark.django_db
def test_each_count_leads_to_a_queue_showing_exactly_what_it_counted(
    school_referrer: User, screener: User
) -> None:
    _rated(_contact(school_referrer), screener, "amber")
    immediate = _contact(school_referrer, immediate_risk=True)
    soon = _rated(_contact(school_referrer), screener, "red")
    Contact.objects.filter(pk=soon.pk).update(deadline_at=timezone.now() + timedelta(hours=1))
    client = signed_in(screener)
    page = client.get(HOME).content.decode()

    # The unrated immediate-risk contact's provisional deadline is within the hour too.
    for label, expected in (
        ("Immediate risk", {immediate.reference}),
        ("Due in the next 4 hours", {immediate.reference, soon.reference}),
    ):
        count, href = tally(page, label)
        queue = client.get(href).content.decode()
        assert count == len(expected)
        assert set(re.findall(r"MASH-\d{4}-\d+", queue)) == expected


@pytest.mark.django_db
def test_the_counts_cost_the_same_however_many_contacts_are_closed(
    school_referrer: User, screener: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _contact(school_referrer, immediate_risk=True)
    client = signed_in(screener)
    client.get(HOME)  # warm the session and the area's settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(HOME)
    for _ in range(30):
        Contact.objects.filter(pk=_contact(school_referrer).pk).update(state=ContactState.CLOSED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(HOME).content.decode()
    assert tally(page, "Open contacts")[0] == 1


@pytest.mark.django_db
def test_a_manager_also_sees_decisions_closures_and_unallocated_checks(
    school_referrer: User,
    screener: User,
    manager: User,
    partner_agencies: dict[str, Agency],
) -> None:
    contact = _rated(_contact(school_referrer), screener, "amber")
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        agency_ids=[partner_agencies["police"].pk, partner_agencies["health"].pk],
    )

    page = signed_in(manager).get(HOME).content.decode()

    assert tally(page, "Waiting for a decision")[0] == 0
    assert tally(page, "Agency checks not given to a researcher") == (
        2,
        f"{reverse('enquiries:check-allocation')}?assigned=unassigned",
    )
    # Something is waiting (two checks to give out): never "nothing is waiting" above it.
    assert "Nothing is waiting for a manager." not in page


@pytest.mark.django_db
def test_a_researcher_sees_only_their_own_agencys_checks_and_the_one_due_first(
    school_referrer: User,
    screener: User,
    partner_agencies: dict[str, Agency],
    researchers: dict[str, User],
) -> None:
    first = _rated(_contact(school_referrer), screener, "red")
    second = _rated(_contact(school_referrer), screener, "amber")
    for contact in (first, second):
        enquiry_open(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            agency_ids=[partner_agencies["police"].pk, partner_agencies["health"].pk],
        )
    police_checks = AgencyCheck.objects.filter(agency=partner_agencies["police"])
    police_checks.filter(contact=second).update(deadline_at=timezone.now() - timedelta(hours=1))

    page = signed_in(researchers["police"]).get(HOME).content.decode()

    assert tally(page, "Open checks") == (2, reverse("enquiries:check-queue"))
    assert tally(page, "Overdue")[0] == 1
    overdue_check = police_checks.get(contact=second)
    assert most_urgent(page) == reverse("enquiries:check", args=[overdue_check.pk])
    assert "Checks asked of" in page


@pytest.mark.django_db
def test_early_help_sees_the_cases_waiting_for_an_answer(
    school_referrer: User,
    screener: User,
    manager: User,
    early_help_coordinator: User,
) -> None:
    hand_on = decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    HandOn.objects.filter(pk=hand_on.pk).update(deadline_at=timezone.now() - timedelta(hours=2))

    page = signed_in(early_help_coordinator).get(HOME).content.decode()

    assert tally(page, "Waiting for an answer")[0] == 1
    assert tally(page, "Overdue")[0] == 1
    assert most_urgent(page) == reverse("enquiries:hand-on", args=[hand_on.pk])


@pytest.mark.django_db
def test_a_referrer_is_pointed_at_their_unsent_draft(
    school_referrer: User, other_school_referrer: User
) -> None:
    _contact(school_referrer)
    _contact(other_school_referrer)
    ContactDraft.objects.create(owner=school_referrer, data={"concerns": "Started"})

    page = signed_in(school_referrer).get(HOME).content.decode()

    assert tally(page, "With the MASH now")[0] == 1
    assert most_urgent(page) == reverse("contacts:create")
    assert "Your unsent contact" in page


@pytest.mark.django_db
def test_an_analyst_and_an_auditor_get_their_tools(analyst: User, auditor: User) -> None:
    analyst_page = signed_in(analyst).get(HOME).content.decode()
    auditor_page = signed_in(auditor).get(HOME).content.decode()

    assert "Your tools" in analyst_page
    assert f'href="{reverse("metrics:dashboard")}"' in analyst_page
    assert f'href="{reverse("core:audit-integrity")}"' in auditor_page
    assert "app-tally" not in analyst_page + auditor_page
