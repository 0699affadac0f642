from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """django.contrib.admin with the console's site as `admin.site` (INSTALLED_APPS names this
    instead of "django.contrib.admin"; every @admin.register is unchanged)."""

    default_site = "console.site.ConsoleAdminSite"
