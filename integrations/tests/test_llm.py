import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.llm import (
    CatalogItem,
    LlmCredentials,
    LlmRejected,
    OrderLine,
    ParseResult,
    extract_order_lines,
    parse_order_text,
)
from integrations.testing.fake_server import FakeServer

FIXTURES = Path(__file__).parent / "fixtures" / "llm"
GROQ_ANSWER = json.loads((FIXTURES / "groq_chat_completion.json").read_text())
CATALOG = [
    CatalogItem(1, "Pizza Calabresa Grande", Decimal("59.90")),
    CatalogItem(2, "Coca-Cola 2L", Decimal("14.00")),
    CatalogItem(3, "Coca-Cola Lata", Decimal("6.00")),
]
TEXT = "2 pizzas de calabresa grandes e uma coca 2l"
PATH = "/openai/v1/chat/completions"


def answer_with(items=None, *, content=None, tool_arguments=None, finish_reason="stop") -> dict:
    body = copy.deepcopy(GROQ_ANSWER)
    choice = body["choices"][0]
    choice["finish_reason"] = finish_reason
    if tool_arguments is not None:
        call = {"id": "call_1", "type": "function", "function": {"name": "record_order", "arguments": tool_arguments}}
        choice["message"] = {"role": "assistant", "tool_calls": [call]}
    else:
        choice["message"]["content"] = content if content is not None else json.dumps({"items": items})
    return body


def item(product_id, name, quantity, unit_price, note=""):
    return {"product_id": product_id, "name": name, "quantity": quantity, "unit_price": unit_price, "note": note}


def creds(server, **kwargs) -> LlmCredentials:
    return LlmCredentials(api_key="gsk_secret", base_url=f"{server.url}/openai/v1", timeout=2.0, **kwargs)


GOOD_ITEMS = [item("1", "Pizza Calabresa Grande", 2, 59.9), item("2", "Coca-Cola 2L", 1, 14.0, "bem gelada")]


def test_extract_sends_structured_output_request():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(GOOD_ITEMS))

        lines = extract_order_lines(creds(server), TEXT, CATALOG)

    assert lines == [OrderLine(1, 2), OrderLine(2, 1, "bem gelada")]
    sent = server.requests[0]
    assert sent.headers["Authorization"] == "Bearer gsk_secret"
    assert sent.json["model"] == "llama-3.3-70b-versatile"
    assert sent.json["temperature"] == 0
    assert sent.json["messages"][1] == {"role": "user", "content": TEXT}
    response_format = sent.json["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    quantity = response_format["json_schema"]["schema"]["properties"]["items"]["items"]["properties"]["quantity"]
    assert quantity == {"type": "integer", "minimum": 1, "maximum": 10}
    assert '"product_id": "2", "name": "Coca-Cola 2L", "price": "14.00"' in sent.json["messages"][0]["content"]


def test_json_object_mode():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(GOOD_ITEMS))

        lines = extract_order_lines(creds(server, output_mode="json_object"), TEXT, CATALOG)

    assert lines == [OrderLine(1, 2), OrderLine(2, 1, "bem gelada")]
    assert server.requests[0].json["response_format"] == {"type": "json_object"}


def test_tool_call_mode():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(tool_arguments=json.dumps({"items": GOOD_ITEMS})))

        lines = extract_order_lines(creds(server, output_mode="tool"), TEXT, CATALOG)

    assert lines == [OrderLine(1, 2), OrderLine(2, 1, "bem gelada")]
    sent = server.requests[0].json
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "record_order"}}
    assert sent["tools"][0]["function"]["name"] == "record_order"
    assert "response_format" not in sent


def test_name_differing_only_in_case_and_accents_is_accepted():
    catalog = [CatalogItem("g1", "Guaraná Lata", Decimal("5.50"))]
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with([item("g1", "guarana  lata", 3, 5.5)]))

        assert extract_order_lines(creds(server), "3 guaraná lata", catalog) == [OrderLine("g1", 3)]


def test_empty_items_is_a_valid_answer():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with([]))

        assert extract_order_lines(creds(server), "oi, boa noite", CATALOG) == []


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([item("99", "Pizza Portuguesa", 1, 50.0)], "not in the catalog"),
        ([item("1", "Pizza Portuguesa", 1, 59.9)], "name does not match"),
        ([item("1", "Pizza Calabresa Grande", 1, 9.9)], "price does not match"),
        ([item("1", "Pizza Calabresa Grande", 0, 59.9)], "quantity outside 1..10"),
        ([item("1", "Pizza Calabresa Grande", 11, 59.9)], "quantity outside 1..10"),
        ([item("1", "Pizza Calabresa Grande", 2.5, 59.9)], "quantity outside 1..10"),
        ([item("1", "Pizza Calabresa Grande", True, 59.9)], "quantity outside 1..10"),
    ],
)
def test_invalid_answers_are_rejected(items, reason):
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(items))

        with pytest.raises(LlmRejected, match=reason):
            extract_order_lines(creds(server), TEXT, CATALOG)


def test_non_json_content_is_rejected():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(content="Claro! 2 pizzas e uma coca."))

        with pytest.raises(LlmRejected, match="not JSON"):
            extract_order_lines(creds(server), TEXT, CATALOG)


def test_truncated_answer_is_rejected():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(GOOD_ITEMS, finish_reason="length"))

        with pytest.raises(LlmRejected, match="cut off"):
            extract_order_lines(creds(server), TEXT, CATALOG)


def test_rate_limit_is_retryable():
    with FakeServer() as server:
        server.add("POST", PATH, status=429, json={"error": {"message": "Rate limit reached", "type": "tokens"}})

        with pytest.raises(RetryableError):
            extract_order_lines(creds(server), TEXT, CATALOG)


def test_secret_not_in_repr():
    assert "gsk_secret" not in repr(LlmCredentials(api_key="gsk_secret"))


def test_parse_uses_llm_when_answer_is_valid():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(GOOD_ITEMS))

        result = parse_order_text(TEXT, CATALOG, creds(server))

    assert result == ParseResult((OrderLine(1, 2), OrderLine(2, 1, "bem gelada")), "llm")


def test_parse_falls_back_to_rules_when_llm_invents_a_product():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with([item("77", "Pizza de Lagosta", 2, 99.0)]))

        result = parse_order_text(TEXT, CATALOG, creds(server))

    assert len(server.requests) == 1
    assert result == ParseResult((OrderLine(1, 2), OrderLine(2, 1)), "rules")


def test_parse_falls_back_to_rules_on_timeout():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with(GOOD_ITEMS), delay=1.0)

        result = parse_order_text(TEXT, CATALOG, LlmCredentials("k", base_url=f"{server.url}/openai/v1", timeout=0.2))

    assert result == ParseResult((OrderLine(1, 2), OrderLine(2, 1)), "rules")


def test_parse_falls_back_to_rules_on_server_error():
    with FakeServer() as server:
        server.add("POST", PATH, status=503, json={"error": {"message": "over capacity"}})

        result = parse_order_text("1 coca lata", CATALOG, creds(server))

    assert result == ParseResult((OrderLine(3, 1),), "rules")


def test_parse_without_key_uses_rules_and_calls_nothing():
    with FakeServer() as server:
        result = parse_order_text("1 coca lata e uma coca", CATALOG, None)

    assert server.requests == []
    assert result == ParseResult((OrderLine(3, 1),), "rules", ("uma coca",))


def test_parse_with_empty_key_uses_rules():
    with FakeServer() as server:
        result = parse_order_text("1 coca lata", CATALOG, LlmCredentials("", base_url=server.url))

    assert server.requests == []
    assert result.source == "rules"


INVALID_KEY = {"error": {"message": "Invalid API Key", "type": "invalid_request_error", "code": "invalid_api_key"}}


@pytest.mark.parametrize(
    "route",
    [
        {"status": 401, "json": INVALID_KEY},  # revoked or expired key
        {"status": 200, "body": b"<html>gateway</html>"},  # not JSON
        {"status": 200, "json": {"choices": []}},  # no answer
        {"status": 200, "json": answer_with(content="Claro! Anotei 2 pizzas.")},  # prose instead of JSON
    ],
)
def test_parse_falls_back_to_rules_on_unusable_answers(route):
    with FakeServer() as server:
        server.add("POST", PATH, **route)

        result = parse_order_text("1 coca lata", CATALOG, creds(server))

    assert len(server.requests) == 1
    assert result == ParseResult((OrderLine(3, 1),), "rules")


def test_invalid_key_is_a_permanent_error_naming_no_secret():
    with FakeServer() as server:
        server.add("POST", PATH, status=401, json=INVALID_KEY)

        with pytest.raises(PermanentError) as raised:
            extract_order_lines(creds(server), TEXT, CATALOG)

    assert raised.value.status == 401
    assert "gsk_secret" not in str(raised.value)
    assert server.requests[0].headers["Authorization"] == "Bearer gsk_secret"


def test_invented_price_for_a_real_product_falls_back():
    with FakeServer() as server:
        server.add("POST", PATH, json=answer_with([item("1", "Pizza Calabresa Grande", 2, 9.9)]))

        result = parse_order_text(TEXT, CATALOG, creds(server))

    assert result == ParseResult((OrderLine(1, 2), OrderLine(2, 1)), "rules")
