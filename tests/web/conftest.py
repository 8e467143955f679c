"""A review database built once per session by the real pipeline; each module works on a copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from review_data import PASSWORD, ReviewData, build_review_data
from support.review_server import serving

from trialmatch.core.pseudonyms import load_or_create_secret
from trialmatch.web.app import WebConfig, create_app
from trialmatch.web.sessions import cookie_key
from trialmatch.web.throttle import ThrottleLimits


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> ReviewData:
    return build_review_data(tmp_path_factory.mktemp("review") / "template")


@pytest.fixture(scope="module")
def review_data(
    review_template: ReviewData, tmp_path_factory: pytest.TempPathFactory
) -> ReviewData:
    return review_template.copy_to(tmp_path_factory.mktemp("review-copy"))


def web_config(data: ReviewData, **changes: object) -> WebConfig:
    config = WebConfig(
        db=data.db,
        cookie_key=cookie_key(load_or_create_secret(data.secret)),
        idle=dt.timedelta(minutes=30),
        limits=ThrottleLimits(per_account=5, per_address=12, window_seconds=900),
    )
    return WebConfig(**{**config.__dict__, **changes})


@pytest.fixture(scope="module")
def base_url(review_data: ReviewData) -> Iterator[str]:
    with serving(create_app(web_config(review_data))) as url:
        yield url


_OPEN: list[httpx.Client] = []


def client_of(base_url: str, **options: object) -> httpx.Client:
    """A client of the server, closed when the test ends."""
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60, **options)  # type: ignore[arg-type]
    _OPEN.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


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
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


__all__ = ["client_of", "form_token", "log_in", "login_form", "web_config"]
