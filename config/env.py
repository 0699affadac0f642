"""One place that reads the environment (django-environ) and normalises database URLs."""

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# Supabase's pooler URLs carry parameters meant for Prisma, which libpq rejects.
POOLER_ONLY_PARAMS = frozenset({"pgbouncer", "connection_limit"})


def strip_pooler_params(url: str) -> str:
    """Drop `pgbouncer` and `connection_limit` from a database URL's query string."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in POOLER_ONLY_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def database_url() -> str | None:
    """`DIRECT_URL` wins over `DATABASE_URL`; either may be a Supabase pooler URL."""
    url = env.str("DIRECT_URL", default="") or env.str("DATABASE_URL", default="")
    return strip_pooler_params(url) if url else None
