"""A loopback server speaking enough of ClinicalTrials.gov API v2 to be crawled.

Serves a list of study records at ``/api/v2/studies`` (``pageSize``,
``pageToken``/``nextPageToken``, ``countTotal``, ``filter.overallStatus``,
``filter.advanced=AREA[LastUpdatePostDate]RANGE[from,to]``), one study at
``/api/v2/studies/{nctId}``, and ``/robots.txt``. The demo crawls the bundled
snapshot through it and the benchmark feeds it ten thousand studies; the
tests replay recorded responses through it and, by overriding `respond`
(``tests/support/faulty_server.py``), script faults into it.

Page tokens carry a fingerprint of the query, so a client that changes its
query between pages gets a 400, as from the real API.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trialmatch.core import canonical

log = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
JSON_TYPE = "application/json"
ALLOW_ALL_ROBOTS = "User-agent: *\nAllow: /\n"
_RANGE = re.compile(r"^AREA\[LastUpdatePostDate\]RANGE\[([^,\]]+),\s*([^\]]+)\]$")


@dataclass(frozen=True)
class StudyEntry:
    """One study as served: its JSON encoded once, and the fields the filters read."""

    nct_id: str
    overall_status: str
    last_update: str
    body: bytes

    @classmethod
    def of(cls, study: Mapping[str, Any]) -> StudyEntry:
        protocol = study["protocolSection"]
        status = protocol.get("statusModule", {})
        return cls(
            nct_id=str(protocol["identificationModule"]["nctId"]),
            overall_status=str(status.get("overallStatus", "")),
            last_update=str((status.get("lastUpdatePostDateStruct") or {}).get("date", "")),
            body=json.dumps(study, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        )


class SnapshotServer:
    """Start with ``with SnapshotServer(studies) as server:``; crawl ``server.base_url``."""

    def __init__(
        self,
        studies: Iterable[Mapping[str, Any]] = (),
        *,
        robots_txt: str = ALLOW_ALL_ROBOTS,
        max_page_size: int = 1000,
    ) -> None:
        self.robots_txt = robots_txt
        self.max_page_size = max_page_size
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._entries: dict[str, StudyEntry] = {}
        self.set_studies(studies)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), SnapshotHandler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.snapshot = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    def start(self) -> SnapshotServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SnapshotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- what it serves ----------------------------------------------------

    def set_studies(self, studies: Iterable[Mapping[str, Any]]) -> None:
        self.set_entries(StudyEntry.of(study) for study in studies)

    def set_entries(self, entries: Iterable[StudyEntry]) -> None:
        """Serve these pre-encoded studies (the benchmark builds ten thousand of them)."""
        by_id = {entry.nct_id: entry for entry in entries}
        with self._lock:
            self._entries = dict(sorted(by_id.items()))

    def put_study(self, study: Mapping[str, Any]) -> None:
        """Add or replace one study (a status change, a new record)."""
        entry = StudyEntry.of(study)
        with self._lock:
            self._entries[entry.nct_id] = entry
            self._entries = dict(sorted(self._entries.items()))

    def list_page(self, query: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            entries = list(self._entries.values())
        try:
            selected = _select(entries, query)
            offset = _offset_of(query.get("pageToken"), _fingerprint(query))
        except ValueError as exc:
            return 400, _encode({"error": str(exc)})
        size = min(int(query.get("pageSize") or 10), self.max_page_size)
        page = selected[offset : offset + size]
        # Spliced from pre-encoded studies: the server must not be the bottleneck.
        body = b'{"studies":[' + b",".join(entry.body for entry in page) + b"]"
        if offset + size < len(selected):
            token = _token(offset + size, _fingerprint(query))
            body += b',"nextPageToken":"' + token.encode() + b'"'
        if query.get("countTotal") == "true" and "pageToken" not in query:
            body += b',"totalCount":' + str(len(selected)).encode()
        return 200, body + b"}"

    def one_study(self, nct_id: str) -> tuple[int, bytes]:
        with self._lock:
            entry = self._entries.get(nct_id)
        if entry is None:
            return 404, _encode({"error": f"study {nct_id} not found"})
        return 200, entry.body

    def route(self, path: str, query: dict[str, str]) -> Reply:
        """What the registry would answer to GET *path* with *query*."""
        if path == "/robots.txt":
            return Reply(200, self.robots_txt.encode(), "text/plain; charset=utf-8")
        if path == f"{API_PREFIX}/studies":
            return Reply(*self.list_page(query))
        prefix = f"{API_PREFIX}/studies/"
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return Reply(*self.one_study(path[len(prefix) :]))
        return json_reply(404, {"error": f"no route {path}"})

    def respond(
        self, handler: SnapshotHandler, path: str, query: dict[str, str], reply: Reply
    ) -> None:
        """Send *reply*; a test server overrides this to misbehave."""
        handler.send(reply)

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the server closes, so stalls never outlive it."""
        self._stopping.wait(seconds)


class SnapshotHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "trialmatch-snapshot/1"
    # Headers and body go out in two writes; with Nagle on, each response
    # would wait for a delayed ACK (about 40 ms on Linux).
    disable_nagle_algorithm = True

    @property
    def snapshot(self) -> SnapshotServer:
        return self.server.snapshot  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("snapshot server: " + format, *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        reply = self.snapshot.route(parts.path, query)
        try:
            self.snapshot.respond(self, parts.path, query, reply)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away from %s", self.path)

    def send(self, reply: Reply, headers: Mapping[str, str] | None = None) -> None:
        """Write *reply* whole, with any extra *headers*."""
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE


def _encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(status: int, document: Any) -> Reply:
    return Reply(status, _encode(document))


def _select(entries: list[StudyEntry], query: dict[str, str]) -> list[StudyEntry]:
    statuses = {s.strip().upper() for s in query.get("filter.overallStatus", "").split(",") if s}
    low, high = _date_range(query.get("filter.advanced"))
    return [
        entry
        for entry in entries
        if (not statuses or entry.overall_status in statuses) and low <= entry.last_update <= high
    ]


def _date_range(expression: str | None) -> tuple[str, str]:
    if not expression:
        return "", "\uffff"
    match = _RANGE.match(expression.strip())
    if match is None:
        raise ValueError(f"unsupported filter.advanced {expression!r}")
    low, high = match.group(1).strip(), match.group(2).strip()
    return ("" if low == "MIN" else low), ("\uffff" if high == "MAX" else high)


def _fingerprint(query: dict[str, str]) -> str:
    kept = sorted((key, value) for key, value in query.items() if key != "pageToken")
    return canonical.content_hash(kept)[:12]


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode().rstrip("=")


def _offset_of(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_text, token_fingerprint = decoded.split(":", 1)
        offset = int(offset_text)
    except ValueError as exc:
        raise ValueError(f"invalid pageToken {token!r}") from exc
    if token_fingerprint != fingerprint:
        raise ValueError("pageToken was issued for another query")
    return offset
