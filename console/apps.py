from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The staff console: the dashboard (the admin's first page) and its API."""

    name = "console"
    verbose_name = _("Console")
