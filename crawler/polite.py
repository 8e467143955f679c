"""Polite fetching: robots.txt, one request at a time per host, a delay, retries.

`PoliteFetcher.fetch` asks robots.txt first (once per host, honouring its
Crawl-delay), waits its turn for the host, and retries timeouts, connection
errors, cut-short bodies, 408, 429 and 5xx with exponential backoff and
jitter, waiting at least as long as a ``Retry-After`` asks. A body the
caller's *decode* rejects with `SourceParseError` (invalid JSON, say) is
retried too; `UnsupportedFormat` is not, since asking again cannot help.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import httpx
from protego import Protego

from trialmatch.core.errors import FetchError, RobotsDisallowed, SourceParseError, UnsupportedFormat
from trialmatch.core.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
# A server asking us to come back in more than a quarter of an hour is closed
# for the night; giving up and resuming tomorrow is kinder than hanging on.
MAX_RETRY_AFTER_SECONDS = 900.0


@dataclass
class _HostState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_request_end: float | None = None
    robots: Protego | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class _Reply:
    status_code: int
    headers: httpx.Headers
    body: bytes


@dataclass
class _Attempt:
    """Why the last attempt failed and how long to wait before the next one."""

    problem: str
    wait: float
    status: int | None = None
    error: Exception | None = None


class PoliteFetcher:
    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._hosts: dict[str, _HostState] = {}
        self._hosts_lock = threading.Lock()

    def fetch(
        self,
        url: str,
        params: Mapping[str, str],
        decode: Callable[[bytes, str], T],
        *,
        json_body: Any = None,
    ) -> T:
        """GET *url* with *params* (POST *json_body*, if given); ``decode(body, full_url)`` it.

        Faults are retried; robots.txt is asked for a POST as for a GET.
        """
        full_url = str(httpx.URL(url, params=dict(params)))
        host = self._host_state(full_url)
        if self.settings.obey_robots:
            self._check_robots(full_url, host)
        return self._fetch_with_retries(full_url, host, decode, json_body)

    def _fetch_with_retries(
        self,
        full_url: str,
        host: _HostState,
        decode: Callable[[bytes, str], T],
        json_body: Any = None,
    ) -> T:
        attempts = self.settings.max_retries + 1
        failure: _Attempt | None = None
        for attempt in range(attempts):
            if failure is not None:
                log.info("retrying %s in %.2fs: %s", full_url, failure.wait, failure.problem)
                self._sleep(failure.wait)
            response_or_failure = self._one_request(full_url, host, attempt, json_body)
            if isinstance(response_or_failure, _Attempt):
                failure = response_or_failure
                continue
            try:
                return decode(response_or_failure.body, full_url)
            except UnsupportedFormat:
                raise
            except SourceParseError as exc:
                failure = _Attempt(str(exc), self._backoff(attempt), error=exc)
        self._give_up(full_url, attempts, failure)

    def _one_request(
        self, full_url: str, host: _HostState, attempt: int, json_body: Any = None
    ) -> _Reply | _Attempt:
        with host.lock:
            self._wait_turn(host)
            try:
                reply = self._send(full_url, json_body)
            except httpx.TransportError as exc:  # timeouts, refused connections, cut bodies
                return _Attempt(f"{type(exc).__name__}: {exc}", self._backoff(attempt), error=exc)
            finally:
                host.last_request_end = self._clock()
        if reply.status_code in RETRY_STATUSES:
            return self._retry_after_status(reply, full_url, attempt)
        if reply.status_code >= 400:
            raise FetchError(
                f"HTTP {reply.status_code} for {full_url}", url=full_url, status=reply.status_code
            )
        return reply

    def _send(self, full_url: str, json_body: Any = None) -> _Reply:
        # Streamed and joined by hand: an httpx Response keeps its body in a
        # reference cycle, and a 30 MB page should die with its last reference.
        method = "GET" if json_body is None else "POST"
        with self.client.stream(method, full_url, json=json_body) as response:
            body = b"".join(response.iter_bytes())
            return _Reply(response.status_code, response.headers, body)

    def _retry_after_status(self, response: _Reply, full_url: str, attempt: int) -> _Attempt:
        asked = parse_retry_after(response.headers.get("Retry-After"))
        if asked is not None and asked > MAX_RETRY_AFTER_SECONDS:
            raise FetchError(
                f"HTTP {response.status_code}: server asks to retry in {asked:.0f}s",
                url=full_url,
                status=response.status_code,
            )
        wait = max(asked or 0.0, self._backoff(attempt))
        return _Attempt(f"HTTP {response.status_code}", wait, status=response.status_code)

    def _give_up(self, full_url: str, attempts: int, failure: _Attempt | None) -> NoReturn:
        assert failure is not None
        if isinstance(failure.error, SourceParseError):
            raise failure.error
        raise FetchError(
            f"gave up on {full_url} after {attempts} attempts: {failure.problem}",
            url=full_url,
            status=failure.status,
        ) from failure.error

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2**attempt)
        return ceiling / 2 + self._jitter() * ceiling / 2

    def _wait_turn(self, host: _HostState) -> None:
        if host.last_request_end is None:
            return
        remaining = host.last_request_end + host.delay - self._clock()
        if remaining > 0:
            self._sleep(remaining)

    def _host_state(self, full_url: str) -> _HostState:
        key = _origin(full_url)
        with self._hosts_lock:
            if key not in self._hosts:
                self._hosts[key] = _HostState(delay=self.settings.request_delay)
            return self._hosts[key]

    def _check_robots(self, full_url: str, host: _HostState) -> None:
        if host.robots is None:
            host.robots = self._read_robots(_origin(full_url) + "/robots.txt", host)
            crawl_delay = host.robots.crawl_delay(self.settings.user_agent)
            if crawl_delay is not None:
                host.delay = max(host.delay, float(crawl_delay))
        if not host.robots.can_fetch(full_url, self.settings.user_agent):
            raise RobotsDisallowed(f"robots.txt forbids {full_url}", url=full_url)

    def _read_robots(self, robots_url: str, host: _HostState) -> Protego:
        def decode(body: bytes, url: str) -> Protego:
            return Protego.parse(body.decode("utf-8", errors="replace"))

        try:
            return self._fetch_with_retries(robots_url, host, decode)
        except FetchError as exc:
            # RFC 9309: a missing robots.txt (4xx) allows everything; an
            # unreachable one (5xx, no connection) must be read as "disallow all".
            if exc.status is not None and 400 <= exc.status < 500:
                return Protego.parse("")
            raise RobotsDisallowed(
                f"robots.txt unreachable, so nothing may be fetched: {exc}", url=robots_url
            ) from exc


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
