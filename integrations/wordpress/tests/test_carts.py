import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.errors import PermanentError
from integrations.wordpress.carts import (
    WooAbandonedCart,
    WooCartItem,
    count_abandoned_carts,
    read_abandoned_carts,
)
from integrations.wordpress.connection import open_connection
from integrations.wordpress.tests.builders import (
    RecordingConnection,
    add_cart,
    add_shoe_store_products,
    add_two_item_cart,
    cart_contents,
)

SAMPLES = json.loads((Path(__file__).parent / "fixtures" / "cartflows_serialized.json").read_text("utf-8"))
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
SESSION_A = "0f3c1e5f0d2a4c0b9a7e6d5c4b3a2910"
SESSION_B = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"


@pytest.fixture
def shop(make_site):
    """A shop's site: prefix cli_, CartFlows table, a fork table with a phone column, two products."""
    site = make_site("cli_")
    add_shoe_store_products(site)
    return site


def _generated_cart(site, session_id=SESSION_A, **kwargs):
    return add_two_item_cart(site, session_id, **kwargs)


def test_generated_cart_with_serialized_objects_and_accents(shop):
    row_id = _generated_cart(shop, coupon="VOLTA10")

    with open_connection(shop.source) as conn:
        carts = list(read_abandoned_carts(conn, "cli_", *MARCH, site_timezone="America/Sao_Paulo"))

    assert carts == [
        WooAbandonedCart(
            external_id=SESSION_A,
            row_id=row_id,
            email="cliente@example.com",
            phone_raw="(55) 99123-4567",
            name="João Conceição",
            created_at_utc=datetime(2024, 3, 11, 1, 30, tzinfo=UTC),  # 22:30 in São Paulo (UTC-3)
            status="abandoned",
            total=Decimal("359.70"),
            items=(
                WooCartItem(
                    30,
                    31,
                    "Tênis Côrrida",
                    1,
                    Decimal("299.9"),
                    {"attribute_pa_tamanho": "38", "attribute_pa_cor": "Azul-marinho"},
                ),
                WooCartItem(16, None, "Chinelo Básico", 2, Decimal("59.8"), {}),
            ),
            coupon="VOLTA10",
            checkout_id=42,
        )
    ]


def test_hand_written_php82_sample(shop):
    add_cart(
        shop,
        session_id=SESSION_B,
        time_local="2024-03-02 08:00:00",
        contents=SAMPLES["php82_cart_contents"],
        fields=SAMPLES["php82_other_fields"],
        total="179.80",
        status="lost",
        email="maria@example.com",
    )

    with open_connection(shop.source) as conn:
        (cart,) = read_abandoned_carts(conn, "cli_", *MARCH)

    assert (cart.name, cart.phone_raw, cart.status, cart.total) == (
        "Maria Silva",
        "(11) 98765-4321",
        "lost",
        Decimal("179.80"),
    )
    assert cart.items == (WooCartItem(16, None, "Chinelo Básico", 2, Decimal("179.8"), {}),)


def test_local_time_range_and_timezone(shop):
    # São Paulo is UTC-3: March in UTC is 2024-02-29 21:00 .. 2024-03-31 21:00 local
    _generated_cart(shop, session_id="a" * 32, time_local="2024-02-29 20:59:59")
    _generated_cart(shop, session_id="b" * 32, time_local="2024-02-29 21:00:00")
    _generated_cart(shop, session_id="c" * 32, time_local="2024-03-31 20:59:59")
    _generated_cart(shop, session_id="d" * 32, time_local="2024-03-31 21:00:00")

    with open_connection(shop.source) as conn:
        carts = list(read_abandoned_carts(conn, "cli_", *MARCH, site_timezone="America/Sao_Paulo"))
        total = count_abandoned_carts(conn, "cli_", *MARCH, site_timezone="America/Sao_Paulo")
        lisbon = list(read_abandoned_carts(conn, "cli_", *MARCH, site_timezone="Europe/Lisbon"))

    assert [(cart.external_id[0], cart.created_at_utc) for cart in carts] == [
        ("b", datetime(2024, 3, 1, 0, 0, tzinfo=UTC)),
        ("c", datetime(2024, 3, 31, 23, 59, 59, tzinfo=UTC)),
    ]
    assert total == 2
    # Lisbon: UTC+0 until 2024-03-31 01:00 UTC, then UTC+1, so March in UTC is 03-01 00:00 .. 04-01 01:00 local
    assert [(cart.external_id[0], cart.created_at_utc) for cart in lisbon] == [
        ("c", datetime(2024, 3, 31, 19, 59, 59, tzinfo=UTC)),
        ("d", datetime(2024, 3, 31, 20, tzinfo=UTC)),
    ]


def test_damaged_rows_are_read_leniently_or_from_their_columns(shop):
    """Issue 21: a wrong string length is repaired; data that still cannot be read is named in
    `damaged` and the cart comes from its columns (it used to be a ReadFailure, dropped)."""
    _generated_cart(shop, session_id="a" * 32, time_local="2024-03-05 10:00:00")
    add_cart(
        shop,
        session_id="b" * 32,
        time_local="2024-03-05 11:00:00",
        contents='a:1:{s:32:"c74d97b01eae257e44aa9d5bade97baf";a:1:{s:3:"key";s:99:"short";}}',
        fields=SAMPLES["php82_other_fields"],
        total="10.00",
    )
    add_cart(
        shop,
        session_id="c" * 32,
        time_local="2024-03-05 12:00:00",
        contents=SAMPLES["php82_cart_contents"],
        fields="s:3:'oops",
        total="10.00",
    )
    _generated_cart(shop, session_id="d" * 32, time_local="2024-03-05 13:00:00")

    with open_connection(shop.source) as conn:
        results = list(read_abandoned_carts(conn, "cli_", *MARCH))

    assert [type(result).__name__ for result in results] == ["WooAbandonedCart"] * 4
    assert results[1].external_id == "b" * 32 and results[1].damaged == ()  # s:99:"short" repaired
    assert [item.product_id for item in results[1].items] == [None]
    assert results[2].damaged[0].startswith("other_fields: not valid PHP serialization")
    assert (results[2].email, results[2].total, results[2].name) == ("cliente@example.com", Decimal("10.00"), None)
    assert len(results[2].items) == 1


def test_fork_table_with_phone_column(shop):
    _generated_cart(shop, session_id="a" * 32, table="woo_cart_abandonment", phone="11 98765-4321")
    _generated_cart(shop, session_id="b" * 32, table="woo_cart_abandonment", phone="")

    with open_connection(shop.source) as conn:
        carts = list(read_abandoned_carts(conn, "cli_", *MARCH, table="woo_cart_abandonment", phone_column="phone"))

    # the column wins when filled; otherwise the phone typed in other_fields
    assert [cart.phone_raw for cart in carts] == ["11 98765-4321", "(55) 99123-4567"]


def test_status_filter(shop):
    _generated_cart(shop, session_id="a" * 32, status="normal")
    _generated_cart(shop, session_id="b" * 32, status="completed")
    _generated_cart(shop, session_id="c" * 32, status="abandoned")

    with open_connection(shop.source) as conn:
        carts = list(read_abandoned_carts(conn, "cli_", *MARCH, statuses=["abandoned", "completed"]))
        total = count_abandoned_carts(conn, "cli_", *MARCH, statuses=["abandoned", "completed"])
        with pytest.raises(ValueError, match="unknown cart statuses"):
            list(read_abandoned_carts(conn, "cli_", *MARCH, statuses=["recovered"]))

    assert [cart.status for cart in carts] == ["completed", "abandoned"]
    assert total == 2


def test_batches_of_two_over_five_carts(shop):
    for n in range(5):
        _generated_cart(shop, session_id=str(n) * 32, time_local=f"2024-03-1{n} 12:00:00")

    with open_connection(shop.source) as raw_conn:
        conn = RecordingConnection(raw_conn)
        carts = read_abandoned_carts(conn, "cli_", *MARCH, batch_size=2)
        first = next(carts)
        cart_rows_before_consuming = [rows for sql, rows in conn.fetches if "cart_abandonment" in sql]
        rest = list(carts)

    assert [cart.external_id[0] for cart in [first, *rest]] == ["0", "1", "2", "3", "4"]
    assert cart_rows_before_consuming == [2]
    assert [rows for sql, rows in conn.fetches if "cart_abandonment" in sql] == [2, 2, 1]
    # one product-name query per batch, not per cart
    assert len([sql for sql, _rows in conn.fetches if "post_title" in sql]) == 3


def test_missing_products_have_no_name(shop):
    contents = cart_contents([(999, 0, {}, 1, 10.0, "WC_Product_Simple")])
    add_cart(shop, session_id=SESSION_A, time_local="2024-03-05 10:00:00", contents=contents, fields="", total="10.00")

    with open_connection(shop.source) as conn:
        (cart,) = read_abandoned_carts(conn, "cli_", *MARCH)

    assert (cart.items, cart.name, cart.phone_raw) == (
        (WooCartItem(999, None, None, 1, Decimal("10.0"), {}),),
        None,
        None,
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"table": "cartflows`; DROP TABLE cli_posts; --"}, {"phone_column": "phone, (SELECT user_pass FROM cli_users)"}],
)
def test_injected_identifiers_are_refused(shop, kwargs):
    with open_connection(shop.source) as conn, pytest.raises(ValueError, match="invalid SQL identifier"):
        list(read_abandoned_carts(conn, "cli_", *MARCH, **kwargs))


def test_unknown_timezone_is_refused(shop):
    with open_connection(shop.source) as conn, pytest.raises(ValueError, match="unknown timezone"):
        list(read_abandoned_carts(conn, "cli_", *MARCH, site_timezone="America/Atlantida"))


def test_missing_phone_column_is_a_permanent_error(shop):
    with open_connection(shop.source) as conn, pytest.raises(PermanentError, match="1054"):
        list(read_abandoned_carts(conn, "cli_", *MARCH, phone_column="phone"))
