"""Identifier conflicts on the screening page: both records side by side for the MASH,
the decision with its errors, the undo, and the queue's marker."""

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.services.screening import contact_take
from openmash.linkage.conflicts import conflict_resolve
from openmash.linkage.models import ConflictState, IdentifierConflict, WrongHolder
from tests.conftest import signed_in
from tests.factories import a_child, a_submission

SHARED = "9434765919"


def _contact(referrer: User, **child: Any) -> Contact:
    contact, _ = contact_create(
        actor=Actor(user=referrer), submission=a_submission(people=[a_child(**child)])
    )
    return contact


@pytest.fixture
def maya_and_ellie(school_referrer: User) -> tuple[Contact, Contact]:
    maya = _contact(
        school_referrer,
        given_names="Maya",
        family_name="Okafor",
        date_of_birth=date(2014, 3, 9),
        nhs_number=SHARED,
    )
    ellie = _contact(
        school_referrer,
        given_names="Ellie",
        family_name="Harper",
        date_of_birth=date(2016, 11, 21),
        nhs_number=SHARED,
    )
    return maya, ellie


def _page(contact: Contact) -> str:
    return reverse("enquiries:screening", kwargs={"reference": contact.reference})


def _resolve_url(contact: Contact, conflict: IdentifierConflict) -> str:
    return reverse(
        "enquiries:screening-conflict-resolve",
        kwargs={"reference": contact.reference, "conflict_id": conflict.pk},
    )


def _undo_url(contact: Contact, conflict: IdentifierConflict) -> str:
    return reverse(
        "enquiries:screening-conflict-undo",
        kwargs={"reference": contact.reference, "conflict_id": conflict.pk},
    )


def test_the_screener_sees_both_records_side_by_side_and_nothing_merged(
    maya_and_ellie: tuple[Contact, Contact], screener: User
) -> None:
    maya, ellie = maya_and_ellie
    html = signed_in(screener).get(_page(ellie)).content.decode()

    assert 'data-testid="identifier-conflict"' in html
    assert "Ellie Harper and Maya Okafor have the same NHS number" in html
    assert "21 November 2016" in html and "9 March 2014" in html
    assert "943 476 5919" in html
    assert maya.reference in html  # as the other record, not as Ellie's history
    assert "Other contacts about Ellie" not in html
    assert "No other contacts about Ellie" in html


def test_a_researcher_never_sees_the_conflict(
    maya_and_ellie: tuple[Contact, Contact], personas: dict[str, User]
) -> None:
    _, ellie = maya_and_ellie
    response = signed_in(personas["police_researcher"]).post(
        _resolve_url(ellie, IdentifierConflict.objects.get()),
        {"outcome": "same_child", "reason": "x"},
    )
    assert response.status_code == 403
    assert IdentifierConflict.objects.get().state == ConflictState.OPEN


def test_a_decision_without_a_reason_is_shown_again_with_field_errors(
    maya_and_ellie: tuple[Contact, Contact], screener: User
) -> None:
    _, ellie = maya_and_ellie
    conflict = IdentifierConflict.objects.get()
    prefix = f"conflict-{conflict.pk}"
    response = signed_in(screener).post(
        _resolve_url(ellie, conflict), {f"{prefix}-outcome": "different"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Select which record holds the number in error" in html
    assert "Enter the reason for your decision" in html
    assert f'href="#id_{prefix}-reason"' in html
    assert IdentifierConflict.objects.get().state == ConflictState.OPEN


def test_the_screener_decides_then_undoes_and_it_is_audited(
    maya_and_ellie: tuple[Contact, Contact], screener: User
) -> None:
    _, ellie = maya_and_ellie
    conflict = IdentifierConflict.objects.get()
    prefix = f"conflict-{conflict.pk}"
    client = signed_in(screener)
    response = client.post(
        _resolve_url(ellie, conflict),
        {
            f"{prefix}-outcome": "different",
            f"{prefix}-wrong_holder": WrongHolder.CONTACT_PERSON,
            f"{prefix}-reason": "The school copied Maya's number",
        },
    )
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.DIFFERENT
    assert conflict.wrong_holder == WrongHolder.CONTACT_PERSON

    html = client.get(_page(ellie)).content.decode()
    assert 'data-testid="identifier-conflict-decided"' in html
    assert "Ellie Harper&#x27;s record holds the NHS number in error" in html
    assert "Undo this decision" in html

    response = client.post(_undo_url(ellie, conflict), {f"conflict-undo-{conflict.pk}-reason": ""})
    assert response.status_code == 400
    assert "Enter why the decision is wrong" in response.content.decode()
    response = client.post(
        _undo_url(ellie, conflict),
        {f"conflict-undo-{conflict.pk}-reason": "Health says it was Maya's GP record"},
    )
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.state == ConflictState.OPEN
    history = client.get(_page(ellie)).content.decode()
    assert 'data-testid="identifier-conflict-history"' in history
    assert "Different children: Screener Tester" in history
    assert "Decision undone: Screener Tester" in history
    assert (
        AuditEvent.objects.filter(
            actor_user=screener, object_type="identifier_conflict", action="update"
        ).count()
        == 2
    )


def test_a_screener_cannot_decide_on_a_contact_another_is_screening(
    maya_and_ellie: tuple[Contact, Contact], screener: User, make_user: Any, personas: Any
) -> None:
    maya, ellie = maya_and_ellie
    other = make_user("screener2", personas["screener"].role_grants.get().role)
    contact_take(actor=Actor(user=other), contact_id=ellie.pk)
    contact_take(actor=Actor(user=other), contact_id=maya.pk)
    conflict = IdentifierConflict.objects.get()
    prefix = f"conflict-{conflict.pk}"
    response = signed_in(screener).post(
        _resolve_url(ellie, conflict),
        {f"{prefix}-outcome": "same_child", f"{prefix}-reason": "Typo"},
    )
    assert response.status_code == 403
    assert "screened by someone else" in response.content.decode()


def test_the_queue_marks_contacts_with_an_open_conflict(
    maya_and_ellie: tuple[Contact, Contact], screener: User
) -> None:
    html = signed_in(screener).get(reverse("enquiries:screening-queue")).content.decode()
    assert html.count("Identifier conflict") == 2


def test_the_chronology_leaves_the_other_child_out_and_says_so(
    maya_and_ellie: tuple[Contact, Contact], screener: User, personas: dict[str, User]
) -> None:
    maya, ellie = maya_and_ellie
    child = ellie.people.get(position=0)
    url = reverse("enquiries:child-chronology", kwargs={"person_id": child.pk})
    html = signed_in(screener).get(url).content.decode()

    assert 'data-testid="identifier-conflict-notice"' in html
    assert maya.reference not in html
    assert "Maya" not in html


def test_the_screening_page_takes_the_same_queries_however_many_conflicts(
    school_referrer: User, screener: User
) -> None:
    def child_after(mayas: int, given: str, number: str) -> Contact:
        for _ in range(mayas):
            _contact(
                school_referrer,
                given_names="Maya",
                family_name="Okafor",
                date_of_birth=date(2014, 3, 9),
                nhs_number=number,
            )
        return _contact(
            school_referrer,
            given_names=given,
            family_name="Harper",
            date_of_birth=date(2016, 11, 21),
            nhs_number=number,
        )

    client = signed_in(screener)
    one = child_after(1, "Ellie", SHARED)
    client.get(_page(one))  # the session and the user's roles
    with CaptureQueriesContext(connection) as few:
        assert client.get(_page(one)).status_code == 200
    # Another girl and another number, so that neither has other contacts of her own.
    many = child_after(5, "Ruby", "4010232137")
    assert IdentifierConflict.objects.filter(contact_person__contact=many).count() == 5
    with CaptureQueriesContext(connection) as more:
        html = client.get(_page(many)).content.decode()
    assert html.count('data-testid="identifier-conflict"') == 5
    assert len(more) == len(few)


def test_the_decision_page_warns_the_manager_of_an_open_conflict(
    maya_and_ellie: tuple[Contact, Contact], personas: dict[str, User], screener: User
) -> None:
    _, ellie = maya_and_ellie
    url = reverse("enquiries:decision", kwargs={"reference": ellie.reference})
    html = signed_in(personas["manager"]).get(url).content.decode()
    assert 'data-testid="identifier-conflict-warning"' in html

    conflict = IdentifierConflict.objects.get()
    conflict_resolve(
        actor=Actor(user=screener),
        conflict_id=conflict.pk,
        outcome=ConflictState.SAME_CHILD,
        reason="Typo",
    )
    html = signed_in(personas["manager"]).get(url).content.decode()
    assert 'data-testid="identifier-conflict-warning"' not in html
