"""Running the review page: its configuration from the settings, served by uvicorn."""

from __future__ import annotations

import datetime as dt

from trialmatch.core.pseudonyms import load_or_create_secret
from trialmatch.core.settings import Settings
from trialmatch.web.app import WebConfig, create_app
from trialmatch.web.sessions import cookie_key
from trialmatch.web.throttle import ThrottleLimits


def config_from(settings: Settings) -> WebConfig:
    return WebConfig(
        db=settings.db,
        cookie_key=cookie_key(load_or_create_secret(settings.secret_path)),
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
        limits=ThrottleLimits(
            per_account=settings.login_failures_per_account,
            per_address=settings.login_failures_per_address,
        ),
    )


def run_server(settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    app = create_app(config_from(settings))
    # no access log: its lines carry paths, and paths carry patients' pseudonyms
    # (`trialmatch.web.app` logs each request by page name instead)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
