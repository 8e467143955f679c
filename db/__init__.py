"""The SQLite store: schema, migrations, reading and writing records.

Knows nothing of parsing or matching rules, and imports only the core:
records cross in and out as the typed values of `trialmatch.core`; rows
never leave this package.
"""

from __future__ import annotations

from db.connection import open_database

__all__ = ["open_database"]
