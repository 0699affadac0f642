"""Admin page of imported WooCommerce abandoned carts with their recovery status, toggles and exports.

A proxy of carts.Cart (the carts admin belongs to the commerce app); registered from LeadsConfig.ready().
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from exports.writers import CART_MESSAGE, Column, ExportAdminMixin, column
from leads.models import ImportedCart
from leads.recovery import ABANDONED, RECOVERED, WAITING, cart_recovery_summary, with_recovery
from tenants.admin_mixins import CompanyScopedAdmin

RECOVERY_LABELS = {RECOVERED: _("Recovered"), WAITING: _("Waiting"), ABANDONED: _("Abandoned")}


class RecoveryStatusFilter(admin.SimpleListFilter):
    title = _("recovery")
    parameter_name = "recovery"

    def lookups(self, request, model_admin):
        return list(RECOVERY_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(recovery_status=self.value()) if self.value() in RECOVERY_LABELS else queryset


@admin.register(ImportedCart)
class ImportedCartAdmin(ExportAdminMixin, CompanyScopedAdmin):
    export_name = "carrinhos-abandonados"
    export_phone_attr = "customer__phone"
    export_name_attr = "customer__name"
    export_message = CART_MESSAGE
    export_columns = (
        column(_("cart"), "external_id"),
        column(_("name"), "customer__name"),
        column(_("phone"), "customer__phone"),
        column(_("email"), "customer__email"),
        column(_("total"), "external_total"),
        column(_("cart time"), "last_activity_at"),
        Column(_("recovery"), lambda cart: str(RECOVERY_LABELS.get(cart.recovery_status, ""))),
        column(_("email sent"), "email_sent"),
        column(_("WhatsApp sent"), "whatsapp_sent"),
    )
    list_display = (
        "external_id",
        "customer",
        "external_total",
        "last_activity_at",
        "recovery",
        "recovering_order",
        "email_sent",
        "whatsapp_sent",
    )
    list_editable = ("email_sent", "whatsapp_sent")
    list_filter = (RecoveryStatusFilter, "source", "status", "email_sent", "whatsapp_sent", "last_activity_at")
    search_fields = ("external_id", "customer__name", "customer__phone", "customer__email")
    # No joins in the list query: joining every cart's customer and order before sorting for the first
    # page costs more than two small queries for the page's 100 rows (prefetched in get_queryset).
    list_select_related = ()
    # No date_hierarchy: its year/month links cost two scans of every cart (MIN/MAX, then DISTINCT
    # years) on each load; the sidebar's date filter narrows by period without them.
    show_full_result_count = False  # one COUNT of the filtered carts is enough ("N results", not "of M")
    fields = ("external_id", "customer", "status", "external_total", "last_activity_at", "email_sent", "whatsapp_sent")
    readonly_fields = ("external_id", "customer", "status", "external_total", "last_activity_at")

    def get_queryset(self, request):
        # Every cart stays listed (filter by source); recovery is blank where it does not apply.
        carts = super().get_queryset(request).prefetch_related("customer", "recovery_order")
        return with_recovery(carts, getattr(request, "company", None))

    def has_add_permission(self, request, *args):
        return False

    @admin.display(description=_("recovery"), ordering="recovery_status")
    def recovery(self, obj):
        return RECOVERY_LABELS.get(obj.recovery_status, "-")

    @admin.display(description=_("recovering order"))
    def recovering_order(self, obj):
        return obj.recovery_order.number if obj.recovery_order_id else "-"  # the store's number (Woo #101)

    def changelist_view(self, request, extra_context=None):
        company = getattr(request, "company", None)
        if company is not None:
            figures = cart_recovery_summary(company)  # the title needs the carts' figures only
            extra_context = {
                **(extra_context or {}),
                "title": _(
                    "Abandoned carts (WooCommerce): %(recovered)s of %(carts)s recovered (%(rate)s%%), %(revenue)s"
                )
                % {
                    "recovered": figures["recovered"],
                    "carts": figures["carts"],
                    "rate": figures["recovery_rate"],
                    "revenue": figures["recovered_revenue"],
                },
            }
        return super().changelist_view(request, extra_context)
