"""A child's name links to their chronology wherever the MASH shows it: the queues, the
screening, check, decision and hand-on pages, and the contact pages. Adults are never
linked, and a referrer (who may not see chronologies) sees the names as plain text."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import HandOn
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_rate,
    contact_take,
    enquiry_open,
)
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for
from tests.enquiries.test_decision_views import make_ready
from tests.enquiries.test_hand_on_views import ASSESSMENT_INPUT, STEP_DOWN_INPUT, decided_contact
from tests.factories import a_child, a_parent, a_submission


def person(contact: Contact, given_names: str) -> ContactPerson:
    return contact.people.get(given_names=given_names)


def link_to(child: ContactPerson) -> str:
    return f'href="/mash/children/{child.pk}/"'


def get(user: User, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def assert_children_linked(html: str, contact: Contact) -> None:
    """Amy and her brother Ben link to their chronologies; their mother Karen does not."""
    assert link_to(person(contact, "Amy")) in html
    assert link_to(person(contact, "Ben")) in html
    assert f"/mash/children/{person(contact, 'Karen').pk}/" not in html


@pytest.fixture
def family_contact(school_referrer: User) -> Contact:
    """Amy (8), her brother Ben (5) and their mother Karen."""
    ben = a_child(
        role=PersonRole.SIBLING,
        given_names="Ben",
        nhs_number="",
        date_of_birth=date.today() - timedelta(days=5 * 365 + 30),
        sex="M",
    )
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(people=[a_child(), ben, a_parent()]),
    )
    return contact


@pytest.fixture
def family_with_checks(
    family_contact: Contact, screener: User, partner_agencies: dict[str, Agency]
) -> Contact:
    """Rated amber, with police, health and education asked to check."""
    actor = Actor(user=screener)
    contact_take(actor=actor, contact_id=family_contact.pk)
    contact_rate(actor=actor, contact_id=family_contact.pk, rag="amber", rationale="A.")
    enquiry_open(
        actor=actor,
        contact_id=family_contact.pk,
        agency_ids=[partner_agencies[slug].pk for slug in ("police", "health", "education")],
    )
    return family_contact


@pytest.fixture
def family_handed_to_early_help(
    family_with_checks: Contact, researchers: dict[str, User], screener: User, manager: User
) -> HandOn:
    make_ready(family_with_checks, researchers, screener)
    decision = decision_record(
        actor=Actor(user=manager), contact_id=family_with_checks.pk, data=STEP_DOWN_INPUT
    )
    return HandOn.objects.get(decision=decision)


# --- Screening --------------------------------------------------------------------------


def test_the_screening_queue_links_each_child_with_their_age(
    family_contact: Contact, screener: User
) -> None:
    html = get(screener, reverse("enquiries:screening-queue"))

    assert_children_linked(html, family_contact)
    amy = person(family_contact, "Amy")
    assert re.search(
        f'<a class="govuk-link" {link_to(amy)}>Amy Smith \\([78] years\\)'
        '<span class="govuk-visually-hidden">: chronology</span></a>',
        html,
    )


def test_the_screening_page_links_each_child_and_their_records_in_other_contacts(
    family_contact: Contact, school_referrer: User, screener: User
) -> None:
    later, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())

    html = get(screener, reverse("enquiries:screening", kwargs={"reference": later.reference}))

    assert link_to(person(later, "Amy")) in html
    # The "already known" panel: Amy as the earlier contact named her.
    assert link_to(person(family_contact, "Amy")) in html
    assert f"/mash/children/{person(later, 'Karen').pk}/" not in html


def test_a_linked_child_opens_their_chronology_for_the_screener(
    family_contact: Contact, screener: User
) -> None:
    amy = person(family_contact, "Amy")
    assert signed_in(screener).get(f"/mash/children/{amy.pk}/").status_code == 200


# --- Agency checks ----------------------------------------------------------------------


def test_the_check_queue_links_each_child_for_the_researcher(
    family_with_checks: Contact, researchers: dict[str, User]
) -> None:
    html = get(researchers["police"], reverse("enquiries:check-queue"))

    assert_children_linked(html, family_with_checks)


def test_the_check_page_links_each_child_for_the_researcher(
    family_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(family_with_checks, "police")

    html = get(researchers["police"], reverse("enquiries:check", kwargs={"check_id": check.pk}))

    assert_children_linked(html, family_with_checks)
    amy = person(family_with_checks, "Amy")
    assert signed_in(researchers["police"]).get(f"/mash/children/{amy.pk}/").status_code == 200


# --- Decisions --------------------------------------------------------------------------


def test_the_decisions_queue_links_each_child_in_every_section(
    family_with_checks: Contact,
    school_referrer: User,
    screener: User,
    manager: User,
) -> None:
    awaiting, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    proposed, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    actor = Actor(user=screener)
    for contact in (awaiting, proposed):
        contact_take(actor=actor, contact_id=contact.pk)
        contact_rate(actor=actor, contact_id=contact.pk, rag="green", rationale="Low.")
    enquiry_open(actor=actor, contact_id=awaiting.pk, agency_ids=[])
    closure_propose(
        actor=actor, contact_id=proposed.pk, outcome="nfa", rationale="Resolved the same day."
    )

    html = get(manager, reverse("enquiries:decision-queue"))

    proposals = html.split('id="proposals"')[1].split('id="awaiting"')[0]
    ready = html.split('id="awaiting"')[1].split('id="in-checks"')[0]
    in_checks = html.split('id="in-checks"')[1]
    assert link_to(person(proposed, "Amy")) in proposals
    assert link_to(person(awaiting, "Amy")) in ready
    assert_children_linked(in_checks, family_with_checks)


def test_the_decision_page_links_each_child_and_no_adult(
    family_with_checks: Contact, manager: User
) -> None:
    url = reverse("enquiries:decision", kwargs={"reference": family_with_checks.reference})

    html = get(manager, url)

    assert_children_linked(html, family_with_checks)


# --- Hand-ons ---------------------------------------------------------------------------


def test_the_hand_on_queue_links_each_child_for_early_help(
    family_handed_to_early_help: HandOn, early_help_coordinator: User
) -> None:
    contact = family_handed_to_early_help.contact

    waiting = get(early_help_coordinator, reverse("enquiries:hand-on-queue"))
    hand_on_accept(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=family_handed_to_early_help.pk,
        allocated_worker="Sam Patel",
    )
    answered = get(early_help_coordinator, reverse("enquiries:hand-on-queue"))

    assert_children_linked(waiting, contact)
    assert_children_linked(answered.split("Recently answered")[1], contact)


def test_the_hand_on_page_links_each_child_for_early_help(
    family_handed_to_early_help: HandOn, early_help_coordinator: User
) -> None:
    contact = family_handed_to_early_help.contact
    url = reverse("enquiries:hand-on", kwargs={"hand_on_id": family_handed_to_early_help.pk})

    html = get(early_help_coordinator, url)

    assert_children_linked(html, contact)
    amy = person(contact, "Amy")
    assert signed_in(early_help_coordinator).get(f"/mash/children/{amy.pk}/").status_code == 200


def test_the_social_care_hand_on_links_the_child_for_a_manager(
    school_referrer: User, screener: User, manager: User
) -> None:
    hand_on = decided_contact(school_referrer, screener, manager, ASSESSMENT_INPUT)

    html = get(manager, reverse("enquiries:hand-on", kwargs={"hand_on_id": hand_on.pk}))

    assert link_to(person(hand_on.contact, "Amy")) in html


# --- Contacts ---------------------------------------------------------------------------


def test_the_new_contacts_list_links_each_child(family_contact: Contact, screener: User) -> None:
    html = get(screener, reverse("contacts:new-contacts"))

    assert_children_linked(html, family_contact)
    assert "Ben Smith (5 years)" in html


@pytest.mark.parametrize("persona", ["screener", "manager"])
def test_the_contact_page_links_each_child_for_the_mash(
    family_contact: Contact, personas: dict[str, User], persona: str
) -> None:
    url = reverse("contacts:detail", kwargs={"reference": family_contact.reference})

    html = get(personas[persona], url)

    assert_children_linked(html, family_contact)
    # The heading keeps the name and role together; the link is in the child's details.
    assert "Amy Smith: Child the contact is about</h3>" in html


def test_a_referrer_sees_their_contact_with_no_chronology_links(
    family_contact: Contact, school_referrer: User
) -> None:
    contact_page = get(
        school_referrer, reverse("contacts:detail", kwargs={"reference": family_contact.reference})
    )
    their_contacts = get(school_referrer, reverse("contacts:submitted"))

    for html in (contact_page, their_contacts):
        assert "Amy Smith" in html
        assert "/mash/children/" not in html
        assert ": chronology" not in html
