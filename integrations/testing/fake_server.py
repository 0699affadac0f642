"""A local HTTP server for client tests: scripted responses, every request recorded.

    with FakeServer() as server:
        server.add("POST", "/send/text", json={"id": "abc"}, status=200)
        client = Client(base_url=server.url)
        ...
        assert server.requests[0].json == {...}

Routes match on method and path (query string ignored). A route may be a callable
`handler(recorded_request) -> (status, headers, body_bytes)` for stateful fakes. Unmatched
requests get 404. `delay` seconds simulates a slow provider.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    handler: Callable | None = None
    delay: float = 0.0
    times: int | None = None  # None = forever; else answer this many times, then fall through


class FakeServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[RecordedRequest] = []
        self._routes: dict[tuple[str, str], list[Route]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, method, path, *, status=200, json=None, body=b"", headers=None, handler=None, delay=0.0, times=None):
        payload = body
        route_headers = dict(headers or {})
        if json is not None:
            payload = _json_bytes(json)
            route_headers.setdefault("Content-Type", "application/json")
        route = Route(status=status, body=payload, headers=route_headers, handler=handler, delay=delay, times=times)
        with self._lock:
            self._routes.setdefault((method.upper(), path), []).append(route)
        return route

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _pick(self, method: str, path: str) -> Route | None:
        with self._lock:
            routes = self._routes.get((method, path), [])
            for route in routes:
                if route.times is None:
                    return route
                if route.times > 0:
                    route.times -= 1
                    return route
        return None

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = RecordedRequest(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body)
                with fake._lock:
                    fake.requests.append(recorded)
                route = fake._pick(self.command, parts.path)
                if route is None:
                    status, headers, payload = 404, {"Content-Type": "application/json"}, b'{"error": "not found"}'
                elif route.handler is not None:
                    status, headers, payload = route.handler(recorded)
                else:
                    status, headers, payload = route.status, route.headers, route.body
                if route is not None and route.delay:
                    time.sleep(route.delay)
                if isinstance(payload, dict | list):
                    payload = _json_bytes(payload)
                    headers = {"Content-Type": "application/json", **headers}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler


def _json_bytes(value) -> bytes:
    return json.dumps(value).encode()
