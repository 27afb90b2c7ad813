from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openmash.core.audit import Actor
from openmash.core.audit_seals import (
    VIEW_AUDIT_INTEGRITY,
    audit_seal_status,
    audit_verification_latest,
    audit_verification_request,
)
from openmash.core.forms import AuditCheckForm, error_summary
from openmash.core.permissions import public, requires
from openmash.core.presenters import SealStatusPresenter, VerificationPresenter


@requires("core.view_home")
def home_view(request: HttpRequest) -> HttpResponse:
    # The page is only for signed-in users (core.view_home); the check narrows the type.
    user = request.user
    roles = (
        sorted(grant.get_role_display() for grant in user.role_grants.all())
        if user.is_authenticated
        else []
    )
    return render(request, "core/home.html", {"roles": roles})


@public
def health_view(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")


def _integrity_page(
    request: HttpRequest, form: AuditCheckForm, *, status: int = 200
) -> HttpResponse:
    latest = audit_verification_latest()
    return render(
        request,
        "core/audit_integrity.html",
        {
            "seals": SealStatusPresenter(audit_seal_status()),
            "verification": VerificationPresenter(latest) if latest else None,
            "form": form,
            "error_summary": error_summary(form),
        },
        status=status,
    )


@requires(VIEW_AUDIT_INTEGRITY)
def audit_integrity_view(request: HttpRequest) -> HttpResponse:
    """How much of the audit log is sealed, the hash to record, and the latest check."""
    return _integrity_page(request, AuditCheckForm())


@requires(VIEW_AUDIT_INTEGRITY)
@require_POST
def audit_check_view(request: HttpRequest) -> HttpResponse:
    form = AuditCheckForm(request.POST)
    if not form.is_valid():
        return _integrity_page(request, form, status=400)
    audit_verification_request(
        actor=Actor.from_request(request), expected_hash=form.cleaned_data["expected_hash"]
    )
    return redirect("core:audit-integrity")
