"""Settings shared by every environment.

Production differs from the demo only by environment variables: DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS, the EMAIL_* settings, the OPENMASH_NOTIFY_* settings,
SESSION_IDLE_MINUTES, SESSION_MAX_HOURS, PASSWORD_RESET_MINUTES and DORMANT_ACCOUNT_DAYS.
"""

import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from pythonjsonlogger.core import RESERVED_ATTRS

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
    "axes",
    # Two-factor sign-in (docs/adr/0028-two-factor-sign-in.md): django-otp's framework,
    # its authenticator-app (TOTP) and recovery-code (static) devices, and WebAuthn.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "openmash.core",
    "openmash.accounts",
    "openmash.two_factor",
    "openmash.area",
    "openmash.contacts",
    "openmash.enquiries",
    "openmash.events",
    "openmash.strategy",
    "openmash.linkage",
    "openmash.planner",
    "openmash.metrics",
    "openmash.value",
    "openmash.extracts",
    "openmash.governance",
    "openmash.api",
    "openmash.demo",
    "openmash.home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openmash.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session has passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # One answer per permission per request (openmash/core/middleware.py).
    "openmash.core.middleware.PermissionMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openmash.core.middleware.SecurityHeadersMiddleware",
    # A form's address opened in the browser: the styled 405 page, not a blank one.
    "openmash.core.middleware.MethodNotAllowedPageMiddleware",
    # Refused reads of a record's address (403, 404) go in the audit log (ADR 0020).
    "openmash.core.middleware.RefusedReadAuditMiddleware",
    # Ends a session SESSION_MAX_HOURS after sign-in; keeps each person's list of their
    # sessions (openmash/accounts/sessions.py).
    "openmash.accounts.middleware.SessionLifetimeMiddleware",
    # Someone signed in who must use a second factor reaches only the pages to set one
    # up or use it (openmash/two_factor/middleware.py).
    "openmash.two_factor.middleware.TwoFactorRequiredMiddleware",
    # Last: turns django-axes' lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
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
                # None of it before the second factor (openmash/two_factor).
                "openmash.two_factor.context_processors.navigation_until_verified",
                "openmash.area.context_processors.protective_marking",
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
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the indicators' queries carry many small CASE and EXISTS
        # branches, which the planner costs high enough to compile, and compiling them
        # took 19 s for a backlog query that runs in a millisecond (measured:
        # bench/metrics_scale.py, ADR 0026). OpenMASH's queries are all short.
        options = config.setdefault("OPTIONS", {})
        assert isinstance(options, dict)
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": database_from_env()}
# The indicator facts' statement is prepared once per PostgreSQL connection (ADR 0033).
# Set DATABASE_PREPARED_STATEMENTS=0 behind a pooler in transaction or statement mode
# (PgBouncer, pgcat), where the next transaction may run on a connection that never saw
# the PREPARE.
OPENMASH_PREPARED_STATEMENTS = os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "1"
# How many PostgreSQL connections one figures page's indicators are computed over, side
# by side (ADR 0034); 1 computes them one after another on the request's own connection.
OPENMASH_METRICS_CONNECTIONS = int(os.environ.get("METRICS_DATABASE_CONNECTIONS", "2"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Single sign-on (OpenID Connect): does nothing unless OIDC_ISSUER and OIDC_CLIENT_ID
    # are set, and then only for the callback from the area's identity provider.
    "openmash.accounts.sso.backend.SingleSignOnBackend",
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
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Sessions end after a period of inactivity (sliding expiry), and SESSION_MAX_HOURS after
# signing in however active they are (openmash/accounts/middleware.py).
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "10"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The expiry slides when the session is saved: a signed-in session is saved at least once
# a minute while it is used (openmash.accounts.sessions.session_seen writes its last-seen
# time), not on every request, so a session ends between SESSION_IDLE_MINUTES less one
# minute and SESSION_IDLE_MINUTES after its last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A link to set a new password works once, for PASSWORD_RESET_MINUTES (Django's token: it
# stops working once the password changes or the person signs in).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_MINUTES", "60")) * 60
# The address links in emails start with (https://mash.example.gov.uk); empty: the address
# the request came to (checked against ALLOWED_HOSTS).
SITE_URL = os.environ.get("SITE_URL", "")
# An account nobody has signed in to for DORMANT_ACCOUNT_DAYS is deactivated by the
# account loop (`manage.py account_lifecycle --every 3600`); 0 turns it off.
DORMANT_ACCOUNT_DAYS = int(os.environ.get("DORMANT_ACCOUNT_DAYS", "90"))
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


def attachment_storage_from_env() -> dict[str, object]:
    """Where attached files are kept (issue 13, item 2; docs/adr/0017): never under the
    web root or STATIC_ROOT, and served only through the permission-checked download
    views. Local disk under var/attachments by default (OPENMASH_ATTACHMENTS_DIR to move
    it); an S3-compatible bucket through django-storages when ATTACHMENTS_S3_BUCKET is
    set (install boto3 for it: `pip install boto3`); its credentials come from
    ATTACHMENTS_S3_ACCESS_KEY_ID / ATTACHMENTS_S3_SECRET_ACCESS_KEY or boto3's own
    environment (AWS_* variables, an instance role)."""
    bucket = os.environ.get("ATTACHMENTS_S3_BUCKET", "")
    if bucket:
        options: dict[str, object] = {
            "bucket_name": bucket,
            "location": os.environ.get("ATTACHMENTS_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "object_parameters": {"ContentDisposition": "attachment"},
        }
        for option, variable in [
            ("endpoint_url", "ATTACHMENTS_S3_ENDPOINT_URL"),
            ("region_name", "ATTACHMENTS_S3_REGION"),
            ("access_key", "ATTACHMENTS_S3_ACCESS_KEY_ID"),
            ("secret_key", "ATTACHMENTS_S3_SECRET_ACCESS_KEY"),
        ]:
            if os.environ.get(variable):
                options[option] = os.environ[variable]
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    location = os.environ.get("OPENMASH_ATTACHMENTS_DIR", str(VAR_DIR / "attachments"))
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": location,
            # No URL: a file is reached only through its download view.
            "base_url": "/attachments-have-no-direct-url/",
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": attachment_storage_from_env(),
}
# The largest file that may be attached, in MB; checked with the file's type, on its
# content (openmash/core/attachments.py).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_MB", "20")) * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mash@openmash.invalid")
# GOV.UK Notify (docs/adr/0021-out-of-hours-and-gov-uk-notify.md): with an API key every
# message goes through Notify's email endpoint, using one template whose personalisation
# carries the subject and body OpenMASH composes; without one, through EMAIL_BACKEND.
NOTIFY_API_KEY = os.environ.get("OPENMASH_NOTIFY_API_KEY", "")
NOTIFY_BASE_URL = os.environ.get(
    "OPENMASH_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
)
NOTIFY_TEMPLATE_ID = os.environ.get("OPENMASH_NOTIFY_TEMPLATE_ID", "")

# Logs carry request ids and object ids, never names or other personal data.
# LOG_FORMAT=json (production's default) writes one JSON object a line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "openmash.core.request_log.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's request log attaches the request, whose text is the full path with
            # its query string: never written out.
            "reserved_attrs": [*RESERVED_ATTRS, "request", "taskName"],
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "plain"),
            "filters": ["request_id"],
        }
    },
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


# --- Sign-in lockout, API rate limits and the shared cache (issue 14, ADR 0020) ---------


# The cache holds the API's rate-limit counters. Every app server must share one for the
# limits to hold across them: "db" (a table in PostgreSQL, made by `manage.py
# createcachetable`; production's default), "redis://host:6379/0" (needs the redis
# package), or "locmem" (one process only: the demo and tests).
def cache_from_env(default: str) -> dict[str, object]:
    url = os.environ.get("CACHE_URL", default)
    if url == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "openmash_cache",
        }
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


# The figures pages' reusable work (bootstrap intervals, charts' SVG), kept under a digest
# of its inputs so it is never stale (ADR 0032): in each process's memory, apart from the
# default cache, whose sign-in and rate-limit counters it must not push out.
METRICS_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "openmash-metrics",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

CACHES = {"default": cache_from_env("locmem"), "metrics": METRICS_CACHE}

# django-axes counts failed sign-ins in the database (so every app server sees them) on
# every path that signs in with a password: the sign-in page and the administration's.
# An account is locked after SIGN_IN_ACCOUNT_FAILURES failures, an address after
# SIGN_IN_ADDRESS_FAILURES (higher: a council's staff may share one address), until
# SIGN_IN_LOCKOUT_MINUTES pass or an administrator unlocks it.
SIGN_IN_ACCOUNT_FAILURES = int(os.environ.get("SIGN_IN_ACCOUNT_FAILURES", "5"))
SIGN_IN_ADDRESS_FAILURES = int(os.environ.get("SIGN_IN_ADDRESS_FAILURES", "20"))
SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "60"))
AXES_HANDLER = "openmash.accounts.lockout.SignInLockoutHandler"
AXES_FAILURE_LIMIT = SIGN_IN_ACCOUNT_FAILURES
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
# A successful sign-in forgets that account's failures from that address only (the
# handler's reset_user_attempts), never other accounts' or the address's count.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "openmash.accounts.views.locked_out_response"
AXES_HTTP_RESPONSE_CODE = 429
# Only failures are recorded: successful sign-ins are in the audit log already.
AXES_DISABLE_ACCESS_LOG = True
# The lockouts are in administration under OpenMASH's own, audited page (accounts/admin.py).
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Masked in what django-axes keeps of a failed request (the password always is); code and
# state are a failed single sign-on callback's.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "csrfmiddlewaretoken",
    "code",
    "state",
    "session_state",
]
# Behind a proxy (nginx), every request comes from the proxy's address: the client's is
# taken from X-Forwarded-For, TRUSTED_PROXY_COUNT entries from the right (each proxy
# appends the address it saw: nginx's $proxy_add_x_forwarded_for, deploy/nginx/).
# BEHIND_PROXY=1 means nginx alone (1); with a load balancer in front of nginx, 2.
# 0 (the default without BEHIND_PROXY) ignores the header.
BEHIND_PROXY = os.environ.get("BEHIND_PROXY", "") == "1"
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1" if BEHIND_PROXY else "0"))
AXES_CLIENT_IP_CALLABLE = "openmash.core.client_address.client_address"

# The JSON API: each token may make API_TOKEN_REQUESTS_PER_MINUTE requests a minute, and
# one address API_BAD_TOKEN_LIMIT requests with a wrong token in API_BAD_TOKEN_MINUTES;
# past either the API answers 429 with Retry-After. 0 turns a limit off.
API_TOKEN_REQUESTS_PER_MINUTE = int(os.environ.get("API_TOKEN_REQUESTS_PER_MINUTE", "1200"))
API_BAD_TOKEN_LIMIT = int(os.environ.get("API_BAD_TOKEN_LIMIT", "20"))
API_BAD_TOKEN_MINUTES = int(os.environ.get("API_BAD_TOKEN_MINUTES", "10"))

# Health (/healthz): a background loop is stale when its last heartbeat is older than
# three of its own intervals (or HEALTH_STALE_MINUTES for a run from cron), the audit log
# when its oldest unsealed event is older than AUDIT_SEAL_STALE_MINUTES.
HEALTH_REQUIRED_LOOPS = env_list("HEALTH_REQUIRED_LOOPS", "db_worker,deadline_alerts,seal_audit")
HEALTH_STALE_MINUTES = int(os.environ.get("HEALTH_STALE_MINUTES", "20"))
AUDIT_SEAL_STALE_MINUTES = int(os.environ.get("AUDIT_SEAL_STALE_MINUTES", "30"))


# --- Single sign-on with OpenID Connect (issue 14, docs/adr/0023) ------------------------
# Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set: the sign-in page then offers "Sign in
# with OIDC_PROVIDER_NAME" beside the username and password, which keep working. The
# README's "Single sign-on" section says what to register at Microsoft Entra ID.


def _env_json(name: str, default: object) -> object:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# The provider's issuer, exactly as its discovery document gives it (for Entra ID,
# https://login.microsoftonline.com/<tenant id>/v2.0); the endpoints come from
# <issuer>/.well-known/openid-configuration unless OIDC_DISCOVERY_URL or an endpoint below
# says otherwise.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_URI", "")
OIDC_OP_END_SESSION_ENDPOINT = os.environ.get("OIDC_END_SESSION_ENDPOINT", "")
# The client registered at the provider. The secret is read from the environment only.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGORITHM", "RS256")
# The name people know the provider by: "Sign in with <name>".
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "") or "your organisation's account"
# Which claim finds a person's account: email (the account's email address),
# preferred_username or upn (its username), or any other claim such as Entra ID's oid
# (the account's "single sign-on id", which provisioning fills in).
OIDC_USER_CLAIM = os.environ.get("OIDC_USER_CLAIM", "email")
# Whether someone the provider signs in who has no account yet gets one (from their
# groups' agency and roles); without it they are told they have no access.
OIDC_PROVISION_USERS = os.environ.get("OIDC_PROVISION_USERS", "") == "1"
# The claim holding the person's groups (Entra ID: "groups", the groups' object ids; or
# "roles" for app roles), and what each group gives: {"<group>": {"agency": "<agency
# slug>", "roles": ["screener", ...]}}. Roles follow the groups at every sign-in.
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_MAP = _env_json("OIDC_GROUP_MAP", {})
# Signing out of OpenMASH also ends the session at the provider (its end_session_endpoint,
# if it has one), unless OIDC_SIGN_OUT_AT_PROVIDER=0.
OIDC_SIGN_OUT_AT_PROVIDER = os.environ.get("OIDC_SIGN_OUT_AT_PROVIDER", "1") == "1"
# The provider already asks for a second factor (an Entra ID conditional access policy
# requiring MFA for this application): two-factor sign-in then accepts a single sign-on
# session as having met it. Set it only when the provider's policy really does.
OIDC_IDP_ENFORCES_MFA = os.environ.get("OIDC_IDP_ENFORCES_MFA", "") == "1"
# mozilla-django-oidc's own settings: PKCE as well as state and nonce, the callback's
# URL name, and how long to wait for the provider.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso-callback"
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT_SECONDS", "10"))
OIDC_STORE_ID_TOKEN = False
OIDC_STORE_ACCESS_TOKEN = False
# Signing out posts a form whose answer redirects to the provider's end-session endpoint:
# the Content Security Policy's form-action must allow the provider's origin.
CSP_FORM_ACTION_EXTRA = sorted(
    {origin for origin in (_origin(OIDC_ISSUER), _origin(OIDC_OP_END_SESSION_ENDPOINT)) if origin}
)

# Two-factor sign-in (docs/adr/0028-two-factor-sign-in.md). Authenticator apps show
# codes under this name; a wrong code makes the next try wait 1, 2, 4, 8... seconds
# (django-otp's throttling, per device), besides counting towards the lockout above.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "OpenMASH")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# How many single-use recovery codes a person is given at a time.
TWO_FACTOR_RECOVERY_CODES = 10


def webauthn_relying_party_id(hosts: list[str]) -> str:
    """The WebAuthn relying party id: the first host name in ALLOWED_HOSTS (a leading dot,
    Django's "and its subdomains", dropped). Never an IP address or "*", which browsers
    refuse as one: "localhost" then, so that the demo works at http://localhost."""
    for host in hosts:
        name = host.strip().lstrip(".").lower()
        if name and name != "*" and not _is_ip_address(name):
            return name
    return "localhost"


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def webauthn_origins(hosts: list[str], rp_id: str) -> list[str]:
    """The origins security keys may be used from: https:// and each host in
    ALLOWED_HOSTS that is the relying party id or under it (not wildcards, whose
    subdomains cannot be listed: set WEBAUTHN_ORIGINS for those)."""
    origins = []
    for host in hosts:
        name = host.strip().lower()
        if name.startswith(".") or name == "*" or _is_ip_address(name):
            continue
        if name == rp_id or name.endswith(f".{rp_id}"):
            origins.append(f"https://{name}")
    return origins


# Security keys and passkeys (WebAuthn; django-otp-webauthn, docs/adr/0028). A key is
# bound to the relying party id, a domain: keys registered under one will not work under
# another, so set WEBAUTHN_RP_ID before anyone registers one if ALLOWED_HOSTS's first
# host name is not the address people use. WEBAUTHN_ORIGINS (comma-separated, with
# https://) lists the addresses a key may be used from; by default https:// and each
# ALLOWED_HOSTS host under the relying party id. http://localhost on any port is also
# accepted while the relying party id is "localhost" (the demo and the browser tests:
# browsers treat localhost as secure; they refuse WebAuthn at an IP address such as
# 127.0.0.1).
OTP_WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID", "") or webauthn_relying_party_id(
    ALLOWED_HOSTS
)
OTP_WEBAUTHN_RP_NAME = os.environ.get("WEBAUTHN_RP_NAME", "") or OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("WEBAUTHN_ORIGINS") or webauthn_origins(
    ALLOWED_HOSTS, OTP_WEBAUTHN_RP_ID
)
# A second factor after the password only: never a sign-in by key alone.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Our own ceremony views and script (openmash/two_factor/security_keys.py) check origins
# through this helper.
OTP_WEBAUTHN_HELPER_CLASS = "openmash.two_factor.security_keys.SecurityKeyHelper"
# Refused keys are logged by openmash.two_factor.services (the kind of refusal only).
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""
