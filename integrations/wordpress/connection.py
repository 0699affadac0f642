"""Reaching a store's WordPress MySQL database, directly or through an SSH tunnel, and diagnosing failures.

SSH host key pinning: `SSHTunnelConfig.host_key` (from `parse_host_key`) is the server's public key.
When set, the key exchange must show exactly that key before any credential is sent (both in
`test_connection` and in `open_connection`, where the tunnel itself is pinned too); a different key
raises HostKeyMismatch. When not set the server is not verified (as before) and `test_connection`
reports the key it saw, so staff can check it on the server and pin it.

Private addresses: the host we connect to (the database, or the SSH gateway when there is one) is
resolved once through `integrations.destinations`, refused when private or local unless the
operator allows it (DestinationNotAllowed), and connected to by that address. Behind SSH the
database host is the gateway's business (often its own 127.0.0.1) and is not checked here.
"""

import base64
import binascii
import dataclasses
import io
import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import paramiko
import pymysql
import sshtunnel
from django.conf import settings
from django.utils.translation import gettext as _

from integrations.destinations import DestinationNotAllowed, allowed_addresses
from integrations.errors import IntegrationError, PermanentError, RetryableError
from integrations.wordpress.sql import existing_tables, translated_errors, validate_identifier, validate_table_prefix

DEFAULT_MYSQL_PORT = 3306
DEFAULT_SSH_PORT = 22
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 120  # a keyset batch, or the next rows of a streamed query, arrive well within this
WRITE_TIMEOUT_SECONDS = 30  # a query is a few hundred bytes: only a hung server takes this long
PINNABLE_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa")
RSA_SIGNATURE_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")  # one RSA key, three ways to sign


@dataclass(frozen=True)
class SSHTunnelConfig:
    """An SSH gateway in front of the database. Give a password, a private key (PEM/OpenSSH text), or both.

    `host_key` pins the server's public key (see `parse_host_key`); None means it is not verified.
    """

    host: str
    user: str
    port: int = DEFAULT_SSH_PORT
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    private_key_passphrase: str | None = field(default=None, repr=False)
    host_key: paramiko.PKey | None = None


class HostKeyMismatch(PermanentError):
    """The SSH server showed a key other than the pinned one (`seen` is None when it had none of that type).

    Raised after the key exchange and before any credential was sent.
    """

    def __init__(self, ssh: SSHTunnelConfig, seen: paramiko.PKey | None):
        self.ssh, self.pinned, self.seen = ssh, ssh.host_key, seen
        super().__init__(
            f"SSH host key mismatch for {ssh.host}:{ssh.port}: pinned {key_summary(ssh.host_key)}, "
            f"server presented {key_summary(seen) if seen else 'no key of that type'}"
        )


@dataclass(frozen=True)
class WordPressSource:
    """Where a company's WordPress tables live. The prefix is validated: it is pasted into SQL identifiers.

    With `ssh` set, `host`/`port` are the database address as seen from the SSH server
    (often ``127.0.0.1``).
    """

    host: str
    database: str
    user: str
    password: str = field(default="", repr=False)
    port: int = DEFAULT_MYSQL_PORT
    table_prefix: str = "wp_"
    ssh: SSHTunnelConfig | None = None

    def __post_init__(self):
        validate_table_prefix(self.table_prefix)

    def table(self, name: str) -> str:
        """The full (unquoted) table name ``<prefix><name>``."""
        return f"{self.table_prefix}{validate_identifier(name)}"


@dataclass(frozen=True)
class ConnectionCheck:
    """Outcome of `test_connection`. `stage` says what failed, `message` says it to a person."""

    ok: bool
    # ok | blocked | dns | refused | timeout | network | auth | database | tables | ssh_* (see test_connection)
    stage: str
    message: str
    missing_tables: tuple[str, ...] = ()
    # SSH only: the server key seen ("ssh-ed25519 SHA256:…") and whether it was checked against a pin.
    host_key_seen: str = ""
    host_key_pinned: bool = False


@contextmanager
def open_connection(source: WordPressSource) -> Iterator[pymysql.connections.Connection]:
    """A read-only PyMySQL connection (utf8mb4, autocommit), through an SSH tunnel when `source.ssh` is set.

    The tunnel and the connection are closed on exit. Raises RetryableError when the server or the
    tunnel cannot be reached and PermanentError for access denied / unknown database;
    DestinationNotAllowed (a PermanentError) when the database host (or the SSH gateway) resolves to
    a private or local address the operator does not allow. It connects to the address it checked.
    """
    with ExitStack() as stack:
        if source.ssh is not None:
            tunnel = stack.enter_context(_ssh_tunnel(source))
            host, port = "127.0.0.1", tunnel.local_bind_port
        else:
            host, port = _checked_address(source.host, source.port, "WordPress database"), source.port
        with translated_errors("connect to the WordPress database"):
            conn = pymysql.connect(**connect_kwargs(source, host, port))
        stack.callback(conn.close)
        with translated_errors("start a read-only session"), conn.cursor() as cursor:
            # The readers never write; a read-only session makes that a guarantee on the store's database.
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
        yield conn


def connect_kwargs(source: WordPressSource, host: str, port: int) -> dict:
    """PyMySQL connect() arguments for `source` at the given address."""
    return {
        "host": host,
        "port": port,
        "user": source.user,
        "password": source.password,
        "database": source.database,
        "charset": "utf8mb4",
        "autocommit": True,
        # Configurable (MYSQL_SOURCE_*_TIMEOUT): a hung store database fails the import, not the worker.
        "connect_timeout": getattr(settings, "MYSQL_SOURCE_CONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS),
        "read_timeout": getattr(settings, "MYSQL_SOURCE_READ_TIMEOUT", READ_TIMEOUT_SECONDS),
        "write_timeout": getattr(settings, "MYSQL_SOURCE_WRITE_TIMEOUT", WRITE_TIMEOUT_SECONDS),
        "cursorclass": pymysql.cursors.DictCursor,
    }


def build_tunnel(source: WordPressSource, ssh_address: str) -> sshtunnel.SSHTunnelForwarder:
    """An unstarted SSHTunnelForwarder from a free loopback port to the database behind `source.ssh`,
    reaching the gateway at `ssh_address` (the address `source.ssh.host` was checked to resolve to).

    Local SSH agents, ~/.ssh keys and ~/.ssh/config are deliberately ignored: only the
    company's configured credentials are used.
    """
    ssh = source.ssh
    if ssh is None:
        raise ValueError("source has no SSH settings")
    return sshtunnel.SSHTunnelForwarder(
        (ssh_address, ssh.port),
        ssh_config_file=None,
        ssh_username=ssh.user,
        ssh_password=ssh.password,
        ssh_pkey=load_private_key(ssh.private_key, ssh.private_key_passphrase) if ssh.private_key else None,
        # A PKey (not the string sshtunnel documents): paramiko then negotiates only that key type
        # and drops the connection before authenticating when the server's key differs.
        ssh_host_key=ssh.host_key,
        allow_agent=False,
        host_pkey_directories=[],
        remote_bind_address=(source.host, source.port),
        local_bind_address=("127.0.0.1", 0),
        set_keepalive=30.0,
    )


def load_private_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    """A paramiko key from PEM/OpenSSH private key text (Ed25519, ECDSA or RSA); ValueError when unreadable."""
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException as exc:
            raise ValueError("the SSH private key needs a passphrase") from exc
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError("unsupported or malformed SSH private key")


def parse_host_key(text: str) -> paramiko.PKey:
    """The SSH server public key in `text`, for pinning; ValueError saying what is wrong.

    Accepts one line as ``ssh-keyscan -t ed25519 <host>`` prints it (``<host> ssh-ed25519 AAAA…``),
    a known_hosts line (hashed host names too) or a ``.pub`` file line (``ssh-ed25519 AAAA… comment``);
    ``#`` comment lines are skipped and the host name in the line is ignored. Key types:
    ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa. A fingerprint alone is refused: the whole key is
    needed to restrict the key exchange to it.
    """
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        raise ValueError("no key line; paste the output of ssh-keyscan -t ed25519 <host>")
    if len(lines) > 1:
        raise ValueError("several key lines; keep one (ssh-keyscan -t ed25519 <host> prints one)")
    words = lines[0].split()
    if words[0].upper().startswith(("SHA256:", "MD5:")):
        raise ValueError("a fingerprint is not enough; paste the key line (ssh-keyscan -t ed25519 <host>)")
    if words[0].startswith("@"):
        raise ValueError(f"{words[0]} lines are not supported; paste the server's own key line")
    position = next((i for i, word in enumerate(words[:2]) if word in PINNABLE_KEY_TYPES), None)
    if position is None:
        named = next((w for w in words[:2] if w.startswith(("ssh-", "ecdsa-", "sk-", "rsa-"))), None)
        what = f"unsupported key type {named}" if named else "no key type found"
        raise ValueError(f"{what}; use {', '.join(PINNABLE_KEY_TYPES)}")
    key_type = words[position]
    if len(words) <= position + 1:
        raise ValueError(f"the {key_type} key itself (base64) is missing")
    try:
        blob = base64.b64decode(words[position + 1], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the {key_type} key is not valid base64") from exc
    try:
        key = paramiko.PKey.from_type_string(key_type, blob)
    except paramiko.SSHException as exc:
        raise ValueError(f"the {key_type} key is malformed") from exc
    if key.get_name() != key_type or key.asbytes() != blob:
        raise ValueError(f"the {key_type} key is malformed")
    return key


def key_summary(key: paramiko.PKey) -> str:
    """``<type> SHA256:<hash>``: what ``ssh-keygen -lf`` shows for the key, to compare by eye."""
    return f"{key.get_name()} {key.fingerprint}"


def host_key_line(key: paramiko.PKey) -> str:
    """The key as a line `parse_host_key` reads back (``<type> <base64>``)."""
    return f"{key.get_name()} {key.get_base64()}"


def _same_key(a: paramiko.PKey, b: paramiko.PKey) -> bool:
    return a.get_name() == b.get_name() and a.asbytes() == b.asbytes()


@contextmanager
def _ssh_handshake(ssh: SSHTunnelConfig) -> Iterator[paramiko.Transport]:
    """A client transport after the key exchange, the server key checked against `ssh.host_key`.

    Nothing is authenticated yet. Raises HostKeyMismatch, or the socket/paramiko error.
    """
    address = _checked_address(ssh.host, ssh.port, "SSH gateway")
    sock = socket.create_connection((address, ssh.port), timeout=CONNECT_TIMEOUT_SECONDS)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = transport.auth_timeout = CONNECT_TIMEOUT_SECONDS
        if ssh.host_key is not None:
            algorithms = RSA_SIGNATURE_ALGORITHMS if ssh.host_key.get_name() == "ssh-rsa" else [ssh.host_key.get_name()]
            transport.get_security_options().key_types = algorithms
        try:
            transport.start_client(timeout=CONNECT_TIMEOUT_SECONDS)
        except paramiko.ssh_exception.IncompatiblePeer as exc:
            if ssh.host_key is not None and "host key" in str(exc):
                raise HostKeyMismatch(ssh, None) from exc
            raise
        seen = transport.get_remote_server_key()
        if ssh.host_key is not None and not _same_key(seen, ssh.host_key):
            raise HostKeyMismatch(ssh, seen)
        yield transport
    finally:
        transport.close()


@contextmanager
def _ssh_tunnel(source: WordPressSource) -> Iterator[sshtunnel.SSHTunnelForwarder]:
    ssh = source.ssh
    tunnel = build_tunnel(source, _checked_address(ssh.host, ssh.port, "SSH gateway"))
    try:
        if ssh.host_key is not None:
            # sshtunnel pins the key too but reports any failure as "could not connect"; this
            # first handshake says plainly that the key is wrong.
            with _ssh_handshake(ssh):
                pass
        tunnel.start()
    except HostKeyMismatch:
        raise
    except (sshtunnel.BaseSSHTunnelForwarderError, paramiko.SSHException, OSError, EOFError) as exc:
        raise RetryableError(f"SSH tunnel to {ssh.host}:{ssh.port} could not be opened") from exc
    try:
        yield tunnel
    finally:
        tunnel.stop()


def test_connection(source: WordPressSource, required_tables: Iterable[str] = ()) -> ConnectionCheck:
    """Try to reach the database and say plainly what failed; never raises for connection problems.

    `required_tables` are names without the prefix (e.g. ``fv_enteries``); each must exist as
    ``<prefix><name>``. Stages, in the order they are checked: ``blocked`` (the SSH gateway or the
    database host is a private or local address the operator does not allow), ``ssh_dns``, ``ssh_refused``,
    ``ssh_timeout``, ``ssh_host_key`` (not the pinned key), ``ssh_auth``, ``ssh`` (SSH gateway);
    ``dns``, ``refused``, ``timeout``, ``network`` (database server); ``auth`` (user/password);
    ``database`` (unknown database or no access to it); ``tables`` (missing tables); ``ok``.
    Through SSH, the message also says whether the server key was pinned and which key was seen.
    """
    seen = None
    if source.ssh is not None:
        ssh_failure, seen = _probe_ssh(source.ssh)
        if ssh_failure:
            return ssh_failure
    elif not _resolves(source.host):
        return ConnectionCheck(False, "dns", _("Database host %(host)s was not found (DNS).") % {"host": source.host})
    try:
        with open_connection(source) as conn:
            missing = find_missing_tables(conn, source, required_tables)
    except IntegrationError as exc:
        check = describe_failure(source, exc)
    else:
        check = (
            missing_tables_check(missing)
            if missing
            else ConnectionCheck(True, "ok", _("Connected to %(database)s.") % {"database": source.database})
        )
    return _with_host_key_note(check, source.ssh, seen) if seen is not None else check


test_connection.__test__ = False  # a library function, not a pytest test


def find_missing_tables(conn, source: WordPressSource, required_tables: Iterable[str]) -> tuple[str, ...]:
    """The full names (with prefix) of `required_tables` that do not exist, in the order given."""
    wanted = [source.table(name) for name in required_tables]
    present = existing_tables(conn, wanted)
    return tuple(name for name in wanted if name not in present)


def missing_tables_check(missing: Iterable[str]) -> ConnectionCheck:
    """The failed check for tables that are missing (full names)."""
    missing = tuple(missing)
    return ConnectionCheck(
        False,
        "tables",
        _("Connected, but these tables are missing: %(tables)s. Check the table prefix.")
        % {"tables": ", ".join(missing)},
        missing_tables=missing,
    )


def describe_failure(source: WordPressSource, error: BaseException) -> ConnectionCheck:
    """What `open_connection(source)` raising `error` means, in the words `test_connection` uses.

    Does not connect again: imports call it with the error they got, so a failed run says
    "refused", "not found (DNS)" or "access denied" instead of a driver message.
    """
    if isinstance(error, HostKeyMismatch):
        return host_key_mismatch_check(error)
    if isinstance(error, DestinationNotAllowed):
        return blocked_check(source.ssh.host if source.ssh is not None else source.host)
    return _diagnose(source, error.__cause__ if isinstance(error, IntegrationError) else error)


def blocked_check(host: str) -> ConnectionCheck:
    """The failed check for a host that resolves to a private or local address (nothing was contacted)."""
    return ConnectionCheck(
        False,
        "blocked",
        _(
            "%(host)s is a private or local address: connecting to it is not allowed. Nothing was contacted; "
            "the operator can allow private networks (see the operations guide)."
        )
        % {"host": host},
    )


def host_key_mismatch_check(error: HostKeyMismatch) -> ConnectionCheck:
    """The failed check for an SSH server whose key is not the pinned one."""
    where = {"host": error.ssh.host, "port": error.ssh.port, "pinned": key_summary(error.pinned)}
    if error.seen is None:
        text = _(
            "The SSH server's key does not match the pinned key: ssh_host_key pins %(pinned)s, "
            "but %(host)s:%(port)s has no key of that type."
        )
    else:
        where["seen"] = key_summary(error.seen)
        text = _(
            "The SSH server's key does not match the pinned key: ssh_host_key pins %(pinned)s, "
            "but %(host)s:%(port)s presented %(seen)s."
        )
    advice = _(
        "Nothing was sent to it. Find out why before connecting (a reinstalled server, or someone "
        "in between); if the server's key really changed, check the new one on the server and save it in "
        "ssh_host_key."
    )
    return ConnectionCheck(
        False,
        "ssh_host_key",
        f"{text % where} {advice}",
        host_key_seen=key_summary(error.seen) if error.seen else "",
        host_key_pinned=True,
    )


def _with_host_key_note(check: ConnectionCheck, ssh: SSHTunnelConfig, seen: paramiko.PKey) -> ConnectionCheck:
    """`check` with a sentence on the SSH server key: it matched the pin, or it was not pinned (and what it is)."""
    if ssh.host_key is not None:
        note = _("The SSH server's key matches the pinned key (%(seen)s).") % {"seen": key_summary(seen)}
    else:
        note = _(
            "The SSH server's key is not pinned: %(host)s:%(port)s presented %(seen)s. Compare it with "
            "ssh-keygen -lf on the server; if it is the same, pin it by saving this line in the "
            "ssh_host_key setting: %(line)s"
        ) % {"host": ssh.host, "port": ssh.port, "seen": key_summary(seen), "line": host_key_line(seen)}
    return dataclasses.replace(
        check,
        message=f"{check.message} {note}",
        host_key_seen=key_summary(seen),
        host_key_pinned=ssh.host_key is not None,
    )


def _checked_address(host: str, port: int, what: str) -> str:
    """The first address `host` resolves to, after one lookup whose answers must all be allowed.

    DestinationNotAllowed when one is private or local; RetryableError (caused by the
    socket.gaierror, which `describe_failure` reads as "not found") when the host does not resolve.
    """
    try:
        return allowed_addresses(host, port)[0]
    except (OSError, UnicodeError) as exc:
        raise RetryableError(f"{what} host {host} could not be resolved") from exc


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def _probe_ssh(ssh: SSHTunnelConfig) -> tuple[ConnectionCheck | None, paramiko.PKey | None]:
    """(None, server key) when the SSH gateway has the pinned key (if any) and accepts the credentials.

    Otherwise (the failed check, the server key when the key exchange got that far). The key is
    checked before any credential is sent.
    """
    where = {"host": ssh.host, "port": ssh.port}
    if not _resolves(ssh.host):
        return ConnectionCheck(False, "ssh_dns", _("SSH host %(host)s was not found (DNS).") % where), None
    seen = None
    try:
        pkey = load_private_key(ssh.private_key, ssh.private_key_passphrase) if ssh.private_key else None
        with _ssh_handshake(ssh) as transport:
            seen = transport.get_remote_server_key()
            _authenticate(transport, ssh, pkey)
    except HostKeyMismatch as exc:
        return host_key_mismatch_check(exc), exc.seen
    except DestinationNotAllowed:
        return blocked_check(ssh.host), None
    except paramiko.AuthenticationException:
        failure = ConnectionCheck(False, "ssh_auth", _("SSH login refused for user %(user)s.") % {"user": ssh.user})
    except ValueError as exc:
        failure = ConnectionCheck(False, "ssh_auth", _("SSH private key problem: %(reason)s.") % {"reason": exc})
    except TimeoutError:
        failure = ConnectionCheck(
            False, "ssh_timeout", _("SSH server %(host)s:%(port)s did not answer in time.") % where
        )
    except ConnectionRefusedError:
        failure = ConnectionCheck(
            False, "ssh_refused", _("SSH server %(host)s:%(port)s refused the connection.") % where
        )
    except (paramiko.SSHException, OSError, EOFError) as exc:
        reason = type(exc).__name__
        failure = ConnectionCheck(
            False, "ssh", _("SSH connection to %(host)s failed (%(reason)s).") % {**where, "reason": reason}
        )
    else:
        return None, seen
    return (_with_host_key_note(failure, ssh, seen) if seen is not None else failure), seen


def _authenticate(transport: paramiko.Transport, ssh: SSHTunnelConfig, pkey: paramiko.PKey | None) -> None:
    """Log in with the key, then the password (as the tunnel does); AuthenticationException when neither works."""
    if pkey is not None:
        try:
            transport.auth_publickey(ssh.user, pkey)
            return
        except paramiko.AuthenticationException:
            if not ssh.password:
                raise
    if not ssh.password:
        raise paramiko.AuthenticationException("no SSH password or private key configured")
    transport.auth_password(ssh.user, ssh.password)


def _diagnose(source: WordPressSource, exc: BaseException | None) -> ConnectionCheck:
    where = {"host": source.host, "port": source.port, "database": source.database, "user": source.user}
    code = exc.args[0] if isinstance(exc, pymysql.err.MySQLError) and exc.args else None
    if code == 1045:
        return ConnectionCheck(False, "auth", _("Access denied for user %(user)s: check user and password.") % where)
    if code == 1044:
        return ConnectionCheck(False, "database", _("User %(user)s may not open database %(database)s.") % where)
    if code == 1049:
        return ConnectionCheck(False, "database", _("Database %(database)s does not exist.") % where)
    if source.ssh is not None:
        # A bare socket error can only come from the SSH server: the database's own are PyMySQL errors.
        if isinstance(exc, sshtunnel.BaseSSHTunnelForwarderError | paramiko.SSHException | OSError | EOFError):
            return ConnectionCheck(False, "ssh", _("The SSH tunnel could not be opened."))
        return ConnectionCheck(
            False, "ssh", _("Through SSH, the database at %(host)s:%(port)s could not be reached.") % where
        )
    original = getattr(exc, "original_exception", exc)
    if isinstance(original, socket.gaierror):
        return ConnectionCheck(False, "dns", _("Database host %(host)s was not found (DNS).") % where)
    if isinstance(original, ConnectionRefusedError):
        return ConnectionCheck(
            False,
            "refused",
            _("%(host)s:%(port)s refused the connection: is the port right and our IP allowed?") % where,
        )
    if isinstance(original, TimeoutError):
        return ConnectionCheck(False, "timeout", _("%(host)s:%(port)s did not answer in time (firewall?).") % where)
    reason = exc.args[1] if isinstance(exc, pymysql.err.MySQLError) and len(exc.args) > 1 else type(exc).__name__
    return ConnectionCheck(False, "network", _("Could not talk to the database: %(reason)s") % {"reason": reason})
