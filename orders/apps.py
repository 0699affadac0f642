from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # The customer's last orders beside a conversation in the staff inbox (models load first).
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from orders.selectors import last_orders_panel_section  # noqa: PLC0415

        panel_section_register(last_orders_panel_section)
