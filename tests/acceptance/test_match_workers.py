"""The match step with its worker processes, on the demo's real trials and 450 patients:
the same results and lists whatever the number of workers, reruns that evaluate nothing,
site pages within their cap, stale pairs dropped, and a failing worker failing the run."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import matcher.referrals.writers
import trialmatch.steps.match_step
from db.connection import open_database
from trialmatch.cli import app
from trialmatch.core.errors import TrialmatchError
from trialmatch.core.settings import Settings
from trialmatch.demo import run_demo
from trialmatch.steps.match_step import run_match_step

TODAY = date(2026, 12, 4)
_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")  # when written


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workers") / "demo"
    run_demo(Settings(), folder, patients=450, quiet=True)
    return folder / "trialmatch.db"


def _fresh(demo_database: Path, folder: Path) -> Path:
    """A copy of the demo database whose pairs were never evaluated."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trialmatch.db"
    with sqlite3.connect(demo_database) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    with open_database(path) as database:
        database.execute("DELETE FROM matches")
        database.execute("UPDATE patients SET needs_match = 1")
        database.conn.commit()
    return path


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT patient_id, trial_id, verdict, score, distance_km, site, open_questions,"
            " statuses, failed, listed FROM matches ORDER BY patient_id, trial_id"
        ).fetchall()


def _files(out: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(out))] = _STAMP.sub(b"?", path.read_bytes())
    return found


def test_one_worker_or_two_give_the_same_results_and_the_same_bytes(
    demo_database: Path, tmp_path: Path
) -> None:
    one, two = _fresh(demo_database, tmp_path / "one"), _fresh(demo_database, tmp_path / "two")
    single = run_match_step(one, tmp_path / "one" / "out", today=TODAY, workers=1)
    double = run_match_step(two, tmp_path / "two" / "out", today=TODAY, workers=2)
    assert (single.counts["workers"], double.counts["workers"]) == (1, 2)
    assert single.counts["listed"] > 50 and single.counts["candidate_pairs"] > 500
    assert _rows(one) == _rows(two)
    assert _files(tmp_path / "one" / "out") == _files(tmp_path / "two" / "out")


def test_a_rerun_evaluates_only_what_changed(demo_database: Path, tmp_path: Path) -> None:
    path = _fresh(demo_database, tmp_path)
    out = tmp_path / "out"
    first = run_match_step(path, out, today=TODAY, workers=2)
    assert first.counts["evaluated"] == first.counts["candidate_pairs"]
    again = run_match_step(path, out, today=TODAY, workers=2)
    assert again.counts["evaluated"] == 0
    assert again.counts["unchanged"] == first.counts["candidate_pairs"]
    assert again.counts["listed"] == first.counts["listed"] and again.counts["new"] == 0
    entries = json.loads((out / "referrals.json").read_text(encoding="utf-8"))
    assert len(entries) == first.counts["listed"] and not any(e["new"] for e in entries)
    # the lists are in one order: eligible first, then fewer open questions
    ranks = [(entry["verdict"] != "eligible") for entry in entries]
    assert ranks == sorted(ranks)


def test_pairs_of_a_closed_trial_are_dropped(demo_database: Path, tmp_path: Path) -> None:
    path = _fresh(demo_database, tmp_path)
    run_match_step(path, tmp_path / "out", today=TODAY, workers=2)
    with sqlite3.connect(path) as connection:
        trial_id, pairs = connection.execute(
            "SELECT trial_id, count(*) FROM matches GROUP BY trial_id ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        connection.execute(
            "UPDATE studies SET status = 'closed' WHERE chosen_trial_id = ?", [trial_id]
        )
    report = run_match_step(path, tmp_path / "out", today=TODAY, workers=2)
    assert report.counts["dropped"] == pairs
    assert not [row for row in _rows(path) if row[1] == trial_id]


def test_site_pages_keep_their_cap_and_point_to_the_csv(
    demo_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher.referrals.writers, "PAGE_CAP", 3)
    path = _fresh(demo_database, tmp_path)
    out = tmp_path / "out"
    run_match_step(path, out, today=TODAY, workers=2)
    pages = [page.read_text(encoding="utf-8") for page in (out / "sites").iterdir()]
    assert pages and max(page.count('<section class="patient">') for page in pages) == 3
    crowded = [page for page in pages if "referrals.csv" in page]
    assert crowded and all("This page shows 3 of them" in page for page in crowded)
    index = (out / "referrals.html").read_text(encoding="utf-8")
    assert index.count('href="sites/') == len(pages)


def test_a_failing_worker_fails_the_run_and_keeps_the_lists(
    demo_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _fresh(demo_database, tmp_path)
    out = tmp_path / "out"
    run_match_step(path, out, today=TODAY, workers=2)
    before = (out / "referrals.json").read_bytes()
    real = trialmatch.steps.match_step.match_shard

    def failing(inputs, db_path, profiles, folder):  # type: ignore[no-untyped-def]
        if folder.name == "shard-1":
            raise RuntimeError("the disk went away")
        return real(inputs, db_path, profiles, folder)

    monkeypatch.setattr(trialmatch.steps.match_step, "match_shard", failing)
    with pytest.raises(TrialmatchError, match=r"worker\(s\) \[1\] failed: RuntimeError at"):
        run_match_step(path, out, today=TODAY, workers=2)
    assert (out / "referrals.json").read_bytes() == before
    with sqlite3.connect(path) as connection:
        assert connection.execute(
            "SELECT status FROM match_runs ORDER BY id DESC LIMIT 1"
        ).fetchone() == ("failed",)
    assert not list(path.parent.glob(".match-run-*"))  # the scratch shards are gone
    shutil.rmtree(out)


def test_the_command_takes_the_number_of_workers(demo_database: Path, tmp_path: Path) -> None:
    path = _fresh(demo_database, tmp_path)
    command = ["match", "--db", str(path), "--out", str(tmp_path / "out"), "--json"]
    result = CliRunner().invoke(app, [*command, "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["workers"] == 2
    refused = CliRunner().invoke(app, [*command, "--workers", "0"])
    assert refused.exit_code == 2 and "--workers" in refused.output
