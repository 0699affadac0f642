"""The customer's page lists what the person has with the shop: orders, carts, conversations and
leads, the latest few of each, with a link to the full filtered list."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from carts.models import Cart
from conversations.models import Conversation
from leads.models import Lead
from orders.models import Order
from tenants.formats import brl

SHOWN = 5


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def _section(rows, count: int, changelist: str, customer_pk: int, cells):
    """A small table of `rows` (the latest few) and a link to all `count` rows of the customer."""
    if not count:
        return _("None yet.")
    url = f"{reverse(f'admin:{changelist}_changelist')}?{urlencode({'customer__id__exact': customer_pk})}"
    change = f"admin:{changelist}_change"
    lines = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        ((reverse(change, args=[row.pk]), *cells(row)) for row in rows),
    )
    return format_html(
        '<table class="customer-related"><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
        lines,
        url,
        _("See all (%(count)s)") % {"count": count},
    )


class CustomerRelatedListsMixin:
    """Read-only fields for the customer's change page (put them in `readonly_fields`)."""

    related_fields = ("related_orders", "related_carts", "related_conversations", "related_leads")

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields + self.related_fields if obj is not None else fields

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in self.related_fields]
        return fields + list(self.related_fields) if obj is not None else fields

    @admin.display(description=_("orders"))
    def related_orders(self, obj):
        orders = Order.objects.for_company(obj.company_id).filter(customer=obj)
        return _section(
            orders.order_by("-created_at")[:SHOWN],
            orders.count(),
            "orders_order",
            obj.pk,
            lambda o: (o.number, o.get_status_display(), brl(o.total), _when(o.placed_or_created_at)),
        )

    @admin.display(description=_("carts"))
    def related_carts(self, obj):
        carts = Cart.objects.for_company(obj.company_id).filter(customer=obj)
        return _section(
            carts.order_by("-last_activity_at")[:SHOWN],
            carts.count(),
            "carts_cart",
            obj.pk,
            lambda c: (f"#{c.pk}", c.get_status_display(), c.get_source_display(), _when(c.last_activity_at)),
        )

    @admin.display(description=_("conversations"))
    def related_conversations(self, obj):
        conversations = Conversation.objects.for_company(obj.company_id).filter(customer=obj).select_related("channel")
        return _section(
            conversations.order_by("-updated_at")[:SHOWN],
            conversations.count(),
            "conversations_conversation",
            obj.pk,
            lambda c: (c.channel.name, c.get_status_display(), "", _when(c.updated_at)),
        )

    @admin.display(description=_("leads"))
    def related_leads(self, obj):
        leads = Lead.objects.for_company(obj.company_id).filter(customer=obj)
        return _section(
            leads.order_by("-submitted_at")[:SHOWN],
            leads.count(),
            "leads_lead",
            obj.pk,
            lambda lead: (lead.name or "—", lead.size or "", "", _when(lead.submitted_at)),
        )
