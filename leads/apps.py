from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        # Registers the "carts" and "orders" importers beside "leads" and the imported-carts admin page.
        from conversations.panel import panel_section_register  # noqa: PLC0415
        from integrations.google_sheets import service_account_check  # noqa: PLC0415
        from leads import admin_recovery  # noqa: F401, PLC0415
        from leads.selectors import recovery_panel_section  # noqa: PLC0415
        from leads.services import woo_imports  # noqa: F401, PLC0415
        from tenants.models import setting_check_register  # noqa: PLC0415

        # The Google export's key (exports.sheets, used by the leads and orders admins): its
        # token_uri may not point inside.
        setting_check_register("google_service_account_json", service_account_check)

        panel_section_register(recovery_panel_section)  # the staff inbox's customer panel
