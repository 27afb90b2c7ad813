from typing import cast

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmash.accounts.models import User
from openmash.area.out_of_hours import out_of_hours_at
from openmash.contacts.codes import Channel, ReferralSource
from openmash.contacts.forms import (
    BasePeopleFormSet,
    ContactForm,
    PeopleFormSet,
    attach_errors,
    build_submission,
    errors_not_shown_yet,
)
from openmash.contacts.presenters import (
    AccessEventPresenter,
    ContactPresenter,
    OutOfHoursPresenter,
)
from openmash.contacts.selectors import (
    contact_draft_for,
    contact_get_visible_to,
    contact_page_new,
    contact_weekly_counts_by_source,
    person_access_log,
    person_search_for_access_log,
)
from openmash.contacts.services import (
    ContactInvalid,
    contact_create,
    contact_draft_discard,
    contact_draft_save,
)
from openmash.contacts.submission import ContactSubmission, ReferrerDetails, submission_errors
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary, form_errors_for_fields
from openmash.core.kept_searches import KeptSearches
from openmash.core.permissions import requires

PEOPLE_PREFIX = "people"


def _records_phone_contacts(user: User) -> bool:
    return user.has_perm("contacts.record_contact_received_by_phone")


def _referrer_from_account(user: User) -> ReferrerDetails:
    agency = user.agency
    return ReferrerDetails(
        name=user.display_name,
        role=user.job_title,
        organisation=agency.name if agency else "",
        email=user.email,
        phone=user.phone,
        source_code=(agency.default_referral_source if agency else "") or ReferralSource.UNKNOWN,
    )


def _initial_for(user: User) -> dict[str, object]:
    if _records_phone_contacts(user):
        return {"channel": Channel.PHONE.value}
    referrer = _referrer_from_account(user)
    return {
        "referrer_name": referrer.name,
        "referrer_role": referrer.role,
        "referrer_organisation": referrer.organisation,
        "referrer_email": referrer.email,
        "referrer_phone": referrer.phone,
        "referral_source": referrer.source_code,
    }


# As many people as a contact can name (PeopleFormSet's max_num).
MOST_PEOPLE = 20


def _whole_number(text: str | None, default: int) -> int:
    """A number the page itself sends (how many people, which to remove); anything else
    was not sent by the page: a 400, never a server error."""
    if text is None:
        return default
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        raise BadRequest("The form's hidden fields were changed")
    return int(text)


def _people_count(data: QueryDict) -> int:
    return min(_whole_number(data.get(f"{PEOPLE_PREFIX}-TOTAL_FORMS"), 1), MOST_PEOPLE)


def _without_person(data: QueryDict, index: int) -> QueryDict:
    """The form data with one person removed and the rest renumbered."""
    total = _people_count(data)
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        if not key.startswith(f"{PEOPLE_PREFIX}-") or key.split("-")[1].isupper():
            kept.setlist(key, values)
    new_index = 0
    for old_index in range(total):
        if old_index == index:
            continue
        old_prefix = f"{PEOPLE_PREFIX}-{old_index}-"
        for key, values in data.lists():
            if key.startswith(old_prefix):
                kept.setlist(f"{PEOPLE_PREFIX}-{new_index}-{key[len(old_prefix) :]}", values)
        new_index += 1
    kept[f"{PEOPLE_PREFIX}-TOTAL_FORMS"] = str(max(new_index, 1))
    return kept


def _draft_data(data: QueryDict) -> dict[str, list[str]]:
    return {
        key: values for key, values in data.lists() if key not in {"csrfmiddlewaretoken", "action"}
    }


def _render_form(
    request: HttpRequest,
    form: ContactForm,
    people: BasePeopleFormSet,
    *,
    status: int = 200,
    **extra: object,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "form": form,
        "people": people,
        "error_summary": _summary_in_page_order(form, people),
        "records_phone_contacts": _records_phone_contacts(user),
        **extra,
    }
    return render(request, "contacts/contact_form.html", context, status=status)


# The last of the contact form's fields above the people on the page; the concerns and
# consent come after them.
LAST_FIELD_ABOVE_PEOPLE = "referral_source"


def _summary_in_page_order(form: ContactForm, people: BasePeopleFormSet) -> list[SummaryError]:
    """The error summary in the order the page shows the fields: how and when the
    contact came and who made it, then the people, then the concerns and consent (the
    summary once listed every contact field before the people)."""
    names = list(form.fields)
    above = names[: names.index(LAST_FIELD_ABOVE_PEOPLE) + 1]
    below = names[len(above) :]
    href = f"#{PEOPLE_PREFIX}"
    whole_form = error_summary(form, form_href=href)
    return [
        *(error for error in whole_form if error.href == href),  # about the whole form
        *form_errors_for_fields(form, above, form_href=href),
        *error_summary(people, form_href=href),
        *form_errors_for_fields(form, below, form_href=href),
    ]


def _people(data: QueryDict | None = None) -> BasePeopleFormSet:
    return cast(BasePeopleFormSet, PeopleFormSet(data, prefix=PEOPLE_PREFIX))


def _restored(data: QueryDict) -> tuple[ContactForm, BasePeopleFormSet]:
    """The forms as typed so far, shown without errors (a draft, or after adding a person)."""
    form = ContactForm(data)
    form.suppress_errors = True
    people = _people(data)
    people.suppress_errors = True
    for person in people.forms:
        person.suppress_errors = True
    return form, people


@requires("contacts.submit_contact")
@require_http_methods(["GET", "POST"])
def contact_create_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    actor = Actor.from_request(request)
    if request.method == "GET":
        draft = contact_draft_for(user=user)
        if draft is not None:
            data = QueryDict(mutable=True)
            for key, values in draft.data.items():
                data.setlist(key, values)
            form, people = _restored(data)
            return _render_form(request, form, people, draft_restored=draft.updated_at)
        form = ContactForm(initial=_initial_for(user))
        return _render_form(request, form, _people())

    action = request.POST.get("action", "submit")
    if action == "discard-draft":
        # Kept until they confirm (contact_draft_discard_view): going back loses nothing.
        contact_draft_save(actor=actor, owner=user, data=_draft_data(request.POST))
        return redirect("contacts:draft-discard")
    if action in {"add-person", "save-draft"} or action.startswith("remove-person-"):
        data = request.POST.copy()
        if action == "add-person":
            total = _people_count(data)
            data[f"{PEOPLE_PREFIX}-TOTAL_FORMS"] = str(min(total + 1, MOST_PEOPLE))
        elif action.startswith("remove-person-"):
            data = _without_person(data, _whole_number(action.rsplit("-", 1)[1], -1))
        contact_draft_save(actor=actor, owner=user, data=_draft_data(data))
        form, people = _restored(data)
        return _render_form(request, form, people, draft_saved=action == "save-draft")

    form = ContactForm(request.POST)
    people = _people(request.POST)
    form_valid, people_valid = form.is_valid(), people.is_valid()
    if form_valid and people_valid:
        try:
            contact, _ = contact_create(actor=actor, submission=_submission(user, form, people))
        except ContactInvalid as invalid:
            attach_errors(form, people, invalid.errors)
        else:
            return redirect("contacts:received", reference=contact.reference)
    else:
        # The rules the service checks too, for every field that passed the form's own:
        # one round of corrections, not one for the form's errors and another for these.
        submission = _submission(user, form, people)
        errors = submission_errors(submission, now=timezone.now())
        attach_errors(form, people, errors_not_shown_yet(form, people, errors))
    # Keep what was typed: a time-out after a failed submit loses nothing.
    contact_draft_save(actor=actor, owner=user, data=_draft_data(request.POST))
    return _render_form(request, form, people, status=400)


def _submission(user: User, form: ContactForm, people: BasePeopleFormSet) -> ContactSubmission:
    """What the forms describe: a phone contact as typed by MASH staff, or a referrer's
    own contact made now through the portal."""
    phone = _records_phone_contacts(user)
    submission = build_submission(
        form,
        people,
        channel=(form.cleaned_data.get("channel") or Channel.PHONE) if phone else Channel.PORTAL,
        referrer=None if phone else _referrer_with_typed_contact_details(user, form),
    )
    if not phone:
        submission.received_at = None
    return submission


def _referrer_with_typed_contact_details(user: User, form: ContactForm) -> ReferrerDetails:
    """A signed-in referrer is who their account says; they may correct the contact details."""
    referrer = _referrer_from_account(user)
    data = form.cleaned_data
    referrer.role = data.get("referrer_role") or referrer.role
    referrer.email = data.get("referrer_email") or referrer.email
    referrer.phone = data.get("referrer_phone") or referrer.phone
    referrer.source_code = data.get("referral_source") or referrer.source_code
    return referrer


@requires("contacts.submit_contact")
@require_http_methods(["GET", "POST"])
def contact_draft_discard_view(request: HttpRequest) -> HttpResponse:
    """Asks before a draft is thrown away (no script needed): GET asks, POST discards."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        contact_draft_discard(actor=Actor.from_request(request), owner=user)
        messages.success(request, "Your draft has been discarded.")
        return redirect("contacts:create")
    draft = contact_draft_for(user=user)
    if draft is None:
        return redirect("contacts:create")
    return render(request, "contacts/discard_draft.html", {"draft": draft})


@requires("contacts.submit_contact")
@require_POST
def contact_draft_autosave_view(request: HttpRequest) -> HttpResponse:
    """Saves the form as it stands, called by the page's script as the user types."""
    owner = cast(User, request.user)
    contact_draft_save(
        actor=Actor.from_request(request), owner=owner, data=_draft_data(request.POST)
    )
    return HttpResponse(status=204)


@requires("contacts.view_contact")
def contact_received_view(request: HttpRequest, reference: str) -> HttpResponse:
    contact = contact_get_visible_to(actor=Actor.from_request(request), reference=reference)
    # Made while the hub was closed: who to call meanwhile, and when the MASH reopens.
    out_of_hours = out_of_hours_at(contact.recorded_at)
    return render(
        request,
        "contacts/contact_received.html",
        {
            "contact": ContactPresenter(contact),
            "out_of_hours": OutOfHoursPresenter(out_of_hours) if out_of_hours else None,
        },
    )


@requires("contacts.view_new_contacts")
def new_contacts_view(request: HttpRequest) -> HttpResponse:
    page = contact_page_new(
        actor=Actor.from_request(request),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    return render(
        request,
        "contacts/new_contacts.html",
        {"page": page, "contacts": [ContactPresenter(contact) for contact in page.object_list]},
    )


@requires("contacts.view_contact_figures")
def contact_figures_view(request: HttpRequest) -> HttpResponse:
    return render(request, "contacts/figures.html", {"counts": contact_weekly_counts_by_source()})


# The access log search, like Find a child: what the auditor types (a child's name) is
# POSTed and kept server-side under a random id (openmash.core.kept_searches); the
# results' address holds only that id.
ACCESS_LOG_SEARCHES = KeptSearches("access_log_searches")
ACCESS_LOG_QUERY_LIMIT = 200


@requires("contacts.view_access_log")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
def access_log_search_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "contacts/access_log_search.html", {"query": ""})
    query = request.POST.get("q", "").strip()[:ACCESS_LOG_QUERY_LIMIT]
    if not query:
        return render(
            request,
            "contacts/access_log_search.html",
            {"query": "", "error": "Enter a contact reference or a name"},
            status=400,
        )
    search_id = ACCESS_LOG_SEARCHES.keep(request, {"q": query})
    return HttpResponseRedirect(
        reverse("contacts:access-log-results", args=[search_id]), status=303
    )


@requires("contacts.view_access_log")
@require_GET
def access_log_results_view(request: HttpRequest, search_id: str) -> HttpResponse:
    kept = ACCESS_LOG_SEARCHES.terms(request, search_id)
    if kept is None:
        # Expired, or never this user's: nothing is searched, nothing shown.
        return render(request, "contacts/access_log_search.html", {"query": "", "expired": True})
    query = kept["q"]
    people = person_search_for_access_log(actor=Actor.from_request(request), query=query)
    return render(request, "contacts/access_log_search.html", {"query": query, "people": people})


@requires("contacts.view_access_log")
def access_log_view(request: HttpRequest, person_id: int) -> HttpResponse:
    log = person_access_log(actor=Actor.from_request(request), person_id=person_id)
    return render(
        request,
        "contacts/access_log.html",
        {"person": log.person, "events": [AccessEventPresenter(event) for event in log.events]},
    )
