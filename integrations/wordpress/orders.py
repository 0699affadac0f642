"""WooCommerce orders from either storage: classic (posts + postmeta) or HPOS (wc_orders tables).

Both storages share ``woocommerce_order_items`` / ``woocommerce_order_itemmeta`` for line items.
Statuses are returned without the ``wc-`` prefix; dates are aware UTC. See research/real-schemas.md §3.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from integrations.wordpress.sql import (
    DEFAULT_BATCH_SIZE,
    as_utc_text,
    check_range,
    existing_tables,
    fetch_all,
    fetch_value,
    keyset_batches,
    local_to_utc,
    placeholders,
    quoted_table,
    site_zone,
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


@dataclass(frozen=True)
class WooOrderItem:
    product_id: int | None
    variation_id: int | None
    name: str
    quantity: int
    total: Decimal  # line total after discounts, before tax


@dataclass(frozen=True)
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

    `storage` is detected when None. Streams `batch_size` orders at a time: one query for the
    orders, one for their meta (classic) and one for all their items. `site_timezone` only
    interprets legacy local dates (``_paid_date``) when no UTC value exists.
    """
    check_range(start, end)
    zone = site_zone(site_timezone)
    storage = storage or detect_order_storage(conn, prefix)
    if storage == HPOS:
        batches = _hpos_batches(conn, prefix, start, end, batch_size)
    elif storage == CLASSIC:
        batches = _classic_batches(conn, prefix, start, end, batch_size, zone)
    else:
        raise ValueError(f"unknown order storage {storage!r}")
    for partial_orders in batches:
        items = _items_by_order(conn, prefix, [order["id"] for order in partial_orders])
        for order in partial_orders:
            yield WooOrder(
                **{key: value for key, value in order.items() if key != "id"}, items=items.get(order["id"], ())
            )


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


def _classic_batches(conn, prefix, start, end, batch_size, zone) -> Iterator[list[dict]]:
    posts, postmeta = quoted_table(prefix, "posts"), quoted_table(prefix, "postmeta")
    sql = (
        f"SELECT p.ID AS id, p.post_status, p.post_date, p.post_date_gmt FROM {posts} p "
        "WHERE p.post_type = %s AND p.post_date_gmt >= %s AND p.post_date_gmt < %s AND p.ID > %s ORDER BY p.ID LIMIT %s"
    )
    params = (ORDER_TYPE, as_utc_text(start), as_utc_text(end))
    for rows in keyset_batches(conn, sql, params, batch_size=batch_size, action="read orders"):
        ids = [row["id"] for row in rows]
        # One row per order (meta pivoted in SQL): a tenth of the rows to transfer and decode.
        meta_rows = fetch_all(
            conn,
            f"SELECT post_id, {_pivot('meta_key', 'meta_value', ORDER_META_KEYS)} FROM {postmeta} "
            f"WHERE post_id IN ({placeholders(len(ids))}) AND meta_key IN ({placeholders(len(ORDER_META_KEYS))}) "
            "GROUP BY post_id",
            (*ORDER_META_KEYS, *ids, *ORDER_META_KEYS),
            action="read order meta",
        )
        meta: dict[int, dict[str, str]] = {order_id: {} for order_id in ids}
        for meta_row in meta_rows:
            meta[meta_row["post_id"]] = _unpivot(meta_row, ORDER_META_KEYS)
        yield [_classic_order(row, meta[row["id"]], zone) for row in rows]


def _pivot(key_column: str, value_column: str, keys: tuple[str, ...]) -> str:
    """Select list turning meta rows into one column per key (``m0``, ``m1``...); the keys are parameters."""
    return ", ".join(
        f"MAX(CASE WHEN {key_column} = %s THEN {value_column} END) AS m{index}" for index in range(len(keys))
    )


def _unpivot(row: dict, keys: tuple[str, ...]) -> dict[str, str]:
    return {key: row[f"m{index}"] for index, key in enumerate(keys) if row[f"m{index}"] is not None}


def _classic_order(row: dict, meta: dict[str, str], zone) -> dict:
    return {
        "id": row["id"],
        "external_id": str(row["id"]),
        "status": _status(row["post_status"]),
        "created_at": utc_to_aware(row["post_date_gmt"]) or local_to_utc(row["post_date"], zone),
        "paid_at": _timestamp(meta.get("_date_paid")) or local_to_utc(meta.get("_paid_date"), zone),
        "completed_at": _timestamp(meta.get("_date_completed")) or local_to_utc(meta.get("_completed_date"), zone),
        "total": to_decimal(meta.get("_order_total")),
        "currency": meta.get("_order_currency") or "",
        "billing_name": full_name(meta.get("_billing_first_name"), meta.get("_billing_last_name")),
        "billing_email": clean_text(meta.get("_billing_email")),
        "billing_phone_raw": clean_text(meta.get("_billing_phone")),
        "customer_user_id": positive_int(meta.get("_customer_user")),
    }


def _hpos_batches(conn, prefix, start, end, batch_size) -> Iterator[list[dict]]:
    orders = quoted_table(prefix, "wc_orders")
    addresses = quoted_table(prefix, "wc_order_addresses")
    operational = quoted_table(prefix, "wc_order_operational_data")
    sql = (
        "SELECT o.id, o.status, o.currency, o.total_amount, o.customer_id, o.billing_email, o.date_created_gmt, "
        "a.first_name, a.last_name, a.email AS address_email, a.phone, d.date_paid_gmt, d.date_completed_gmt "
        f"FROM {orders} o "
        f"LEFT JOIN {addresses} a ON a.order_id = o.id AND a.address_type = 'billing' "
        f"LEFT JOIN {operational} d ON d.order_id = o.id "
        "WHERE o.type = %s AND o.date_created_gmt >= %s AND o.date_created_gmt < %s AND o.id > %s "
        "ORDER BY o.id LIMIT %s"
    )
    params = (ORDER_TYPE, as_utc_text(start), as_utc_text(end))
    for rows in keyset_batches(conn, sql, params, batch_size=batch_size, action="read HPOS orders"):
        yield [
            {
                "id": row["id"],
                "external_id": str(row["id"]),
                "status": _status(row["status"]),
                "created_at": utc_to_aware(row["date_created_gmt"]),
                "paid_at": utc_to_aware(row["date_paid_gmt"]),
                "completed_at": utc_to_aware(row["date_completed_gmt"]),
                "total": to_decimal(row["total_amount"]),
                "currency": row["currency"] or "",
                "billing_name": full_name(row["first_name"], row["last_name"]),
                "billing_email": clean_text(row["billing_email"]) or clean_text(row["address_email"]),
                "billing_phone_raw": clean_text(row["phone"]),
                "customer_user_id": positive_int(row["customer_id"]),
            }
            for row in rows
        ]


def _items_by_order(conn, prefix: str, order_ids: list[int]) -> dict[int, tuple[WooOrderItem, ...]]:
    """Line items of many orders in one query (items LEFT JOIN the four meta keys we use, one row per item)."""
    items, itemmeta = quoted_table(prefix, ITEMS_TABLE), quoted_table(prefix, ITEMMETA_TABLE)
    rows = fetch_all(
        conn,
        "SELECT i.order_item_id, MAX(i.order_id) AS order_id, MAX(i.order_item_name) AS order_item_name, "
        f"{_pivot('m.meta_key', 'm.meta_value', ITEM_META_KEYS)} "
        f"FROM {items} i LEFT JOIN {itemmeta} m ON m.order_item_id = i.order_item_id "
        f"AND m.meta_key IN ({placeholders(len(ITEM_META_KEYS))}) "
        f"WHERE i.order_id IN ({placeholders(len(order_ids))}) AND i.order_item_type = 'line_item' "
        "GROUP BY i.order_item_id ORDER BY i.order_item_id",
        (*ITEM_META_KEYS, *ITEM_META_KEYS, *order_ids),
        action="read order items",
    )
    collected: dict[int, dict[int, dict]] = {}
    for row in rows:
        item = {"name": row["order_item_name"], **_unpivot(row, ITEM_META_KEYS)}
        collected.setdefault(row["order_id"], {})[row["order_item_id"]] = item
    return {
        order_id: tuple(
            WooOrderItem(
                product_id=positive_int(item.get("_product_id")),
                variation_id=positive_int(item.get("_variation_id")),
                name=item["name"],
                quantity=int(to_decimal(item.get("_qty"))),
                total=to_decimal(item.get("_line_total")),
            )
            for item in by_item.values()
        )
        for order_id, by_item in collected.items()
    }


def _status(value: str | None) -> str:
    status = value or ""
    return status[3:] if status.startswith("wc-") else status


def _timestamp(value: object) -> datetime | None:
    seconds = positive_int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None
