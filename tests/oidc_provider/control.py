"""The test provider's control API: the test process sets up the client OpenMASH is and
the provider's users, as an area's IT team would in Entra ID. Each call answers only
once its change is committed, so the test can go on at once.

Every call but the JWKS below needs the bearer token the fixture started the process
with; the process listens on 127.0.0.1 only.
"""

import hmac
import json
import os
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from jwcrypto import jwk
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings


def _controlled(view: Callable[[HttpRequest, dict[str, Any]], HttpResponse]) -> Any:
    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        expected = "Bearer " + os.environ["OIDC_PROVIDER_CONTROL_TOKEN"]
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return JsonResponse({"error": "not allowed"}, status=403)
        with transaction.atomic():
            return view(request, json.loads(request.body or b"{}"))

    return wrapped


@_controlled
def reset(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    """Forgets every user (their grants and tokens with them) and group."""
    User.objects.all().delete()
    Group.objects.all().delete()
    return JsonResponse({"ok": True})


@_controlled
def client(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    """Registers (or updates) a confidential client for the authorization code flow, its
    consent already given (as an Entra ID administrator grants it for the organisation)."""
    application, _ = Application.objects.get_or_create(
        client_id=data["client_id"],
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        },
    )
    application.name = "OpenMASH"
    application.client_secret = data["client_secret"]
    application.redirect_uris = " ".join(data["redirect_uris"])
    application.post_logout_redirect_uris = " ".join(data.get("post_logout_redirect_uris", []))
    application.skip_authorization = True
    application.algorithm = Application.RS256_ALGORITHM
    application.save()
    return JsonResponse({"ok": True})


@_controlled
def user(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    """Creates or updates one of the provider's users, and puts them in exactly the
    groups named."""
    person, _ = User.objects.get_or_create(username=data["username"])
    person.email = data.get("email", "")
    person.first_name = data.get("given_name", "")
    person.last_name = data.get("family_name", "")
    person.is_active = data.get("is_active", True)
    person.set_password(data["password"])
    person.save()
    person.groups.set([Group.objects.get_or_create(name=name)[0] for name in data["groups"]])
    return JsonResponse({"ok": True})


@cache
def _another_key() -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048)


@require_GET
def jwks_of_another_key(request: HttpRequest) -> HttpResponse:
    """A JWKS publishing a different RSA key under the provider's own key id: a client
    that checks signatures against it must refuse every id token the provider signs."""
    real = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    public = json.loads(_another_key().export_public())
    public.update({"alg": "RS256", "use": "sig", "kid": real.thumbprint()})
    return JsonResponse({"keys": [public]})
