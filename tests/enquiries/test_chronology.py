"""A child's chronology: every contact about the child, newest first, with the MASH's work
on each as the viewer may see it (the fire wall), an early warning when contacts pile up,
and every contact shown recorded as read."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.models import HandOn
from openmash.enquiries.selectors.chronology import a_year_before
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, decision_amend, decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for
from tests.factories import a_child, a_parent, a_submission

POLICE_FOUND = "Police attended a domestic incident at the home in May."
POLICE_RESTRICTED = "The informant is the neighbour at number 3."
HEALTH_FOUND = "Missed three health visitor appointments since March."
RATING_RATIONALE = "Hungry most mornings; mother unwell."
REGRADE_REASON = "School now reports bruising on the arm."
DECISION_RATIONALE = "Police and health history shows a pattern of neglect."
STEP_DOWN = DecisionInput(
    level_of_need=2,
    outcome="early_help",
    factor_codes=["16A"],
    primary_need="N4",
    rationale=DECISION_RATIONALE,
    receiving_team="Eastbridge early help hub",
)


def chronology_url(person: ContactPerson) -> str:
    return reverse("enquiries:child-chronology", kwargs={"person_id": person.pk})


def child_in(contact: Contact) -> ContactPerson:
    return contact.people.get(role=PersonRole.SUBJECT_CHILD)


@pytest.fixture
def contact_about_amy(school_referrer: User) -> Callable[..., Contact]:
    def make(days_ago: float = 0, **overrides: Any) -> Contact:
        contact, _ = contact_create(
            actor=Actor(user=school_referrer),
            submission=a_submission(**overrides),
            now=timezone.now() - timedelta(days=days_ago),
        )
        return contact

    return make


@pytest.fixture
def worked_contact(
    contact_about_amy: Callable[..., Contact],
    screener: User,
    manager: User,
    researchers: dict[str, User],
    early_help_coordinator: User,
    agencies: dict[str, Agency],
) -> Contact:
    """Amy's contact from five days ago, taken through the whole MASH: rated, re-graded,
    checked by police (known, with restricted information) and health (known), education
    waived, decided as early help, handed on and accepted."""
    contact = contact_about_amy(days_ago=5)
    start = contact.received_at
    screening = Actor(user=screener)

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    contact_take(actor=screening, contact_id=contact.pk, now=at(0.5))
    contact_rate(
        actor=screening, contact_id=contact.pk, rag="amber", rationale=RATING_RATIONALE, now=at(1)
    )
    contact_rate(
        actor=screening, contact_id=contact.pk, rag="red", rationale=REGRADE_REASON, now=at(1.5)
    )
    enquiry_open(
        actor=screening,
        contact_id=contact.pk,
        agency_ids=[agencies[slug].pk for slug in ("police", "health", "education")],
        now=at(2),
    )
    amy, mum = list(contact.people.order_by("position"))
    for slug, summary, restricted in (
        ("police", POLICE_FOUND, POLICE_RESTRICTED),
        ("health", HEALTH_FOUND, ""),
    ):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact, slug).pk,
            findings=[
                FindingInput(
                    person_id=amy.pk,
                    known=True,
                    summary=summary,
                    lawful_basis="public_task_safeguarding",
                    restricted_information=restricted,
                ),
                FindingInput(
                    person_id=mum.pk, known=False, lawful_basis="public_task_safeguarding"
                ),
            ],
            now=at(3),
        )
    check_waive(
        actor=screening,
        check_id=check_for(contact, "education").pk,
        reason="The school is the referrer and has said what it knows.",
        now=at(3.5),
    )
    decision_record(actor=Actor(user=manager), contact_id=contact.pk, data=STEP_DOWN, now=at(4))
    hand_on = HandOn.objects.get(contact=contact)
    hand_on_accept(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        allocated_worker="Sam Patel",
        now=at(20),
    )
    contact.refresh_from_db()
    return contact


def timeline(page_html: str) -> list[str]:
    """The titles of the timeline's items, in order."""
    titles = re.findall(r'<h3 class="moj-timeline__title">(.*?)</h3>', page_html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", title)).split()) for title in titles]


def page(user: User, person: ContactPerson) -> str:
    response = signed_in(user).get(chronology_url(person))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- What the MASH sees -----------------------------------------------------------------


def test_it_shows_every_contact_about_the_child_newest_first(
    contact_about_amy: Callable[..., Contact], screener: User
) -> None:
    oldest = contact_about_amy(days_ago=300)
    middle = contact_about_amy(days_ago=200)
    newest = contact_about_amy(days_ago=1)
    # Another child at the same address is not Amy.
    contact_about_amy(
        days_ago=2,
        people=[a_child(given_names="Ben", nhs_number="", date_of_birth=None, estimated_age=4)],
    )

    html = page(screener, child_in(middle))

    references = re.findall(r"Contact (?:<a [^>]*>)?(MASH-\d{4}-\d{6})", html)
    assert references == [newest.reference, middle.reference, oldest.reference]
    assert timeline(html) == ["Contact received"] * 3
    assert '<div class="moj-timeline">' in html
    assert "moj-timeline__date" in html and "moj-timeline__byline" in html
    assert "Amy Smith" in html
    assert "3 contacts" in html  # in the last 12 months
    assert "16A Neglect" in html
    assert "by Riverside Primary School (2A School)" in html


def test_it_shows_the_whole_history_of_a_contact_to_the_mash(
    worked_contact: Contact, manager: User
) -> None:
    html = page(manager, child_in(worked_contact))

    assert timeline(html) == [
        "Accepted by Early help",
        "Handed on to Early help",
        "Decision: Step down to early help",
        "Education Safeguarding check waived",
        "Health check completed",
        "Police check completed",
        "Agency checks requested: Education Safeguarding, Health, Police",
        "Re-graded Red",
        "Rated Amber",
        "Contact received",
    ]
    for text in (
        RATING_RATIONALE,
        REGRADE_REASON,
        POLICE_FOUND,
        POLICE_RESTRICTED,
        HEALTH_FOUND,
        DECISION_RATIONALE,
        "The school is the referrer",
        "Level 2: Additional needs (early help)",
        "Sam Patel",
        "Not to be disclosed outside the MASH",
        "govuk-tag--red",
        "govuk-tag--orange",
    ):
        assert text in html, text
    # Links to the contact for those who may open it.
    assert f'href="/contacts/{worked_contact.reference}/"' in html


def test_it_shows_amendments_and_returned_hand_ons(
    worked_contact: Contact,
    contact_about_amy: Callable[..., Contact],
    screener: User,
    manager: User,
    early_help_coordinator: User,
) -> None:
    contact = contact_about_amy(days_ago=2)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag="green", rationale="Low level."
    )
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    decision = decision_record(actor=Actor(user=manager), contact_id=contact.pk, data=STEP_DOWN)
    hand_on = HandOn.objects.get(decision=decision)
    hand_on_return(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        reason="The family already has a social worker.",
    )
    decision_amend(
        actor=Actor(user=manager),
        decision_id=decision.pk,
        data=DecisionInput(
            level_of_need=3,
            outcome="assessment_s17",
            factor_codes=["16A"],
            primary_need="N1",
            rationale="Needs assessment.",
            receiving_team="Assessment team",
        ),
        reason="Returned by early help: needs social care.",
    )

    html = page(screener, child_in(worked_contact))

    titles = timeline(html)
    assert "Returned to the MASH by Early help" in titles
    assert "Decision amended: Children's social care assessment (section 17)" in titles
    assert "The family already has a social worker." in html
    assert "Returned by early help: needs social care." in html


# --- The fire wall ----------------------------------------------------------------------


def test_a_researcher_sees_only_their_own_agency_s_findings(
    worked_contact: Contact, researchers: dict[str, User]
) -> None:
    html = page(researchers["police"], child_in(worked_contact))

    assert POLICE_FOUND in html
    assert POLICE_RESTRICTED in html
    assert "Health check completed" in timeline(html)
    assert HEALTH_FOUND not in html
    assert "What Health found is seen only by the MASH." in html
    # The MASH's reasons can repeat what other agencies found.
    for text in (RATING_RATIONALE, REGRADE_REASON, DECISION_RATIONALE, "The school is the"):
        assert text not in html, text
    assert f'href="/contacts/{worked_contact.reference}/"' not in html


def test_another_researcher_sees_theirs_and_not_the_police_s(
    worked_contact: Contact, researchers: dict[str, User]
) -> None:
    html = page(researchers["health"], child_in(worked_contact))
    assert HEALTH_FOUND in html
    assert POLICE_FOUND not in html
    assert POLICE_RESTRICTED not in html


def test_the_early_help_coordinator_sees_no_findings(
    worked_contact: Contact, early_help_coordinator: User
) -> None:
    html = page(early_help_coordinator, child_in(worked_contact))

    assert timeline(html) == [
        "Accepted by Early help",
        "Handed on to Early help",
        "Decision: Step down to early help",
        "Contact received",
    ]
    for text in (POLICE_FOUND, POLICE_RESTRICTED, HEALTH_FOUND, DECISION_RATIONALE, "check"):
        assert text not in html, text
    assert "Level 2: Additional needs (early help)" in html


def test_a_researcher_whose_agency_was_never_asked_gets_not_found(
    worked_contact: Contact, researchers: dict[str, User]
) -> None:
    response = signed_in(researchers["probation"]).get(chronology_url(child_in(worked_contact)))
    assert response.status_code == 404


def test_early_help_gets_not_found_for_a_child_never_handed_to_it(
    contact_about_amy: Callable[..., Contact], early_help_coordinator: User
) -> None:
    contact = contact_about_amy()
    response = signed_in(early_help_coordinator).get(chronology_url(child_in(contact)))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("school_referrer", 403),
        ("analyst", 403),
        ("auditor", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_it_refuses_people_outside_the_mash(
    worked_contact: Contact, personas: dict[str, User], persona: str, status: int
) -> None:
    response = signed_in(personas[persona]).get(chronology_url(child_in(worked_contact)))
    assert response.status_code == status


def test_it_sends_the_signed_out_to_sign_in(new_contact: Contact, client: Any) -> None:
    response = client.get(chronology_url(child_in(new_contact)))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_it_finds_no_chronology_for_an_adult_or_nobody(
    new_contact: Contact, screener: User
) -> None:
    client = signed_in(screener)
    mum = new_contact.people.get(role=PersonRole.PARENT_CARER)
    assert client.get(chronology_url(mum)).status_code == 404
    assert client.get("/mash/children/999999/").status_code == 404
    assert client.get(f"/mash/children/{2**64}/").status_code == 404
    assert client.post(chronology_url(child_in(new_contact))).status_code == 405


# --- Cumulative concern -----------------------------------------------------------------


# The area's configurable rules (openmash/enquiries/concern.py; the defaults here, all from
# one school, so only the contact count can fire). tests/enquiries/test_cumulative_concern.py
# tests each rule.
@pytest.mark.parametrize(
    ("days_ago", "warns", "message"),
    [
        ([1, 100, 200], True, "3 or more contacts in 12 months"),
        ([1, 80], False, ""),
        ([1, 100], False, ""),
        ([1, 100, 400], False, ""),
        ([1, 50, 300], True, "3 or more contacts in 12 months"),
    ],
)
def test_it_warns_of_a_pattern_of_contacts(
    contact_about_amy: Callable[..., Contact],
    screener: User,
    days_ago: list[int],
    warns: bool,
    message: str,
) -> None:
    contacts = [contact_about_amy(days_ago=days) for days in days_ago]
    html = page(screener, child_in(contacts[0]))
    assert ('data-testid="early-warning"' in html) is warns
    if warns:
        assert message in html
        assert "Cumulative concern: consider the pattern, not just this contact." in html
        assert "govuk-warning-text" in html


def test_a_year_before_handles_the_leap_day() -> None:
    leap_day = datetime(2028, 2, 29, 12, 0, tzinfo=timezone.get_current_timezone())
    assert a_year_before(leap_day).date().isoformat() == "2027-02-28"


def test_it_matches_the_child_named_as_a_sibling_in_another_contact(
    contact_about_amy: Callable[..., Contact], screener: User
) -> None:
    first = contact_about_amy(days_ago=10)
    about_brother = contact_about_amy(
        days_ago=3,
        people=[
            a_child(given_names="Leo", nhs_number="", date_of_birth=None, estimated_age=3),
            a_child(role=PersonRole.SIBLING),
            a_parent(),
        ],
    )
    html = page(screener, child_in(first))
    assert about_brother.reference in html
    assert "Sibling" in html


# --- Audit and scale --------------------------------------------------------------------


def test_it_records_a_read_of_each_contact_shown(
    worked_contact: Contact,
    contact_about_amy: Callable[..., Contact],
    researchers: dict[str, User],
) -> None:
    other = contact_about_amy(days_ago=1)
    before = AuditEvent.objects.count()
    page(researchers["police"], child_in(worked_contact))
    reads = AuditEvent.objects.filter(action="read", object_type="contact").order_by("id")
    new = list(reads)[-2:]
    assert AuditEvent.objects.count() == before + 2
    assert {event.contact_id for event in new} == {worked_contact.pk, other.pk}
    assert all(event.actor_user == researchers["police"] for event in new)
    assert all(event.detail["via"] == "child_chronology" for event in new)


def test_the_page_costs_the_same_queries_for_1_or_10_contacts(
    worked_contact: Contact,
    contact_about_amy: Callable[..., Contact],
    screener: User,
    manager: User,
    researchers: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    client = signed_in(manager)
    url = chronology_url(child_in(worked_contact))
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = queries()
    for days in range(9):
        contact = contact_about_amy(days_ago=days)
        contact_take(actor=Actor(user=screener), contact_id=contact.pk)
        contact_rate(
            actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Again."
        )
        enquiry_open(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            agency_ids=[agencies["police"].pk, agencies["health"].pk],
        )
        check_record_findings(
            actor=Actor(user=researchers["police"]),
            check_id=check_for(contact, "police").pk,
            findings=[
                FindingInput(
                    person_id=person.pk, known=True, summary="Known.", lawful_basis="consent"
                )
                for person in contact.people.all()
            ],
        )
    html = client.get(url).content.decode()
    assert html.count("Contact received") == 10
    assert queries() == one


# --- The link other pages use -----------------------------------------------------------


def test_the_child_link_goes_to_the_chronology_for_those_who_may_see_it(
    new_contact: Contact, screener: User, school_referrer: User
) -> None:
    amy = child_in(new_contact)
    link = render_to_string(
        "enquiries/chronology/child_link.html", {"person": amy, "perms": PermWrapper(screener)}
    )
    assert f'href="{chronology_url(amy)}"' in link
    assert "Amy Smith" in link
    plain = render_to_string(
        "enquiries/chronology/child_link.html",
        {"person": amy, "perms": PermWrapper(school_referrer)},
    )
    assert plain.strip() == "Amy Smith"
