from functools import partial

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # An ERP base URL a company saves may not point inside (the outbound client checks each call too).
        from integrations.destinations import validate_public_url  # noqa: PLC0415
        from tenants.models import setting_check_register  # noqa: PLC0415

        for key in ("tiny_base_url", "pontta_base_url"):
            setting_check_register(key, partial(validate_public_url, require_resolvable=False))
