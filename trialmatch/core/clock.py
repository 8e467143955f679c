"""Timestamps: the one way the project writes "now"."""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """The current UTC time as ISO 8601 to the second ("2026-12-04T13:40:04+00:00")."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
