from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from catalog import setting_keys  # noqa: PLC0415

        setting_keys.register()
