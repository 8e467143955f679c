"""A review database built once per session by the real pipeline; each module works on a copy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from review_client import close_clients, web_config
from review_data import ReviewData, build_review_data
from support.review_server import serving

from trialmatch.web.app import create_app


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> ReviewData:
    return build_review_data(tmp_path_factory.mktemp("review") / "template")


@pytest.fixture(scope="module")
def review_data(
    review_template: ReviewData, tmp_path_factory: pytest.TempPathFactory
) -> ReviewData:
    return review_template.copy_to(tmp_path_factory.mktemp("review-copy"))


@pytest.fixture(scope="module")
def base_url(review_data: ReviewData) -> Iterator[str]:
    with serving(create_app(web_config(review_data))) as url:
        yield url


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield from close_clients()
