"""Whatever a provider (or an attacker with a channel key) posts, parsing ends in events or WebhookMalformed.

Each fixture is mutated one node at a time — every value replaced by each wrong type, every key
removed — and parsed. Anything else escaping (KeyError, AttributeError, TypeError...) would be a 500.
"""

import copy
import dataclasses
import json
from datetime import datetime

import pytest

from integrations.messaging.base import ProviderCredentials, WebhookMalformed, WebhookRejected, event_to_dict
from integrations.messaging.registry import get_provider
from integrations.messaging.tests.support import FIXTURES

# 1e20 and 10**30: timestamps past year 9999 (datetime cannot hold them).
WRONG_VALUES = [None, 0, -1, 1.5, 1e20, 10**30, "", "x", "\x00", True, [], {}, [None], [{}], {"": None}]
CREDS = ProviderCredentials(token="xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", phone_number_id="1122334455667", app_secret="s")


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutations(document):
    for path in paths(document):
        if not path:
            continue
        for wrong in WRONG_VALUES:
            mutated = copy.deepcopy(document)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = wrong
            yield mutated
        if isinstance(path[-1], str):
            mutated = copy.deepcopy(document)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
            yield mutated


@pytest.mark.parametrize("provider_name", ["gosac", "uazapi", "evolution", "meta_cloud", "console"])
def test_mutated_fixtures_never_escape(provider_name):
    provider = get_provider(provider_name)
    checked = 0
    for fixture in sorted((FIXTURES / provider_name).glob("*.json")):
        for mutated in mutations(json.loads(fixture.read_bytes())):
            raw_body = json.dumps(mutated).encode()
            try:
                provider.verify_webhook({}, raw_body, CREDS)
            except WebhookRejected:
                pass
            try:
                events = provider.parse_webhook({}, raw_body, CREDS)
            except WebhookMalformed:
                continue
            except Exception as exc:  # noqa: BLE001 — the point is to catch whatever escapes
                pytest.fail(f"{fixture.name}: {type(exc).__name__}: {exc} for {raw_body[:300]!r}")
            assert isinstance(events, list) and events, fixture.name
            for event in events:
                assert_plain_types(event, fixture.name)
            checked += 1
    assert checked > 0


def assert_plain_types(event, where: str) -> None:
    """Only str / bool / aware datetime / None reach the caller (no dict smuggled into a text field)."""
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if isinstance(value, datetime):
            assert value.tzinfo is not None, where
        else:
            assert value is None or isinstance(value, str | bool), f"{where}: {item.name}={value!r}"
    event_to_dict(event)


@pytest.mark.parametrize("provider_name", ["gosac", "uazapi", "evolution", "meta_cloud", "console"])
@pytest.mark.parametrize(
    "token",
    [b"NaN", b"Infinity", b"-Infinity", b'"\\ud800"', b"1" * 400],
    ids=["nan", "inf", "-inf", "surrogate", "1e400"],
)
def test_non_finite_numbers_and_lone_surrogates_are_malformed_or_ignored(provider_name, token):
    """Python's json accepts NaN/Infinity and lone surrogates, and "1"*400 overflows a float: every
    value of every fixture replaced by such a token ends in events or WebhookMalformed."""
    provider = get_provider(provider_name)
    for fixture in sorted((FIXTURES / provider_name).glob("*.json")):
        document = json.loads(fixture.read_bytes())
        for path in paths(document):
            if not path:
                continue
            marker = "__TOKEN__"
            mutated = copy.deepcopy(document)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = marker
            raw_body = json.dumps(mutated).replace(f'"{marker}"', token.decode()).encode()
            try:
                events = provider.parse_webhook({}, raw_body, CREDS)
            except WebhookMalformed:
                continue
            except Exception as exc:  # noqa: BLE001 — the point is to catch whatever escapes
                pytest.fail(f"{fixture.name}: {type(exc).__name__}: {exc} for {raw_body[:300]!r}")
            for event in events:
                assert_plain_types(event, fixture.name)
                json.dumps(event_to_dict(event), ensure_ascii=False).encode()


def test_deeply_nested_bodies_are_malformed_not_a_recursion_error():
    for provider_name in ("gosac", "uazapi", "evolution", "meta_cloud", "console"):
        with pytest.raises(WebhookMalformed):
            get_provider(provider_name).parse_webhook({}, b"[" * 100_000, CREDS)
