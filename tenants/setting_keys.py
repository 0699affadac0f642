"""Declared CompanySetting keys: a key an app reads with a type, a default and a rule.

An app declares the keys it reads once, at module level in the module that reads them (imported by
its AppConfig.ready()), and reads them back with `key.get(company)`: the stored value, or the
default when unset or stored before the rule existed. The rule is registered as the key's save
check (`tenants.models.setting_check_register`), so the admin, the API and the services refuse a
bad value with a field error.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.models import Company, setting_check_register
from tenants.services import company_setting_get

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
    key: str, *, value_type: str, default, description: str, validate: Callable[[object], None]
) -> SettingKey:
    """Declare `key` and register its rule (idempotent for the same declaration; a second, different
    declaration of one key is a bug)."""
    declared = SettingKey(key, value_type, default, description, validate)
    existing = _DECLARED.setdefault(key, declared)
    if existing != declared:
        raise ValueError(f"CompanySetting key {key!r} is declared twice, differently")
    setting_check_register(key, validate)
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
