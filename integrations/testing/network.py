"""The network of SSRF tests: an "inside" that records every connection, and a scripted resolver.

    with InsideListener() as inside:            # 127.0.0.1, a free port
        ... point a company-supplied URL at f"http://127.0.0.1:{inside.port}/" ...
        assert inside.connections == []         # nothing reached it

InsideListener answers any connection with a tiny HTTP 200 ("inside"), so a client that does get
through succeeds, and the test sees it in `connections` (the peer addresses), not as a timeout.

    resolver = ScriptedResolver(monkeypatch)
    resolver.answers["rebind.test"] = [["127.0.0.2"], ["127.0.0.1"]]   # 1st lookup, then every later one
    ... resolver.lookups["rebind.test"] ...                            # how many lookups were made

Other names go to the real socket.getaddrinfo.
"""

import socket
import threading

PUBLIC_STAND_IN = "127.0.0.2"  # a loopback alias the tests allow-list to play a public address

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\ninside"


class InsideListener:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.connections: list[tuple] = []
        self._socket = socket.create_server((host, port))
        self._socket.settimeout(0.05)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self):
        while not self._stopped.is_set():
            try:
                conn, peer = self._socket.accept()
            except TimeoutError:
                continue
            self.connections.append(peer)
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(ANSWER)
                except OSError:
                    pass


class ScriptedResolver:
    """socket.getaddrinfo with some names answered from a script (one answer per lookup; the last repeats)."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: dict[str, int] = {}
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)
        count = self.lookups.get(host, 0)
        self.lookups[host] = count + 1
        script = self.answers[host]
        addresses = script[min(count, len(script) - 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in addresses]
