"""The review page's application: routes, the page wrapper, security headers, errors.

Every page goes through `page`: it opens the database for this request
alone, finds the session (no session: a redirect to the login page), checks
the CSRF token of a POST, runs the page's handler in a worker thread, and
closes the database. A handler's error becomes a plain page naming no
patient fact; it is logged by kind and code line only, and the access log
names the page, never its path (a path holds a patient's pseudonym).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
import sqlite_utils
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.connection import for_request, open_database
from matcher.answers import warm_up
from trialmatch.core.accounts import User
from trialmatch.core.errors import DatabaseBusy, TrialmatchError, kind_and_place
from trialmatch.web import csrf
from trialmatch.web.sessions import COOKIE, Session, SessionKeeper
from trialmatch.web.throttle import LoginThrottle, ThrottleLimits

LOG = logging.getLogger(__name__)
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    # no script at all; registry text that slips a tag past escaping still cannot run
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class WebConfig:
    db: Path
    cookie_key: bytes
    idle: dt.timedelta = dt.timedelta(minutes=30)
    limits: ThrottleLimits = field(default_factory=ThrottleLimits)
    per_page: int = 50


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Visit:
    """One request as a handler sees it."""

    request: Request
    database: sqlite_utils.Database
    site: ReviewSite
    session: Session | None
    form: FormData | None

    @property
    def user(self) -> User:
        assert self.session is not None, "pages with a session only"
        return self.session.user

    def sites(self) -> tuple[str, ...] | None:
        """The sites this user's lists are limited to; None: every site."""
        return None if self.user.sees_every_site else self.user.sites

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("user", self.session.user if self.session else None)
        context.setdefault("csrf_token", self.session.csrf_token if self.session else "")
        html = self.site.templates.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)


Handler = Callable[[Visit], Response]


class ReviewSite:
    """What every request shares: configuration, templates, sessions, the login throttle."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.sessions = SessionKeeper(config.cookie_key, config.idle)
        self.throttle = LoginThrottle(config.limits)
        self.templates = _templates()

    def page(
        self, handler: Handler, *, needs_session: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            form = await request.form() if request.method == "POST" else None
            response = await run_in_threadpool(self._serve, handler, request, form, needs_session)
            elapsed = (time.perf_counter() - started) * 1000
            # the server's own time, for the benchmark and a browser's developer tools
            response.headers["server-timing"] = f"app;dur={elapsed:.1f}"
            # the handler's name, not the path: paths carry patients' pseudonyms
            LOG.info(
                "%s %s %d %.0f ms", request.method, handler.__name__, response.status_code, elapsed
            )
            return response

        return endpoint

    def _serve(
        self, handler: Handler, request: Request, form: FormData | None, needs_session: bool
    ) -> Response:
        try:
            database = for_request(self.config.db)
        except TrialmatchError as exc:
            return self.error_page(503, "The database cannot be opened.", exc)
        try:
            session = self.sessions.find(database, request.cookies.get(COOKIE))
            if needs_session and session is None:
                return _to_login(request)
            # the login form, before any session, checks a token of its own
            checked = needs_session and session is not None and form is not None
            if checked and not csrf.matches(session.csrf_token, form.get(csrf.FIELD)):  # type: ignore[union-attr]
                raise HttpError(403, "This form has expired; open the page again.")
            return handler(Visit(request, database, self, session, form))
        except Redirect as redirect:
            return RedirectResponse(redirect.url, status_code=303)
        except HttpError as error:
            return self.error_page(error.status, error.message)
        except DatabaseBusy as exc:
            return self.error_page(
                503, "The database is busy (a nightly run is writing); try again shortly.", exc
            )
        except Exception as exc:
            return self.error_page(500, "Something went wrong on our side.", exc)
        finally:
            database.conn.close()

    def error_page(self, status: int, message: str, exc: BaseException | None = None) -> Response:
        if exc is not None:
            # by kind and place only: a message may quote a patient's data
            LOG.error("page failed: %s", kind_and_place(exc))
        html = self.templates.get_template("error.html").render(
            status=status, message=message, user=None, csrf_token=""
        )
        return HTMLResponse(html, status_code=status)


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("trialmatch.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(
        segment=lambda value: quote(str(value), safe=""),
        query=lambda values: urlencode(values),
        combine=lambda values, more: {**values, **more},
        km=lambda value: "" if value is None else f"{value:,.0f} km",
        web_link=web_link,
    )
    return environment


def web_link(url: object) -> str | None:
    """The URL when it is a web address (http or https), else None: never a script link."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(
                    (name.encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                    if name.encode() not in present
                )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(config: WebConfig) -> Starlette:
    """The review page over the database at ``config.db`` (migrated first)."""
    with open_database(config.db):
        pass
    warm_up()  # the matcher's knowledge tables, loaded now rather than by the first match page
    site = ReviewSite(config)
    from trialmatch.web import exports, pages_lists, pages_login, pages_match, pages_records

    routes: list[BaseRoute] = []
    for module in (pages_login, pages_lists, pages_match, pages_records, exports):
        routes.extend(module.routes(site))
    routes.append(Mount("/static", StaticFiles(packages=[("trialmatch.web", "static")])))
    app = Starlette(routes=routes, exception_handlers=_fallbacks(site))
    app.add_middleware(SecurityHeaders)
    return app


def _fallbacks(site: ReviewSite) -> Mapping[Any, Any]:
    async def not_found(request: Request, exc: Exception) -> Response:
        return site.error_page(404, "There is no such page.")

    async def failed(request: Request, exc: Exception) -> Response:
        return site.error_page(500, "Something went wrong on our side.", exc)

    return {404: not_found, 405: not_found, 500: failed}


def route(path: str, endpoint: Callable[[Request], Awaitable[Response]], *methods: str) -> Route:
    return Route(path, endpoint, methods=list(methods) or ["GET"])


__all__ = ["HttpError", "Redirect", "ReviewSite", "Visit", "WebConfig", "create_app", "route"]
