"""Allocation (issue 13, item 4): a MASH manager assigns or transfers contacts to a named
worker, one at a time or in bulk from the screening queue; every move is audited and the
worker is told by email."""

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditEvent
from openmash.enquiries.models import Message, MessageKind
from openmash.enquiries.selectors.allocation import allocation_candidates
from openmash.enquiries.services.allocation import contact_assign, contacts_assign_bulk
from openmash.enquiries.services.screening import closure_propose, contact_rate, contact_take
from openmash.enquiries.workflow import IllegalTransition
from tests.conftest import signed_in
from tests.factories import a_submission


def _contact(referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    return contact


def _moves(contact: Contact) -> list[dict[str, Any]]:
    return [
        event.detail
        for event in AuditEvent.objects.filter(contact_id=contact.pk, object_type="contact")
        .exclude(detail__change=None)
        .order_by("pk")
        if event.detail.get("change") in ("assigned", "transferred")
    ]


def test_a_manager_assigns_a_received_contact_to_a_screener_who_is_told_by_email(
    school_referrer: User,
    manager: User,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = _contact(school_referrer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        contact_assign(actor=Actor(user=manager), contact_id=contact.pk, worker_id=screener.pk)

    contact.refresh_from_db()
    assert contact.assigned_to == screener
    assert contact.state == ContactState.SCREENING
    assert _moves(contact) == [{"change": "assigned", "from_user": None, "to_user": screener.pk}]
    message = Message.objects.get(contact=contact, kind=MessageKind.ALLOCATED)
    assert message.to_user == screener
    assert [email.to for email in mail.outbox] == [[screener.email]]
    assert contact.reference in mail.outbox[0].subject


def test_a_manager_transfers_a_contact_from_one_screener_to_another_and_the_move_is_audited(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    contact = _contact(school_referrer)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)

    contact_assign(actor=Actor(user=manager), contact_id=contact.pk, worker_id=second_screener.pk)

    contact.refresh_from_db()
    assert contact.assigned_to == second_screener
    assert _moves(contact) == [
        {"change": "transferred", "from_user": screener.pk, "to_user": second_screener.pk}
    ]


def test_a_screener_may_not_allocate(
    school_referrer: User, screener: User, second_screener: User
) -> None:
    contact = _contact(school_referrer)
    with pytest.raises(PermissionDenied):
        contact_assign(
            actor=Actor(user=screener), contact_id=contact.pk, worker_id=second_screener.pk
        )
    with pytest.raises(PermissionDenied):
        contacts_assign_bulk(
            actor=Actor(user=screener), references=[contact.reference], worker_id=screener.pk
        )
    contact.refresh_from_db()
    assert contact.assigned_to is None


def test_it_refuses_a_worker_who_does_not_screen(school_referrer: User, manager: User) -> None:
    contact = _contact(school_referrer)
    with pytest.raises(FieldErrors) as refused:
        contact_assign(
            actor=Actor(user=manager), contact_id=contact.pk, worker_id=school_referrer.pk
        )
    assert refused.value.errors == {"worker": "Select the worker to assign to"}


def test_it_refuses_to_assign_a_contact_waiting_for_a_decision(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    contact = _contact(school_referrer)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="green", rationale="Low.")
    closure_propose(
        actor=Actor(user=screener), contact_id=contact.pk, outcome="nfa", rationale="None."
    )
    with pytest.raises(IllegalTransition, match="waiting for a manager's decision"):
        contact_assign(
            actor=Actor(user=manager), contact_id=contact.pk, worker_id=second_screener.pk
        )


def test_bulk_assigns_the_open_ones_and_skips_the_others_with_a_reason(
    school_referrer: User,
    manager: User,
    screener: User,
    second_screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second, theirs = (_contact(school_referrer) for _ in range(3))
    contact_assign(actor=Actor(user=manager), contact_id=theirs.pk, worker_id=second_screener.pk)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        allocation = contacts_assign_bulk(
            actor=Actor(user=manager),
            references=[first.reference, second.reference, theirs.reference, "MASH-NONE"],
            worker_id=second_screener.pk,
        )

    assert [contact.reference for contact in allocation.assigned] == [
        first.reference,
        second.reference,
    ]
    assert [skipped.reference for skipped in allocation.skipped] == [
        theirs.reference,
        "MASH-NONE",
    ]
    assert "already assigned" in allocation.skipped[0].reason
    assert Contact.objects.filter(assigned_to=second_screener).count() == 3
    assert len(mail.outbox) == 2


def test_bulk_needs_contacts_and_a_worker(manager: User) -> None:
    with pytest.raises(FieldErrors) as refused:
        contacts_assign_bulk(actor=Actor(user=manager), references=[], worker_id="")
    assert refused.value.errors == {
        "contacts": "Select the contacts to assign",
        "worker": "Select the worker to assign to",
    }


def test_candidates_show_each_workers_open_contacts(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    for _ in range(2):
        contact_take(actor=Actor(user=screener), contact_id=_contact(school_referrer).pk)
    counts = {candidate.user: candidate.open_count for candidate in allocation_candidates()}
    assert counts[screener] == 2
    assert counts[second_screener] == 0
    assert school_referrer not in counts


def test_the_queue_form_shows_field_errors_when_nothing_is_chosen(
    school_referrer: User, manager: User
) -> None:
    _contact(school_referrer)
    response = signed_in(manager).post(reverse("enquiries:screening-queue-assign"), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select the contacts to assign" in page
    assert "Select the worker to assign to" in page
    assert "There is a problem" in page


def test_the_queue_form_assigns_the_selected_contacts(
    school_referrer: User, manager: User, screener: User
) -> None:
    first, second = _contact(school_referrer), _contact(school_referrer)
    client = signed_in(manager)
    response = client.post(
        reverse("enquiries:screening-queue-assign"),
        {"contacts": [first.reference, second.reference], "worker": str(screener.pk)},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Assigned {first.reference} and {second.reference} to" in response.content.decode()
    assert Contact.objects.filter(assigned_to=screener).count() == 2


def test_a_screener_sees_no_bulk_form_and_may_not_post_it(
    school_referrer: User, screener: User
) -> None:
    contact = _contact(school_referrer)
    client = signed_in(screener)
    assert client.get(reverse("enquiries:screening-queue")).context["assign_form"] is None
    response = client.post(
        reverse("enquiries:screening-queue-assign"),
        {"contacts": [contact.reference], "worker": str(screener.pk)},
    )
    assert response.status_code == 403


def test_the_contact_page_transfers_one_contact(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    contact = _contact(school_referrer)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    response = signed_in(manager).post(
        reverse("enquiries:screening-assign", kwargs={"reference": contact.reference}),
        {"assign-worker": str(second_screener.pk)},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.assigned_to == second_screener


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_managers_queue_with_the_bulk_form_reads_a_flat_number_of_queries(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    client = signed_in(manager)
    url = reverse("enquiries:screening-queue")
    _contact(school_referrer)
    client.get(url)
    one = _queries(client, url)
    for number in range(19):
        contact = _contact(school_referrer)
        if number % 2:
            worker = screener if number % 4 == 1 else second_screener
            contact_assign(actor=Actor(user=manager), contact_id=contact.pk, worker_id=worker.pk)
    twenty = _queries(client, url)
    assert one == twenty
    assert len(client.get(url).context["rows"]) == 20


def test_the_contact_page_asks_for_a_worker_when_none_is_chosen(
    school_referrer: User, manager: User
) -> None:
    contact = _contact(school_referrer)
    response = signed_in(manager).post(
        reverse("enquiries:screening-assign", kwargs={"reference": contact.reference}),
        {"assign-worker": ""},
    )
    assert response.status_code == 400
    assert "Select the worker to assign to" in response.content.decode()
    contact.refresh_from_db()
    assert contact.assigned_to is None


def test_the_queue_form_says_which_contacts_it_skipped_and_why(
    school_referrer: User, manager: User, screener: User, second_screener: User
) -> None:
    waiting, fresh = _contact(school_referrer), _contact(school_referrer)
    contact_take(actor=Actor(user=screener), contact_id=waiting.pk)
    contact_rate(actor=Actor(user=screener), contact_id=waiting.pk, rag="green", rationale="Low.")
    closure_propose(
        actor=Actor(user=screener), contact_id=waiting.pk, outcome="nfa", rationale="None."
    )
    response = signed_in(manager).post(
        reverse("enquiries:screening-queue-assign"),
        {"contacts": [waiting.reference, fresh.reference], "worker": str(second_screener.pk)},
        follow=True,
    )
    page = response.content.decode()
    assert f"Assigned {fresh.reference} to" in page
    assert f"Not assigned: {waiting.reference} is waiting for a manager&#x27;s decision." in page
    waiting.refresh_from_db()
    assert waiting.assigned_to == screener
