"""Files on a contact (issue 13, item 2): the contact's files and the form to attach one
(shown on the screening and decision pages, posting here), an agency's check files (on
its check page), and the one way any of them is downloaded.

A download is permission-checked and audited by the selector
(openmash.enquiries.selectors.attachments) and served by
openmash.core.attachments.download_response: attachment disposition, nosniff, a
sandboxing Content Security Policy and no caching.
"""

from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from openmash.contacts.models import Contact
from openmash.core.attachments import download_response
from openmash.core.audit import Actor
from openmash.core.forms import SummaryError, error_summary
from openmash.core.permissions import requires
from openmash.enquiries.forms.attachments import AttachmentForm
from openmash.enquiries.models import AgencyCheck
from openmash.enquiries.presenters.attachments import attachment_rows
from openmash.enquiries.selectors.attachments import (
    attachment_for_download,
    attachments_for_check,
    attachments_for_contact,
)
from openmash.enquiries.selectors.checks import check_get_for_agency
from openmash.enquiries.services.attachments import attachment_add, check_attachment_add
from openmash.enquiries.views.refusals import Refusal, act


def contact_attachments_url(reference: str) -> str:
    return reverse("enquiries:contact-attachments", kwargs={"reference": reference})


def check_attachments_url(check_id: int) -> str:
    return reverse("enquiries:check-attachments", kwargs={"check_id": check_id})


def attachments_section(request: HttpRequest, contact: Contact) -> dict[str, object]:
    """What the "Attachments" section of a contact's pages needs (empty if the reader may
    not see the contact's files)."""
    if not request.user.has_perm("enquiries.attachments", contact):
        return {}
    files = attachments_for_contact(actor=Actor.from_request(request), contact=contact)
    return {
        "attachments": attachment_rows(files),
        "attachment_form": AttachmentForm(),
        "attachments_action": contact_attachments_url(contact.reference),
        "attachments_shown": True,
    }


def check_attachments_section(request: HttpRequest, check: AgencyCheck) -> dict[str, object]:
    """The check page's files and form, for its own agency's researcher."""
    files = attachments_for_check(actor=Actor.from_request(request), check=check)
    return {
        "attachments": attachment_rows(files, with_on=False),
        "attachment_form": AttachmentForm(),
        "attachments_action": check_attachments_url(check.pk),
        "attachments_shown": True,
        # Files are added while the check is open, as its findings are.
        "may_attach": check.is_open and request.user.has_perm("enquiries.record_findings"),
    }


def _page(
    request: HttpRequest,
    *,
    caption: str,
    back: str,
    back_text: str,
    files: list[object],
    form: AttachmentForm,
    action: str,
    intro: str,
    status: int = 200,
    problem: str = "",
    may_attach: bool = True,
) -> HttpResponse:
    summary = [SummaryError(problem, "#attachments")] if problem else []
    summary += error_summary(form, form_href="#add-attachment")
    return render(
        request,
        "enquiries/attachments/attachments.html",
        {
            "caption": caption,
            "back": back,
            "back_text": back_text,
            "attachments_intro": intro,
            "attachments": files,
            "attachment_form": form,
            "attachments_action": action,
            "attachments_shown": True,
            "may_attach": may_attach,
            "error_summary": summary,
        },
        status=status,
    )


@requires("enquiries.attachments")
@require_http_methods(["GET", "POST"])
def contact_attachments_view(request: HttpRequest, reference: str) -> HttpResponse:
    contact = get_object_or_404(Contact, reference=reference)
    actor = Actor.from_request(request)
    # Asked with the contact: refuses a researcher whose agency was not asked to check it.
    files = attachment_rows(attachments_for_contact(actor=actor, contact=contact))
    action = contact_attachments_url(reference)
    back = (
        reverse("enquiries:screening", kwargs={"reference": reference})
        if request.user.has_perm("enquiries.view_screening_queue")
        else ""
    )

    def page(form: AttachmentForm, *, status: int = 200, problem: str = "") -> HttpResponse:
        return _page(
            request,
            caption=contact.reference,
            back=back,
            back_text=f"Back to {contact.reference}",
            files=list(files),
            form=form,
            action=action,
            intro="Files on this contact, its checks and its case notes that you may see.",
            status=status,
            problem=problem,
        )

    if request.method != "POST":
        return page(AttachmentForm())
    form = AttachmentForm(request.POST, request.FILES)

    def add() -> str:
        attachment = attachment_add(
            actor=actor, contact_id=contact.pk, upload=form.cleaned_data.get("attachment")
        )
        return f"{attachment.filename} attached"

    def refused(refusal: Refusal) -> HttpResponse:
        return page(form, status=refusal.status, problem=refusal.reason)

    # Back to the screening page for the MASH (where its form is), else to this page.
    return act(request, add, form=form, refused=refused, done=(back or action) + "#attachments")


@requires("enquiries.record_findings")
@require_http_methods(["GET", "POST"])
def check_attachments_view(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = Actor.from_request(request)
    # Another agency's check is answered with 404, as one that does not exist.
    check = check_get_for_agency(actor=actor, check_id=check_id)
    files = attachment_rows(attachments_for_check(actor=actor, check=check), with_on=False)
    action = check_attachments_url(check.pk)

    def page(form: AttachmentForm, *, status: int = 200, problem: str = "") -> HttpResponse:
        return _page(
            request,
            caption=f"Agency check for {check.agency.name}: {check.contact.reference}",
            back=reverse("enquiries:check", kwargs={"check_id": check.pk}),
            back_text="Back to the check",
            files=list(files),
            form=form,
            action=action,
            intro=(
                f"Files {check.agency.name} adds to this check stay behind the fire wall "
                "like its findings: the MASH sees them, no other agency does, and they are "
                "never passed to the receiving team."
            ),
            status=status,
            problem=problem,
            may_attach=check.is_open,
        )

    if request.method != "POST":
        return page(AttachmentForm())
    form = AttachmentForm(request.POST, request.FILES)

    def add() -> str:
        try:
            attachment = check_attachment_add(
                actor=actor, check_id=check.pk, upload=form.cleaned_data.get("attachment")
            )
        except ObjectDoesNotExist as missing:
            raise Http404 from missing
        return f"{attachment.filename} attached to the check"

    def refused(refusal: Refusal) -> HttpResponse:
        return page(form, status=refusal.status, problem=refusal.reason)

    return act(
        request,
        add,
        form=form,
        refused=refused,
        done=reverse("enquiries:check", kwargs={"check_id": check.pk}) + "#attachments",
    )


@requires("enquiries.attachments")
@require_GET
def attachment_download_view(request: HttpRequest, public_id: UUID) -> FileResponse:
    attachment = attachment_for_download(actor=Actor.from_request(request), public_id=public_id)
    try:
        return download_response(
            stored_name=attachment.stored_name,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
    except FileNotFoundError as missing:
        raise Http404 from missing
