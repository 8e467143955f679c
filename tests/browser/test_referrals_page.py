"""The referral list opened in a real browser (headless Chromium), as a coordinator would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from trialmatch.core.settings import Settings
from trialmatch.demo import run_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Chromium not installed (make test installs it with apt-get)",
    ),
]
# The flags keep a root, offline, display-less Chromium from phoning home or
# needing a sandbox it cannot have here.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="module")
def demo_lists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "run"
    report = run_demo(Settings(), folder, patients=80, quiet=True)
    return report.referral_files[0].parent


def _chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "CI must have Chromium: make test installs it"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_rendered_page_lists_every_referral(demo_lists: Path, tmp_path: Path) -> None:
    page = demo_lists / "referrals.html"
    rendered = _chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    tree = LexborHTMLParser(rendered)
    text = tree.body.text() if tree.body else ""
    referrals = json.loads((demo_lists / "referrals.json").read_text(encoding="utf-8"))
    assert referrals, "the demo should list at least one pair"
    for pair in referrals:
        assert pair["patient_id"] in text
        assert pair["trial_id"] in text
    assert "ineligible" not in {pair["verdict"] for pair in referrals}


def test_page_prints_to_pdf(demo_lists: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "referrals.pdf"
    page = demo_lists / "referrals.html"
    _chromium(
        tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
