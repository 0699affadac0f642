"""Fuzz every API operation of the OpenAPI schema and every provider's webhook as company A.

Each operation gets FUZZ_EXAMPLES requests (environment, default 25) drawn from its schema, a
good share of them hostile (tests/fuzz.py). Nothing may answer 5xx, company B's rows must stay
exactly as they were, and no row of A may come to point at a row of B.
"""

import copy
import json
import os
import time

import pytest
from django.db import transaction
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conversations.models import Channel
from conversations.tests.conftest import make_channel
from conversations.tests.test_provider_payloads import meta_signature
from integrations.messaging.tests.support import FIXTURES
from tenants.services import api_token_find, api_token_issue
from tests.fuzz import ANY_JSON, HOSTILE, company_rows, foreign_rows, operation_requests
from tests.isolation import PATH_PARAM, PATH_PARAMETER_MODELS, api_operations
from tests.test_tenant_isolation import world  # noqa: F401 - the fixture: both companies, every model

# Examples per operation: 10 keeps the file under a minute on a busy 2-core machine; raise it
# (FUZZ_EXAMPLES=200) for a longer hunt.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
METHOD_ORDER = ("get", "post", "put", "patch", "delete")  # deletes last: the rows stay for the others
PROVIDERS = ("gosac", "uazapi", "evolution", "meta_cloud", "console")
CREDENTIALS = {
    "gosac": {"token": "t", "integration": "i"},
    "uazapi": {"token": "xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"},
    "evolution": {"api_key": "k"},
    "meta_cloud": {"token": "t", "phone_number_id": "1122334455667", "app_secret": "s3cret", "verify_token": "vt"},
    "console": {},
}


def fuzz(test):
    return settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # failures are collected, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )(given(st.data())(test))


def call(client, method: str, url: str, body: bytes | None, **headers):
    """The response, or None when the view raised (a 500 in production)."""
    try:
        with transaction.atomic():  # a crash must not poison the test's own transaction
            return client.generic(method.upper(), url, body or b"", content_type="application/json", **headers)
    except Exception:  # noqa: BLE001 - a crash is a finding
        return None


def report(failures: list[str], what: str, response) -> None:
    if response is None or response.status_code >= 500:
        status = "raised" if response is None else response.status_code
        failures.append(f"{what} -> {status}")


def fuzz_operation(client, schema, path, method, ids, failures) -> None:
    @fuzz
    def run(data):
        url, body = data.draw(operation_requests(schema, path, method, ids))
        accept = data.draw(st.sampled_from(["application/json"] * 4 + ["text/html"]))
        report(failures, f"{method.upper()} {url[:200]}", call(client, method, url, body, HTTP_ACCEPT=accept))

    run()


@pytest.mark.timeout(max(120, FUZZ_EXAMPLES * 12))  # ~5 s per example of every operation on a busy machine
def test_no_api_operation_answers_5xx_or_touches_company_b(world, record_property):  # noqa: F811
    schema = SchemaGenerator().get_schema(request=None, public=True)
    client = APIClient()
    # The token, resolved once: its lookup and last-used write are a third of each request's time,
    # and token authentication has its own tests. The company still comes from the token.
    token = api_token_find(api_token_issue(company=world.company_a, user=world.user_a))
    client.force_authenticate(user=world.user_a, token=token)
    views = {(path, method): view for path, method, view in api_operations()}
    operations = sorted(
        ((path, method) for path, methods in schema["paths"].items() for method in methods if method in METHOD_ORDER),
        key=lambda op: (METHOD_ORDER.index(op[1]), op[0]),
    )
    b_before = company_rows(world.company_b)
    failures, started = [], time.monotonic()
    for path, method in operations:
        view = views.get((path, method))
        model = getattr(getattr(view, "queryset", None), "model", None)
        ids = {}
        for name in PATH_PARAM.findall(path):
            target = model if name in ("id", "pk") else PATH_PARAMETER_MODELS.get(name)
            ids[name] = [str(world.a(target).pk), str(world.b(target).pk)] if target else ["1"]

        fuzz_operation(client, schema, path, method, ids, failures)
    seconds = time.monotonic() - started
    record_property("fuzz_api", f"{len(operations)} operations x {FUZZ_EXAMPLES} examples in {seconds:.1f} s")
    print(f"\nAPI fuzz: {len(operations)} operations x {FUZZ_EXAMPLES} examples in {seconds:.1f} s")

    assert failures[:20] == []
    assert company_rows(world.company_b) == b_before
    assert foreign_rows(world.company_a, world.company_b) == []


def hostile_delivery(provider: str):
    """A provider fixture with one node replaced by anything, or raw garbage."""
    fixtures = sorted((FIXTURES / provider).glob("*.json"))

    @st.composite
    def build(draw):
        if draw(st.integers(0, 9)) == 0:
            return draw(st.sampled_from([b"[" * 5000, b"\xff", b"{", b'{"a": NaN}', b"null", b'"\\ud800"']))
        document = json.loads(draw(st.sampled_from(fixtures)).read_bytes())
        node, key = _random_slot(draw, document)
        if key is not None:
            node[key] = draw(HOSTILE | ANY_JSON)
        return json.dumps(document).encode()

    return build()


def _random_slot(draw, document):
    node, key = document, None
    for _ in range(draw(st.integers(1, 5))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or not node[key]:
            break
        node, key = node[key], None
    if key is None:
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        key = draw(st.sampled_from(keys)) if keys else None
    return node, key


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_webhook_delivery_answers_5xx_or_touches_company_b(world, client, provider):  # noqa: F811
    channel = make_channel(world.company_a, provider=provider, name=f"fuzz-{provider}", credentials=CREDENTIALS[provider])
    make_channel(world.company_b, provider=provider, name=f"fuzz-b-{provider}", credentials=CREDENTIALS[provider])
    Channel.objects.for_company(world.company_a).filter(pk=channel.pk).update(base_url="https://p.example.com")
    b_before = company_rows(world.company_b)
    failures = []

    @fuzz
    def run(data):
        body = data.draw(hostile_delivery(provider))
        key = data.draw(st.sampled_from([channel.inbound_key] * 4 + ["", "x" * 65, "%ED%A0%80", "..%2F"]))
        headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if data.draw(st.booleans()) else {}
        url = f"/webhook/{key}/" if key else "/webhook/"
        report(failures, f"{provider} {body[:120]!r}", call(client, "post", url, body, **headers))

    run()

    assert failures[:20] == []
    assert company_rows(world.company_b) == b_before
    assert foreign_rows(world.company_a, world.company_b) == []


def test_no_mercadopago_notification_answers_5xx_or_touches_company_b(world, client):  # noqa: F811
    b_before = company_rows(world.company_b)
    failures = []
    url = reverse("mercadopago-webhook", args=[world.company_a.webhook_key])
    notification = {"action": "payment.updated", "type": "payment", "data": {"id": "555"}}

    @fuzz
    def run(data):
        document = copy.deepcopy(notification)
        node, key = _random_slot(data.draw, document)
        if key is not None:
            node[key] = data.draw(HOSTILE | ANY_JSON)
        query = data.draw(st.sampled_from(["", "?data.id=555&type=payment", "?data.id=%00", "?id=1e400&topic=x"]))
        signature = data.draw(st.sampled_from(["", "ts=1,v1=00", "ts=99999999999999999999,v1=ab", "garbage", "v1="]))
        body = json.dumps(document).encode()
        report(failures, f"MP {body[:120]!r}", call(client, "post", url + query, body, HTTP_X_SIGNATURE=signature))

    run()

    assert failures[:20] == []
    assert company_rows(world.company_b) == b_before
