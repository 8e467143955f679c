"""CSRF tokens: every form carries one, every POST is refused without the right one.

A session's token is stored with the session; the login form, before any
session, uses a signed token in a cookie of its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
