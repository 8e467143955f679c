"""`trialmatch crawl`, `nightly` and `runs` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from crawl_testing import stored_ids
from support.faulty_server import FaultyServer
from typer.testing import CliRunner

from db.locks import exclusive_lock
from trialmatch.cli import app
from trialmatch.core.settings import Settings
from trialmatch.steps import StepReport, match_step, parse_step


@pytest.fixture
def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> None:
    monkeypatch.setenv("TRIALMATCH_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("TRIALMATCH_REQUEST_DELAY", "0")
    monkeypatch.setenv("TRIALMATCH_PAGE_SIZE", "25")
    monkeypatch.setenv("TRIALMATCH_OUT_DIR", str(settings.out_dir))
    monkeypatch.setenv("TRIALMATCH_CTGOV_BASE_URL", settings.ctgov_base_url)
    # The parse and match steps belong to other suites; here they only report.
    monkeypatch.setattr(
        parse_step, "run_parse_step", lambda db, **_: StepReport("parse"), raising=False
    )
    monkeypatch.setattr(
        match_step, "run_match_step", lambda db, out: StepReport("match"), raising=False
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("cli_environment")
def test_crawl_from_a_base_url_as_json(
    settings: Settings,
    server: FaultyServer,
    database: sqlite_utils.Database,
    crawlable_ids: set[str],
) -> None:
    code, out, err = invoke(
        "crawl",
        "--registry",
        "ctgov",
        "--base-url",
        server.base_url,
        "--db",
        str(settings.db),
        "--json",
    )

    assert code == 0, err
    run = json.loads(out)
    assert (run["status"], run["mode"], run["studies_new"]) == (
        "succeeded",
        "full",
        len(crawlable_ids),
    )
    assert run["pages"] == -(-len(crawlable_ids) // 25)
    assert stored_ids(database) == crawlable_ids


@pytest.mark.usefixtures("cli_environment")
def test_crawl_prints_a_summary_and_one_study_can_be_fetched(settings: Settings) -> None:
    code, out, err = invoke("crawl", "--db", str(settings.db), "--study", "NCT05935553")
    assert (code, out.strip()) == (0, "stored NCT05935553 (RECRUITING)"), err

    code, out, err = invoke("crawl", "--db", str(settings.db), "--since", "2026-01-01")
    assert code == 0, err
    assert out.startswith("crawl run 1 (incremental) succeeded")


@pytest.mark.usefixtures("cli_environment")
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--registry", "drks"],
            1,
            "no registry source 'drks' (known: anzctr, ctgov, ctis, euctr, isrctn, who-ictrp)",
        ),
        (
            ["--registry", "anzctr"],
            1,
            "registry 'anzctr' has no online interface to crawl (crawlable: ctgov, ctis,"
            " euctr, isrctn); use: trialmatch import --registry anzctr FILE…",
        ),
        (["--since", "yesterday"], 2, "expected YYYY-MM-DD"),
        (["--study", "NCT00000000"], 1, "HTTP 404"),
    ],
    ids=["unknown-registry", "offline-registry", "bad-date", "unknown-study"],
)
def test_crawl_errors_are_one_clean_line(
    settings: Settings, args: list[str], code: int, message: str
) -> None:
    exit_code, out, err = invoke("crawl", "--db", str(settings.db), *args)

    assert exit_code == code
    assert message in " ".join((out + err).split())
    assert "Traceback" not in out + err


@pytest.mark.usefixtures("cli_environment")
def test_a_failed_crawl_exits_non_zero(settings: Settings, server: FaultyServer) -> None:
    server.robots_txt = "User-agent: *\nDisallow: /\n"

    code, out, _ = invoke("crawl", "--db", str(settings.db), "--quiet")

    assert (code, out) == (1, "")


@pytest.mark.usefixtures("cli_environment")
def test_nightly_then_runs_lists_counts_and_errors(
    settings: Settings, server: FaultyServer, crawlable_ids: set[str]
) -> None:
    code, out, err = invoke("nightly", "--db", str(settings.db), "--json")
    assert code == 0, err
    assert json.loads(out)["steps"]["crawl"]["new"] == len(crawlable_ids)

    server.robots_txt = "User-agent: *\nDisallow: /\n"
    code, _, _ = invoke("nightly", "--db", str(settings.db), "--quiet")
    assert code == 1

    code, out, err = invoke("runs", "--db", str(settings.db), "--json")
    assert code == 0, err
    listed = json.loads(out)
    failed, succeeded = listed["nightly_runs"]
    assert (failed["status"], succeeded["status"]) == ("failed", "succeeded")
    assert succeeded["counts"]["crawl"]["new"] == len(crawlable_ids)
    assert any("robots.txt forbids" in error for error in failed["errors"])
    assert "robots.txt forbids" in listed["crawl_runs"][0]["errors"][0]["error"]

    code, out, _ = invoke("runs", "--db", str(settings.db))
    assert code == 0
    assert "nightly runs" in out and "crawl runs" in out
    assert "robots.txt forbids" in out and "succeeded" in out


@pytest.mark.usefixtures("cli_environment")
def test_nightly_while_another_runs_says_so(settings: Settings) -> None:
    with exclusive_lock(settings.db, "nightly"):
        code, _, err = invoke("nightly", "--db", str(settings.db))

    assert code == 1
    assert "another nightly run holds" in " ".join(err.split())


@pytest.mark.usefixtures("cli_environment")
def test_import_reports_each_refusal_and_says_so_in_its_exit_status(
    settings: Settings, tmp_path: Path
) -> None:
    good = Path(__file__).parents[1] / "fixtures/ctgov/NCT05935553.json"
    legacy = Path(__file__).parents[1] / "fixtures/ctgov/legacy_NCT00001177.xml"
    v1 = Path(__file__).parents[1] / "fixtures/ctgov/v1_NCT00023673.json"
    db = str(settings.db)

    code, out, err = invoke("import", "--registry", "ctgov", str(good), "--db", db)
    assert code == 0, err
    assert "import ctgov: 1 files, 1 records, 1 new" in out

    code, out, _ = invoke(
        "import", "--registry", "ctgov", str(good), str(legacy), str(v1), "--db", db
    )
    text = " ".join(out.split())
    assert code == 1
    assert "1 unchanged" in text and "2 refused" in text
    assert (
        f"refused {legacy}: not a file the ctgov source reads: legacy ClinicalTrials.gov XML"
        in text
    )
    assert f"refused {v1}: retired ClinicalTrials.gov API v1 format" in text


@pytest.mark.usefixtures("cli_environment")
def test_import_as_json_names_file_position_and_reason(settings: Settings, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "TrialID,Public title,Recruitment Status,Inclusion agemin\n"
        "NCT05957978,Visceral leishmaniasis,Recruiting,15Y\n"
        ",A row without its id,Recruiting,18Y\n",
        encoding="utf-8",
    )

    code, out, _ = invoke(
        "import", "--registry", "who-ictrp", str(export), "--db", str(settings.db), "--json"
    )

    assert code == 1
    document = json.loads(out)
    assert document["counts"]["new"] == 1
    assert document["refused"] == [
        {
            "file": str(export),
            "position": "record 2 (line 3)",
            "reason": "a record without a TrialID",
        }
    ]
