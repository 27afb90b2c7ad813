"""The embedded demo: SQLite in ./var, console email, debug pages."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY") or "openmash-local-demo-key-not-for-production"
VAR_DIR.mkdir(parents=True, exist_ok=True)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "sent-emails"
STATIC_ROOT = None  # type: ignore[assignment]  # runserver serves static files from the finders
