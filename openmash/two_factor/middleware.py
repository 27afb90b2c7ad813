from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from openmash.accounts.models import User
from openmash.accounts.sso import SIGNED_IN_WITH_SESSION_KEY, SIGNED_IN_WITH_SSO
from openmash.two_factor.services import two_factor_has_factor, two_factor_required

# What someone signed in but not yet past their second factor may reach: the pages to set
# one up or use it, signing out, and what a load balancer or the browser needs.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "two_factor:verify",
        "two_factor:set-up",
        "two_factor:security-key-add",
        "two_factor:security-key-register",
        "two_factor:security-key-register-begin",
        "two_factor:security-key-register-complete",
        "two_factor:security-key-sign-in-begin",
        "two_factor:security-key-sign-in-complete",
        "accounts:sign-out",
        "core:health",
        "core:healthz",
        "admin:logout",
    }
)
# The API signs in with tokens, never a session (no second factor on the API).
OPEN_PATH_PREFIXES = ("/api/",)


def session_verified(request: HttpRequest) -> bool:
    """Whether this session has passed a second factor (django-otp's OTPMiddleware gives
    request.user is_verified())."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def signed_in_with_sso(request: HttpRequest) -> bool:
    return request.session.get(SIGNED_IN_WITH_SESSION_KEY) == SIGNED_IN_WITH_SSO


class TwoFactorRequiredMiddleware:
    """Someone signed in with a password who must use a second factor and has not yet in
    this session reaches only OPEN_BEFORE_SECOND_FACTOR: with a factor they are sent to
    use it, without one to set one up (enrolment at first sign-in).

    After django-otp's OTPMiddleware (request.user.is_verified) and the session lifetime
    middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            not user.is_authenticated
            or session_verified(request)
            or request.path.startswith(OPEN_PATH_PREFIXES)
            or request.path.startswith(settings.STATIC_URL)
            or self._open(request)
            or not two_factor_required(
                user=cast(User, user), signed_in_with_sso=signed_in_with_sso(request)
            )
        ):
            return self.get_response(request)
        target = (
            "two_factor:verify"
            if two_factor_has_factor(user=cast(User, user))
            else "two_factor:set-up"
        )
        url = reverse(target)
        if request.method in ("GET", "HEAD"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(url)

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in OPEN_BEFORE_SECOND_FACTOR
