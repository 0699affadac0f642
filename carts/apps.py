from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartsConfig(AppConfig):
    name = "carts"
    verbose_name = _("Carts")

    def ready(self):
        # The commerce flow actions, the rating answer (asked before the bot) and the open cart beside
        # a conversation in the staff inbox. Imported here: models must be loaded first.
        from carts import (  # noqa: F401, PLC0415 - sweeps declares its retention setting
            actions,
            free_text,
            setting_keys,
            sweeps,
        )
        from carts.catalog_order import catalog_order_take  # noqa: PLC0415
        from carts.readiness import ordering_warnings  # noqa: PLC0415
        from carts.replies import rating_reply_take, receipt_reply_take  # noqa: PLC0415
        from carts.selectors import open_cart_panel_section  # noqa: PLC0415
        from conversations.handlers import pre_handler_register  # noqa: PLC0415
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from tenants.readiness import company_check_register  # noqa: PLC0415

        actions.register_all()
        free_text.register()
        setting_keys.register()
        pre_handler_register(receipt_reply_take)  # a static Pix receipt, before the flow sees the file
        pre_handler_register(rating_reply_take)
        pre_handler_register(catalog_order_take)  # a WhatsApp catalog cart, into the open cart
        panel_section_register(open_cart_panel_section)  # the staff inbox's customer panel
        company_check_register(ordering_warnings)  # the company page's setup warnings
