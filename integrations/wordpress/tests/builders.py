"""Insert real-style rows the way WordPress, Form Vibes, WooCommerce and CartFlows write them."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import phpserialize
import pymysql

from integrations.wordpress.connection import WordPressSource


@dataclass
class WordPressSite:
    source: WordPressSource
    admin: pymysql.connections.Connection  # root connection used to build the fixture data
    prefix: str

    def execute(self, sql: str, params=()) -> int:
        with self.admin.cursor() as cursor:
            cursor.execute(sql.replace("{p}", self.prefix), params)
            return cursor.lastrowid

    def execute_many(self, sql: str, rows) -> None:
        with self.admin.cursor() as cursor:
            cursor.executemany(sql.replace("{p}", self.prefix), rows)


def add_product(site: WordPressSite, product_id: int, title: str, post_type: str = "product") -> None:
    site.execute(
        "INSERT INTO {p}posts (ID, post_title, post_type, post_status, post_content, post_excerpt, to_ping, pinged,"
        " post_content_filtered) VALUES (%s, %s, %s, 'publish', '', '', '', '', '')",
        (product_id, title, post_type),
    )


def add_form_entry(
    site: WordPressSite, fields: dict[str, str], captured_gmt: str, captured: str, form_id: str = "1267"
) -> int:
    """An entry as Form Vibes' base.php writes it: one fv_enteries row, one meta row per field."""
    entry_id = site.execute(
        "INSERT INTO {p}fv_enteries (form_plugin, form_id, captured, captured_gmt, url) VALUES (%s, %s, %s, %s, %s)",
        ("wp-forms", form_id, captured, captured_gmt, "https://loja.example.com/cadastro/"),
    )
    site.execute_many(
        "INSERT INTO {p}fv_entry_meta (data_id, meta_key, meta_value) VALUES (%s, %s, %s)",
        [(str(entry_id), key, value) for key, value in fields.items()],
    )
    return entry_id


def add_order_items(site: WordPressSite, order_id: int, items) -> None:
    """Line items (name, product_id, variation_id, qty, line_total) plus a shipping line that must be ignored."""
    for name, product_id, variation_id, qty, line_total in items:
        item_id = site.execute(
            "INSERT INTO {p}woocommerce_order_items (order_item_name, order_item_type, order_id)"
            " VALUES (%s, 'line_item', %s)",
            (name, order_id),
        )
        meta = {
            "_product_id": str(product_id),
            "_variation_id": str(variation_id),
            "_qty": str(qty),
            "_tax_class": "",
            "_line_subtotal": line_total,
            "_line_subtotal_tax": "0",
            "_line_total": line_total,
            "_line_tax": "0",
            "_line_tax_data": 'a:2:{s:5:"total";a:0:{}s:8:"subtotal";a:0:{}}',
        }
        site.execute_many(
            "INSERT INTO {p}woocommerce_order_itemmeta (order_item_id, meta_key, meta_value) VALUES (%s, %s, %s)",
            [(item_id, key, value) for key, value in meta.items()],
        )
    site.execute(
        "INSERT INTO {p}woocommerce_order_items (order_item_name, order_item_type, order_id)"
        " VALUES ('Entrega', 'shipping', %s)",
        (order_id,),
    )


def add_classic_order(site: WordPressSite, order: dict) -> None:
    """A shop_order post + postmeta as the CPT data store writes it (dates: local text and UTC timestamps)."""
    site.execute(
        "INSERT INTO {p}posts (ID, post_date, post_date_gmt, post_title, post_status, post_type, post_content,"
        " post_excerpt, to_ping, pinged, post_content_filtered) VALUES (%s, %s, %s, %s, %s, 'shop_order',"
        " '', '', '', '', '')",
        (order["id"], order["created_local"], order["created_gmt"], f"Order &ndash; {order['id']}", order["status"]),
    )
    meta = {
        "_order_key": f"wc_order_{order['id']}abc",
        "_customer_user": str(order["user_id"]),
        "_order_currency": "BRL",
        "_billing_first_name": order["first_name"],
        "_billing_last_name": order["last_name"],
        "_billing_email": order["email"],
        "_billing_phone": order["phone"],
        "_order_total": order["total"],
        "_payment_method": "pix",
    }
    if order.get("paid_gmt"):
        paid = datetime.fromisoformat(order["paid_gmt"]).replace(tzinfo=UTC)
        meta["_date_paid"] = str(int(paid.timestamp()))
        meta["_paid_date"] = order["paid_local"]
    if order.get("completed_gmt"):
        completed = datetime.fromisoformat(order["completed_gmt"]).replace(tzinfo=UTC)
        meta["_date_completed"] = str(int(completed.timestamp()))
        meta["_completed_date"] = order["completed_local"]
    site.execute_many(
        "INSERT INTO {p}postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)",
        [(order["id"], key, value) for key, value in meta.items()],
    )
    add_order_items(site, order["id"], order["items"])


def add_hpos_order(site: WordPressSite, order: dict, with_items: bool = True) -> None:
    """The same order in the HPOS tables (a placeholder post keeps the id, as WooCommerce does)."""
    site.execute(
        "INSERT INTO {p}wc_orders (id, status, currency, type, tax_amount, total_amount, customer_id, billing_email,"
        " date_created_gmt, date_updated_gmt, payment_method) VALUES (%s, %s, 'BRL', 'shop_order', 0, %s, %s, %s,"
        " %s, %s, 'pix')",
        (
            order["id"],
            order["status"],
            Decimal(order["total"]),
            order["user_id"],
            order["email"],
            order["created_gmt"],
            order["created_gmt"],
        ),
    )
    site.execute(
        "INSERT INTO {p}wc_order_addresses (order_id, address_type, first_name, last_name, email, phone, country)"
        " VALUES (%s, 'billing', %s, %s, %s, %s, 'BR')",
        (order["id"], order["first_name"], order["last_name"], order["email"], order["phone"]),
    )
    site.execute(
        "INSERT INTO {p}wc_order_operational_data (order_id, created_via, order_key, date_paid_gmt,"
        " date_completed_gmt) VALUES (%s, 'checkout', %s, %s, %s)",
        (order["id"], f"wc_order_{order['id']}abc", order.get("paid_gmt"), order.get("completed_gmt")),
    )
    if with_items:
        add_order_items(site, order["id"], order["items"])


def set_option(site: WordPressSite, name: str, value: str) -> None:
    site.execute("INSERT INTO {p}options (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", (name, value))


def product_object(class_name: str, product_id: int) -> phpserialize.phpobject:
    """A WC_Product as WC_Data::__sleep() serializes it: only the protected id."""
    return phpserialize.phpobject(class_name.encode(), {b"\0*\0id": product_id})


def cart_contents(items) -> bytes:
    """``WC()->cart->get_cart()`` serialized: items (product_id, variation_id, variation, qty, line_total, class)."""
    cart = {}
    for product_id, variation_id, variation, quantity, line_total, class_name in items:
        key = hashlib.md5(f"{product_id}-{variation_id}".encode()).hexdigest()  # noqa: S324 - WooCommerce's cart key
        cart[key] = {
            "key": key,
            "product_id": product_id,
            "variation_id": variation_id,
            "variation": variation,
            "quantity": quantity,
            "data_hash": hashlib.md5(key.encode()).hexdigest(),  # noqa: S324
            "line_tax_data": {"subtotal": {}, "total": {}},
            "line_subtotal": line_total,
            "line_subtotal_tax": 0,
            "line_total": line_total,
            "line_tax": 0,
            "data": product_object(class_name, variation_id or product_id),
        }
    return phpserialize.dumps(cart)


def other_fields(first_name: str, last_name: str, phone: str, city: str = "São Paulo") -> bytes:
    """CartFlows' other_fields array, built like prepare_abandonment_data()."""
    fields = {
        "wcf_billing_company": "",
        "wcf_billing_address_1": "Rua das Acácias, 45",
        "wcf_billing_address_2": "",
        "wcf_billing_state": "SP",
        "wcf_billing_postcode": "01001-000",
        "wcf_shipping_first_name": "",
        "wcf_shipping_last_name": "",
        "wcf_shipping_company": "",
        "wcf_shipping_country": "",
        "wcf_shipping_address_1": "",
        "wcf_shipping_address_2": "",
        "wcf_shipping_city": "",
        "wcf_shipping_state": "",
        "wcf_shipping_postcode": "",
        "wcf_order_comments": "",
        "wcf_first_name": first_name,
        "wcf_last_name": last_name,
        "wcf_phone_number": phone,
        "wcf_location": f"BR, {city}",
    }
    return phpserialize.dumps(fields)


def add_cart(
    site: WordPressSite,
    *,
    session_id: str,
    time_local: str,
    contents: bytes | str,
    fields: bytes | str,
    total: str,
    email: str = "cliente@example.com",
    status: str = "abandoned",
    coupon: str | None = None,
    table: str = "cartflows_ca_cart_abandonment",
    phone: str | None = None,
) -> int:
    if phone is None:
        return site.execute(
            f"INSERT INTO {{p}}{table} (checkout_id, email, cart_contents, cart_total, session_id, other_fields,"
            " order_status, coupon_code, time) VALUES (42, %s, %s, %s, %s, %s, %s, %s, %s)",
            (email, contents, total, session_id, fields, status, coupon, time_local),
        )
    return site.execute(
        f"INSERT INTO {{p}}{table} (checkout_id, email, phone, cart_contents, cart_total, session_id, other_fields,"
        " order_status, coupon_code, time) VALUES (42, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (email, phone, contents, total, session_id, fields, status, coupon, time_local),
    )


def add_shoe_store_products(site: WordPressSite) -> None:
    """The products the sample carts and orders refer to (names with accents)."""
    add_product(site, 30, "Tênis Côrrida")
    add_product(site, 31, "Tênis Côrrida - 38", post_type="product_variation")
    add_product(site, 16, "Chinelo Básico")


def add_two_item_cart(
    site: WordPressSite,
    session_id: str,
    *,
    typed_phone: str = "(55) 99123-4567",
    time_local: str = "2024-03-10 22:30:00",
    **kwargs,
) -> int:
    """A CartFlows row of João Conceição (Santa Maria): a shoe variation (size, colour) and 2 slippers, R$ 359.70.

    `typed_phone` goes into other_fields; `phone=` (in kwargs) into a fork's phone column.
    """
    contents = cart_contents(
        [
            (
                30,
                31,
                {"attribute_pa_tamanho": "38", "attribute_pa_cor": "Azul-marinho"},
                1,
                299.9,
                "WC_Product_Variation",
            ),
            (16, 0, {}, 2, 59.8, "WC_Product_Simple"),
        ]
    )
    fields = other_fields("João", "Conceição", typed_phone, city="Santa Maria")
    return add_cart(
        site, session_id=session_id, time_local=time_local, contents=contents, fields=fields, total="359.70", **kwargs
    )


class RecordingConnection:
    """Wraps a PyMySQL connection and records (sql, rows returned) of every fetchall/fetchmany, and every
    statement executed, to check batching."""

    def __init__(self, conn):
        self._conn = conn
        self.fetches: list[tuple[str, int]] = []
        self.executed: list[str] = []

    def cursor(self, *args):
        return _RecordingCursor(self._conn.cursor(*args), self.fetches, self.executed)


class _RecordingCursor:
    def __init__(self, cursor, fetches, executed):
        self._cursor, self._fetches, self._executed, self._sql = cursor, fetches, executed, ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._cursor.close()

    def close(self):
        self._cursor.close()

    def execute(self, sql, params=None):
        self._sql = sql
        self._executed.append(sql)
        return self._cursor.execute(sql, params)

    def fetchmany(self, size):
        rows = self._cursor.fetchmany(size)
        if rows:
            self._fetches.append((self._sql, len(rows)))
        return rows

    def fetchall(self):
        rows = self._cursor.fetchall()
        self._fetches.append((self._sql, len(rows)))
        return rows
