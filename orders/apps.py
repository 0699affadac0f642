from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # The settings payments and the ERP push read (an ERP URL may not point inside).
        from orders import setting_keys  # noqa: PLC0415

        setting_keys.register()
