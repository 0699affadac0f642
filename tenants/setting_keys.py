"""Declared CompanySetting keys with a default: a key an app reads with a type, a default and a rule.

An app declares the keys it reads once, at module level in the module that reads them (imported by
its AppConfig.ready()), and reads them back with `key.get(company)`: the stored value, or the
default when unset or stored before the rule existed. The declaration goes into the one settings
registry (tenants.settings_registry) with the rule as the key's check, so the admin, the API and
the services refuse a bad value with a field error, and the key has a field on its settings page
(the retention page unless another group is given).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tenants.models import Company
from tenants.services import company_setting_get
from tenants.settings_registry import SettingGroup, SettingSpec, setting_group_register

RETENTION = SettingGroup(
    "retention",
    _("Data retention (LGPD)"),
    _("How long personal data is kept; older rows are deleted by a daily job. Empty: the default."),
    order=80,
)

_DECLARED: dict[str, "SettingKey"] = {}


@dataclass(frozen=True)
class SettingKey:
    key: str
    value_type: str  # a CompanySetting.ValueType value
    default: object
    description: str
    validate: Callable[[object], None]  # raises ValidationError for a value of the wrong type or range

    def get(self, company: Company):
        value = company_setting_get(company=company, key=self.key, default=None)
        if value is None:
            return self.default
        try:
            self.validate(value)
        except ValidationError:
            return self.default
        return value


def declare_setting(
    key: str,
    *,
    value_type: str,
    default,
    description,
    validate: Callable[[object], None],
    group: SettingGroup = RETENTION,
) -> SettingKey:
    """Declare `key` and register it with its rule (idempotent for the same declaration; a second,
    different declaration of one key is a bug). `description` is its label on the settings page."""
    declared = SettingKey(key, value_type, default, description, validate)
    existing = _DECLARED.setdefault(key, declared)
    if existing != declared:
        raise ValueError(f"CompanySetting key {key!r} is declared twice, differently")
    help_text = format_lazy(_("Default: {default}."), default=default)
    setting_group_register(group, SettingSpec(key, value_type, description, help_text, check=validate))
    return declared


def declared_settings() -> list[SettingKey]:
    return sorted(_DECLARED.values(), key=lambda declared: declared.key)


def whole_number_between(low: int, high: int) -> Callable[[object], None]:
    """A rule for counts of days, minutes...: a number (not text) holding an integer from `low` to
    `high` (JSON may send 30.0)."""

    def validate(value) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValidationError(_("Use a whole number."))
        if not low <= value <= high:
            raise ValidationError(_("Use a number from %(low)s to %(high)s.") % {"low": low, "high": high})

    return validate


def yes_or_no(value) -> None:
    """A rule for switches: a true boolean (not the text "true", not 1)."""
    if not isinstance(value, bool):
        raise ValidationError(_("Use yes or no."))
