# syntax=docker/dockerfile:1
# One production image for web (gunicorn), Celery workers and beat: see docker-compose.prod.yml.
# The processes are the same bin/web, bin/worker and bin/beat that `make run` starts locally.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- Dependencies: built once into a virtualenv, copied into the runtime stage -----------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
# The runtime lock: every package pinned with its hashes, the versions CI tested (README, "Dependencies").
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --requirement /tmp/requirements.lock

# --- Runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    BALCAO_VAR_DIR=/app/var \
    MEDIA_ROOT=/srv/media

RUN groupadd --system --gid 1000 balcao \
    && useradd --system --uid 1000 --gid balcao --home-dir /app --shell /usr/sbin/nologin balcao

COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# Code stays owned by root: the app user can write only var/ and the media volume.
COPY . /app

# Compiled static files (hashed names, gzip) baked into the image; whitenoise serves them.
# Settings need these three values to import; none of them ends up in the image's environment.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    CRED_ENCRYPTION_KEY=collectstatic-only \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /srv/media \
    && chown balcao:balcao /app/var /srv/media

USER balcao
EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["bin/web"]
