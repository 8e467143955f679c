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


def _text(page: Path, profile: Path) -> tuple[str, LexborHTMLParser]:
    rendered = _chromium(profile, "--dump-dom", page.as_uri()).stdout
    tree = LexborHTMLParser(rendered)
    return (tree.body.text() if tree.body else ""), tree


def test_site_pages_list_every_referral_and_the_index_links_them(
    demo_lists: Path, tmp_path: Path
) -> None:
    referrals = json.loads((demo_lists / "referrals.json").read_text(encoding="utf-8"))
    assert referrals, "the demo should list at least one pair"
    assert "ineligible" not in {pair["verdict"] for pair in referrals}
    index, tree = _text(demo_lists / "referrals.html", tmp_path / "profile")
    links = [node.attributes.get("href") or "" for node in tree.css("a[href^='sites/']")]
    assert links and all((demo_lists / link).is_file() for link in links)
    shown = "".join(
        _text(demo_lists / link, tmp_path / "profile")[0] for link in sorted(set(links))
    )
    for pair in referrals:
        assert pair["patient_id"] in shown and pair["trial_id"] in shown
        assert pair["trial_id"] in index


def test_a_site_page_prints_to_pdf(demo_lists: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "referrals.pdf"
    page = max((demo_lists / "sites").iterdir(), key=lambda path: path.stat().st_size)
    _chromium(
        tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
