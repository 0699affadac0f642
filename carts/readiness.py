"""Warnings on the company page for what the live flow needs and is missing (tenants.readiness)."""

from django.utils.translation import gettext as _

from catalog.selectors import zones_active
from flows.models import FlowMessage
from flows.selectors import live_template
from integrations import pix
from orders.payments import mercadopago_credentials
from tenants.scoping import company_scope
from tenants.services import company_setting_get


def ordering_warnings(company) -> list[str]:
    """Pt-BR warnings: payment asked but no Pix key nor Mercado Pago, an invalid stored Pix key,
    the neighbourhood asked but no active delivery zone."""
    with company_scope(company):
        live = live_template(company)
        if live is None:
            return []
        used = set(
            FlowMessage.objects.filter(subflow__flow__template_id=live[0], is_active=True)
            .exclude(action="")
            .values_list("action", flat=True)
        )
        warnings = []
        if used & {"checkout", "confirm_order"} and mercadopago_credentials(company) is None:
            key = company_setting_get(company=company, key="pix_key", default="") or ""
            name = company_setting_get(company=company, key="pix_merchant_name", default="") or ""
            if not key or not name:
                warnings.append(
                    _(
                        "The published flow takes payments, but there is no Pix key (with the receiver's name) nor Mercado Pago set up: customers who choose Pix are handed to your team."
                    )
                )
            else:
                try:
                    pix.normalize_pix_key(key)
                except ValueError:
                    warnings.append(_("The stored Pix key is not valid: correct it on the Pix settings page."))
        if "choose_zone" in used and not zones_active(company=company):
            warnings.append(
                _(
                    "The published flow asks for the neighbourhood, but there are no active delivery zones: the question is skipped and the default fee is charged."
                )
            )
        return warnings
