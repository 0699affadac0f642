"""A Meta catalog order (the `order.json` sample) through the real webhook, the worker's apply and the
processing run, into the customer's open cart at our catalog's prices."""

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from carts.catalog_order import order_lines
from carts.models import Cart, CartItem
from catalog.tests.factories import ProductFactory
from conversations.models import Message
from conversations.tasks import message_send_task
from conversations.tests.conftest import make_channel
from integrations.messaging.tests.support import payload
from tenants.scoping import company_scope
from tests.test_end_to_end_bot import Worker

CREDENTIALS = {"token": "t", "phone_number_id": "1122334455667", "app_secret": "s3cret", "verify_token": "vt"}


@pytest.fixture
def shop(company_a, monkeypatch, django_capture_on_commit_callbacks):
    company_a.message_debounce_seconds = 0
    company_a.save()
    worker = Worker(monkeypatch, django_capture_on_commit_callbacks)
    monkeypatch.setattr(message_send_task, "apply_async", lambda *args, **kwargs: None)  # the Graph API is not called
    channel = make_channel(company_a, provider="meta_cloud", credentials=CREDENTIALS)
    return company_a, channel, worker


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def post(shop, items, message_id="wamid.order"):
        company, channel, worker = shop
        body = payload("meta_cloud", "order")
        message = body["entry"][0]["changes"][0]["value"]["messages"][0]
        message["id"] = message_id
        if items is not None:
            message["order"]["product_items"] = items
        data = json.dumps(body).encode()
        signature = "sha256=" + hmac.new(b"s3cret", data, hashlib.sha256).hexdigest()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("webhook", args=[channel.inbound_key]),
                data=data,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=signature,
            )
        assert response.status_code == 200
        worker.drain()
        with company_scope(company):
            return list(Message.objects.filter(direction="out").order_by("id").values_list("text", flat=True))

    return post


def cart_lines(company) -> list[tuple]:
    with company_scope(company):
        return list(
            CartItem.objects.filter(cart__status=Cart.Status.OPEN)
            .order_by("id")
            .values_list("product__sku", "quantity", "unit_price")
        )


def test_matched_items_reach_the_cart_at_our_price_and_unmatched_ids_are_named(shop, deliver):
    company = shop[0]
    ProductFactory(company=company, name="Pizza Calabresa", sku="calabresa", price=Decimal("45.00"))
    ProductFactory(company=company, name="Coca 2L", sku="coca-2l", price=Decimal("12.00"))

    replies = deliver(shop, None)  # the sample: 2x calabresa at 49.90, 1x refri-2l

    assert cart_lines(company) == [("calabresa", 2, Decimal("45.00"))]  # never the payload's 49.90
    assert len(replies) == 1, replies
    assert "Pizza Calabresa" in replies[0]
    assert "refri-2l" in replies[0]  # not for sale here: named
    assert "R$ 90,00" in replies[0]  # the cart, at our price


def test_stock_and_quantity_limits_apply_and_the_rest_is_added(shop, deliver):
    company = shop[0]
    company.max_item_quantity = 5
    company.save()
    ProductFactory(company=company, name="Pizza Calabresa", sku="calabresa", price=Decimal("45.00"), stock=1)
    ProductFactory(company=company, name="Coca 2L", sku="coca-2l", price=Decimal("12.00"))
    ProductFactory(company=company, name="Suco", sku="suco", price=Decimal("8.00"))
    items = [
        {"product_retailer_id": "calabresa", "quantity": 2, "item_price": 45, "currency": "BRL"},
        {"product_retailer_id": "coca-2l", "quantity": 9, "item_price": 12, "currency": "BRL"},
        {"product_retailer_id": "suco", "quantity": 3, "item_price": 1, "currency": "BRL"},
    ]

    (reply,) = deliver(shop, items)

    assert cart_lines(company) == [("suco", 3, Decimal("8.00"))]
    assert "we only have 1 of Pizza Calabresa" in reply or "só temos 1 de Pizza Calabresa" in reply, reply
    assert "5" in reply  # at most 5 of each item


def test_an_order_of_products_not_for_sale_adds_nothing_and_says_so(shop, deliver):
    company = shop[0]
    ProductFactory(company=company, name="Pizza Calabresa", sku="calabresa", active=False)

    (reply,) = deliver(shop, None)

    assert cart_lines(company) == []
    assert "calabresa" in reply and "refri-2l" in reply


def test_order_lines_skip_the_note():
    assert order_lines("2x calabresa\n1x refri 2l\nsem cebola, por favor") == [("calabresa", 2), ("refri 2l", 1)]
