import pytest

from integrations.messaging import registry
from integrations.messaging.base import MessagingProvider
from integrations.messaging.console import ConsoleProvider
from integrations.messaging.meta_cloud import MetaCloudProvider


def test_every_builtin_provider_is_registered():
    assert registry.PROVIDER_CHOICES == [
        ("gosac", "GOSAC"),
        ("uazapi", "UAZAPI"),
        ("evolution", "Evolution API"),
        ("meta_cloud", "Meta WhatsApp Cloud API"),
        ("console", "Console"),
    ]


def test_choices_match_the_channel_model():
    from conversations.models import Provider

    assert sorted(Provider.values) == sorted(name for name, _ in registry.PROVIDER_CHOICES)


def test_get_provider():
    assert isinstance(registry.get_provider("meta_cloud"), MetaCloudProvider)
    assert isinstance(registry.get_provider("console"), ConsoleProvider)


def test_unknown_provider():
    with pytest.raises(registry.UnknownProvider):
        registry.get_provider("telegram")


def test_body_limits():
    assert registry.max_body_bytes("meta_cloud") == 3 * 1024 * 1024
    assert registry.max_body_bytes("uazapi") == 256 * 1024
    assert registry.max_body_bytes("unknown") == 256 * 1024


def test_registration_refuses_an_incomplete_provider():
    class HalfDone(MessagingProvider):
        name = "half"
        label = "Half"

        def parse_webhook(self, headers, body, credentials):
            return []

    with pytest.raises(TypeError, match="fetch_status"):
        registry.register(HalfDone)
    with pytest.raises(registry.UnknownProvider):
        registry.get_provider("half")


def test_registration_refuses_a_non_provider():
    class Lookalike:
        name = "lookalike"
        label = "Lookalike"

    with pytest.raises(TypeError):
        registry.register(Lookalike)


def test_registration_refuses_a_taken_name():
    class Impostor(ConsoleProvider):
        pass

    with pytest.raises(ValueError, match="console"):
        registry.register(Impostor)
    assert type(registry.get_provider("console")) is ConsoleProvider
