"""Session cookies: a random token, signed, HttpOnly, SameSite=Lax, Secure over https.

The server keeps the session (`db.users`, stored by the token's SHA-256):
logging out, disabling the account or changing its password ends it, and a
session unused for longer than the idle time is ended when next presented.
The cookie's signing key is derived from the installation's secret
(setting ``secret_file``), so restarting the server keeps sessions valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, Signer

from db import users
from trialmatch.core.accounts import User
from trialmatch.core.clock import utc_now
from trialmatch.web import csrf

if TYPE_CHECKING:
    from db.connection import Readable

COOKIE = "trialmatch_session"
LOGIN_COOKIE = "trialmatch_login"
# last_seen is written at most this often: a page view should not always be a write
TOUCH_EVERY = dt.timedelta(seconds=60)


def cookie_key(installation_secret: bytes) -> bytes:
    return hmac.new(installation_secret, b"trialmatch review-page cookies", "sha256").digest()


@dataclass(frozen=True)
class Session:
    user: User
    token_hash: str
    csrf_token: str


class SessionKeeper:
    def __init__(self, key: bytes, idle: dt.timedelta) -> None:
        self.signer = Signer(key, salt="session")
        self.login_signer = Signer(key, salt="login-form")
        self.idle = idle

    def start(self, database: Readable, user_name: str) -> tuple[str, str]:
        """A new session: (cookie value, its CSRF token)."""
        token = secrets.token_urlsafe(32)
        csrf_token = csrf.new_token()
        # sessions nobody ended (a closed browser) go when anyone next logs in
        oldest = (dt.datetime.now(dt.UTC) - self.idle).isoformat(timespec="seconds")
        users.end_idle_sessions(database, seen_before=oldest)
        users.create_session(database, _hash(token), user_name, csrf_token, now=utc_now())
        return self.signer.sign(token).decode(), csrf_token

    def find(self, database: Readable, cookie: str | None) -> Session | None:
        """The live session the cookie names; an idle one is ended."""
        token = self._unsign(self.signer, cookie)
        if token is None:
            return None
        token_hash = _hash(token)
        record = users.session_of(database, token_hash)
        if record is None:
            return None
        now = dt.datetime.now(dt.UTC)
        seen = dt.datetime.fromisoformat(record.last_seen)
        if now - seen > self.idle:
            users.end_session(database, token_hash)
            return None
        if now - seen > TOUCH_EVERY:
            users.touch_session(database, token_hash, now=utc_now())
        return Session(record.user, token_hash, record.csrf_token)

    def end(self, database: Readable, session: Session) -> None:
        users.end_session(database, session.token_hash)

    def login_form_token(self, cookie: str | None) -> tuple[str, str]:
        """(token for the form, cookie value): the cookie's token when it is valid."""
        token = self._unsign(self.login_signer, cookie) or csrf.new_token()
        return token, self.login_signer.sign(token).decode()

    def login_cookie_token(self, cookie: str | None) -> str | None:
        return self._unsign(self.login_signer, cookie)

    @staticmethod
    def _unsign(signer: Signer, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
