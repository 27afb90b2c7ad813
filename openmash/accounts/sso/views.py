"""Single sign-on's pages: the start (off to the provider), the provider's callback, and
what someone who is not let in sees.

Both are public (nobody is signed in yet) and answer 404 while single sign-on is not
configured. Every way the callback can fail is a GOV.UK page saying what to do, with the
request's id for an administrator to find the audit event: never a server error.

Lockout (openmash/accounts/lockout.py): each failed callback counts as one failed
sign-in from its address (not against an account: the provider locks its own accounts),
and an address locked out gets the locked-out page before anything is sent to the
provider.
"""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from openmash.accounts.services import SINGLE_SIGN_ON
from openmash.accounts.sso import SIGNED_IN_WITH_SESSION_KEY, SIGNED_IN_WITH_SSO
from openmash.accounts.sso.backend import SSO_CREDENTIAL, failure_of
from openmash.accounts.sso.config import (
    ProviderUnavailable,
    Refusal,
    provider_endpoints,
    sso_enabled,
)
from openmash.core.audit import Actor, audit_record
from openmash.core.client_address import client_address
from openmash.core.models import AuditAction
from openmash.core.permissions import public

logger = logging.getLogger(__name__)

# OAuth 2.0's error codes (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6): recorded in
# the audit log as they are; anything else the provider sends is recorded as "other".
PROVIDER_ERROR_CODES = {
    "access_denied",
    "invalid_request",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
}


@dataclass(frozen=True)
class RefusalPage:
    status: int
    heading: str
    paragraphs: tuple[str, ...]
    try_again: bool = False


NO_ACCESS = "You do not have access to OpenMASH"
NOT_COMPLETED = "Sign-in did not complete"
ASK_ADMINISTRATOR = "If you need access, ask your OpenMASH administrator."

REFUSAL_PAGES: dict[Refusal, RefusalPage] = {
    Refusal.NO_MAPPED_GROUP: RefusalPage(
        403,
        NO_ACCESS,
        (
            "{provider} signed you in, but none of your groups there gives access to OpenMASH.",
            "If you need access, ask your IT service desk or your OpenMASH administrator "
            "to add you to the right group.",
        ),
    ),
    Refusal.UNKNOWN_USER: RefusalPage(
        403,
        NO_ACCESS,
        ("{provider} signed you in, but there is no OpenMASH account for you.", ASK_ADMINISTRATOR),
    ),
    Refusal.INACTIVE: RefusalPage(
        403,
        "Your OpenMASH account is switched off",
        (
            "Your account has been deactivated, so you cannot sign in.",
            "If you think this is wrong, ask your OpenMASH administrator.",
        ),
    ),
    Refusal.CONFLICTING_AGENCIES: RefusalPage(
        403,
        NO_ACCESS,
        (
            "Your groups at {provider} would put you in more than one agency, and an "
            "OpenMASH account belongs to one.",
            "Ask your IT service desk or your OpenMASH administrator to correct your groups.",
        ),
    ),
    Refusal.TOO_MANY_GROUPS: RefusalPage(
        403,
        NO_ACCESS,
        (
            "Your account at {provider} is in too many groups for OpenMASH to read them.",
            "Ask your IT service desk to send OpenMASH only the groups assigned to it.",
        ),
    ),
    Refusal.UNKNOWN_AGENCY: RefusalPage(
        403,
        NO_ACCESS,
        (
            "OpenMASH is not set up yet for the agency your groups name.",
            "Ask your OpenMASH administrator.",
        ),
    ),
    Refusal.AMBIGUOUS_ACCOUNT: RefusalPage(
        403,
        NO_ACCESS,
        (
            "More than one OpenMASH account matches your account at {provider}.",
            "Ask your OpenMASH administrator to remove the one you do not use.",
        ),
    ),
    Refusal.USERNAME_TAKEN: RefusalPage(
        403,
        NO_ACCESS,
        (
            "An OpenMASH account with your username exists already, but is not linked to "
            "your account at {provider}.",
            "Ask your OpenMASH administrator to link it.",
        ),
    ),
    Refusal.MISSING_CLAIM: RefusalPage(
        403,
        NO_ACCESS,
        (
            "{provider} did not say who you are in the way OpenMASH is set up to read.",
            "Ask your OpenMASH administrator.",
        ),
    ),
    Refusal.BAD_STATE: RefusalPage(
        400,
        NOT_COMPLETED,
        (
            "The sign-in had expired or was used already: it works once, in the browser "
            "that started it.",
        ),
        try_again=True,
    ),
    Refusal.PROVIDER_ERROR: RefusalPage(
        400, NOT_COMPLETED, ("{provider} did not sign you in.",), try_again=True
    ),
    Refusal.INVALID_TOKEN: RefusalPage(
        400,
        NOT_COMPLETED,
        ("OpenMASH could not confirm the answer from {provider}, so you have not been signed in.",),
        try_again=True,
    ),
    Refusal.PROVIDER_UNAVAILABLE: RefusalPage(
        503,
        "Signing in with {provider} is not working at the moment",
        (
            "Try again in a few minutes. If it keeps happening, tell your OpenMASH administrator.",
            "If you have an OpenMASH username and password, you can sign in with them.",
        ),
        try_again=True,
    ),
}


def refusal_page(request: HttpRequest, reason: Refusal) -> HttpResponse:
    page = REFUSAL_PAGES[reason]
    provider = settings.OIDC_PROVIDER_NAME
    return render(
        request,
        "accounts/sso_refused.html",
        {
            "heading": page.heading.format(provider=provider),
            "paragraphs": [paragraph.format(provider=provider) for paragraph in page.paragraphs],
            "try_again": page.try_again,
            "reference": getattr(request, "request_id", ""),
        },
        status=page.status,
    )


def _locked_out(request: HttpRequest) -> HttpResponse:
    # Imported here: accounts.views imports this module for signing out.
    from openmash.accounts.views import locked_out_response

    return locked_out_response(request)


def _audit_failure(request: HttpRequest, reason: Refusal, **detail: str) -> None:
    audit_record(
        actor=Actor(
            system=SINGLE_SIGN_ON,
            request_id=getattr(request, "request_id", ""),
            ip_address=client_address(request) or None,
        ),
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        detail={"method": SINGLE_SIGN_ON, "reason": reason.value, **detail},
    )


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a new state, nonce and PKCE challenge,
    kept in the session for the callback (mozilla-django-oidc)."""

    def __init__(self, **kwargs: Any) -> None:
        # Not the library's __init__: its endpoint comes from discovery, at request time.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        if not AxesProxyHandler.is_allowed(request):
            return _locked_out(request)
        try:
            endpoints = provider_endpoints()
        except ProviderUnavailable as error:
            logger.warning("Single sign-on: cannot start (%s)", error)
            return refusal_page(request, Refusal.PROVIDER_UNAVAILABLE)
        self.OIDC_OP_AUTH_ENDPOINT = endpoints.authorization
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: checks the state against the session,
    has the backend exchange the code and decide, then signs the person in (Django's
    login(), so user_logged_in fires) or shows why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        if not AxesProxyHandler.is_allowed(request):
            return _locked_out(request)
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        if not isinstance(states, dict):
            states = {}
        if "error" in request.GET:
            # The provider did not sign them in (they cancelled, or its policy refused):
            # the state is spent all the same.
            if states.pop(state, None) is not None:
                request.session["oidc_states"] = states
            error = request.GET["error"]
            code = error if error in PROVIDER_ERROR_CODES else "other"
            return self._refused(request, Refusal.PROVIDER_ERROR, provider_error=code)
        if not request.GET.get("code") or state not in states:
            return self._refused(request, Refusal.BAD_STATE)
        # Spent before the provider is asked, so the same answer cannot be used twice.
        expected = states.pop(state)
        request.session["oidc_states"] = states
        request.session.save()
        user = auth.authenticate(
            request=request,
            nonce=expected.get("nonce"),
            code_verifier=expected.get("code_verifier"),
            **{SSO_CREDENTIAL: True},
        )
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        if user is None:
            failure = failure_of(request)
            reason = failure.reason if failure else Refusal.INVALID_TOKEN
            if not (failure and failure.audited):
                _audit_failure(request, reason)
            # Django's authenticate() has told django-axes already (user_login_failed).
            return refusal_page(request, reason)
        self.user = user
        return self.login_success()

    def _refused(self, request: HttpRequest, reason: Refusal, **detail: str) -> HttpResponse:
        """A callback refused before the backend ran: audited, and counted by django-axes
        like any failed sign-in from this address."""
        _audit_failure(request, reason, **detail)
        user_login_failed.send(sender=__name__, credentials={SSO_CREDENTIAL: True}, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        return refusal_page(request, reason)

    def login_success(self) -> HttpResponse:
        request = self.request
        # Always Django's login(): a new session key, and user_logged_in fires (recorded
        # by the session list; resets this account's failed sign-ins from this address).
        auth.login(request, self.user)
        request.session[SIGNED_IN_WITH_SESSION_KEY] = SIGNED_IN_WITH_SSO
        audit_record(
            actor=Actor.from_request(request),
            action=AuditAction.SIGN_IN,
            object_type="user",
            object_id=self.user.pk,
            detail={"method": SINGLE_SIGN_ON},
        )
        return HttpResponseRedirect(self.success_url)


sso_start_view = public(SsoStartView.as_view())
sso_callback_view = public(SsoCallbackView.as_view())


def provider_sign_out_url(request: HttpRequest) -> str | None:
    """Where to send someone who signed in through the provider when they sign out: its
    end-session endpoint (OpenID Connect RP-Initiated Logout), which sends them back to
    the sign-in page. None when there is none, it is turned off, or it cannot be reached
    (signing out of OpenMASH never waits on it). No id_token_hint: the id token, with
    the person's name in it, is not kept and would go in an address."""
    if not (settings.OIDC_SIGN_OUT_AT_PROVIDER and sso_enabled()):
        return None
    try:
        end_session = provider_endpoints().end_session
    except ProviderUnavailable:
        return None
    if not end_session:
        return None
    parts = urlsplit(end_session)
    if f"{parts.scheme}://{parts.netloc}" not in settings.CSP_FORM_ACTION_EXTRA:
        # The browser would refuse the redirect (the sign-out form's form-action).
        logger.warning(
            "Single sign-on: the end-session endpoint is on another origin than "
            "OIDC_ISSUER; set OIDC_END_SESSION_ENDPOINT to sign out at the provider"
        )
        return None
    query = urlencode(
        {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("accounts:sign-in")),
        }
    )
    return f"{end_session}{'&' if parts.query else '?'}{query}"
