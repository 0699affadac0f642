"""The settings payments and the ERP push read, declared for tenants.settings_registry."""

from functools import partial

from django.utils.translation import gettext_lazy as _

from integrations.destinations import validate_public_url
from orders.erp import PONTTA, TINY, erp_connection_check
from tenants.settings_registry import SECRET, TEXT, SettingGroup, SettingSpec, TestResult, setting_group_register

# An ERP base URL a company saves may not point inside (the outbound client checks each call too).
public_url = partial(validate_public_url, require_resolvable=False)


def erp_test(company) -> TestResult:
    return TestResult(*erp_connection_check(company))


def register() -> None:
    setting_group_register(
        SettingGroup(
            "pix", _("Pix"), _("The shop's own Pix key: orders get a copy-and-paste code and a QR."), order=20
        ),
        SettingSpec("pix_key", TEXT, _("Pix key"), _("CPF/CNPJ, e-mail, phone (+55…) or random key.")),
        SettingSpec("pix_merchant_name", TEXT, _("Receiver name"), _("As the bank shows it; up to 25 letters.")),
        SettingSpec("pix_merchant_city", TEXT, _("Receiver city"), _("Without accents; SAO PAULO when empty.")),
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
