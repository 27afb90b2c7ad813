"""Safe defaults (issue 14, item 5): error pages that give nothing away, bodies too large
answered 413, refused reads audited, a CSP on every page the administration's included,
and production's HSTS."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from openmash.accounts.models import ApiToken, User
from openmash.contacts.models import Contact
from openmash.core.middleware import CONTENT_SECURITY_POLICY
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.worker import GC_THRESHOLDS
from tests.conftest import signed_in
from tests.factories import api_payload

ROOT = Path(__file__).resolve().parents[2]


def test_a_forms_address_opened_in_the_browser_gets_the_govuk_405_page(
    school_referrer: User,
) -> None:
    """Where Django's require_POST answers with an empty body (a blank page)."""
    client = signed_in(school_referrer)
    response = client.get(reverse("contacts:draft-autosave"))

    body = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This page cannot be opened from its address" in body
    assert "govuk-heading-l" in body
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    # The form itself still works, and the API answers as it did.
    assert client.post(reverse("contacts:draft-autosave"), {}).status_code != 405


def test_an_unknown_address_gets_the_govuk_404_page_without_the_url_patterns(
    screener: User,
) -> None:
    response = signed_in(screener).get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body
    assert "govuk-heading-l" in body
    assert "URLconf" not in body
    assert "api/v1/" not in body


def test_a_forbidden_page_gets_the_govuk_403_page(screener: User) -> None:
    response = signed_in(screener).get(reverse("contacts:access-log-search"))

    assert response.status_code == 403
    assert "You cannot see this page" in response.content.decode()


def test_a_fault_gets_the_govuk_500_page_and_no_traceback(
    screener: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail of the fault")

    monkeypatch.setattr("openmash.home.views.render", broken)
    client = signed_in(screener)
    client.raise_request_exception = False

    response = client.get(reverse("home:home"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "secret detail" not in body
    assert "Traceback" not in body


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_a_form_too_large_gets_a_clear_413_page(screener: User) -> None:
    response = signed_in(screener).post(reverse("enquiries:find-child"), {"name": "x" * 5000})

    assert response.status_code == 413
    body = response.content.decode()
    assert "What you sent is too large" in body
    assert "Nothing was saved" in body


def test_an_api_body_over_1_mb_gets_413_json_and_nothing_is_saved(
    police_token: tuple[ApiToken, str],
) -> None:
    _, secret = police_token
    body = api_payload()
    body["padding"] = "x" * (1024 * 1024 + 10)
    before = Contact.objects.count()

    response = Client().post(
        "/api/v1/contacts",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "What you sent is too large: send at most 1 MB at a time."}
    assert Contact.objects.count() == before


def test_a_body_that_cannot_be_read_gets_the_400_page(screener: User) -> None:
    client = signed_in(screener)
    client.raise_request_exception = False

    response = client.post(
        reverse("enquiries:find-child"),
        "not multipart",
        content_type="multipart/form-data",  # no boundary: Django refuses it as 400
    )

    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


def test_a_refused_read_of_a_record_is_audited(
    personas: dict[str, User], school_contact: Contact
) -> None:
    """A referrer from another agency asks for a school's contact by its reference."""
    police = personas["police_researcher"]

    response = signed_in(police).get(reverse("contacts:received", args=[school_contact.reference]))

    assert response.status_code in (403, 404)
    [event] = AuditEvent.objects.filter(action=AuditAction.READ_REFUSED)
    assert event.actor_user == police
    assert event.detail["status"] == response.status_code
    assert event.detail["ids"] == {"reference": school_contact.reference}
    assert event.object_type == "contacts:received"


def test_a_refused_api_read_is_audited_with_the_token(
    police_token: tuple[ApiToken, str],
) -> None:
    token, secret = police_token

    response = Client().get(
        "/api/v1/contacts/987654", headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 404
    [event] = AuditEvent.objects.filter(action=AuditAction.READ_REFUSED)
    assert event.actor_token == token
    assert event.detail["ids"] == {"contact_id": "987654"}


def test_a_refused_read_of_an_address_with_a_nul_byte_is_audited_without_it(
    personas: dict[str, User],
) -> None:
    """PostgreSQL's text holds no NUL: the id is stored with it replaced, and the answer is
    still a plain refusal (the failure once broke the request's transaction and its
    session)."""
    police = personas["police_researcher"]

    response = signed_in(police).get("/contacts/AB%00CD/received/")

    assert response.status_code in (403, 404)
    [event] = AuditEvent.objects.filter(action=AuditAction.READ_REFUSED)
    assert event.detail["ids"] == {"reference": "AB?CD"}


def test_a_missing_page_that_names_no_record_is_not_audited(screener: User) -> None:
    signed_in(screener).get("/no-such-page/")

    assert not AuditEvent.objects.filter(action=AuditAction.READ_REFUSED).exists()


def test_the_administration_has_the_same_content_security_policy(
    personas: dict[str, User],
) -> None:
    response = signed_in(personas["administrator"]).get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_administrations_sign_in_page_has_it_too(db: None) -> None:
    response = Client().get(reverse("admin:login"))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def _in_production(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Python `code` run in a new process with the production settings and only the
    secrets given in `env`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
    }
    environment.update(DJANGO_SETTINGS_MODULE="openmash.settings.production", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def _production_setting(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return _in_production(
        "import django, json; from django.conf import settings; "
        f"print(json.dumps(getattr(settings, {name!r}), default=str))",
        **env,
    )


PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-key-for-the-test-only-0123456789",
    "DATABASE_URL": "postgres://openmash@db.invalid:5432/openmash",
    "ALLOWED_HOSTS": "mash.example.gov.uk",
}


def test_production_sends_hsts_for_a_year_with_subdomains() -> None:
    seconds = _production_setting("SECURE_HSTS_SECONDS", **PRODUCTION_ENV)
    subdomains = _production_setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", **PRODUCTION_ENV)

    assert seconds.stdout.strip() == "31536000", seconds.stderr
    assert subdomains.stdout.strip() == "true", subdomains.stderr


def test_production_uses_the_psycopg_pool_and_a_shared_cache() -> None:
    databases = _production_setting("DATABASES", **PRODUCTION_ENV)
    caches = _production_setting("CACHES", **PRODUCTION_ENV)

    default = json.loads(databases.stdout)["default"]
    assert default["OPTIONS"]["pool"]["max_size"] >= 4
    assert default["CONN_MAX_AGE"] == 0
    assert json.loads(caches.stdout)["default"]["BACKEND"].endswith("DatabaseCache")


def test_production_refuses_to_start_without_its_secrets_naming_them() -> None:
    result = _production_setting("DEBUG", ALLOWED_HOSTS="mash.example.gov.uk")

    assert result.returncode != 0
    assert "Set SECRET_KEY, DATABASE_URL in the environment" in result.stderr


def test_the_demo_runs_with_debug_off() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "DEBUG"}
    environment["DJANGO_SETTINGS_MODULE"] = "openmash.settings.local"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; "
            "print(settings.DEBUG, settings.WHITENOISE_USE_FINDERS)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.stdout.strip() == "False True", result.stderr


def test_a_request_for_another_host_gets_the_400_page_not_a_fault(db: None) -> None:
    client = Client(HTTP_HOST="evil.example")
    client.raise_request_exception = False

    response = client.get("/accounts/sign-in/")

    assert response.status_code == 400
    assert "Sorry, we could not read what was sent" in response.content.decode()


def test_the_production_server_loads_every_view_as_it_starts() -> None:
    """Not in the first request each worker answers (openmash/wsgi.py)."""
    result = _in_production(
        "import gc, sys; import openmash.wsgi; "
        "print('openmash.urls' in sys.modules, 'openmash.metrics.views' in sys.modules, "
        "'pandas' in sys.modules, gc.get_freeze_count() > 10_000, gc.get_threshold())",
        **PRODUCTION_ENV,
    )

    # The views are loaded; pandas (only for training a model) is not. What start-up made
    # is frozen, and the collector runs at the worker's thresholds (openmash.core.worker).
    assert result.stdout.strip() == f"True True False True {GC_THRESHOLDS}", result.stderr
