"""The pipeline's settings, declared for tenants.settings_registry."""

from django.utils.translation import gettext_lazy as _

from conversations.processing import MAINTENANCE_MESSAGE_SETTING
from tenants.settings_registry import LONG_TEXT, SettingGroup, SettingSpec, setting_group_register


def register() -> None:
    setting_group_register(
        SettingGroup("messages", _("Messages"), _("Texts the shop sends or exports."), order=70),
        SettingSpec(
            MAINTENANCE_MESSAGE_SETTING,
            LONG_TEXT,
            _("Maintenance notice"),
            _("Sent to customers who write while the bot is in maintenance; empty: nothing is sent."),
        ),
    )
