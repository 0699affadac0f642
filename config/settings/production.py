"""Production: everything from the environment, nothing insecure by default.

Runs behind nginx (deploy/nginx/), which terminates TLS and sets X-Forwarded-Proto.
`python manage.py check --deploy --fail-level WARNING` must stay clean (tests/test_deploy_settings.py).
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import SENTRY_DSN, STATIC_ROOT, STORAGES, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# An empty line in .env (`DJANGO_CSRF_TRUSTED_ORIGINS=`) counts as unset: https:// on every served
# host name, a leading-dot wildcard (.example.com) becoming https://*.example.com.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]) or [
    f"https://*{host}" if host.startswith(".") else f"https://{host}" for host in ALLOWED_HOSTS if host != "*"
]
CRED_ENCRYPTION_KEY = env.list("CRED_ENCRYPTION_KEY")

# --- HTTPS (nginx terminates TLS and sends X-Forwarded-Proto) ---------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx appends the client's address to X-Forwarded-For (sign-in and API throttles read it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXY_COUNT}
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Container health checks call gunicorn directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Static files: whitenoise with hashed names, so browsers and nginx may cache them for long --
# Empty: staticfiles/ in the checkout (the image bakes them into /app/staticfiles).
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or STATIC_ROOT
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
# A template naming a file missing from the manifest gets the unhashed URL instead of a 500.
WHITENOISE_MANIFEST_STRICT = False

# --- Error reporting: Sentry only when SENTRY_DSN is set ----------------------------------------
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from config.logging import redact_mapping

    def _redact_sentry_event(event, hint):
        """Same rules as the JSON logs: no secrets, no full phone numbers leave the machine."""
        return redact_mapping(event)

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        before_send=_redact_sentry_event,
    )
