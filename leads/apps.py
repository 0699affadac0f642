from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        # Registers the "carts" and "orders" importers beside "leads"; defines the imported-carts proxy
        # model and its admin (kept out of leads/admin.py, which the Sheets export also edits).
        from leads import admin_recovery, proxies  # noqa: F401, PLC0415
        from leads.services import woo_imports  # noqa: F401, PLC0415
