"""The information governance pages: the retention schedule with its dry run and legal
holds (/governance/retention/), and subject access requests (/governance/subject-access/).

A subject access search is POSTed and kept in the signed-in user's server-side session
under an opaque id, as Find a child's is: what was typed never appears in an address, a
browser's history or a server's log. The export's address holds the request's random id.
"""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from openmash.core.audit import Actor, audit_record
from openmash.core.forms import error_summary
from openmash.core.kept_searches import KeptSearches
from openmash.core.models import AuditAction
from openmash.core.permissions import requires
from openmash.enquiries.forms.search import fields_used, initial_from, terms_from
from openmash.governance.forms import (
    LegalHoldForm,
    ReleaseHoldForm,
    RetentionRuleForm,
    SubjectRequestForm,
    SubjectSearchForm,
)
from openmash.governance.models import LegalHold, RecordType
from openmash.governance.presenters import (
    CandidateRow,
    HoldRow,
    PlanPage,
    RuleRow,
    RunSummary,
)
from openmash.governance.retention import retention_last_run, retention_plan
from openmash.governance.schedule import CONTACT_TYPES, retention_schedule
from openmash.governance.services import (
    GovernanceRefused,
    RuleInput,
    legal_hold_place,
    legal_hold_release,
    legal_holds_open,
    retention_rule_set,
)
from openmash.governance.subject_access import (
    SubjectAccessRefused,
    export_zip,
    subject_access_export,
    subject_access_request_create,
    subject_access_requests,
    subject_search,
)

SEARCHES = KeptSearches("subject_access_search")
# Rows of each record type the dry run lists (the counts are whole).
LISTED = 50


# --- Retention ----------------------------------------------------------------------------


@requires("governance.view_retention")
@require_GET
def retention_view(request: HttpRequest) -> HttpResponse:
    """The schedule, the last run, legal holds, and what would go if the job ran today."""
    plan = retention_plan(listed=LISTED)
    audit_record(
        actor=Actor.from_request(request),
        action=AuditAction.READ,
        object_type="retention_plan",
        detail={"due": plan.total_due, "held": len(plan.held)},
    )
    return render(
        request,
        "governance/retention.html",
        {
            "rules": [RuleRow.of(rule) for rule in plan.schedule.values()],
            "plan": PlanPage.of(plan),
            "last_run": RunSummary.of(retention_last_run()),
            "holds": [HoldRow.of(hold) for hold in legal_holds_open()],
            "can_manage": request.user.has_perm("governance.manage_retention"),
            "can_hold": request.user.has_perm("governance.manage_legal_holds"),
        },
    )


def _record_type(value: str) -> str:
    if value not in RecordType.values:
        raise Http404
    return value


@requires("governance.manage_retention")
@require_http_methods(["GET", "POST"])
def retention_rule_view(request: HttpRequest, record_type: str) -> HttpResponse:
    record_type = _record_type(record_type)
    rule = retention_schedule()[record_type]
    with_age = record_type in CONTACT_TYPES
    if request.method == "POST":
        form = RetentionRuleForm(request.POST, with_age=with_age)
        if form.is_valid():
            try:
                retention_rule_set(
                    actor=Actor.from_request(request),
                    record_type=record_type,
                    data=RuleInput(
                        keep_months=form.total_months,
                        keep_until_age=form.cleaned_data.get("keep_until_age"),
                        active=form.cleaned_data["active"] == "yes",
                        reason=form.cleaned_data["reason"],
                    ),
                )
            except GovernanceRefused as refused:
                form.add_error(refused.field or None, str(refused))
            else:
                return HttpResponseRedirect(reverse("governance:retention"), status=303)
    else:
        form = RetentionRuleForm(initial=RetentionRuleForm.initial_from(rule), with_age=with_age)
    return render(
        request,
        "governance/retention_rule.html",
        {
            "form": form,
            "rule": RuleRow.of(rule),
            "error_summary": error_summary(form),
        },
        status=400 if form.is_bound else 200,
    )


@requires("governance.manage_legal_holds")
@require_http_methods(["GET", "POST"])
def hold_place_view(request: HttpRequest) -> HttpResponse:
    form = LegalHoldForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            legal_hold_place(
                actor=Actor.from_request(request),
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
            )
        except GovernanceRefused as refused:
            form.add_error(refused.field or None, str(refused))
        else:
            return HttpResponseRedirect(reverse("governance:retention") + "#holds", status=303)
    return render(
        request,
        "governance/hold_place.html",
        {"form": form, "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


@requires("governance.manage_legal_holds")
@require_http_methods(["GET", "POST"])
def hold_release_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    hold = (
        LegalHold.objects.select_related("contact", "placed_by")
        .filter(pk=hold_id, released_at__isnull=True)
        .first()
    )
    if hold is None:
        raise Http404
    form = ReleaseHoldForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            legal_hold_release(
                actor=Actor.from_request(request),
                hold_id=hold.pk,
                reason=form.cleaned_data["release_reason"],
            )
        except GovernanceRefused as refused:
            form.add_error(refused.field or None, str(refused))
        else:
            return HttpResponseRedirect(reverse("governance:retention") + "#holds", status=303)
    return render(
        request,
        "governance/hold_release.html",
        {"form": form, "hold": HoldRow.of(hold), "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


# --- Subject access -----------------------------------------------------------------------


def _start_page(
    request: HttpRequest, form: SubjectSearchForm, *, expired: bool = False
) -> HttpResponse:
    actor = Actor.from_request(request)
    return render(
        request,
        "governance/subject_access.html",
        {
            "form": form,
            "error_summary": error_summary(form, form_href="#id_name"),
            "expired": expired,
            "requests": subject_access_requests(actor=actor),
        },
        status=400 if form.is_bound else 200,
    )


@requires("governance.subject_access")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
def subject_access_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _start_page(request, SubjectSearchForm())
    form = SubjectSearchForm(request.POST)
    if not form.is_valid():
        return _start_page(request, form)
    search_id = SEARCHES.keep(request, form.stored())
    return HttpResponseRedirect(
        reverse("governance:subject-access-search", args=[search_id]), status=303
    )


@requires("governance.subject_access")
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
def subject_access_search_view(request: HttpRequest, search_id: str) -> HttpResponse:
    """The records found, to choose the person's, and the request's details."""
    stored = SEARCHES.terms(request, search_id)
    if stored is None:
        return _start_page(request, SubjectSearchForm(), expired=True)
    actor = Actor.from_request(request)
    candidates = subject_search(
        actor=actor, terms=terms_from(stored), search_id=search_id, fields=fields_used(stored)
    )
    rows = [CandidateRow.of(candidate) for candidate in candidates]
    choices = [(row.value, row.label) for row in rows]
    form = SubjectRequestForm(request.POST if request.method == "POST" else None, choices=choices)
    if form.is_bound and form.is_valid():
        people, records = form.chosen_ids()
        try:
            created = subject_access_request_create(
                actor=actor,
                reference=form.cleaned_data["reference"],
                received_on=form.cleaned_data["received_on"],
                contact_person_ids=people,
                indexed_person_ids=records,
            )
        except SubjectAccessRefused as refused:
            form.add_error(refused.field or None, str(refused))
        else:
            return HttpResponseRedirect(
                reverse("governance:subject-access-export", args=[created.public_id]),
                status=303,
            )
    chosen = set(request.POST.getlist("records")) if form.is_bound else set()
    return render(
        request,
        "governance/subject_access_results.html",
        {
            "search_form": SubjectSearchForm(initial=initial_from(stored)),
            "form": form,
            "rows": rows,
            "chosen": chosen,
            "search_id": search_id,
            "error_summary": error_summary(form, form_href="#records"),
        },
        status=400 if form.is_bound else 200,
    )


@requires("governance.subject_access")
@require_GET
@never_cache
def subject_access_export_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    export = subject_access_export(actor=Actor.from_request(request), public_id=str(public_id))
    return render(request, "governance/subject_access_export.html", {"export": export})


@requires("governance.subject_access")
@require_GET
@never_cache
def subject_access_download_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    export = subject_access_export(
        actor=Actor.from_request(request), public_id=str(public_id), download="zip"
    )
    response = HttpResponse(export_zip(export), content_type="application/zip")
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in export.request.reference)
    response["Content-Disposition"] = f'attachment; filename="subject-access-{name}.zip"'
    response["Cache-Control"] = "no-store"
    return response
