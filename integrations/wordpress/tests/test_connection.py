import dataclasses
import io
import socket
from datetime import UTC, datetime

import paramiko
import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.wordpress import tables_for_import
from integrations.wordpress.connection import (
    SSHTunnelConfig,
    WordPressSource,
    build_tunnel,
    load_private_key,
    open_connection,
)
from integrations.wordpress.connection import test_connection as check_connection
from integrations.wordpress.formvibes import FormVibesFieldMap, read_form_leads
from integrations.wordpress.sql import quoted_table, translated_errors
from integrations.wordpress.tests.builders import add_form_entry
from integrations.wordpress.tests.ssh_server import SSHGateway

LEADS_AND_CARTS = tables_for_import(["leads", "carts"])
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


def test_ok_with_required_tables(site):
    check = check_connection(site.source, LEADS_AND_CARTS)

    assert (check.ok, check.stage, check.missing_tables) == (True, "ok", ())


def test_missing_tables_are_listed(make_site):
    site = make_site("cli_", tables=[])

    check = check_connection(site.source, LEADS_AND_CARTS)

    assert (check.ok, check.stage) == (False, "tables")
    assert check.missing_tables == ("cli_fv_enteries", "cli_fv_entry_meta", "cli_cartflows_ca_cart_abandonment")
    assert "cli_fv_enteries" in check.message


def test_wrong_prefix_shows_as_missing_tables(site):
    check = check_connection(dataclasses.replace(site.source, table_prefix="cli_"), ["fv_enteries"])

    assert (check.stage, check.missing_tables) == ("tables", ("cli_fv_enteries",))


def test_wrong_password_is_auth(site):
    check = check_connection(dataclasses.replace(site.source, password="not-the-password"))

    assert (check.ok, check.stage) == (False, "auth")
    assert "not-the-password" not in check.message


def test_unknown_database(site):
    check = check_connection(dataclasses.replace(site.source, database="wp_test_does_not_exist"))

    assert (check.ok, check.stage) == (False, "database")


def test_closed_port_is_refused(site):
    check = check_connection(dataclasses.replace(site.source, port=_closed_port()))

    assert (check.ok, check.stage) == (False, "refused")


def test_unknown_host_is_dns(site):
    check = check_connection(dataclasses.replace(site.source, host="no-such-host.invalid"))

    assert (check.ok, check.stage) == (False, "dns")
    assert "no-such-host.invalid" in check.message


def test_open_connection_errors_are_classified(site):
    with pytest.raises(RetryableError), open_connection(dataclasses.replace(site.source, port=_closed_port())):
        pass
    with pytest.raises(PermanentError, match="1045"), open_connection(dataclasses.replace(site.source, password="x")):
        pass


def test_session_is_read_only(site):
    with open_connection(site.source) as conn, pytest.raises(PermanentError, match="1792"):
        with conn.cursor() as cursor, translated_errors("write"):
            cursor.execute("INSERT INTO wp_options (option_name, option_value) VALUES ('x', 'y')")

    with site.admin.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM wp_options")
        assert cursor.fetchone() == (0,)


@pytest.mark.parametrize("prefix", ["", "wp_", "cli_", "WP2_", "a" * 32])
def test_valid_prefixes(prefix):
    assert WordPressSource(host="db", database="shop", user="u", table_prefix=prefix).table_prefix == prefix


@pytest.mark.parametrize(
    "prefix", ["wp_; DROP TABLE wp_users; --", "wp`", "wp-", "wp_ ", "a" * 33, "wp_posts WHERE 1=1 OR ", "ção_"]
)
def test_injected_prefixes_are_refused(prefix):
    with pytest.raises(ValueError, match="invalid table prefix"):
        WordPressSource(host="db", database="shop", user="u", table_prefix=prefix)
    with pytest.raises(ValueError, match="invalid table prefix"):
        quoted_table(prefix, "posts")


def test_reader_refuses_an_injected_prefix_before_querying(site):
    field_map = FormVibesFieldMap(name_key="Nome_3")
    add_form_entry(site, {"Nome_3": "Ana"}, "2024-03-05 13:30:00", "2024-03-05 10:30:00")

    with open_connection(site.source) as conn, pytest.raises(ValueError, match="invalid table prefix"):
        list(read_form_leads(conn, "wp_fv_enteries; --", field_map, *MARCH))


def test_secrets_stay_out_of_repr():
    ssh = SSHTunnelConfig(host="gw", user="deploy", password="ssh-secret", private_key="PEM-secret")
    source = WordPressSource(host="127.0.0.1", database="shop", user="u", password="db-secret", ssh=ssh)

    text = repr(source)

    assert "ssh-secret" not in text and "PEM-secret" not in text and "db-secret" not in text
    assert "gw" in text


def test_tables_for_import():
    assert tables_for_import(["orders"]) == (
        "posts",
        "postmeta",
        "woocommerce_order_items",
        "woocommerce_order_itemmeta",
    )
    assert tables_for_import(["carts"], cart_table="woo_cart_abandonment") == ("woo_cart_abandonment",)
    with pytest.raises(ValueError):
        tables_for_import(["everything"])


# --- SSH -------------------------------------------------------------------------------------------


def _private_key_text(key: paramiko.PKey) -> str:
    buffer = io.StringIO()
    key.write_private_key(buffer)
    return buffer.getvalue()


def test_tunnel_construction_uses_only_the_configured_credentials():
    key = paramiko.RSAKey.generate(2048)
    ssh = SSHTunnelConfig(host="gw.example.com", port=2222, user="deploy", private_key=_private_key_text(key))
    source = WordPressSource(host="10.0.0.5", port=3307, database="shop", user="u", ssh=ssh)

    tunnel = build_tunnel(source, "203.0.113.7")

    assert tunnel.ssh_host == "203.0.113.7" and tunnel.ssh_port == 2222  # the checked address, never looked up again
    assert tunnel._remote_binds == [("10.0.0.5", 3307)]
    assert tunnel._local_binds == [("127.0.0.1", 0)]
    assert [k.get_fingerprint() for k in tunnel.ssh_pkeys] == [key.get_fingerprint()]
    assert tunnel.is_active is False


def test_malformed_private_key_is_refused():
    with pytest.raises(ValueError, match="malformed"):
        load_private_key("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n")


def test_ssh_unknown_host_and_closed_port(site):
    unknown = SSHTunnelConfig(host="no-such-gateway.invalid", user="deploy", password="x")
    closed = SSHTunnelConfig(host="127.0.0.1", port=_closed_port(), user="deploy", password="x")

    assert check_connection(dataclasses.replace(site.source, ssh=unknown)).stage == "ssh_dns"
    assert check_connection(dataclasses.replace(site.source, ssh=closed)).stage == "ssh_refused"


@pytest.fixture
def gateway():
    key = paramiko.RSAKey.generate(2048)
    server = SSHGateway(user="deploy", password="gateway-pass", public_key=key)
    server.client_key = key
    yield server
    server.close()


def test_reads_through_a_real_ssh_tunnel(site, gateway):
    add_form_entry(site, {"Nome_3": "Ana"}, "2024-03-05 13:30:00", "2024-03-05 10:30:00")
    ssh = SSHTunnelConfig(host="127.0.0.1", port=gateway.port, user="deploy", password="gateway-pass")
    source = dataclasses.replace(site.source, ssh=ssh)

    check = check_connection(source, ["fv_enteries"])
    with open_connection(source) as conn:
        leads = list(read_form_leads(conn, "wp_", FormVibesFieldMap(name_key="Nome_3"), *MARCH))

    assert (check.ok, check.stage) == (True, "ok")
    assert [lead.name for lead in leads] == ["Ana"]
    assert gateway.accepted_forwards == 2


def test_ssh_private_key_login(site, gateway):
    ssh = SSHTunnelConfig(
        host="127.0.0.1", port=gateway.port, user="deploy", private_key=_private_key_text(gateway.client_key)
    )

    check = check_connection(dataclasses.replace(site.source, ssh=ssh))

    assert (check.ok, check.stage) == (True, "ok")


def test_ssh_wrong_password_is_ssh_auth(site, gateway):
    ssh = SSHTunnelConfig(host="127.0.0.1", port=gateway.port, user="deploy", password="wrong")

    check = check_connection(dataclasses.replace(site.source, ssh=ssh))

    assert (check.ok, check.stage) == (False, "ssh_auth")
    assert gateway.accepted_forwards == 0


def test_ssh_database_behind_the_gateway_unreachable(site, gateway):
    ssh = SSHTunnelConfig(host="127.0.0.1", port=gateway.port, user="deploy", password="gateway-pass")
    source = dataclasses.replace(site.source, port=_closed_port(), ssh=ssh)

    check = check_connection(source)

    assert (check.ok, check.stage) == (False, "ssh")
