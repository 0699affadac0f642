#!/usr/bin/env bash
# Entrypoint of the production image: wait for PostgreSQL, then run the given command
# (bin/web, bin/worker, bin/beat, or a one-off like `python manage.py migrate`).
set -euo pipefail

python -m deploy.probe wait-db
exec "$@"
