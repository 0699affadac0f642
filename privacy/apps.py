from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """A person's data (LGPD): export, erasure and retention. Reads every app; imported by none."""

    name = "privacy"
    verbose_name = _("Privacy (LGPD)")

    def ready(self):
        # Declares the retention settings, so they are checked wherever a CompanySetting is written.
        from privacy import retention  # noqa: F401, PLC0415
