"""Developer machine: `make run`. Debug on, everything else as in base."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

# An empty `DJANGO_DEBUG=` line (as copied from .env.example) counts as unset: debug stays on.
DEBUG = env.bool("DJANGO_DEBUG") if env.str("DJANGO_DEBUG", default="") else True
