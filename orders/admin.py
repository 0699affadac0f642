"""The order board: orders by status (filter and counts), actions that advance the status via the service."""

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from exports.sheets import SheetsExportAdminMixin
from exports.writers import Column, ExportAdminMixin, column
from orders.board_admin import OrderBoardAdminMixin, order_contact_html, order_pix_html, order_static_pix_html
from orders.erp_admin import ERP_FIELDS, erp_push_again_action, erp_state
from orders.models import Order, OrderItem, Payment
from orders.payments import NothingToConfirm, confirm_static_pix
from orders.services import InvalidTransition, order_transition
from tenants.admin_filters import LinkedParameterFilter
from tenants.admin_mixins import CompanyScopedAdmin, CompanyScopedInline, scoped_queryset_for


class OrderItemInline(CompanyScopedInline, admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ("name", "quantity", "unit_price", "total", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(CompanyScopedInline, admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("provider", "external_id", "status", "amount", "expires_at", "approved_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _advance_action(to: str, label):
    def action(modeladmin, request, queryset):
        moved, refused = 0, 0
        for order in queryset:
            try:
                moved += order_transition(order=order, to=to)
            except InvalidTransition:
                refused += 1
        modeladmin.message_user(request, _("%(n)s order(s) updated.") % {"n": moved}, messages.SUCCESS)
        if refused:
            modeladmin.message_user(
                request, _("%(n)s order(s) cannot go to that status.") % {"n": refused}, messages.WARNING
            )

    action.__name__ = f"mark_{to}"
    action.short_description = label
    action.allowed_permissions = ("change",)
    return action


@admin.action(description=_("Confirm the static Pix payment"), permissions=["change"])
def confirm_static_pix_action(modeladmin, request, queryset):
    confirmed = 0
    for order in queryset:
        try:
            confirm_static_pix(order, request.user)
        except NothingToConfirm:
            continue
        confirmed += 1
    modeladmin.message_user(request, _("%(n)s Pix payment(s) confirmed.") % {"n": confirmed}, messages.SUCCESS)


class ProductFilter(LinkedParameterFilter):
    """?product=<item name>: orders with an item of that name (the dashboard's top products link here)."""

    title = _("product")
    parameters = ("product",)

    def filter(self, request, queryset, values):
        items = scoped_queryset_for(OrderItem, request).filter(order=OuterRef("pk"), name=values["product"])
        return queryset.filter(Exists(items))


@admin.register(Order)  # exports CSV/XLSX/TXT/WhatsApp: issue 6; Sheets: issue 8
class OrderAdmin(OrderBoardAdminMixin, ExportAdminMixin, SheetsExportAdminMixin, CompanyScopedAdmin):
    sheets_tab = "pedidos"
    export_columns = (
        column(_("number"), "number"),
        Column(_("status"), lambda order: order.get_status_display()),
        column(_("customer"), "customer__name"),
        column(_("total"), "total"),
        Column(_("payment method"), lambda order: order.get_payment_method_display()),
        column(_("neighbourhood"), "neighbourhood"),
        column(_("placed at"), "placed_or_created_at"),
        column(_("rating"), "rating"),
    )
    list_display = ("number", "status", "customer", "total", "payment_method", "neighbourhood", "placed", "rating")
    list_filter = (ProductFilter, "status", "source", "payment_method", "created_at")
    search_fields = ("=id", "customer__name", "customer__phone", "address", "external_id")
    date_hierarchy = "created_at"
    list_select_related = ("customer",)
    inlines = [OrderItemInline, PaymentInline]
    # Status changes only through the actions (the service enforces the allowed transitions).
    readonly_fields = (
        "status", "source", "external_id", "subtotal", "delivery_fee", "total", "placed_at", "paid_at",
        "completed_at", "cancelled_at", "rating", "rating_requested_at", "rated_at", "created_at",
        "erp_status", *ERP_FIELDS,  # ERP push result
    )  # fmt: skip
    contact_fields = ("number", "customer_contact", "pix", "static_pix")
    fields = (
        *contact_fields, "customer", "delivery_zone", "neighbourhood", "address", "payment_method", *readonly_fields
    )  # fmt: skip
    readonly_fields = (*contact_fields, *readonly_fields)
    actions = [
        _advance_action(Order.Status.PAID, _("Mark as paid")),
        _advance_action(Order.Status.PREPARING, _("Mark as preparing")),
        _advance_action(Order.Status.OUT_FOR_DELIVERY, _("Mark as out for delivery")),
        _advance_action(Order.Status.COMPLETED, _("Mark as completed")),
        _advance_action(Order.Status.CANCELLED, _("Cancel (stock returned)")),
        erp_push_again_action,
        confirm_static_pix_action,
    ]

    @admin.display(description=_("number"), ordering="id")
    def number(self, obj):
        return obj.number

    @admin.display(description=_("placed at"), ordering="placed_at")
    def placed(self, obj):
        return obj.placed_or_created_at

    @admin.display(description=_("customer's phone"))
    def customer_contact(self, obj):
        return order_contact_html(obj)

    @admin.display(description=_("ERP status"))
    def erp_status(self, obj):
        return erp_state(obj)[1] or _("Not sent to an ERP.")

    @admin.display(description=_("Pix"))
    def pix(self, obj):
        return order_pix_html(obj)

    @admin.display(description=_("Pix to confirm"))
    def static_pix(self, obj):
        return order_static_pix_html(obj)

    def changelist_view(self, request, extra_context=None):
        # The list's header: how many orders are in each status right now, and the board.
        counts = dict(self.get_queryset(request).values_list("status").annotate(n=Count("id")).order_by())
        board = [(value, label, counts.get(value, 0)) for value, label in Order.Status.choices]
        extra_context = {**(extra_context or {}), "order_board": board}
        return super().changelist_view(request, extra_context)


@admin.register(Payment)
class PaymentAdmin(CompanyScopedAdmin):
    list_display = ("public_id", "order", "provider", "status", "amount", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("external_id", "=order__id")
    readonly_fields = (
        "order", "public_id", "provider", "external_id", "status", "status_detail", "amount", "qr_payload",
        "expires_at", "approved_at", "confirmed_by", "receipt_message", "receipt_received_at", "alerted_at",
        "created_at",
    )  # fmt: skip

    def has_add_permission(self, request, *args):
        return False
