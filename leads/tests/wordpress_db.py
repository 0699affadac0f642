"""Builds a throwaway WordPress database in MariaDB with the real plugin tables, for import tests."""

import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

import pymysql

FORM_VIBES_DDL = (
    """CREATE TABLE {p}fv_enteries (
      `id` int(11) UNIQUE KEY AUTO_INCREMENT NOT NULL,
      `form_plugin` varchar(50) NOT NULL,
      `form_id` varchar(100) NOT NULL,
      `captured` varchar(50) NOT NULL,
      `captured_gmt` varchar(50) NOT NULL,
      `url` text NULL,
      `user_agent` text NULL,
      `fv_status` varchar(100) NOT NULL DEFAULT 'undefined'
    ) COLLATE utf8mb4_unicode_ci""",
    """CREATE TABLE {p}fv_entry_meta (
      `id` int(11) UNIQUE KEY AUTO_INCREMENT NOT NULL,
      `data_id` varchar(50) NOT NULL,
      `meta_key` varchar(100) NOT NULL,
      `meta_value` text NOT NULL
    ) COLLATE utf8mb4_unicode_ci""",
)


@contextmanager
def wordpress_database(mysql_url: str, prefix: str = "cli_"):
    """Yields (connection kwargs, database name, open connection); drops the database afterwards."""
    parts = urlsplit(mysql_url)
    kwargs = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "charset": "utf8mb4",
        "autocommit": True,
    }
    name = f"wp_test_{uuid.uuid4().hex[:12]}"
    admin = pymysql.connect(**kwargs)
    admin.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn = pymysql.connect(database=name, **kwargs)
    try:
        for ddl in FORM_VIBES_DDL:
            conn.cursor().execute(ddl.format(p=prefix))
        yield kwargs, name, conn
    finally:
        conn.close()
        admin.cursor().execute(f"DROP DATABASE `{name}`")
        admin.close()


def insert_form_entry(conn, prefix: str, *, captured_gmt: str, captured: str, fields: dict, form_id: str = "12") -> int:
    cursor = conn.cursor()
    cursor.execute(
        f"INSERT INTO {prefix}fv_enteries (form_plugin, form_id, captured, captured_gmt, url) "
        "VALUES ('wp-forms', %s, %s, %s, 'https://loja.example/contato')",
        [form_id, captured, captured_gmt],
    )
    entry_id = cursor.lastrowid
    for key, value in fields.items():
        cursor.execute(
            f"INSERT INTO {prefix}fv_entry_meta (data_id, meta_key, meta_value) VALUES (%s, %s, %s)",
            [str(entry_id), key, value],
        )
    return entry_id
