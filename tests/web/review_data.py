"""A review database built by the real pipeline: the demo, plus a hostile study and its patient.

The demo (bundled registry records, synthetic patients) is crawled, parsed
and matched as `trialmatch demo` does; then a ClinicalTrials.gov record whose
title, conditions, site and criteria carry markup and script is imported
through the import path, parsed and matched with a patient it suits. Its
registration page link is a ``javascript:`` URL, as a hostile registry
record could give one. Accounts: an admin, and coordinators of one site each.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from db import open_database
from db.patients import store_patients
from db.users import add_user
from matcher.loaders import load_files
from trialmatch.core.clock import utc_now
from trialmatch.core.pseudonyms import PseudonymKey, load_or_create_secret
from trialmatch.core.settings import Settings
from trialmatch.demo import run_demo
from trialmatch.demo_data.ctgov import STUDIES_DIR
from trialmatch.steps.import_step import run_import
from trialmatch.steps.match_step import run_match_step
from trialmatch.steps.parse_step import run_parse_step
from trialmatch.web.passwords import hash_password

PASSWORD = "a long enough passphrase"
HOSTILE_ID = "NCT09999901"
HOSTILE_PATIENT = "P-HOSTILE-1"
SCRIPT = "<script>alert('x')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
JAVASCRIPT = "javascript:alert(document.cookie)"
HOSTILE_SITE = f"{IMAGE} Clinic, Lyon, France"


@dataclass(frozen=True)
class ReviewData:
    folder: Path
    db: Path
    secret: Path
    site: str  # the site with the most listed matches; coordinator "cora" has it
    other_site: str  # another site with listed matches; coordinator "otto" has it

    def copy_to(self, folder: Path) -> ReviewData:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.db, folder / self.db.name)
        shutil.copy2(self.secret, folder / self.secret.name)
        return ReviewData(
            folder, folder / self.db.name, folder / self.secret.name, self.site, self.other_site
        )

    @property
    def settings(self) -> Settings:
        return Settings(db=self.db, out_dir=self.folder / "referrals", secret_file=self.secret)


def hostile_record() -> dict[str, object]:
    record = json.loads((STUDIES_DIR / "NCT05935553.json").read_text(encoding="utf-8"))
    record = copy.deepcopy(record)
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = HOSTILE_ID
    protocol["identificationModule"]["briefTitle"] = f"{SCRIPT} Benzodiazepine {IMAGE} study"
    protocol["identificationModule"]["officialTitle"] = f"Official {SCRIPT} title"
    protocol["conditionsModule"]["conditions"] = ["Benzodiazepine Dependence", SCRIPT]
    protocol["eligibilityModule"]["eligibilityCriteria"] = (
        "Inclusion Criteria:\n\n* Patients aged 18 years or older\n"
        f"* Benzodiazepine dependence {SCRIPT}\n* Able to read {IMAGE} and consent\n\n"
        f"Exclusion Criteria:\n\n* Pregnancy {IMAGE}\n* Any condition that, in the judgment of"
        f" the investigator {SCRIPT}, would interfere\n"
    )
    protocol["contactsLocationsModule"]["locations"] = [
        {
            "facility": f"{IMAGE} Clinic",
            "status": "RECRUITING",
            "city": "Lyon",
            "country": "France",
            "geoPoint": {"lat": 45.75, "lon": 4.85},
        }
    ]
    return record


HOSTILE_PROFILE = {
    "id": HOSTILE_PATIENT,
    "age": 45,
    "sex": "male",
    "conditions": [{"text": "benzodiazepine dependence", "code": "F13.20", "system": "icd10cm"}],
    "medications": [{"text": "lorazepam", "dose": 4, "unit": "mg/day", "since": "2021-01"}],
    "location": {"lat": 45.76, "lon": 4.84},
    "max_travel_km": 100,
}


def build_review_data(folder: Path, *, patients: int = 60) -> ReviewData:
    report = run_demo(Settings(), folder, patients=patients, quiet=True)
    settings = Settings(
        db=folder / "trialmatch.db",
        out_dir=folder / "referrals",
        secret_file=folder / "trialmatch.secret",
    )
    assert report.referral_files
    record_file = folder / "hostile.json"
    record_file.write_text(json.dumps(hostile_record()), encoding="utf-8")
    run_import(settings, "ctgov", [record_file], quiet=True)
    profile_file = folder / "hostile_patient.json"
    profile_file.write_text(json.dumps([HOSTILE_PROFILE]), encoding="utf-8")
    loaded = load_files([profile_file], pseudonyms=PseudonymKey(settings.secret_path))
    assert not loaded.rejections, [item.describe() for item in loaded.rejections]
    with open_database(settings.db) as database:
        store_patients(database, loaded.profiles, source=profile_file.name)
    run_parse_step(settings.db)
    run_match_step(settings.db, settings.out_dir)
    with open_database(settings.db) as database:
        database.execute(
            "UPDATE trials SET page_url = ? WHERE trial_id = ?", [JAVASCRIPT, HOSTILE_ID]
        )
        database.conn.commit()
        sites = [
            row[0]
            for row in database.execute(
                "SELECT site FROM matches"
                " WHERE listed = 1 AND site IS NOT NULL AND patient_id != ?"
                " GROUP BY site ORDER BY count(*) DESC, site LIMIT 2",
                [HOSTILE_PATIENT],
            )
        ]
        password = hash_password(PASSWORD)
        now = utc_now()
        add_user(database, "ada", password, admin=True, now=now)
        add_user(database, "cora", password, sites=(sites[0],), now=now)
        add_user(database, "otto", password, sites=(sites[1],), now=now)
        add_user(database, "hugo", password, sites=(HOSTILE_SITE,), now=now)
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file to copy
    load_or_create_secret(settings.secret_path)  # the review page's cookies are keyed by it
    return ReviewData(folder, settings.db, settings.secret_path, sites[0], sites[1])
