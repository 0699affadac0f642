from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartsConfig(AppConfig):
    name = "carts"
    verbose_name = _("Carts")

    def ready(self):
        # The commerce flow actions and the rating answer (asked before the bot). Imported here:
        # models must be loaded first.
        from carts import actions, free_text, sweeps  # noqa: F401, PLC0415 - sweeps declares its retention setting
        from carts.replies import rating_reply_take  # noqa: PLC0415
        from conversations.handlers import pre_handler_register  # noqa: PLC0415

        actions.register_all()
        free_text.register()
        pre_handler_register(rating_reply_take)
