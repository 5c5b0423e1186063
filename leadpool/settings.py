"""LeadPool settings, read from the environment in this one module.

Everything a deployment changes comes from an environment variable; nothing secret is
written here. Defaults give a working single-machine install on SQLite under ./var/.
"""

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


BASE_DIR = Path(__file__).resolve().parent
# Local state (the SQLite file, the generated secret key) lives in the working directory's
# var/ unless told otherwise, so a checkout runs without any configuration.
VAR_DIR = Path(os.environ.get("LEADPOOL_VAR_DIR", Path.cwd() / "var")).resolve()


def load_or_create_secret_key(path: Path) -> str:
    """Keep one generated key per install, so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not both write different keys.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY") or load_or_create_secret_key(VAR_DIR / "secret_key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Background jobs (the rule sweeps, imports) through Django's tasks interface: the
    # `django-tasks` backport until Django 6, queued in our own database by `django-tasks-db`
    # (the backport's database backend, a separate package since 0.12), run by `leadpool worker`.
    "django_tasks",
    "django_tasks_db",
    "leadpool.core",
    "leadpool.accounts",
    "leadpool.fields",
    "leadpool.pools",
    "leadpool.leads",
    "leadpool.customers",
    "leadpool.activity",
    "leadpool.history",
    "leadpool.transfer",
    "leadpool.capture",
    "leadpool.scoring",
    "leadpool.web",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from the app itself, so no web server setup is needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The client's address for the audit log (history/audit.py), for this request.
    "leadpool.history.audit.AuditAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "leadpool.urls"
WSGI_APPLICATION = "leadpool.wsgi.application"
ASGI_APPLICATION = "leadpool.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'leadpool.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN, so two transactions never both read and then fail to upgrade their lock.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `leadpool collectstatic` gathers files here for WhiteNoise to serve compressed.
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise also finds files in the apps' static/ folders, so `make run` and the tests
# work without a collectstatic step (it scans them once, at start-up).
WHITENOISE_USE_FINDERS = True
# WhiteNoise warns at every start while STATIC_ROOT is missing (before the first
# collectstatic): an empty folder is the honest state then. A read-only install keeps
# the warning, rightly.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Request bodies above this are refused before they are parsed: the API answers
# 413 {"detail"} (core/api.py exception_handler). Uploads, which stream to disk, have
# their own cap.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LEADPOOL_MAX_BODY_BYTES", 1024 * 1024)

CACHES = {
    # Throttle counters live here. One process: the default is enough; several web
    # processes should share a cache (e.g. CACHE_URL=redis://127.0.0.1:6379/1).
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
        }
        if os.environ.get("CACHE_URL", "").startswith("redis")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["leadpool.core.api.WriteThrottle"],
    "DEFAULT_PAGINATION_CLASS": "leadpool.core.api.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "leadpool.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "leadpool.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many reverse proxies sit in front (each appends to X-Forwarded-For). DRF's
    # default (None) trusts the whole header, so a client could claim a new address on
    # every login attempt and escape the per-IP throttle; 0 uses REMOTE_ADDR only.
    "NUM_PROXIES": env_int("LEADPOOL_NUM_PROXIES", 0),
}
# Requests allowed per period ("N/second|minute|hour|day"); None turns a limit off.
LEADPOOL_RATES = {
    "login_ip": os.environ.get("LEADPOOL_RATE_LOGIN_IP", "30/minute"),
    "login_username": os.environ.get("LEADPOOL_RATE_LOGIN_USERNAME", "10/minute"),
    "write": os.environ.get("LEADPOOL_RATE_WRITE", "300/minute"),
    # Public web-to-lead form submissions (leadpool/capture), per client IP and per form.
    "form_ip": os.environ.get("LEADPOOL_RATE_FORM_IP", "20/minute"),
    "form": os.environ.get("LEADPOOL_RATE_FORM", "600/hour"),
}
# A web form submitted sooner than this after its page was served is a bot's: dropped.
LEADPOOL_FORM_MIN_SECONDS = env_int("LEADPOOL_FORM_MIN_SECONDS", 3)
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadPool API",
    "DESCRIPTION": "Leads, customers and the pools that share them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PoolKindEnum": "leadpool.pools.models.Pool.Kind",
        "FollowUpKindEnum": "leadpool.activity.models.FollowUp.Kind",
        "NotificationKindEnum": "leadpool.history.models.Notification.Kind",
        "CustomFieldTypeEnum": "leadpool.fields.models.CustomField.Type",
        "RecordTypeEnum": ["lead", "customer"],
        "ImportStatusEnum": "leadpool.transfer.models.ImportJob.Status",
        "CustomFieldEntityEnum": "leadpool.fields.models.CustomField.Entity",
        "OrderStatusEnum": "leadpool.customers.models.Order.Status",
    },
}

# Jobs are queued as rows in the database, so any number of workers (`leadpool worker`)
# share them with no broker to run; they take them with SELECT … FOR UPDATE SKIP LOCKED.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds between two runs of the pool rules (reclaim, warnings, retention, reminders) in
# each worker; several workers at once are safe, each record is acted on once.
LEADPOOL_RULES_INTERVAL = env_int("LEADPOOL_RULES_INTERVAL", 300)

# E-mail (notification digests, sent by the worker): printed to the console unless a
# backend is chosen, e.g. EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
# with EMAIL_HOST and friends. The password comes from the environment only.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "LeadPool <leadpool@localhost>")

# The region phone numbers without a country code belong to (phonenumbers' region codes).
LEADPOOL_PHONE_REGION = os.environ.get("LEADPOOL_PHONE_REGION", "CN")
# How long deleted records stay in the recycle bin before a purge removes them for good.
LEADPOOL_RECYCLE_BIN_DAYS = env_int("LEADPOOL_RECYCLE_BIN_DAYS", 30)
# Most rows one export may hold (PRODUCT.md: the seed's cap is 2,000); past it the export
# is refused with a message naming the cap.
LEADPOOL_EXPORT_CAP = env_int("LEADPOOL_EXPORT_CAP", 2000)
# Uploaded import files wait here for their job; never a folder the web server serves.
LEADPOOL_IMPORT_DIR = Path(os.environ.get("LEADPOOL_IMPORT_DIR", VAR_DIR / "imports")).resolve()
# The largest file an import takes (bytes); a million-row CSV is about 100 MB.
LEADPOOL_IMPORT_MAX_BYTES = env_int("LEADPOOL_IMPORT_MAX_BYTES", 300 * 1024**2)
# Days an uploaded file waits for a worker before its import fails and the file goes.
LEADPOOL_IMPORT_RETENTION_DAYS = env_int("LEADPOOL_IMPORT_RETENTION_DAYS", 7)

# Served over HTTPS (directly or behind a proxy that sets X-Forwarded-Proto): secure
# cookies, a redirect from http, and HSTS. `SECURE_COOKIES` is the older name.
HTTPS = env_bool("LEADPOOL_HTTPS", env_bool("SECURE_COOKIES", False))
if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    if HTTPS:
        SECURE_SSL_REDIRECT = env_bool("LEADPOOL_SSL_REDIRECT", True)
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_HSTS_SECONDS = env_int("LEADPOOL_HSTS_SECONDS", 365 * 24 * 3600)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LEADPOOL_HSTS_SUBDOMAINS", False)
        SECURE_HSTS_PRELOAD = False
# `check --deploy` asks for HSTS on every subdomain and for the browsers' preload list: both
# bind domains LeadPool does not own, so they stay the administrator's explicit choice.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
