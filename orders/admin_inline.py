"""Inline base for commerce admins (same fix as flows.admin._PkScopedInline; candidate for tenants)."""

from django import forms

from tenants.admin_mixins import CompanyScopedInline


class PkScopedInline(CompanyScopedInline):
    """The formset's hidden pk field lists the company's rows, not the default manager's (which
    refuses once the request's company scope is gone, e.g. when a test inspects the form)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        company = obj.company if obj is not None else getattr(request, "company", None)

        class ScopedPkFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                pk_field = form.fields.get(self._pk_field.name)
                if isinstance(pk_field, forms.ModelChoiceField) and company is not None:
                    pk_field.queryset = self.model._default_manager.for_company(company)

        return ScopedPkFormSet
