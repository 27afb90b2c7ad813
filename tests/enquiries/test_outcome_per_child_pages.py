"""The pages, the API and the lists that show each child's outcome (ADR 0022): the
decision form asks for each sibling's, keeps what was typed when one is missing, and the
decision page, the referrer's page, the hand-on page, the chronology and the outcome API
show each child's; the lists cost the same queries however many contacts they show."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import Decision, DecisionChild, HandOn
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.test_outcome_per_child import children, two_outcomes
from tests.factories import a_child, a_parent, a_submission


def siblings(referrer: User, screener: User, number: int = 0) -> Contact:
    """A contact about Amy and her brother Ben awaiting a decision."""
    contact, _ = contact_create(
        actor=Actor(user=referrer),
        submission=a_submission(
            people=[
                a_child(given_names=f"Amy{number}" if number else "Amy", nhs_number=""),
                a_child(
                    role=PersonRole.SIBLING,
                    given_names=f"Ben{number}" if number else "Ben",
                    nhs_number="",
                    date_of_birth=date(2022, 3, 1),
                    sex="M",
                ),
                a_parent(),
            ]
        ),
    )
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="A sibling."
    )
    enquiry_open(actor=Actor(user=screener), contact_id=contact.pk, agency_ids=[])
    contact.refresh_from_db()
    return contact


@pytest.fixture
def siblings_contact(school_referrer: User, screener: User) -> Contact:
    return siblings(school_referrer, screener)


def decide_apart(contact: Contact, manager: User) -> Decision:
    return decision_record(
        actor=Actor(user=manager), contact_id=contact.pk, data=two_outcomes(contact)
    )


def form_for(amy: ContactPerson, ben: ContactPerson, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"child_{amy.pk}_level_of_need": "3",
        f"child_{amy.pk}_outcome": "assessment_s17",
        f"child_{amy.pk}_primary_need": "N1",
        f"child_{amy.pk}_receiving_team": "Assessment team north",
        f"child_{ben.pk}_level_of_need": "1",
        f"child_{ben.pk}_outcome": "information_advice",
        f"child_{ben.pk}_primary_need": "N9",
        f"child_{ben.pk}_receiving_team": "",
        "factor_codes": ["16A"],
        "rationale": "Amy needs an assessment; Ben is thriving.",
    }
    data.update(changes)
    return data


def test_the_form_asks_each_siblings_outcome(siblings_contact: Contact, manager: User) -> None:
    _, ben = children(siblings_contact)
    html = (
        signed_in(manager)
        .get(f"/mash/contacts/{siblings_contact.reference}/decision/")
        .content.decode()
    )
    assert "Outcome for Amy Smith" in html and "Outcome for Ben Smith" in html
    assert f'name="child_{ben.pk}_outcome"' in html
    # The contact's own outcome field gives way to each child's.
    assert 'name="outcome"' not in html


def test_the_form_for_one_child_is_as_it_was(
    new_contact: Contact, manager: User, screener: User
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=new_contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=new_contact.pk, rag="green", rationale="x")
    enquiry_open(actor=Actor(user=screener), contact_id=new_contact.pk, agency_ids=[])
    html = (
        signed_in(manager).get(f"/mash/contacts/{new_contact.reference}/decision/").content.decode()
    )
    assert 'name="outcome"' in html and 'name="level_of_need"' in html
    assert "child_" not in html.split('id="decision-form"')[1].split("</form>")[0]


def test_a_missing_outcome_is_shown_by_the_childs_field_and_keeps_what_was_typed(
    siblings_contact: Contact, manager: User
) -> None:
    amy, ben = children(siblings_contact)
    response = signed_in(manager).post(
        f"/mash/contacts/{siblings_contact.reference}/decision/",
        form_for(amy, ben, **{f"child_{ben.pk}_outcome": ""}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="#id_child_{ben.pk}_outcome_0"' in html  # the summary links to the radios
    assert f'id="id_child_{ben.pk}_outcome-error"' in html
    assert "Select the outcome for Ben Smith" in html
    # What was typed for Amy, and Ben's level of need, are still there.
    assert 'value="Assessment team north"' in html
    ben_level = html.split(f'name="child_{ben.pk}_level_of_need"')[1].split(">")[0]
    assert 'value="1"' in ben_level and "checked" in ben_level
    assert not Decision.objects.filter(contact=siblings_contact).exists()
    assert not DecisionChild.objects.exists()


def test_a_decision_with_two_outcomes_is_shown_child_by_child(
    siblings_contact: Contact, manager: User
) -> None:
    amy, ben = children(siblings_contact)
    client = signed_in(manager)
    response = client.post(
        f"/mash/contacts/{siblings_contact.reference}/decision/", form_for(amy, ben)
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Decision recorded: Amy Smith, children&#x27;s social care assessment" in html
    table = html.split('data-testid="child-outcomes"')[1].split("</table>")[0]
    assert "Amy Smith" in table and "Children&#x27;s social care assessment (section 17)" in table
    assert "Ben Smith" in table and "Information and advice" in table
    # The amendment form starts from each child's outcome.
    amend = html.split('id="amend-form"')[1].split("</form>")[0]
    checked = re.findall(
        rf'name="child_{ben.pk}_outcome" type="radio" value="(\w+)" checked', amend
    )
    assert checked == ["information_advice"]


def test_the_screening_page_shows_each_childs_outcome(
    siblings_contact: Contact, manager: User, screener: User
) -> None:
    decide_apart(siblings_contact, manager)
    html = signed_in(screener).get(f"/mash/contacts/{siblings_contact.reference}/").content
    table = html.decode().split('data-testid="screening-child-outcomes"')[1].split("</table>")[0]
    assert "Amy Smith" in table and "Ben Smith" in table and "Information and advice" in table


def test_the_referrer_is_told_each_childs_outcome(
    siblings_contact: Contact, manager: User, school_referrer: User
) -> None:
    decide_apart(siblings_contact, manager)
    client = signed_in(school_referrer)
    html = client.get(f"/contacts/{siblings_contact.reference}/").content.decode()
    rows = html.split('data-testid="referrer-child-outcome"')[1:]
    assert len(rows) == 2
    assert "Amy Smith" in rows[0] and "A social worker will assess" in rows[0]
    assert "Children&#x27;s social care: waiting for them to accept" in rows[0]
    assert "Ben Smith" in rows[1] and "Information and advice" in rows[1]
    listed = client.get("/contacts/submitted/").content.decode()
    assert "Ben Smith: Information and advice" in listed


def test_the_hand_on_page_names_only_the_children_handed_on(
    siblings_contact: Contact, manager: User
) -> None:
    decide_apart(siblings_contact, manager)
    hand_on = HandOn.objects.get(contact=siblings_contact)
    client = signed_in(manager)
    queue = client.get("/mash/hand-ons/").content.decode()
    # The row of this contact (its first cell may be a checkbox for bulk allocation).
    [row] = [row for row in queue.split("<tr")[1:] if siblings_contact.reference in row]
    assert "Amy Smith" in row and "Ben Smith" not in row
    page = client.get(f"/mash/hand-ons/{hand_on.pk}/").content.decode()
    handed = page.split('data-testid="children-handed-on"')[1].split("</table>")[0]
    assert "Amy Smith" in handed and "Ben Smith" not in handed


def test_each_siblings_chronology_shows_their_own_outcome(
    siblings_contact: Contact, manager: User
) -> None:
    amy, ben = children(siblings_contact)
    decide_apart(siblings_contact, manager)
    client = signed_in(manager)
    amy_page = client.get(f"/mash/children/{amy.pk}/").content.decode()
    ben_page = client.get(f"/mash/children/{ben.pk}/").content.decode()
    assert "Decision: Children&#x27;s social care assessment (section 17)" in amy_page
    assert "Decision: Information and advice" not in amy_page
    assert "Decision: Information and advice" in ben_page
    assert "Decision: Children&#x27;s social care assessment" not in ben_page
    # Amy's hand-on to social care is on her page, not her brother's.
    assert "Handed on to Children&#x27;s social care" in amy_page
    assert "Handed on to" not in ben_page


def test_the_outcome_api_gives_each_childs_outcome(
    siblings_contact: Contact, manager: User, agencies: dict[str, Agency]
) -> None:
    decide_apart(siblings_contact, manager)
    _, secret = api_token_issue(agency=agencies["riverside"], name="School MIS", issued_by="t")
    body = (
        Client(headers={"Authorization": f"Bearer {secret}"})
        .get(f"/api/v1/contacts/{siblings_contact.pk}/outcome")
        .json()
    )
    assert body["outcome_code"] == "assessment_s17"  # the old field: the most serious
    assert [
        (c["given_names"], c["outcome_code"], c["receiving_team"]) for c in body["children"]
    ] == [
        ("Amy", "assessment_s17", "Children's social care"),
        ("Ben", "information_advice", None),
    ]


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("persona", "path"),
    [("manager", "/mash/hand-ons/"), ("school_referrer", "/contacts/submitted/")],
)
def test_the_lists_cost_the_same_queries_for_1_and_4_contacts_decided_apart(
    persona: str,
    path: str,
    personas: dict[str, User],
    school_referrer: User,
    screener: User,
    manager: User,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = signed_in(personas[persona])
    decide_apart(siblings(school_referrer, screener, 1), manager)
    client.get(path)
    few = queries(client, path)
    for number in range(2, 5):
        decide_apart(siblings(school_referrer, screener, number), manager)
    with django_assert_max_num_queries(few):
        client.get(path)


def test_a_later_contact_about_the_sibling_shows_his_own_earlier_outcome(
    siblings_contact: Contact, manager: User, screener: User, school_referrer: User
) -> None:
    decide_apart(siblings_contact, manager)
    later, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(
                    given_names="Ben",
                    nhs_number="",
                    date_of_birth=date(2022, 3, 1),
                    sex="M",
                )
            ]
        ),
    )
    html = signed_in(screener).get(f"/mash/contacts/{later.reference}/").content.decode()
    rows = [row for row in html.split("<tr") if f">{siblings_contact.reference}</a>" in row]
    earlier = rows[-1].split("</tr>")[0]
    assert "Information and advice" in earlier
    assert "assessment" not in earlier
