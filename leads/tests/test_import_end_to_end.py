"""Imports from a MariaDB built with the real plugin schemas into PostgreSQL, across leads, carts and orders.

Each test proves one import behaviour end to end: the site is written the way
WordPress, Form Vibes, WooCommerce (classic and HPOS) and CartFlows write it; the import runs
through `import_run_execute` like the commands and the background task.
"""

import dataclasses
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import paramiko
import phpserialize
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from carts.models import Cart, CartItem
from customers.models import Customer
from integrations.errors import RetryableError
from integrations.wordpress.tests.builders import (
    add_cart,
    add_classic_order,
    add_form_entry,
    add_hpos_order,
    add_product,
    add_shoe_store_products,
    add_two_item_cart,
    other_fields,
    product_object,
    set_option,
)
from integrations.wordpress.tests.schema import FORM_VIBES, WORDPRESS_CORE
from integrations.wordpress.tests.ssh_server import SSHGateway
from leads.models import ImportRun, Lead
from leads.recovery import with_recovery
from leads.services import woo_imports
from leads.services.imports import format_summary, import_run_create, import_run_execute
from leads.tests.woo_site import configure_source, configure_ssh_tunnel, woo_site
from orders.models import Order, OrderItem
from tenants.services import company_setting_set
from tenants.tests.factories import CompanySettingFactory

PREFIX = "cli_"
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
MAPPING = {"fv_field_nome": "Nome_3", "fv_field_whatsapp": "Whatsapp_8", "fv_field_tamanho": "Numero_do_sapato_9"}
SAMPLES = json.loads(
    (Path(__file__).parents[2] / "integrations/wordpress/tests/fixtures/cartflows_serialized.json").read_text("utf-8")
)
# One person, every common way of writing her mobile.
ANA = [
    "(11) 98765-4321",
    "11987654321",
    "5511987654321",
    "+55 11 8765-4321",  # the old 8-digit mobile
    "011 98765-4321",  # trunk 0
    "551187654321",  # a 12-digit WhatsApp id, without the ninth digit
    "+55 (11) 98765-4321",
]
# Another person whose area code is 55 (Rio Grande do Sul): never mistaken for the country code.
BETO = ["(55) 99123-4567", "55991234567", "+55 55 99123-4567", "5555991234567", "555591234567"]


@pytest.fixture
def site(mysql_url, company_a):
    with woo_site(mysql_url, PREFIX) as site:
        configure_source(company_a, site.source, **MAPPING)
        add_shoe_store_products(site)
        add_product(site, 766, "Camiseta Niño")
        add_product(site, 812, "Boné Açaí")
        yield site


def run(company, kind="all", start=MARCH[0], end=MARCH[1]) -> ImportRun:
    return import_run_execute(run=import_run_create(company=company, kind=kind, start=start, end=end))


def lead(site, phone, email="", name="Ana Souza", when="2024-03-05 13:30:00", **fields):
    values = {"Nome_3": name, "Whatsapp_8": phone, "Numero_do_sapato_9": "37", "Cidade_5": "São Paulo", **fields}
    if email:
        values["E-mail_4"] = email
    return add_form_entry(site, values, captured_gmt=when, captured=when)


def order(site, order_id, phone, email="", created_gmt="2024-03-10 15:00:00", status="wc-completed", **extra):
    created = datetime.fromisoformat(created_gmt) - timedelta(hours=3)
    add_classic_order(
        site,
        {
            "id": order_id,
            "created_gmt": created_gmt,
            "created_local": created.strftime("%Y-%m-%d %H:%M:%S"),
            "status": status,
            "user_id": 0,
            "first_name": "Ana",
            "last_name": "Souza",
            "email": email,
            "phone": phone,
            "total": "359.70",
            "items": [("Tênis Côrrida - 38", 30, 31, 1, "299.90"), ("Chinelo Básico", 16, 0, 2, "59.80")],
            **extra,
        },
    )


def cart(site, session, typed_phone, email="", status="abandoned", **kwargs):
    return add_two_item_cart(site, session, typed_phone=typed_phone, email=email, status=status, **kwargs)


def snapshot(company) -> list[list[dict]]:
    """Every imported row with every column, updated_at included."""
    return [
        list(model.objects.for_company(company).order_by("id").values())
        for model in (Customer, Lead, Cart, CartItem, Order, OrderItem)
    ]


# --- What each source gives ------------------------------------------------------------------------


def test_classic_orders_are_imported_with_their_items(site, company_a):
    order(site, 101, "11987654321", email="ana@example.com")

    result = run(company_a, "orders")

    assert result.status == ImportRun.Status.SUCCEEDED, result.error
    assert result.summary["orders"]["created"] == 1
    imported = Order.objects.for_company(company_a).select_related("customer").get()
    assert (imported.source, imported.external_id, imported.status) == ("woocommerce", "101", "completed")
    assert (imported.total, imported.subtotal) == (Decimal("359.70"), Decimal("359.70"))
    assert imported.placed_at == datetime(2024, 3, 10, 15, 0, tzinfo=UTC)
    assert (imported.customer.name, imported.customer.phone) == ("Ana Souza", "+5511987654321")
    items = OrderItem.objects.for_company(company_a).order_by("id").values_list("name", "quantity", "unit_price")
    assert list(items) == [("Tênis Côrrida - 38", 1, Decimal("299.90")), ("Chinelo Básico", 2, Decimal("29.90"))]


def test_hpos_orders_are_imported_when_the_option_says_so(site, company_a):
    set_option(site, "woocommerce_custom_orders_table_enabled", "yes")
    add_hpos_order(
        site,
        {
            "id": 202, "status": "wc-processing", "total": "100.00", "user_id": 0, "email": "ana@example.com",
            "first_name": "Ana", "last_name": "Souza", "phone": "11987654321", "created_gmt": "2024-03-10 15:00:00",
            "items": [("Tênis Côrrida - 38", 30, 31, 1, "100.00")],
        },
    )  # fmt: skip
    order(site, 303, "11987654321")  # a stale copy in posts: the option says HPOS is authoritative

    result = run(company_a, "orders")

    imported = Order.objects.for_company(company_a).get()
    assert result.summary["orders"]["created"] == 1, result.summary
    assert (imported.external_id, imported.status, imported.total) == ("202", "paid", Decimal("100.00"))
    assert OrderItem.objects.for_company(company_a).count() == 1


def test_serialized_carts_are_imported_with_accents_and_items(site, company_a):
    cart(site, "s1", "(11) 98765-4321", email="ana@example.com")

    result = run(company_a, "carts")

    assert result.summary["carts"]["created"] == 1, result.summary
    imported = Cart.objects.for_company(company_a).select_related("customer").get()
    assert (imported.source, imported.external_id, imported.status) == ("woocommerce", "s1", "abandoned")
    assert imported.external_total == Decimal("359.70")
    assert imported.last_activity_at == datetime(2024, 3, 11, 1, 30, tzinfo=UTC)  # 22:30 in São Paulo
    assert imported.customer.name == "João Conceição"
    items = CartItem.objects.for_company(company_a).order_by("id").values_list("name", "quantity", "unit_price", "note")
    assert list(items) == [
        ("Tênis Côrrida", 1, Decimal("299.90"), "attribute_pa_cor: Azul-marinho, attribute_pa_tamanho: 38"),
        ("Chinelo Básico", 2, Decimal("29.90"), ""),
    ]


def test_a_corrupt_cart_is_imported_from_its_columns_with_a_warning(site, company_a):
    """Rule changed (issue 21): a cart whose serialized data cannot be read is no longer dropped; it
    comes from its columns, with a warning naming the source row (tests in test_recovery_store.py)."""
    cart(site, "good", "(11) 98765-4321")
    add_cart(
        site, session_id="bad", time_local="2024-03-12 10:00:00", contents='a:1:{i:0;s:99:"x";}', fields="", total="1"
    )

    result = run(company_a, "carts")

    assert result.status == ImportRun.Status.SUCCEEDED
    assert (result.summary["carts"]["created"], result.summary["carts"]["failed"]) == (2, 0)
    assert "cart_contents: cart item 0 is not an array" in result.summary["carts"]["warnings"][0]
    with translation.override("en"):
        text = format_summary(result)
    assert text.startswith("carts: 2 created, 0 updated, 0 unchanged, 0 failed\n  ! ")  # the warning, as recorded
    assert "\nDuration: " in text


def test_the_daily_beat_import_brings_the_last_days_of_every_kind(site, company_a):
    from leads.tasks import import_daily_company_task

    now_local = timezone.localtime(timezone.now(), ZoneInfo(company_a.timezone))
    recent, old = now_local - timedelta(hours=1), now_local - timedelta(days=5)
    for n, when in enumerate((recent, old)):
        utc = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        lead(site, f"1198765432{n}", when=utc)
        cart(site, f"s{n}", f"1198765432{n}", time_local=when.strftime("%Y-%m-%d %H:%M:%S"))
        order(site, 101 + n, f"1198765432{n}", created_gmt=utc)

    statuses = import_daily_company_task.run(company_id=company_a.pk)

    assert statuses == ["succeeded", "succeeded"]
    assert sorted(ImportRun.objects.for_company(company_a).values_list("kind", "triggered_by")) == [
        ("all", "beat"),
        ("leads", "beat"),
    ]
    for model in (Lead, Cart, Order):
        assert model.objects.for_company(company_a).count() == 1, model  # the 5-day-old rows stay out


# --- One person, one Customer ------------------------------------------------------------------


def test_every_spelling_of_one_phone_in_every_source_lands_on_one_customer(site, company_a):
    for n, phone in enumerate(ANA):
        lead(site, phone)
        cart(site, f"ana-{n}", phone)
        order(site, 100 + n, phone)
    for n, phone in enumerate(BETO):
        lead(site, phone, name="Beto")
        cart(site, f"beto-{n}", phone)
        order(site, 200 + n, phone)

    leads, carts_and_orders = run(company_a, "leads"), run(company_a, "all")

    assert (leads.status, carts_and_orders.status) == ("succeeded", "succeeded"), (leads.error, carts_and_orders.error)
    people = len(ANA) + len(BETO)
    assert leads.summary["leads"]["created"] == people
    assert (carts_and_orders.summary["carts"]["created"], carts_and_orders.summary["orders"]["created"]) == (
        people,
        people,
    )
    customers = list(Customer.objects.for_company(company_a).order_by("phone"))
    assert [c.phone for c in customers] == ["+5511987654321", "+5555991234567"]
    ana, beto = customers
    for customer, count in ((ana, len(ANA)), (beto, len(BETO))):
        assert Lead.objects.for_company(company_a).filter(customer=customer).count() == count
        assert Cart.objects.for_company(company_a).filter(customer=customer).count() == count
        assert Order.objects.for_company(company_a).filter(customer=customer).count() == count
    # each lead keeps the phone as typed, and the normalised one
    raw = set(Lead.objects.for_company(company_a).filter(customer=ana).values_list("phone_raw", "phone"))
    assert raw == {(phone, "+5511987654321") for phone in ANA}


def test_email_spellings_merge_too(site, company_a):
    lead(site, "", email="Ana.Souza@Example.COM")
    cart(site, "s1", "", email="ana.souza@example.com ")
    order(site, 101, phone="", email="ANA.SOUZA@EXAMPLE.COM")

    run(company_a, "leads")
    run(company_a, "all")

    assert list(Customer.objects.for_company(company_a).values_list("email", flat=True)) == ["ana.souza@example.com"]


# --- Running twice ---------------------------------------------------------------------------------


def test_running_every_import_twice_changes_nothing(site, company_a):
    for n, phone in enumerate(ANA[:3]):
        lead(site, phone, email="ana@example.com")
        cart(site, f"ana-{n}", phone, email="ana@example.com")
        order(site, 100 + n, phone, email="ana@example.com")
    lead(site, "(21) 99876-5432", name="Bia", email="bia@example.com")
    cart(site, "bia", "(21) 99876-5432", email="")
    order(site, 200, "", email="bia@example.com", status="wc-processing")
    run(company_a, "leads")
    run(company_a, "all")
    before = snapshot(company_a)

    leads, carts_and_orders = run(company_a, "leads"), run(company_a, "all")

    unchanged = {"created": 0, "updated": 0, "failed": 0, "errors": []}
    assert leads.summary == {"leads": {**unchanged, "skipped": 4}}
    assert carts_and_orders.summary == {
        "carts": {**unchanged, "skipped": 4},
        "orders": {**unchanged, "skipped": 4},
        "timezone": {"name": "America/Sao_Paulo", "source": "company"},
    }
    assert snapshot(company_a) == before  # same ids, same values, same updated_at


def test_what_changed_at_the_source_is_updated_and_stamped(site, company_a):
    entry = lead(site, "11987654321")
    cart(site, "s1", "11987654321")
    order(site, 101, "11987654321", status="wc-processing")
    run(company_a, "leads")
    run(company_a, "all")
    stamps = {model: model.objects.for_company(company_a).get().updated_at for model in (Customer, Lead, Cart, Order)}
    site.execute(
        "UPDATE {p}fv_entry_meta SET meta_value = '38' WHERE data_id = %s AND meta_key = %s",
        (entry, "Numero_do_sapato_9"),
    )
    site.execute("UPDATE {p}posts SET post_status = 'wc-completed' WHERE ID = 101")
    site.execute("UPDATE {p}cartflows_ca_cart_abandonment SET order_status = 'completed' WHERE session_id = 's1'")
    site.execute(
        "UPDATE {p}woocommerce_order_itemmeta SET meta_value = '3' WHERE meta_key = '_qty' AND meta_value = '2'"
    )

    leads, carts_and_orders = run(company_a, "leads"), run(company_a, "all")

    assert leads.summary["leads"]["updated"] == 1
    assert (carts_and_orders.summary["carts"]["updated"], carts_and_orders.summary["orders"]["updated"]) == (1, 1)
    assert Lead.objects.for_company(company_a).get().size == "38"
    assert Order.objects.for_company(company_a).get().status == "completed"
    assert Cart.objects.for_company(company_a).get().status == "checked_out"
    assert sorted(OrderItem.objects.for_company(company_a).values_list("quantity", flat=True)) == [1, 3]
    for model in (Lead, Cart, Order):
        assert model.objects.for_company(company_a).get().updated_at > stamps[model], model
    assert Customer.objects.for_company(company_a).get().updated_at == stamps[Customer]  # nothing new about her


# --- Field mapping per company -----------------------------------------------------------------


def test_form_vibes_fields_are_mapped_per_company(mysql_url, company_a, company_b):
    with woo_site(mysql_url, "wp_", tables=tuple(WORDPRESS_CORE + FORM_VIBES)) as site:
        add_form_entry(
            site,
            {
                "Nome_3": "Ana",
                "Whatsapp_8": "(11) 98765-4321",
                "Numero_do_sapato_9": "37",
                "Como_conheceu_10": "Instagram",
            },
            captured_gmt="2024-03-05 13:30:00",
            captured="2024-03-05 10:30:00",
        )
        add_form_entry(
            site,
            {"your-name": "Bruno", "Celular": "21 99876-5432", "tamanho": "M", "E-mail": "Bruno@Example.com"},
            captured_gmt="2024-03-06 13:30:00",
            captured="2024-03-06 10:30:00",
            form_id="88",
        )
        configure_source(company_a, site.source, **MAPPING)
        configure_source(
            company_b, site.source, fv_field_nome="your-name", fv_field_whatsapp="Celular", fv_field_tamanho="tamanho"
        )

        run(company_a, "leads")
        run(company_b, "leads")

    def leads_of(company):
        rows = Lead.objects.for_company(company).order_by("external_id")
        return [(r.form_id, r.name, r.phone, r.size, r.email, r.extra) for r in rows]

    assert leads_of(company_a) == [
        ("1267", "Ana", "+5511987654321", "37", "", {"Como_conheceu_10": "Instagram"}),
        ("88", "", "", "", "bruno@example.com", {"your-name": "Bruno", "Celular": "21 99876-5432", "tamanho": "M"}),
    ]
    assert leads_of(company_b) == [
        ("1267", "", "", "", "", {"Nome_3": "Ana", "Whatsapp_8": "(11) 98765-4321", "Numero_do_sapato_9": "37",
                                  "Como_conheceu_10": "Instagram"}),
        ("88", "Bruno", "+5521998765432", "M", "bruno@example.com", {}),
    ]  # fmt: skip


# --- Serialized carts ------------------------------------------------------------------------------


def test_real_serialized_carts_with_several_items_objects_and_extra_plugin_keys(site, company_a):
    extra_keys = {
        "3d218ce1b50d7a04a09049fd0feeb6c0": {
            "pa_color": "Negro",  # a plugin's own key beside WooCommerce's twelve
            "wapf": [{"id": "5f1a", "label": "Bordado", "values": [{"label": "Nome: Ação"}]}],
            "key": "3d218ce1b50d7a04a09049fd0feeb6c0",
            "product_id": 812,
            "variation_id": 0,
            "variation": {},
            "quantity": 3,
            "line_total": 134.7,
            "data": product_object("WC_Product_Simple", 812),
        }
    }
    add_cart(
        site, session_id="php82", time_local="2024-03-02 08:00:00", contents=SAMPLES["php82_cart_contents"],
        fields=SAMPLES["php82_other_fields"], total="179.80", status="lost", email="maria@example.com",
    )  # fmt: skip
    live = SAMPLES["live_site_item_cart_contents"]
    add_cart(site, session_id="live", time_local="2024-03-03 09:00:00", contents=live, fields="", total="79.90")
    add_cart(
        site, session_id="plugin", time_local="2024-03-04 10:00:00", contents=phpserialize.dumps(extra_keys),
        fields=other_fields("Íris", "Conceição", "(48) 99999-0000"), total="134.70", email="",
    )  # fmt: skip

    result = run(company_a, "carts")

    assert result.summary["carts"] == {"created": 3, "updated": 0, "skipped": 0, "failed": 0, "errors": []}
    carts = {c.external_id: c for c in Cart.objects.for_company(company_a).select_related("customer")}
    assert (carts["php82"].customer.name, carts["php82"].customer.phone) == ("Maria Silva", "+5511987654321")
    assert (carts["php82"].status, carts["php82"].external_total) == ("lost", Decimal("179.80"))
    assert carts["live"].customer is not None and carts["live"].customer.email == "cliente@example.com"
    assert carts["plugin"].customer.name == "Íris Conceição"
    items = {
        c.external_id: list(
            CartItem.objects.for_company(company_a)
            .filter(cart=c)
            .order_by("id")
            .values_list("name", "quantity", "unit_price", "note")
        )
        for c in carts.values()
    }
    assert items == {
        "php82": [("Chinelo Básico", 2, Decimal("89.90"), "")],
        "live": [("Camiseta Niño", 1, Decimal("79.90"), "attribute_pa_talla: xs")],
        "plugin": [("Boné Açaí", 3, Decimal("44.90"), "")],
    }


def test_hpos_orders_are_found_without_the_option(site, company_a):
    """No woocommerce_custom_orders_table_enabled option: wc_orders rows alone mean HPOS."""
    add_hpos_order(
        site,
        {
            "id": 501, "status": "wc-completed", "total": "99.90", "user_id": 3, "email": "Hpos@Example.com",
            "first_name": "Helô", "last_name": "Pôs", "phone": "+55 11 8765-4321", "created_gmt": "2024-03-20 12:00:00",
            "paid_gmt": "2024-03-20 12:05:00", "completed_gmt": "2024-03-21 09:00:00",
            "items": [("Sandália Verão", 50, 0, 1, "99.90")],
        },
    )  # fmt: skip

    result = run(company_a, "orders")

    imported = Order.objects.for_company(company_a).select_related("customer").get()
    assert result.summary["orders"]["created"] == 1
    assert (imported.external_id, imported.status, imported.total) == ("501", "completed", Decimal("99.90"))
    assert imported.completed_at == datetime(2024, 3, 21, 9, tzinfo=UTC)
    assert (imported.customer.phone, imported.customer.email) == ("+5511987654321", "hpos@example.com")
    assert list(OrderItem.objects.for_company(company_a).values_list("name", "quantity")) == [("Sandália Verão", 1)]


# --- Recovery on imported data -----------------------------------------------------------------


def test_recovery_boundaries_on_imported_carts_and_orders(mysql_url, site, company_a, company_b):
    """Cart time is the site's local time, order dates are UTC: the window is measured on the same clock."""
    cart_local = datetime(2024, 3, 10, 22, 30)  # São Paulo (UTC-3) = 2024-03-11 01:30 UTC
    cart_utc = datetime(2024, 3, 11, 1, 30)

    def person(n, phone, email, order_at, order_phone=None, order_email=None, order_id=None):
        cart(site, f"c{n}", phone, email=email, time_local=cart_local.strftime("%Y-%m-%d %H:%M:%S"))
        if order_at is not None:
            order(
                site, order_id or 300 + n, order_phone if order_phone is not None else phone,
                email=order_email if order_email is not None else email,
                created_gmt=(cart_utc + order_at).strftime("%Y-%m-%d %H:%M:%S"),
            )  # fmt: skip

    person(1, "(11) 91111-1111", "", -timedelta(days=2))
    person(2, "(11) 92222-2222", "", -timedelta(days=2, seconds=1))
    person(3, "(11) 93333-3333", "", timedelta(days=30))
    person(4, "(11) 94444-4444", "", timedelta(days=30, seconds=1))
    person(5, "(11) 98555-5555", "", timedelta(days=1), order_phone="+55 11 8555-5555", order_email="cinco@ex.com")
    person(6, "", "Seis@Example.com", timedelta(days=1), order_phone="(21) 96666-6666", order_email="seis@example.com")
    person(
        7,
        "(11) 97777-7777",
        "sete@example.com",
        timedelta(days=1),
        order_phone="(21) 97777-0000",
        order_email="x@ex.com",
    )
    person(8, "(11) 98888-8888", "oito@example.com", None)  # an order only in another company's store
    run(company_a, "all", start=datetime(2024, 2, 1, tzinfo=UTC), end=datetime(2024, 5, 1, tzinfo=UTC))
    with woo_site(mysql_url, "wp_") as other_store:
        configure_source(company_b, other_store.source)
        order(other_store, 900, "(11) 98888-8888", email="oito@example.com", created_gmt="2024-03-12 10:00:00")
        cart(other_store, "b8", "(11) 98888-8888", email="oito@example.com")
        run(company_b, "all")

    def statuses(now):
        carts = with_recovery(Cart.objects.for_company(company_a), company_a, now=now)
        return dict(carts.values_list("external_id", "recovery_status"))

    assert statuses(datetime(2024, 6, 1, tzinfo=UTC)) == {
        "c1": "recovered",  # order exactly 2 days before
        "c2": "abandoned",  # 2 days and 1 second before
        "c3": "recovered",  # exactly 30 days after
        "c4": "abandoned",  # 30 days and 1 second after
        "c5": "recovered",  # phone only, written differently (old 8-digit form), another email
        "c6": "recovered",  # email only, in other letter case; the order has a phone the cart lacks
        "c7": "abandoned",  # neither phone nor email in common
        "c8": "abandoned",  # the same person bought in another company's store
    }
    window_open = statuses(datetime(2024, 3, 11, 1, 30, tzinfo=UTC) + timedelta(days=30))
    assert (window_open["c7"], window_open["c8"]) == ("waiting", "waiting")
    assert Cart.objects.for_company(company_b).count() == 1


# --- A source that cannot be read ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"port": "closed"}, "refused the connection"),
        ({"host": "no-such-db-host.invalid"}, "was not found (DNS)"),
        ({"password": "wrong-password"}, "Access denied for user"),
        ({"database": "wp_test_missing"}, "does not exist"),
        ({"table_prefix": "wp9_"}, "these tables are missing: wp9_"),
    ],
)
def test_unreachable_or_wrong_source_fails_clearly_and_writes_nothing(site, company_a, change, expected):
    lead(site, "11987654321")
    cart(site, "s1", "11987654321")
    order(site, 101, "11987654321")
    if change.get("port") == "closed":
        change = {"port": _closed_port()}
    configure_source(company_a, dataclasses.replace(site.source, **change), **MAPPING)

    with translation.override("en"):
        results = [run(company_a, kind) for kind in ("all", "leads")]

    for result in results:
        assert result.status == ImportRun.Status.FAILED
        assert expected in result.error, result.error
        assert result.error in result.summary_text
        assert "wrong-password" not in result.error
    assert snapshot(company_a) == [[], [], [], [], [], []]


def test_a_missing_table_stops_the_run_before_anything_is_written(site, company_a):
    """Carts are imported before orders: the orders' missing table must stop the run before the carts go in."""
    cart(site, "s1", "11987654321")
    order(site, 101, "11987654321")
    site.execute("DROP TABLE {p}woocommerce_order_itemmeta")

    with translation.override("en"):
        result = run(company_a, "all")

    assert result.status == ImportRun.Status.FAILED
    assert result.error == (
        "Connected, but these tables are missing: cli_woocommerce_order_itemmeta. Check the table prefix."
    )
    assert snapshot(company_a) == [[], [], [], [], [], []]


def test_the_cart_table_and_phone_column_are_company_settings(site, company_a):
    """A `cli_woo_cart_abandonment` table (a CartFlows fork) with a `phone` column: the column wins over other_fields."""
    cart(site, "fork-1", "(21) 90000-0000", table="woo_cart_abandonment", phone="11 98765-4321")
    cart(site, "plugin-1", "(21) 90000-0000")  # the plugin's own table is not read any more
    company_setting_set(company=company_a, key="wc_cart_table", value="woo_cart_abandonment", value_type="string")
    company_setting_set(company=company_a, key="wc_cart_phone_column", value="phone", value_type="string")

    result = run(company_a, "carts")

    imported = Cart.objects.for_company(company_a).select_related("customer").get()
    assert result.summary["carts"]["created"] == 1
    assert (imported.external_id, imported.customer.phone) == ("fork-1", "+5511987654321")


def _lose_the_source_at_the_second_write(monkeypatch) -> list[str]:
    """orders_write of the second batch writes, then fails as a lost source would, before its commit.
    Returns the names of the threads that wrote."""
    monkeypatch.setattr(woo_imports, "BATCH_SIZE", 1)
    writers = []
    real_write = woo_imports.orders_write
    counting = threading.Lock()

    def write_then_lose_the_source(**kwargs):
        real_write(**kwargs)
        with counting:
            writers.append(threading.current_thread().name)
            second = len(writers) == 2
        if second:
            writers.append(f"failed:{kwargs['prepared'].staged[0][0]}")  # the batch that rolls back
            raise RetryableError("read orders failed (MySQL error 2013): Lost connection to server during query")

    monkeypatch.setattr(woo_imports, "orders_write", write_then_lose_the_source)
    return writers


def _only_the_first_batch_was_kept(result, company):
    assert result.status == ImportRun.Status.FAILED
    assert "Lost connection" in result.error
    assert result.summary["orders"]["created"] == 1  # counts only what was committed
    imported = Order.objects.for_company(company).get()
    items = OrderItem.objects.for_company(company).filter(order=imported).count()
    assert (imported.external_id, items) == ("101", 2)  # the whole first batch's orders, nothing else
    # A batch's customers are committed before its orders are written (orders_prepare): the second
    # batch's customer stays, and so may the third's, prepared while the second was being written.
    assert 2 <= Customer.objects.for_company(company).count() <= 3


def test_a_source_lost_midway_keeps_whole_batches_only(site, company_a, monkeypatch):
    for n in range(3):
        order(site, 101 + n, f"1198765432{n}")
    writers = _lose_the_source_at_the_second_write(monkeypatch)

    result = run(company_a, "orders")

    _only_the_first_batch_was_kept(result, company_a)
    assert writers == [threading.current_thread().name] * 2 + ["failed:102"]  # in a transaction: here, in turn


# Committed for real: the orders are written behind, by another thread on its own connection, which
# sees only committed rows.
@pytest.mark.django_db(transaction=True)
def test_orders_written_behind_by_another_connection_match_the_source(site, company_a, monkeypatch, postgres_only):
    for n in range(5):
        order(site, 101 + n, f"1198765432{n}", email=f"p{n}@example.com")
    order(site, 106, "11987654320", status="checkout-draft")
    monkeypatch.setattr(woo_imports, "BATCH_SIZE", 2)
    writers = []
    real_write = woo_imports.orders_write
    monkeypatch.setattr(
        woo_imports,
        "orders_write",
        lambda **kwargs: writers.append(threading.current_thread().name) or real_write(**kwargs),
    )

    first = run(company_a, "orders")
    again = run(company_a, "orders")

    assert first.status == ImportRun.Status.SUCCEEDED, first.error
    assert set(writers) == {"import-write-behind"}
    assert {k: first.summary["orders"][k] for k in ("created", "updated", "skipped", "ignored")} == {
        "created": 5, "updated": 0, "skipped": 0, "ignored": 1,
    }  # fmt: skip
    assert (again.summary["orders"]["created"], again.summary["orders"]["skipped"]) == (0, 5)
    orders = Order.objects.for_company(company_a).select_related("customer").order_by("external_id")
    items = OrderItem.objects.for_company(company_a)
    assert [(o.external_id, o.customer.email, items.filter(order=o).count()) for o in orders] == [
        (str(101 + n), f"p{n}@example.com", 2) for n in range(5)
    ]
    assert not [t for t in threading.enumerate() if t.name.startswith("import-")]  # none left behind


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_behind_fails_the_run_and_keeps_whole_batches_only(
    site, company_a, monkeypatch, postgres_only
):
    """Two writers may commit batches out of order: the failed batch is not there at all, and each
    batch that is, is there whole and counted."""
    for n in range(3):
        order(site, 101 + n, f"1198765432{n}")
    writers = _lose_the_source_at_the_second_write(monkeypatch)

    result = run(company_a, "orders")

    assert result.status == ImportRun.Status.FAILED
    assert "Lost connection" in result.error
    (failed,) = [name.removeprefix("failed:") for name in writers if name.startswith("failed:")]
    present = set(Order.objects.for_company(company_a).values_list("external_id", flat=True))
    assert failed not in present and present <= {"101", "102", "103"} and len(present) >= 1
    assert result.summary["orders"]["created"] == len(present)
    assert OrderItem.objects.for_company(company_a).count() == 2 * len(present)
    assert {name for name in writers if not name.startswith("failed:")} == {"import-write-behind"}
    assert not [t for t in threading.enumerate() if t.name.startswith("import-")]


# --- Credentials and SSH ---------------------------------------------------------------------------


def test_a_password_stored_in_plain_text_is_refused(site, company_a):
    with pytest.raises(ValidationError):  # it can no longer be saved so...
        company_setting_set(company=company_a, key="wp_db_password", value="hunter2", value_type="string")
    CompanySettingFactory(company=company_a, key="wp_db_password", value="hunter2")  # ...as older rows hold it

    with translation.override("en"):
        result = run(company_a, "orders")

    assert result.status == ImportRun.Status.FAILED
    assert "wp_db_password" in result.error and "secret" in result.error
    assert "hunter2" not in result.error


def test_import_through_the_ssh_tunnel_configured_in_the_company_settings(site, company_a):
    key = paramiko.RSAKey.generate(2048)
    gateway = SSHGateway(user="deploy", password="gateway-pass", public_key=key)
    try:
        lead(site, "(11) 98765-4321")
        order(site, 101, "(11) 98765-4321")
        configure_ssh_tunnel(company_a, gateway.port)

        leads, orders = run(company_a, "leads"), run(company_a, "orders")
    finally:
        gateway.close()

    assert (leads.status, orders.status) == ("succeeded", "succeeded"), (leads.error, orders.error)
    assert gateway.accepted_forwards == 2
    assert Lead.objects.for_company(company_a).get().customer == Order.objects.for_company(company_a).get().customer
