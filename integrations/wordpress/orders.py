"""WooCommerce orders from either storage: classic (posts + postmeta) or HPOS (wc_orders tables).

Both storages share ``woocommerce_order_items`` / ``woocommerce_order_itemmeta`` for line items.
Statuses are returned without the ``wc-`` prefix; dates are aware UTC. See research/real-schemas.md §3.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache, partial

from integrations.wordpress.sql import (
    DEFAULT_BATCH_SIZE,
    as_utc_text,
    check_range,
    existing_tables,
    fetch_value,
    local_to_utc,
    placeholders,
    quoted_table,
    site_zone,
    stream_rows,
    utc_to_aware,
    validate_table_prefix,
)
from integrations.wordpress.values import clean_text, full_name, positive_int, to_decimal

CLASSIC = "classic"
HPOS = "hpos"
ORDER_TYPE = "shop_order"
ITEMS_TABLE = "woocommerce_order_items"
ITEMMETA_TABLE = "woocommerce_order_itemmeta"
CLASSIC_ORDER_TABLES = ("posts", "postmeta", ITEMS_TABLE, ITEMMETA_TABLE)
HPOS_ORDER_TABLES = ("wc_orders", "wc_order_addresses", "wc_order_operational_data", ITEMS_TABLE, ITEMMETA_TABLE)
HPOS_OPTION = "woocommerce_custom_orders_table_enabled"  # 'yes' when HPOS is the authoritative storage
ORDER_META_KEYS = (
    "_order_total",
    "_order_currency",
    "_billing_first_name",
    "_billing_last_name",
    "_billing_email",
    "_billing_phone",
    "_customer_user",
    "_date_paid",  # UTC unix timestamp (WooCommerce >= 3.0)
    "_date_completed",
    "_paid_date",  # site-local 'Y-m-d H:i:s' (older orders)
    "_completed_date",
)
ITEM_META_KEYS = ("_product_id", "_variation_id", "_qty", "_line_total")


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the cost of
# building one, and an import builds 300k of these per 100k orders. Nothing changes them once read.
@dataclass(slots=True)
class WooOrderItem:
    product_id: int | None
    variation_id: int | None
    name: str
    quantity: int
    total: Decimal  # line total after discounts, before tax


@dataclass(slots=True)
class WooOrder:
    external_id: str  # the WooCommerce order id
    status: str  # pending, processing, on-hold, completed, cancelled, refunded, failed, or a plugin's own
    created_at: datetime | None
    paid_at: datetime | None
    completed_at: datetime | None
    total: Decimal
    currency: str
    billing_name: str | None
    billing_email: str | None
    billing_phone_raw: str | None  # as typed at checkout; normalise with customers.phones
    customer_user_id: int | None  # WordPress user id; None for guests
    items: tuple[WooOrderItem, ...]


def detect_order_storage(conn, prefix: str) -> str:
    """``"hpos"`` or ``"classic"``: which storage holds the store's orders.

    The option ``woocommerce_custom_orders_table_enabled`` decides when present (with sync on,
    both storages hold rows and only the option says which one is authoritative); without it,
    HPOS is assumed when ``wc_orders`` exists and holds ``shop_order`` rows.
    """
    options, orders = f"{validate_table_prefix(prefix)}options", f"{prefix}wc_orders"
    present = existing_tables(conn, [options, orders])
    if orders not in present:
        return CLASSIC
    if options in present:
        sql = f"SELECT option_value FROM {quoted_table(prefix, 'options')} WHERE option_name = %s"
        enabled = fetch_value(conn, sql, (HPOS_OPTION,), action="read the HPOS option")
        if enabled in ("yes", "no"):
            return HPOS if enabled == "yes" else CLASSIC
    sql = f"SELECT 1 AS found FROM {quoted_table(prefix, 'wc_orders')} WHERE type = %s LIMIT 1"
    return HPOS if fetch_value(conn, sql, (ORDER_TYPE,), action="look for HPOS orders") else CLASSIC


def read_orders(
    conn,
    prefix: str,
    start: datetime,
    end: datetime,
    *,
    storage: str | None = None,
    site_timezone: str = "America/Sao_Paulo",
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[WooOrder]:
    """Orders (type shop_order, any status) created in [start, end), oldest id first, with their line items.

    `storage` is detected when None. One query, read with an unbuffered cursor `batch_size` rows at a
    time (see `stream_rows`: the connection serves nothing else until the iterator ends): one row per
    order (a tuple in select-list order), its meta in one text column (classic) and its line items with their meta gathered into
    one text column. `site_timezone` only interprets legacy local dates (``_paid_date``) when no UTC
    value exists.
    """
    check_range(start, end)
    zone = site_zone(site_timezone)
    storage = storage or detect_order_storage(conn, prefix)
    if storage == HPOS:
        sql, params, build = *_hpos_query(prefix, start, end), _hpos_order
    elif storage == CLASSIC:
        sql, params = _classic_query(prefix, start, end)
        build = partial(_classic_order, zone=zone)
    else:
        raise ValueError(f"unknown order storage {storage!r}")
    for rows in stream_rows(conn, sql, params, batch_size=batch_size, action="read orders", setup=GROUP_CONCAT_SETUP):
        for row in rows:
            yield WooOrder(**build(row), items=_items(row[-1]))


def count_orders(conn, prefix: str, start: datetime, end: datetime, *, storage: str | None = None) -> int:
    """How many orders `read_orders` would yield for the same range (for progress bars)."""
    check_range(start, end)
    storage = storage or detect_order_storage(conn, prefix)
    if storage == HPOS:
        table, date_column, type_column = quoted_table(prefix, "wc_orders"), "date_created_gmt", "type"
    else:
        table, date_column, type_column = quoted_table(prefix, "posts"), "post_date_gmt", "post_type"
    sql = f"SELECT COUNT(*) AS n FROM {table} WHERE {type_column} = %s AND {date_column} >= %s AND {date_column} < %s"
    params = (ORDER_TYPE, as_utc_text(start), as_utc_text(end))
    return int(fetch_value(conn, sql, params, action="count orders") or 0)


def _classic_query(prefix: str, start: datetime, end: datetime) -> tuple[str, tuple]:
    posts, postmeta = quoted_table(prefix, "posts"), quoted_table(prefix, "postmeta")
    # Driven by the posts' primary key with postmeta joined by post_id: grouped without a temporary
    # table, so rows stream as the server finds them. The meta travel as one text column (see UNIT).
    sql = (
        # Dates as text: parsed only when used (post_date only when post_date_gmt is zero), in C.
        f"SELECT p.ID AS id, p.post_status, CAST(p.post_date AS CHAR), CAST(p.post_date_gmt AS CHAR), "
        f"GROUP_CONCAT(CONCAT(m.meta_key, '{UNIT}', {_clean('m.meta_value')}) SEPARATOR '{RECORD}') AS meta, "
        f"{_items_column(prefix, 'p.ID')} "
        f"FROM {posts} p LEFT JOIN {postmeta} m ON m.post_id = p.ID "
        f"AND m.meta_key IN ({placeholders(len(ORDER_META_KEYS))}) "
        "WHERE p.post_type = %s AND p.post_date_gmt >= %s AND p.post_date_gmt < %s GROUP BY p.ID ORDER BY p.ID"
    )
    params = (*ITEM_META_KEYS, *ORDER_META_KEYS, ORDER_TYPE, as_utc_text(start), as_utc_text(end))
    return sql, params


def _meta(text: str | bytes | None) -> dict[str, str]:
    """The meta column of a classic order as {key: value} (a duplicated key: its largest value)."""
    found: dict[str, str] = {}
    for entry in _entries(text):
        key, _, value = entry.partition(UNIT)
        if key not in found or value > found[key]:
            found[key] = value
    return found


def _entries(text: str | bytes | None) -> list[str]:
    if not text:
        return []
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).split(RECORD)


def _classic_order(row: tuple, zone) -> dict:
    order_id, status, post_date, post_date_gmt, meta_text, _items_text = row
    meta = _meta(meta_text)
    return {
        "external_id": str(order_id),
        "status": _status(status),
        "created_at": utc_to_aware(post_date_gmt) or local_to_utc(post_date, zone),
        "paid_at": _timestamp(meta.get("_date_paid")) or local_to_utc(meta.get("_paid_date"), zone),
        "completed_at": _timestamp(meta.get("_date_completed")) or local_to_utc(meta.get("_completed_date"), zone),
        "total": _decimal(meta.get("_order_total")),
        "currency": meta.get("_order_currency") or "",
        "billing_name": full_name(meta.get("_billing_first_name"), meta.get("_billing_last_name")),
        "billing_email": clean_text(meta.get("_billing_email")),
        "billing_phone_raw": clean_text(meta.get("_billing_phone")),
        "customer_user_id": positive_int(meta.get("_customer_user")),
    }


def _hpos_query(prefix: str, start: datetime, end: datetime) -> tuple[str, tuple]:
    orders = quoted_table(prefix, "wc_orders")
    addresses = quoted_table(prefix, "wc_order_addresses")
    operational = quoted_table(prefix, "wc_order_operational_data")
    sql = (
        "SELECT o.id, o.status, o.currency, o.total_amount, o.customer_id, o.billing_email, o.date_created_gmt, "
        "a.first_name, a.last_name, a.email AS address_email, a.phone, d.date_paid_gmt, d.date_completed_gmt, "
        f"{_items_column(prefix, 'o.id')} "
        f"FROM {orders} o "
        f"LEFT JOIN {addresses} a ON a.order_id = o.id AND a.address_type = 'billing' "
        f"LEFT JOIN {operational} d ON d.order_id = o.id "
        "WHERE o.type = %s AND o.date_created_gmt >= %s AND o.date_created_gmt < %s ORDER BY o.id"
    )
    return sql, (*ITEM_META_KEYS, ORDER_TYPE, as_utc_text(start), as_utc_text(end))


def _hpos_order(row: tuple) -> dict:
    (order_id, status, currency, total, customer_id, email, created, first_name, last_name, address_email, phone,
     paid, completed, _items_text) = row  # fmt: skip
    return {
        "external_id": str(order_id),
        "status": _status(status),
        "created_at": utc_to_aware(created),
        "paid_at": utc_to_aware(paid),
        "completed_at": utc_to_aware(completed),
        "total": to_decimal(total),
        "currency": currency or "",
        "billing_name": full_name(first_name, last_name),
        "billing_email": clean_text(email) or clean_text(address_email),
        "billing_phone_raw": clean_text(phone),
        "customer_user_id": positive_int(customer_id),
    }


# An order's meta and line items travel in two text columns (fewer columns: PyMySQL decodes each one in
# Python): "key, value" per meta row, and "item id, name, key, value" per item and meta key, joined by
# UNIT, the entries joined by RECORD (ASCII unit/record separators; replaced by a space where a name or
# value holds one). Items come from one correlated subquery per order, no second query per batch.
UNIT, RECORD = "\x1f", "\x1e"
GROUP_CONCAT_SETUP = (
    "SET SESSION group_concat_max_len = 1073741824",  # the default (1 KiB on MySQL) would cut long orders
    "SET SESSION net_write_timeout = 600",  # the server waits on us between batches while we write them
)


def _clean(column: str) -> str:
    return f"REPLACE(REPLACE(IFNULL({column}, ''), '{UNIT}', ' '), '{RECORD}', ' ')"


def _items_column(prefix: str, order_id: str) -> str:
    items, itemmeta = quoted_table(prefix, ITEMS_TABLE), quoted_table(prefix, ITEMMETA_TABLE)
    return (
        f"(SELECT GROUP_CONCAT(CONCAT_WS('{UNIT}', i.order_item_id, {_clean('i.order_item_name')}, "
        f"{_clean('m.meta_key')}, {_clean('m.meta_value')}) SEPARATOR '{RECORD}') "
        f"FROM {items} i LEFT JOIN {itemmeta} m ON m.order_item_id = i.order_item_id "
        f"AND m.meta_key IN ({placeholders(len(ITEM_META_KEYS))}) "
        f"WHERE i.order_id = {order_id} AND i.order_item_type = 'line_item') AS items"
    )


def _items(text: str | bytes | None) -> tuple[WooOrderItem, ...]:
    """The line items of one order from its items column, in item id order (a duplicated meta key: its largest value).
    Sorted here rather than by the server (an ORDER BY in the GROUP_CONCAT sorts every order's rows there)."""
    by_item: dict[str, dict[str, str]] = {}
    for entry in _entries(text):
        parts = entry.split(UNIT, 3)
        if len(parts) != 4:
            continue  # cut short (a server limit on the column's length): the rest of the order still counts
        item_id, name, key, value = parts
        item = by_item.setdefault(item_id, {"name": name})
        if key and (key not in item or value > item[key]):
            item[key] = value
    return tuple(
        WooOrderItem(
            product_id=positive_int(item.get("_product_id")),
            variation_id=positive_int(item.get("_variation_id")),
            name=item["name"],
            quantity=int(_decimal(item.get("_qty"))),
            total=_decimal(item.get("_line_total")),
        )
        for _item_id, item in sorted(by_item.items(), key=_by_number)
    )


def _by_number(entry: tuple[str, dict]) -> int:
    return int(entry[0]) if entry[0].isdigit() else 0


# Meta values are text, and a store repeats its prices and quantities: each converted once (Decimal is immutable).
_decimal = lru_cache(maxsize=8192)(to_decimal)


def _status(value: str | None) -> str:
    status = value or ""
    return status[3:] if status.startswith("wc-") else status


def _timestamp(value: object) -> datetime | None:
    seconds = positive_int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None
