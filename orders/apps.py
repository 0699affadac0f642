from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # The settings payments and the ERP push read (an ERP URL may not point inside); the
        # customer's last orders show beside a conversation in the staff inbox.
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from flows.actions import conversion_register  # noqa: PLC0415
        from orders import setting_keys  # noqa: PLC0415
        from orders.selectors import conversations_that_ordered, last_orders_panel_section  # noqa: PLC0415

        setting_keys.register()
        panel_section_register(last_orders_panel_section)
        conversion_register(conversations_that_ordered)  # the flow analytics' greeting -> order figure
