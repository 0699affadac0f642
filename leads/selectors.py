"""Reads of the recovery desk for other pages: the customer's lead and recovery in the staff inbox's panel."""

from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations.panel import PanelRow, PanelSection
from integrations.errors import IntegrationError
from integrations.wordpress import form_field_keys
from integrations.wordpress.connection import open_connection
from leads.models import Lead
from leads.recovery import ABANDONED, RECOVERED, WAITING, abandoned_carts, with_recovery
from leads.source_config import SourceNotConfigured, import_options_for

RECOVERY_LABELS = {
    RECOVERED: gettext_lazy("recovered"),
    WAITING: gettext_lazy("waiting (window open)"),
    ABANDONED: gettext_lazy("abandoned"),
}


def recovery_panel_section(conversation) -> PanelSection:
    """The customer's latest lead (form and date) and latest imported abandoned cart with its recovery
    status, each linked to its page. Two queries."""
    company = conversation.company
    rows = []
    lead = Lead.objects.for_company(company).filter(customer_id=conversation.customer_id).order_by("-id").first()
    if lead is not None:
        when = f"{localtime(lead.submitted_at):%d/%m/%Y}" if lead.submitted_at else "—"
        label = lead.form_id or lead.get_source_display()
        rows.append(PanelRow(_("Lead"), f"{label} · {when}", reverse("admin:leads_lead_change", args=[lead.pk])))
    cart = (
        with_recovery(abandoned_carts(company).filter(customer_id=conversation.customer_id), company)
        .order_by("-last_activity_at")
        .first()
    )
    if cart is not None:
        status = str(RECOVERY_LABELS.get(cart.recovery_status, cart.recovery_status))
        url = reverse("admin:leads_importedcart_change", args=[cart.pk])
        rows.append(PanelRow(_("Abandoned cart"), f"{localtime(cart.last_activity_at):%d/%m/%Y} · {status}", url))
    return PanelSection(_("Lead and recovery"), rows, empty=_("Not a lead; no abandoned cart."))


class FormVibesKeysUnavailable(Exception):
    """The source is not configured or cannot be read; the message says why (pt-BR, for staff)."""


def formvibes_keys_found(company) -> list[str]:
    """The Form Vibes field keys found in the company's WordPress database (distinct, sorted, without the
    plugin's internal ones), for the settings form's key picker (GET /api/leads/formvibes-keys/).

    Opens a connection to the source (no database transaction may be open around it). Raises
    FormVibesKeysUnavailable with a message a person can act on.
    """
    try:
        options = import_options_for(company)
        with open_connection(options.source) as conn:
            return form_field_keys(conn, options.source.table_prefix)
    except (SourceNotConfigured, ValueError) as exc:
        raise FormVibesKeysUnavailable(str(exc)) from exc
    except IntegrationError as exc:
        raise FormVibesKeysUnavailable(
            _("The WordPress database could not be read: %(error)s") % {"error": exc}
        ) from exc
