"""Abandoned carts of CartFlows "Cart Abandonment Recovery" (``<prefix>cartflows_ca_cart_abandonment``).

``cart_contents`` and ``other_fields`` are PHP-serialized; the phone is typed free text in
``other_fields['wcf_phone_number']`` (forks may add a ``phone`` column, hence `phone_column`);
``time`` is the site's LOCAL time. Product names are not in the cart (WC_Product serializes only
its id) and are looked up in ``<prefix>posts``. See research/real-schemas.md §1.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from integrations.wordpress.phpdata import CartLine, PHPDataError, parse_cart_contents, parse_string_map
from integrations.wordpress.sql import (
    DEFAULT_BATCH_SIZE,
    as_local_text,
    check_range,
    existing_tables,
    fetch_all,
    fetch_value,
    keyset_batches,
    local_to_utc,
    placeholders,
    quoted_table,
    site_zone,
    validate_identifier,
    validate_table_prefix,
)
from integrations.wordpress.values import clean_text, full_name, positive_int, to_decimal

DEFAULT_CART_TABLE = "cartflows_ca_cart_abandonment"
CART_STATUSES = ("normal", "abandoned", "completed", "lost")


@dataclass(frozen=True)
class WooCartItem:
    product_id: int | None
    variation_id: int | None
    name: str | None  # post_title of the product; None when the product no longer exists
    quantity: int
    line_total: Decimal
    variation: dict[str, str]


@dataclass(frozen=True)
class WooAbandonedCart:
    external_id: str  # session_id (unique per cart), or the row id when empty
    row_id: int
    email: str | None
    phone_raw: str | None  # as typed; normalise with customers.phones
    name: str | None
    created_at_utc: datetime | None
    status: str  # normal | abandoned | completed | lost
    total: Decimal
    items: tuple[WooCartItem, ...]
    coupon: str | None
    checkout_id: int | None
    # What could not be read even leniently ("cart_contents: not valid PHP serialization (...)"): the
    # cart still comes from its columns (e-mail, total, time), without those fields.
    damaged: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadFailure:
    """A row that could not be read (e.g. corrupt serialization); the import records it and goes on."""

    external_id: str
    reason: str


def read_abandoned_carts(
    conn,
    prefix: str,
    start: datetime,
    end: datetime,
    *,
    site_timezone: str = "America/Sao_Paulo",
    table: str = DEFAULT_CART_TABLE,
    phone_column: str | None = None,
    statuses: Sequence[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[WooAbandonedCart | ReadFailure]:
    """Cart rows whose local ``time`` falls in [start, end) (aware datetimes), oldest id first.

    `site_timezone` is the WordPress site's zone: it turns the range into local time for the query
    and each row's ``time`` into aware UTC. `table` is the name without prefix; `phone_column`, when
    given, wins over ``other_fields`` if not empty. Serialized data is read leniently; what still cannot
    be read is left out and named in the cart's `damaged`, the rest of the row is read from its columns. Streams `batch_size` rows at a time, with one
    product-name query per batch.
    """
    check_range(start, end)
    zone = site_zone(site_timezone)
    carts = quoted_table(prefix, table)
    phone_select = f", `{validate_identifier(phone_column)}` AS phone_value" if phone_column else ""
    where, params = _cart_filter(start, end, zone, statuses)
    sql = (
        "SELECT id, checkout_id, email, cart_total, session_id, order_status, coupon_code, `time`, "
        "CAST(cart_contents AS BINARY) AS cart_contents, CAST(other_fields AS BINARY) AS other_fields"
        f"{phone_select} FROM {carts} WHERE {where} AND id > %s ORDER BY id LIMIT %s"
    )
    posts_exist = f"{validate_table_prefix(prefix)}posts" in existing_tables(conn, [f"{prefix}posts"])
    for rows in keyset_batches(conn, sql, params, batch_size=batch_size, action="read abandoned carts"):
        parsed = [_parse_row(row, zone) for row in rows]
        product_ids = {
            line.product_id for cart in parsed if isinstance(cart, tuple) for line in cart[1] if line.product_id
        }
        names = _product_names(conn, prefix, product_ids) if posts_exist and product_ids else {}
        for result in parsed:
            if isinstance(result, ReadFailure):
                yield result
                continue
            fields, lines = result
            yield WooAbandonedCart(**fields, items=tuple(_item(line, names) for line in lines))


def count_abandoned_carts(
    conn,
    prefix: str,
    start: datetime,
    end: datetime,
    *,
    site_timezone: str = "America/Sao_Paulo",
    table: str = DEFAULT_CART_TABLE,
    statuses: Sequence[str] | None = None,
) -> int:
    """How many rows `read_abandoned_carts` would yield for the same arguments (for progress bars)."""
    check_range(start, end)
    where, params = _cart_filter(start, end, site_zone(site_timezone), statuses)
    sql = f"SELECT COUNT(*) AS n FROM {quoted_table(prefix, table)} WHERE {where}"
    return int(fetch_value(conn, sql, params, action="count abandoned carts") or 0)


def _cart_filter(start, end, zone, statuses) -> tuple[str, list]:
    where, params = "`time` >= %s AND `time` < %s", [as_local_text(start, zone), as_local_text(end, zone)]
    if statuses:
        unknown = set(statuses) - set(CART_STATUSES)
        if unknown:
            raise ValueError(f"unknown cart statuses: {sorted(unknown)}")
        where += f" AND order_status IN ({placeholders(len(statuses))})"
        params += list(statuses)
    return where, params


def _parse_row(row: dict, zone) -> tuple[dict, tuple[CartLine, ...]] | ReadFailure:
    external_id = clean_text(row["session_id"]) or str(row["id"])
    damaged = []
    try:
        lines = parse_cart_contents(row["cart_contents"])
    except PHPDataError as exc:
        lines = ()
        damaged.append(f"cart_contents: {exc}")
    try:
        other = parse_string_map(row["other_fields"], "other_fields")
    except PHPDataError as exc:
        other = {}
        damaged.append(f"other_fields: {exc}")
    fields = {
        "damaged": tuple(damaged),
        "external_id": external_id,
        "row_id": int(row["id"]),
        "email": clean_text(row["email"]),
        "phone_raw": clean_text(row.get("phone_value")) or clean_text(other.get("wcf_phone_number")),
        "name": full_name(other.get("wcf_first_name"), other.get("wcf_last_name")),
        "created_at_utc": local_to_utc(row["time"], zone),
        "status": row["order_status"],
        "total": to_decimal(row["cart_total"]),
        "coupon": clean_text(row["coupon_code"]),
        "checkout_id": positive_int(row["checkout_id"]),
    }
    return fields, lines


def _product_names(conn, prefix: str, product_ids: set[int]) -> dict[int, str]:
    ids = sorted(product_ids)
    rows = fetch_all(
        conn,
        f"SELECT ID AS id, post_title FROM {quoted_table(prefix, 'posts')} WHERE ID IN ({placeholders(len(ids))})",
        ids,
        action="read product names",
    )
    return {row["id"]: row["post_title"] for row in rows}


def _item(line: CartLine, names: dict[int, str]) -> WooCartItem:
    return WooCartItem(
        product_id=line.product_id,
        variation_id=line.variation_id,
        name=names.get(line.product_id) if line.product_id else None,
        quantity=line.quantity,
        line_total=line.line_total,
        variation=line.variation,
    )
