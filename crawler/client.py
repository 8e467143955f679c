"""The one place that builds the `httpx.Client` every fetch goes through."""

from __future__ import annotations

import httpx

from trialmatch.core.settings import Settings

# One connection per host is all a polite crawler needs; more would only
# tempt someone into parallel requests.
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)


def build_client(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client with the configured timeouts and a User-Agent naming us and our contact.

    Tests pass ``transport=httpx.MockTransport(handler)`` or point the crawler
    at a local server; nothing else changes.
    """
    timeout = httpx.Timeout(settings.request_timeout, connect=min(10.0, settings.request_timeout))
    return httpx.Client(
        headers={"User-Agent": settings.user_agent, "Accept": "application/json"},
        timeout=timeout,
        limits=LIMITS,
        follow_redirects=True,
        transport=transport,
    )
