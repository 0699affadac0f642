"""The admin half of the scoping mechanism: every ModelAdmin of a tenant-owned model stands on these.

Rows are those of `request.company` (a superuser with no company chosen sees every company);
foreign-key choices are narrowed to the same company; `company` is set on save and is not a form
field unless a superuser is looking at all companies; permissions, actions and custom pages follow
the role matrix (tenants.permissions).
"""

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import DataError, models
from django.urls import URLPattern
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from tenants.formats import money_list_display
from tenants.models import Company, CompanyOwned
from tenants.permissions import ADMIN, admin_action_allows, admin_allows, admin_page_allows
from tenants.selectors import NO_ACCESS


def _access(request):
    return getattr(request, "company_access", NO_ACCESS)


def scoped_queryset_for(model, request):
    """The rows of `model` this request may see."""
    access = _access(request)
    manager = model._default_manager
    if issubclass(model, CompanyOwned):
        if access.company is not None:
            return manager.for_company(access.company)
        if access.is_superuser:
            return manager.unscoped()  # unscoped: a superuser's "all companies" view
        return manager.none()
    if model is Company:
        if access.company is not None:
            return Company.objects.filter(pk=access.company.pk)
        return Company.objects.all() if access.is_superuser else Company.objects.none()
    if model is get_user_model():
        # Staff pick users only among the company's members, never another company's people.
        if access.company is not None:
            return model.objects.filter(memberships__company=access.company).distinct()
        return model.objects.all() if access.is_superuser else model.objects.none()
    return None


class HttpsURLField(forms.URLField):
    """A URL typed without a scheme is https (provider and media URLs; Django 6's default, chosen now)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class CompanyScopedAdminMixin:
    """Shared by ModelAdmin and inlines."""

    formfield_overrides = {models.URLField: {"form_class": HttpsURLField}}

    def get_queryset(self, request):
        queryset = scoped_queryset_for(self.model, request)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scoped = scoped_queryset_for(db_field.related_model, request)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scoped = scoped_queryset_for(db_field.related_model, request)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if _access(request).company is not None:
            exclude.append("company")
        return exclude

    def role_allows(self, request, permission: str) -> bool:
        return admin_allows(_access(request), self.model, permission)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, "view")

    def has_module_permission(self, request):
        return self.role_allows(request, "view")

    def has_add_permission(self, request, *args):
        return self.role_allows(request, "add") and (_access(request).company is not None or request.user.is_superuser)

    def has_change_permission(self, request, obj=None):
        return self.role_allows(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self.role_allows(request, "delete")


def bind_company(form_class, company):
    """A form class whose new instances belong to `company` before validation runs."""

    class CompanyBoundForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.company_id is None:
                self.instance.company = company

        def _get_validation_exclusions(self):
            # Keep `company` in: every unique constraint includes it, and skipping them would
            # turn a duplicate into an IntegrityError instead of a form error.
            exclude = super()._get_validation_exclusions()
            exclude.discard("company")
            return exclude

    CompanyBoundForm.__name__ = form_class.__name__
    return CompanyBoundForm


class RoleCheckedAdmin(admin.ModelAdmin):
    """Admin actions and custom pages follow the role matrix (the has_*_permission methods are each subclass's)."""

    @property
    def urls(self):
        """Every page a subclass adds in get_urls() answers only the roles the matrix names for it."""
        standard = {str(pattern.pattern) for pattern in admin.ModelAdmin.get_urls(self)}
        return [
            pattern if str(pattern.pattern) in standard else self._role_checked(pattern) for pattern in self.get_urls()
        ]

    def _role_checked(self, pattern):
        view, model, url_name = pattern.callback, self.model, pattern.name

        @wraps(view)
        def checked(request, *args, **kwargs):
            # An anonymous visitor goes on to the admin's own redirect to the login page.
            if request.user.is_authenticated and not admin_page_allows(_access(request), model, url_name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return URLPattern(pattern.pattern, checked, pattern.default_args, pattern.name)

    def get_action_choices(self, request, default_choices=models.BLANK_CHOICE_DASH):
        """The action menu lists only what the role may run (mixins add actions after get_actions)."""
        choices = super().get_action_choices(request, default_choices)
        return [(name, label) for name, label in choices if not name or self.action_allowed(request, name)]

    def action_allowed(self, request, name: str) -> bool:
        return admin_action_allows(_access(request), self.model, name)

    def changelist_view(self, request, extra_context=None):
        chosen = request.POST.get("action", "") if request.method == "POST" else ""
        if chosen and not self.action_allowed(request, chosen):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)


class CompanyScopedAdmin(CompanyScopedAdminMixin, RoleCheckedAdmin):
    def get_list_display(self, request):
        """Money fields read R$ 1.234,56 in the list."""
        return money_list_display(self.model, super().get_list_display(request), self.list_editable)

    def get_changelist_instance(self, request):
        """400 for filter parameters the query cannot take (``?placed_at__year=99999``, a month 13).

        The changelist counts its rows while it is built, so a value that fails only when the SQL
        is compiled or run (a year past 9999, a number past the column) surfaces here, not as a 500.
        """
        try:
            return super().get_changelist_instance(request)
        except (IncorrectLookupParameters, ValueError, OverflowError, DataError) as exc:
            raise BadRequest(_("Invalid filter in the address: %(reason)s") % {"reason": exc}) from exc

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        company = _access(request).company
        return bind_company(form, company) if company is not None else form

    def save_model(self, request, obj, form, change):
        if obj.company_id is None:
            obj.company = _access(request).company
        super().save_model(request, obj, form, change)


class CompanyScopedInline(CompanyScopedAdminMixin):
    """Mix into TabularInline/StackedInline: child rows take the parent's company.

    An inline may do what its parent's page allows, and no more than its own model's matrix entry
    when it has one.
    """

    def role_allows(self, request, permission: str) -> bool:
        access = _access(request)
        own = admin_allows(access, self.model, permission) if self.model._meta.label in ADMIN else True
        return own and admin_allows(access, self.parent_model, permission)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        company = obj.company if obj is not None else _access(request).company
        if company is None:
            return formset
        formset.form = bind_company(formset.form, company)

        class CompanyFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                # The hidden pk field would use the fail-closed default manager, which refuses
                # once the request's scope has ended (e.g. when a template renders lazily).
                pk_field = form.fields.get(self._pk_field.name)
                if isinstance(pk_field, forms.ModelChoiceField):
                    pk_field.queryset = self.model._default_manager.for_company(company)

            @cached_property
            def forms(self):
                return share_choices(super().forms)

        return CompanyFormSet


def share_choices(forms_list):
    """Each inline row's foreign-key select lists the same rows: read them once for all rows,
    not once per row (validation still goes through each field's queryset)."""
    if len(forms_list) < 2:
        return forms_list
    for name, form_field in forms_list[0].fields.items():
        if not isinstance(form_field, forms.ModelChoiceField) or form_field.widget.is_hidden:
            continue
        choices = list(form_field.choices)
        for form in forms_list:
            form.fields[name].choices = choices
    return forms_list
