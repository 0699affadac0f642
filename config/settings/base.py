"""Settings shared by every environment; production and test only tighten or swap services."""

from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config.env import BASE_DIR, database_url, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("BALCAO_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    # django.contrib.admin, with the console's site (dashboard as its first page) as admin.site.
    "console.admin_config.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "django_htmx",
    "tenants",
    "customers",
    "conversations",
    "flows",
    "catalog",
    "carts",
    "orders",
    "leads",
    "console",
    "privacy",
    "integrations",
]

MIDDLEWARE = [
    "config.deadline.FastFailMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.request_id.RequestIdMiddleware",
    "config.nul_bytes.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.CurrentCompanyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.current_company",
            ],
        },
    },
]

# --- Embedded default vs real services --------------------------------------------------------
# With no DATABASE_URL/DIRECT_URL and no REDIS_URL everything runs on SQLite files under var/:
# the database, Django's cache (database table) and the Celery broker (kombu's SQLAlchemy
# transport). With them set, the same code runs on PostgreSQL and Redis.
DATABASE_URL = database_url()
REDIS_URL = env.str("REDIS_URL", default="")

# Fail fast on a hung or unreachable PostgreSQL (config.deadline, docs/operations.md): seconds to
# connect, and for web processes (config.wsgi sets BALCAO_PROCESS=web) a statement timeout in ms.
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=30_000)
WEB_PROCESS = env.str("BALCAO_PROCESS", default="") == "web"
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT
        if WEB_PROCESS and DB_STATEMENT_TIMEOUT_MS:
            DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # true behind a transaction-mode pooler (pgbouncer, Supabase :6543): a server-side cursor
    # (`.iterator()`) would not survive the pooler switching connections between transactions.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "balcao.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }

# Timeouts so that an unreachable Redis (not just a refused port) costs a webhook about a second,
# not the kernel's two-minute connect timeout: every cache user falls back when the cache raises.
CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": CACHE_SOCKET_TIMEOUT, "socket_timeout": CACHE_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "balcao_cache"}}
# An empty `CELERY_BROKER_URL=` line (as copied from .env.example) counts as unset: django-environ
# would return "", and Celery would then silently try amqp://localhost.
CELERY_BROKER_URL = (
    env.str("CELERY_BROKER_URL", default="") or REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
# ----------------------------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # dd/mm/aaaa HH:MM on the pages
TIME_ZONE = env.str("TIME_ZONE", default="America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project's own admin stylesheet and scripts
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# --- Sign-in throttling, client address, Content-Security-Policy --------------------------------
# How many reverse proxies (nginx: 1) append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=20)  # an office shares one address
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
CONNECTION_TESTS_PER_MINUTE = env.int("CONNECTION_TESTS_PER_MINUTE", default=5)  # per company
# No inline script or style without the response's nonce; images may be data: URLs (QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Credentials at rest -----------------------------------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation: put the new key first).
CRED_ENCRYPTION_KEY = env.list("CRED_ENCRYPTION_KEY", default=[])

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.CompanyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.CompanyRolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "tenants.api_parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenants.api.exception_handler",
    # Throttles key anonymous clients by address: trust as many X-Forwarded-For hops as our proxies add.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {"api-tokens": env.str("API_TOKENS_THROTTLE_RATE", default="30/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Balcão API",
    "DESCRIPTION": "WhatsApp sales and cart recovery, one company per token.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets sharing a field name get fixed component names (otherwise a hash suffix that
    # changes when choices change). Cart.Source has the same choices as orders.Source: one enum.
    "ENUM_NAME_OVERRIDES": {
        "SaleSourceEnum": "orders.models.Source",
        "OrderStatusEnum": "orders.models.Order.Status",
    },
}

# --- Celery ------------------------------------------------------------------------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Must exceed every countdown/ETA we use, or Redis redelivers the task while it still waits.
CELERY_MAX_COUNTDOWN_SECONDS = 60 * 60
# Redis only (the SQLAlchemy transport passes its options to create_engine). The connect timeout
# bounds what an unreachable broker costs a publish (a webhook's after-commit enqueue included).
# The socket timeout bounds what a hung one (accepting connections, answering nothing) costs.
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "visibility_timeout": 2 * CELERY_MAX_COUNTDOWN_SECONDS,
        "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
    }
    if CELERY_BROKER_URL.startswith(("redis", "sentinel"))  # redis://, rediss://, redis+socket://, sentinel://
    else {}
)
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=CACHE_SOCKET_TIMEOUT)
# A publish that fails is retried this many times (each bounded by the timeouts above), then given
# up: the row it was about stays for its sweep. Celery's default (3 retries) would let a dead broker
# cost a webhook several seconds.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env.int("BROKER_PUBLISH_RETRIES", default=1),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "webhooks", "outbound", "imports", "maintenance")]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Stopping (bin/worker maps SIGTERM to Celery's cold shutdown): running tasks get this many seconds
# to finish, then are cancelled and their messages requeued (acks_late): a stop takes about 7 s.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("WORKER_SOFT_SHUTDOWN_SECONDS", default=3.0)
# An idle worker stops at once: its unacked (ETA) messages go back to the broker when it disconnects.
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = False

# --- Fail fast (config.deadline, config.health) ------------------------------------------------
# Webhooks answer 503 (the provider retries) when they take longer than this: a hung database.
WEBHOOK_DEADLINE_SECONDS = env.float("WEBHOOK_DEADLINE_SECONDS", default=5.0)
FAST_FAIL_PATHS = ["/webhook/"]
# /health/ answers within about this long whatever hangs; it is "degraded" past these thresholds.
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=1.5)
HEALTH_OUTBOUND_FAILED_MAX = env.int("HEALTH_OUTBOUND_FAILED_MAX", default=10)  # failed in the last hour
HEALTH_OUTBOUND_STUCK_MAX = env.int("HEALTH_OUTBOUND_STUCK_MAX", default=10)  # overdue by 5 minutes
# Store databases (WordPress/WooCommerce MariaDB sources), seconds.
MYSQL_SOURCE_CONNECT_TIMEOUT = env.int("MYSQL_SOURCE_CONNECT_TIMEOUT", default=10)
MYSQL_SOURCE_READ_TIMEOUT = env.int("MYSQL_SOURCE_READ_TIMEOUT", default=120)
MYSQL_SOURCE_WRITE_TIMEOUT = env.int("MYSQL_SOURCE_WRITE_TIMEOUT", default=30)

# --- Platform limits and outbound calls (per-company tuning lives on Company) ------------------
MAX_WEBHOOK_BODY_BYTES = env.int("MAX_WEBHOOK_BODY_BYTES", default=256 * 1024)  # 256 KiB
# Each web process keeps a channel it found by inbound key this long (saves the webhook's one read;
# a change made in another process, e.g. a rotated app secret, shows after at most this). 0: off.
WEBHOOK_CHANNEL_CACHE_SECONDS = env.float("WEBHOOK_CHANNEL_CACHE_SECONDS", default=5.0)
PROVIDER_TIMEOUT = env.float("PROVIDER_TIMEOUT", default=15.0)  # seconds
# Outbound messages (conversations.services.delivery): each retried on its own, exponential backoff
# with jitter from BASE up to MAX seconds (or the provider's Retry-After), until the budget (seconds
# since the first attempt) or the attempt count runs out; then `failed` with the reason.
OUTBOUND_RETRY_BUDGET_SECONDS = env.float("OUTBOUND_RETRY_BUDGET_SECONDS", default=600.0)
OUTBOUND_MAX_ATTEMPTS = env.int("OUTBOUND_MAX_ATTEMPTS", default=15)
OUTBOUND_BACKOFF_BASE_SECONDS = env.float("OUTBOUND_BACKOFF_BASE_SECONDS", default=2.0)
OUTBOUND_BACKOFF_MAX_SECONDS = env.float("OUTBOUND_BACKOFF_MAX_SECONDS", default=120.0)
# A message claimed (`sending`) this long ago lost its worker: the sweep sends it again, with the
# same idempotency key. Keep it above PROVIDER_TIMEOUT.
OUTBOUND_SENDING_STUCK_SECONDS = env.float("OUTBOUND_SENDING_STUCK_SECONDS", default=60.0)
HTTP_VERIFY_TLS = env.bool("HTTP_VERIFY_TLS", default=True)
CRON_SECRET = env.str("CRON_SECRET", default="")
# Where providers reach us (webhook URLs, QR links in messages). Empty: pages use the host they are
# opened on, and background jobs the local dev server (config.public_url).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
CHANNEL_HEALTH_INTERVAL_SECONDS = env.int("CHANNEL_HEALTH_INTERVAL_SECONDS", default=30)
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)

# --- Logging: JSON lines through structlog, secrets and phone numbers redacted -----------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.json_formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SENTRY_DSN = env.str("SENTRY_DSN", default="")

# --- Conversations pipeline ---
# Outbound calls to hosts a company sets (integrations.destinations): private, loopback, CGNAT and
# unique-local addresses only when this is true; any network (metadata/link-local too) when listed
# in OUTBOUND_ALLOWED_NETWORKS (comma-separated CIDRs).
ALLOW_PRIVATE_PROVIDER_URLS = env.bool("ALLOW_PRIVATE_PROVIDER_URLS", default=False)
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
OUTBOUND_EXPIRE_AFTER_SECONDS = env.int("OUTBOUND_EXPIRE_AFTER_SECONDS", default=60 * 60)
MAX_RECEIVED_FILE_BYTES = env.int("MAX_RECEIVED_FILE_BYTES", default=16 * 1024 * 1024)

# --- Privacy (LGPD) ---
# A person with at most this many rows is exported or erased inside the API request or admin click;
# more, and the work goes to a background task with progress.
PRIVACY_INLINE_MAX_ROWS = env.int("PRIVACY_INLINE_MAX_ROWS", default=2000)

# --- Business integrations ---
# LLM for free-text orders (OpenAI-compatible; Groq by default). Empty key: the rule-based parser only.
GROQ_API_KEY = env.str("GROQ_API_KEY", default="")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="https://api.groq.com/openai/v1")
LLM_MODEL = env.str("LLM_MODEL", default="llama-3.3-70b-versatile")
# Google Sheets API root; change only to point at a proxy or a local fake.
GOOGLE_SHEETS_BASE_URL = env.str("GOOGLE_SHEETS_BASE_URL", default="https://sheets.googleapis.com/v4")

# --- Orders / Pix ---
MERCADOPAGO_BASE_URL = env.str("MERCADOPAGO_BASE_URL", default="https://api.mercadopago.com")
# The payer e-mail of a Pix charge when neither the customer's own nor the company's setting is known.
MERCADOPAGO_PAYER_EMAIL = env.str("MERCADOPAGO_PAYER_EMAIL", default="")
