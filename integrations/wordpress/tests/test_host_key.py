"""SSH host key pinning, against a real in-process SSH server forwarding to the local MariaDB."""

import dataclasses

import paramiko
import pytest
import sshtunnel
from django.utils import translation

from integrations.wordpress.connection import (
    HostKeyMismatch,
    SSHTunnelConfig,
    build_tunnel,
    describe_failure,
    host_key_line,
    open_connection,
    parse_host_key,
)
from integrations.wordpress.connection import test_connection as check_connection
from integrations.wordpress.tests.ssh_server import SSHGateway, new_ed25519_key

SERVER_KEY = new_ed25519_key()
OTHER_ED25519 = new_ed25519_key()
ECDSA = paramiko.ECDSAKey.generate()
RSA = paramiko.RSAKey.generate(2048)


# --- Reading the setting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # ssh-keyscan -t ed25519 prints a comment line, then "<host> <type> <base64>"
        (f"# 10.0.0.7:22 SSH-2.0-OpenSSH_9.2p1\n10.0.0.7 {host_key_line(SERVER_KEY)}\n", SERVER_KEY),
        (f"[gw.example.com]:2222 {host_key_line(ECDSA)}", ECDSA),  # known_hosts, other port
        (f"|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= {host_key_line(RSA)}", RSA),  # hashed
        (f"  {host_key_line(SERVER_KEY)} root@wordpress  ", SERVER_KEY),  # ssh_host_ed25519_key.pub
        (f"gw,10.0.0.7 {host_key_line(RSA)}", RSA),
    ],
)
def test_key_lines_that_are_accepted(text, key):
    parsed = parse_host_key(text)

    assert parsed.get_name() == key.get_name() and parsed.asbytes() == key.asbytes()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no key line"),
        ("# only a comment", "no key line"),
        (SERVER_KEY.fingerprint, "a fingerprint is not enough"),
        (f"gw {host_key_line(SERVER_KEY)}\ngw {host_key_line(RSA)}", "several key lines"),
        (f"@cert-authority *.example.com {host_key_line(SERVER_KEY)}", "@cert-authority lines are not supported"),
        ("gw ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported key type ssh-dss"),
        ("gw ecdsa-sha2-nistp384 AAAAE2VjZHNh", "unsupported key type ecdsa-sha2-nistp384"),
        ("gw hello world", "no key type found"),
        ("gw ssh-ed25519", "key itself (base64) is missing"),
        ("gw ssh-ed25519 not*base64", "not valid base64"),
        (f"gw ssh-rsa {SERVER_KEY.get_base64()}", "ssh-rsa key is malformed"),  # an ed25519 key labelled RSA
        (f"gw ssh-ed25519 {SERVER_KEY.get_base64()[:40]}", "ssh-ed25519 key is malformed"),  # cut short
    ],
)
def test_key_lines_that_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_host_key(text)


# --- Against a real SSH server ---------------------------------------------------------------------


@pytest.fixture
def gateway():
    server = SSHGateway(user="deploy", password="gateway-pass", host_key=SERVER_KEY)
    yield server
    server.close()


def _through(site, gateway, host_key):
    ssh = SSHTunnelConfig(
        host="127.0.0.1", port=gateway.port, user="deploy", password="gateway-pass", host_key=host_key
    )
    return dataclasses.replace(site.source, ssh=ssh)


def _count_options(source) -> int:
    with open_connection(source) as conn, conn.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {source.table('options')}")
        return cursor.fetchone()["n"]


def test_the_pinned_key_lets_the_connection_through(site, gateway):
    source = _through(site, gateway, parse_host_key(f"127.0.0.1 {host_key_line(SERVER_KEY)}"))

    with translation.override("en"):
        check = check_connection(source, ["options"])
    rows = _count_options(source)

    assert (check.ok, check.stage, check.host_key_pinned) == (True, "ok", True)
    assert f"The SSH server's key matches the pinned key (ssh-ed25519 {SERVER_KEY.fingerprint})." in check.message
    assert rows == 0
    assert gateway.accepted_forwards == 2  # the check's and the read's tunnels


def test_a_pinned_rsa_key_is_negotiated_with_sha2_signatures(site):
    server = SSHGateway(user="deploy", password="gateway-pass", host_key=RSA)
    try:
        check = check_connection(_through(site, server, parse_host_key(host_key_line(RSA))))
    finally:
        server.close()

    assert (check.ok, check.host_key_seen) == (True, f"ssh-rsa {RSA.fingerprint}")


def test_another_key_is_refused_before_any_credential_is_sent(site, gateway):
    source = _through(site, gateway, OTHER_ED25519)

    with translation.override("en"):
        check = check_connection(source)
        with pytest.raises(HostKeyMismatch) as raised, open_connection(source):
            pass
        described = describe_failure(source, raised.value)

    assert (check.ok, check.stage, check.host_key_pinned) == (False, "ssh_host_key", True)
    assert check.message.startswith("The SSH server's key does not match the pinned key:")
    assert f"pins ssh-ed25519 {OTHER_ED25519.fingerprint}" in check.message
    assert f"presented ssh-ed25519 {SERVER_KEY.fingerprint}" in check.message
    assert described.message == check.message
    assert (gateway.auth_attempts, gateway.accepted_forwards) == (0, 0)


def test_a_pinned_key_type_the_server_does_not_have_is_a_mismatch(site, gateway):
    with translation.override("en"):
        check = check_connection(_through(site, gateway, ECDSA))

    assert (check.ok, check.stage) == (False, "ssh_host_key")
    assert f"pins ecdsa-sha2-nistp256 {ECDSA.fingerprint}, but 127.0.0.1:{gateway.port} has no key" in check.message
    assert gateway.auth_attempts == 0


def test_the_tunnel_itself_is_pinned(site, gateway):
    """Even if the server changed after the first look, the tunnel's own connection refuses the key."""
    tunnel = build_tunnel(_through(site, gateway, OTHER_ED25519), "127.0.0.1")

    with pytest.raises(sshtunnel.BaseSSHTunnelForwarderError):
        tunnel.start()
    tunnel.stop()

    assert tunnel.ssh_host_key is OTHER_ED25519
    assert (gateway.auth_attempts, gateway.accepted_forwards) == (0, 0)


def test_without_a_pin_it_works_and_shows_the_key_to_pin(site, gateway):
    source = _through(site, gateway, None)

    with translation.override("en"):
        check = check_connection(source)
    rows = _count_options(source)

    assert (check.ok, check.stage, check.host_key_pinned) == (True, "ok", False)
    assert check.host_key_seen == f"ssh-ed25519 {SERVER_KEY.fingerprint}"
    assert f"The SSH server's key is not pinned: 127.0.0.1:{gateway.port} presented ssh-ed25519 " in check.message
    assert check.message.endswith(f"ssh_host_key setting: {host_key_line(SERVER_KEY)}")
    assert parse_host_key(check.message.rsplit(": ", 1)[1]) == SERVER_KEY  # the line shown can be pasted
    assert rows == 0


def test_without_a_pin_a_failed_login_still_shows_the_key(site, gateway):
    ssh = SSHTunnelConfig(host="127.0.0.1", port=gateway.port, user="deploy", password="wrong")

    check = check_connection(dataclasses.replace(site.source, ssh=ssh))

    assert (check.ok, check.stage, check.host_key_seen) == (False, "ssh_auth", f"ssh-ed25519 {SERVER_KEY.fingerprint}")
