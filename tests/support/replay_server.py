"""A local HTTP server on 127.0.0.1 that replays recorded registry responses.

Routes map ``(method, path)`` to a function of the request (its query and
JSON body) returning ``(status, content type, body bytes)``; robots.txt
allows everything unless a route says otherwise. Every request is recorded
(method, path, query, body) so a test can check what was asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any


Reply = tuple[int, str, bytes]
Route = Callable[[Request], Reply]


def json_bytes(status: int, body: bytes) -> Reply:
    return status, "application/json", body


class ReplayServer:
    def __init__(self, routes: dict[tuple[str, str], Route]) -> None:
        self.routes = dict(routes)
        self.routes.setdefault(("GET", "/robots.txt"), lambda _: (200, "text/plain", b""))
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(
                    method,
                    parts.path,
                    {key: values[0] for key, values in parse_qs(parts.query).items()},
                    json.loads(raw) if raw else None,
                )
                with server._lock:
                    server.requests.append(request)
                route = server._route(method, parts.path)
                status, content_type, body = (
                    route(request) if route else (404, "text/plain", b"not recorded")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _route(self, method: str, path: str) -> Route | None:
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        for (route_method, prefix), route in self.routes.items():
            if route_method == method and prefix.endswith("/*") and path.startswith(prefix[:-1]):
                return route
        return None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
