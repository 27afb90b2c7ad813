"""The authentication backend for single sign-on, on mozilla-django-oidc's.

The library exchanges the authorisation code for tokens (with the PKCE verifier), checks
the id token's signature against the provider's published keys and its nonce, and reads
the userinfo endpoint. This subclass:

- takes the endpoints from the provider's discovery document (config.provider_endpoints);
- also checks the id token's issuer, audience and expiry, which the library leaves;
- decides who the person is in OpenMASH through accounts.services.user_sso_sign_in;
- turns every failure (the provider unreachable, a refused code, a bad token) into a
  refusal the callback shows as a page, never a server error;
- signs a deactivated user's existing session out at their next request.

Django asks every backend at every sign-in, so it does nothing unless the callback view
called authenticate() with SSO_CREDENTIAL and single sign-on is configured: a password
sign-in that happens to carry ?code=&state= never reaches the provider.
"""

import logging
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from openmash.accounts.models import User
from openmash.accounts.services import user_sso_sign_in
from openmash.accounts.sso.config import (
    ProviderEndpoints,
    ProviderUnavailable,
    Refusal,
    access_from_claims,
    group_map,
    identity_from_claims,
    provider_endpoints,
    sso_enabled,
)
from openmash.core.client_address import client_address

logger = logging.getLogger(__name__)

# The credential only the callback view passes to authenticate().
SSO_CREDENTIAL = "openmash_single_sign_on"
# Claims about the token itself, which userinfo may not replace.
_TOKEN_CLAIMS = {"iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash"}


@dataclass(frozen=True)
class SsoFailure:
    """Why authenticate() gave no user, left on the request for the callback view.
    `audited` when user_sso_sign_in has written the refusal to the audit log already."""

    reason: Refusal
    audited: bool = False


def failure_of(request: HttpRequest) -> SsoFailure | None:
    return getattr(request, "openmash_sso_failure", None)


def _fail(request: HttpRequest, reason: Refusal, audited: bool = False) -> None:
    request.openmash_sso_failure = SsoFailure(reason=reason, audited=audited)  # type: ignore[attr-defined]


class SingleSignOnBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__, which reads the provider's settings and fails
        # without them: Django makes every backend for every sign-in, password ones too.
        self.UserModel = get_user_model()
        self.endpoints: ProviderEndpoints | None = None

    def _use(self, endpoints: ProviderEndpoints) -> None:
        self.endpoints = endpoints
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        # Keys come from the provider's JWKS, never from a setting.
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or not kwargs.pop(SSO_CREDENTIAL, False) or not sso_enabled():
            return None
        try:
            self._use(provider_endpoints())
            user: User | None = super().authenticate(request, **kwargs)
        except (ProviderUnavailable, requests.ConnectionError, requests.Timeout) as error:
            logger.warning("Single sign-on: provider unreachable (%s)", type(error).__name__)
            _fail(request, Refusal.PROVIDER_UNAVAILABLE)
            return None
        except requests.RequestException as error:
            # The token endpoint refused the code (used already, expired, or the client's
            # secret is wrong), or another endpoint answered an error.
            logger.warning("Single sign-on: provider refused (%s)", type(error).__name__)
            _fail(request, Refusal.PROVIDER_ERROR)
            return None
        except (
            SuspiciousOperation,
            jwt.InvalidTokenError,
            jwt.PyJWKError,
            KeyError,
            TypeError,
            ValueError,
        ) as error:
            logger.warning("Single sign-on: answer not trusted (%s)", type(error).__name__)
            _fail(request, Refusal.INVALID_TOKEN)
            return None
        if user is None and failure_of(request) is None:
            _fail(request, Refusal.INVALID_TOKEN)
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks the signature (with the key the JWKS publishes for the
        token's kid and algorithm) and the nonce; this adds OpenID Connect Core 3.1.3.7's
        issuer and audience, and requires an expiry (PyJWT checks it when present)."""
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        assert self.endpoints is not None
        if payload.get("iss") != self.endpoints.issuer:
            raise SuspiciousOperation("The id token's issuer is not the provider's.")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The id token is for another client.")
        if len(audiences) > 1 and payload.get("azp") != settings.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The id token was issued to another party.")
        if "exp" not in payload:
            raise SuspiciousOperation("The id token has no expiry.")
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The id token's claims, with what the userinfo endpoint adds (Entra ID's
        groups, oid and preferred_username are in the id token only; some providers put
        email in userinfo only). The signed id token's claims win where both say."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                # OpenID Connect Core 5.3.2: userinfo about someone else is not used.
                raise SuspiciousOperation("The userinfo is about another subject.")
            for name, value in userinfo.items():
                if name not in _TOKEN_CLAIMS:
                    claims.setdefault(name, value)
        return claims

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        request = self.request
        identity = identity_from_claims(claims, settings.OIDC_USER_CLAIM)
        outcome = user_sso_sign_in(
            identity=identity,
            access=access_from_claims(claims, group_map(), settings.OIDC_GROUPS_CLAIM),
            provision=settings.OIDC_PROVISION_USERS,
            request_id=getattr(request, "request_id", ""),
            ip_address=client_address(request) or None,
        )
        if outcome.user is None:
            assert outcome.refusal is not None
            _fail(request, outcome.refusal, audited=True)
        return outcome.user

    def get_user(self, user_id: Any) -> User | None:
        # The library's returns deactivated users too; Django's ModelBackend does not.
        user: User | None = super().get_user(user_id)
        return user if user is not None and user.is_active else None
