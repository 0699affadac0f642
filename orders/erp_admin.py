"""The order admin's ERP part: the push result fields and the "push to ERP again" action."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from orders.erp import erp_provider_get, erp_push_again

ERP_FIELDS = ("erp_provider", "erp_id", "erp_error", "erp_attempts", "erp_last_try_at")


def erp_state(order) -> tuple[str, str]:
    """(state, text) of the order's push to the ERP: sent (with its id there), failed (with the
    error), waiting (a push is queued or being retried), or ("", "") when nothing was pushed."""
    if order.erp_id:
        return "sent", _("ERP: sent (%(id)s)") % {"id": order.erp_id}
    if order.erp_error:
        return "failed", _("ERP: failed — %(error)s") % {"error": order.erp_error[:200]}
    if order.erp_provider or order.erp_attempts:
        return "waiting", _("ERP: waiting to be sent")
    return "", ""


@admin.action(description=_("Push to ERP again"), permissions=["change"])
def erp_push_again_action(modeladmin, request, queryset):
    """Enqueue the push of the selected completed orders that have no ERP id yet."""
    orders = list(queryset)
    if orders and not erp_provider_get(orders[0].company_id):
        modeladmin.message_user(
            request, _("This company has no ERP configured (setting erp_provider)."), messages.ERROR
        )
        return
    queued = sum(erp_push_again(order) for order in orders)
    modeladmin.message_user(request, _("%(n)s order(s) queued for the ERP.") % {"n": queued}, messages.SUCCESS)
    if queued < len(orders):
        modeladmin.message_user(
            request,
            _("%(n)s order(s) skipped: not completed, or already in the ERP.") % {"n": len(orders) - queued},
            messages.WARNING,
        )
