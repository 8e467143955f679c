"""Migrations of the criteria tables."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []
