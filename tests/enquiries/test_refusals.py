"""The one way an enquiry action view turns a service's refusal into its page:
openmash.enquiries.views.refusals.attempt."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from openmash.contacts.models import Contact
from openmash.core.errors import FieldErrors
from openmash.core.forms import GovukForm
from openmash.enquiries.services.guards import ChecksOutstanding, EnquiryInvalid
from openmash.enquiries.views.refusals import Refusal, act, attempt
from openmash.enquiries.workflow import IllegalTransition
from openmash.linkage.links import LinkNotOpen


class ReasonForm(GovukForm):
    reason = forms.CharField(required=False)


def refuse(error: Exception) -> str:
    raise error


def test_it_gives_back_what_the_service_returned() -> None:
    assert attempt(lambda: "Done.") == "Done."


def test_it_does_not_run_the_service_when_the_form_is_invalid() -> None:
    class Strict(GovukForm):
        reason = forms.CharField(max_length=3)

    ran: list[bool] = []
    outcome = attempt(lambda: ran.append(True), form=Strict({"reason": "too long"}))
    assert outcome == Refusal(400)
    assert ran == []


def test_it_puts_field_errors_beside_the_fields_of_the_form() -> None:
    form = ReasonForm({"reason": ""})
    outcome = attempt(
        lambda: refuse(EnquiryInvalid({"reason": "Enter a reason", "other": "Not here"})),
        form=form,
    )
    assert isinstance(outcome, Refusal)
    assert (outcome.status, outcome.reason) == (400, "")
    assert form.errors["reason"] == ["Enter a reason"]
    # A field the form does not have is reported above the form.
    assert form.non_field_errors() == ["Not here"]


def test_it_gives_field_errors_as_the_reason_when_there_is_no_form() -> None:
    # linkage raises the general FieldErrors: a view catches it the same way.
    outcome = attempt(
        lambda: refuse(FieldErrors({"reason": "Enter why the link is wrong", "when": "Too late"}))
    )
    assert isinstance(outcome, Refusal)
    assert (outcome.status, outcome.reason) == (400, "Enter why the link is wrong Too late")
    assert outcome.errors == {"reason": "Enter why the link is wrong", "when": "Too late"}


def test_an_enquiry_services_invalid_request_is_a_field_error() -> None:
    assert issubclass(EnquiryInvalid, FieldErrors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        lambda contact: IllegalTransition(contact, "decided", "Already decided."),
        lambda contact: ChecksOutstanding([]),
        lambda contact: LinkNotOpen("That match has already been decided."),
    ],
)
def test_it_answers_a_conflict_with_409_and_the_services_words(error: object) -> None:
    contact = Contact(reference="MASH-1", state="closed")
    raised = error(contact)  # type: ignore[operator]
    outcome = attempt(lambda: refuse(raised))
    assert outcome == Refusal(409, str(raised), error=raised)


def test_it_answers_permission_denied_with_the_views_explanation() -> None:
    outcome = attempt(lambda: refuse(PermissionDenied()), forbidden="Ask the screener.")
    assert outcome == Refusal(403, "Ask the screener.")


def test_it_leaves_permission_denied_to_django_when_the_view_has_no_explanation() -> None:
    with pytest.raises(PermissionDenied):
        attempt(lambda: refuse(PermissionDenied()))


def test_it_catches_nothing_else() -> None:
    with pytest.raises(ZeroDivisionError):
        attempt(lambda: 1 // 0)


def _request() -> HttpRequest:
    request = RequestFactory().post("/mash/contacts/MASH-1/decision/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def test_an_action_done_redirects_with_its_banner() -> None:
    request = _request()
    response = act(
        request,
        lambda: "Decision recorded: no further action.",
        refused=lambda refusal: HttpResponse(status=500),
        done="/mash/contacts/MASH-1/decision/",
    )
    assert (response.status_code, response["Location"]) == (302, "/mash/contacts/MASH-1/decision/")
    assert [str(message) for message in get_messages(request)] == [
        "Decision recorded: no further action."
    ]


def test_an_action_refused_draws_the_page_with_the_refusal_and_no_banner() -> None:
    request = _request()
    seen: list[Refusal] = []

    def page(refusal: Refusal) -> HttpResponse:
        seen.append(refusal)
        return HttpResponse(refusal.reason, status=refusal.status)

    response = act(
        request,
        lambda: refuse(PermissionDenied()),
        refused=page,
        done="/",
        forbidden="Ask the screener who took it.",
    )
    assert (response.status_code, response.content) == (403, b"Ask the screener who took it.")
    assert seen == [Refusal(403, "Ask the screener who took it.")]
    assert list(get_messages(request)) == []
