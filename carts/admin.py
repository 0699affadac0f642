from django.contrib import admin

from carts.models import Cart, CartItem, SessionContext
from exports.sheets import SheetsExportAdminMixin
from exports.writers import ExportAdminMixin
from tenants.admin_mixins import CompanyScopedAdmin, CompanyScopedInline


class CartItemInline(CompanyScopedInline, admin.TabularInline):
    model = CartItem
    extra = 0
    fields = ("product", "name", "unit_price", "quantity", "note")


@admin.register(Cart)
class CartAdmin(ExportAdminMixin, SheetsExportAdminMixin, CompanyScopedAdmin):  # CSV/XLSX/TXT/WhatsApp: 6; Sheets: 8
    sheets_tab = "carrinhos"
    list_display = ("__str__", "customer", "source", "status", "delivery_zone", "last_activity_at", "order")
    list_filter = ("source", "status", "email_sent", "whatsapp_sent")
    search_fields = ("customer__name", "customer__phone", "external_id")
    list_select_related = ("customer", "delivery_zone", "order")
    readonly_fields = ("status", "order", "reminded_at", "closed_at", "created_at", "updated_at")
    inlines = [CartItemInline]


@admin.register(SessionContext)
class SessionContextAdmin(CompanyScopedAdmin):
    list_display = ("customer", "expires_at", "updated_at")
    readonly_fields = ("customer", "last_list", "expires_at", "updated_at")
