"""Proxy of carts.Cart for the recovery desk's own admin page (imported WooCommerce carts only).

Defined here, not in leads/models.py, because carts.models imports leads.models (Customer): the
proxy is loaded by LeadsConfig.ready(), once every model module is in place.
"""

from django.utils.translation import gettext_lazy as _

from carts.models import Cart


class ImportedCart(Cart):
    class Meta:
        proxy = True
        app_label = "leads"
        verbose_name = _("abandoned cart (WooCommerce)")
        verbose_name_plural = _("abandoned carts (WooCommerce)")
