"""OpenAI-compatible chat client (Groq by default) that turns a free-text order into catalog lines.

Nothing the model answers is trusted: every line is checked against the catalog, and any failure
falls back to the rule-based parser of `integrations.order_text`.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import structlog

from integrations import http
from integrations.errors import IntegrationError, PermanentError
from integrations.order_text import CatalogItem, OrderLine, parse_with_rules
from integrations.text import fold

logger = structlog.get_logger(__name__)

GROQ_BASE_URL = "https://api.groq.com/openai/v1"
DEFAULT_MODEL = "llama-3.3-70b-versatile"
MAX_TEXT_CHARS = 4000  # longer texts are cut before they reach the model
PRICE_TOLERANCE = Decimal("0.005")  # half a centavo: float rounding in the model's JSON, not a new price
TOOL_NAME = "record_order"

__all__ = [
    "CatalogItem",
    "LlmCredentials",
    "LlmRejected",
    "OrderLine",
    "ParseResult",
    "chat_completion",
    "extract_order_lines",
    "parse_order_text",
]


@dataclass(frozen=True)
class LlmCredentials:
    """`output_mode` is how the answer is constrained: "json_schema" (structured outputs),
    "json_object" (JSON mode, the schema in the prompt) for models without structured outputs, or
    "tool" (a forced function call)."""

    api_key: str = field(repr=False)
    base_url: str = GROQ_BASE_URL
    model: str = DEFAULT_MODEL
    timeout: float = 10.0
    output_mode: Literal["json_schema", "json_object", "tool"] = "json_schema"


@dataclass(frozen=True)
class ParseResult:
    """The lines understood, which path answered (`source`), and the pieces not understood."""

    lines: tuple[OrderLine, ...]
    source: Literal["llm", "rules"]
    unmatched: tuple[str, ...] = ()


class LlmRejected(PermanentError):
    """The model answered, but with something that is not a valid order for this catalog."""


def chat_completion(
    creds: LlmCredentials,
    messages: list[dict],
    *,
    response_format: dict | None = None,
    tools: list[dict] | None = None,
    tool_choice: Any = None,
) -> dict:
    """POST {base_url}/chat/completions; return the first choice's message (role, content,
    tool_calls). RetryableError for network trouble, timeouts, 429 and 5xx; PermanentError for
    other 4xx and an answer without choices."""
    body: dict[str, Any] = {"model": creds.model, "messages": messages, "temperature": 0}
    if response_format is not None:
        body["response_format"] = response_format
    if tools is not None:
        body["tools"] = tools
        body["tool_choice"] = tool_choice or "auto"
    response = http.request(
        "POST",
        f"{creds.base_url.rstrip('/')}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {creds.api_key}"},
        timeout=creds.timeout,
    )
    try:
        choice = response.json()["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise PermanentError("LLM answer has no choices") from exc
    if choice.get("finish_reason") == "length":
        raise LlmRejected("LLM answer was cut off (finish_reason=length)")
    return choice.get("message") or {}


def extract_order_lines(
    creds: LlmCredentials, text: str, catalog: list[CatalogItem], *, max_quantity: int = 10
) -> list[OrderLine]:
    """The order lines the model reads in `text`, each checked against `catalog`: an unknown
    product id, a name that is not the product's, a price that is not the catalog's or a quantity
    outside 1..max_quantity raises LlmRejected (a PermanentError)."""
    schema = _answer_schema(max_quantity)
    messages = [
        {"role": "system", "content": _system_prompt(catalog, max_quantity, schema)},
        {"role": "user", "content": text[:MAX_TEXT_CHARS]},
    ]
    if creds.output_mode == "tool":
        tool = {"type": "function", "function": {"name": TOOL_NAME, "parameters": schema}}
        choice = {"type": "function", "function": {"name": TOOL_NAME}}
        message = chat_completion(creds, messages, tools=[tool], tool_choice=choice)
    elif creds.output_mode == "json_object":
        message = chat_completion(creds, messages, response_format={"type": "json_object"})
    else:
        response_format = {"type": "json_schema", "json_schema": {"name": "order", "strict": True, "schema": schema}}
        message = chat_completion(creds, messages, response_format=response_format)
    return _validated_lines(_answer_payload(message), catalog, max_quantity)


def parse_order_text(
    text: str, catalog: list[CatalogItem], llm_creds: LlmCredentials | None = None, max_quantity: int = 10
) -> ParseResult:
    """Order lines from the LLM when `llm_creds` is given, otherwise (or when the call fails, times
    out or is rejected) from the rule-based parser. Never raises an IntegrationError; `source` says
    which path answered."""
    if llm_creds is not None and llm_creds.api_key:
        try:
            lines = extract_order_lines(llm_creds, text, catalog, max_quantity=max_quantity)
        except IntegrationError as exc:
            logger.warning("llm_order_fallback", reason=exc.__class__.__name__, detail=str(exc)[:200])
        else:
            return ParseResult(tuple(lines), "llm")
    rules = parse_with_rules(text, catalog, max_quantity=max_quantity)
    return ParseResult(rules.lines, "rules", rules.unmatched)


def _answer_schema(max_quantity: int) -> dict:
    line = {
        "type": "object",
        "properties": {
            "product_id": {"type": "string"},
            "name": {"type": "string"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": max_quantity},
            "unit_price": {"type": "number"},
            "note": {"type": "string"},
        },
        "required": ["product_id", "name", "quantity", "unit_price", "note"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": line}},
        "required": ["items"],
        "additionalProperties": False,
    }


def _system_prompt(catalog: list[CatalogItem], max_quantity: int, schema: dict) -> str:
    products = [{"product_id": str(i.product_id), "name": i.name, "price": str(i.price)} for i in catalog]
    return (
        "You read WhatsApp messages in Brazilian Portuguese sent to a shop and extract what the customer "
        "orders. Use ONLY products from this catalog, copying product_id, name and price exactly:\n"
        f"{json.dumps(products, ensure_ascii=False)}\n"
        f"Quantities are whole numbers from 1 to {max_quantity} ('meia dúzia' = 6). Put requests such as "
        "'sem cebola' in note, else an empty string. If the message orders nothing from the catalog, or "
        "a product is unclear, leave it out. Answer only with JSON matching this schema:\n"
        f"{json.dumps(schema)}"
    )


def _answer_payload(message: dict) -> Any:
    tool_calls = message.get("tool_calls") or []
    raw = tool_calls[0].get("function", {}).get("arguments") if tool_calls else message.get("content")
    if not isinstance(raw, str) or not raw.strip():
        raise LlmRejected("LLM answer is empty")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise LlmRejected("LLM answer is not JSON") from exc


def _validated_lines(payload: Any, catalog: list[CatalogItem], max_quantity: int) -> list[OrderLine]:
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise LlmRejected("LLM answer has no items list")
    by_id = {str(item.product_id): item for item in catalog}
    lines = []
    for entry in payload["items"]:
        if not isinstance(entry, dict):
            raise LlmRejected("LLM item is not an object")
        item = by_id.get(str(entry.get("product_id", "")))
        if item is None:
            raise LlmRejected("LLM named a product that is not in the catalog")
        name = entry.get("name")
        if name is not None and fold(str(name)) != fold(item.name):
            raise LlmRejected("LLM product name does not match the catalog")
        if "unit_price" in entry and not _same_price(entry["unit_price"], item.price):
            raise LlmRejected("LLM price does not match the catalog")
        quantity = entry.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= max_quantity:
            raise LlmRejected(f"LLM quantity outside 1..{max_quantity}")
        note = entry.get("note") or ""
        lines.append(OrderLine(item.product_id, quantity, str(note)[:200]))
    return lines


def _same_price(value: Any, price: Decimal) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        return abs(Decimal(str(value)) - price) <= PRICE_TOLERANCE
    except InvalidOperation:
        return False
