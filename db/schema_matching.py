"""Migrations of the matching tables."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []
