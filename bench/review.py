"""Benchmark of the review page at hospital scale: server time of list pages and match pages.

Builds, straight into SQLite and in well under a minute, a database shaped
like a nightly run over 10,000 patients and 5,000 recruiting trials: about
950,000 evaluated pairs of which about 170,000 are listed, sites shared by
several trials, 5,000 decisions (some made on a profile since changed, so
they need re-review) with their audit entries, two match runs. Each trial
carries a criteria document of fifteen criteria (age, sex, conditions,
drugs, labs, pregnancy, a group, items for a person), so a match page
evaluates a realistic pair. The match rows carry what the lists read; their
stored evidence is the compact form (the nearest site only), as the lists
never read evidence.

Then the real application runs under uvicorn on 127.0.0.1 and each page is
requested several times with httpx; the figures are the server's own time
(its ``Server-Timing`` header: from the request to the rendered page) and the
client's round trip, median and slowest, for an admin (every site) and for a
coordinator of one busy site. Targets: a list page under 300 ms, a match page
under 100 ms. An answer (stored, the pair evaluated again and written back)
and exports are timed too, without a target.

    .venv/bin/python bench/review.py                 # 10,000 x 5,000, 5 runs of each page
    .venv/bin/python bench/review.py --patients 2000 --trials 1000 --runs 3
    .venv/bin/python bench/review.py --keep var/bench-review.db   # keep the database
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from db import open_database  # noqa: E402
from db.criteria import criteria_to_row  # noqa: E402
from db.users import add_user  # noqa: E402
from trialmatch.core import canonical  # noqa: E402
from trialmatch.core.clock import utc_now  # noqa: E402
from trialmatch.core.criteria import Criterion, criteria_to_document, criteria_version  # noqa: E402
from trialmatch.core.patient import ConditionFact, Location, MedicationFact, PatientProfile  # noqa: E402
from trialmatch.core.rules import (  # noqa: E402
    AgeRule,
    ConditionRule,
    GroupRule,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    SexRule,
)
from trialmatch.web.app import WebConfig, create_app  # noqa: E402
from trialmatch.web.passwords import hash_password  # noqa: E402
from trialmatch.web.sessions import cookie_key  # noqa: E402

LIST_TARGET_MS = 300.0
MATCH_TARGET_MS = 100.0
PASSWORD = "bench passphrase"
CONDITIONS = (
    "type 2 diabetes mellitus",
    "essential hypertension",
    "asthma",
    "heart failure",
    "chronic kidney disease",
    "major depressive disorder",
    "rheumatoid arthritis",
    "breast cancer",
    "non-small cell lung cancer",
    "psoriasis",
    "migraine",
    "obesity",
    "atrial fibrillation",
    "copd",
    "crohn disease",
    "multiple sclerosis",
)
DRUGS = ("metformin", "lisinopril", "salbutamol", "sertraline", "methotrexate", "atorvastatin")
TITLE_WORDS = (
    "randomised",
    "placebo",
    "controlled",
    "study",
    "efficacy",
    "safety",
    "open-label",
    "phase",
    "cohort",
    "adults",
    "children",
    "treatment",
    "prevention",
    "long-term",
    "extension",
    "dose",
    "evaluation",
    "novel",
    "therapy",
    "outcomes",
)
CITIES = (
    ("Lyon", "France", 45.76, 4.84),
    ("Paris", "France", 48.86, 2.35),
    ("Marseille", "France", 43.30, 5.37),
    ("Lille", "France", 50.63, 3.06),
    ("Toulouse", "France", 43.60, 1.44),
    ("Bordeaux", "France", 44.84, -0.58),
    ("Nantes", "France", 47.22, -1.55),
    ("Strasbourg", "France", 48.57, 7.75),
)


def criteria_for(condition: str, number: int) -> list[Criterion]:
    """Fifteen criteria of the kinds registries state, some shared across trials."""
    spans = iter(range(0, 2000, 40))

    def at() -> tuple[int, int]:
        start = next(spans)
        return start, start + 30

    items: list[tuple[str, str, str, str, object, str | None]] = [
        ("I1", "inclusion", "Aged 18 to 75 years", "age", AgeRule(min=18, max=75), None),
        (
            "I2",
            "inclusion",
            f"Diagnosed with {condition}",
            "condition",
            ConditionRule((condition,)),
            None,
        ),
        (
            "I3",
            "inclusion",
            "HbA1c below 10%",
            "measurement",
            MeasurementRule("hba1c", "<", 10.0, "%"),
            None,
        ),
        ("I4", "inclusion", "Able to give informed consent", "not_evaluable", None, "consent"),
        (
            "I5",
            "inclusion",
            "Women of childbearing potential must",
            "group",
            GroupRule("all", "women_of_childbearing_potential"),
            None,
        ),
        (
            "I5.1",
            "inclusion",
            "use effective contraception",
            "not_evaluable",
            None,
            "contraception",
        ),
        (
            "I5.2",
            "inclusion",
            "have a negative pregnancy test",
            "pregnancy",
            PregnancyRule(negated=True),
            None,
        ),
        (
            "E1",
            "exclusion",
            "Pregnant or breastfeeding",
            "pregnancy",
            PregnancyRule(("pregnant", "lactating")),
            None,
        ),
        (
            "E2",
            "exclusion",
            "Current insulin treatment",
            "medication",
            MedicationRule(("insulin",)),
            None,
        ),
        (
            "E3",
            "exclusion",
            f"Taking {DRUGS[number % len(DRUGS)]}",
            "medication",
            MedicationRule((DRUGS[number % len(DRUGS)],)),
            None,
        ),
        (
            "E4",
            "exclusion",
            "Severe renal impairment (eGFR < 30)",
            "measurement",
            MeasurementRule("egfr", "<", 30.0, "mL/min/1.73m2"),
            None,
        ),
        (
            "E5",
            "exclusion",
            "History of heart failure",
            "condition",
            ConditionRule(("heart failure",), history=True),
            None,
        ),
        (
            "E6",
            "exclusion",
            "Participation in another trial within 30 days",
            "not_evaluable",
            None,
            "other trials",
        ),
        (
            "E7",
            "exclusion",
            "Any condition the investigator judges unsafe",
            "not_evaluable",
            None,
            "investigator's judgement",
        ),
        ("E8", "exclusion", "Male participants", "sex", SexRule(("male",)), None),
    ]
    criteria = []
    for identifier, kind, text, category, rule, reason in items:
        start, end = at()
        group = identifier.split(".")[0] if "." in identifier else None
        criteria.append(
            Criterion(
                identifier,
                kind,
                text,
                start,
                end,
                category,
                group=group,  # type: ignore[arg-type]
                rule=rule,
                reason=reason,
            )  # type: ignore[arg-type]
        )
    return criteria[:-1] if number % 3 else criteria


def build(path: Path, patients: int, trials: int, seed: int = 12) -> dict[str, object]:
    """The database, written with plain executemany in a few transactions."""
    rng = random.Random(seed)
    with open_database(path):
        pass  # the schema, migrated
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    now = utc_now()
    site_pool = [
        (
            f"{kind} {name}",
            city,
            country,
            lat + rng.uniform(-0.1, 0.1),
            lon + rng.uniform(-0.1, 0.1),
        )
        for index, (city, country, lat, lon) in enumerate(CITIES * 40)
        for kind, name in [(("Hôpital", "Centre", "Clinique", "Institut")[index % 4], f"{index}")]
    ]
    trial_rows, site_rows, study_rows, registration_rows, criteria_rows = [], [], [], [], []
    trial_sites: list[list[str]] = []
    trial_conditions: list[str] = []
    for number in range(trials):
        trial_id = f"NCT{10000000 + number}"
        condition = CONDITIONS[number % len(CONDITIONS)]
        words = " ".join(rng.sample(TITLE_WORDS, 4))
        title = f"A {words} trial in {condition} ({number})"
        chosen = rng.sample(site_pool, rng.choice((1, 1, 2, 3, 5)))
        trial_sites.append([f"{site[0]}, {site[1]}, {site[2]}" for site in chosen])
        trial_conditions.append(condition)
        content_hash = canonical.content_hash({"trial": trial_id, "seed": seed})
        trial_rows.append(
            (
                trial_id,
                "ctgov",
                title,
                f"Official title of {title}",
                "RECRUITING",
                "recruiting",
                json.dumps([condition]),
                "[]",
                "[]",
                "[]",
                "ALL",
                18.0,
                75.0,
                f"Inclusion Criteria: {condition}",
                "2026-11-01",
                content_hash,
                f"https://clinicaltrials.gov/api/v2/studies/{trial_id}",
                f"https://clinicaltrials.gov/study/{trial_id}",
                "[]",
                now,
                now,
                now,
                0,
                '{"version":1,"record":{}}',
                "[]",
            )
        )
        for facility, city, country, lat, lon in chosen:
            site_rows.append((trial_id, facility, city, country, "RECRUITING", lat, lon))
        study_rows.append((trial_id, trial_id, "recruiting", trial_id, 1, 0))
        registration_rows.append((trial_id, trial_id, 1))
        row = criteria_to_row(trial_id, criteria_for(condition, number), "bench", now=now)
        criteria_rows.append(tuple(row.values()))
    with connection:
        connection.executemany(
            "INSERT INTO trials (trial_id, registry, brief_title, official_title, overall_status,"
            " status, conditions, keywords, mesh_terms, phases, sex, minimum_age_years,"
            " maximum_age_years, eligibility_text, last_update, content_hash, source_url,"
            " page_url, flags, first_seen, last_fetched, last_changed, needs_parse, raw,"
            " secondary_ids) VALUES (" + ",".join("?" * 25) + ")",
            trial_rows,
        )
        connection.executemany(
            "INSERT INTO sites (trial_id, facility, city, country, status, latitude, longitude)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            site_rows,
        )
        connection.executemany("INSERT INTO studies VALUES (?, ?, ?, ?, ?, ?)", study_rows)
        connection.executemany(
            "INSERT INTO study_registrations VALUES (?, ?, ?)", registration_rows
        )
        connection.executemany("INSERT INTO criteria VALUES (?, ?, ?, ?, ?, ?, ?)", criteria_rows)
    version = criteria_version(criteria_to_document(criteria_for(CONDITIONS[0], 0), "bench"))
    patient_rows, match_rows = [], []
    hashes: dict[str, str] = {}
    for number in range(patients):
        city = CITIES[number % len(CITIES)]
        condition = CONDITIONS[rng.randrange(len(CONDITIONS))]
        profile = PatientProfile(
            id=f"BENCH-{number:05d}",
            age=rng.randint(18, 90),
            sex=rng.choice(("female", "male")),
            conditions=(ConditionFact(condition),),
            medications=(MedicationFact(rng.choice(DRUGS), 10, "mg/day"),),
            location=Location(city[2] + rng.uniform(-0.3, 0.3), city[3] + rng.uniform(-0.3, 0.3)),
        )
        hashes[profile.id] = profile.content_hash
        patient_rows.append(
            (profile.id, canonical.dumps(profile.to_dict()), profile.content_hash, 0, now, "bench")
        )
    pairs_per_patient = 95
    for number in range(patients):
        patient_id = f"BENCH-{number:05d}"
        for trial_number in rng.sample(range(trials), min(pairs_per_patient, trials)):
            listed = rng.random() < 0.179
            verdict = ("eligible" if rng.random() < 0.1 else "possible") if listed else "ineligible"
            score = {"eligible": rng.uniform(0.7, 0.99), "possible": rng.uniform(0.3, 0.6)}.get(
                verdict, 0.0
            )
            site = rng.choice(trial_sites[trial_number])
            first = rng.choice((1, 1, 1, 2)) if listed else None
            match_rows.append(
                (
                    patient_id,
                    f"NCT{10000000 + trial_number}",
                    verdict,
                    round(score, 4),
                    round(rng.uniform(0.5, 300.0), 1),
                    site if listed else None,
                    rng.randint(0, 4) if listed else 0,
                    "m" * 16 if listed else "m" * 15 + "n",
                    None if listed else "E1",
                    int(listed),
                    first,
                    2,
                    trial_rows[trial_number][15],
                    f"{version}+bench",
                    hashes[patient_id],
                    now,
                    "2026-12-01",
                )
            )
    with connection:
        connection.executemany("INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?)", patient_rows)
        connection.executemany(
            "INSERT INTO matches (patient_id, trial_id, verdict, score, distance_km, site,"
            " open_questions, statuses, failed, listed, first_listed_run, last_run, trial_hash,"
            " criteria_version, patient_hash, evaluated_at, evaluated_on)"
            " VALUES (" + ",".join("?" * 17) + ")",
            match_rows,
        )
        connection.executemany(
            "INSERT INTO match_runs (id, started, finished, status, counts, today)"
            " VALUES (?, ?, ?, 'succeeded', '{}', '2026-12-01')",
            [(1, now, now), (2, now, now)],
        )
    listed_rows = [row for row in match_rows if row[9]]  # the listed column
    decided = rng.sample(listed_rows, min(5000, len(listed_rows)))
    with connection:
        for index, row in enumerate(decided):
            state = ("referred", "contacted", "rejected")[index % 3]
            patient_hash = row[14] if index % 10 else "an older profile"
            connection.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, '', 'ada', ?, ?, ?)",
                [row[0], row[1], state, now, row[12], patient_hash],
            )
            connection.execute(
                "INSERT INTO audit_log (patient_id, trial_id, user_name, at, action, before,"
                " after, detail) VALUES (?, ?, 'ada', ?, 'refer', 'to_review', ?, '')",
                [row[0], row[1], now, state],
            )
    site_counts: dict[str, int] = {}
    for row in listed_rows:
        site = row[5]
        site_counts[site] = site_counts.get(site, 0) + 1
    busiest = max(site_counts, key=lambda site: site_counts[site])
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()
    with open_database(path) as database:
        password = hash_password(PASSWORD)
        add_user(database, "ada", password, admin=True, now=now)
        add_user(database, "cora", password, sites=(busiest,), now=now)
    sample = listed_rows[len(listed_rows) // 2]
    at_site = next(row for row in listed_rows if row[5] == busiest)
    return {
        "pairs": len(match_rows),
        "listed": len(listed_rows),
        "sites": len(site_counts),
        "busiest_site": busiest,
        "busiest_listed": site_counts[busiest],
        "pair": (sample[0], sample[1]),
        "trial": sample[1],
        "patient": sample[0],
        "decisions": len(decided),
        "site_pair": (at_site[0], at_site[1]),
    }


@contextmanager
def serving(database: Path, secret: bytes) -> Iterator[str]:
    app = create_app(WebConfig(db=database, cookie_key=cookie_key(secret)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()


def logged_in(url: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"csrf": token.group(1), "name": name, "password": PASSWORD}
    )
    assert response.status_code == 303, response.status_code
    return client


def timed(client: httpx.Client, path: str, runs: int) -> tuple[list[float], list[float], int]:
    server, wall, size = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
        size = len(response.content)
    return server, wall, size


def report(label: str, server: list[float], wall: list[float], target: float | None) -> bool:
    median = statistics.median(server)
    verdict = "" if target is None else (" ok" if max(server) < target else f" OVER {target:g} ms")
    print(
        f"  {label:<44} server median {median:7.1f} ms, slowest {max(server):7.1f} ms;"
        f" round trip median {statistics.median(wall):7.1f} ms{verdict}"
    )
    return target is None or max(server) < target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the built database at this path")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    database = folder / "review.db"
    try:
        started = time.perf_counter()
        facts = build(database, options.patients, options.trials)
        print(
            f"built {options.patients:,} patients x {options.trials:,} trials:"
            f" {facts['pairs']:,} pairs, {facts['listed']:,} listed, {facts['sites']} sites,"
            f" {facts['decisions']:,} decisions in {time.perf_counter() - started:.1f} s"
            f" ({database.stat().st_size / 1e6:.0f} MB)"
        )
        with serving(database, b"bench secret of thirty-two bytes") as url:
            all_ok = run_pages(url, facts, options.runs)
        if options.keep:
            options.keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(database, options.keep)
        print("every page within its target" if all_ok else "SOME PAGES OVER TARGET")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_pages(url: str, facts: dict[str, object], runs: int) -> bool:
    ok = True
    for name in ("ada", "cora"):
        # a pair the user may see: for the coordinator, one at their site
        patient, trial = facts["pair" if name == "ada" else "site_pair"]  # type: ignore[misc]
        ok &= user_pages(url, name, facts, str(patient), str(trial), runs)
    timed_writes(url, facts)
    return ok


def pages_of(patient: str, trial: str, site: str) -> dict[str, str]:
    return {
        "/  (first page)": "/",
        "/?page=1500  (deep page)": "/?page=1500",
        "/?verdict=eligible": "/?verdict=eligible",
        "/?state=to_review": "/?state=to_review",
        "/?state=referred": "/?state=referred",
        "/?state=needs_rereview": "/?state=needs_rereview",
        "/?new=1": "/?new=1",
        "/?max_km=25": "/?max_km=25",
        "/?q=diabetes+placebo": "/?q=diabetes+placebo",
        "/?trial=…": f"/?trial={trial}",
        "/?site=…  (the busiest site)": "/?" + str(httpx.QueryParams({"site": site})),
        "/?verdict=possible&max_km=100&new=1&state=to_review": (
            "/?verdict=possible&max_km=100&new=1&state=to_review"
        ),
        "/trials/…": f"/trials/{trial}",
        "/patients/…": f"/patients/{patient}",
        "/runs": "/runs",
    }


def user_pages(
    url: str, name: str, facts: dict[str, object], patient: str, trial: str, runs: int
) -> bool:
    ok = True
    client = logged_in(url, name)
    busiest = f"coordinator of the busiest site ({facts['busiest_listed']:,} listed pairs)"
    print(f"{name} ({'admin, every site' if name == 'ada' else busiest}):")
    for label, path in pages_of(patient, trial, str(facts["busiest_site"])).items():
        server, wall, _ = timed(client, path, runs)
        ok &= report(label, server, wall, LIST_TARGET_MS)
    pairs = re.findall(r'href="(/matches/[^"]+)"', client.get("/?page=2").text)[: runs * 2]
    server, wall = [], []
    for path in pairs:
        found = timed(client, path, 1)  # each pair viewed once: nothing cached helps
        server += found[0]
        wall += found[1]
    ok &= report(f"/matches/…  ({len(pairs)} pairs, first views)", server, wall, MATCH_TARGET_MS)
    client.close()
    return ok


def timed_writes(url: str, facts: dict[str, object]) -> None:
    patient, trial = facts["pair"]  # type: ignore[misc]
    site = str(httpx.QueryParams({"site": str(facts["busiest_site"])}))
    print("ada, writes and exports (no target):")
    client = logged_in(url, "ada")
    path = f"/matches/{patient}/{trial}"
    page = client.get(path).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    question = re.search(r'class="question" id="q-([^"]+)"', page)
    if token and question:
        answers = []
        for value in ("no", "yes", "not_applicable"):
            started = time.perf_counter()
            response = client.post(
                path + "/answer",
                data={"csrf": token.group(1), "criterion": question.group(1), "value": value},
            )
            assert response.status_code == 303
            answers.append((time.perf_counter() - started) * 1000)
        print(
            "  answer (stored, evaluated again, written back): round trip median"
            f" {statistics.median(answers):.0f} ms, slowest {max(answers):.0f} ms"
        )
    for label, export in (
        ("CSV, busiest site, to review", f"/export.csv?state=to_review&{site}"),
        ("XLSX, busiest site, to review", f"/export.xlsx?state=to_review&{site}"),
        ("CSV, every listed pair", "/export.csv"),
        ("XLSX, every listed pair", "/export.xlsx"),
    ):
        server, _, size = timed(client, export, 1)
        print(f"  export {label:<31} server {server[0]:7.0f} ms, {size / 1e6:.1f} MB")
    client.close()


if __name__ == "__main__":
    main()
