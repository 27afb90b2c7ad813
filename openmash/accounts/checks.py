"""`manage.py check` (and migrate, and the test run) reports single sign-on settings
that cannot work, naming the variable to fix. Nothing is checked while single sign-on is
off (neither OIDC_ISSUER nor OIDC_CLIENT_ID set)."""

from typing import Any

from django.conf import settings
from django.core import checks

from openmash.accounts.sso.config import SIGNING_ALGORITHMS, group_map_problems, insecure_url

# Each address's setting, and the environment variable that sets it.
ADDRESSES = {
    "OIDC_ISSUER": "OIDC_ISSUER",
    "OIDC_DISCOVERY_URL": "OIDC_DISCOVERY_URL",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "OIDC_JWKS_URI",
    "OIDC_OP_END_SESSION_ENDPOINT": "OIDC_END_SESSION_ENDPOINT",
}


@checks.register(checks.Tags.security)
def single_sign_on_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not (settings.OIDC_ISSUER or settings.OIDC_RP_CLIENT_ID):
        return []
    problems = []
    if not settings.OIDC_ISSUER:
        problems.append("OIDC_CLIENT_ID is set but OIDC_ISSUER is not.")
    if not settings.OIDC_RP_CLIENT_ID:
        problems.append("OIDC_ISSUER is set but OIDC_CLIENT_ID is not.")
    if not settings.OIDC_RP_CLIENT_SECRET:
        problems.append("OIDC_CLIENT_SECRET is not set (in the environment).")
    if settings.OIDC_RP_SIGN_ALGO not in SIGNING_ALGORITHMS:
        problems.append(
            f"OIDC_SIGN_ALGORITHM must be one of {', '.join(sorted(SIGNING_ALGORITHMS))}."
        )
    if "openid" not in settings.OIDC_RP_SCOPES.split():
        problems.append("OIDC_SCOPES must include openid.")
    if not settings.OIDC_USER_CLAIM:
        problems.append("OIDC_USER_CLAIM is empty.")
    for setting, variable in ADDRESSES.items():
        value = getattr(settings, setting)
        if value and insecure_url(value):
            problems.append(f"{variable} must be an https address.")
    problems += group_map_problems(settings.OIDC_GROUP_MAP)
    return [
        checks.Error(f"Single sign-on: {problem}", id="openmash.sso.E001") for problem in problems
    ]
