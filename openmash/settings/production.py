"""Production: everything that differs comes from the environment.

Fails at start, naming what is missing, rather than running with a default that is
wrong for production (docs/adr/0020-production-server-and-safe-defaults.md).
"""

import os

from django.core.exceptions import ImproperlyConfigured

_missing = [
    name for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS") if not os.environ.get(name)
]
if _missing:
    raise ImproperlyConfigured(
        f"Set {', '.join(_missing)} in the environment: production settings have no default "
        "for them (README, Deploying on a Debian server)."
    )
# JSON log lines unless told otherwise; read when base builds LOGGING.
os.environ.setdefault("LOG_FORMAT", "json")

from .base import *  # noqa: E402, F403
from .base import (  # noqa: E402
    DATABASES,
    METRICS_CACHE,
    attachment_storage_from_env,
    cache_from_env,
)

SECRET_KEY = os.environ["SECRET_KEY"]

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "attachments": attachment_storage_from_env(),
}

# Rate-limit counters shared by every app server: a table in PostgreSQL by default
# (`manage.py createcachetable`), or CACHE_URL=redis://...
CACHES = {"default": cache_from_env("db"), "metrics": METRICS_CACHE}

# Django's native psycopg connection pool: each app server process keeps up to
# DATABASE_POOL_MAX_SIZE connections open (gunicorn's gthread worker: one per thread, and
# up to METRICS_DATABASE_CONNECTIONS - 1 more lent to figures pages, ADR 0034)
# instead of opening one per request. The pool replaces CONN_MAX_AGE, which must be 0.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["pool"] = {  # type: ignore[index]
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8")),
        # Seconds a request waits for a free connection before failing (then 500).
        "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
