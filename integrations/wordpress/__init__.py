"""Read a store's WordPress/WooCommerce MySQL database: leads, orders and abandoned carts as plain data.

Public API (everything returns frozen dataclasses; nothing here imports a Django model):

Connection (``connection.py``)
    ``WordPressSource(host, database, user, password="", port=3306, table_prefix="wp_", ssh=None)``
    ``SSHTunnelConfig(host, user, port=22, password=None, private_key=None, private_key_passphrase=None,
        host_key=None)``
        Secrets are ``repr=False``; the prefix is validated (``^[A-Za-z0-9_]{0,32}$``) at construction.
    ``parse_host_key(text) -> paramiko.PKey`` reads the pinned SSH server key (one ssh-keyscan /
        known_hosts / .pub line; ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa) or raises ValueError.
        With ``host_key`` set a server showing another key raises ``HostKeyMismatch`` (a
        PermanentError) before any credential is sent.
    ``open_connection(source)`` → context manager yielding a read-only PyMySQL connection, through an
        SSH tunnel when ``source.ssh`` is set. Raises RetryableError / PermanentError;
        DestinationNotAllowed (a PermanentError) when the database host (or the SSH gateway) resolves
        to a private or local address the operator does not allow; connects to the address it checked.
    ``test_connection(source, required_tables=()) -> ConnectionCheck(ok, stage, message, missing_tables)``
        never raises for connection problems; ``stage`` is one of ok, blocked, dns, refused, timeout, network,
        auth, database, tables, ssh_dns, ssh_refused, ssh_timeout, ssh_host_key, ssh_auth, ssh; through
        SSH the message says whether the server key matched the pin or was not pinned (with the key
        seen), also in ``host_key_seen`` / ``host_key_pinned``.
    ``tables_for_import(kinds, cart_table=DEFAULT_CART_TABLE)`` → table names (without prefix) that
        must exist for the given import kinds ("leads", "orders", "carts").
    ``find_missing_tables(conn, source, names)`` → the full names among them that do not exist;
        ``missing_tables_check(missing)`` → the failed ConnectionCheck saying so.
    ``describe_failure(source, error)`` → the ConnectionCheck for an error `open_connection` raised
        (same stages and words as test_connection, without connecting again).

Readers (take an open connection and the table prefix; ``start``/``end`` are aware datetimes, the
range is [start, end); rows are streamed in keyset batches of ``batch_size``; ``count_*`` give the
total for progress):
    ``read_form_leads(conn, prefix, field_map, start, end, *, form_ids, batch_size)``
        → ``FormLead``; ``count_form_leads(...)``; ``form_field_keys(conn, prefix)``;
        ``FormVibesFieldMap(name_key, phone_key, size_key, email_key)``.
    ``detect_order_storage(conn, prefix) -> "hpos" | "classic"``;
    ``read_orders(conn, prefix, start, end, *, storage=None, site_timezone, batch_size)`` → ``WooOrder``
        with ``WooOrderItem`` lines; ``count_orders(...)``.
    ``read_abandoned_carts(conn, prefix, start, end, *, site_timezone, table, phone_column, statuses,
        batch_size)`` → ``WooAbandonedCart`` (items ``WooCartItem``) or ``ReadFailure(external_id, reason)``;
        ``count_abandoned_carts(...)``.

Phones are returned as typed (``*_phone_raw``); normalise them with ``customers.phones.normalize_phone``.

Typical use::

    with open_connection(source) as conn:
        total = count_abandoned_carts(conn, source.table_prefix, start, end)
        for cart in read_abandoned_carts(conn, source.table_prefix, start, end, site_timezone=tz):
            ...
"""

from integrations.wordpress.carts import (
    CART_STATUSES,
    DEFAULT_CART_TABLE,
    ReadFailure,
    WooAbandonedCart,
    WooCartItem,
    count_abandoned_carts,
    read_abandoned_carts,
)
from integrations.wordpress.connection import (
    ConnectionCheck,
    HostKeyMismatch,
    SSHTunnelConfig,
    WordPressSource,
    describe_failure,
    find_missing_tables,
    missing_tables_check,
    open_connection,
    parse_host_key,
    test_connection,
)
from integrations.wordpress.formvibes import (
    FORM_VIBES_TABLES,
    FormLead,
    FormVibesFieldMap,
    count_form_leads,
    form_field_keys,
    read_form_leads,
)
from integrations.wordpress.orders import (
    CLASSIC,
    CLASSIC_ORDER_TABLES,
    HPOS,
    WooOrder,
    WooOrderItem,
    count_orders,
    detect_order_storage,
    read_orders,
)
from integrations.wordpress.sql import validate_table_prefix

IMPORT_KINDS = ("leads", "orders", "carts")


def tables_for_import(kinds, cart_table: str = DEFAULT_CART_TABLE) -> tuple[str, ...]:
    """Table names (without prefix) an import of `kinds` needs; HPOS tables are optional (detected)."""
    unknown = set(kinds) - set(IMPORT_KINDS)
    if unknown:
        raise ValueError(f"unknown import kinds: {sorted(unknown)}")
    tables: list[str] = []
    if "leads" in kinds:
        tables += FORM_VIBES_TABLES
    if "orders" in kinds:
        tables += CLASSIC_ORDER_TABLES
    if "carts" in kinds:
        tables.append(cart_table)
    return tuple(dict.fromkeys(tables))


__all__ = [
    "CART_STATUSES",
    "CLASSIC",
    "DEFAULT_CART_TABLE",
    "HPOS",
    "IMPORT_KINDS",
    "ConnectionCheck",
    "FormLead",
    "FormVibesFieldMap",
    "HostKeyMismatch",
    "ReadFailure",
    "SSHTunnelConfig",
    "WooAbandonedCart",
    "WooCartItem",
    "WooOrder",
    "WooOrderItem",
    "WordPressSource",
    "count_abandoned_carts",
    "count_form_leads",
    "count_orders",
    "describe_failure",
    "detect_order_storage",
    "find_missing_tables",
    "form_field_keys",
    "missing_tables_check",
    "open_connection",
    "parse_host_key",
    "read_abandoned_carts",
    "read_form_leads",
    "read_orders",
    "tables_for_import",
    "test_connection",
    "validate_table_prefix",
]
