"""The one way an enquiry action view turns a service's refusal into its page shown again
with the reason.

An action view runs its service through `act`: on success the banner the view words and
a redirect; on a refusal the view's page drawn again with it. (`attempt`, underneath,
gives back what the service returned or the Refusal, for the few views that do more with
either.) A Refusal has the status the page is shown with, and the reason:
- the view's form does not validate: 400, the form as typed with its errors;
- FieldErrors (EnquiryInvalid, or a linkage engine's): 400, each message beside its field
  in the form as typed (or, with no form, all of them as the reason);
- the contact has moved on or someone got there first (IllegalTransition,
  ContactAlreadyTaken, ChecksOutstanding, LinkNotOpen, ConflictNotOpen,
  MessageNotRetryable, CheckNotOpen, AllocationChanged): 409, the
  service's own words as the reason;
- PermissionDenied: 403 with the view's explanation when it has one (the contact is
  being screened by someone else); without one, Django's 403 page as for any route.
Nothing else is caught.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from openmash.core.errors import FieldErrors
from openmash.core.forms import GovukForm
from openmash.enquiries.services.allocation import AllocationChanged
from openmash.enquiries.services.attachments import CheckNotOpen
from openmash.enquiries.services.guards import ChecksOutstanding, ContactAlreadyTaken
from openmash.enquiries.services.messages import MessageNotRetryable
from openmash.enquiries.workflow import IllegalTransition
from openmash.linkage.conflicts import ConflictNotOpen
from openmash.linkage.links import LinkNotOpen

BAD_REQUEST = 400
FORBIDDEN = 403
CONFLICT = 409
CONFLICTS = (
    IllegalTransition,
    ContactAlreadyTaken,
    ChecksOutstanding,
    LinkNotOpen,
    ConflictNotOpen,
    MessageNotRetryable,
    CheckNotOpen,
    AllocationChanged,
)
T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """Why the service did nothing. `reason` is for the page's error summary (empty when
    every message is beside a field of the form); `errors` are the service's field errors;
    `error` is what the service raised, for a page that shows more (the checks still
    outstanding)."""

    status: int
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None


def attempt(
    call: Callable[[], T], *, form: GovukForm | None = None, forbidden: str = ""
) -> T | Refusal:
    """Validate `form` (if any), then run `call`, one service: what it returns, or the
    Refusal the page shows. Field errors go onto `form` as the module docstring says."""
    if form is not None and not form.is_valid():
        return Refusal(BAD_REQUEST)
    try:
        return call()
    except FieldErrors as invalid:
        if form is None:
            return Refusal(BAD_REQUEST, " ".join(invalid.errors.values()), invalid.errors, invalid)
        for name, message in invalid.errors.items():
            form.add_error(name if name in form.fields else None, message)
        form.mark_error_widgets()
        return Refusal(BAD_REQUEST, errors=invalid.errors, error=invalid)
    except CONFLICTS as refused:
        return Refusal(CONFLICT, str(refused), error=refused)
    except PermissionDenied:
        if not forbidden:
            raise
        return Refusal(FORBIDDEN, forbidden)


def act(
    request: HttpRequest,
    call: Callable[[], str],
    *,
    refused: Callable[[Refusal], HttpResponse],
    done: str,
    form: GovukForm | None = None,
    forbidden: str = "",
) -> HttpResponse:
    """Run one service for an action view (`call` returns the banner that says what was
    done): on success, the banner and a redirect to the URL `done`; on a refusal, the
    page `refused` draws with it."""
    outcome = attempt(call, form=form, forbidden=forbidden)
    if isinstance(outcome, Refusal):
        return refused(outcome)
    messages.success(request, outcome)
    return HttpResponseRedirect(done)
