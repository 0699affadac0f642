"""A throwaway WordPress database on the real MariaDB for each test, dropped afterwards."""

import secrets
from urllib.parse import urlsplit

import pymysql
import pytest

from integrations.wordpress.connection import WordPressSource
from integrations.wordpress.tests.builders import WordPressSite
from integrations.wordpress.tests.schema import ALL_TABLES


@pytest.fixture
def mysql_server(mysql_url) -> dict:
    parts = urlsplit(mysql_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }


@pytest.fixture
def make_site(mysql_server):
    """Build a database named wp_test_<random hex> holding every table of schema.py under a prefix."""
    created: list[tuple[pymysql.connections.Connection, str]] = []

    def build(prefix: str = "wp_", tables=tuple(ALL_TABLES)) -> WordPressSite:
        name = f"wp_test_{secrets.token_hex(6)}"
        admin = pymysql.connect(**mysql_server, charset="utf8mb4", autocommit=True)
        created.append((admin, name))
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci")
            cursor.execute(f"USE `{name}`")
            for ddl in tables:
                cursor.execute(ddl.replace("{p}", prefix))
        source = WordPressSource(
            host=mysql_server["host"],
            port=mysql_server["port"],
            user=mysql_server["user"],
            password=mysql_server["password"],
            database=name,
            table_prefix=prefix,
        )
        return WordPressSite(source=source, admin=admin, prefix=prefix)

    yield build
    for admin, name in created:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def site(make_site) -> WordPressSite:
    return make_site("wp_")
