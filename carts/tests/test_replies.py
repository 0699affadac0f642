from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts.replies import rating_reply_take
from carts.services import cart_add_item, session_list_set
from catalog.tests.factories import ProductFactory
from conversations.handlers import OutboundIntent, bot_handler_replaced, handlers_run
from orders.models import Order
from orders.services import OrderLine, order_place
from orders.tests.conftest import conversation_a, customer_a, outbound_texts  # noqa: F401 - fixtures
from tenants.scoping import company_scope


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # asserts read the msgids


def _asked_order(company, customer, *, asked_minutes_ago=5):
    product = ProductFactory(company=company, price=Decimal("40.00"))
    order = order_place(
        company=company, customer=customer, lines=[OrderLine(product, "Pizza", 1, product.price)], payment_method="cash"
    )
    asked_at = timezone.now() - timedelta(minutes=asked_minutes_ago)
    Order.objects.for_company(company).filter(pk=order.pk).update(
        status="completed", completed_at=asked_at - timedelta(minutes=30), rating_requested_at=asked_at
    )
    return order


def test_rating_answer_is_recorded_and_thanked(company_a, customer_a, conversation_a):  # noqa: F811
    order = _asked_order(company_a, customer_a)

    taken = rating_reply_take(conversation=conversation_a, text="nota 4")

    order.refresh_from_db()
    assert (taken, order.rating) == (True, 4)
    assert outbound_texts(company_a) == ["Thank you for your rating (4/5)!"]
    assert rating_reply_take(conversation=conversation_a, text="5") is False  # answered once
    order.refresh_from_db()
    assert order.rating == 4


def test_digit_without_a_rating_question_is_not_taken(company_a, customer_a, conversation_a):  # noqa: F811
    assert rating_reply_take(conversation=conversation_a, text="2") is False
    assert outbound_texts(company_a) == []


def test_digit_after_a_new_list_or_cart_is_a_pick_not_a_rating(company_a, customer_a, conversation_a):  # noqa: F811
    order = _asked_order(company_a, customer_a)
    session_list_set(company=company_a, customer=customer_a, entries=[{"n": 2, "kind": "zone", "id": 1, "name": "X"}])

    assert rating_reply_take(conversation=conversation_a, text="2") is False

    with company_scope(company_a):
        from carts.models import SessionContext  # noqa: PLC0415

        SessionContext.objects.all().delete()
        cart_add_item(company=company_a, customer=customer_a, product=ProductFactory(company=company_a), quantity=1)
    assert rating_reply_take(conversation=conversation_a, text="3") is False
    order.refresh_from_db()
    assert order.rating is None
    assert outbound_texts(company_a) == []


def test_list_shown_before_the_question_does_not_block_the_rating(company_a, customer_a, conversation_a):  # noqa: F811
    session_list_set(
        company=company_a,
        customer=customer_a,
        entries=[{"n": 1, "kind": "zone", "id": 1, "name": "X"}],
        now=timezone.now() - timedelta(minutes=10),
    )
    order = _asked_order(company_a, customer_a, asked_minutes_ago=5)

    assert rating_reply_take(conversation=conversation_a, text="5") is True
    order.refresh_from_db()
    assert order.rating == 5


def test_the_registered_pre_handler_takes_the_rating_before_the_bot(company_a, customer_a, conversation_a):  # noqa: F811
    seen = []
    _asked_order(company_a, customer_a)

    with bot_handler_replaced(lambda **kwargs: seen.append(kwargs["text"]) or [OutboundIntent("flow reply")]):
        other = handlers_run(conversation=conversation_a, text="oi", message=None)
        rating = handlers_run(conversation=conversation_a, text="5", message=None)

    assert [i.text for i in other] == ["flow reply"] and rating == []
    assert seen == ["oi"]
