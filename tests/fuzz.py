"""Hypothesis strategies read from the OpenAPI schema, and the checks the fuzz tests make after each run.

`operation_requests(schema, path, method, ids)` draws (url, body) for one operation: every declared
query parameter and body field, most of the time a value of its declared type, otherwise a hostile
one (NUL, lone surrogate, a day past 9999, huge numbers, deep nesting, wrong types); path ids are A's
rows, B's rows or garbage. `foreign_rows(a, b)` and `company_rows(b)` say what acting as company A
must never do to company B.
"""

import json
from urllib.parse import quote

from django.apps import apps
from hypothesis import strategies as st

from tenants.models import CompanyOwned

HOSTILE_TEXT = [
    "",
    "\x00",
    "\ud800",
    "a\udfffb",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "-1",
    "1e400",
    "NaN",
    "99999999999999999999999",
    "=cmd|' /C calc'!A0",
    "' OR 1=1 --",
    "../../etc/passwd",
    "x" * 300,
    "ç" * 70,
]
HOSTILE_NUMBERS = [0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1e308, -1e308, 0.5]
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
HOSTILE = st.sampled_from(HOSTILE_TEXT) | st.sampled_from(HOSTILE_NUMBERS) | ANY_JSON


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        merged = {}
        for part in node["allOf"]:
            merged.update(resolve(schema, part))
        return merged
    return node


def typed_value(schema: dict, node: dict, depth: int = 0) -> st.SearchStrategy:
    """A value of the declared type, within its bounds."""
    node = resolve(schema, node)
    if "enum" in node:
        return st.sampled_from([v for v in node["enum"] if v is not None] or [""])
    kind = node.get("type")
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if kind == "number":
        return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(value(schema, node.get("items", {}), depth + 1), max_size=3) if depth < 4 else st.just([])
    if kind == "object":
        return body(schema, node, depth + 1) if depth < 4 else st.just({})
    if node.get("format") == "date":
        return st.dates().map(str)
    if node.get("format") == "date-time":
        return st.datetimes().map(lambda d: d.isoformat() + "Z")
    return st.text(max_size=node.get("maxLength", 40))


def value(schema: dict, node: dict, depth: int = 0) -> st.SearchStrategy:
    """Most of the time a well-typed value, otherwise a hostile one."""
    return st.one_of(typed_value(schema, node, depth), typed_value(schema, node, depth), HOSTILE)


def body(schema: dict, node: dict, depth: int = 0) -> st.SearchStrategy:
    node = resolve(schema, node)
    writable = {
        name: prop for name, prop in node.get("properties", {}).items() if not resolve(schema, prop).get("readOnly")
    }
    if not writable:
        return st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=3)
    return st.fixed_dictionaries({}, optional={name: value(schema, prop, depth) for name, prop in writable.items()})


def encode(text) -> str:
    raw = text if isinstance(text, str) else json.dumps(text)
    return quote(raw.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def operation_requests(draw, schema: dict, path: str, method: str, ids: dict[str, list]) -> tuple[str, bytes | None]:
    """(url with query string, JSON body or None) for one operation of `schema`."""
    operation = schema["paths"][path][method]
    url = path
    for name, choices in ids.items():
        url = url.replace(f"{{{name}}}", encode(draw(st.sampled_from(choices) | st.sampled_from(HOSTILE_TEXT[4:]))))
    query = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and draw(st.booleans()):
            query.append(f"{parameter['name']}={encode(draw(value(schema, parameter.get('schema', {}))))}")
    url += "?" + "&".join(query) if query else ""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return url, None
    payload = draw(st.one_of(body(schema, content["schema"]), body(schema, content["schema"]), ANY_JSON))
    raw = json.dumps(payload).encode()
    if draw(st.integers(0, 19)) == 0:
        raw = draw(st.sampled_from([b"[" * 5000, b'{"a": NaN}', b'{"a": "\\ud800"}', b"\xff\xfe", b"{"]))
    return url, raw


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, CompanyOwned)]


def company_rows(company) -> dict:
    """Every row of `company`, by model: what acting as another company must leave exactly as it was."""
    return {
        model._meta.label: sorted(
            (json.dumps(row, default=str, sort_keys=True) for row in model._base_manager.filter(company=company).values()),
        )
        for model in tenant_models()
    }


def foreign_rows(company, other) -> list[str]:
    """Rows of `company` that point at a row of `other` (a foreign key crossing companies)."""
    found = []
    for model in tenant_models():
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is None or not issubclass(target, CompanyOwned):
                continue
            rows = model._base_manager.filter(company=company, **{f"{field.name}__company": other})
            found += [f"{model._meta.label}.{field.name} pk={pk}" for pk in rows.values_list("pk", flat=True)]
    return found
