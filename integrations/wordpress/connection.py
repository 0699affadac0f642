"""Reaching a store's WordPress MySQL database, directly or through an SSH tunnel, and diagnosing failures."""

import io
import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import paramiko
import pymysql
import sshtunnel
from django.utils.translation import gettext as _

from integrations.errors import IntegrationError, RetryableError
from integrations.wordpress.sql import existing_tables, translated_errors, validate_identifier, validate_table_prefix

DEFAULT_MYSQL_PORT = 3306
DEFAULT_SSH_PORT = 22
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 120  # one keyset batch of orders with their items fits well within this


@dataclass(frozen=True)
class SSHTunnelConfig:
    """An SSH gateway in front of the database. Give a password, a private key (PEM/OpenSSH text), or both."""

    host: str
    user: str
    port: int = DEFAULT_SSH_PORT
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    private_key_passphrase: str | None = field(default=None, repr=False)


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
    stage: str  # ok | dns | refused | timeout | network | auth | database | tables | ssh_* (see test_connection)
    message: str
    missing_tables: tuple[str, ...] = ()


@contextmanager
def open_connection(source: WordPressSource) -> Iterator[pymysql.connections.Connection]:
    """A read-only PyMySQL connection (utf8mb4, autocommit), through an SSH tunnel when `source.ssh` is set.

    The tunnel and the connection are closed on exit. Raises RetryableError when the server or the
    tunnel cannot be reached and PermanentError for access denied / unknown database.
    """
    with ExitStack() as stack:
        host, port = source.host, source.port
        if source.ssh is not None:
            tunnel = stack.enter_context(_ssh_tunnel(source))
            host, port = "127.0.0.1", tunnel.local_bind_port
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
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": READ_TIMEOUT_SECONDS,
        "cursorclass": pymysql.cursors.DictCursor,
    }


def build_tunnel(source: WordPressSource) -> sshtunnel.SSHTunnelForwarder:
    """An unstarted SSHTunnelForwarder from a free loopback port to the database behind `source.ssh`.

    Local SSH agents, ~/.ssh keys and ~/.ssh/config are deliberately ignored: only the
    company's configured credentials are used.
    """
    ssh = source.ssh
    if ssh is None:
        raise ValueError("source has no SSH settings")
    return sshtunnel.SSHTunnelForwarder(
        (ssh.host, ssh.port),
        ssh_config_file=None,
        ssh_username=ssh.user,
        ssh_password=ssh.password,
        ssh_pkey=load_private_key(ssh.private_key, ssh.private_key_passphrase) if ssh.private_key else None,
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


@contextmanager
def _ssh_tunnel(source: WordPressSource) -> Iterator[sshtunnel.SSHTunnelForwarder]:
    tunnel = build_tunnel(source)
    try:
        tunnel.start()
    except (sshtunnel.BaseSSHTunnelForwarderError, paramiko.SSHException, OSError) as exc:
        raise RetryableError(f"SSH tunnel to {source.ssh.host}:{source.ssh.port} could not be opened") from exc
    try:
        yield tunnel
    finally:
        tunnel.stop()


def test_connection(source: WordPressSource, required_tables: Iterable[str] = ()) -> ConnectionCheck:
    """Try to reach the database and say plainly what failed; never raises for connection problems.

    `required_tables` are names without the prefix (e.g. ``fv_enteries``); each must exist as
    ``<prefix><name>``. Stages, in the order they are checked: ``ssh_dns``, ``ssh_refused``,
    ``ssh_timeout``, ``ssh_auth``, ``ssh`` (SSH gateway); ``dns``, ``refused``, ``timeout``,
    ``network`` (database server); ``auth`` (user/password); ``database`` (unknown database or no
    access to it); ``tables`` (missing tables); ``ok``.
    """
    if source.ssh is not None:
        ssh_failure = _probe_ssh(source.ssh)
        if ssh_failure:
            return ssh_failure
    elif not _resolves(source.host):
        return ConnectionCheck(False, "dns", _("Database host %(host)s was not found (DNS).") % {"host": source.host})
    try:
        with open_connection(source) as conn:
            missing = find_missing_tables(conn, source, required_tables)
    except IntegrationError as exc:
        return describe_failure(source, exc)
    if missing:
        return missing_tables_check(missing)
    return ConnectionCheck(True, "ok", _("Connected to %(database)s.") % {"database": source.database})


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
    return _diagnose(source, error.__cause__ if isinstance(error, IntegrationError) else error)


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def _probe_ssh(ssh: SSHTunnelConfig) -> ConnectionCheck | None:
    """None when the SSH gateway accepts the credentials, else the failed check."""
    where = {"host": ssh.host, "port": ssh.port}
    if not _resolves(ssh.host):
        return ConnectionCheck(False, "ssh_dns", _("SSH host %(host)s was not found (DNS).") % where)
    client = paramiko.SSHClient()
    # No known_hosts store exists per company yet; sshtunnel does not verify host keys either.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(
            ssh.host,
            port=ssh.port,
            username=ssh.user,
            password=ssh.password,
            pkey=load_private_key(ssh.private_key, ssh.private_key_passphrase) if ssh.private_key else None,
            timeout=CONNECT_TIMEOUT_SECONDS,
            banner_timeout=CONNECT_TIMEOUT_SECONDS,
            auth_timeout=CONNECT_TIMEOUT_SECONDS,
            allow_agent=False,
            look_for_keys=False,
        )
    except paramiko.AuthenticationException:
        return ConnectionCheck(False, "ssh_auth", _("SSH login refused for user %(user)s.") % {"user": ssh.user})
    except ValueError as exc:
        return ConnectionCheck(False, "ssh_auth", _("SSH private key problem: %(reason)s.") % {"reason": exc})
    except TimeoutError:
        return ConnectionCheck(False, "ssh_timeout", _("SSH server %(host)s:%(port)s did not answer in time.") % where)
    except (paramiko.ssh_exception.NoValidConnectionsError, ConnectionRefusedError):
        return ConnectionCheck(False, "ssh_refused", _("SSH server %(host)s:%(port)s refused the connection.") % where)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        reason = type(exc).__name__
        return ConnectionCheck(
            False, "ssh", _("SSH connection to %(host)s failed (%(reason)s).") % {**where, "reason": reason}
        )
    finally:
        client.close()
    return None


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
        if isinstance(exc, sshtunnel.BaseSSHTunnelForwarderError | paramiko.SSHException):
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
