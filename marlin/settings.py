"""All of Marlin's configuration, read from the environment in this one place.

Unset, everything runs embedded: an SQLite file under ``data/`` and reactors in-process after
commit. Production sets ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis).
"""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from marlin.broker_transport import transport_for

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG")
# Where the embedded SQLite file and the key ``make run`` writes live.
DATA_DIR = Path(env("MARLIN_DATA_DIR", str(BASE_DIR / "data")))


def read_secret_key(key_file: Path) -> str:
    """The key from the environment, or else from the key file (``make run`` writes one), so
    ``manage.py`` works in a checkout without exporting it; empty when there is neither."""
    key = env("SECRET_KEY")
    if key:
        return key
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        return ""


SECRET_KEY_FILE = Path(env("MARLIN_SECRET_KEY_FILE", str(DATA_DIR / "secret_key")))
SECRET_KEY = read_secret_key(SECRET_KEY_FILE)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: export SECRET_KEY, or put the key in the "
            f"file MARLIN_SECRET_KEY_FILE names (now {SECRET_KEY_FILE}; `make run` writes one there)"
        )
    SECRET_KEY = "marlin-insecure-development-key-only-for-debug"
ALLOWED_HOSTS = [
    host.strip() for host in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "marlin.apps.MarlinConfig",
    "marlin.eventstore",
    "people",
    "tasks",
    "reviews",
    "payments",
    "quality",
    "webhooks",
    "workbench",
    "dashboard",
]

MIDDLEWARE = [
    "marlin.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "marlin.api.request_size.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a sign-in refused for lockout into the 429 answer (marlin.api.auth).
    "axes.middleware.AxesMiddleware",
]

# Sign-in goes through django-axes first (refuses a locked username or address), then the
# model backend, which refuses people who are deactivated (``active``) as well as ``is_active``.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "marlin.api.authentication.ActivePeopleBackend",
]

ROOT_URLCONF = "marlin.urls"
# Browsers sign in at the browsable API's login page and land on the home page (dashboard app).
LOGIN_URL = "/api/v1/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
WSGI_APPLICATION = "marlin.wsgi.application"
AUTH_USER_MODEL = "people.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of third-party templates (the sign-in page, the admin's branding).
        "DIRS": [BASE_DIR / "templates"],
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

# --- database ------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'marlin.sqlite3'}")
# Persistent connections: a new connection per request made each request about 8x slower here.
# No health check per request (a SELECT 1 before every write): a connection idle longer than
# MARLIN_DB_IDLE_CHECK_SECONDS is checked when the next request starts (marlin.idle_connections).
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)
MARLIN_DB_IDLE_CHECK_SECONDS = env_int("MARLIN_DB_IDLE_CHECK_SECONDS", 10)
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=False)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock at BEGIN and wait up to 30 s for it, instead of failing with
    # "database is locked" halfway through a transaction; WAL lets readers go on meanwhile.
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _database["CONN_MAX_AGE"] = 0 if _database["NAME"] == ":memory:" else CONN_MAX_AGE
    if _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _database.setdefault("TEST", {})["NAME"] = env("SQLITE_TEST_NAME") or None
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel separately from the SQL instead of being quoted into it by the client:
    # quoting large texts (task imports) in Python took most of an import's time.
    _database.setdefault("OPTIONS", {})["server_side_binding"] = env_bool("PG_SERVER_SIDE_BINDING", True)
    # Prepared statements: psycopg prepares a statement the connection has run this many times,
    # and PostgreSQL then parses and plans it once, not on every run. Django turns this off (for
    # connection poolers in transaction mode, which move a session's statements between server
    # connections); Marlin holds its own persistent connections. PG_PREPARE_THRESHOLD=0 turns it
    # off again, for such a pooler.
    _prepare_after = env_int("PG_PREPARE_THRESHOLD", 5)
    _database["OPTIONS"]["prepare_threshold"] = _prepare_after if _prepare_after > 0 else None


def _without_jit(database: dict[str, Any]) -> None:
    """PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high, which for
    Marlin's short queries costs far more than it saves: routing's waiting-work query ran in 26 ms
    and spent 336 ms in JIT, every time. Off unless ``PG_JIT`` turns it on."""
    if database["ENGINE"] == "django.db.backends.postgresql" and not env_bool("PG_JIT"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()


_without_jit(_database)
DATABASES = {"default": _database}

# A read replica for the heavy reads (payout reports, preference exports); they may lag the primary
# by the replication delay. Without one they read the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=False
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    _without_jit(DATABASES["replica"])
MARLIN_REPORTS_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"

# --- cache (throttling); shared Redis when several API processes run ------------------------------
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "marlin"}
    )
}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Kombu's Redis transport with a worker crash on a lost broker fixed (marlin.broker_transport).
CELERY_BROKER_TRANSPORT = transport_for(CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Publishing after a commit must not stall a request while Redis is down: one quick retry,
    # then give up; the periodic pump delivers the reaction once the broker is back.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless this is set; the
# worker instead checks its connection around each task as a request does (marlin.idle_connections),
# so the fixup recycles it only after this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 10_000)
CELERY_TIMEZONE = "UTC"

# Periodic jobs: Celery beat runs them in production; `manage.py serve` runs them in-process.
MARLIN_PUMP_INTERVAL_SECONDS = float(env("MARLIN_PUMP_INTERVAL_SECONDS", "2"))
MARLIN_PERIODIC_JOBS: dict[str, float] = {
    "marlin.pump_all_reactors": MARLIN_PUMP_INTERVAL_SECONDS,
    "marlin.purge_idempotency_keys": 3600.0,
    "tasks.expire_stale_claims": float(env("MARLIN_CLAIM_SWEEP_SECONDS", "30")),
    "reviews.expire_overdue_reviews": float(env("MARLIN_REVIEW_SWEEP_SECONDS", "30")),
    "reviews.route_waiting_reviews": float(env("MARLIN_ROUTING_SWEEP_SECONDS", "15")),
    "webhooks.deliver_webhooks": float(env("MARLIN_WEBHOOK_SWEEP_SECONDS", "2")),
}
CELERY_BEAT_SCHEDULE = {
    name: {"task": name, "schedule": seconds} for name, seconds in MARLIN_PERIODIC_JOBS.items()
}

# Webhooks (README "Webhooks"): each attempt waits this long to connect, and for each write and
# read; a failing delivery is retried with exponential backoff (base doubling up to the maximum,
# with jitter) for MARLIN_WEBHOOK_RETRY_HOURS, then its endpoint is disabled. Private, loopback,
# link-local, multicast and reserved targets are refused unless MARLIN_WEBHOOK_ALLOW_PRIVATE is on.
MARLIN_WEBHOOK_TIMEOUT_SECONDS = float(env("MARLIN_WEBHOOK_TIMEOUT_SECONDS", "10"))
MARLIN_WEBHOOK_RETRY_HOURS = float(env("MARLIN_WEBHOOK_RETRY_HOURS", "24"))
MARLIN_WEBHOOK_BACKOFF_SECONDS = float(env("MARLIN_WEBHOOK_BACKOFF_SECONDS", "10"))
MARLIN_WEBHOOK_BACKOFF_MAX_SECONDS = float(env("MARLIN_WEBHOOK_BACKOFF_MAX_SECONDS", "3600"))
MARLIN_WEBHOOK_ALLOW_PRIVATE = env_bool("MARLIN_WEBHOOK_ALLOW_PRIVATE")

# Pseudonyms shown to reviewers; keep it stable, or pseudonyms change.
MARLIN_PSEUDONYM_KEY = env("MARLIN_PSEUDONYM_KEY")

# --- API -----------------------------------------------------------------------------------------
# How many reverse proxies in front may be believed about the client's address (X-Forwarded-For);
# 0: the connection's own address, whatever headers say.
MARLIN_TRUSTED_PROXIES = env_int("MARLIN_TRUSTED_PROXIES", 0)
MARLIN_IDEMPOTENCY_TTL_HOURS = env_int("MARLIN_IDEMPOTENCY_TTL_HOURS", 24)
MARLIN_PAGE_SIZE = env_int("MARLIN_PAGE_SIZE", 50)
MARLIN_IMPORT_MAX_ROWS = env_int("MARLIN_IMPORT_MAX_ROWS", 20_000)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marlin.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marlin.api.pagination.PageNumberPagination",
    "PAGE_SIZE": MARLIN_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "marlin.api.schema.MarlinAutoSchema",
    "EXCEPTION_HANDLER": "marlin.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "marlin.api.throttling.AnonRateThrottle",
        "marlin.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("MARLIN_THROTTLE_ANON", "60/minute"),
        "user": env("MARLIN_THROTTLE_USER", "1200/minute"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "marlin.api.parsers.DecimalJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on the connection's address, or on X-Forwarded-For only through the trusted
    # proxies: a client cannot reset its throttle by sending another header.
    "NUM_PROXIES": MARLIN_TRUSTED_PROXIES,
}

# --- sign-in and tokens ------------------------------------------------------------------------------
# Tokens: stored as SHA-512 digests (knox), expire after MARLIN_TOKEN_TTL_HOURS, revoked by logout,
# deactivation and a new invitation. Clients send ``Authorization: Token <key>``.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("MARLIN_TOKEN_TTL_HOURS", 720)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# Lockout: MARLIN_LOGIN_FAILURE_LIMIT failures lock that username, and that address, for
# MARLIN_LOGIN_LOCKOUT_MINUTES, on every way in (token, session login, admin login).
AXES_FAILURE_LIMIT = env_int("MARLIN_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MARLIN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "marlin.api.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "marlin.api.authentication.client_address"
AXES_USERNAME_CALLABLE = "marlin.api.authentication.username_tried"
AXES_VERBOSE = False
MARLIN_INVITATION_TTL_HOURS = env_int("MARLIN_INVITATION_TTL_HOURS", 72)
SPECTACULAR_SETTINGS = {
    "TITLE": "Marlin API",
    "DESCRIPTION": "Expert review of model-generated code: tasks, reviews, payouts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- static files, i18n, passwords ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serves app static files even before (or without) collectstatic
warnings.filterwarnings("ignore", message="No directory at")
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if env_bool("MARLIN_FAST_PASSWORD_HASHING")
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)
# Task imports are the large requests: 10,000 tasks with code in them run to tens of megabytes.
# Every body, file uploads included, counts against it (marlin.api.request_size: 413).
MARLIN_MAX_REQUEST_BYTES = env_int("MARLIN_MAX_REQUEST_BYTES", 200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MARLIN_MAX_REQUEST_BYTES

# --- logging -------------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "marlin.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# --- HTTPS and browser protections ----------------------------------------------------------------
# Behind a TLS-terminating proxy (production) the settings pass `manage.py check --deploy` with no
# warning: plain HTTP is redirected, HSTS is sent, cookies are secure. The load balancer's health
# check may still call /healthz over plain HTTP.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env_bool("MARLIN_SSL_REDIRECT", BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz\Z"]
SECURE_HSTS_SECONDS = env_int("MARLIN_HSTS_SECONDS", 31_536_000 if BEHIND_TLS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MARLIN_HSTS_INCLUDE_SUBDOMAINS", BEHIND_TLS_PROXY)
SECURE_HSTS_PRELOAD = env_bool("MARLIN_HSTS_PRELOAD", BEHIND_TLS_PROXY)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BEHIND_TLS_PROXY
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "marlin.api.errors.csrf_failure"
