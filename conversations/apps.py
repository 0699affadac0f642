from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"

    def ready(self):
        from conversations import setting_keys  # noqa: PLC0415

        setting_keys.register()
