"""The settings the imports read (WordPress source, SSH tunnel, Form Vibes mapping) and the exports'
(Google Sheets, the WhatsApp list's message), declared for tenants.settings_registry."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exports.writers import MESSAGE_SETTING
from integrations.errors import IntegrationError
from integrations.google_sheets import service_account_check
from integrations.wordpress import form_field_keys
from integrations.wordpress.connection import open_connection, parse_host_key, test_connection
from leads.source_config import SourceNotConfigured, import_options_for
from tenants.models import validate_timezone
from tenants.settings_registry import (
    LONG_TEXT,
    NUMBER,
    SECRET,
    TEXT,
    SettingGroup,
    SettingSpec,
    TestResult,
    setting_group_register,
)

DATABASE, SSH = _("Database"), _("SSH tunnel (optional)")
FORM_VIBES, CARTS = _("Form Vibes (leads)"), _("WooCommerce carts")
FORM_VIBES_KEYS = ("fv_field_nome", "fv_field_whatsapp", "fv_field_tamanho", "fv_field_email")


def _host_key_check(value) -> None:
    try:
        parse_host_key(str(value))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def wordpress_test(company) -> TestResult:
    """Connect with the saved values; when it works, list the Form Vibes field keys found there."""
    try:
        options = import_options_for(company)
    except (SourceNotConfigured, ValueError) as exc:
        return TestResult(False, str(exc))
    check = test_connection(options.source, required_tables=options.required_tables())
    if not check.ok:
        return TestResult(False, check.message)
    try:
        with open_connection(options.source) as conn:
            keys = form_field_keys(conn, options.source.table_prefix)
    except IntegrationError:
        keys = []  # no Form Vibes tables: the mapping keeps free text
    return TestResult(True, check.message, suggestions=dict.fromkeys(FORM_VIBES_KEYS, keys))


def register() -> None:
    setting_group_register(
        SettingGroup(
            "wordpress",
            _("WordPress / WooCommerce"),
            _("The store's database, read for imports of carts, orders and leads (read-only access is enough)."),
            order=10,
            test=wordpress_test,
        ),
        SettingSpec(
            "wp_db_host",
            TEXT,
            _("Database host"),
            _("Address of the MySQL/MariaDB server, e.g. 127.0.0.1 or db.minhaloja.com.br."),
            section=DATABASE,
        ),
        SettingSpec("wp_db_port", NUMBER, _("Database port"), _("Usually 3306."), section=DATABASE),
        SettingSpec("wp_db_name", TEXT, _("Database name"), section=DATABASE),
        SettingSpec("wp_db_user", TEXT, _("Database user"), section=DATABASE),
        SettingSpec(
            "wp_db_password",
            SECRET,
            _("Database password"),
            _("Stored encrypted; never shown again."),
            section=DATABASE,
        ),
        SettingSpec(
            "wp_table_prefix",
            TEXT,
            _("Table prefix"),
            _("The prefix of WordPress tables, wp_ when unchanged."),
            section=DATABASE,
        ),
        SettingSpec(
            "wp_timezone",
            TEXT,
            _("Site time zone"),
            _("e.g. America/Sao_Paulo; empty: the company's."),
            check=validate_timezone,
            section=DATABASE,
        ),
        SettingSpec(
            "ssh_host",
            TEXT,
            _("SSH server"),
            _("Fill in only when the database is reached through an SSH tunnel."),
            section=SSH,
        ),
        SettingSpec("ssh_port", NUMBER, _("SSH port"), _("Usually 22."), section=SSH),
        SettingSpec("ssh_user", TEXT, _("SSH user"), section=SSH),
        SettingSpec("ssh_password", SECRET, _("SSH password"), section=SSH),
        SettingSpec(
            "ssh_private_key", SECRET, _("SSH private key"), _("The key's text (OpenSSH or PEM)."), section=SSH
        ),
        SettingSpec("ssh_private_key_passphrase", SECRET, _("Private key passphrase"), section=SSH),
        SettingSpec(
            "ssh_host_key",
            LONG_TEXT,
            _("SSH server key (pinned)"),
            _(
                "One line, as ssh-keyscan -t ed25519 <server> prints it. With it, any other server is refused; “Testar” shows the key it saw."
            ),
            check=_host_key_check,
            section=SSH,
        ),
        SettingSpec(
            "fv_field_nome",
            TEXT,
            _("Form Vibes field: name"),
            _("The field key of the name in the form's entries."),
            section=FORM_VIBES,
        ),
        SettingSpec(
            "fv_field_whatsapp",
            TEXT,
            _("Form Vibes field: WhatsApp"),
            _("The field key of the phone number."),
            section=FORM_VIBES,
        ),
        SettingSpec("fv_field_tamanho", TEXT, _("Form Vibes field: size"), _("Optional."), section=FORM_VIBES),
        SettingSpec(
            "fv_field_email",
            TEXT,
            _("Form Vibes field: e-mail"),
            _("Optional; found by name when empty."),
            section=FORM_VIBES,
        ),
        SettingSpec(
            "wc_cart_table",
            TEXT,
            _("Abandoned carts table"),
            _("Without the prefix; the CartFlows table when empty."),
            section=CARTS,
        ),
        SettingSpec(
            "wc_cart_phone_column",
            TEXT,
            _("Phone column of the carts table"),
            _("Only for plugins that keep it apart."),
            section=CARTS,
        ),
    )
    setting_group_register(
        SettingGroup(
            "sheets", _("Google Sheets"), _("Where the lists' “export to Google Sheets” action writes."), order=60
        ),
        SettingSpec(
            "google_service_account_json",
            SECRET,
            _("Service account key (JSON)"),
            _("The JSON file of a Google service account; share the spreadsheet with its e-mail."),
            check=service_account_check,
        ),
        SettingSpec(
            "google_sheets_spreadsheet_id", TEXT, _("Spreadsheet id"), _("The long id in the spreadsheet's address.")
        ),
    )
    setting_group_register(
        SettingGroup("messages", _("Messages"), _("Texts the shop sends or exports."), order=70),
        SettingSpec(
            MESSAGE_SETTING,
            LONG_TEXT,
            _("WhatsApp list message"),
            _("The text of the WhatsApp list exports; {nome} becomes the person's first name."),
        ),
    )
