"""The review page over HTTP, served by a real uvicorn, on a database the real pipeline built.

Sessions, CSRF, login limits, who sees which site, answers and decisions,
exports, escaping of hostile registry text, security headers, and no
patient fact in a log line or an error page.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from urllib.parse import quote

import openpyxl
import pytest
from review_client import client_of, form_token, log_in, login_form, web_config
from review_data import (
    HOSTILE_ID,
    HOSTILE_PATIENT,
    HOSTILE_SITE,
    PASSWORD,
    ReviewData,
)
from support.review_server import serving

from db import open_database
from db.users import count_sessions, disable_user
from trialmatch.web.app import create_app


def _pairs(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="pair" data-patient="([^"]+)" data-trial="([^"]+)"', html)


def _site_of(data: ReviewData, patient_id: str, trial_id: str) -> str | None:
    with open_database(data.db) as database:
        row = database.execute(
            "SELECT site FROM matches WHERE patient_id = ? AND trial_id = ?",
            [patient_id, trial_id],
        ).fetchone()
    return row[0]


def _match_at(data: ReviewData, site: str) -> tuple[str, str]:
    with open_database(data.db) as database:
        row = database.execute(
            "SELECT patient_id, trial_id FROM matches WHERE listed = 1"
            " AND site = ? ORDER BY patient_id, trial_id LIMIT 1",
            [site],
        ).fetchone()
    return row[0], row[1]


def _address(pair: tuple[str, str]) -> str:
    return f"/matches/{quote(pair[0], safe='')}/{quote(pair[1], safe='')}"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/runs",
        f"/trials/{HOSTILE_ID}",
        f"/patients/{HOSTILE_PATIENT}",
        "/export.csv",
        f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}",
    ],
)
def test_every_page_needs_a_session(base_url: str, path: str) -> None:
    response = client_of(base_url).get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert HOSTILE_PATIENT not in response.text


def test_wrong_password_is_refused_and_the_right_one_opens_a_session(base_url: str) -> None:
    client = client_of(base_url)
    refused = client.post("/login", data=login_form(client, "ada", "not the password"))
    assert refused.status_code == 401
    assert "Wrong name or password" in refused.text
    assert client.get("/").status_code == 303
    unknown = client.post("/login", data=login_form(client, "nobody", PASSWORD))
    assert unknown.status_code == 401 and "Wrong name or password" in unknown.text
    accepted = client.post("/login", data=login_form(client, "ada", PASSWORD))
    assert accepted.status_code == 303
    cookie = accepted.headers["set-cookie"]
    assert "trialmatch_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http here
    assert client.get("/").status_code == 200


def test_cookie_is_secure_behind_https(base_url: str) -> None:
    client = client_of(base_url)
    form = login_form(client, "ada", PASSWORD)
    accepted = client.post("/login", data=form, headers={"x-forwarded-proto": "https"})
    assert accepted.status_code == 303
    assert "Secure" in accepted.headers["set-cookie"]


def test_login_without_its_form_token_is_refused(base_url: str) -> None:
    client = client_of(base_url)
    client.get("/login")
    response = client.post("/login", data={"name": "ada", "password": PASSWORD})
    assert response.status_code == 403


def test_logins_are_limited_per_account_then_per_address(review_data: ReviewData) -> None:
    app = create_app(web_config(review_data))  # a fresh server: fresh counters
    with serving(app) as url:
        client = client_of(url)
        for _ in range(5):
            wrong = client.post("/login", data=login_form(client, "cora", "wrong"))
            assert wrong.status_code == 401
        blocked = client.post("/login", data=login_form(client, "cora", PASSWORD))
        assert blocked.status_code == 429, "the right password no longer helps"
        assert "Too many attempts" in blocked.text
        # another account from the same address still may, until the address's limit
        other = client_of(url)
        assert other.post("/login", data=login_form(other, "otto", PASSWORD)).status_code == 303
        for number in range(7):
            name = f"guess{number}"
            assert client.post("/login", data=login_form(client, name, "x")).status_code == 401
        refused = client.post("/login", data=login_form(client, "ada", PASSWORD))
        assert refused.status_code == 429


def test_forms_without_the_session_token_are_refused(base_url: str) -> None:
    client = log_in(base_url, "ada")
    address = f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}"
    page = client.get(address)
    assert page.status_code == 200
    login_token = login_form(client_of(base_url), "x", "y")["csrf"]
    for token in ("", "forged", login_token):
        response = client.post(address + "/note", data={"csrf": token, "note": "hello"})
        assert response.status_code == 403
    another = log_in(base_url, "ada")
    foreign = form_token(another.get(address).text)
    assert client.post(address + "/note", data={"csrf": foreign, "note": "x"}).status_code == 403


def test_logout_ends_the_session(base_url: str) -> None:
    client = log_in(base_url, "ada")
    token = form_token(client.get("/").text)
    kept = dict(client.cookies)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    stale = client_of(base_url, cookies=kept)
    assert stale.get("/").status_code == 303


def test_a_disabled_account_loses_its_sessions(review_data: ReviewData, base_url: str) -> None:
    with open_database(review_data.db) as database:
        from db.users import add_user
        from trialmatch.core.clock import utc_now
        from trialmatch.web.passwords import hash_password

        add_user(database, "leaving", hash_password(PASSWORD), now=utc_now())
    client = log_in(base_url, "leaving")
    assert client.get("/").status_code == 200
    with open_database(review_data.db) as database:
        disable_user(database, "leaving")
        assert count_sessions(database, "leaving") == 0
    assert client.get("/").status_code == 303
    again = client_of(base_url)
    assert again.post("/login", data=login_form(again, "leaving", PASSWORD)).status_code == 401


def test_an_idle_session_expires(review_data: ReviewData) -> None:
    import datetime as dt

    with serving(create_app(web_config(review_data, idle=dt.timedelta(seconds=1)))) as url:
        client = log_in(url, "ada")
        assert client.get("/runs").status_code == 200
        time.sleep(2.2)
        assert client.get("/runs").status_code == 303


def test_a_site_coordinator_sees_only_that_site(review_data: ReviewData, base_url: str) -> None:
    client = log_in(base_url, "cora")
    listed = _pairs(client.get("/", params={"state": "to_review"}).text)
    assert listed
    assert {_site_of(review_data, *pair) for pair in listed} == {review_data.site}
    exported = list(csv.DictReader(io.StringIO(client.get("/export.csv").text)))
    assert exported and {row["site"] for row in exported} == {review_data.site}
    mine = _match_at(review_data, review_data.site)
    assert client.get(_address(mine)).status_code == 200
    theirs = _match_at(review_data, review_data.other_site)
    for path in (_address(theirs), f"/patients/{quote(theirs[0], safe='')}"):
        hidden = client.get(path)
        assert hidden.status_code == 404, path
        assert theirs[0] not in hidden.text
    token = form_token(client.get(_address(mine)).text)
    posted = client.post(_address(theirs) + "/note", data={"csrf": token, "note": "peek"})
    assert posted.status_code == 404
    other_site = client.get("/", params={"site": review_data.other_site})
    assert {_site_of(review_data, *pair) for pair in _pairs(other_site.text)} <= {review_data.site}
    admin = log_in(base_url, "ada")
    assert admin.get(_address(theirs)).status_code == 200


def test_filters_and_counts_agree(base_url: str) -> None:
    client = log_in(base_url, "ada")
    page = client.get("/").text
    counts = {
        state: int(number)
        for state, number in re.findall(r'data-state="(\w+)">[^<]*<b>(\d+)</b>', page)
    }
    assert counts["to_review"] > 50  # more than a page
    eligible = client.get("/", params={"verdict": "eligible"}).text
    assert {"eligible"} == set(re.findall(r'class="verdict (\w+)"', eligible))
    near = client.get("/", params={"max_km": "50"}).text
    distances = [float(value.replace(",", "")) for value in re.findall(r">([\d,.]+) km<", near)]
    assert distances and max(distances) <= 50
    titled = client.get("/", params={"q": "benzodiazep"}).text
    assert HOSTILE_ID in titled
    second = client.get("/", params={"page": "2"}).text
    assert set(_pairs(second)).isdisjoint(_pairs(page))


def test_answer_decide_note_and_the_audit_log(review_data: ReviewData, base_url: str) -> None:
    client = log_in(base_url, "ada")
    address = f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}"
    page = client.get(address).text
    assert re.search(r'id="verdict">eligible<', page)
    questions = re.findall(r'class="question" id="q-([^"]+)"', page)
    assert questions, "the consent item is a question for the coordinator"
    token = form_token(page)
    answered = client.post(
        address + "/answer",
        data={"csrf": token, "criterion": questions[0], "value": "no", "note": "asked today"},
    )
    assert answered.status_code == 303
    page = client.get(address).text
    assert re.search(r'id="verdict">ineligible<', page)
    listed = client.get("/", params={"q": "benzodiazep", "verdict": "ineligible"}).text
    assert HOSTILE_ID not in listed, "an ineligible pair leaves the lists"
    yes = {"csrf": token, "criterion": questions[0], "value": "yes"}
    client.post(address + "/answer", data=yes)
    assert re.search(r'id="verdict">eligible<', client.get(address).text)
    client.post(address + "/decision", data={"csrf": token, "action": "refer", "note": "sent"})
    client.post(
        address + "/decision",
        data={"csrf": token, "action": "reject", "reason": "patient declined"},
    )
    client.post(address + "/note", data={"csrf": token, "note": "call back in May"})
    page = client.get(address).text
    entries = re.findall(r'<tr class="entry (\w+)">(.*?)</tr>', page, re.S)
    assert [action for action, _ in entries] == ["answer", "answer", "refer", "reject", "note"]
    assert "ineligible" in entries[0][1] and "asked today" in entries[0][1]
    assert "to review" in entries[2][1] and "referred" in entries[2][1]
    assert "patient declined" in entries[3][1]
    assert re.search(r'id="state">rejected<', page)
    rejected = client.get("/", params={"state": "rejected"}).text
    assert (HOSTILE_PATIENT, HOSTILE_ID) in _pairs(rejected)


def test_a_note_that_identifies_the_patient_is_refused(base_url: str) -> None:
    client = log_in(base_url, "ada")
    address = f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}"
    token = form_token(client.get(address).text)
    refused = client.post(
        address + "/note", data={"csrf": token, "note": "call Mrs Dupont on +33 6 12 34 56 78"}
    )
    assert refused.status_code == 400
    assert "Dupont" not in refused.text and "12 34" not in refused.text
    assert "Dupont" not in client.get(address).text


def test_hostile_registry_text_is_inert(base_url: str) -> None:
    client = log_in(base_url, "ada")
    pages = [
        client.get(f"/trials/{HOSTILE_ID}"),
        client.get(f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}"),
        client.get("/", params={"q": "benzodiazep"}),
        client.get(f"/patients/{HOSTILE_PATIENT}"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.text
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert "&lt;script&gt;" in html
        assert 'href="javascript' not in html.lower()
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
    # the registration whose page link is a script is listed as plain text
    assert re.search(rf"<td>{HOSTILE_ID} ", pages[0].text)


def test_exports_carry_the_filtered_list(base_url: str) -> None:
    client = log_in(base_url, "ada")
    params = {"verdict": "eligible"}
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv", params=params).text)))
    assert rows and {row["verdict"] for row in rows} == {"eligible"}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/export.xlsx", params=params).content))
    sheet = workbook.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("patient_id", "trial_id", "title", "verdict")
    assert [row[:2] for row in values[1:]] == [(row["patient_id"], row["trial_id"]) for row in rows]
    hostile = next(row for row in rows if row["trial_id"] == HOSTILE_ID)
    assert hostile["site"] == "'" + HOSTILE_SITE if HOSTILE_SITE.startswith("=") else HOSTILE_SITE
    assert hostile["title"].startswith("<script>")


def test_errors_name_no_patient_and_logs_carry_none(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = log_in(base_url, "ada")
    with caplog.at_level(logging.DEBUG):
        client.get(f"/patients/{HOSTILE_PATIENT}")
        client.get(f"/matches/{HOSTILE_PATIENT}/{HOSTILE_ID}")
        missing = client.get("/matches/P-NOT-THERE-7/NCT00000000")
        client.get("/no/such/page")
    assert missing.status_code == 404 and "P-NOT-THERE-7" not in missing.text
    # the server's records (the test's own HTTP client logs the URLs it asks for)
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(record.getMessage() for record in server)
    assert "match_page 200" in logged
    for fact in (HOSTILE_PATIENT, "P-NOT-THERE-7", "lorazepam", "F13.20"):
        assert fact not in logged
