"""Tiny ERP (Olist) API 2.0 client: push a completed order, exactly once per order number.

Every call is a form POST to `{base_url}/<service>.php` with `token`, `formato=json` and, for
`pedido.incluir.php`, `pedido` = the order as JSON (`{"pedido": {...}}`). Tiny answers HTTP 200 with
`retorno.status` "OK" or "Erro", a `codigo_erro` and `erros[].erro`; per-record results sit in
`retorno.registros` (an object or a list). Shapes: tests/fixtures/tiny/SOURCES.md.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from integrations import http
from integrations.errors import PermanentError, RetryableError

TINY_BASE_URL = "https://api.tiny.com.br/api2"
NO_RECORDS = 20  # "A consulta não retornou registros"
DUPLICATE = 30  # "Registro em duplicidade"
RATE_LIMIT_CODES = frozenset({5, 6, 11})  # API bloqueada (sem acesso / acessos no último minuto / concorrentes)
TRANSIENT_CODES = frozenset({35, 99})  # unexpected error, try later; system under maintenance


@dataclass(frozen=True)
class TinyCredentials:
    token: str = field(repr=False)
    base_url: str = TINY_BASE_URL


@dataclass(frozen=True)
class TinyCustomer:
    name: str
    cpf_cnpj: str = ""
    person_type: str = "F"  # F = pessoa física, J = jurídica
    phone: str = ""
    email: str = ""
    address: str = ""
    address_number: str = ""
    complement: str = ""
    neighborhood: str = ""
    zip_code: str = ""
    city: str = ""
    state: str = ""


@dataclass(frozen=True)
class TinyOrderItem:
    description: str
    quantity: Decimal
    unit_price: Decimal
    code: str = ""  # the product's SKU in Tiny, when it has one
    unit: str = "UN"


@dataclass(frozen=True)
class TinyOrder:
    number: str  # our order number; Tiny's numero_pedido_ecommerce, the idempotency key
    order_date: date
    customer: TinyCustomer
    items: tuple[TinyOrderItem, ...]
    shipping: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    payment_method: str = ""  # e.g. "pix", "dinheiro", "credito"
    notes: str = ""


class TinyRateLimited(RetryableError):
    """Tiny blocked the API for this account for a while (too many calls); retry later."""


def push_order(creds: TinyCredentials, order: TinyOrder, *, timeout: float | None = None) -> str:
    """Create `order` in Tiny unless it already exists; return its Tiny id either way.

    Idempotent: it searches by `order.number` (`numero_pedido_ecommerce`) first, and treats Tiny's
    duplicate-record error as success, so a retry after a timeout (the order may have been created)
    never makes a second order. TinyRateLimited (a RetryableError) for "API Bloqueada" or too many
    requests, RetryableError for Tiny's "try again later" and maintenance codes, PermanentError for
    the rest (bad token, validation), each with Tiny's own messages (they never hold the token).
    """
    existing = find_order_id(creds, order.number, timeout=timeout)
    if existing is not None:
        return existing
    retorno = _call(creds, "pedido.incluir", {"pedido": json.dumps({"pedido": _order_payload(order)})}, timeout)
    record = _first_record(retorno)
    if record.get("status") == "OK" and record.get("id"):
        return str(record["id"])
    if _code(record) == DUPLICATE:
        existing = find_order_id(creds, order.number, timeout=timeout)
        if existing is not None:
            return existing
        raise RetryableError("Tiny reports the order as duplicate but does not find it yet")
    _raise_for(record, "pedido.incluir")
    raise PermanentError("Tiny pedido.incluir answered without an id")


def find_order_id(creds: TinyCredentials, number: str, *, timeout: float | None = None) -> str | None:
    """Tiny's id for the order with e-commerce number `number` (exact match), or None when there is
    none; the errors of `push_order`."""
    retorno = _call(creds, "pedidos.pesquisa", {"numeroEcommerce": number}, timeout, allow_empty=True)
    for entry in retorno.get("pedidos") or []:
        pedido = entry.get("pedido", {}) if isinstance(entry, dict) else {}
        if str(pedido.get("numero_ecommerce", "")) == str(number) and pedido.get("id"):
            return str(pedido["id"])
    return None


def _call(
    creds: TinyCredentials, service: str, params: dict, timeout: float | None, *, allow_empty: bool = False
) -> dict:
    response = http.request(
        "POST",
        f"{creds.base_url.rstrip('/')}/{service}.php",
        data={"token": creds.token, "formato": "json", **params},
        timeout=timeout,
    )
    try:
        retorno = response.json()["retorno"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PermanentError(f"Tiny {service} answer has no 'retorno'") from exc
    if retorno.get("status") == "OK" or (allow_empty and _code(retorno) == NO_RECORDS):
        return retorno
    if retorno.get("registros"):
        return retorno  # per-record errors (e.g. duplicate) are read by the caller
    _raise_for(retorno, service)
    return retorno


def _raise_for(result: dict, service: str) -> None:
    code = _code(result)
    messages = "; ".join(str(e.get("erro", e)) if isinstance(e, dict) else str(e) for e in result.get("erros") or [])
    text = f"Tiny {service} error {code}: {messages or 'no message'}"
    if code in RATE_LIMIT_CODES or "api bloqueada" in messages.lower():
        raise TinyRateLimited(text)
    if code in TRANSIENT_CODES:
        raise RetryableError(text)
    raise PermanentError(text)


def _code(result: dict) -> int | None:
    try:
        return int(result.get("codigo_erro"))
    except (TypeError, ValueError):
        return None


def _first_record(retorno: dict) -> dict:
    registros = retorno.get("registros")
    if isinstance(registros, list):
        registros = registros[0] if registros else {}
    record = registros.get("registro") if isinstance(registros, dict) else None
    if not isinstance(record, dict):
        raise PermanentError("Tiny pedido.incluir answer has no record")
    return record


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _order_payload(order: TinyOrder) -> dict[str, Any]:
    customer = order.customer
    payload: dict[str, Any] = {
        "data_pedido": order.order_date.strftime("%d/%m/%Y"),
        "cliente": {
            "nome": customer.name,
            "tipo_pessoa": customer.person_type,
            "cpf_cnpj": customer.cpf_cnpj,
            "endereco": customer.address,
            "numero": customer.address_number,
            "complemento": customer.complement,
            "bairro": customer.neighborhood,
            "cep": customer.zip_code,
            "cidade": customer.city,
            "uf": customer.state,
            "fone": customer.phone,
            "email": customer.email,
        },
        "itens": [
            {
                "item": {
                    "codigo": item.code,
                    "descricao": item.description,
                    "unidade": item.unit,
                    "quantidade": str(item.quantity),
                    "valor_unitario": _money(item.unit_price),
                }
            }
            for item in order.items
        ],
        "valor_frete": _money(order.shipping),
        "valor_desconto": _money(order.discount),
        "numero_pedido_ecommerce": order.number,
        "obs": order.notes,
    }
    if order.payment_method:
        payload["forma_pagamento"] = order.payment_method
    return payload
