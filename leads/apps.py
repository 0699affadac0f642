from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads and imports")

    def ready(self):
        # Registers the "carts" and "orders" importers beside "leads" and the imported-carts admin page.
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from leads import admin_recovery, setting_keys  # noqa: F401, PLC0415
        from leads.selectors import recovery_panel_section  # noqa: PLC0415
        from leads.services import woo_imports  # noqa: F401, PLC0415

        # The settings imports read, and the exports' (Google Sheets, the WhatsApp list's text;
        # the Google key's token_uri may not point inside).
        setting_keys.register()
        from django.db.models.signals import post_save  # noqa: PLC0415

        from leads.recovery import recovery_setting_saved  # noqa: PLC0415
        from tenants.models import CompanySetting  # noqa: PLC0415

        post_save.connect(recovery_setting_saved, sender=CompanySetting, dispatch_uid="recovery_setting_saved")
        panel_section_register(recovery_panel_section)  # the staff inbox's customer panel
