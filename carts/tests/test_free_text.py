import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from carts import free_text
from carts.actions import NotAccepted
from carts.models import CartItem
from catalog import demo
from catalog.models import Product
from flows import actions as engine_actions
from integrations.testing.fake_server import FakeServer
from orders.tests.conftest import conversation_a, customer_a, english  # noqa: F401 - fixtures
from tenants.scoping import company_scope
from tenants.services import company_setting_set

GROQ_ANSWER = json.loads(
    (
        Path(__file__).parents[2] / "integrations" / "tests" / "fixtures" / "llm" / "groq_chat_completion.json"
    ).read_text()
)
PATH = "/openai/v1/chat/completions"
TEXT = "2 pizzas de calabresa e uma coca 2l"


pytestmark = pytest.mark.usefixtures("english")


def llm_answer(items) -> dict:
    body = copy.deepcopy(GROQ_ANSWER)
    body["choices"][0]["message"]["content"] = json.dumps({"items": items})
    return body


def cart_lines(company) -> list[tuple[str, int, Decimal, str]]:
    items = CartItem.objects.for_company(company).order_by("id")
    return [(i.name, i.quantity, i.unit_price, i.note) for i in items]


def test_action_is_registered_with_the_engine():
    assert "order_free_text" in engine_actions.registered_names()


def test_no_key_uses_the_rules(company_a, conversation_a, settings):  # noqa: F811
    settings.GROQ_API_KEY = ""
    demo.load(company_a)

    with company_scope(company_a):
        replies = free_text.order_free_text(conversation_a, TEXT)

    assert free_text.llm_credentials() is None
    assert cart_lines(company_a) == [
        ("Pizza de Calabresa", 2, Decimal("42.00"), ""),
        ("Coca-Cola 2L", 1, Decimal("12.00"), ""),
    ]
    assert replies[0] == "Added: 2x Pizza de Calabresa, 1x Coca-Cola 2L."
    assert replies[1].endswith("Total without delivery: R$ 96,00")  # zones exist: the fee comes later


def test_llm_lines_are_added_with_their_note(company_a, conversation_a, settings):  # noqa: F811
    demo.load(company_a)
    calabresa = Product.objects.for_company(company_a).get(name="Pizza de Calabresa")
    with FakeServer() as server:
        item = {"product_id": str(calabresa.pk), "name": calabresa.name, "quantity": 2, "unit_price": 42.0}
        server.add("POST", PATH, json=llm_answer([{**item, "note": "sem cebola"}]))
        settings.GROQ_API_KEY, settings.LLM_BASE_URL = "gsk_test", f"{server.url}/openai/v1"

        with company_scope(company_a):
            free_text.order_free_text(conversation_a, "duas calabresas sem cebola")

    assert len(server.requests_to("POST", PATH)) == 1
    assert server.requests[0].headers["Authorization"] == "Bearer gsk_test"
    assert cart_lines(company_a) == [("Pizza de Calabresa", 2, Decimal("42.00"), "sem cebola")]


def test_llm_inventing_a_product_is_rejected_and_rules_answer(company_a, conversation_a, settings):  # noqa: F811
    demo.load(company_a)
    with FakeServer() as server:
        invented = {"product_id": "-1", "name": "Pizza de Lagosta", "quantity": 2, "unit_price": 1.0, "note": ""}
        server.add("POST", PATH, json=llm_answer([invented]))
        settings.GROQ_API_KEY, settings.LLM_BASE_URL = "gsk_test", f"{server.url}/openai/v1"

        with company_scope(company_a):
            free_text.order_free_text(conversation_a, TEXT)

    assert len(server.requests_to("POST", PATH)) == 1
    assert cart_lines(company_a) == [
        ("Pizza de Calabresa", 2, Decimal("42.00"), ""),
        ("Coca-Cola 2L", 1, Decimal("12.00"), ""),
    ]


def test_unmatched_parts_are_asked_about(company_a, conversation_a, settings):  # noqa: F811
    settings.GROQ_API_KEY = ""
    demo.load(company_a)

    with company_scope(company_a):
        replies = free_text.order_free_text(conversation_a, "1 pizza portuguesa e 2 esfihas de carne")

    assert cart_lines(company_a) == [("Pizza Portuguesa", 1, Decimal("48.00"), "")]
    assert replies[-1] == (
        "I did not understand: “2 esfihas de carne”. Which product did you mean? Send *menu* to see the options."
    )


def test_nothing_understood_adds_nothing(company_a, conversation_a, settings):  # noqa: F811
    settings.GROQ_API_KEY = ""
    demo.load(company_a)

    with company_scope(company_a):
        replies = free_text.order_free_text(conversation_a, "boa noite")

    assert cart_lines(company_a) == []
    assert replies == ["I did not understand your order. Send *menu* to see the options."]
    assert isinstance(replies, NotAccepted)  # the flow keeps waiting for the order


def test_an_order_with_something_added_moves_on(company_a, conversation_a, settings):  # noqa: F811
    settings.GROQ_API_KEY = ""
    demo.load(company_a)

    with company_scope(company_a):
        replies = free_text.order_free_text(conversation_a, "uma coca 2l e 2 esfihas")

    assert cart_lines(company_a) == [("Coca-Cola 2L", 1, Decimal("12.00"), "")]
    assert not isinstance(replies, NotAccepted)


def test_quantity_over_the_limit_is_explained(company_a, conversation_a, settings):  # noqa: F811
    settings.GROQ_API_KEY = ""
    demo.load(company_a)
    company_a.max_item_quantity = 3
    company_a.save(update_fields=["max_item_quantity"])
    conversation_a.company.refresh_from_db()

    with company_scope(company_a):
        free_text.order_free_text(conversation_a, "3 coca 2l")
        replies = free_text.order_free_text(conversation_a, "2 coca 2l")

    assert cart_lines(company_a) == [("Coca-Cola 2L", 3, Decimal("12.00"), "")]
    assert replies == ["You can order at most 3 of each item."]


def test_the_companys_own_llm_account_comes_before_the_platforms(company_a, conversation_a, settings):  # noqa: F811
    demo.load(company_a)
    calabresa = Product.objects.for_company(company_a).get(name="Pizza de Calabresa")
    with FakeServer() as server:
        item = {"product_id": str(calabresa.pk), "name": calabresa.name, "quantity": 1, "unit_price": 42.0}
        server.add("POST", "/own/v1/chat/completions", json=llm_answer([item]))
        settings.GROQ_API_KEY, settings.LLM_BASE_URL = "gsk_platform", "http://127.0.0.1:9/openai/v1"
        company_setting_set(company=company_a, key="llm_api_key", value="gsk_own")
        company_setting_set(company=company_a, key="llm_base_url", value=f"{server.url}/own/v1")
        company_setting_set(company=company_a, key="llm_model", value="modelo-da-loja")

        with company_scope(company_a):
            free_text.order_free_text(conversation_a, "uma calabresa")

    request = server.requests_to("POST", "/own/v1/chat/completions")[0]
    assert request.headers["Authorization"] == "Bearer gsk_own"
    assert json.loads(request.body)["model"] == "modelo-da-loja"
    assert cart_lines(company_a) == [("Pizza de Calabresa", 1, Decimal("42.00"), "")]


def test_the_llm_settings_page_saves_and_tests_the_account(company_a, admin_client_a, settings):
    page = reverse("admin:tenants_companysetting_integration", args=["llm"])
    settings.GROQ_API_KEY = ""
    with FakeServer() as server:
        server.add("POST", "/own/v1/chat/completions", json=llm_answer([]))
        form = {"llm_api_key": "gsk_own", "llm_base_url": f"{server.url}/own/v1", "llm_model": "m1", "action": "test"}

        tested = admin_client_a.post(page, form, follow=True, HTTP_ACCEPT_LANGUAGE="pt-br")

    texts = [str(m) for m in tested.context["messages"]]
    assert [m.tags for m in tested.context["messages"]] == ["success", "success"], texts
    assert "O LLM respondeu (modelo m1)." in texts[1]
    assert server.requests[0].headers["Authorization"] == "Bearer gsk_own"
    assert "gsk_own" not in admin_client_a.get(page).content.decode()  # write-only
