"""SSRF guard for URLs a company supplies (provider base URLs, media URLs to download).

A tenant must not be able to make the server call its own loopback, the cloud metadata address
or the private network. Self-hosted providers on a private network need
`ALLOW_PRIVATE_PROVIDER_URLS=true`; tests set it because their fake servers listen on 127.0.0.1.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def url_is_public(url: str) -> bool:
    """True when every address the URL's host resolves to is a public one (http/https only)."""
    try:
        validate_public_url(url)
    except ValidationError:
        return False
    return True


def validate_public_url(url: str) -> None:
    """Raise ValidationError unless `url` is http(s) and its host resolves only to public addresses.

    Loopback, link-local (169.254.0.0/16, the metadata service), private, reserved, multicast and
    unspecified addresses are refused, unless settings.ALLOW_PRIVATE_PROVIDER_URLS is true.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Only http and https URLs with a host are accepted."))
    if getattr(settings, "ALLOW_PRIVATE_PROVIDER_URLS", False):
        return
    for address in _addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)):
        if _is_private(address):
            raise ValidationError(_("This URL points to a private or local address, which is not allowed."))


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The URL's host cannot be resolved.")) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _is_private(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )
