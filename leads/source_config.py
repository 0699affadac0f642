"""The company's WordPress source, read from its CompanySettings (credentials stored encrypted).

Settings (keys of CompanySetting):
    wp_db_host, wp_db_name, wp_db_user (required), wp_db_port (3306), wp_db_password (secret),
    wp_table_prefix ("wp_"), wp_timezone (the site's zone; default: WordPress' own timezone_string /
    gmt_offset options, else the company's);
    ssh_host (turns the SSH tunnel on), ssh_port (22), ssh_user ("root"), ssh_password (secret),
    ssh_private_key (secret, PEM/OpenSSH text), ssh_private_key_passphrase (secret),
    ssh_host_key (the SSH server's public key, pinned; see below);
    fv_field_nome, fv_field_whatsapp, fv_field_tamanho, fv_field_email (Form Vibes field keys);
    wc_cart_table (default the CartFlows table), wc_cart_phone_column (a fork's phone column).
Credentials must be stored as secrets (encrypted at rest); a plaintext one is refused.

SSH host key pinning: ``ssh_host_key`` holds ONE public key line of the SSH server, as
``ssh-keyscan -t ed25519 <ssh_host>`` prints it, a known_hosts line, or the server's
``/etc/ssh/ssh_host_ed25519_key.pub`` (types ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa; the host name
in the line is ignored; a SHA256 fingerprint alone is refused, the key exchange needs the key).
When set, only that key is negotiated and a server showing another one is refused before any
credential is sent: the import run fails and "test connection" says "The SSH server's key does not
match the pinned key: …". When empty the server is not verified (as before) and "test connection"
says so and shows the key it saw (type and SHA256 fingerprint, as ``ssh-keygen -lf`` prints on the
server) with the line to save; pinning it is the staff's decision, never automatic.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from integrations.wordpress import tables_for_import
from integrations.wordpress.connection import SSHTunnelConfig, WordPressSource, parse_host_key
from integrations.wordpress.formvibes import FormVibesFieldMap
from integrations.wordpress.sql import validate_identifier, validate_table_prefix
from tenants.models import Company, CompanySetting

REQUIRED_KEYS = ("wp_db_host", "wp_db_name", "wp_db_user")
CREDENTIAL_KEYS = ("wp_db_password", "ssh_password", "ssh_private_key", "ssh_private_key_passphrase")
OPTIONAL_KEYS = (
    "wp_db_port",
    "wp_table_prefix",
    "wp_timezone",
    "ssh_host",
    "ssh_port",
    "ssh_user",
    "ssh_host_key",
    "fv_field_nome",
    "fv_field_whatsapp",
    "fv_field_tamanho",
    "fv_field_email",
    "wc_cart_table",
    "wc_cart_phone_column",
)
SOURCE_KEYS = REQUIRED_KEYS + CREDENTIAL_KEYS + OPTIONAL_KEYS
DEFAULT_CART_TABLE = "cartflows_ca_cart_abandonment"  # the plugin's own table (SPEC §7)
WOOCOMMERCE_KINDS = ("carts", "orders")


class SourceNotConfigured(ValueError):
    """The company has not configured its WordPress database (or stored a credential in plaintext)."""


@dataclass(frozen=True)
class ImportOptions:
    source: WordPressSource
    site_timezone: str
    field_map: FormVibesFieldMap
    cart_table: str
    cart_phone_column: str | None
    # Where site_timezone comes from: "setting" (wp_timezone), "wordpress" (the site's own options,
    # read once connected: leads.services.imports), or "company" (the company's zone, the fallback).
    timezone_source: str = "company"

    @property
    def leads_mapped(self) -> bool:
        """Whether Form Vibes fields are mapped (else the company does not import leads)."""
        return bool(self.field_map.name_key or self.field_map.phone_key)

    @property
    def kinds(self) -> tuple[str, ...]:
        """What this company imports: carts and orders, plus leads when Form Vibes fields are mapped."""
        return WOOCOMMERCE_KINDS + (("leads",) if self.leads_mapped else ())

    def required_tables(self, kinds=None) -> tuple[str, ...]:
        """Tables (without prefix) that must exist to import `kinds` (default: everything configured)."""
        return tables_for_import(kinds or self.kinds, cart_table=self.cart_table)


# Settings pasted into SQL as identifiers: refused up front, before anything connects.
NAME_SETTINGS = (
    ("wp_table_prefix", validate_table_prefix),
    ("wc_cart_table", validate_identifier),
    ("wc_cart_phone_column", validate_identifier),
)


def _check_names(get) -> None:
    for key, validate in NAME_SETTINGS:
        value = get(key)
        if value is None:
            continue
        try:
            validate(str(value))
        except ValueError as exc:
            raise SourceNotConfigured(
                _("The setting %(key)s is not a valid name: use only letters, digits and _.") % {"key": key}
            ) from exc


def import_options_for(company: Company) -> ImportOptions:
    """Everything an import needs from the company's settings, or SourceNotConfigured naming what is wrong."""
    stored = {s.key: s for s in CompanySetting.objects.for_company(company).filter(key__in=SOURCE_KEYS)}
    plaintext = [key for key in CREDENTIAL_KEYS if key in stored and stored[key].value_type != "secret"]
    if plaintext:
        raise SourceNotConfigured(
            _("Store %(keys)s as a secret setting (encrypted), not as plain text.") % {"keys": ", ".join(plaintext)}
        )

    def get(key, default=None):
        value = stored[key].typed_value if key in stored else None
        return value if value not in ("", None) else default

    missing = [key for key in REQUIRED_KEYS if not get(key)]
    if missing:
        raise SourceNotConfigured(
            _("Configure the company settings %(keys)s (WordPress database).") % {"keys": ", ".join(missing)}
        )
    _check_names(get)
    ssh = None
    if get("ssh_host"):
        host_key = None
        if get("ssh_host_key"):
            try:
                host_key = parse_host_key(str(get("ssh_host_key")))
            except ValueError as exc:
                raise SourceNotConfigured(
                    _("The ssh_host_key setting is not a usable SSH public key: %(reason)s.") % {"reason": exc}
                ) from exc
        ssh = SSHTunnelConfig(
            host=get("ssh_host"),
            user=get("ssh_user", "root"),
            port=int(get("ssh_port", 22)),
            password=get("ssh_password"),
            private_key=get("ssh_private_key"),
            private_key_passphrase=get("ssh_private_key_passphrase"),
            host_key=host_key,
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
        timezone_source="setting" if get("wp_timezone") else "company",
    )
