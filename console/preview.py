"""The builder's docked preview: the console chat of one template, shown as WhatsApp would.

`whatsapp_html` renders a message's text as the customer's phone shows it (*bold*, _italic_,
~strike~, ```mono```, lists), links its URLs and shows the Pix QR link as the image itself (by
path, so the address works on whatever host and port the admin is opened on). `preview_orders`
lists the orders the simulator customer made, for links to them.
"""

import re

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from orders.models import Order

_URL = re.compile(r"https?://[^\s<]+")
_QR_PATH = re.compile(r"^https?://[^/\s]+(/payments/qr/[0-9a-fA-F-]+\.png)$")
_STYLES = [
    (re.compile(r"```(.+?)```", re.S), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), r"<s>\1</s>"),
]
_BULLET = re.compile(r"^(\s*)[-*] ", re.M)


def whatsapp_html(text: str) -> SafeString:
    """`text` as HTML with WhatsApp's formatting; everything else escaped."""
    pieces, last = [], 0
    for match in _URL.finditer(text or ""):
        pieces.append(_styled(text[last : match.start()]))
        url = match.group(0).rstrip(".,)")
        tail = match.group(0)[len(url) :]
        qr = _QR_PATH.match(url)
        if qr:
            pieces.append(f'<img class="pix-qr" src="{escape(qr.group(1))}" alt="QR Pix">')
        else:
            pieces.append(f'<a href="{escape(url)}" target="_blank" rel="noopener">{escape(url)}</a>')
        pieces.append(escape(tail))
        last = match.end()
    pieces.append(_styled((text or "")[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above


def _styled(text: str) -> str:
    html = _BULLET.sub(r"\1• ", escape(text))
    for pattern, replacement in _STYLES:
        html = pattern.sub(replacement, html)
    return html


def preview_orders(*, customer, limit: int = 5) -> list[dict]:
    """The newest orders of the simulator `customer`, with their admin pages (inside the company scope)."""
    rows = Order.objects.filter(customer=customer).order_by("-created_at", "-id")[:limit]
    orders = []
    for order in rows:
        try:
            url = reverse("admin:orders_order_change", args=[order.pk])
        except NoReverseMatch:
            url = ""
        orders.append({"id": order.pk, "total": order.total, "status": order.get_status_display(), "url": url})
    return orders
