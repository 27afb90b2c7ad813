"""Security keys and passkeys (WebAuthn) as a second factor, on django-otp-webauthn.

django-otp-webauthn (and under it py_webauthn) makes every challenge and checks every
answer: the challenge this session was given, the relying party id, the origin, the
signature and its counter. OpenMASH only says which origins to accept (SecurityKeyHelper)
and keeps each ceremony's challenge in the session between its two requests (one use
only, as the library's own views do).
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper

REGISTER_STATE_KEY = "two_factor_security_key_register_state"
SIGN_IN_STATE_KEY = "two_factor_security_key_sign_in_state"


class SecurityKeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper, accepting also this request's own origin when the
    relying party is "localhost": the demo and the browser tests run on http://localhost
    on a port chosen at start (browsers treat localhost as a secure context). Everywhere
    else only settings.OTP_WEBAUTHN_ALLOWED_ORIGINS (from ALLOWED_HOSTS, or
    WEBAUTHN_ORIGINS)."""

    def get_allowed_origins(self) -> list[str]:
        origins = list(super().get_allowed_origins())
        host = self.request.get_host()
        if settings.OTP_WEBAUTHN_RP_ID == "localhost" and host.split(":")[0] == "localhost":
            origins.append(f"{self.request.scheme}://{host}")
        return origins


def ceremony_for(request: HttpRequest) -> SecurityKeyHelper:
    """The library's helper for one request (the settings name it too,
    OTP_WEBAUTHN_HELPER_CLASS, for anything in the library that asks for one)."""
    return SecurityKeyHelper(request=request)


def take_state(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """The challenge a ceremony's first request stored, removed from the session before
    its answer is checked, so that it can never be answered twice."""
    state = request.session.pop(key, None)
    request.session.save()
    return state if isinstance(state, dict) else None
