from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openmash.accounts.models import User
from openmash.core.permissions import public, requires


@requires("core.view_home")
def home_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "core/home.html",
        {"roles": sorted(grant.get_role_display() for grant in user.role_grants.all())},
    )


@public
def health_view(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")
