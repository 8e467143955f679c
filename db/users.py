"""Accounts of the review page and their sessions; rows never leave this module.

Reading the list of accounts (`list_users`) needs only a plain read-only
connection, so ``trialmatch users list`` starts without sqlite-utils.
Passwords arrive already hashed (argon2, in `trialmatch.web.passwords`);
sessions are stored by the SHA-256 of their token. Disabling an account or
changing its password ends its sessions in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from db.connection import immediate, rows
from trialmatch.core.accounts import User
from trialmatch.core.errors import AccountError, StorageError

if TYPE_CHECKING:
    from db.connection import Readable

USER_COLUMNS = "name, sites, admin, disabled, created"


@dataclass(frozen=True)
class SessionRecord:
    user: User
    csrf_token: str
    last_seen: str


def user_from_row(row: dict[str, Any]) -> User:
    return User(
        name=str(row["name"]),
        sites=tuple(json.loads(row["sites"] or "[]")),
        admin=bool(row["admin"]),
        disabled=bool(row["disabled"]),
        created=str(row["created"] or ""),
    )


def add_user(
    database: Readable,
    name: str,
    password_hash: str,
    *,
    sites: tuple[str, ...] = (),
    admin: bool = False,
    now: str,
) -> User:
    try:
        with immediate(database) as connection:
            connection.execute(
                "INSERT INTO users (name, password_hash, sites, admin, disabled, created,"
                " password_changed) VALUES (?, ?, ?, ?, 0, ?, ?)",
                [name, password_hash, json.dumps(list(sites)), int(admin), now, now],
            )
    except sqlite3.IntegrityError as exc:
        raise AccountError(f"user {name!r} already exists") from exc
    return User(name=name, sites=sites, admin=admin, created=now)


def list_users(database: Readable) -> list[User]:
    found = rows(database, f"SELECT {USER_COLUMNS} FROM users ORDER BY name")
    return [user_from_row(row) for row in found]


def get_user(database: Readable, name: str) -> User | None:
    found = rows(database, f"SELECT {USER_COLUMNS} FROM users WHERE name = ?", [name])
    return user_from_row(found[0]) if found else None


def password_hash_of(database: Readable, name: str) -> str | None:
    """The stored hash of an enabled account; None for an unknown or disabled one."""
    found = rows(
        database, "SELECT password_hash FROM users WHERE name = ? AND disabled = 0", [name]
    )
    return str(found[0]["password_hash"]) if found else None


def set_password(database: Readable, name: str, password_hash: str, *, now: str) -> None:
    """Replace the password and end the account's sessions."""
    with immediate(database) as connection:
        changed = connection.execute(
            "UPDATE users SET password_hash = ?, password_changed = ? WHERE name = ?",
            [password_hash, now, name],
        ).rowcount
        if not changed:
            raise AccountError(f"no user {name!r}")
        connection.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def disable_user(database: Readable, name: str) -> None:
    """Refuse the account's logins from now on and end its sessions at once."""
    with immediate(database) as connection:
        changed = connection.execute(
            "UPDATE users SET disabled = 1 WHERE name = ?", [name]
        ).rowcount
        if not changed:
            raise AccountError(f"no user {name!r}")
        connection.execute("DELETE FROM sessions WHERE user_name = ?", [name])


# --- sessions ----------------------------------------------------------------------------


def create_session(
    database: Readable, token_hash: str, user_name: str, csrf_token: str, *, now: str
) -> None:
    with immediate(database) as connection:
        connection.execute(
            "INSERT INTO sessions (token_hash, user_name, csrf_token, created, last_seen)"
            " VALUES (?, ?, ?, ?, ?)",
            [token_hash, user_name, csrf_token, now, now],
        )


def session_of(database: Readable, token_hash: str) -> SessionRecord | None:
    """The session and its account, if the account is still enabled."""
    found = rows(
        database,
        "SELECT u.name, u.sites, u.admin, u.disabled, u.created, s.csrf_token, s.last_seen"
        " FROM sessions AS s JOIN users AS u ON u.name = s.user_name"
        " WHERE s.token_hash = ? AND u.disabled = 0",
        [token_hash],
    )
    if not found:
        return None
    row = found[0]
    return SessionRecord(user_from_row(row), str(row["csrf_token"]), str(row["last_seen"]))


def touch_session(database: Readable, token_hash: str, *, now: str) -> None:
    with immediate(database) as connection:
        connection.execute(
            "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now, token_hash]
        )


def end_session(database: Readable, token_hash: str) -> None:
    with immediate(database) as connection:
        connection.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])


def end_idle_sessions(database: Readable, *, seen_before: str) -> int:
    with immediate(database) as connection:
        return int(
            connection.execute("DELETE FROM sessions WHERE last_seen < ?", [seen_before]).rowcount
        )


def count_sessions(database: Readable, user_name: str) -> int:
    try:
        found = rows(
            database, "SELECT count(*) AS n FROM sessions WHERE user_name = ?", [user_name]
        )
    except sqlite3.Error as exc:
        raise StorageError(f"cannot count sessions: {exc}") from exc
    return int(found[0]["n"])
