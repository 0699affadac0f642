"""The pipeline's settings, declared for tenants.settings_registry."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from conversations.processing import MAINTENANCE_MESSAGE_SETTING
from conversations.services.controls import OPT_OUT_MESSAGE_SETTING, OPT_OUT_WORDS, OPT_OUT_WORDS_SETTING
from tenants.settings_registry import LONG_TEXT, TEXT, SettingGroup, SettingSpec, setting_group_register


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
    setting_group_register(
        SettingGroup(
            "opt_out",
            _("Opt-out"),
            _("A customer who writes only one of these words stops getting messages until they write again."),
            order=75,
        ),
        SettingSpec(
            OPT_OUT_WORDS_SETTING,
            TEXT,
            _("Opt-out words"),
            format_lazy(
                _("Separated by commas; case and accents do not matter. Empty: {words}."),
                words=", ".join(sorted(OPT_OUT_WORDS)),
            ),
        ),
        SettingSpec(
            OPT_OUT_MESSAGE_SETTING,
            LONG_TEXT,
            _("Message on opting out"),
            _("Sent once when a customer opts out; empty: nothing is sent."),
        ),
    )
