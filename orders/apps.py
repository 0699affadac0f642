from functools import partial

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # An ERP base URL a company saves may not point inside (the outbound client checks each call too);
        # the customer's last orders show beside a conversation in the staff inbox.
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from integrations.destinations import validate_public_url  # noqa: PLC0415
        from orders.selectors import last_orders_panel_section  # noqa: PLC0415
        from tenants.models import setting_check_register  # noqa: PLC0415

        for key in ("tiny_base_url", "pontta_base_url"):
            setting_check_register(key, partial(validate_public_url, require_resolvable=False))
        panel_section_register(last_orders_panel_section)
