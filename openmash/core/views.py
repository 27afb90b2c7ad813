from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from openmash.core.audit import Actor
from openmash.core.audit_seals import (
    VIEW_AUDIT_INTEGRITY,
    audit_seal_status,
    audit_verification_latest,
    audit_verification_request,
)
from openmash.core.forms import AuditCheckForm, error_summary
from openmash.core.heartbeats import health_report
from openmash.core.permissions import public, requires
from openmash.core.presenters import SealStatusPresenter, VerificationPresenter


@public
def health_view(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: this process answers. Touches nothing."""
    return HttpResponse("ok", content_type="text/plain")


@public
@never_cache
def healthz_view(request: HttpRequest) -> HttpResponse:
    """Readiness: the database, the background loops' heartbeats and the audit seals, as
    JSON; 200 when all are well, 503 otherwise. No sign-in, no personal data."""
    report = health_report()
    return JsonResponse(report.as_json(), status=200 if report.healthy else 503)


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
