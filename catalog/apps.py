from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        from catalog import setting_keys  # noqa: PLC0415

        setting_keys.register()
