from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from openmash.accounts.sessions import session_outlived, session_seen
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction
from openmash.core.time_text import plural


class SessionLifetimeMiddleware:
    """Ends a session SESSION_MAX_HOURS after its sign-in, however active it has been
    (beside the idle timeout, SESSION_IDLE_MINUTES), and says so on the sign-in page; keeps
    each person's list of their sessions up to date (openmash/accounts/sessions.py).

    After Django's session, authentication and messages middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        if session_outlived(request, now=now):
            return self._end(request)
        response = self.get_response(request)
        session_seen(request, now=now)
        return response

    def _end(self, request: HttpRequest) -> HttpResponse:
        audit_record(
            actor=Actor.from_request(request),
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=request.user.pk,
            detail={"reason": "session lifetime", "hours": settings.SESSION_MAX_HOURS},
        )
        logout(request)
        messages.info(
            request,
            f"You have been signed out because you signed in more than "
            f"{plural(settings.SESSION_MAX_HOURS, 'hour')} ago. Sign in again to carry on.",
            extra_tags="important",
        )
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.get_full_path())
        # What was sent cannot be sent again after signing in: start from the home page.
        return redirect(settings.LOGIN_URL)
