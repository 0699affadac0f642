"""A throwaway WordPress/WooCommerce database in MariaDB (the real plugin DDL), wired as a company's source."""

import secrets
from contextlib import contextmanager
from urllib.parse import urlsplit

import pymysql

from integrations.wordpress.connection import WordPressSource
from integrations.wordpress.tests.builders import WordPressSite
from integrations.wordpress.tests.schema import ALL_TABLES
from tenants.services import company_setting_set


def server_of(mysql_url: str) -> dict:
    parts = urlsplit(mysql_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }


@contextmanager
def woo_site(mysql_url: str, prefix: str = "cli_", tables=tuple(ALL_TABLES)):
    """Yields a WordPressSite holding `tables`; drops its database afterwards."""
    server = server_of(mysql_url)
    name = f"wp_test_{secrets.token_hex(6)}"
    admin = pymysql.connect(**server, charset="utf8mb4", autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci")
            cursor.execute(f"USE `{name}`")
            for ddl in tables:
                cursor.execute(ddl.replace("{p}", prefix))
        source = WordPressSource(database=name, table_prefix=prefix, **server)
        yield WordPressSite(source=source, admin=admin, prefix=prefix)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def configure_source(company, source: WordPressSource, **extra) -> None:
    """Store the source as the company's settings, the way staff would in the admin."""
    settings = {
        "wp_db_host": ("string", source.host),
        "wp_db_port": ("number", source.port),
        "wp_db_name": ("string", source.database),
        "wp_db_user": ("string", source.user),
        "wp_table_prefix": ("string", source.table_prefix),
        **{key: ("string", value) for key, value in extra.items()},
    }
    if source.password:
        settings["wp_db_password"] = ("secret", source.password)
    for key, (value_type, value) in settings.items():
        company_setting_set(company=company, key=key, value=value, value_type=value_type)


def configure_ssh_tunnel(company, port: int, user: str = "deploy", password: str = "gateway-pass") -> None:
    """Reach the source through the SSH gateway on 127.0.0.1:`port` (tests/ssh_server.py), by password."""
    for key, value, value_type in (
        ("ssh_host", "127.0.0.1", "string"),
        ("ssh_port", port, "number"),
        ("ssh_user", user, "string"),
        ("ssh_password", password, "secret"),
    ):
        company_setting_set(company=company, key=key, value=value, value_type=value_type)
