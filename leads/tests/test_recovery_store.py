"""Recovery that agrees with the store (issue 21), end to end from a MariaDB built with the real plugin
tables: which WooCommerce statuses are orders, one person with several phones and e-mails, text that
is not an e-mail, damaged serialized carts, the site's time zone, Form Vibes keys, per-row results.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from carts.models import Cart, CartItem
from customers.models import Customer, CustomerIdentity, CustomerLink
from integrations.wordpress.tests.builders import (
    add_cart,
    add_hpos_order,
    add_shoe_store_products,
    cart_contents,
    other_fields,
    set_option,
)
from leads.models import Lead
from leads.recovery import filter_recovery_status, recovery_refresh, recovery_summary, with_recovery
from leads.services.imports import format_summary
from leads.services.merge import customers_merge_two
from leads.tests.test_import_end_to_end import MAPPING, cart, lead, order, run
from leads.tests.woo_site import configure_source, woo_site
from orders.models import Order
from tenants.services import company_setting_set

PREFIX = "rc_"  # this file's own prefix (the database name is random per test)
LATER = datetime(2024, 6, 1, tzinfo=UTC)
WIDE = (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))


@pytest.fixture
def site(mysql_url, company_a):
    with woo_site(mysql_url, PREFIX) as site:
        configure_source(company_a, site.source, **MAPPING)
        add_shoe_store_products(site)
        yield site


def statuses(company, now=LATER) -> dict[str, str]:
    carts = with_recovery(Cart.objects.for_company(company), company, now=now)
    return dict(carts.values_list("external_id", "recovery_status"))


# --- 1. Which WooCommerce statuses are orders ---------------------------------------------------


def test_block_checkout_drafts_auto_drafts_and_trash_are_not_orders(site, company_a):
    cart(site, "s1", "(11) 98765-4321", time_local="2024-03-10 10:00:00")
    # Opening the block checkout writes a draft order; it is no purchase and must not recover the cart.
    order(site, 101, "(11) 98765-4321", created_gmt="2024-03-10 13:05:00", status="wc-checkout-draft")
    order(site, 102, "(11) 98765-4321", created_gmt="2024-03-10 13:06:00", status="auto-draft")
    order(site, 103, "(11) 98765-4321", created_gmt="2024-03-10 13:07:00", status="trash")
    order(site, 104, "(21) 99876-5432", created_gmt="2024-03-11 13:00:00", status="wc-completed")

    result = run(company_a, "all")

    assert result.status == "succeeded", result.error
    assert result.summary["orders"]["created"] == 1
    assert result.summary["orders"]["ignored"] == 3
    assert list(Order.objects.for_company(company_a).values_list("external_id", flat=True)) == ["104"]
    assert statuses(company_a) == {"s1": "abandoned"}
    figures = recovery_summary(company_a, now=LATER)
    assert (figures["orders"], figures["average_ticket"], figures["recovered_revenue"]) == (
        1,
        Decimal("359.70"),
        Decimal("0.00"),
    )
    with translation.override("en"):
        assert "3 ignored (not orders" in format_summary(result)


def test_an_order_imported_while_a_draft_then_trashed_is_removed(site, company_a):
    order(site, 101, "(11) 98765-4321", status="wc-pending")
    run(company_a, "orders")
    site.execute("UPDATE {p}posts SET post_status = 'trash' WHERE ID = 101")

    result = run(company_a, "orders")

    assert result.summary["orders"]["ignored"] == 1
    assert not Order.objects.for_company(company_a).exists()


def test_hpos_checkout_drafts_are_not_orders_either(site, company_a):
    set_option(site, "woocommerce_custom_orders_table_enabled", "yes")
    for order_id, status in ((201, "wc-checkout-draft"), (202, "wc-processing")):
        add_hpos_order(
            site,
            {
                "id": order_id, "status": status, "total": "100.00", "user_id": 0, "email": "ana@example.com",
                "first_name": "Ana", "last_name": "Souza", "phone": "11987654321", "created_gmt": "2024-03-10 15:00:00",
                "items": [("Tênis Côrrida - 38", 30, 31, 1, "100.00")],
            },
        )  # fmt: skip

    result = run(company_a, "orders")

    imported = Order.objects.for_company(company_a).get()
    assert (imported.external_id, imported.status, imported.external_status) == ("202", "paid", "processing")
    assert result.summary["orders"]["ignored"] == 1


def test_paid_orders_recover_by_default_pending_and_on_hold_only_by_the_company_option(
    site, company_a, django_capture_on_commit_callbacks
):
    for n, status in enumerate(("wc-pending", "wc-on-hold", "wc-processing", "wc-failed")):
        phone = f"(11) 9876{n}-4321"
        cart(site, f"s{n}", phone, time_local="2024-03-10 10:00:00")
        order(site, 100 + n, phone, created_gmt="2024-03-11 13:00:00", status=status)

    run(company_a, "all")

    raw = dict(Order.objects.for_company(company_a).values_list("external_id", "external_status"))
    assert raw == {"100": "pending", "101": "on-hold", "102": "processing", "103": "failed"}
    mapped = dict(Order.objects.for_company(company_a).values_list("external_id", "status"))
    assert mapped == {"100": "pending", "101": "awaiting_payment", "102": "paid", "103": "cancelled"}
    assert statuses(company_a) == {"s0": "abandoned", "s1": "abandoned", "s2": "recovered", "s3": "abandoned"}

    with django_capture_on_commit_callbacks(execute=True):  # saving the switch computes the matches again
        company_setting_set(company=company_a, key="recovery_counts_unpaid_orders", value=True, value_type="boolean")

    assert statuses(company_a) == {"s0": "recovered", "s1": "recovered", "s2": "recovered", "s3": "abandoned"}
    assert recovery_summary(company_a, now=LATER)["recovered_revenue"] == Decimal("1079.10")


# --- 2. One person, several phones and e-mails ----------------------------------------------------


def test_a_person_with_two_emails_and_two_phones_across_leads_carts_and_orders(site, company_a):
    """Ana signs up with phone 1 + e-mail 1, abandons a cart with phone 2 + e-mail 1, buys with phone 2 +
    e-mail 2, abandons another cart with e-mail 2 only, and buys again with phone 1 and no e-mail."""
    lead(site, "(11) 98765-4321", email="ana@example.com")
    cart(site, "first", "(21) 99876-5432", email="Ana@Example.com", time_local="2024-03-10 10:00:00")
    order(site, 101, "(21) 99876-5432", email="ana.souza@trabalho.com", created_gmt="2024-03-12 13:00:00")
    cart(site, "second", "", email="ana.souza@trabalho.com", time_local="2024-04-01 10:00:00")
    order(site, 102, "11 98765-4321", email="", created_gmt="2024-04-03 13:00:00")

    run(company_a, "leads", *WIDE)
    run(company_a, "all", *WIDE)

    # Carts go in before orders: the second cart (e-mail 2 alone) made a customer of its own, and order
    # 101 (phone 2 = Ana's, e-mail 2 = that customer's) recorded the link between the two.
    ana, other = sorted(Customer.objects.for_company(company_a), key=lambda c: c.pk)
    link = CustomerLink.objects.for_company(company_a).get()
    assert (link.customer_id, link.other_id) == (ana.pk, other.pk)
    assert statuses(company_a) == {"first": "recovered", "second": "abandoned"}

    customers_merge_two(company=company_a, customers=[ana, other])  # staff: "one person"

    identities = set(CustomerIdentity.objects.for_company(company_a).values_list("customer_id", "kind", "value"))
    assert identities == {
        (ana.pk, "phone", "+5511987654321"),
        (ana.pk, "phone", "+5521998765432"),
        (ana.pk, "email", "ana@example.com"),
        (ana.pk, "email", "ana.souza@trabalho.com"),
    }
    # Every record keeps the contact data it was recorded with.
    carts = {c.external_id: c for c in Cart.objects.for_company(company_a)}
    assert (carts["first"].contact_email, carts["first"].contact_phone) == ("ana@example.com", "+5521998765432")
    assert (carts["second"].contact_email, carts["second"].contact_phone) == ("ana.souza@trabalho.com", "")
    orders = {o.external_id: o for o in Order.objects.for_company(company_a)}
    assert (orders["101"].contact_email, orders["101"].contact_phone) == ("ana.souza@trabalho.com", "+5521998765432")
    assert (orders["102"].contact_email, orders["102"].contact_phone) == ("", "+5511987654321")
    assert Lead.objects.for_company(company_a).get().email == "ana@example.com"
    assert statuses(company_a) == {"first": "recovered", "second": "recovered"}
    assert {c.external_id: c.recovery_order.external_id for c in carts.values()} == {"first": "101", "second": "102"}


def test_own_contact_data_matches_even_when_the_customers_differ(company_a):
    """Identities are per person; a cart whose e-mail is another customer's identity matches that
    customer's orders (the record brought the two together; the link is recorded)."""
    from customers.services import Person, customers_resolve

    bia, ana = customers_resolve(
        company=company_a,
        people=[Person(phone_raw="21 99876-5432", email="bia@example.com"), Person(email="ana@example.com")],
    )[0]
    both = customers_resolve(company=company_a, people=[Person(phone_raw="21 99876-5432", email="ana@example.com")])[0]

    assert both == [bia]
    link = CustomerLink.objects.for_company(company_a).get()
    assert {link.customer_id, link.other_id} == {bia.pk, ana.pk}
    cart_at = datetime(2024, 3, 10, tzinfo=UTC)
    Cart.objects.for_company(company_a).create(
        company=company_a, customer=bia, source="woocommerce", external_id="c", external_status="abandoned",
        status="abandoned", contact_email="ana@example.com", contact_phone="+5521998765432", last_activity_at=cart_at,
    )  # fmt: skip
    Order.objects.for_company(company_a).create(
        company=company_a, customer=ana, status="completed", placed_at=cart_at + timedelta(days=1), total=10
    )
    recovery_refresh(company_a)

    assert statuses(company_a) == {"c": "recovered"}


def test_merging_two_customers_moves_every_row_and_recovers_their_carts(site, company_a):
    cart(site, "s1", "(11) 98765-4321", email="", time_local="2024-03-10 10:00:00")
    order(site, 101, "", email="ana@example.com", created_gmt="2024-03-11 13:00:00")
    lead(site, "", email="ana@example.com")
    run(company_a, "all")
    run(company_a, "leads")
    by_phone, by_email = sorted(Customer.objects.for_company(company_a), key=lambda c: c.pk)
    assert statuses(company_a) == {"s1": "abandoned"}  # nothing says they are one person yet

    keep, moved = customers_merge_two(company=company_a, customers=[by_email, by_phone])

    assert keep == by_phone
    assert list(Customer.objects.for_company(company_a)) == [by_phone]
    assert moved["orders.order"] == 1 and moved["leads.lead"] == 1
    for model in (Cart, Order, Lead):
        assert set(model.objects.for_company(company_a).values_list("customer_id", flat=True)) == {by_phone.pk}
    assert set(CustomerIdentity.objects.for_company(company_a).values_list("value", flat=True)) == {
        "+5511987654321",
        "ana@example.com",
    }
    assert statuses(company_a) == {"s1": "recovered"}


def test_the_admin_merges_two_selected_customers(admin_client_a, company_a):
    from customers.services import Person, customers_resolve

    people = customers_resolve(company=company_a, people=[Person(phone_raw="11987654321"), Person(email="a@b.com")])[0]

    response = admin_client_a.post(
        "/admin/customers/customer/",
        {"action": "merge_customers", "_selected_action": [c.pk for c in people]},
    )

    assert response.status_code == 302
    assert Customer.objects.for_company(company_a).count() == 1
    page = admin_client_a.get(f"/admin/customers/customer/{people[0].pk}/change/").content.decode()
    assert "a@b.com" in page and "+5511987654321" in page


def test_nao_tenho_typed_by_three_people_identifies_nobody(site, company_a):
    for n, phone in enumerate(("(11) 98765-4321", "(21) 99876-5432", "")):
        lead(site, phone, email="nao tenho", name=f"Pessoa {n}")
        cart(site, f"s{n}", phone, email="nao tenho", time_local="2024-03-10 10:00:00")
    order(site, 101, "", email="nao tenho", created_gmt="2024-03-11 13:00:00")

    run(company_a, "leads")
    run(company_a, "all")

    customers = Customer.objects.for_company(company_a)
    assert sorted(customers.values_list("phone", "email")) == [("+5511987654321", ""), ("+5521998765432", "")]
    assert not CustomerIdentity.objects.for_company(company_a).filter(kind="email").exists()
    assert set(Lead.objects.for_company(company_a).values_list("email", flat=True)) == {"nao tenho"}  # kept as typed
    assert Lead.objects.for_company(company_a).filter(customer__isnull=True).count() == 1
    assert set(Cart.objects.for_company(company_a).values_list("contact_email", flat=True)) == {"nao tenho"}
    assert Order.objects.for_company(company_a).get().customer is None
    assert statuses(company_a) == {"s0": "abandoned", "s1": "abandoned", "s2": "abandoned"}


def test_status_filter_equals_the_summary_figures(site, company_a):
    cart(site, "r", "(11) 98765-4321", time_local="2024-03-10 10:00:00")
    order(site, 101, "(11) 98765-4321", created_gmt="2024-03-11 13:00:00")
    cart(site, "a", "(21) 99876-5432", time_local="2024-03-12 10:00:00")
    cart(site, "c", "(31) 99876-5432", time_local="2024-03-13 10:00:00", status="completed")
    run(company_a, "all")
    now = datetime(2024, 4, 12, tzinfo=UTC)  # "a" just closed its window... not yet: 30 d after 03-12 13:00

    figures = recovery_summary(company_a, now=now)
    carts = Cart.objects.for_company(company_a)

    for status in ("recovered", "waiting", "abandoned"):
        assert filter_recovery_status(carts, status, now=now).count() == figures[status], status
    assert figures["recovered"] == 2


# --- 3. Damaged serialized carts ----------------------------------------------------------------------


def _character_counts(serialized: bytes) -> bytes:
    """What a charset conversion leaves: every s:N counting characters, not UTF-8 bytes."""
    text = serialized.decode("utf-8")
    return re.sub(r's:(\d+):"(.*?)";', lambda m: f's:{len(m.group(2))}:"{m.group(2)}";', text).encode("utf-8")


def test_byte_counts_broken_by_a_charset_conversion_are_read_leniently(site, company_a):
    fields = _character_counts(other_fields("João", "Conceição", "(11) 98765-4321", city="São Paulo"))
    assert b's:13:"BR, S\xc3\xa3o Paulo"' in fields  # 13 characters, 14 bytes: strict PHP reading fails
    contents = cart_contents([(16, 0, {"attribute_pa_cor": "Azul-marinho"}, 2, 59.8, "WC_Product_Simple")])
    add_cart(
        site, session_id="converted", time_local="2024-03-10 10:00:00", contents=contents, fields=fields, total="59.80"
    )
    # The same site converted from latin-1 the other way: text encoded twice, counts from before.
    twice = other_fields("Íris", "Ávila", "(21) 99876-5432").decode("latin-1").encode("utf-8")
    add_cart(
        site,
        session_id="twice",
        time_local="2024-03-10 11:00:00",
        contents="",
        fields=twice,
        total="10.00",
        email="iris@example.com",
    )

    result = run(company_a, "carts")

    assert result.summary["carts"]["created"] == 2 and "warnings" not in result.summary["carts"], result.summary
    carts = {c.external_id: c for c in Cart.objects.for_company(company_a).select_related("customer")}
    assert (carts["converted"].customer.name, carts["converted"].customer.phone) == ("João Conceição", "+5511987654321")
    assert carts["converted"].import_warning == ""
    assert carts["twice"].customer.name == "Íris Ávila"


def test_truncated_serialized_data_imports_the_cart_from_its_columns_with_a_warning(site, company_a):
    contents = cart_contents([(16, 0, {}, 2, 59.8, "WC_Product_Simple")])
    row_id = add_cart(
        site, session_id="cut", time_local="2024-03-10 10:00:00", contents=contents[:70],
        fields=other_fields("Ana", "Souza", "(11) 98765-4321")[:120], total="59.80", email="ana@example.com",
    )  # fmt: skip

    with translation.override("en"):
        result = run(company_a, "carts")
        text = format_summary(result)

    imported = Cart.objects.for_company(company_a).select_related("customer").get()
    assert (result.summary["carts"]["created"], result.summary["carts"]["failed"]) == (1, 0)
    assert (imported.external_total, imported.customer.email) == (Decimal("59.80"), "ana@example.com")
    assert not CartItem.objects.for_company(company_a).exists()
    warning = imported.import_warning
    assert warning.startswith(f"Cart row {row_id} (ana@example.com, 10/03/2024 10:00): cart_contents: not valid PHP")
    assert "other_fields: not valid PHP" in warning
    assert result.summary["carts"]["warnings"] == [warning]
    assert f"  ! {warning}" in text


# --- 4. The site's time zone ----------------------------------------------------------------------------


def test_a_time_zone_set_only_in_wordpress_is_used(site, company_a):
    """The company has no wp_timezone; WordPress says UTC-4 (a manual offset: timezone_string empty)."""
    set_option(site, "timezone_string", "")
    set_option(site, "gmt_offset", "-4")
    cart(site, "s1", "(92) 98765-4321", time_local="2024-03-10 22:30:00")

    with translation.override("en"):
        result = run(company_a, "carts")
        text = format_summary(result)

    assert Cart.objects.for_company(company_a).get().last_activity_at == datetime(2024, 3, 11, 2, 30, tzinfo=UTC)
    assert result.summary["timezone"] == {"name": "UTC-04:00", "source": "wordpress"}
    assert "Site time zone: UTC-04:00 (from WordPress)" in text


def test_a_wordpress_zone_name_and_the_company_setting_winning_over_it(site, company_a):
    set_option(site, "timezone_string", "America/Manaus")
    set_option(site, "gmt_offset", "0")
    cart(site, "s1", "(92) 98765-4321", time_local="2024-03-10 22:30:00")

    result = run(company_a, "carts")

    assert result.summary["timezone"] == {"name": "America/Manaus", "source": "wordpress"}
    assert Cart.objects.for_company(company_a).get().last_activity_at == datetime(2024, 3, 11, 2, 30, tzinfo=UTC)
    company_setting_set(company=company_a, key="wp_timezone", value="America/Sao_Paulo", value_type="string")

    again = run(company_a, "carts")

    assert again.summary["timezone"] == {"name": "America/Sao_Paulo", "source": "setting"}
    assert Cart.objects.for_company(company_a).get().last_activity_at == datetime(2024, 3, 11, 1, 30, tzinfo=UTC)


# --- 6. Form Vibes mapping --------------------------------------------------------------------------------


def test_a_mapped_form_vibes_key_differing_in_case_and_accents_still_maps(site, company_a):
    company_setting_set(company=company_a, key="fv_field_whatsapp", value="WhatsApp_8", value_type="string")
    company_setting_set(company=company_a, key="fv_field_nome", value="NOME_3", value_type="string")
    lead(site, "(11) 98765-4321", name="Ana")  # stored as Whatsapp_8 / Nome_3

    result = run(company_a, "leads")

    imported = Lead.objects.for_company(company_a).get()
    assert (imported.name, imported.phone) == ("Ana", "+5511987654321")
    assert "Whatsapp_8" not in imported.extra and "Nome_3" not in imported.extra
    assert "warnings" not in result.summary["leads"]


def test_a_mapped_key_in_no_entry_is_warned_naming_the_keys_found(site, company_a):
    company_setting_set(company=company_a, key="fv_field_whatsapp", value="Celular_5", value_type="string")
    lead(site, "(11) 98765-4321", email="ana@example.com")

    with translation.override("en"):
        result = run(company_a, "leads")

    assert result.summary["leads"]["warnings"] == [
        "The field Celular_5 (setting fv_field_whatsapp) is in none of the entries; their fields are: "
        "Cidade_5, E-mail_4, Nome_3, Numero_do_sapato_9, Whatsapp_8"
    ]
    assert Lead.objects.for_company(company_a).get().phone == ""


def test_the_keys_found_at_the_source_for_the_settings_form(site, company_a, api_client_a, company_b):
    lead(site, "(11) 98765-4321", email="ana@example.com")

    body = api_client_a.get("/api/formvibes-keys/").json()

    assert body == {"keys": ["Cidade_5", "E-mail_4", "Nome_3", "Numero_do_sapato_9", "Whatsapp_8"], "error": ""}
    from leads.selectors import FormVibesKeysUnavailable, formvibes_keys_found

    with pytest.raises(FormVibesKeysUnavailable):
        formvibes_keys_found(company_b)  # no source configured


# --- 5. Results per row agree with the figures ------------------------------------------------------------


def test_status_recovered_and_the_lead_flag_agree_with_the_summary_figures(
    site, company_a, api_client_a, admin_client_a
):
    cart(site, "matched", "(11) 98765-4321", time_local="2024-03-10 10:00:00")
    order(site, 101, "(11) 98765-4321", created_gmt="2024-03-11 13:00:00")
    cart(site, "plugin", "(31) 99876-5432", time_local="2024-03-13 10:00:00", status="completed")
    cart(site, "left", "(21) 99876-5432", time_local="2024-03-12 10:00:00")
    cart(site, "recent", "(41) 99876-5432", time_local="2099-01-01 10:00:00")  # window still open
    lead(site, "(11) 98765-4321", name="Ana")  # bought (order 101 completed)
    lead(site, "(21) 99876-5432", name="Bia")  # only a cart
    lead(site, "(51) 99876-5432", name="Caio", email="caio@example.com")
    order(site, 102, "", email="caio@example.com", created_gmt="2024-03-20 13:00:00", status="wc-processing")
    run(company_a, "leads", *WIDE)
    run(company_a, "all", WIDE[0], datetime(2100, 1, 1, tzinfo=UTC))

    figures = api_client_a.get("/api/analytics/recovery/").json()
    rows = {
        status: api_client_a.get(f"/api/carts/?{param}={status}").json()["count"]
        for param, status in (("status", "recovered"), ("recovery", "waiting"), ("recovery", "abandoned"))
    }
    listed = {c["external_id"]: c["recovery_status"] for c in api_client_a.get("/api/carts/").json()["results"]}
    lead_figures = api_client_a.get("/api/analytics/leads/").json()
    customers = api_client_a.get("/api/leads/?already_customer=true").json()
    leads = {lead["name"]: lead["is_customer"] for lead in api_client_a.get("/api/leads/").json()["results"]}
    admin_flagged = admin_client_a.get("/admin/leads/lead/?already_customer=yes").content.decode()

    assert (figures["recovered"], figures["waiting"], figures["abandoned"]) == (2, 1, 1)
    assert rows == {"recovered": figures["recovered"], "waiting": figures["waiting"], "abandoned": figures["abandoned"]}
    assert listed == {"matched": "recovered", "plugin": "recovered", "left": "abandoned", "recent": "waiting"}
    assert leads == {"Ana": True, "Bia": False, "Caio": False}  # Caio's order is paid, not completed
    assert customers["count"] == lead_figures["already_customers"] == 1
    assert "Ana" in admin_flagged and "Bia" not in admin_flagged.split("result_list")[-1]


def test_a_merge_that_would_lose_a_row_merges_nothing(company_a):
    from carts.tests.factories import CartFactory
    from customers.services import MergeBlocked
    from customers.tests.factories import CustomerFactory

    ana, other = CustomerFactory(company=company_a), CustomerFactory(company=company_a)
    for person in (ana, other):  # one open bot cart each: a customer may have only one
        CartFactory(company=company_a, customer=person, source="whatsapp", status="open")

    with pytest.raises(MergeBlocked):
        customers_merge_two(company=company_a, customers=[ana, other])

    assert Customer.objects.for_company(company_a).count() == 2
    assert Cart.objects.for_company(company_a).count() == 2
