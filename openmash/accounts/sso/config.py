"""Single sign-on's configuration: the settings, the provider's endpoints, and what a
person's groups give them. Nothing here touches the database.

Every setting comes from the environment (openmash/settings/base.py, README "Single
sign-on"). A fault in them is reported by `manage.py check` (openmash/accounts/checks.py)
and, at sign-in, as "not working at the moment" rather than a server error.
"""

import hashlib
import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache

from openmash.core.roles import Role

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_CACHE_SECONDS = 3600
# Algorithms whose keys come from the provider's JWKS. HS256 would check the id token
# with the client secret, which mozilla-django-oidc allows but no identity provider an
# area uses needs.
SIGNING_ALGORITHMS = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}
# Claims that find the account by its username; "email" finds it by email address; any
# other claim by the account's single sign-on id (User.sso_id).
USERNAME_CLAIMS = {"preferred_username", "upn", "username"}
_USERNAME_CHARACTERS = re.compile(r"^[\w.@+-]+$")


class Refusal(StrEnum):
    """Why a single sign-on did not sign someone in: the audit log's `reason`, and which
    page they see (openmash/accounts/sso/views.py)."""

    # Who they are: the provider signed them in, OpenMASH does not let them in.
    NO_MAPPED_GROUP = "no_mapped_group"
    CONFLICTING_AGENCIES = "conflicting_agencies"
    TOO_MANY_GROUPS = "too_many_groups"
    UNKNOWN_AGENCY = "unknown_agency"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    AMBIGUOUS_ACCOUNT = "ambiguous_account"
    USERNAME_TAKEN = "username_taken"
    MISSING_CLAIM = "missing_claim"
    # The exchange itself: an answer that cannot be trusted, or no answer.
    BAD_STATE = "bad_state"
    PROVIDER_ERROR = "provider_error"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 -- a reason, not a secret
    PROVIDER_UNAVAILABLE = "provider_unavailable"


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be had or is not usable."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


# --- The provider's endpoints -------------------------------------------------------------


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization: str
    token: str
    jwks: str
    userinfo: str = ""
    end_session: str = ""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_url(url: str) -> bool:
    """True for an address that is not https (plain http only on this machine, as in
    the tests' local provider): the protocol relies on TLS to the provider."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return False
    return not (parts.scheme == "http" and _is_loopback(parts.hostname or ""))


def discovery_url() -> str:
    return settings.OIDC_DISCOVERY_URL or settings.OIDC_ISSUER.rstrip("/") + DISCOVERY_PATH


def _discovery_document() -> dict[str, Any]:
    url = discovery_url()
    key = "openmash:sso:discovery:" + hashlib.sha256(url.encode()).hexdigest()
    document = cache.get(key)
    if isinstance(document, dict):
        return document
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"discovery document: {type(error).__name__}") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable("discovery document is not a JSON object")
    # OpenID Connect Discovery 4.3: the issuer it names must be the one configured.
    if str(document.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
        raise ProviderUnavailable("discovery document names another issuer than OIDC_ISSUER")
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def provider_endpoints() -> ProviderEndpoints:
    """The provider's endpoints: each from its setting if set, else from the discovery
    document (fetched once an hour). Raises ProviderUnavailable."""
    explicit = {
        "authorization": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_OP_TOKEN_ENDPOINT,
        "jwks": settings.OIDC_OP_JWKS_ENDPOINT,
        "userinfo": settings.OIDC_OP_USER_ENDPOINT,
        "end_session": settings.OIDC_OP_END_SESSION_ENDPOINT,
    }
    issuer = settings.OIDC_ISSUER
    if not all(explicit[name] for name in ("authorization", "token", "jwks")):
        document = _discovery_document()
        issuer = str(document["issuer"])
        discovered = {
            "authorization": document.get("authorization_endpoint"),
            "token": document.get("token_endpoint"),
            "jwks": document.get("jwks_uri"),
            "userinfo": document.get("userinfo_endpoint"),
            "end_session": document.get("end_session_endpoint"),
        }
        explicit = {name: value or str(discovered[name] or "") for name, value in explicit.items()}
    missing = [name for name in ("authorization", "token", "jwks") if not explicit[name]]
    if missing:
        raise ProviderUnavailable(f"no {', '.join(missing)} endpoint")
    if any(insecure_url(url) for url in explicit.values() if url):
        raise ProviderUnavailable("an endpoint is not https")
    return ProviderEndpoints(issuer=issuer, **explicit)


# --- Groups to agency and roles -----------------------------------------------------------


@dataclass(frozen=True)
class GroupGrant:
    """What one of the provider's groups gives its members: their agency (its slug) and
    roles."""

    agency: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class Access:
    """What a person's groups give them, all together."""

    agency: str
    roles: frozenset[Role]


def group_map_problems(raw: object) -> list[str]:
    """What is wrong with OIDC_GROUP_MAP, in words an administrator can act on."""
    if not isinstance(raw, dict):
        return [
            'OIDC_GROUP_MAP must be a JSON object: {"<group>": {"agency": ..., "roles": [...]}}'
        ]
    if not raw:
        return ["OIDC_GROUP_MAP is empty: no group gives access, so nobody could sign in"]
    problems = []
    known_roles = {role.value for role in Role}
    for group, grant in raw.items():
        if not isinstance(grant, dict) or set(grant) - {"agency", "roles"}:
            problems.append(f'group {group}: give {{"agency": "<slug>", "roles": [...]}} only')
            continue
        if not isinstance(grant.get("agency"), str) or not grant["agency"]:
            problems.append(f"group {group}: no agency (an agency's slug, e.g. police)")
        roles = grant.get("roles")
        if not isinstance(roles, list) or not roles:
            problems.append(f"group {group}: no roles")
        elif unknown := sorted(str(role) for role in roles if role not in known_roles):
            problems.append(
                f"group {group}: unknown roles {', '.join(unknown)} "
                f"(roles: {', '.join(sorted(known_roles))})"
            )
    return problems


def group_map() -> dict[str, GroupGrant]:
    """OIDC_GROUP_MAP, checked. Raises ProviderUnavailable naming no group when it is
    not usable (`manage.py check` says what is wrong with it)."""
    raw = settings.OIDC_GROUP_MAP
    if group_map_problems(raw) or not isinstance(raw, dict):
        raise ProviderUnavailable("OIDC_GROUP_MAP is not usable: run manage.py check")
    return {
        str(group): GroupGrant(
            agency=grant["agency"], roles=frozenset(Role(role) for role in grant["roles"])
        )
        for group, grant in raw.items()
    }


def access_from_claims(
    claims: Mapping[str, Any], grants: Mapping[str, GroupGrant], groups_claim: str
) -> Access | Refusal:
    """The agency and roles a person's groups give them, or why they give none: no group
    in the map; groups of two agencies (a user belongs to one); or Entra ID's "too many
    groups to list" marker in place of the groups (its group overage claim)."""
    groups = claims.get(groups_claim)
    if groups is None and groups_claim in (claims.get("_claim_names") or {}):
        return Refusal.TOO_MANY_GROUPS
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        groups = []
    mapped = [grants[group] for group in groups if isinstance(group, str) and group in grants]
    if not mapped:
        return Refusal.NO_MAPPED_GROUP
    agencies = {grant.agency for grant in mapped}
    if len(agencies) > 1:
        return Refusal.CONFLICTING_AGENCIES
    return Access(agency=agencies.pop(), roles=frozenset().union(*(g.roles for g in mapped)))


# --- Who the person is --------------------------------------------------------------------


MatchField = Literal["email", "username", "sso_id"]


@dataclass(frozen=True)
class Identity:
    """How to find a person's account (`match_field` equal to `match_value`), and what
    to call it if single sign-on creates it."""

    match_field: MatchField
    match_value: str
    username: str
    email: str
    first_name: str
    last_name: str


def match_field_for(claim: str) -> MatchField:
    if claim == "email":
        return "email"
    if claim in USERNAME_CLAIMS:
        return "username"
    return "sso_id"


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def identity_from_claims(claims: Mapping[str, Any], user_claim: str) -> Identity | Refusal:
    """The person's identity from the provider's claims; MISSING_CLAIM when the claim
    that finds their account is missing or not a usable value."""
    value = claims.get(user_claim)
    field = match_field_for(user_claim)
    limit = {"email": 254, "username": 150, "sso_id": 255}[field]
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        return Refusal.MISSING_CLAIM
    value = value.strip()
    if field == "username":
        if not _USERNAME_CHARACTERS.match(value):
            return Refusal.MISSING_CLAIM
        username = value
    else:
        username = _text(claims, "preferred_username", 150) or _text(claims, "email", 150)
        if not _USERNAME_CHARACTERS.match(username):
            # Letters, digits and @.+-_ only (Django's usernames): otherwise one made
            # from the claim, stable for the person and naming nothing about them.
            username = "sso-" + hashlib.sha256(value.encode()).hexdigest()[:20]
    return Identity(
        match_field=field,
        match_value=value,
        username=username,
        email=value if field == "email" else _text(claims, "email", 254),
        first_name=_text(claims, "given_name", 150),
        last_name=_text(claims, "family_name", 150),
    )
