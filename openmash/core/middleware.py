import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from openmash.core.refused_reads import refused_read_record
from openmash.core.request_log import current_request_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy() -> str:
    """The policy, with the single sign-on provider's origin added to form-action when
    one is configured (CSP_FORM_ACTION_EXTRA): signing out posts a form whose answer
    redirects there, and browsers hold a form's redirects to form-action too."""
    extra = settings.CSP_FORM_ACTION_EXTRA
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *extra])
    )


class RequestIdMiddleware:
    """Gives every request an id, echoed in the response and written to the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # For log lines (core/request_log.py), Django's own "Not Found" and "Internal
        # Server Error" lines included: they are written after the middleware returns,
        # so the id is cleared when the response is finished (request_finished).
        current_request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """A strict Content Security Policy on every page, the administration's included (its
    templates have no inline script or style); pages never cache personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy())
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.setdefault("Cache-Control", "no-store")
        return response


class RefusedReadAuditMiddleware:
    """Records in the audit log each refused read of a record's address: a signed-in user
    or an API token asking for a page or resource that names a record (its address has
    an id or reference in it) and getting 403 or 404. A guessed id is then as visible to
    an auditor as a read that succeeded. Addresses that name no record (a list, a form)
    and addresses that match no page are not recorded: they hold nobody's data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404) and request.method in ("GET", "HEAD"):
            refused_read_record(request, response.status_code)
        return response


class PermissionMemoMiddleware:
    """Remembers, for one request, the signed-in user's answer to each permission asked
    without an object: a page asks the same ones many times (the navigation, a child's
    name linking to their chronology in every row of a queue), and each asks every
    authentication backend and evaluates the role rules again. Checks on an object are
    asked afresh. The user is loaded anew for each request, so nothing outlives it.

    After the authentication and django-otp middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ask = user.has_perm
            answers: dict[str, bool] = {}

            def has_perm(perm: str, obj: object = None) -> bool:
                if obj is not None:
                    return bool(ask(perm, obj))
                if perm not in answers:
                    answers[perm] = bool(ask(perm))
                return answers[perm]

            user.has_perm = has_perm
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """A page's address that only takes a form (a view behind require_POST) opened in the
    browser, e.g. by pressing Enter in the address bar on the page a form's errors came
    back on, or after signing in again: the GOV.UK-styled 405 page saying what to do,
    where Django answers with an empty body, a blank page. The API's answers are left as
    they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and request.method in ("GET", "HEAD")
            and not request.path.startswith("/api/")
        ):
            page = render(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
