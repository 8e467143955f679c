"""The snapshot server with scripted faults and a record of the requests it saw.

Faults are scripted per path: each request to that path takes the next
entry of its script (``None`` serves normally) until the script runs out.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialmatch.snapshot_server import (
    ALLOW_ALL_ROBOTS,
    API_PREFIX,
    Reply,
    SnapshotHandler,
    SnapshotServer,
    json_reply,
)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour: ``status``, ``truncate``, ``stall`` or ``invalid_json``."""

    kind: str
    status: int = 503
    retry_after: str | None = None
    seconds: float = 0.0

    @classmethod
    def http(cls, status: int, retry_after: str | None = None) -> Fault:
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        return cls("stall", seconds=seconds)


TRUNCATE = Fault("truncate")
INVALID_JSON = Fault("invalid_json")


class FaultyServer(SnapshotServer):
    """`SnapshotServer` plus `script`, `requests_to` and a delay before each list page."""

    def __init__(self, studies: Iterable[Mapping[str, Any]] = (), **options: Any) -> None:
        super().__init__(studies, **options)
        self.page_delay = 0.0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._scripts: dict[str, deque[Fault | None]] = {}
        self._script_lock = threading.Lock()

    def script(self, path: str, faults: Sequence[Fault | None]) -> None:
        """The next requests to *path* (``/api/v2/studies``, ``/robots.txt``…) misbehave so."""
        with self._script_lock:
            self._scripts[path] = deque(faults)

    def reset(self, studies: Iterable[Mapping[str, Any]] = ()) -> None:
        """Back to a clean state: these studies, no faults, no delay, robots allowing all."""
        self.set_studies(studies)
        with self._script_lock:
            self._scripts.clear()
            self.requests.clear()
        self.robots_txt = ALLOW_ALL_ROBOTS
        self.page_delay = 0.0
        self.max_page_size = 1000

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self._script_lock:
            return [query for seen, query in self.requests if seen == path]

    def respond(
        self, handler: SnapshotHandler, path: str, query: dict[str, str], reply: Reply
    ) -> None:
        with self._script_lock:
            self.requests.append((path, query))
            script = self._scripts.get(path)
            fault = script.popleft() if script else None
        if path == f"{API_PREFIX}/studies" and self.page_delay:
            self.wait(self.page_delay)
        if fault is None:
            handler.send(reply)
            return
        if fault.kind == "stall":
            self.wait(fault.seconds)
        if fault.kind == "status":
            reply = json_reply(fault.status, {"error": "scripted fault"})
        if fault.kind == "invalid_json":
            reply = Reply(reply.status, reply.body[: len(reply.body) // 2] + b"}{ not json")
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.kind == "truncate":
            # Promise the whole body, send half, hang up: a cut-short download.
            _send_half(handler, reply)
            return
        handler.send(reply, headers)


def _send_half(handler: SnapshotHandler, reply: Reply) -> None:
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(reply.body[: len(reply.body) // 2])
    handler.close_connection = True
