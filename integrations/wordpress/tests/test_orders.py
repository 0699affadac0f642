from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.wordpress.connection import open_connection
from integrations.wordpress.orders import (
    CLASSIC,
    HPOS,
    HPOS_OPTION,
    WooOrder,
    WooOrderItem,
    count_orders,
    detect_order_storage,
    read_orders,
)
from integrations.wordpress.tests.builders import (
    RecordingConnection,
    add_classic_order,
    add_hpos_order,
    set_option,
)
from integrations.wordpress.tests.schema import FORM_VIBES, ORDER_ITEMS, WORDPRESS_CORE

MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))


def _order(order_id, created_gmt, created_local, **overrides):
    order = {
        "id": order_id,
        "status": "wc-completed",
        "created_gmt": created_gmt,
        "created_local": created_local,
        "paid_gmt": created_gmt,
        "paid_local": created_local,
        "completed_gmt": "2024-03-09 18:00:00",
        "completed_local": "2024-03-09 15:00:00",
        "total": "279.70",
        "user_id": 0,
        "first_name": "João",
        "last_name": "Conceição",
        "email": "joao@example.com",
        "phone": "(55) 99123-4567",
        "items": [("Tênis Côrrida - 38", 30, 31, 1, "199.90"), ("Meia esportiva", 40, 0, 2, "79.80")],
    }
    return order | overrides


ORDERS = [
    _order(101, "2024-03-05 13:00:00", "2024-03-05 10:00:00"),
    _order(
        102,
        "2024-03-06 02:30:00",
        "2024-03-05 23:30:00",
        status="wc-processing",
        completed_gmt=None,
        user_id=7,
        first_name="Maria",
        last_name="Silva",
        email="maria@example.com",
        phone="11987654321",
        total="99.90",
        items=[("Sandália Verão", 50, 0, 1, "99.90")],
    ),
    _order(103, "2024-03-20 12:00:00", "2024-03-20 09:00:00", status="wc-pending", paid_gmt=None, completed_gmt=None),
]


def _both_storages(site, orders=ORDERS):
    for order in orders:
        add_classic_order(site, order)
        # HPOS keeps the same ids and shares the order items tables
        add_hpos_order(site, order, with_items=False)


def test_classic_order_fields(site):
    add_classic_order(site, ORDERS[0])

    with open_connection(site.source) as conn:
        orders = list(read_orders(conn, "wp_", *MARCH))

    assert orders == [
        WooOrder(
            external_id="101",
            status="completed",
            created_at=datetime(2024, 3, 5, 13, tzinfo=UTC),
            paid_at=datetime(2024, 3, 5, 13, tzinfo=UTC),
            completed_at=datetime(2024, 3, 9, 18, tzinfo=UTC),
            total=Decimal("279.70"),
            currency="BRL",
            billing_name="João Conceição",
            billing_email="joao@example.com",
            billing_phone_raw="(55) 99123-4567",
            customer_user_id=None,
            items=(
                WooOrderItem(30, 31, "Tênis Côrrida - 38", 1, Decimal("199.90")),
                WooOrderItem(40, None, "Meia esportiva", 2, Decimal("79.80")),
            ),
        )
    ]


def test_both_storages_read_identically(site):
    _both_storages(site)

    with open_connection(site.source) as conn:
        classic = list(read_orders(conn, "wp_", *MARCH, storage=CLASSIC))
        hpos = list(read_orders(conn, "wp_", *MARCH, storage=HPOS))

    assert [order.external_id for order in classic] == ["101", "102", "103"]
    assert hpos == classic
    assert [(o.status, o.customer_user_id, o.paid_at) for o in hpos] == [
        ("completed", None, datetime(2024, 3, 5, 13, tzinfo=UTC)),
        ("processing", 7, datetime(2024, 3, 6, 2, 30, tzinfo=UTC)),
        ("pending", None, None),
    ]


def test_detect_by_option(site):
    _both_storages(site)
    set_option(site, HPOS_OPTION, "no")  # sync on, posts authoritative

    with open_connection(site.source) as conn:
        assert detect_order_storage(conn, "wp_") == CLASSIC
        site.execute("UPDATE {p}options SET option_value = 'yes' WHERE option_name = %s", (HPOS_OPTION,))
        assert detect_order_storage(conn, "wp_") == HPOS


def test_detect_without_option_by_hpos_rows(site):
    with open_connection(site.source) as conn:
        assert detect_order_storage(conn, "wp_") == CLASSIC  # wc_orders exists but is empty
        add_hpos_order(site, ORDERS[0])
        assert detect_order_storage(conn, "wp_") == HPOS


def test_detect_classic_when_there_are_no_hpos_tables(make_site):
    site = make_site("cli_", tables=WORDPRESS_CORE + FORM_VIBES + ORDER_ITEMS)
    add_classic_order(site, ORDERS[0])

    with open_connection(site.source) as conn:
        storage = detect_order_storage(conn, "cli_")
        orders = list(read_orders(conn, "cli_", *MARCH))

    assert storage == CLASSIC
    assert [order.external_id for order in orders] == ["101"]


def test_auto_detected_hpos_reads_only_shop_orders(site):
    add_hpos_order(site, ORDERS[0])
    site.execute(
        "INSERT INTO {p}wc_orders (id, status, type, total_amount, date_created_gmt) "
        "VALUES (104, 'wc-completed', 'shop_order_refund', -10, '2024-03-07 10:00:00')"
    )

    with open_connection(site.source) as conn:
        orders = list(read_orders(conn, "wp_", *MARCH))
        total = count_orders(conn, "wp_", *MARCH)

    assert [order.external_id for order in orders] == ["101"]
    assert total == 1


@pytest.mark.parametrize("storage", [CLASSIC, HPOS])
def test_date_range_is_utc_and_end_exclusive(site, storage):
    _both_storages(
        site,
        [
            _order(201, "2024-02-29 23:59:59", "2024-02-29 20:59:59"),
            _order(202, "2024-03-01 00:00:00", "2024-02-29 21:00:00"),
            _order(203, "2024-04-01 00:00:00", "2024-03-31 21:00:00"),
        ],
    )

    with open_connection(site.source) as conn:
        orders = list(read_orders(conn, "wp_", *MARCH, storage=storage))
        total = count_orders(conn, "wp_", *MARCH, storage=storage)

    assert [order.external_id for order in orders] == ["202"]
    assert total == 1


@pytest.mark.parametrize("storage", [CLASSIC, HPOS])
def test_batches_of_two_over_five_orders_in_one_streamed_query(site, storage):
    _both_storages(site, [_order(300 + n, f"2024-03-1{n} 12:00:00", f"2024-03-1{n} 09:00:00") for n in range(5)])

    with open_connection(site.source) as raw_conn:
        conn = RecordingConnection(raw_conn)
        orders = list(read_orders(conn, "wp_", *MARCH, storage=storage, batch_size=2))

    assert [order.external_id for order in orders] == ["300", "301", "302", "303", "304"]
    assert all(len(order.items) == 2 for order in orders)
    assert [rows for _sql, rows in conn.fetches] == [2, 2, 1]  # one unbuffered query, read two rows at a time
    assert len({sql for sql, _rows in conn.fetches}) == 1
    assert [sql for sql in conn.executed if not sql.startswith("SET SESSION")] == [conn.fetches[0][0]]


def test_unknown_storage_is_refused(site):
    with open_connection(site.source) as conn, pytest.raises(ValueError, match="unknown order storage"):
        list(read_orders(conn, "wp_", *MARCH, storage="mongo"))


@pytest.mark.parametrize("storage", [CLASSIC, HPOS])
def test_items_and_meta_holding_the_separators_are_read_whole(site, storage):
    """Meta and items travel joined by ASCII unit/record separators: text holding them loses only them."""
    order = _order(
        401,
        "2024-03-05 13:00:00",
        "2024-03-05 10:00:00",
        first_name="Jo\x1fão",
        items=[("Kit\x1e2 peças", 30, 0, 1, "10.00"), ("Meia\x1fBásica", 40, 0, 3, "30.00"), ("Boné", 50, 0, 1, "5")],
    )
    _both_storages(site, [order])

    with open_connection(site.source) as conn:
        (found,) = read_orders(conn, "wp_", *MARCH, storage=storage)

    assert [(item.name, item.product_id, item.quantity, item.total) for item in found.items] == [
        ("Kit 2 peças", 30, 1, Decimal("10.00")),
        ("Meia Básica", 40, 3, Decimal("30.00")),
        ("Boné", 50, 1, Decimal("5")),
    ]
    if storage == CLASSIC:
        assert found.billing_name == "Jo ão Conceição"


def test_an_items_column_cut_short_keeps_its_whole_entries():
    from integrations.wordpress.orders import RECORD, UNIT, _items

    text = RECORD.join(
        [UNIT.join(["7", "Boné", "_qty", "2"]), UNIT.join(["7", "Boné", "_line_total", "50"]), "8\x1fMe"]
    )

    assert [(item.name, item.quantity, item.total) for item in _items(text)] == [("Boné", 2, Decimal("50"))]


def test_items_come_out_in_item_id_order_whatever_order_the_server_joined_them_in():
    """The server concatenates an order's item rows in no set order (no ORDER BY: a sort per order):
    the lines are put in item id order here, numerically (item 10 after item 9)."""
    from integrations.wordpress.orders import RECORD, UNIT, _items

    entries = [("10", "Boné", "_qty", "1"), ("9", "Meia", "_qty", "2"), ("10", "Boné", "_line_total", "5")]
    text = RECORD.join(UNIT.join(entry) for entry in entries)

    assert [(item.name, item.quantity, item.total) for item in _items(text)] == [
        ("Meia", 2, Decimal("0")),
        ("Boné", 1, Decimal("5")),
    ]
