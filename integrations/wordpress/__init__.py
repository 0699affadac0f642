"""Read a store's WordPress/WooCommerce MySQL database: leads, orders and abandoned carts as plain data.

Everything returns frozen dataclasses; nothing here imports a Django model. ``connection`` reaches
the database (directly or through an SSH tunnel with a pinned host key) and says plainly what
failed; the readers are ``formvibes`` (form leads), ``orders`` (WooCommerce, classic or HPOS
storage) and ``carts`` (CartFlows abandoned carts); ``sql``, ``values`` and ``phpdata`` are their
building blocks.

Readers take an open connection and the table prefix; ``start``/``end`` are aware datetimes and the
range is [start, end); rows are streamed in keyset batches of ``batch_size``, and each ``count_*``
gives the total for progress.

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
