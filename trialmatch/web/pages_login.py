"""`/login` and `/logout`."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from db.users import password_hash_of
from trialmatch.web import csrf
from trialmatch.web.app import HttpError, ReviewSite, Visit, route
from trialmatch.web.passwords import verify_password
from trialmatch.web.sessions import COOKIE, LOGIN_COOKIE


def routes(site: ReviewSite) -> list[BaseRoute]:
    return [
        route("/login", site.page(login_form, needs_session=False)),
        route("/login", site.page(log_in, needs_session=False), "POST"),
        route("/logout", site.page(log_out), "POST"),
    ]


def login_form(visit: Visit, *, error: str = "", status: int = 200) -> Response:
    if visit.session is not None and not error:
        return RedirectResponse(_next(visit), status_code=303)
    keeper = visit.site.sessions
    token, cookie = keeper.login_form_token(visit.request.cookies.get(LOGIN_COOKIE))
    response = visit.render(
        "login.html", status=status, error=error, login_token=token, next=_next(visit), user=None
    )
    _set_cookie(visit, response, LOGIN_COOKIE, cookie)
    return response


def log_in(visit: Visit) -> Response:
    keeper = visit.site.sessions
    expected = keeper.login_cookie_token(visit.request.cookies.get(LOGIN_COOKIE))
    if not csrf.matches(expected, visit.field(csrf.FIELD)):
        raise HttpError(403, "This form has expired; open the login page again.")
    name, password = visit.field("name"), visit.field("password")
    address = visit.request.client.host if visit.request.client else "unknown"
    throttle = visit.site.throttle
    wait = throttle.wait_seconds(name, address)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return login_form(
            visit, error=f"Too many attempts: try again in {minutes} minutes.", status=429
        )
    if not name or not verify_password(password_hash_of(visit.database, name), password):
        throttle.failed(name, address)
        return login_form(visit, error="Wrong name or password.", status=401)
    throttle.succeeded(name)
    if visit.session is not None:
        keeper.end(visit.database, visit.session)
    cookie, _ = keeper.start(visit.database, name)
    response = RedirectResponse(_next(visit), status_code=303)
    _set_cookie(visit, response, COOKIE, cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def log_out(visit: Visit) -> Response:
    assert visit.session is not None
    visit.site.sessions.end(visit.database, visit.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _next(visit: Visit) -> str:
    """Where to go after logging in: a path of this site only."""
    target = visit.field("next") or visit.request.query_params.get("next") or "/"
    parts = urlsplit(target)
    unsafe = parts.scheme or parts.netloc or "\\" in target or target.startswith("//")
    if unsafe or not target.startswith("/"):
        return "/"
    return target


def _set_cookie(visit: Visit, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=visit.request.url.scheme == "https",
        path="/",
    )
