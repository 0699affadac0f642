"""Absolute URLs of this site for the outside world (webhooks to configure, QR images in messages)."""

from django.conf import settings

LOCAL_FALLBACK = "http://127.0.0.1:8000"  # no PUBLIC_BASE_URL and no request to read the host from


def public_url(path: str, request=None) -> str:
    """`path` on PUBLIC_BASE_URL when it is set; else on the host (and port) the request came in
    by, so a page never shows a made-up port; else, outside a request, on the local dev server."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if not base and request is not None:
        base = request.build_absolute_uri("/").rstrip("/")
    return (base or LOCAL_FALLBACK) + path
