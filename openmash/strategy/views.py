"""The strategy discussion pages: the list (for an agency, its invitations), a
discussion, and the forms that raise, schedule, invite, record attendance, minutes, the
decision and actions. Reads go through openmash.strategy.selectors; writes are
openmash.strategy.services, refused as openmash.enquiries.views.refusals describes (and
409 with the reason when the discussion has moved on)."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from openmash.accounts.models import User
from openmash.core.attachments import download_response
from openmash.core.audit import Actor
from openmash.core.forms import GovukForm, SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.core.presenters import AttachmentRow
from openmash.core.roles import Role
from openmash.enquiries.forms.attachments import AttachmentForm
from openmash.enquiries.views.refusals import CONFLICT, Refusal, act, attempt
from openmash.strategy import forms, services
from openmash.strategy.models import StrategyDiscussion
from openmash.strategy.presenters import AwaitingRow, DiscussionPresenter
from openmash.strategy.selectors import (
    DiscussionRead,
    contact_for_raising,
    discussion_attachment_for_download,
    discussion_get_for,
    discussion_list_for,
    invitable,
)

GET_POST = require_http_methods(["GET", "POST"])


def _run(
    request: HttpRequest,
    call: Callable[[], str],
    *,
    form: GovukForm,
    refused: Callable[[Refusal], HttpResponse],
    done: str,
) -> HttpResponse:
    try:
        return act(request, call, form=form, refused=refused, done=done)
    except services.DiscussionConflict as conflict:
        return refused(Refusal(CONFLICT, str(conflict), error=conflict))


def _presenter(read: DiscussionRead) -> DiscussionPresenter:
    return DiscussionPresenter(
        read.discussion,
        children=read.children,
        invitations=read.invitations,
        actions=read.actions,
        now=timezone.now(),
    )


@requires("strategy.view_discussions")
@require_http_methods(["GET"])
def discussion_list_view(request: HttpRequest) -> HttpResponse:
    listing = discussion_list_for(actor=Actor.from_request(request))
    now = timezone.now()

    def row(discussion: Any) -> DiscussionPresenter:
        return DiscussionPresenter(
            discussion,
            children=discussion.contact.children,
            invitations=discussion.invitations.all(),
            now=now,
        )

    return render(
        request,
        "strategy/list.html",
        {
            "sees_all": listing.sees_all,
            "awaiting": [AwaitingRow(decision) for decision in listing.awaiting],
            "open": [row(each) for each in listing.open],
            "decided": [row(each) for each in listing.decided],
        },
    )


@requires("strategy.view_discussions")
@require_http_methods(["GET"])
def discussion_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    user = request.user
    read = discussion_get_for(actor=Actor.from_request(request), discussion_id=discussion_id)
    discussion = read.discussion
    return render(
        request,
        "strategy/discussion.html",
        {
            "page": _presenter(read),
            "sees_all": read.sees_all,
            "own_invitations": [each.agency.name for each in read.own_invitations],
            "may_run": user.has_perm("strategy.run_discussion"),
            "may_chair": user.has_perm("strategy.chair_discussion", discussion),
            "completable": {
                action.pk
                for action in read.actions
                if user.has_perm("strategy.complete_action", action)
            },
            **_attachments_context(read),
        },
    )


# --- Files -----------------------------------------------------------------------------


def _attachment_rows(read: DiscussionRead) -> list[AttachmentRow]:
    return [
        AttachmentRow(each, reverse("strategy:attachment", kwargs={"public_id": each.public_id}))
        for each in read.attachments
    ]


def _attachments_context(
    read: DiscussionRead, form: AttachmentForm | None = None
) -> dict[str, Any]:
    return {
        "attachments": _attachment_rows(read),
        "attachment_form": form or AttachmentForm(),
        "attachments_action": reverse(
            "strategy:attachments", kwargs={"discussion_id": read.discussion.pk}
        ),
        "attachments_intro": (
            "Files are shared like the minutes: with the MASH and the agencies invited."
        ),
        "attachments_shown": True,
    }


@requires("strategy.view_discussions")
@GET_POST
def attachments_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    # Http404 for a discussion this agency is not invited to, as for one that does not exist.
    read = discussion_get_for(actor=actor, discussion_id=discussion_id)
    discussion = read.discussion
    if not request.user.has_perm("strategy.discussion_attachments", discussion):
        raise PermissionDenied
    form = AttachmentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        summary = error_summary(form, form_href="#add-attachment")
        if refusal is not None and refusal.reason:
            summary.insert(0, SummaryError(refusal.reason, "#add-attachment"))
        return render(
            request,
            "enquiries/attachments/attachments.html",
            {
                "caption": f"Strategy discussion, {discussion.contact.reference}",
                "back": _back(discussion.pk),
                "back_text": "Back to the strategy discussion",
                "error_summary": summary,
                **_attachments_context(read, form),
            },
            status=refusal.status if refusal is not None else 200,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        attachment = services.discussion_attachment_add(
            actor=actor, discussion_id=discussion.pk, upload=form.cleaned_data.get("attachment")
        )
        return f"{attachment.filename} attached"

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk) + "#attachments")


@requires("strategy.view_discussions")
@require_http_methods(["GET"])
def attachment_download_view(request: HttpRequest, public_id: UUID) -> FileResponse:
    attachment = discussion_attachment_for_download(
        actor=Actor.from_request(request), public_id=public_id
    )
    try:
        return download_response(
            stored_name=attachment.stored_name,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
    except FileNotFoundError as missing:
        raise Http404 from missing


def _form_page(
    request: HttpRequest,
    form: GovukForm,
    *,
    title: str,
    button: str,
    caption: str,
    back: str,
    intro: str = "",
    refusal: Refusal | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    summary = error_summary(form)
    problem = refusal.reason if refusal is not None else ""
    if problem:
        summary.insert(0, SummaryError(problem, "#main-content"))
    return render(
        request,
        "strategy/form_page.html",
        {
            "form": form,
            "title": title,
            "button": button,
            "caption": caption,
            "back": back,
            "intro": intro,
            "error_summary": summary,
            **(extra or {}),
        },
        status=refusal.status if refusal is not None else 200,
    )


# --- Raising ---------------------------------------------------------------------------


@requires("strategy.view_discussions")
@GET_POST
def discussion_raise_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = Actor.from_request(request)
    contact = contact_for_raising(actor=actor, reference=reference)
    decision = services.strategy_decision_of(contact)
    form = forms.RaiseForm(request.POST if request.method == "POST" else None)
    if decision is not None:
        form.fields["reason"].label = "Anything the invitees should know first (optional)"
        form.fields["reason"].help_text = "Shared with the invited agencies"
    intro = (
        f"The MASH decided a strategy discussion on {contact.reference}."
        if decision is not None
        else f"You are raising a strategy discussion on {contact.reference}. A MASH manager "
        "schedules it and invites the agencies."
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Raise a strategy discussion",
            button="Raise the strategy discussion",
            caption=contact.reference,
            back=reverse("strategy:discussions"),
            intro=intro,
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> StrategyDiscussion:
        return services.discussion_raise(
            actor=actor, contact_id=contact.pk, reason=form.cleaned_data.get("reason") or ""
        )

    try:
        outcome = attempt(call, form=form)
    except services.DiscussionConflict as conflict:
        outcome = Refusal(CONFLICT, str(conflict), error=conflict)
    if isinstance(outcome, Refusal):
        return page(outcome)
    messages.success(request, f"You raised a strategy discussion on {contact.reference}.")
    return HttpResponseRedirect(_back(outcome.pk))


# --- Running it --------------------------------------------------------------------------


def _managed(request: HttpRequest, discussion_id: int) -> tuple[Actor, DiscussionRead]:
    actor = Actor.from_request(request)
    return actor, discussion_get_for(actor=actor, discussion_id=discussion_id)


def _chaired(request: HttpRequest, discussion_id: int) -> tuple[Actor, DiscussionRead]:
    actor, read = _managed(request, discussion_id)
    if not request.user.has_perm("strategy.chair_discussion", read.discussion):
        raise PermissionDenied
    return actor, read


def _back(discussion_id: int) -> str:
    return reverse("strategy:discussion", args=[discussion_id])


@requires("strategy.run_discussion")
@GET_POST
def schedule_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _managed(request, discussion_id)
    discussion = read.discussion
    chairs = list(
        User.objects.filter(is_active=True, role_grants__role=Role.MASH_MANAGER)
        .select_related("agency")
        .order_by("last_name", "first_name", "id")
    )
    initial = {
        "day": timezone.localtime(discussion.scheduled_for).date()
        if discussion.scheduled_for
        else None,
        "time": f"{timezone.localtime(discussion.scheduled_for):%H:%M}"
        if discussion.scheduled_for
        else "",
        "place": discussion.place,
        "call_link": discussion.call_link,
        "chair_id": str(discussion.chair_id or request.user.pk),
    }
    form = forms.ScheduleForm(
        request.POST if request.method == "POST" else None, chairs=chairs, initial=initial
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Schedule the strategy discussion",
            button="Save the date, time and place",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            intro="The most urgent are often held the same day.",
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        services.discussion_schedule(
            actor=actor, discussion_id=discussion.pk, data=form.schedule_input()
        )
        return f"The strategy discussion on {discussion.contact.reference} is scheduled."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.run_discussion")
@GET_POST
def invite_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _managed(request, discussion_id)
    discussion = read.discussion
    agencies, people = invitable()
    invited = {each.agency_id for each in read.invitations if each.person_id is None}
    invited_people = {each.person_id for each in read.invitations if each.person_id}
    form = forms.InviteForm(
        request.POST if request.method == "POST" else None,
        agencies=[each for each in agencies if each.pk not in invited],
        people=[each for each in people if each.pk not in invited_people],
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Invite agencies to the strategy discussion",
            button="Invite",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            intro=f"Already invited: {_presenter(read).invited_agencies}.",
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        agency_ids, person_ids = form.ids()
        made = services.discussion_invite(
            actor=actor, discussion_id=discussion.pk, agency_ids=agency_ids, person_ids=person_ids
        )
        return f"You sent {len(made)} invitation{'' if len(made) == 1 else 's'}."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.run_discussion")
@GET_POST
def attendance_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _managed(request, discussion_id)
    discussion = read.discussion
    form = forms.AttendanceForm(
        request.POST if request.method == "POST" else None, invitations=read.invitations
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Who attended the strategy discussion?",
            button="Save attendance",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        services.attendance_record(
            actor=actor, discussion_id=discussion.pk, attendance=form.attendance()
        )
        return "Attendance saved."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.run_discussion")
@GET_POST
def minutes_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _chaired(request, discussion_id)
    discussion = read.discussion
    form = forms.MinutesForm(
        request.POST if request.method == "POST" else None,
        initial={"minutes": discussion.minutes},
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Minutes of the strategy discussion",
            button="Save the minutes",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        services.minutes_record(
            actor=actor, discussion_id=discussion.pk, minutes=form.cleaned_data.get("minutes", "")
        )
        return "Minutes saved. The invited agencies can read them."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.run_discussion")
@GET_POST
def outcome_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _chaired(request, discussion_id)
    discussion = read.discussion
    form = forms.OutcomeForm(request.POST if request.method == "POST" else None)

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Record the decision of the strategy discussion",
            button="Record the decision",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        services.outcome_record(
            actor=actor,
            discussion_id=discussion.pk,
            outcome=form.cleaned_data.get("outcome") or "",
            detail=form.cleaned_data.get("detail") or "",
        )
        return "The decision of the strategy discussion is recorded."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.run_discussion")
@GET_POST
def action_add_view(request: HttpRequest, discussion_id: int) -> HttpResponse:
    actor, read = _chaired(request, discussion_id)
    discussion = read.discussion
    agencies = list({each.agency_id: each.agency for each in read.invitations}.values())
    agency_ids = {agency.pk for agency in agencies}
    _, everyone = invitable()
    form = forms.ActionForm(
        request.POST if request.method == "POST" else None,
        agencies=sorted(agencies, key=lambda agency: agency.name),
        people=[each for each in everyone if each.agency_id in agency_ids],
    )

    def page(refusal: Refusal | None = None) -> HttpResponse:
        return _form_page(
            request,
            form,
            title="Add an action",
            button="Add the action",
            caption=discussion.contact.reference,
            back=_back(discussion.pk),
            refusal=refusal,
        )

    if request.method == "GET":
        return page()

    def call() -> str:
        services.action_add(actor=actor, discussion_id=discussion.pk, data=form.action_input())
        return "Action added."

    return _run(request, call, form=form, refused=page, done=_back(discussion.pk))


@requires("strategy.view_discussions")
@require_POST
def action_done_view(request: HttpRequest, discussion_id: int, action_id: int) -> HttpResponse:
    actor, read = _managed(request, discussion_id)
    action = next((each for each in read.actions if each.pk == action_id), None)
    if action is None:
        raise Http404
    form = GovukForm(request.POST)

    def refused(refusal: Refusal) -> HttpResponse:
        # Someone marked it done first: the page says so.
        messages.info(request, refusal.reason)
        return HttpResponseRedirect(_back(read.discussion.pk))

    def call() -> str:
        services.action_complete(actor=actor, action_id=action.pk)
        return "Action marked done."

    return _run(request, call, form=form, refused=refused, done=_back(read.discussion.pk))
