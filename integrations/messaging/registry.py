"""Provider name (the `Channel.provider` value) → provider instance. Registration checks the interface."""

import inspect

from integrations.messaging.base import DEFAULT_MAX_BODY_BYTES, MessagingProvider
from integrations.messaging.console import ConsoleProvider
from integrations.messaging.evolution import EvolutionProvider
from integrations.messaging.gosac import GosacProvider
from integrations.messaging.meta_cloud import MetaCloudProvider
from integrations.messaging.uazapi import UazapiProvider

_PROVIDERS: dict[str, MessagingProvider] = {}


class UnknownProvider(KeyError):
    pass


def register(provider_class: type[MessagingProvider]) -> type[MessagingProvider]:
    """Add a provider class; refuses anything that does not fully implement MessagingProvider."""
    if not (inspect.isclass(provider_class) and issubclass(provider_class, MessagingProvider)):
        raise TypeError(f"{provider_class!r} is not a MessagingProvider")
    if inspect.isabstract(provider_class):
        missing = ", ".join(sorted(provider_class.__abstractmethods__))
        raise TypeError(f"{provider_class.__name__} does not implement: {missing}")
    name = getattr(provider_class, "name", "")
    if not name or not getattr(provider_class, "label", ""):
        raise TypeError(f"{provider_class.__name__} needs a name and a label")
    if name in _PROVIDERS and type(_PROVIDERS[name]) is not provider_class:
        raise ValueError(f"provider name {name!r} is already registered")
    _PROVIDERS[name] = provider_class()
    return provider_class


def get_provider(name: str) -> MessagingProvider:
    """The (stateless, shared) provider for a Channel.provider value; UnknownProvider otherwise."""
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise UnknownProvider(name) from None


def max_body_bytes(name: str) -> int:
    """Largest webhook body this provider may send; anything above is answered 413 before parsing."""
    provider = _PROVIDERS.get(name)
    return provider.max_body_bytes if provider else DEFAULT_MAX_BODY_BYTES


for _provider_class in (GosacProvider, UazapiProvider, EvolutionProvider, MetaCloudProvider, ConsoleProvider):
    register(_provider_class)

# For a model field: [("gosac", "GOSAC"), ...], same order as above.
PROVIDER_CHOICES: list[tuple[str, str]] = [(name, provider.label) for name, provider in _PROVIDERS.items()]
