"""The embedded demo: SQLite in ./var, emails to files, and DEBUG off like production (the
public's error pages, never a traceback; DEBUG=1 turns Django's debug pages on)."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY") or "openmash-local-demo-key-not-for-production"
VAR_DIR.mkdir(parents=True, exist_ok=True)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "sent-emails"
STATIC_ROOT = None  # type: ignore[assignment]  # no collectstatic for the demo:
# WhiteNoise serves the files from the finders (runserver does not with DEBUG off).
WHITENOISE_USE_FINDERS = True
