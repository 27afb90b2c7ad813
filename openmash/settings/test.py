"""Tests: the database comes from DATABASE_URL (SQLite in memory by default)."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_env

SECRET_KEY = "openmash-test-key"  # noqa: S105
DEBUG = False
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
DATABASES = {"default": database_from_env()}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so the browser tests' live server thread has its own
    # connection instead of sharing the test's one across threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-openmash.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# Argon2 is deliberately slow; tests hash many passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests that send through GOV.UK Notify point these at a fake Notify server of their own.
NOTIFY_API_KEY = ""
NOTIFY_BASE_URL = ""
NOTIFY_TEMPLATE_ID = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Real files on disk, as in production, in a folder of their own for the tests.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "test-attachments")},
    },
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = None  # type: ignore[assignment]  # served from the finders; collectstatic is for production
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
