"""The settings payments and the ERP push read, declared for tenants.settings_registry."""

from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from integrations import pix
from integrations.destinations import validate_public_url
from orders.erp import PONTTA, TINY, erp_connection_check
from tenants.settings_registry import (
    NUMBER,
    SECRET,
    TEXT,
    SettingGroup,
    SettingSpec,
    TestResult,
    setting_group_register,
)

# An ERP base URL a company saves may not point inside (the outbound client checks each call too).
public_url = partial(validate_public_url, require_resolvable=False)


def pix_key_check(value) -> None:
    try:
        pix.normalize_pix_key(str(value))
    except ValueError as exc:
        raise ValidationError(
            _(
                "This is not a valid Pix key. Type a CPF, a CNPJ, a phone with area code (e.g. (11) 98765-4321), an e-mail or a random key."
            )
        ) from exc


def pix_key_normalize(value) -> str:
    return pix.normalize_pix_key(str(value))[1]


def pix_merchant_name_check(value) -> None:
    """Letters the BR Code can carry (a longer name is cut to 25 characters in the code)."""
    text = pix.emv_text(str(value), 200)
    if not text.strip():
        raise ValidationError(_("Type the receiver's name with letters (no emojis only)."))


def pix_merchant_city_check(value) -> None:
    text = pix.emv_text(str(value), 200)
    if not any(ch.isalpha() for ch in text) or any(ch.isdigit() for ch in text):
        raise ValidationError(_("Type the city's name, e.g. São Paulo."))


def payer_email_check(value) -> None:
    try:
        validate_email(str(value))
    except ValidationError as exc:
        raise ValidationError(_("Type an e-mail address.")) from exc


def alert_minutes_check(value) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 1 <= value <= 24 * 60:
        raise ValidationError(_("Type a number of minutes from 1 to 1440."))


def erp_test(company) -> TestResult:
    return TestResult(*erp_connection_check(company))


def register() -> None:
    setting_group_register(
        SettingGroup(
            "pix", _("Pix"), _("The shop's own Pix key: orders get a copy-and-paste code and a QR."), order=20
        ),
        SettingSpec(
            "pix_key",
            TEXT,
            _("Pix key"),
            _("CPF/CNPJ, e-mail, phone (+55…) or random key."),
            check=pix_key_check,
            normalize=pix_key_normalize,
        ),
        SettingSpec(
            "pix_merchant_name",
            TEXT,
            _("Receiver name"),
            _("As the bank shows it; up to 25 letters."),
            check=pix_merchant_name_check,
        ),
        SettingSpec(
            "pix_merchant_city",
            TEXT,
            _("Receiver city"),
            _("Without accents; SAO PAULO when empty."),
            check=pix_merchant_city_check,
        ),
        SettingSpec(
            "static_pix_alert_min",
            NUMBER,
            _("Minutes to confirm a Pix"),
            _(
                "A Pix to the key above is confirmed by your team (orders board). Not confirmed after these minutes (30 when empty): the order is marked on the board and the customer is asked for the receipt. It is never cancelled by itself."
            ),
            check=alert_minutes_check,
        ),
    )
    setting_group_register(
        SettingGroup(
            "mercadopago",
            _("Mercado Pago"),
            _(
                "Pix charges confirmed by themselves: with these, the bot creates the charge and the order is paid when the money arrives."
            ),
            order=30,
        ),
        SettingSpec(
            "mercadopago_access_token",
            SECRET,
            _("Access token"),
            _("APP_USR-… from Mercado Pago's “Credenciais de produção”."),
        ),
        SettingSpec(
            "mercadopago_webhook_secret",
            SECRET,
            _("Webhook secret"),
            _("The “assinatura secreta” of the notifications webhook; notifications without it are refused."),
        ),
        SettingSpec(
            "mercadopago_payer_email",
            TEXT,
            _("Payer e-mail"),
            _("Sent as the payer's e-mail when the customer's own is not known; empty: MERCADOPAGO_PAYER_EMAIL."),
            check=payer_email_check,
        ),
    )
    setting_group_register(
        SettingGroup("erp", _("ERP"), _("Completed orders are sent to the ERP chosen here."), order=40, test=erp_test),
        SettingSpec(
            "erp_provider",
            TEXT,
            _("ERP"),
            _("Empty: none."),
            choices=((TINY, "Tiny"), (PONTTA, "Pontta")),
        ),
        SettingSpec("tiny_token", SECRET, _("Tiny API token")),
        SettingSpec(
            "tiny_base_url", TEXT, _("Tiny API address"), _("Only for a proxy; empty: Tiny's own."), check=public_url
        ),
        SettingSpec("pontta_base_url", SECRET, _("Pontta API address"), check=public_url),
        SettingSpec("pontta_email", SECRET, _("Pontta e-mail")),
        SettingSpec("pontta_password", SECRET, _("Pontta password")),
        SettingSpec("pontta_business_unit", SECRET, _("Pontta business unit")),
    )
