from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tenants.admin_mixins import CompanyScopedAdmin, scoped_queryset_for
from tenants.admin_settings import CompanySettingForm, SettingsPagesAdminMixin, setting_text
from tenants.crypto import mask_secret
from tenants.models import ApiToken, Company, CompanySetting, Membership
from tenants.selectors import NO_ACCESS
from tenants.services import api_token_create
from tenants.settings_registry import setting_spec


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "bot_enabled", "bot_status", "test_mode")
    list_filter = ("active", "bot_enabled", "bot_status")
    search_fields = ("name", "slug")
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "active")}),
        (_("Bot"), {"fields": ("bot_enabled", "bot_status", "test_mode", "test_contact")}),
        (
            _("Limits"),
            {
                "classes": ("collapse",),
                "fields": (
                    "message_debounce_seconds",
                    "max_incoming_text_chars",
                    "max_buffer_text_chars",
                    "webhook_rate_limit_per_min",
                    "max_item_quantity",
                    "cart_abandoned_reminder_min",
                    "cart_abandoned_cancel_min",
                    "state_stale_reset_min",
                    "repeat_order_lookback_days",
                    "rating_delay_min",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return scoped_queryset_for(Company, request)

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("slug", "active")

    def has_module_permission(self, request):
        return getattr(request, "company_access", NO_ACCESS).can_read

    def has_view_permission(self, request, obj=None):
        return getattr(request, "company_access", NO_ACCESS).can_read

    def has_change_permission(self, request, obj=None):
        return getattr(request, "company_access", NO_ACCESS).can_delete

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin):
    list_display = ("user", "role", "company", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")


@admin.register(CompanySetting)
class CompanySettingAdmin(SettingsPagesAdminMixin, CompanyScopedAdmin):
    form = CompanySettingForm
    list_display = ("key", "label", "value_type", "shown_value", "updated_at")
    list_filter = ("value_type",)
    search_fields = ("key", "description")
    change_list_template = "admin/tenants/companysetting/change_list.html"

    @admin.display(description=_("setting"))
    def label(self, obj):
        spec = setting_spec(obj.key)
        return spec.label if spec else "-"

    @admin.display(description=_("value"))
    def shown_value(self, obj):
        if obj.value_type == CompanySetting.ValueType.SECRET:
            return _("(set; never shown)")
        spec = setting_spec(obj.key)
        return setting_text(spec, obj.value) if spec else obj.value


@admin.register(ApiToken)
class ApiTokenAdmin(CompanyScopedAdmin):
    list_display = ("name", "user", "masked_key", "created_at", "last_used_at")
    fields = ("user", "name", "masked_key", "created_at", "last_used_at")
    readonly_fields = ("masked_key", "created_at", "last_used_at")

    @admin.display(description=_("token"))
    def masked_key(self, obj):
        return mask_secret(obj.key) if obj and obj.pk else ""

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = api_token_create(company=obj.company, user=obj.user, name=obj.name)
        obj.pk = created.pk
        self.message_user(request, _("Token created: %(key)s (shown once; copy it now).") % {"key": created.key})
