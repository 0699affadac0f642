"""Reads of carts for other pages: the open cart in the staff inbox's customer panel."""

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from carts.services import cart_view
from conversations.panel import PanelRow, PanelSection


def open_cart_panel_section(conversation) -> PanelSection:
    """The customer's open cart: its items and total, linked to the cart's page. A few queries,
    whatever the customer's history (the open cart, its items, its zone)."""
    view = cart_view(company=conversation.company, customer=conversation.customer)
    if view.cart is None or not view.items:
        return PanelSection(_("Open cart"), empty=_("No open cart."))
    url = reverse("admin:carts_cart_change", args=[view.cart.pk])
    rows = [PanelRow(f"{item.quantity}×", item.name, url) for item in view.items]
    rows.append(PanelRow(_("Total"), f"R$ {number_format(view.total, 2)}"))
    return PanelSection(_("Open cart"), rows)
