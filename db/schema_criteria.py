"""Migrations of the criteria table: one parsed criteria document per trial."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

    from db.migrations import Migration


def _create_criteria(database: sqlite_utils.Database) -> None:
    database.table("criteria").create(
        {
            "trial_id": str,
            "parser_version": str,
            "parsed_at": str,
            "document": str,  # JSON: criteria_to_document(), carries its "version"
            "criteria_count": int,
            "evaluable_count": int,
            "not_evaluable_count": int,
        },
        pk="trial_id",
        not_null={"parser_version", "parsed_at", "document"},
    )
    database.table("criteria").create_index(["parser_version"])


MIGRATIONS: list[Migration] = [
    ("criteria_0001_initial", _create_criteria),
]
