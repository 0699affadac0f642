"""The order board in the admin and the commerce API (/api/orders/, /api/products/, /api/carts/)."""

from decimal import Decimal

from django.utils import translation

from carts.tests.factories import CartFactory
from catalog.models import Product, StockMovement
from catalog.tests.factories import ProductFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.services import OrderLine, order_place, order_transition
from orders.tests.conftest import customer_a  # noqa: F401 - fixture


def _order(company, customer, status="pending"):
    product = ProductFactory(company=company, price=Decimal("40.00"))
    order = order_place(
        company=company, customer=customer, lines=[OrderLine(product, "Pizza", 1, product.price)], payment_method="cash"
    )
    for step in {"pending": [], "preparing": ["preparing"], "completed": ["preparing", "completed"]}[status]:
        order_transition(order=order, to=step, notify=False)
    return order


def test_board_counts_orders_by_status_and_actions_use_the_lifecycle(company_a, customer_a, admin_client_a):  # noqa: F811
    pending = [_order(company_a, customer_a) for _ in range(2)]
    done = _order(company_a, customer_a, "completed")

    with translation.override("en"):
        board = admin_client_a.get("/admin/orders/order/", HTTP_ACCEPT_LANGUAGE="en")
        moved = admin_client_a.post(
            "/admin/orders/order/",
            {"action": "mark_preparing", "_selected_action": [p.pk for p in pending] + [done.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    counts = {value: count for value, _label, count in board.context["order_board"]}
    assert counts == {
        "pending": 2,
        "awaiting_payment": 0,
        "paid": 0,
        "preparing": 0,
        "out_for_delivery": 0,
        "completed": 1,
        "cancelled": 0,
    }
    assert [str(m) for m in moved.context["messages"]] == [
        "2 order(s) updated.",
        "1 order(s) cannot go to that status.",
    ]
    statuses = dict(Order.objects.for_company(company_a).values_list("pk", "status"))
    assert statuses == {pending[0].pk: "preparing", pending[1].pk: "preparing", done.pk: "completed"}


def test_orders_api_filters_by_status_and_transitions(company_a, customer_a, api_client_a):  # noqa: F811
    pending = _order(company_a, customer_a)
    preparing = _order(company_a, customer_a, "preparing")

    listed = api_client_a.get("/api/orders/?status=preparing").json()
    moved = api_client_a.post(f"/api/orders/{pending.pk}/transition/", {"status": "preparing"}, format="json")
    refused = api_client_a.post(f"/api/orders/{preparing.pk}/transition/", {"status": "pending"}, format="json")

    results = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in results] == [preparing.pk]
    assert results[0]["items"][0]["name"] == "Pizza"
    assert (moved.status_code, moved.json()["status"]) == (200, "preparing")
    assert refused.status_code == 400
    assert Order.objects.for_company(company_a).get(pk=preparing.pk).status == "preparing"


def test_products_api_sets_stock_through_the_ledger(company_a, api_client_a):
    product = ProductFactory(company=company_a, stock=None)

    first = api_client_a.post(f"/api/products/{product.pk}/stock/", {"quantity": 7}, format="json")
    second = api_client_a.post(f"/api/products/{product.pk}/stock/", {"quantity": 4}, format="json")
    ignored = api_client_a.patch(f"/api/products/{product.pk}/", {"stock": 99}, format="json")

    assert (first.json()["stock"], second.json()["stock"]) == (7, 4)
    assert ignored.status_code == 200
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 4  # stock is not writable there
    movements = StockMovement.objects.for_company(company_a).order_by("id").values_list("delta", "reason")
    assert list(movements) == [(7, "initial"), (-3, "adjustment")]


def test_carts_api_lists_by_status_and_source(company_a, api_client_a):
    open_cart = CartFactory(company=company_a)
    CartFactory(company=company_a, customer=CustomerFactory(company=company_a), status="cancelled")

    listed = api_client_a.get("/api/carts/?status=open&source=whatsapp").json()

    results = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in results] == [open_cart.pk]


def test_a_stock_beyond_any_real_count_is_refused_not_a_server_error(company_a, api_client_a):
    product = ProductFactory(company=company_a, stock=3)

    response = api_client_a.post(
        f"/api/products/{product.pk}/stock/", {"quantity": 45971749920486940672}, format="json"
    )

    assert response.status_code == 400
    assert "quantity" in response.json()
    assert Product.objects.for_company(company_a).get(pk=product.pk).stock == 3
