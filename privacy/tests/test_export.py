"""A person's export holds every row of theirs in every app, the files they sent, and nothing of anybody else."""

import json
import zipfile

from carts.models import Cart, CartItem
from conversations.models import Conversation, Message, ReceivedFile
from flows.models import FlowPosition
from leads.models import Lead
from orders.models import Order, OrderItem, Payment
from privacy.services import person_data_export
from privacy.tests.people import (
    ADDRESS,
    BETO_NAME,
    BETO_PHONE,
    COMPANY_B_NAME,
    COMPANY_B_TEXT,
    DOCUMENT,
    EMAIL,
    ERP_ERROR,
    GREETING,
    NAME,
)
from tenants.scoping import company_scope


def read_export(company, customer):
    export = person_data_export(company=company, customer=customer)
    with export.file, zipfile.ZipFile(export.file) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return export.counts, json.loads(files.pop("dados.json")), files


def ids(document, label):
    return sorted(row["id"] for row in document["rows"][label])


def test_the_export_holds_each_row_of_the_person_and_nothing_of_anybody_else(world, company_a):
    marisol = world.marisol.customer

    counts, document, files = read_export(company_a, marisol)

    with company_scope(company_a):
        conversation = Conversation.objects.get(customer=marisol)
        orders = Order.objects.filter(customer=marisol)
        expected = {
            "customers.customer": [marisol.pk],
            "leads.lead": list(Lead.objects.filter(customer=marisol).values_list("pk", flat=True)),
            "conversations.conversation": [conversation.pk],
            "conversations.message": list(
                Message.objects.filter(conversation=conversation).values_list("pk", flat=True)
            ),
            "conversations.receivedfile": list(
                ReceivedFile.objects.filter(conversation=conversation).values_list("pk", flat=True)
            ),
            "conversations.inboundevent": world.marisol.event_ids,
            "flows.flowposition": list(
                FlowPosition.objects.filter(conversation=conversation).values_list("pk", flat=True)
            ),
            "carts.cart": list(Cart.objects.filter(customer=marisol).values_list("pk", flat=True)),
            "carts.cartitem": list(CartItem.objects.filter(cart__customer=marisol).values_list("pk", flat=True)),
            "orders.order": list(orders.values_list("pk", flat=True)),
            "orders.orderitem": list(OrderItem.objects.filter(order__in=orders).values_list("pk", flat=True)),
            "orders.payment": list(Payment.objects.filter(order__in=orders).values_list("pk", flat=True)),
        }
        sources = sorted(Cart.objects.filter(customer=marisol).values_list("source", flat=True))
        order_sources = sorted(orders.values_list("source", flat=True))
    # Every app contributed, through the real pipeline: bot and WooCommerce carts and orders, one lead.
    assert sources == ["whatsapp", "woocommerce"]
    assert order_sources == ["whatsapp", "woocommerce"]
    assert len(expected["leads.lead"]) == 1 and len(expected["orders.payment"]) == 1
    assert len(expected["conversations.receivedfile"]) == 1 and len(expected["flows.flowposition"]) == 1
    for label, pks in expected.items():
        assert ids(document, label) == sorted(pks), label
        assert counts[label] == len(pks), label
    # The rows carry their columns: who she is, what she wrote, where she lives, what the ERP said.
    (customer,) = document["rows"]["customers.customer"]
    assert (customer["name"], customer["phone"], customer["email"]) == (NAME, "+5511987654321", EMAIL)
    texts = [row["text"] for row in document["rows"]["conversations.message"]]
    assert GREETING in texts and ADDRESS in texts
    assert document["rows"]["conversations.conversation"][0]["variables"]["endereco"] == ADDRESS
    assert ERP_ERROR in [row["erp_error"] for row in document["rows"]["orders.order"]]
    assert ADDRESS in [row["address"] for row in document["rows"]["orders.order"]]
    assert sorted(document["identities"]["phones"]) == ["+551187654321", "+5511987654321"]
    # The document she sent, byte for byte.
    (entry,) = document["files"]
    assert files[entry["path"]] == DOCUMENT
    # Nothing of Beto (same company) or of company B's customer with her very phone.
    text = json.dumps(document, ensure_ascii=False)
    for foreign in (BETO_NAME, BETO_PHONE, COMPANY_B_NAME, COMPANY_B_TEXT, "loja-b"):
        assert foreign not in text, foreign
    assert world.other_company_customer.pk not in ids(document, "customers.customer")
