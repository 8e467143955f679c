"""The review page keeps serving while a match run writes to the same database.

`trialmatch match` runs in another process, twice, with every patient marked
for re-matching so that it rewrites every pair, while a coordinator's client
lists, opens matches, answers questions and adds notes. Every response must
be a page or a redirect: no error, no "database is locked".
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from urllib.parse import quote

from review_client import form_token, log_in
from review_data import HOSTILE_ID, HOSTILE_PATIENT, ReviewData

from db import open_database


def _coordinator_works(base_url: str, stop: threading.Event, seen: list[tuple[int, str]]) -> None:
    client = log_in(base_url, "ada")
    address = f"/matches/{quote(HOSTILE_PATIENT)}/{HOSTILE_ID}"
    while not stop.is_set():
        for path in ("/", "/?verdict=possible&page=3", address, f"/trials/{HOSTILE_ID}", "/runs"):
            response = client.get(path)
            seen.append((response.status_code, response.text))
        page = seen[-3][1]
        questions = re.findall(r'class="question" id="q-([^"]+)"', page)
        token = form_token(page)
        if questions:
            data = {"csrf": token, "criterion": questions[0], "value": "yes"}
            response = client.post(address + "/answer", data=data)
            seen.append((response.status_code, response.text))
        response = client.post(address + "/note", data={"csrf": token, "note": "still here"})
        seen.append((response.status_code, response.text))


def test_pages_and_answers_while_match_runs_write(review_data: ReviewData, base_url: str) -> None:
    seen: list[tuple[int, str]] = []
    stop = threading.Event()
    worker = threading.Thread(target=_coordinator_works, args=(base_url, stop, seen))
    worker.start()
    try:
        for _ in range(2):
            with open_database(review_data.db) as database, database.conn:
                database.execute("UPDATE patients SET needs_match = 1")
            finished = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "trialmatch.cli",
                    "match",
                    "--db",
                    str(review_data.db),
                    "--out",
                    str(review_data.folder / "referrals"),
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert finished.returncode == 0, finished.stderr
    finally:
        stop.set()
        worker.join(timeout=120)
    assert len(seen) > 20, "the client worked while the runs wrote"
    statuses = {status for status, _ in seen}
    assert statuses <= {200, 303}, statuses
    assert not any("is locked" in text or "database is busy" in text for _, text in seen)
    with open_database(review_data.db) as database:
        notes = database.execute("SELECT count(*) FROM audit_log WHERE action = 'note'").fetchone()
    assert notes[0] >= 2
