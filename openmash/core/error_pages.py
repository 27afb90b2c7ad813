"""The error pages: GOV.UK-styled, the same with DEBUG off as the public sees them, and
never a traceback or a list of the site's addresses.

A request body over DATA_UPLOAD_MAX_MEMORY_SIZE reaches Django's 400 handler as
RequestDataTooBig; it is answered 413 with a page that says what to do.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

from openmash.core.permissions import public

TOO_LARGE = "What you sent is too large: send at most {limit} at a time."


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def too_large_response(request: HttpRequest) -> HttpResponse:
    message = TOO_LARGE.format(limit=_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


@public
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "The request could not be read."}, status=400)
    return render(request, "400.html", status=400)


@public
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@public
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@public
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors, no database: the fault may be there.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
