"""Migrations of the trials, sites, crawl-run and crawl-error tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

    from db.migrations import Migration


def _create_trials(database: sqlite_utils.Database) -> None:
    database.table("trials").create(
        {
            "trial_id": str,
            "registry": str,
            "brief_title": str,
            "official_title": str,
            "overall_status": str,
            "conditions": str,  # JSON list
            "keywords": str,  # JSON list
            "mesh_terms": str,  # JSON list
            "phases": str,  # JSON list
            "study_type": str,
            "sex": str,
            "minimum_age_years": float,
            "maximum_age_years": float,
            "healthy_volunteers": int,
            "eligibility_text": str,
            "last_update": str,
            "content_hash": str,
            "source_url": str,
            "flags": str,  # JSON list
            "first_seen": str,
            "last_fetched": str,
            "last_changed": str,
            "needs_parse": int,
            "raw": str,  # JSON of the registry record, versioned
        },
        pk="trial_id",
        not_null={"registry", "content_hash", "source_url"},
        defaults={"needs_parse": 1},
    )
    database.table("trials").create_index(["overall_status"])
    database.table("trials").create_index(["needs_parse"])
    database.table("sites").create(
        {
            "id": int,
            "trial_id": str,
            "facility": str,
            "city": str,
            "state": str,
            "zip": str,
            "country": str,
            "status": str,
            "latitude": float,
            "longitude": float,
        },
        pk="id",
        foreign_keys=[("trial_id", "trials", "trial_id")],
    )
    database.table("sites").create_index(["trial_id"])
    database.table("trials").enable_fts(
        [
            "brief_title",
            "official_title",
            "conditions",
            "keywords",
            "mesh_terms",
            "eligibility_text",
        ],
        fts_version="FTS5",
        create_triggers=True,
    )


def _create_crawl_tables(database: sqlite_utils.Database) -> None:
    database.table("crawl_runs").create(
        {
            "id": int,
            "registry": str,
            "mode": str,  # trialmatch.core.runs.CrawlMode
            "query": str,  # JSON of the query parameters, identical on every page
            "started": str,
            "finished": str,
            "status": str,  # trialmatch.core.runs.CrawlStatus
            "pages": int,
            "studies_new": int,
            "studies_changed": int,
            "studies_unchanged": int,
            "studies_failed": int,
            "cursor": str,  # nextPageToken of the next page to fetch; NULL when done
            "message": str,
        },
        pk="id",
        defaults={
            "pages": 0,
            "studies_new": 0,
            "studies_changed": 0,
            "studies_unchanged": 0,
            "studies_failed": 0,
        },
    )
    database.table("crawl_errors").create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "error": str,
            "excerpt": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )


def _create_nightly_runs(database: sqlite_utils.Database) -> None:
    database.table("nightly_runs").create(
        {
            "id": int,
            "trigger": str,  # trialmatch.core.runs.Trigger
            "started": str,
            "finished": str,
            "status": str,  # trialmatch.core.runs.NightlyStatus
            "counts": str,  # JSON {step: {name: n}}
            "errors": str,  # JSON list of messages
        },
        pk="id",
    )


def _add_skipped_count(database: sqlite_utils.Database) -> None:
    # Incremental crawls see closed studies we never stored; they are counted, not kept.
    database.table("crawl_runs").add_column("studies_skipped", int, not_null_default=0)
    # A resumed run must ask the same server the same query.
    database.table("crawl_runs").add_column("base_url", str)
    database.table("crawl_runs").create_index(["registry", "status"])


def _add_registrations(database: sqlite_utils.Database) -> None:
    """Registrations linked into studies, and each registration's status in one vocabulary."""
    from trialmatch.core import canonical
    from trialmatch.core.registry_ids import link_keys, registry_page
    from trialmatch.core.trial import study_status

    trials = database.table("trials")
    trials.add_column("status", str)  # trialmatch.core.statuses.StudyStatus
    trials.add_column("secondary_ids", str, not_null_default="[]")  # JSON list
    trials.add_column("page_url", str)
    trials.add_column("criteria_language", str)  # ISO 639-1, None: not told
    database.table("trial_links").create(
        {"trial_id": str, "link_key": str}, pk=("trial_id", "link_key")
    )
    database.table("trial_links").create_index(["link_key"])
    # Kept apart from `trials`: rewriting a trials row re-indexes it for full-text search.
    database.table("study_registrations").create(
        {"trial_id": str, "study_id": str, "chosen": int},  # chosen: its criteria are matched
        pk="trial_id",
        not_null={"study_id", "chosen"},
    )
    database.table("study_registrations").create_index(["study_id"])
    database.table("studies").create(
        {
            "study_id": str,
            "chosen_trial_id": str,  # the registration whose criteria are matched
            "status": str,  # the study's status: its latest registration's that says one
            "status_trial_id": str,
            "registrations": int,
            "conflicting": int,  # 1 when registrations disagree on the status
        },
        pk="study_id",
    )
    database.table("studies").create_index(["status"])
    rows = database.execute("SELECT trial_id, overall_status FROM trials").fetchall()
    for trial_id, word in rows:
        status = study_status(word)
        database.execute(
            "UPDATE trials SET status = ?, page_url = ?, secondary_ids = ? WHERE trial_id = ?",
            [status, registry_page(trial_id), canonical.dumps([]), trial_id],
        )
        database.execute("INSERT INTO study_registrations VALUES (?, ?, 1)", [trial_id, trial_id])
        for key in sorted(link_keys([trial_id])) or [f"id:{trial_id}"]:
            database.execute("INSERT INTO trial_links VALUES (?, ?)", [trial_id, key])
        database.execute(
            "INSERT INTO studies VALUES (?, ?, ?, ?, 1, 0)", [trial_id, trial_id, status, trial_id]
        )
    trials.create_index(["status"])


MIGRATIONS: list[Migration] = [
    ("trials_0001_trials_and_sites", _create_trials),
    ("trials_0002_crawl_runs", _create_crawl_tables),
    ("trials_0003_nightly_runs", _create_nightly_runs),
    ("trials_0004_crawl_runs_skipped", _add_skipped_count),
    ("trials_0005_registrations_and_studies", _add_registrations),
]
