"""Emails the mail server did not take: a MASH manager tries one again from the decision
page, which then says how it went. The service is
openmash.enquiries.services.messages.message_retry."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from openmash.core.audit import Actor
from openmash.core.permissions import requires
from openmash.enquiries.models import MessageStatus
from openmash.enquiries.selectors.decisions import message_for_retry
from openmash.enquiries.services.messages import message_retry
from openmash.enquiries.views.decisions import decision_page_render, decision_url
from openmash.enquiries.views.refusals import Refusal, attempt


@requires("enquiries.retry_message")
@require_POST
def message_retry_view(request: HttpRequest, message_id: int) -> HttpResponse:
    """Try an undelivered email again, now; the decision page then says how it went."""
    actor = Actor.from_request(request)
    reference = message_for_retry(actor=actor, message_id=message_id).contact.reference
    message = attempt(lambda: message_retry(actor=actor, message_id=message_id))
    if isinstance(message, Refusal):
        return decision_page_render(request, reference, refusal=message)
    # The attempt is made as the service's transaction commits: by now it has been.
    message.refresh_from_db()
    if message.status == MessageStatus.FAILED:
        return decision_page_render(
            request,
            reference,
            email_problem=f"The email still could not be sent: {message.failure}.",
        )
    if message.status == MessageStatus.SENT:
        messages.success(request, "The email was sent.")
    else:
        messages.success(request, "The email will be sent again shortly.")
    return redirect(decision_url(reference) + "#undelivered-emails")
