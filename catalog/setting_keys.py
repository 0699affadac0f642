"""The catalog's one setting, declared for tenants.settings_registry."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.services import DEFAULT_DELIVERY_FEE_KEY
from tenants.settings_registry import TEXT, SettingGroup, SettingSpec, setting_group_register


def fee_check(value) -> None:
    try:
        fee = Decimal(str(value).replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError(_("Type an amount, e.g. 5,50.")) from exc
    if fee < 0 or not fee.is_finite():
        raise ValidationError(_("Type an amount, e.g. 5,50."))


def register() -> None:
    setting_group_register(
        SettingGroup("delivery", _("Delivery"), _("What the bot charges for delivery."), order=50),
        SettingSpec(
            DEFAULT_DELIVERY_FEE_KEY,
            TEXT,
            _("Default delivery fee (R$)"),
            _("Charged when the customer's neighbourhood is not one of the delivery zones."),
            check=fee_check,
        ),
    )
