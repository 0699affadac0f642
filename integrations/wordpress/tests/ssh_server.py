"""A tiny in-process SSH server (paramiko) that only does password/key login and port forwarding.

Enough for sshtunnel to open a real direct-tcpip channel to the local MariaDB, so the tunnel path
is tested end to end without an sshd on the machine.
"""

import io
import select
import socket
import threading

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class _Gateway(paramiko.ServerInterface):
    def __init__(self, owner: "SSHGateway"):
        self.owner = owner
        self.user, self.password, self.public_key = owner.user, owner.password, owner.public_key
        self.destinations: dict[int, tuple[str, int]] = {}

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        ok = (username, password) == (self.user, self.password)
        self.owner.auth_attempts += 1
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        ok = username == self.user and self.public_key is not None and key == self.public_key
        self.owner.auth_attempts += 1
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(self, chanid, origin, destination):
        self.destinations[chanid] = destination
        return paramiko.OPEN_SUCCEEDED


def new_ed25519_key() -> paramiko.Ed25519Key:
    """A fresh Ed25519 key (paramiko cannot generate one itself)."""
    text = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    return paramiko.Ed25519Key.from_private_key(io.StringIO(text.decode()))


class SSHGateway:
    """Listens on 127.0.0.1:<port>; `accepted_forwards` counts the direct-tcpip channels it served.

    `host_key` is the server's own key (default: a new RSA key); `auth_attempts` counts the
    credentials it received (password or key, right or wrong).
    """

    def __init__(
        self,
        user: str,
        password: str,
        public_key: paramiko.PKey | None = None,
        host_key: paramiko.PKey | None = None,
    ):
        self.user, self.password, self.public_key = user, password, public_key
        self.host_key = host_key or paramiko.RSAKey.generate(2048)
        self.accepted_forwards = 0
        self.auth_attempts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        transport = paramiko.Transport(client)
        transport.add_server_key(self.host_key)
        gateway = _Gateway(self)
        try:
            transport.start_server(server=gateway)
        except (paramiko.SSHException, EOFError, OSError):
            return
        while transport.is_active() and not self._stopped.is_set():
            channel = transport.accept(timeout=0.5)
            if channel is None:
                continue
            self.accepted_forwards += 1
            destination = gateway.destinations[channel.get_id()]
            threading.Thread(target=self._pump, args=(channel, destination), daemon=True).start()

    @staticmethod
    def _pump(channel: paramiko.Channel, destination: tuple[str, int]) -> None:
        try:
            upstream = socket.create_connection(destination, timeout=5)
        except OSError:
            channel.close()
            return
        try:
            while True:
                readable, _, _ = select.select([upstream, channel], [], [], 1.0)
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in readable:
                    data = channel.recv(65536)
                    if not data:
                        break
                    upstream.sendall(data)
        except OSError:
            pass
        finally:
            upstream.close()
            channel.close()
