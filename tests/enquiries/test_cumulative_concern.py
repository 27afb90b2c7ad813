"""Cumulative concern: the area's rules flag patterns across the contacts about one child
(three or more contacts in a year, two or more agencies in six months, a re-referral
within a year of a decision), and the flags show in the screening queue, on the
screening page and in the chronology, with the contacts that triggered them."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.area.models import ConcernRule, ConcernRuleKind, Outcome
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.concern import (
    ConcernFlag,
    child_contact_ids,
    children_contact_ids,
    concern_flags_for_child,
    concern_flags_for_contacts,
)
from openmash.enquiries.models import Decision
from openmash.linkage.same_child import records_sharing_a_key
from tests.conftest import signed_in
from tests.factories import a_child, a_parent, a_submission

pytestmark = pytest.mark.django_db

# A day in the past, so every contact received on or before it is already received.
TODAY = timezone.localdate(timezone.now(), LONDON) - timedelta(days=1)
CONTACTS = ConcernRuleKind.CONTACTS_IN_PERIOD
AGENCIES = ConcernRuleKind.AGENCIES_IN_PERIOD
RE_REFERRAL = ConcernRuleKind.RE_REFERRAL


def noon(days_before_today: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_before_today), time(12), tzinfo=LONDON)


def child_in(contact: Contact) -> ContactPerson:
    return contact.people.get(role=PersonRole.SUBJECT_CHILD)


def fired(person: ContactPerson, kind: str, today: date = TODAY) -> ConcernFlag | None:
    return next(
        (flag for flag in concern_flags_for_child(person, today=today) if flag.kind == kind), None
    )


def rule(kind: str) -> ConcernRule:
    return ConcernRule.objects.get(kind=kind)


@pytest.fixture
def contact_about_amy(school_referrer: User) -> Callable[..., Contact]:
    """A contact about Amy from Riverside school, received at noon some days before TODAY."""

    def make(days_ago: int, **overrides: Any) -> Contact:
        contact, _ = contact_create(
            actor=Actor(user=school_referrer),
            submission=a_submission(**overrides),
            now=noon(days_ago),
        )
        return contact

    return make


def from_agency(contact: Contact, agency: Agency | None, source: str = "2A") -> Contact:
    Contact.objects.filter(pk=contact.pk).update(submitted_by_agency=agency, referral_source=source)
    contact.refresh_from_db()
    return contact


def decide(contact: Contact, decided_at: datetime, manager: User) -> Decision:
    return Decision.objects.create(
        contact=contact,
        outcome=Outcome.objects.get(code="nfa"),
        primary_need="N1",
        rationale="No further action.",
        decided_by=manager,
        decided_at=decided_at,
    )


# --- The defaults -------------------------------------------------------------------------


def test_the_defaults_are_loaded_by_the_migration() -> None:
    defaults = {
        (each.kind, each.threshold, each.period_days, each.active)
        for each in ConcernRule.objects.all()
    }
    assert defaults == {
        (CONTACTS, 3, 365, True),
        (AGENCIES, 2, 183, True),
        (RE_REFERRAL, 1, 365, True),
    }
    assert rule(CONTACTS).label == "3 or more contacts in 12 months"


# --- Contacts in a period ------------------------------------------------------------------


def test_it_flags_three_contacts_in_a_year_and_not_two(
    contact_about_amy: Callable[..., Contact],
) -> None:
    first, second = contact_about_amy(days_ago=300), contact_about_amy(days_ago=100)
    assert fired(child_in(second), CONTACTS) is None

    third = contact_about_amy(days_ago=1)
    flag = fired(child_in(third), CONTACTS)
    assert flag is not None
    assert flag.label == "3 or more contacts in 12 months"
    assert [each.reference for each in flag.contacts] == [
        first.reference,
        second.reference,
        third.reference,
    ]
    assert flag.contacts[0].received_at == first.received_at
    # The same for the child found from any of the three contacts.
    assert fired(child_in(first), CONTACTS) == flag


def test_it_counts_the_period_back_from_today(
    contact_about_amy: Callable[..., Contact],
) -> None:
    contacts = [contact_about_amy(days_ago=days) for days in (365, 200, 10)]
    child = child_in(contacts[-1])
    # The contact received 365 days ago is still in the period; a day later it is not.
    assert fired(child, CONTACTS) is not None
    assert fired(child, CONTACTS, today=TODAY + timedelta(days=1)) is None
    # A contact received after the day counted from is not counted either.
    assert fired(child, CONTACTS, today=TODAY - timedelta(days=11)) is None


def test_it_does_not_count_a_sibling_in_the_same_household(
    contact_about_amy: Callable[..., Contact],
) -> None:
    brother = a_child(given_names="Leo", nhs_number="", date_of_birth=date(2019, 5, 1))
    for days in (30, 20):
        contact_about_amy(days_ago=days, people=[brother, a_parent()])
    amy = child_in(contact_about_amy(days_ago=10))
    assert fired(amy, CONTACTS) is None
    assert child_contact_ids(amy) == {amy.contact_id}


# --- Different agencies in a period --------------------------------------------------------


def test_it_flags_two_agencies_in_six_months_and_not_one(
    contact_about_amy: Callable[..., Contact], agencies: dict[str, Agency]
) -> None:
    school = contact_about_amy(days_ago=100)
    again = contact_about_amy(days_ago=50)
    assert fired(child_in(again), AGENCIES) is None  # both from Riverside school

    other_school = from_agency(contact_about_amy(days_ago=5), agencies["hillview"])
    flag = fired(child_in(other_school), AGENCIES)
    assert flag is not None
    assert [each.reference for each in flag.contacts] == [
        school.reference,
        again.reference,
        other_school.reference,
    ]


def test_it_uses_the_referral_source_when_no_agency_submitted_the_contact(
    contact_about_amy: Callable[..., Contact],
) -> None:
    phoned = from_agency(contact_about_amy(days_ago=40), None, source="6")
    also_phoned = from_agency(contact_about_amy(days_ago=30), None, source="6")
    assert fired(child_in(phoned), AGENCIES) is None  # both police, by phone

    contact_about_amy(days_ago=20)  # and the school
    assert fired(child_in(also_phoned), AGENCIES) is not None


def test_it_does_not_count_an_agency_outside_the_six_months(
    contact_about_amy: Callable[..., Contact], agencies: dict[str, Agency]
) -> None:
    from_agency(contact_about_amy(days_ago=184), agencies["police"], source="6")
    contact = contact_about_amy(days_ago=10)
    assert fired(child_in(contact), AGENCIES) is None
    assert fired(child_in(contact), AGENCIES, today=TODAY - timedelta(days=2)) is not None


# --- Re-referral ---------------------------------------------------------------------------


def test_it_flags_a_contact_within_a_year_of_a_decision(
    contact_about_amy: Callable[..., Contact], manager: User
) -> None:
    decided = contact_about_amy(days_ago=300)
    later = contact_about_amy(days_ago=10)
    # Two contacts, but without a decision on the first the second is no re-referral.
    assert fired(child_in(later), RE_REFERRAL) is None

    decide(decided, noon(290), manager)
    flag = fired(child_in(later), RE_REFERRAL)
    assert flag is not None
    assert flag.label == "Re-referral within 12 months of a previous decision"
    assert [each.reference for each in flag.contacts] == [decided.reference, later.reference]


def test_it_does_not_flag_a_contact_more_than_a_year_after_the_decision(
    contact_about_amy: Callable[..., Contact], manager: User
) -> None:
    decided = contact_about_amy(days_ago=400)
    decide(decided, noon(380), manager)
    later = contact_about_amy(days_ago=10)
    assert fired(child_in(later), RE_REFERRAL) is None
    # 365 days after the decision is still within the year.
    Contact.objects.filter(pk=later.pk).update(received_at=noon(15))
    assert fired(child_in(later), RE_REFERRAL) is not None


def test_a_decision_on_the_contact_itself_or_after_it_is_no_re_referral(
    contact_about_amy: Callable[..., Contact], manager: User
) -> None:
    earlier = contact_about_amy(days_ago=30)
    later = contact_about_amy(days_ago=20)
    decide(later, noon(19), manager)
    decide(earlier, noon(10), manager)  # decided after the later contact came in
    assert fired(child_in(later), RE_REFERRAL) is None


def test_an_old_re_referral_does_not_flag_today(
    contact_about_amy: Callable[..., Contact], manager: User
) -> None:
    decided = contact_about_amy(days_ago=800)
    decide(decided, noon(790), manager)
    contact_about_amy(days_ago=700)
    assert fired(child_in(decided), RE_REFERRAL) is None


# --- Configurable ------------------------------------------------------------------------


def rule_form(concern_rule: ConcernRule, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": concern_rule.kind,
        "label": concern_rule.label,
        "threshold": concern_rule.threshold,
        "period_days": concern_rule.period_days,
        "order": concern_rule.order,
        "active": "on" if concern_rule.active else None,
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def admin_change_url(concern_rule: ConcernRule) -> str:
    return f"/admin/area/concernrule/{concern_rule.pk}/change/"


def test_the_administrator_changes_a_rule_and_the_flag_changes(
    contact_about_amy: Callable[..., Contact], personas: dict[str, User]
) -> None:
    contact_about_amy(days_ago=100)
    child = child_in(contact_about_amy(days_ago=10))
    assert fired(child, CONTACTS) is None
    admin = signed_in(personas["administrator"])
    contacts_rule = rule(CONTACTS)
    assert admin.get(admin_change_url(contacts_rule)).status_code == 200

    response = admin.post(
        admin_change_url(contacts_rule),
        rule_form(contacts_rule, threshold=2, label="2 or more contacts in 12 months"),
    )

    assert response.status_code == 302, response.content
    flag = fired(child, CONTACTS)
    assert flag is not None and flag.label == "2 or more contacts in 12 months"
    event = AuditEvent.objects.filter(object_type="concern_rule").latest("id")
    assert event.actor_user == personas["administrator"]
    assert event.detail == {"fields": ["label", "threshold"]}

    admin.post(admin_change_url(contacts_rule), rule_form(rule(CONTACTS), active=None))
    assert fired(child, CONTACTS) is None


def test_the_admin_form_refuses_a_threshold_or_period_of_zero(
    personas: dict[str, User],
) -> None:
    admin = signed_in(personas["administrator"])
    contacts_rule = rule(CONTACTS)
    response = admin.post(
        admin_change_url(contacts_rule), rule_form(contacts_rule, threshold=0, period_days=0)
    )
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Enter a threshold of 1 or more" in html
    assert "Enter a period of 1 day or more" in html
    assert rule(CONTACTS).threshold == 3


@pytest.mark.parametrize("persona", ["screener", "manager", "analyst", "no_role"])
def test_only_the_administrator_may_edit_the_rules(personas: dict[str, User], persona: str) -> None:
    response = signed_in(personas[persona]).get(admin_change_url(rule(CONTACTS)))
    assert response.status_code in (302, 403)


# --- The batched version for a page of contacts --------------------------------------------


def test_the_batch_agrees_with_one_child_at_a_time(
    contact_about_amy: Callable[..., Contact], agencies: dict[str, Agency], manager: User
) -> None:
    first = contact_about_amy(days_ago=200)
    decide(first, noon(190), manager)
    as_sibling = contact_about_amy(
        days_ago=100,
        people=[
            a_child(given_names="Leo", nhs_number="", date_of_birth=date(2019, 5, 1)),
            a_child(role=PersonRole.SIBLING),
        ],
    )
    latest = from_agency(contact_about_amy(days_ago=3), agencies["police"], source="6")
    unrelated = contact_about_amy(
        days_ago=3, people=[a_child(given_names="Zoe", family_name="Patel", nhs_number="")]
    )
    contacts = [first, as_sibling, latest, unrelated]

    batch = concern_flags_for_contacts(contacts, today=TODAY)

    amy = child_in(latest)
    assert batch[latest.pk] == concern_flags_for_child(amy, today=TODAY)
    assert {flag.kind for flag in batch[latest.pk]} == {CONTACTS, AGENCIES, RE_REFERRAL}
    assert batch[unrelated.pk] == []
    # The sibling contact names Amy too: her flags count for it; Leo has none of his own.
    assert batch[as_sibling.pk] == batch[latest.pk]
    people = list(ContactPerson.objects.filter(contact__in=contacts))
    assert children_contact_ids(people) == {
        person.pk: child_contact_ids(person) for person in people
    }


def test_the_batch_costs_the_same_queries_for_1_or_30_contacts(
    contact_about_amy: Callable[..., Contact],
) -> None:
    def queries(contacts: list[Contact]) -> int:
        with CaptureQueriesContext(connection) as captured:
            concern_flags_for_contacts(contacts, today=TODAY)
        return len(captured)

    one = queries([contact_about_amy(days_ago=1)])
    thirty = [contact_about_amy(days_ago=days) for days in range(30)]
    assert queries(thirty) == one
    assert all(concern_flags_for_contacts(thirty, today=TODAY).values())


def test_the_batch_reads_only_the_records_with_a_childs_own_name_and_date_of_birth(
    contact_about_amy: Callable[..., Contact],
) -> None:
    amy_born, leo_born = date(2017, 3, 1), date(2019, 5, 1)
    page = [
        contact_about_amy(days_ago=1, people=[a_child(nhs_number="", date_of_birth=amy_born)]),
        contact_about_amy(
            days_ago=1,
            people=[a_child(given_names="Leo", nhs_number="", date_of_birth=leo_born)],
        ),
    ]
    earlier_amy = contact_about_amy(
        days_ago=30, people=[a_child(family_name="SMITH", nhs_number="", date_of_birth=amy_born)]
    )
    # Amy's name with Leo's date of birth is neither child: not read at all (at 250,000
    # contacts, matching every name with every date read thousands of records a page).
    contact_about_amy(days_ago=30, people=[a_child(nhs_number="", date_of_birth=leo_born)])

    records = records_sharing_a_key(ContactPerson.objects.filter(contact__in=page))

    assert {record.contact_id for record in records} == {
        *(contact.pk for contact in page),
        earlier_amy.pk,
    }


def test_the_batch_reads_each_record_once_with_the_records_asked_for(
    contact_about_amy: Callable[..., Contact],
) -> None:
    """A record sharing both an NHS number and a name is read once; a record named in
    `also` is read though it shares nothing; a lone given name shared is not enough."""
    amy = child_in(contact_about_amy(days_ago=1))
    same_amy = contact_about_amy(days_ago=20)  # the same NHS number, name and birth
    unrelated = contact_about_amy(
        days_ago=40,
        people=[a_child(given_names="Bea", family_name="Cole", nhs_number="")],
    )
    cousin = contact_about_amy(days_ago=60, people=[a_child(family_name="Other", nhs_number="")])

    records = records_sharing_a_key([amy], also=[child_in(unrelated).pk])

    ids = [record.pk for record in records]
    assert len(ids) == len(set(ids))
    assert {record.contact_id for record in records} == {
        amy.contact_id,
        same_amy.pk,
        unrelated.pk,
    }
    assert cousin.pk not in {record.contact_id for record in records}


# --- The pages ---------------------------------------------------------------------------


@pytest.fixture
def flagged(contact_about_amy: Callable[..., Contact], manager: User) -> list[Contact]:
    """Three contacts about Amy in a year, the first decided: two flags."""
    first = contact_about_amy(days_ago=200)
    decide(first, noon(190), manager)
    return [first, contact_about_amy(days_ago=50), contact_about_amy(days_ago=1)]


def html_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(unescape(response.content.decode()).split())


def test_the_screening_queue_tags_each_contact_with_its_flags(
    flagged: list[Contact], contact_about_amy: Callable[..., Contact], screener: User
) -> None:
    zoe = contact_about_amy(
        days_ago=1, people=[a_child(given_names="Zoe", family_name="Patel", nhs_number="")]
    )
    response = signed_in(screener).get(reverse("enquiries:screening-queue"))
    rows = {row.reference: row for row in response.context["rows"]}
    assert [flag.label for flag in rows[flagged[-1].reference].concern_flags] == [
        "3 or more contacts in 12 months",
        "Re-referral within 12 months of a previous decision",
    ]
    assert rows[zoe.reference].concern_flags == []
    html = " ".join(unescape(response.content.decode()).split())
    assert html.count('data-testid="concern-flags"') == 3  # the three contacts about Amy
    assert '<strong class="govuk-tag govuk-tag--purple">Cumulative concern</strong>' in html
    assert "<li>3 or more contacts in 12 months</li>" in html


def test_the_queue_reads_the_same_queries_with_flags_for_1_or_30_contacts(
    contact_about_amy: Callable[..., Contact], screener: User
) -> None:
    client = signed_in(screener)
    url = reverse("enquiries:screening-queue")
    contact_about_amy(days_ago=1)
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = queries()
    for days in range(29):
        contact_about_amy(days_ago=days)
    thirty = queries()

    assert thirty == one
    rows = client.get(url).context["rows"]
    assert len(rows) == 30
    assert all(row.concern_flags for row in rows)


def test_the_screening_page_warns_with_the_contacts_that_triggered_each_flag(
    flagged: list[Contact], screener: User
) -> None:
    latest = flagged[-1]
    html = html_of(
        signed_in(screener), reverse("enquiries:screening", kwargs={"reference": latest.reference})
    )
    assert "Cumulative concern about Amy Smith: consider the pattern, not just this contact." in (
        html
    )
    assert '<span class="govuk-visually-hidden">Warning: </span>' in html
    for contact in flagged:
        href = reverse("enquiries:screening", kwargs={"reference": contact.reference})
        assert f'<a class="govuk-link" href="{href}">{contact.reference}</a>' in html
    first = flagged[0]
    received = timezone.localdate(first.received_at)
    assert "<li>Re-referral within 12 months of a previous decision: " in html
    first_link = reverse("enquiries:screening", kwargs={"reference": first.reference})
    assert (
        f'<a class="govuk-link" href="{first_link}">{first.reference}</a> '
        f"(received {received.day} {received:%B %Y}), "
    ) in html


def test_the_screening_page_shows_no_warning_without_a_pattern(
    contact_about_amy: Callable[..., Contact], screener: User
) -> None:
    contact = contact_about_amy(days_ago=1)
    html = html_of(
        signed_in(screener), reverse("enquiries:screening", kwargs={"reference": contact.reference})
    )
    assert 'data-testid="concern-flags"' not in html
    assert "Cumulative concern" not in html


def test_the_chronology_lists_the_flags_and_their_contacts(
    flagged: list[Contact], screener: User, manager: User
) -> None:
    url = reverse("enquiries:child-chronology", kwargs={"person_id": child_in(flagged[0]).pk})
    html = html_of(signed_in(manager), url)
    assert 'data-testid="early-warning"' in html
    assert "Cumulative concern: consider the pattern, not just this contact." in html
    assert "3 or more contacts in 12 months:" in html
    assert "Re-referral within 12 months of a previous decision:" in html
    for contact in flagged:
        assert contact.reference in html

    # A rule switched off no longer shows.
    ConcernRule.objects.filter(kind=RE_REFERRAL).update(active=False)
    html = html_of(signed_in(manager), url)
    assert "Re-referral within 12 months" not in html
    assert "3 or more contacts in 12 months:" in html
