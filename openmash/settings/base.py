"""Settings shared by every environment.

Production differs from the demo only by environment variables: DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS, the EMAIL_* settings and SESSION_IDLE_MINUTES.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("OPENMASH_VAR_DIR", BASE_DIR / "var"))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "openmash.core",
    "openmash.accounts",
    "openmash.area",
    "openmash.contacts",
    "openmash.enquiries",
    "openmash.events",
    "openmash.linkage",
    "openmash.planner",
    "openmash.metrics",
    "openmash.value",
    "openmash.extracts",
    "openmash.api",
    "openmash.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openmash.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openmash.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "openmash.urls"
WSGI_APPLICATION = "openmash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "openmash" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openmash.core.context_processors.navigation",
            ],
        },
    },
]


def database_from_env() -> dict[str, object]:
    default_sqlite = f"sqlite:///{VAR_DIR / 'openmash.sqlite3'}"
    config: dict[str, object] = dict(
        dj_database_url.parse(
            os.environ.get("DATABASE_URL", default_sqlite),
            # Persistent connections only with a server that keeps a fixed pool of worker
            # threads or processes: runserver starts a thread per connection and never
            # closes their database connections, so with a max age PostgreSQL runs out of
            # connection slots under load (measured: bench/api_throughput.py).
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL for concurrent readers; synchronous=FULL so an acknowledged contact
        # survives the process being killed straight after the 201.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Sessions end after a period of inactivity (sliding expiry).
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist", BASE_DIR / "openmash" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mash@openmash.invalid")

# Logs carry request ids and object ids, never names or other personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The API accepts contacts of up to this many bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
NINJA_PAGINATION_PER_PAGE = 50

MASH_AREA_NAME = os.environ.get("MASH_AREA_NAME", "Demo County MASH")
FORM_RENDERER = "openmash.core.forms.GovukFormRenderer"

# Background work (deadline reminders and alerts): django-tasks with its database
# backend; `manage.py db_worker` runs the queue, `manage.py deadline_alerts --every 300`
# enqueues the check.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Person matching (issue 4): suggestions at or above this probability are shown to the
# screener; at or above the automatic threshold, with the same valid NHS number, a link is
# made without asking.
LINKAGE_SUGGEST_THRESHOLD = float(os.environ.get("LINKAGE_SUGGEST_THRESHOLD", "0.5"))
LINKAGE_AUTO_LINK_THRESHOLD = float(os.environ.get("LINKAGE_AUTO_LINK_THRESHOLD", "0.999"))
