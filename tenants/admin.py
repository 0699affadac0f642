from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from tenants.admin_mixins import CompanyScopedAdmin, RoleCheckedAdmin, scoped_queryset_for
from tenants.admin_settings import CompanySettingForm, SettingsPagesAdminMixin, setting_text
from tenants.crypto import mask_secret
from tenants.login_throttle import ThrottledAdminAuthenticationForm
from tenants.models import ApiToken, Company, CompanySetting, Membership
from tenants.permissions import OTHERS_TOKENS, admin_allows, role_in
from tenants.readiness import company_warnings
from tenants.selectors import NO_ACCESS
from tenants.services import api_token_create, ensure_an_owner_remains
from tenants.settings_registry import setting_spec

admin.site.login_form = ThrottledAdminAuthenticationForm


def _access(request):
    return getattr(request, "company_access", NO_ACCESS)


@admin.register(Company)
class CompanyAdmin(RoleCheckedAdmin):
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # What the published bot needs and is missing (tenants.readiness), above the form.
        if request.method == "GET":
            company = self.get_object(request, unquote(object_id))
            for warning in company_warnings(company) if company is not None else ():
                messages.warning(request, warning)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("slug", "active")

    def has_module_permission(self, request):
        return admin_allows(_access(request), Company, "view")

    def has_view_permission(self, request, obj=None):
        return admin_allows(_access(request), Company, "view")

    def has_change_permission(self, request, obj=None):
        return admin_allows(_access(request), Company, "change")

    def has_add_permission(self, request):
        return admin_allows(_access(request), Company, "add")

    def has_delete_permission(self, request, obj=None):
        return admin_allows(_access(request), Company, "delete")


class MembershipForm(forms.ModelForm):
    """The company never loses its last owner by a role change."""

    class Meta:
        model = Membership
        fields = ("user", "role")

    def clean_role(self):
        role = self.cleaned_data["role"]
        was_owner = self.instance.pk and self.initial.get("role") == Membership.Role.OWNER
        if was_owner and role != Membership.Role.OWNER:
            ensure_an_owner_remains(company=self.instance.company, leaving=[self.instance.pk])
        return role


@admin.register(Membership)
class MembershipAdmin(CompanyScopedAdmin):
    form = MembershipForm
    list_display = ("user", "role", "company", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person's: re-pointing it would hand their role to someone else.
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None and obj.role == Membership.Role.OWNER:
            return _keeps_an_owner(obj.company, [obj.pk])
        return allowed

    def delete_queryset(self, request, queryset):
        company = _access(request).company  # None: a superuser's all-companies view
        if company is not None and not _keeps_an_owner(company, queryset.values_list("pk", flat=True)):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


def _keeps_an_owner(company, leaving) -> bool:
    try:
        ensure_an_owner_remains(company=company, leaving=leaving)
    except forms.ValidationError:
        return False
    return True


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


class ApiTokenCreateForm(forms.ModelForm):
    """A new token is always the requesting user's own: `user` is set from the request, never chosen."""

    user_id_for_new = None

    class Meta:
        model = ApiToken
        fields = ("name",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.user_id = self.user_id_for_new

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        exclude.discard("user")  # so a duplicate name is a form error, not an IntegrityError
        return exclude


@admin.register(ApiToken)
class ApiTokenAdmin(CompanyScopedAdmin):
    list_display = ("name", "user", "masked_key", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "masked_key", "created_at", "last_used_at")

    @admin.display(description=_("token"))
    def masked_key(self, obj):
        return mask_secret(obj.key) if obj and obj.pk else ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser or role_in(_access(request), OTHERS_TOKENS):
            return queryset
        return queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and _access(request).company is not None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        kwargs["form"] = type("ApiTokenCreateForm", (ApiTokenCreateForm,), {"user_id_for_new": request.user.pk})
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # tokens are not edited: revoke one and create another
        created = api_token_create(company=obj.company, user=request.user, name=obj.name)
        obj.pk = created.pk
        self.message_user(request, _("Token created: %(key)s (shown once; copy it now).") % {"key": created.key})
