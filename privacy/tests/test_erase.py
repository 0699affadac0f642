"""Erasing a person leaves nothing of theirs in the database (read with pg_dump) or on disk, keeps the
shop's orders and payments anonymised with their totals, and touches nobody else.

Transactional: pg_dump reads the database from its own connection, so the rows must be committed
(.ci/run installs postgresql-client when pg_dump is missing).
"""

import pytest

from carts.models import Cart
from conversations.models import Conversation, InboundEvent, Message
from customers.models import Customer
from flows.models import FlowPosition
from integrations.wordpress.tests.builders import WordPressSite
from leads.models import Lead
from orders.models import Order, OrderItem, Payment
from privacy.models import PrivacyRequest
from privacy.services import person_erase
from privacy.tests.people import (
    COMPANY_B_NAME,
    COMPANY_B_TEXT,
    DOCUMENT,
    NAME,
    NEEDLES,
    PHONE,
    store_import,
)
from tenants.scoping import company_scope
from tests.test_secrets_full_run import dump_database as pg_dump

pytestmark = pytest.mark.django_db(transaction=True)
REASON = "Pedido do titular por e-mail em 2025-03-01"


def media_bytes(root) -> bytes:
    return b"\n".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


def rows_of(company, customer_ids) -> dict:
    """Every row of these customers (and of their conversations), column by column."""
    with company_scope(company):
        conversations = Conversation.objects.filter(customer__in=customer_ids)
        orders = Order.objects.filter(customer__in=customer_ids)
        return {
            model.__name__: list(rows.order_by("pk").values())
            for model, rows in (
                (Customer, Customer.objects.filter(pk__in=customer_ids)),
                (Conversation, conversations),
                (Message, Message.objects.filter(conversation__in=conversations)),
                (FlowPosition, FlowPosition.objects.filter(conversation__in=conversations)),
                (Cart, Cart.objects.filter(customer__in=customer_ids)),
                (Order, orders),
                (OrderItem, OrderItem.objects.filter(order__in=orders)),
                (Payment, Payment.objects.filter(order__in=orders)),
                (InboundEvent, InboundEvent.objects.all() if company.slug == "loja-b" else InboundEvent.objects.none()),
            )
        }


def company_b_line(line: str) -> bool:
    return COMPANY_B_NAME in line or COMPANY_B_TEXT in line


def test_nothing_of_the_person_is_left_and_the_books_still_add_up(
    world, company_a, company_b, media_root, postgres_only
):
    marisol = world.marisol.customer
    with company_scope(company_a):
        orders = list(
            Order.objects.filter(customer=marisol).order_by("pk").values("pk", "total", "subtotal", "delivery_fee")
        )
        items = list(
            OrderItem.objects.filter(order__customer=marisol).order_by("pk").values("pk", "name", "quantity", "total")
        )
        payments = list(Payment.objects.filter(order__customer=marisol).order_by("pk").values("pk", "amount", "status"))
    beto_before = rows_of(company_a, [world.beto.customer.pk])
    company_b_before = rows_of(company_b, [world.other_company_customer.pk])
    dump_before, files_before = pg_dump(), media_bytes(media_root)
    # The needles are there to be found, in the shapes the dump and the disk hold them.
    assert [n for n in NEEDLES if n not in dump_before and n.encode() not in files_before] == []
    assert DOCUMENT in files_before

    record = person_erase(company=company_a, customer=marisol, reason=REASON, requested_by="manager-a")

    dump_after, files_after = pg_dump(), media_bytes(media_root)
    left = {
        needle: [line for line in dump_after.splitlines() if needle in line and not company_b_line(line)]
        for needle in NEEDLES
    }
    assert {needle: lines for needle, lines in left.items() if lines} == {}
    assert [needle for needle in NEEDLES if needle.encode() in files_after] == []
    assert files_after == b""  # the document she sent and nothing else was on disk
    # Orders and payments stay for the books: same rows, same money, nobody's name on them.
    with company_scope(company_a):
        kept = list(Order.objects.filter(pk__in=[o["pk"] for o in orders]).order_by("pk"))
        assert [
            {"pk": o.pk, "total": o.total, "subtotal": o.subtotal, "delivery_fee": o.delivery_fee} for o in kept
        ] == orders
        assert [(o.customer_id, o.address, o.neighbourhood, o.erp_error) for o in kept] == [(None, "", "", "")] * 2
        assert (
            list(
                OrderItem.objects.filter(pk__in=[i["pk"] for i in items])
                .order_by("pk")
                .values("pk", "name", "quantity", "total")
            )
            == items
        )
        assert (
            list(
                Payment.objects.filter(pk__in=[p["pk"] for p in payments])
                .order_by("pk")
                .values("pk", "amount", "status")
            )
            == payments
        )
        assert not Customer.objects.filter(pk=marisol.pk).exists()
    # Nobody else lost or changed a thing.
    assert rows_of(company_a, [world.beto.customer.pk]) == beto_before
    assert rows_of(company_b, [world.other_company_customer.pk]) == company_b_before
    # The erasure record: who, when, why, how many; no personal data (the dump above holds it too).
    record.refresh_from_db()
    assert (record.kind, record.requested_by, record.reason, record.customer_ref) == (
        "erasure",
        "manager-a",
        REASON,
        marisol.pk,
    )
    assert record.counts["anonymised"] == {"orders.order": 2, "orders.payment": 1}
    deleted = record.counts["deleted"]
    assert (deleted["customers.customer"], deleted["leads.lead"], deleted["conversations.receivedfile"]) == (1, 1, 1)
    assert deleted["conversations.inboundevent"] == len(world.marisol.event_ids)
    assert deleted["conversations.message"] > len(world.marisol.message_ids)  # hers and the bot's answers
    assert (deleted["carts.cart"], deleted["flows.flowposition"]) == (2, 1)


def test_after_the_erasure_the_number_starts_afresh_and_the_store_brings_back_only_what_it_holds(world, company_a):
    old = world.marisol.customer
    with company_scope(company_a):
        woo_order = Order.objects.get(customer=old, source="woocommerce")
    person_erase(company=company_a, customer=old, reason=REASON, requested_by="manager-a")

    world.chat.say(None, PHONE, "voltei")
    _store_forgets_the_lead(world.store)
    store_import(company_a, world.store)

    with company_scope(company_a):
        fresh = Customer.objects.get(phone=f"+{PHONE}")
        messages = list(
            Message.objects.filter(conversation__customer=fresh, direction="in").values_list("text", flat=True)
        )
        woo_order.refresh_from_db()
        carts = list(Cart.objects.filter(customer=fresh).values_list("source", flat=True))
        leads = Lead.objects.filter(customer=fresh).count()
    assert fresh.pk != old.pk
    assert fresh.name != NAME  # the new message carried no name; the store's spelling filled the blank
    assert fresh.name == "Marisol Bastos"
    assert messages == ["voltei"]  # nothing of the old conversation
    assert woo_order.customer_id == fresh.pk  # the store still has the order: linked again, by its phone
    assert carts == ["woocommerce"]  # the store's abandoned cart; the bot cart is gone for good
    assert leads == 0  # the store erased its form entry: it does not come back
    assert PrivacyRequest.objects.for_company(company_a).count() == 1


def _store_forgets_the_lead(site: WordPressSite) -> None:
    site.execute("DELETE FROM {p}fv_entry_meta")
    site.execute("DELETE FROM {p}fv_enteries")
