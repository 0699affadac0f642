"""The company's WordPress source, read from its CompanySettings (credentials stored encrypted)."""

from dataclasses import dataclass

from integrations.wordpress.connection import SSHTunnelConfig, WordPressSource
from integrations.wordpress.formvibes import FormVibesFieldMap
from tenants.models import Company
from tenants.services import company_setting_get

REQUIRED_KEYS = ("wp_db_host", "wp_db_name", "wp_db_user")
DEFAULT_CART_TABLE = "cartflows_ca_cart_abandonment"  # the plugin's own table (SPEC §7)


class SourceNotConfigured(ValueError):
    """The company has not configured its WordPress database yet."""


@dataclass(frozen=True)
class ImportOptions:
    source: WordPressSource
    site_timezone: str
    field_map: FormVibesFieldMap
    cart_table: str
    cart_phone_column: str | None


def import_options_for(company: Company) -> ImportOptions:
    """Everything an import needs from the company's settings, or SourceNotConfigured naming what is missing."""

    def get(key, default=None):
        value = company_setting_get(company=company, key=key, default=default)
        return value if value not in ("", None) else default

    missing = [key for key in REQUIRED_KEYS if not get(key)]
    if missing:
        raise SourceNotConfigured(f"Configure the company settings {', '.join(missing)} (WordPress database).")
    ssh = None
    if get("ssh_host"):
        ssh = SSHTunnelConfig(
            host=get("ssh_host"),
            user=get("ssh_user", "root"),
            port=int(get("ssh_port", 22)),
            password=get("ssh_password"),
            private_key=get("ssh_private_key"),
        )
    source = WordPressSource(
        host=get("wp_db_host"),
        database=get("wp_db_name"),
        user=get("wp_db_user"),
        password=get("wp_db_password", ""),
        port=int(get("wp_db_port", 3306)),
        table_prefix=get("wp_table_prefix", "wp_"),
        ssh=ssh,
    )
    return ImportOptions(
        source=source,
        site_timezone=get("wp_timezone", company.timezone),
        field_map=FormVibesFieldMap(
            name_key=get("fv_field_nome"),
            phone_key=get("fv_field_whatsapp"),
            size_key=get("fv_field_tamanho"),
            email_key=get("fv_field_email"),
        ),
        cart_table=get("wc_cart_table", DEFAULT_CART_TABLE),
        cart_phone_column=get("wc_cart_phone_column"),
    )
