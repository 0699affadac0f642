"""Fixture loading shared by the provider tests."""

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def raw(provider: str, name: str) -> bytes:
    """A webhook fixture exactly as the provider would POST it (bytes)."""
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def payload(provider: str, name: str) -> dict:
    return json.loads(raw(provider, name))


def body(value) -> bytes:
    return json.dumps(value).encode()
