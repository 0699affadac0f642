from django.contrib import admin, messages

from catalog.models import Category, DeliveryZone, Product, StockMovement
from catalog.services import stock_set
from tenants.admin_mixins import CompanyScopedAdmin


@admin.register(Category)
class CategoryAdmin(CompanyScopedAdmin):
    list_display = ("name", "position", "active")
    list_editable = ("position", "active")
    search_fields = ("name",)


@admin.register(Product)
class ProductAdmin(CompanyScopedAdmin):
    list_display = ("name", "category", "price", "sku", "stock", "active")
    list_filter = ("active", "category")
    search_fields = ("name", "sku")
    list_select_related = ("category",)  # nullable: the automatic select_related() skips it
    # Stock changes go through the ledger: an edited value becomes an adjustment movement.
    fields = ("category", "name", "description", "price", "sku", "stock", "active", "position")

    def save_model(self, request, obj, form, change):
        new_stock = obj.stock
        if change and "stock" in form.changed_data:
            obj.stock = form.initial.get("stock")
        super().save_model(request, obj, form, change)
        if change and "stock" in form.changed_data:
            try:
                stock_set(product=obj, quantity=new_stock, reference=f"admin:{request.user.pk}")
            except ValueError as exc:
                messages.error(request, str(exc))
        elif not change and new_stock is not None:
            obj.stock = None
            type(obj).objects.for_company(obj.company_id).filter(pk=obj.pk).update(stock=None)
            stock_set(product=obj, quantity=new_stock, reference=f"admin:{request.user.pk}")


@admin.register(StockMovement)
class StockMovementAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "product", "delta", "stock_after", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("product__name", "reference")
    readonly_fields = ("product", "delta", "reason", "reference", "stock_after", "created_at")

    def has_add_permission(self, request, *args):
        return False  # the ledger is written only by stock_move

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeliveryZone)
class DeliveryZoneAdmin(CompanyScopedAdmin):
    list_display = ("neighbourhood", "fee", "active")
    list_editable = ("fee", "active")
    search_fields = ("neighbourhood",)
