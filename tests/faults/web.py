"""The web process of the fault tests (bin/web, gunicorn) and a TCP proxy that cuts or hangs PostgreSQL."""

import json
import os
import select
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from tests.faults.conftest import ROOT, free_port, wait_until


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict


class Web:
    """bin/web (gunicorn, sync workers) on a free port, on the test database (or `database_port`)."""

    def __init__(self, log_path, *, redis_url: str, database_port: int | None = None, **extra_env):
        self.port = free_port()
        db = connection.settings_dict
        env = {k: v for k, v in os.environ.items() if k not in ("DIRECT_URL",)}
        env.update(
            PATH=f"{ROOT / '.venv' / 'bin'}:{env['PATH']}",
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DJANGO_DEBUG="false",
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{database_port or db['PORT']}/{db['NAME']}",
            REDIS_URL=redis_url,
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="2",
            CRED_ENCRYPTION_KEY=",".join(settings.CRED_ENCRYPTION_KEY),
            LOG_LEVEL="WARNING",
        )
        env.update({k: str(v) for k, v in extra_env.items()})
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            ["bin/web"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(lambda: self.get("/health/", timeout=3).status in (200, 503), 60, "the web process answers")

    def request(self, method: str, path: str, body: bytes | None = None, timeout: float = 30) -> Answer:
        started = time.monotonic()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError:
            status, raw = 0, b""  # no answer at all (refused, reset, timed out)
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:200].decode(errors="replace")}
        return Answer(status=status, seconds=time.monotonic() - started, body=parsed)

    def get(self, path: str, timeout: float = 30) -> Answer:
        return self.request("GET", path, timeout=timeout)

    def webhook(self, channel, message_id: str, phone: str = "5511987654321", text: str = "oi") -> Answer:
        body = json.dumps({"from": phone, "text": text, "id": message_id}).encode()
        return self.request("POST", f"/webhook/{channel.inbound_key}/", body)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


class TcpProxy:
    """127.0.0.1:<port> -> target. `cut()`: every connection closed and new ones refused at once;
    `hang()`: connections accepted and held, nothing forwarded either way; `forward()`: normal."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.mode = "forward"
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def forward(self):
        self.mode = "forward"

    def hang(self):
        self.mode = "hang"

    def cut(self):
        self.mode = "cut"
        with self.lock:
            for sock in self.sockets:
                _close(sock)
            self.sockets.clear()

    def close(self):
        self.closed = True
        self.cut()
        _close(self.listener)

    def _accept(self):
        while not self.closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client, upstream):
        pairs = {client: upstream, upstream: client}
        while not self.closed:
            if self.mode == "hang":
                time.sleep(0.05)  # hold everything: a server that stopped answering
                continue
            try:
                readable, _w, _x = select.select(list(pairs), [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise OSError("closed")
                    pairs[sock].sendall(data)
            except (OSError, ValueError):
                _close(client)
                _close(upstream)
                return


def _close(sock):
    try:
        sock.close()
    except OSError:
        pass
