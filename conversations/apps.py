from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from conversations import setting_keys  # noqa: PLC0415

        setting_keys.register()
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from conversations.api.webhooks import forget_found_channels  # noqa: PLC0415
        from conversations.models import Channel  # noqa: PLC0415
        from tenants.models import Company  # noqa: PLC0415

        for model in (Channel, Company):
            post_save.connect(forget_found_channels, sender=model, dispatch_uid=f"webhook-channels-{model.__name__}")
            post_delete.connect(
                forget_found_channels, sender=model, dispatch_uid=f"webhook-channels-d-{model.__name__}"
            )
