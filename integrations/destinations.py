"""Which network addresses a company-supplied destination may reach, decided once per connection.

A company sets hosts the server connects to (provider and ERP base URLs, media links, a service
account's `token_uri`, its WordPress database or SSH gateway). `allowed_addresses()` resolves such
a host ONCE, checks every address it got, and returns them; the caller connects to one of exactly
those addresses, so a DNS answer that changes between check and connect (rebinding) steers nothing.

Refused unless the operator allows them:
- loopback, RFC 1918 private, CGNAT 100.64/10, IPv6 unique-local fc00::/7 and the other non-global
  ranges: all allowed by ALLOW_PRIVATE_PROVIDER_URLS=true (a provider on the private network);
- link-local (169.254/16 with the cloud metadata service, fe80::/10), multicast, unspecified
  (0.0.0.0, ::) and reserved: refused even then;
- any of these inside a network listed in OUTBOUND_ALLOWED_NETWORKS (CIDRs): allowed, exactly that.
IPv4 carried inside IPv6 (mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64 64:ff9b::/96) is judged as IPv4.
"""

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

from integrations.errors import PermanentError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}


class DestinationNotAllowed(PermanentError):
    """The host resolves to an address outbound calls may not reach (see the module docstring)."""


def allowed_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in resolver order, after ONE lookup; connect only to these.

    Raises DestinationNotAllowed when any of them is refused (a name that answers one private
    address among public ones is refused as a whole), and socket.gaierror when it does not resolve.
    """
    host = (host or "").strip("[]")
    if not host:
        raise DestinationNotAllowed("no host to connect to")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if not address_allowed(ipaddress.ip_address(address.split("%")[0])):
            raise DestinationNotAllowed(
                f"{host} resolves to {address}, a private or local address: outbound calls there are not "
                "allowed (the operator may allow it, see docs/operations.md)"
            )
    return addresses


def validate_public_url(url: str, *, require_resolvable: bool = True) -> None:
    """Raise ValidationError unless `url` is http(s) and its host resolves only to allowed addresses
    (or, with `require_resolvable=False`, does not resolve at all yet).

    For forms and serializers when a company saves a URL; the outbound client checks again on every
    connection (DNS may change after saving).
    """
    parts = urlsplit(url or "")
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValidationError(_("Only http and https URLs with a host are accepted."))
    try:
        allowed_addresses(parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])
    except DestinationNotAllowed as exc:
        raise ValidationError(_("This URL points to a private or local address, which is not allowed.")) from exc
    except (OSError, UnicodeError, ValueError) as exc:
        if require_resolvable:
            raise ValidationError(_("The URL's host cannot be resolved.")) from exc


def address_allowed(address: IPAddress) -> bool:
    """Whether outbound connections may go to `address` under the operator's settings."""
    if any(address in network for network in _allowed_networks(tuple(settings.OUTBOUND_ALLOWED_NETWORKS))):
        return True
    judged = _embedded_ipv4(address) or address
    if judged.is_link_local or judged.is_multicast or judged.is_unspecified or judged.is_reserved:
        return False
    if judged.is_global and not judged.is_private:
        return True
    return bool(settings.ALLOW_PRIVATE_PROVIDER_URLS)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]  # (server, client): the client is where packets end up
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@lru_cache(maxsize=8)
def _allowed_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {exc}") from exc
