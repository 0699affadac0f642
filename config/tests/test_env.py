from config.env import database_url, strip_pooler_params


def test_supabase_pooler_params_are_stripped():
    url = "postgresql://u:p@pooler.example.com:6543/postgres?pgbouncer=true&connection_limit=10&sslmode=require"

    assert strip_pooler_params(url) == "postgresql://u:p@pooler.example.com:6543/postgres?sslmode=require"


def test_direct_url_wins_over_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@pooler:6543/db?pgbouncer=true")
    monkeypatch.setenv("DIRECT_URL", "postgresql://u:p@direct:5432/db")

    assert database_url() == "postgresql://u:p@direct:5432/db"


def test_database_url_alone_is_used_without_pooler_params(monkeypatch):
    monkeypatch.delenv("DIRECT_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@pooler:6543/db?pgbouncer=true&connection_limit=1")

    assert database_url() == "postgresql://u:p@pooler:6543/db"


def test_no_url_means_the_embedded_database(monkeypatch):
    monkeypatch.delenv("DIRECT_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert database_url() is None
