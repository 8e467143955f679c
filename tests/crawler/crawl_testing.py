"""Helpers shared by the crawler tests (imported by name; pytest puts this folder on the path)."""

from __future__ import annotations

import copy
import datetime as dt
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.client import build_client
from crawler.crawl import crawl_ctgov, plan_crawl
from crawler.polite import PoliteFetcher
from db import open_database
from trialmatch.core.runs import CrawlRun
from trialmatch.core.settings import Settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ctgov"
Study = dict[str, Any]


def nct_id(study: Study) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"])


def status_of(study: Study) -> str:
    return str(study["protocolSection"].get("statusModule", {}).get("overallStatus"))


def stored_ids(database: sqlite_utils.Database) -> set[str]:
    return {row[0] for row in database.execute("SELECT trial_id FROM trials").fetchall()}


def with_status(study: Study, status: str, last_update: str) -> Study:
    """A copy of *study* as the registry would show it after a status change."""
    changed = copy.deepcopy(study)
    status_module = changed["protocolSection"]["statusModule"]
    status_module["overallStatus"] = status
    status_module["lastUpdatePostDateStruct"] = {"date": last_update, "type": "ACTUAL"}
    return changed


def crawl_with(
    settings: Settings,
    *,
    since: dt.date | None = None,
    full: bool = False,
    sleeps: list[float] | None = None,
) -> CrawlRun:
    """One crawl through the real client and fetcher; waits are recorded, not slept, if asked."""
    database = open_database(settings.db)
    try:
        with build_client(settings) as client:
            sleep = sleeps.append if sleeps is not None else time.sleep
            fetcher = PoliteFetcher(client, settings, sleep=sleep)
            plan = plan_crawl(database, page_size=settings.page_size, since=since, full=full)
            return crawl_ctgov(database, fetcher, base_url=settings.ctgov_base_url, plan=plan)
    finally:
        database.close()


def table_rows(database: sqlite_utils.Database, table: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in database.execute(f"SELECT * FROM {table} ORDER BY 1")]
