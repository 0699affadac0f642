from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # The settings payments and the ERP push read (an ERP URL may not point inside).
        from orders import setting_keys  # noqa: PLC0415

        setting_keys.register()
