"""The review page in a real browser (Playwright driving Debian's Chromium).

`trialmatch serve` runs as its own process on a free port of 127.0.0.1, over
a database the real pipeline built (the demo, plus a hostile study). The
flows are a coordinator's morning; a screenshot of each main page is kept
under ``out/screenshots/review/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from review_data import (  # noqa: E402
    HOSTILE_ID,
    HOSTILE_PATIENT,
    HOSTILE_SITE,
    PASSWORD,
    SCRIPT,
    ReviewData,
    build_review_data,
)
from support.review_server import free_port  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "out" / "screenshots" / "review"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Chromium not installed (make test installs it with apt-get)",
    ),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ReviewData:
    return build_review_data(tmp_path_factory.mktemp("browser") / "review")


@pytest.fixture(scope="module")
def server(data: ReviewData) -> Iterator[str]:
    port = free_port()
    environment = os.environ | {"TRIALMATCH_SECRET_FILE": str(data.secret)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trialmatch.cli",
            "serve",
            "--db",
            str(data.db),
            "--port",
            str(port),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"trialmatch serve exited: {process.stderr and process.stderr.read()}"
            )
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("trialmatch serve did not answer in time")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None, "CI must have Chromium: make test installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", refuse)
    yield opened
    context.close()
    assert not dialogs, f"a script ran: {dialogs}"


def _log_in(page: Page, server: str, name: str, password: str = PASSWORD) -> None:
    page.goto(server + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("#log-in")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_coordinators_morning(page: Page, server: str, data: ReviewData, tmp_path: Path) -> None:
    page.goto(server + "/login")
    _shot(page, "login")
    _log_in(page, server, "ada")
    expect(page.locator("#who")).to_have_text("ada")
    expect(page.locator("#pairs tr.pair").first).to_be_visible()
    _shot(page, "matches")

    page.fill("input[name=site]", HOSTILE_SITE)
    page.click("#apply")
    rows = page.locator("#pairs tr.pair")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-patient", HOSTILE_PATIENT)

    rows.first.locator("a.verdict").click()
    expect(page.locator("#verdict")).to_have_text("eligible")
    _shot(page, "match")
    question = page.locator("form.question").first
    question.locator("input[value=no]").check()
    question.locator("input[name=note]").fill("asked at the visit")
    question.locator("button[type=submit]").click()
    expect(page.locator("#verdict")).to_have_text("ineligible")
    expect(page.locator("#audit-log tr.entry.answer")).to_contain_text("asked at the visit")
    question = page.locator("form.question").first
    question.locator("input[value=yes]").check()
    question.locator("button[type=submit]").click()
    expect(page.locator("#verdict")).to_have_text("eligible")

    page.fill("form.decide input[name=note]", "referred to the study nurse")
    page.click("#refer")
    expect(page.locator("#state")).to_have_text("referred")
    refer = page.locator("#audit-log tr.entry.refer")
    expect(refer).to_contain_text("referred to the study nurse")
    expect(refer).to_contain_text("ada")

    page.goto(server + f"/trials/{HOSTILE_ID}")
    _shot(page, "trial")
    page.goto(server + f"/patients/{HOSTILE_PATIENT}")
    expect(page.locator("#patient")).to_have_text(HOSTILE_PATIENT)
    _shot(page, "patient")
    page.goto(server + "/runs")
    expect(page.locator("#match-runs tr.run").first).to_be_visible()
    _shot(page, "runs")

    page.goto(server + "/?state=referred")
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [(row["patient_id"], row["trial_id"], row["state"]) for row in exported] == [
        (HOSTILE_PATIENT, HOSTILE_ID, "referred")
    ]

    page.click("#logout")
    expect(page).to_have_url(server + "/login")
    page.goto(server + "/")
    expect(page).to_have_url(server + "/login?next=%2F")


def test_a_wrong_password_is_refused(page: Page, server: str) -> None:
    _log_in(page, server, "ada", "not the password")
    expect(page.locator("#error")).to_have_text("Wrong name or password.")
    page.goto(server + "/runs")
    expect(page).to_have_url(server + "/login?next=%2Fruns")


def test_a_coordinator_sees_only_their_site(page: Page, server: str, data: ReviewData) -> None:
    _log_in(page, server, "cora")
    rows = page.locator("#pairs tr.pair")
    expect(rows.first).to_be_visible()
    sites = set(page.locator("#pairs tr.pair td:nth-child(5)").all_inner_texts())
    assert sites == {data.site}
    page.goto(server + f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}")
    expect(page.locator("#error")).to_have_text("There is no such match.")
    assert HOSTILE_PATIENT not in page.content()


def test_the_hostile_study_is_inert(page: Page, server: str) -> None:
    _log_in(page, server, "hugo")
    for path in (f"/trials/{HOSTILE_ID}", f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}", "/"):
        page.goto(server + path)
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("a[href^='javascript' i]").count() == 0
    page.goto(server + f"/trials/{HOSTILE_ID}")
    expect(page.locator("#trial-title")).to_contain_text(SCRIPT)
    _shot(page, "hostile-trial")
