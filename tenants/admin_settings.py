"""Company settings as forms: the key/value row form (value read by the key's declared type) and
one page per integration, built from tenants.settings_registry, with a "Testar" button where the
integration connects somewhere. Secrets are write-only: a page says whether one is set, never what."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.models import CompanySetting, validate_setting_value
from tenants.selectors import NO_ACCESS
from tenants.services import company_setting_delete, company_setting_set
from tenants.settings_registry import (
    BOOLEAN,
    JSON,
    LONG_TEXT,
    SettingSpec,
    group_specs,
    known_spec,
    parse_setting_text,
    setting_group,
    setting_groups,
    setting_spec,
    setting_specs,
)

SUGGESTIONS_SESSION_KEY = "balcao_setting_suggestions"  # {"<company>:<group>": {key: [values]}}


def setting_text(spec: SettingSpec, value) -> str:
    """A stored (non-secret) value as staff type it back."""
    if value is None:
        return ""
    if spec.kind == BOOLEAN:
        return _("yes") if value else _("no")
    if spec.kind == JSON:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


def _key_choices():
    groups = {group.slug: str(group.label) for group in setting_groups()}
    by_group: dict[str, list] = {}
    for spec in setting_specs():
        by_group.setdefault(groups.get(spec.group, ""), []).append((spec.key, f"{spec.key} — {spec.label}"))
    return [("", "---------"), *sorted(by_group.items())]


class CompanySettingForm(forms.ModelForm):
    """One row: the key is one of the declared ones, and the value is read by that key's type
    (text stays text: 127.0.0.1 needs no quotes). A secret left blank keeps the stored one."""

    key = forms.ChoiceField(label=gettext_lazy("key"), choices=_key_choices)
    value = forms.CharField(label=gettext_lazy("value"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    secret_value = forms.CharField(
        label=gettext_lazy("secret value"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("For secret settings; stored encrypted and never shown again. Blank keeps it."),
    )

    class Meta:
        model = CompanySetting
        fields = ("key", "value", "secret_value", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = setting_spec(self.instance.key) if self.instance.pk else None
        if spec is not None and not spec.secret:
            self.initial["value"] = setting_text(spec, self.instance.value)
        self.initial["secret_value"] = ""

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("key")
        if not key:
            return cleaned
        spec = known_spec(key)
        self.instance.value_type = spec.value_type
        if spec.secret:
            cleaned["value"] = None
            secret = cleaned.get("secret_value") or ""
            if not secret and self.instance.pk and self.instance.key == key:
                secret = self.instance.secret_value  # blank keeps the stored secret
            if not secret:
                self.add_error("secret_value", _("Type the secret."))
            cleaned["secret_value"] = secret
            return cleaned
        try:
            cleaned["value"] = parse_setting_text(spec, cleaned.get("value") or "")
        except ValidationError as exc:
            self.add_error("value", exc)
            return cleaned
        if cleaned["value"] is None:
            self.add_error("value", _("Type a value (to remove a setting, delete it)."))
        cleaned["secret_value"] = ""
        return cleaned


class IntegrationForm(forms.Form):
    """The keys of one settings group as typed fields; `save()` writes them through the service."""

    def __init__(self, *args, specs: list[SettingSpec], stored: dict[str, CompanySetting], suggestions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.specs, self.stored = specs, stored
        for spec in specs:
            self.fields[spec.key] = self._field(spec, stored.get(spec.key), (suggestions or {}).get(spec.key))
            if spec.secret and spec.key in stored:
                self.fields[f"{spec.key}__clear"] = forms.BooleanField(
                    label=_("Remove the stored %(label)s") % {"label": str(spec.label).lower()}, required=False
                )

    def _field(self, spec: SettingSpec, row: CompanySetting | None, suggestions):
        help_text = str(spec.help_text)
        if spec.secret:
            state = _("Set — leave blank to keep it.") if row is not None else _("Not set.")
            widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            return forms.CharField(
                label=spec.label, required=False, strip=False, widget=widget, help_text=f"{help_text} {state}".strip()
            )
        initial = setting_text(spec, row.value) if row is not None else ""
        if spec.choices:
            choices = [("", _("— none —")), *[(value, label) for value, label in spec.choices]]
            return forms.ChoiceField(
                label=spec.label, required=False, choices=choices, initial=initial, help_text=help_text
            )
        attrs = {}
        if suggestions:
            attrs["list"] = f"suggestions-{spec.key}"
            help_text = f"{help_text} " + _("Found at the source: %(values)s") % {"values": ", ".join(suggestions[:20])}
        widget = (
            forms.Textarea(attrs={"rows": 3, **attrs})
            if spec.kind in (LONG_TEXT, JSON)
            else forms.TextInput(attrs=attrs)
        )
        field = forms.CharField(
            label=spec.label, required=False, initial=initial, widget=widget, help_text=help_text.strip()
        )
        field.suggestions = suggestions or []
        return field

    def sections(self) -> list[tuple[str, list]]:
        """[(heading, [bound fields])]: the fields of each spec's section, in declaration order."""
        sections: list[tuple[str, list]] = []
        for spec in self.specs:
            names = [spec.key] + ([f"{spec.key}__clear"] if f"{spec.key}__clear" in self.fields else [])
            heading = str(spec.section)
            if not sections or sections[-1][0] != heading:
                sections.append((heading, []))
            sections[-1][1].extend(self[name] for name in names)
        return sections

    def clean(self):
        cleaned = super().clean()
        self.changes: list[tuple[SettingSpec, object]] = []  # (spec, value); None removes the setting
        for spec in self.specs:
            raw = cleaned.get(spec.key) or ""
            if spec.secret:
                if cleaned.get(f"{spec.key}__clear"):
                    self.changes.append((spec, None))
                elif raw:
                    self._check(spec, spec.value_type, None, raw)
                    self.changes.append((spec, raw))
                continue
            try:
                value = parse_setting_text(spec, raw)
            except ValidationError as exc:
                self.add_error(spec.key, exc)
                continue
            if value is not None:
                self._check(spec, spec.value_type, value, "")
            self.changes.append((spec, value))
        return cleaned

    def _check(self, spec, value_type, value, secret) -> None:
        try:
            validate_setting_value(value_type, value, secret, key=spec.key)
        except ValidationError as exc:
            self.add_error(spec.key, [message for messages in exc.message_dict.values() for message in messages])

    @transaction.atomic
    def save(self, company) -> None:
        for spec, value in self.changes:
            if value is None:
                company_setting_delete(company=company, key=spec.key)
            else:
                company_setting_set(company=company, key=spec.key, value=value, value_type=spec.value_type)


class SettingsPagesAdminMixin:
    """Adds to the CompanySetting admin: `integrations/` (every page) and `integrations/<slug>/`."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("integrations/", view(self.integrations_view), name="tenants_companysetting_integrations"),
            path("integrations/<slug:slug>/", view(self.integration_view), name="tenants_companysetting_integration"),
            *super().get_urls(),
        ]

    def _company(self, request):
        access = getattr(request, "company_access", NO_ACCESS)
        if access.company is None or not self.has_view_permission(request):
            raise PermissionDenied
        return access.company

    def integrations_view(self, request):
        company = self._company(request)
        stored = set(CompanySetting.objects.for_company(company).values_list("key", flat=True))
        pages = [
            {
                "group": group,
                "url": reverse("admin:tenants_companysetting_integration", args=[group.slug]),
                "set": len(stored & set(group.keys)),
                "total": len(group.keys),
                "has_test": group.test is not None,
            }
            for group in setting_groups()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Integrations and settings"),
            "opts": self.model._meta,
            "pages": pages,
            "company": company,
        }
        return TemplateResponse(request, "admin/tenants/companysetting/integrations.html", context)

    def integration_view(self, request, slug):
        company = self._company(request)
        group = setting_group(slug)
        if group is None:
            raise Http404
        specs = group_specs(group)
        stored = {row.key: row for row in CompanySetting.objects.for_company(company).filter(key__in=group.keys)}
        suggestion_key = f"{company.pk}:{slug}"
        suggestions = request.session.get(SUGGESTIONS_SESSION_KEY, {}).get(suggestion_key, {})
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            form = IntegrationForm(request.POST, specs=specs, stored=stored, suggestions=suggestions)
            if form.is_valid():
                form.save(company)
                messages.success(request, _("Settings saved."))
                if request.POST.get("action") == "test" and group.test is not None:
                    result = group.test(company)
                    messages.add_message(request, messages.SUCCESS if result.ok else messages.ERROR, result.message)
                    if result.suggestions:
                        found = request.session.get(SUGGESTIONS_SESSION_KEY, {})
                        found[suggestion_key] = result.suggestions
                        request.session[SUGGESTIONS_SESSION_KEY] = found
                return HttpResponseRedirect(request.path)
        else:
            form = IntegrationForm(specs=specs, stored=stored, suggestions=suggestions)
        context = {
            **self.admin_site.each_context(request),
            "title": group.label,
            "opts": self.model._meta,
            "group": group,
            "has_test": group.test is not None,
            "form": form,
            "sections": form.sections(),
            "can_change": self.has_change_permission(request),
            "suggestions": {key: values for key, values in suggestions.items() if values},
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/tenants/companysetting/integration.html", context)
