"""The referrer adds information to their own open contact (issue 13, item 3)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.accounts.models import ApiToken, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import ContactState
from openmash.contacts.models import Contact, ContactAddition
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.core.roles import Role
from openmash.enquiries.models import Message
from openmash.enquiries.services.additions import (
    AdditionInvalid,
    ContactNotOpen,
    contact_add_information,
    contact_additions_mark_seen,
)
from openmash.enquiries.services.screening import contact_take
from tests.conftest import signed_in
from tests.factories import a_submission

pytestmark = pytest.mark.django_db


def add(user: User, contact: Contact, text: str = "Mum called: the child is now at gran's.") -> Any:
    return contact_add_information(actor=Actor(user=user), contact_id=contact.pk, text=text)


def detail_url(contact: Contact) -> str:
    return reverse("contacts:detail", kwargs={"reference": contact.reference})


def add_url(contact: Contact) -> str:
    return reverse("contacts:add-information", kwargs={"reference": contact.reference})


# --- The service -------------------------------------------------------------------------


def test_the_referrer_adds_information_and_it_is_audited(
    school_referrer: User, school_contact: Contact
) -> None:
    result = add(school_referrer, school_contact, "  Mum called back.  ")
    addition = ContactAddition.objects.get()
    assert addition == result.addition
    assert addition.text == "Mum called back."
    assert addition.added_by_user == school_referrer
    assert addition.seen_at is None
    assert AuditEvent.objects.filter(
        object_type="contact_addition", object_id=str(addition.pk), contact_id=school_contact.pk
    ).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the information you want to add"),
        ("   ", "Enter the information you want to add"),
        ("x" * 5001, "The information must be 5,000 characters or fewer"),
        ("a\x00b", "The information must not contain a null character"),
    ],
)
def test_it_names_the_field_and_writes_nothing(
    school_referrer: User, school_contact: Contact, text: str, message: str
) -> None:
    with pytest.raises(AdditionInvalid) as refused:
        add(school_referrer, school_contact, text)
    assert [(e.field, e.message) for e in refused.value.errors] == [("text", message)]
    assert not ContactAddition.objects.exists()


def test_a_referrer_of_another_agency_is_told_it_does_not_exist(
    other_school_referrer: User, school_contact: Contact
) -> None:
    with pytest.raises(Http404):
        add(other_school_referrer, school_contact)
    assert not ContactAddition.objects.exists()


def test_a_colleague_who_did_not_submit_it_may_not_add(
    make_user: Any, school_contact: Contact
) -> None:
    colleague = make_user("colleague", Role.REFERRER, "riverside")
    with pytest.raises(PermissionDenied):
        add(colleague, school_contact)


def test_a_screener_may_not_add_as_the_referrer(screener: User, school_contact: Contact) -> None:
    with pytest.raises((PermissionDenied, Http404)):
        add(screener, school_contact)


@pytest.mark.parametrize(
    "state", [ContactState.DECIDED, ContactState.HANDED_ON, ContactState.CLOSED]
)
def test_it_refuses_once_the_mash_has_finished(
    school_referrer: User, school_contact: Contact, state: str
) -> None:
    Contact.objects.filter(pk=school_contact.pk).update(state=state)
    with pytest.raises(ContactNotOpen):
        add(school_referrer, school_contact)
    assert not ContactAddition.objects.exists()


def test_the_screener_who_took_it_is_emailed_without_personal_data(
    school_referrer: User,
    school_contact: Contact,
    screener: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Contact.objects.filter(pk=school_contact.pk).update(
        assigned_to=screener, state=ContactState.SCREENING
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = add(school_referrer, school_contact, "The child disclosed more today.")
    assert result.screener_emailed
    message = Message.objects.get()
    assert message.to_user == screener
    assert school_contact.reference in message.subject
    assert "disclosed" not in message.body
    assert [sent.to for sent in mail.outbox] == [[screener.email]]


def test_no_email_when_no_one_has_taken_it(
    school_referrer: User, school_contact: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = add(school_referrer, school_contact)
    assert not result.screener_emailed
    assert not Message.objects.exists()
    assert mail.outbox == []


# --- The referrer's page -----------------------------------------------------------------


def test_the_referrer_adds_information_on_their_contact_page(
    school_referrer: User, school_contact: Contact
) -> None:
    client = signed_in(school_referrer)
    page = client.get(detail_url(school_contact)).content.decode()
    assert "Add information" in page
    response = client.post(add_url(school_contact), {"text": "Gran now has the child."})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Gran now has the child." in page
    assert "Your information has been added" in page


def test_an_empty_addition_shows_the_error_and_keeps_what_was_typed(
    school_referrer: User, school_contact: Contact
) -> None:
    client = signed_in(school_referrer)
    response = client.post(add_url(school_contact), {"text": "x" * 5001})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "5,000 characters or fewer" in page
    assert "x" * 5001 in page
    response = client.post(add_url(school_contact), {"text": ""})
    assert "Enter the information you want to add" in response.content.decode()


def test_the_form_is_not_offered_once_decided_and_a_post_is_refused(
    school_referrer: User, school_contact: Contact
) -> None:
    Contact.objects.filter(pk=school_contact.pk).update(state=ContactState.DECIDED)
    client = signed_in(school_referrer)
    assert "Add information" not in client.get(detail_url(school_contact)).content.decode()
    response = client.post(add_url(school_contact), {"text": "More"})
    assert response.status_code == 400
    assert "make a new contact instead" in response.content.decode()
    assert not ContactAddition.objects.exists()


def test_a_referrer_of_another_agency_cannot_post(
    other_school_referrer: User, school_contact: Contact
) -> None:
    response = signed_in(other_school_referrer).post(add_url(school_contact), {"text": "More"})
    assert response.status_code in (403, 404)
    assert not ContactAddition.objects.exists()


def test_signed_out_posts_are_sent_to_sign_in(school_contact: Contact) -> None:
    response = Client().post(add_url(school_contact), {"text": "More"})
    assert response.status_code in (302, 403)
    assert not ContactAddition.objects.exists()


# --- The screener -------------------------------------------------------------------------


def screening_url(contact: Contact) -> str:
    return reverse("enquiries:screening", kwargs={"reference": contact.reference})


def read_url(contact: Contact) -> str:
    return reverse("enquiries:screening-additions-read", kwargs={"reference": contact.reference})


def shown_ids(page: str) -> list[int]:
    """The ids the "Mark as read" form posts: the additions the page showed as new."""
    return [int(pk) for pk in re.findall(r'name="shown" value="(\d+)"', page)]


def test_the_screener_sees_it_new_until_they_mark_it_read(
    school_referrer: User, school_contact: Contact, screener: User
) -> None:
    add(school_referrer, school_contact, "Mum called back.")
    client = signed_in(screener)
    queue = client.get(reverse("enquiries:screening-queue")).content.decode()
    assert 'data-testid="new-information-tag"' in queue
    page = client.get(screening_url(school_contact)).content.decode()
    assert "Mum called back." in page
    assert 'data-testid="addition-new"' in page
    assert "Mark as read" in page
    # Opening the page (a read) writes nothing: it is still new the second time.
    assert ContactAddition.objects.get().seen_at is None
    page = client.get(screening_url(school_contact)).content.decode()
    assert 'data-testid="addition-new"' in page
    assert shown_ids(page) == [ContactAddition.objects.get().pk]

    response = client.post(read_url(school_contact), {"shown": shown_ids(page)})

    assert response.status_code == 302
    addition = ContactAddition.objects.get()
    assert addition.seen_by == screener
    assert addition.seen_at is not None
    assert AuditEvent.objects.filter(
        contact_id=school_contact.pk, detail__change="additions_marked_read"
    ).exists()
    page = client.get(screening_url(school_contact)).content.decode()
    assert "Mum called back." in page
    assert 'data-testid="addition-new"' not in page
    assert "Mark as read" not in page
    queue = client.get(reverse("enquiries:screening-queue")).content.decode()
    assert 'data-testid="new-information-tag"' not in queue


def test_mark_as_read_leaves_new_what_the_referrer_added_after_the_page_opened(
    school_referrer: User, school_contact: Contact, screener: User
) -> None:
    # The screener opens the page and sees A1; the referrer then adds A2 (an escalation)
    # before the screener presses "Mark as read".
    first = add(school_referrer, school_contact, "Mum called back.").addition
    client = signed_in(screener)
    page = client.get(screening_url(school_contact)).content.decode()
    assert shown_ids(page) == [first.pk]
    second = add(school_referrer, school_contact, "He has now said he will hurt her.").addition

    response = client.post(read_url(school_contact), {"shown": shown_ids(page)}, follow=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.seen_by == screener
    assert second.seen_at is None
    assert second.seen_by is None
    event = AuditEvent.objects.get(
        contact_id=school_contact.pk, detail__change="additions_marked_read"
    )
    assert event.detail["additions"] == [first.pk]
    page = response.content.decode()
    assert 'data-testid="important-banner"' in page
    assert "The referrer added more information after you opened this page." in page
    assert "marked as read" in page
    # A2 is still new on the page and in the queue, and the form now offers it.
    assert page.count('data-testid="addition-new"') == 1
    assert shown_ids(page) == [second.pk]
    queue = client.get(reverse("enquiries:screening-queue")).content.decode()
    assert 'data-testid="new-information-tag"' in queue


def test_the_service_marks_only_what_was_shown_and_only_on_this_contact(
    school_referrer: User, school_contact: Contact, screener: User
) -> None:
    other_contact, _ = contact_create(submission=a_submission(), actor=Actor(user=school_referrer))
    elsewhere = add(school_referrer, other_contact, "On another contact.").addition
    first = add(school_referrer, school_contact, "Mum called back.").addition
    second = add(school_referrer, school_contact, "And again.").addition

    result = contact_additions_mark_seen(
        actor=Actor(user=screener),
        contact_id=school_contact.pk,
        shown=[first.pk, elsewhere.pk],
    )

    assert (result.marked, result.newer) == (1, 1)
    assert ContactAddition.objects.get(pk=first.pk).seen_at is not None
    assert ContactAddition.objects.get(pk=second.pk).seen_at is None
    assert ContactAddition.objects.get(pk=elsewhere.pk).seen_at is None
    # Marking again what is already read changes nothing and is not audited again.
    again = contact_additions_mark_seen(
        actor=Actor(user=screener), contact_id=school_contact.pk, shown=[first.pk]
    )
    assert (again.marked, again.newer) == (0, 1)
    assert AuditEvent.objects.filter(detail__change="additions_marked_read").count() == 1


def test_a_post_without_ids_marks_nothing_and_says_what_is_new(
    school_referrer: User, school_contact: Contact, screener: User
) -> None:
    add(school_referrer, school_contact, "Mum called back.")
    client = signed_in(screener)

    response = client.post(read_url(school_contact), {"shown": ["x", ""]}, follow=True)

    assert response.status_code == 200
    assert ContactAddition.objects.get().seen_at is None
    page = response.content.decode()
    assert 'data-testid="important-banner"' in page
    assert "There was no new information to mark as read." in page


def test_another_screener_may_not_mark_read_what_the_screener_of_the_contact_has_not_read(
    school_referrer: User,
    school_contact: Contact,
    screener: User,
    make_user: Callable[..., User],
) -> None:
    contact_take(actor=Actor(user=screener), contact_id=school_contact.pk)
    add(school_referrer, school_contact, "Mum called back.")
    other = make_user("other_screener", Role.SCREENER)
    client = signed_in(other)
    assert "Mark as read" not in client.get(screening_url(school_contact)).content.decode()

    response = client.post(read_url(school_contact))

    assert response.status_code == 403
    assert ContactAddition.objects.get().seen_at is None


def test_the_queue_asks_no_more_queries_for_more_contacts_with_new_information(
    school_referrer: User, screener: User
) -> None:
    client = signed_in(screener)

    def queue_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("enquiries:screening-queue")).status_code == 200
        return len(captured)

    first, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    add(school_referrer, first)
    one = queue_queries()
    for _ in range(3):
        contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
        add(school_referrer, contact)
        add(school_referrer, contact, "And more.")
    assert queue_queries() == one


# --- The API -------------------------------------------------------------------------------


@pytest.fixture
def police_client(police_token: tuple[ApiToken, str]) -> Client:
    return Client(headers={"Authorization": f"Bearer {police_token[1]}"})


def police_contact(police_token: tuple[ApiToken, str]) -> Contact:
    contact, _ = contact_create(actor=Actor(token=police_token[0]), submission=a_submission())
    return contact


def additions_url(contact_id: int) -> str:
    return f"/api/v1/contacts/{contact_id}/additions"


def test_the_agency_system_adds_information_and_reads_it_back(
    police_client: Client, police_token: tuple[ApiToken, str]
) -> None:
    contact = police_contact(police_token)
    response = police_client.post(
        additions_url(contact.pk), {"text": "Arrest made."}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Arrest made."
    assert ContactAddition.objects.get().added_by_token == police_token[0]
    body = police_client.get(f"/api/v1/contacts/{contact.pk}").json()
    assert [addition["text"] for addition in body["additions"]] == ["Arrest made."]


def test_the_api_names_the_field_for_empty_or_long_text(
    police_client: Client, police_token: tuple[ApiToken, str]
) -> None:
    contact = police_contact(police_token)
    for text in ["", "x" * 5001]:
        response = police_client.post(
            additions_url(contact.pk), {"text": text}, content_type="application/json"
        )
        assert response.status_code == 422
        assert "text" in response.json()["errors"][0]["field"]
    assert not ContactAddition.objects.exists()


def test_the_api_refuses_another_agencys_contact_and_a_decided_one(
    police_client: Client,
    police_token: tuple[ApiToken, str],
    school_contact: Contact,
    agencies: Any,
) -> None:
    response = police_client.post(
        additions_url(school_contact.pk), {"text": "More"}, content_type="application/json"
    )
    assert response.status_code == 404
    contact = police_contact(police_token)
    Contact.objects.filter(pk=contact.pk).update(state=ContactState.CLOSED)
    response = police_client.post(
        additions_url(contact.pk), {"text": "More"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert not ContactAddition.objects.exists()


def test_another_token_of_the_same_agency_may_add(
    police_token: tuple[ApiToken, str], agencies: Any
) -> None:
    contact = police_contact(police_token)
    _, secret = api_token_issue(agency=agencies["police"], name="Second system", issued_by="test")
    response = Client(headers={"Authorization": f"Bearer {secret}"}).post(
        additions_url(contact.pk), {"text": "More"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_the_openapi_schema_documents_the_additions_endpoint(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/contacts/{contact_id}/additions"]["post"]
    assert {"201", "404", "409", "422"} <= set(operation["responses"])


def test_an_undelivered_new_information_email_is_named_for_the_manager(
    school_referrer: User, school_contact: Contact, screener: User
) -> None:
    from openmash.enquiries.presenters.decisions import MessagePresenter

    Contact.objects.filter(pk=school_contact.pk).update(assigned_to=screener)
    add(school_referrer, school_contact)
    assert MessagePresenter(Message.objects.get()).what == "Referrer added information"
