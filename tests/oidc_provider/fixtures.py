"""Fixtures that run the test OpenID Connect provider (tests/oidc_provider) and point
OpenMASH's single sign-on at it (tests/conftest.py imports them for every test).

The provider runs in its own process, with its own database (SQLite in a temporary
directory) and its own users, so nothing it holds is in OpenMASH's database: OpenMASH
learns about its users only from what they claim through the protocol.
"""

import os
import queue
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.oidc_provider.identities import oid_for

REPOSITORY = Path(__file__).resolve().parents[2]
PROVIDER_PASSWORD = "provider-password-1"
CLIENT_ID = "openmash-northshire"
PROVIDER_NAME = "Northshire County Council"

# The provider's groups, named like Entra ID's (a group's object id), and what each gives.
SCREENERS = "3f6c2a1e-5b7d-4c8e-9a0f-1b2c3d4e5f60"
MANAGERS = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
POLICE_RESEARCHERS = "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"
NOT_FOR_OPENMASH = "c0ffee00-0000-4000-8000-000000000001"
GROUP_MAP = {
    SCREENERS: {"agency": "csc", "roles": ["screener"]},
    MANAGERS: {"agency": "csc", "roles": ["mash_manager"]},
    POLICE_RESEARCHERS: {"agency": "police", "roles": ["agency_researcher"]},
}


@dataclass
class OidcProvider:
    url: str
    control_token: str
    client_secret: str
    process: subprocess.Popen[str] = field(repr=False)

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def _control(self, path: str, data: dict[str, Any] | None = None) -> None:
        response = requests.post(
            f"{self.url}/control/{path}/",
            json=data or {},
            headers={"Authorization": f"Bearer {self.control_token}"},
            timeout=30,
        )
        response.raise_for_status()

    def reset(self) -> None:
        self._control("reset")

    def register_client(
        self, *, redirect_uris: list[str], post_logout_redirect_uris: list[str]
    ) -> None:
        self._control(
            "client",
            {
                "client_id": CLIENT_ID,
                "client_secret": self.client_secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
            },
        )

    def add_user(
        self,
        username: str,
        *,
        groups: list[str],
        email: str | None = None,
        given_name: str = "Alex",
        family_name: str = "Morgan",
        is_active: bool = True,
    ) -> str:
        """Creates or updates one of the provider's users; returns their oid."""
        self._control(
            "user",
            {
                "username": username,
                "password": PROVIDER_PASSWORD,
                "email": email if email is not None else f"{username}@northshire.example",
                "given_name": given_name,
                "family_name": family_name,
                "groups": groups,
                "is_active": is_active,
            },
        )
        return oid_for(username)


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The provider process, one per test session (per xdist worker), with an RS256 key
    generated here."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    directory = tmp_path_factory.mktemp("oidc-provider")
    control_token = secrets.token_urlsafe(32)
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        OIDC_PROVIDER_DATABASE=str(directory / "provider.sqlite3"),
        OIDC_PROVIDER_RSA_KEY=pem,
        OIDC_PROVIDER_CONTROL_TOKEN=control_token,
        OIDC_PROVIDER_SECRET_KEY=secrets.token_urlsafe(50),
    )
    log_path = directory / "provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve"],
            cwd=REPOSITORY,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            line = _first_line(process, timeout=120)
            if not line.startswith("listening on "):
                process.kill()
                process.wait()
                pytest.fail(
                    f"The test OpenID Connect provider did not start:\n{log_path.read_text()}",
                    pytrace=False,
                )
            yield OidcProvider(
                url=line.split()[-1],
                control_token=control_token,
                client_secret=secrets.token_urlsafe(32),
                process=process,
            )
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def point_at(settings: Any, provider: OidcProvider, **overrides: Any) -> None:
    """OpenMASH's single sign-on settings, as an area would set them, for `provider`."""
    values = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": provider.client_secret,
        "OIDC_PROVIDER_NAME": PROVIDER_NAME,
        "OIDC_USER_CLAIM": "email",
        "OIDC_PROVISION_USERS": True,
        "OIDC_GROUP_MAP": GROUP_MAP,
        "CSP_FORM_ACTION_EXTRA": [provider.url],
        **overrides,
    }
    for name, value in values.items():
        setattr(settings, name, value)


@pytest.fixture
def sso(oidc_provider: OidcProvider, settings: Any, agencies: dict[str, Any]) -> OidcProvider:
    """Single sign-on turned on against the provider, which has no users yet and knows
    OpenMASH (the test client's host, http://testserver) as its client."""
    oidc_provider.reset()
    oidc_provider.register_client(
        redirect_uris=["http://testserver/accounts/sso/callback/"],
        post_logout_redirect_uris=["http://testserver/accounts/sign-in/"],
    )
    point_at(settings, oidc_provider)
    # The area's provider asks for a second factor itself (as Entra ID's conditional
    # access does), so OpenMASH does not ask again. tests/two_factor covers the default,
    # where people signed in through the provider also use a factor of OpenMASH's.
    settings.OIDC_IDP_ENFORCES_MFA = True
    return oidc_provider


class ProviderBrowser:
    """The person's browser, at the provider: signs in there with their work password,
    then is sent back to OpenMASH with a code (the address it returns)."""

    def __init__(self, provider: OidcProvider) -> None:
        self.provider = provider
        self.session = requests.Session()

    def sign_in(self, username: str, password: str = PROVIDER_PASSWORD) -> None:
        login = f"{self.provider.url}/login/"
        self.session.get(login, timeout=30).raise_for_status()
        response = self.session.post(
            login,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.session.cookies["provider_csrftoken"],
                "next": "/login/",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, "the provider refused the user's password"

    def authorize(self, authorize_url: str) -> str:
        response = self.session.get(authorize_url, allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


def provider_callback(
    client: Client, provider: OidcProvider, username: str, next_url: str = ""
) -> str:
    """Starts single sign-on in `client`, signs `username` in at the provider, and
    returns the callback address (path and query) the provider sends the browser to."""
    start = client.get(reverse("accounts:sso-start"), {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content.decode()
    browser = ProviderBrowser(provider)
    browser.sign_in(username)
    callback = urlsplit(browser.authorize(start["Location"]))
    assert (callback.scheme, callback.netloc) == ("http", "testserver"), callback
    return f"{callback.path}?{callback.query}"


def sign_in_with_sso(
    client: Client, provider: OidcProvider, username: str, next_url: str = ""
) -> HttpResponse:
    """The whole journey: start, the provider, and the callback's answer."""
    response: HttpResponse = client.get(provider_callback(client, provider, username, next_url))
    return response
