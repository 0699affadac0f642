import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from carts.models import Cart, CartItem
from integrations.wordpress.tests.builders import (
    add_cart,
    add_classic_order,
    add_hpos_order,
    add_product,
    cart_contents,
    other_fields,
    set_option,
)
from integrations.wordpress.tests.schema import WORDPRESS_CORE
from leads.models import Customer, ImportRun
from leads.services import woo_imports
from leads.services.imports import import_run_create, import_run_execute
from leads.tests.woo_site import configure_source, woo_site
from orders.models import Order, OrderItem

PREFIX = "cli_"
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
ONE_PERSON = [
    "(11) 98765-4321",
    "11987654321",
    "5511987654321",
    "+55 11 8765-4321",
    "011 98765-4321",
    "551187654321",  # a 12-digit WhatsApp id without the ninth digit
]


@pytest.fixture
def site(mysql_url, company_a):
    with woo_site(mysql_url, PREFIX) as site:
        configure_source(company_a, site.source)
        add_product(site, 30, "Tênis Côrrida")
        add_product(site, 31, "Tênis Côrrida - 38", post_type="product_variation")
        add_product(site, 16, "Chinelo Básico")
        yield site


def order(order_id, phone="11987654321", email="ana@example.com", status="wc-completed", total="359.70", **extra):
    return {
        "id": order_id,
        "created_local": "2024-03-10 12:00:00",
        "created_gmt": "2024-03-10 15:00:00",
        "status": status,
        "user_id": 0,
        "first_name": "Ana",
        "last_name": "Souza",
        "email": email,
        "phone": phone,
        "total": total,
        "items": [("Tênis Côrrida - 38", 30, 31, 1, "299.90"), ("Chinelo Básico", 16, 0, 2, "59.80")],
        **extra,
    }


def cart(site, session, phone="(11) 98765-4321", email="ana@example.com", time_local="2024-03-10 22:30:00", **kw):
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
    fields = other_fields("João", "Conceição", phone, city="Santa Maria")
    return add_cart(
        site, session_id=session, time_local=time_local, contents=contents, fields=fields, total="359.70",
        email=email, **kw,
    )  # fmt: skip


def run(company, kind="all"):
    return import_run_execute(run=import_run_create(company=company, kind=kind, start=MARCH[0], end=MARCH[1]))


def snapshot(company):
    return [
        list(model.objects.for_company(company).order_by("id").values())
        for model in (Customer, Cart, CartItem, Order, OrderItem)
    ]


def test_classic_orders_are_imported_with_items(site, company_a):
    add_classic_order(site, order(101))

    result = run(company_a, "orders")

    assert result.status == ImportRun.Status.SUCCEEDED, result.error
    assert result.summary["orders"]["created"] == 1
    imported = Order.objects.for_company(company_a).get()
    assert (imported.source, imported.external_id, imported.status) == ("woocommerce", "101", "completed")
    assert (imported.total, imported.subtotal) == (Decimal("359.70"), Decimal("359.70"))
    assert imported.placed_at == datetime(2024, 3, 10, 15, 0, tzinfo=UTC)
    assert imported.customer.phone == "+5511987654321"
    items = list(OrderItem.objects.for_company(company_a).order_by("id").values_list("name", "quantity", "unit_price"))
    assert items == [("Tênis Côrrida - 38", 1, Decimal("299.90")), ("Chinelo Básico", 2, Decimal("29.90"))]


def test_hpos_orders_are_imported(site, company_a):
    set_option(site, "woocommerce_custom_orders_table_enabled", "yes")
    add_hpos_order(site, order(202, status="wc-processing", total="100.00"))

    result = run(company_a, "orders")

    assert result.summary["orders"]["created"] == 1, result.summary
    imported = Order.objects.for_company(company_a).get()
    assert (imported.external_id, imported.status, imported.total) == ("202", "paid", Decimal("100.00"))
    assert OrderItem.objects.for_company(company_a).count() == 2


def test_serialized_carts_are_imported_with_accents_and_items(site, company_a):
    cart(site, "s1")

    result = run(company_a, "carts")

    assert result.summary["carts"]["created"] == 1, result.summary
    imported = Cart.objects.for_company(company_a).get()
    assert (imported.source, imported.external_id, imported.status) == ("woocommerce", "s1", "abandoned")
    assert imported.external_total == Decimal("359.70")
    assert imported.last_activity_at == datetime(2024, 3, 11, 1, 30, tzinfo=UTC)  # 22:30 in São Paulo
    assert imported.customer.name == "João Conceição"
    items = list(
        CartItem.objects.for_company(company_a).order_by("id").values_list("name", "quantity", "unit_price", "note")
    )
    assert items == [
        ("Tênis Côrrida", 1, Decimal("299.90"), "attribute_pa_cor: Azul-marinho, attribute_pa_tamanho: 38"),
        ("Chinelo Básico", 2, Decimal("29.90"), ""),
    ]


def test_a_corrupt_cart_is_counted_as_failed_and_the_rest_imported(site, company_a):
    cart(site, "good")
    add_cart(
        site, session_id="bad", time_local="2024-03-12 10:00:00", contents='a:1:{i:0;s:99:"x";}', fields="", total="1"
    )

    result = run(company_a, "carts")

    assert result.status == ImportRun.Status.SUCCEEDED
    assert (result.summary["carts"]["created"], result.summary["carts"]["failed"]) == (1, 1)
    assert result.summary["carts"]["errors"][0].startswith("bad: cart_contents")


def test_every_spelling_of_one_phone_lands_on_one_customer(site, company_a):
    for n, phone in enumerate(ONE_PERSON):
        add_classic_order(site, order(300 + n, phone=phone, email=""))
        cart(site, f"c{n}", phone=phone, email="")
    cart(site, "other", phone="(55) 99123-4567", email="")  # area code 55, another person

    result = run(company_a)

    assert result.summary["orders"]["created"] == len(ONE_PERSON)
    assert result.summary["carts"]["created"] == len(ONE_PERSON) + 1
    phones = sorted(Customer.objects.for_company(company_a).values_list("phone", flat=True))
    assert phones == ["+5511987654321", "+5555991234567"]


def test_customers_merge_across_carts_and_orders_by_email(site, company_a):
    cart(site, "s1", phone="", email="Ana@Example.com")
    add_classic_order(site, order(101, phone="", email="ana@example.com"))

    run(company_a)

    assert list(Customer.objects.for_company(company_a).values_list("email", flat=True)) == ["ana@example.com"]


def test_running_twice_changes_nothing(site, company_a):
    add_classic_order(site, order(101))
    add_classic_order(site, order(102, phone="21987654321", email="bia@example.com"))
    cart(site, "s1")
    run(company_a)
    before = snapshot(company_a)

    second = run(company_a)

    assert second.summary["orders"] == {"created": 0, "updated": 0, "skipped": 2, "failed": 0, "errors": []}
    assert second.summary["carts"] == {"created": 0, "updated": 0, "skipped": 1, "failed": 0, "errors": []}
    assert snapshot(company_a) == before


def test_changed_rows_are_updated(site, company_a):
    add_classic_order(site, order(101, status="wc-processing"))
    cart(site, "s1")
    run(company_a)
    site.execute("UPDATE {p}posts SET post_status = 'wc-completed' WHERE ID = 101")
    site.execute("UPDATE {p}cartflows_ca_cart_abandonment SET order_status = 'completed' WHERE session_id = 's1'")
    site.execute(
        "UPDATE {p}woocommerce_order_itemmeta SET meta_value = '3' WHERE meta_key = '_qty' AND meta_value = '2'"
    )

    second = run(company_a)

    assert (second.summary["orders"]["updated"], second.summary["carts"]["updated"]) == (1, 1)
    assert Order.objects.for_company(company_a).get().status == "completed"
    assert Cart.objects.for_company(company_a).get().status == "checked_out"
    assert sorted(OrderItem.objects.for_company(company_a).values_list("quantity", flat=True)) == [1, 3]


def test_unreachable_source_fails_clearly_and_writes_nothing(company_a):
    configure_source(company_a, type("S", (), {"host": "127.0.0.1", "port": 1, "database": "wp", "user": "root",
                                                "password": "", "table_prefix": "wp_"})())  # fmt: skip

    result = run(company_a)

    assert result.status == ImportRun.Status.FAILED
    assert "127.0.0.1" in result.error or "connect" in result.error.lower()
    assert not Order.objects.for_company(company_a).exists()
    assert not Cart.objects.for_company(company_a).exists()


def test_wrong_source_without_woocommerce_tables_fails_clearly(mysql_url, company_a):
    with woo_site(mysql_url, PREFIX, tables=tuple(WORDPRESS_CORE)) as site:
        configure_source(company_a, site.source)

        result = run(company_a, "carts")

    assert result.status == ImportRun.Status.FAILED
    assert "cartflows_ca_cart_abandonment" in result.error
    assert not Cart.objects.for_company(company_a).exists()


def test_a_batch_that_fails_midway_leaves_nothing_half_written(site, company_a, monkeypatch):
    add_classic_order(site, order(101))

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(woo_imports, "_replace_items", explode)  # orders are inserted, then items fail

    result = run(company_a, "orders")

    assert result.status == ImportRun.Status.FAILED
    assert "disk full" in result.error
    assert not Order.objects.for_company(company_a).exists()
    assert not Customer.objects.for_company(company_a).exists()


def test_command_imports_and_checks_recovery(site, company_a):
    cart(site, "s1")
    add_classic_order(site, order(101))
    out = io.StringIO()

    call_command(
        "import_customers", f"--empresa={company_a.slug}", "--start_date=2024-03-01", "--end_date=2024-03-31",
        "--import_type=all", "--check_recovery", stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert text.startswith("carts: 1 ") and "\norders: 1 " in text
    assert Cart.objects.for_company(company_a).count() == Order.objects.for_company(company_a).count() == 1
    assert "100.0%" in text and "359.70" in text


def test_command_check_recovery_alone_imports_nothing(company_a):
    out = io.StringIO()

    call_command("import_customers", f"--empresa={company_a.slug}", "--check_recovery", stdout=out)

    assert "0%" in out.getvalue()
    assert not ImportRun.objects.for_company(company_a).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--start_date=2024-02-30", "--end_date=2024-03-31"],
        ["--start_date=2024-03-31", "--end_date=2024-03-01"],
        ["--end_date=2024-03-31"],
        [],
    ],
)
def test_command_bad_arguments_are_clear_with_exit_code_2(company_a, args):
    with pytest.raises(CommandError) as error:
        call_command("import_customers", f"--empresa={company_a.slug}", *args, stdout=io.StringIO())

    assert error.value.returncode == 2
    assert not ImportRun.objects.for_company(company_a).exists()
