from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """Staff pages that read every app: the dashboard (the admin's first page) and its API, the
    console chat. The top layer, imported by nothing."""

    name = "console"
    verbose_name = _("Console")
