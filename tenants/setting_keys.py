"""Declared CompanySetting keys: a key an app reads with a fixed type, a default and a rule.

An app declares the keys it reads once, at import time (`declare_setting(...)` at module level in
the module that reads them, imported by its AppConfig.ready()), and reads them back with
`key.get(company)`. A declared key is then checked wherever a setting is written (model clean,
`company_setting_set`, the API serializer): the declared type and the rule, a 400 or a form error
otherwise. Keys nobody declared stay free-form, as before.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DECLARED: dict[str, "SettingKey"] = {}


@dataclass(frozen=True)
class SettingKey:
    key: str
    value_type: str  # a CompanySetting.ValueType value
    default: object
    description: str
    validate: Callable[[object], None] | None = None  # raises ValidationError for a bad value

    def get(self, company):
        """The company's value, or the default when unset (or stored before the rule existed)."""
        from tenants.services import company_setting_get  # noqa: PLC0415 - services import the models that import this

        value = company_setting_get(company=company, key=self.key, default=None)
        if value is None:
            return self.default
        try:
            self.check(self.value_type, value)
        except ValidationError:
            return self.default
        return value

    def check(self, value_type: str, value) -> None:
        if value_type != self.value_type:
            raise ValidationError({"value_type": _("This setting is of type “%(type)s”.") % {"type": self.value_type}})
        if self.validate is not None:
            try:
                self.validate(value)
            except ValidationError as exc:
                raise ValidationError({"value": exc.messages}) from exc


def declare_setting(
    key: str, *, value_type: str, default, description: str, validate: Callable[[object], None] | None = None
) -> SettingKey:
    """Declare `key` (idempotent for the same declaration; a second, different one is a bug)."""
    declared = SettingKey(key, value_type, default, description, validate)
    existing = _DECLARED.setdefault(key, declared)
    if existing != declared:
        raise ValueError(f"CompanySetting key {key!r} is declared twice, differently")
    return declared


def declared_settings() -> list[SettingKey]:
    return sorted(_DECLARED.values(), key=lambda declared: declared.key)


def validate_declared_setting(key: str, value_type: str, value) -> None:
    """Raise ValidationError when `key` is declared and (value_type, value) break its declaration."""
    declared = _DECLARED.get(key)
    if declared is not None:
        declared.check(value_type, value)


def whole_number_between(low: int, high: int) -> Callable[[object], None]:
    """A rule for counts of days, minutes...: an integer from `low` to `high` (JSON may send 30.0)."""

    def validate(value) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValidationError(_("Use a whole number."))
        if not low <= value <= high:
            raise ValidationError(_("Use a number from %(low)s to %(high)s.") % {"low": low, "high": high})

    return validate
