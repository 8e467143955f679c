"""Clients of the review page in tests: logged in, closed when the test ends (see conftest)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
from review_data import PASSWORD, ReviewData

from trialmatch.core.pseudonyms import load_or_create_secret
from trialmatch.web.app import WebConfig
from trialmatch.web.sessions import cookie_key
from trialmatch.web.throttle import ThrottleLimits

OPEN: list[httpx.Client] = []


def client_of(base_url: str, **options: object) -> httpx.Client:
    """A client of the server, closed when the test ends."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60, **options)  # type: ignore[arg-type]
    OPEN.append(client)
    return client


def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def log_in(base_url: str, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client with a session of *name*."""
    client = client_of(base_url)
    response = client.post("/login", data=login_form(client, name, password))
    assert response.status_code == 303, response.text
    return client


def login_form(client: httpx.Client, name: str, password: str) -> dict[str, str]:
    page = client.get("/login")
    return {"csrf": form_token(page.text), "name": name, "password": password, "next": "/"}


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def web_config(data: ReviewData, **changes: object) -> WebConfig:
    config = WebConfig(
        db=data.db,
        cookie_key=cookie_key(load_or_create_secret(data.secret)),
        idle=dt.timedelta(minutes=30),
        limits=ThrottleLimits(per_account=5, per_address=12, window_seconds=900),
    )
    return WebConfig(**{**config.__dict__, **changes})
