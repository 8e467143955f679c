"""Registrations of one study linked into one study, the chosen registration, statuses."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from registry_files import converted, raw, shared_file

from crawler.importer import import_files
from crawler.sources import ctgov, get_source
from db.studies import iter_studies, study_of
from db.trials import get_trial, store_trials
from trialmatch.core.trial import MATCHABLE_STATUSES


def _import(database: sqlite_utils.Database, source: str, *paths: Path) -> None:
    report = import_files(database, get_source(source), list(paths))
    assert not report.refused, [str(e) for e in report.refused]


def test_a_study_registered_in_two_registries_is_one_study(database: sqlite_utils.Database) -> None:
    # The WHO ICTRP export carries the CTIS registration 2023-507106-13-00, which
    # names NCT06304597 as its other registration, and that ClinicalTrials.gov one.
    _import(database, "who-ictrp", raw("who_ictrp/ICTRP-Results_2026-06-29_who-export-sample.xml"))

    study = study_of(database, "2023-507106-13-00")
    assert study is not None and study == study_of(database, "NCT06304597")
    ids = {r.registry_id: r for r in study.registrations}
    assert sorted(ids) == ["2023-507106-13-00", "NCT06304597"]
    assert ids["2023-507106-13-00"].registry == "ctis"
    assert ids["NCT06304597"].registry == "ctgov"
    assert ids["NCT06304597"].url == "https://clinicaltrials.gov/ct2/show/NCT06304597"
    assert ids["2023-507106-13-00"].url.endswith("EUCT=2023-507106-13-00")
    # the CTIS record gives no criteria, so the ClinicalTrials.gov one is matched
    assert study.trial_id == "NCT06304597" and ids["NCT06304597"].chosen
    assert study.eligibility_text and study.eligibility_text.startswith("Inclusion Criteria:")
    # conflicting statuses stay visible; the latest registration (CTIS, 2026-04-14) stands
    assert (ids["NCT06304597"].status, ids["2023-507106-13-00"].status) == ("closed", "recruiting")
    assert study.conflicting_statuses
    assert (study.overall_status, study.status) == ("Recruiting", "recruiting")
    assert study.study_id == "2023-507106-13-00"
    matchable = [
        s for s in iter_studies(database, MATCHABLE_STATUSES) if s.study_id == study.study_id
    ]
    assert matchable == [study]


def test_member_state_records_of_one_eudract_number_are_one_study(
    database: sqlite_utils.Database,
) -> None:
    _import(database, "euctr", converted("euctr/euctr_fulltext_download_2_trials.txt"))

    studies = {s.study_id: s for s in iter_studies(database)}
    assert sorted(studies) == ["2021-002179-21-ES", "2022-002568-62-ES"]
    masitinib = studies["2021-002179-21-ES"]
    assert len(masitinib.registrations) == 6
    assert {r.registry for r in masitinib.registrations} == {"euctr"}
    # "Ongoing" says nothing about recruitment today
    assert masitinib.status == "unknown" and not masitinib.conflicting_statuses
    # the most recently updated member-state record with English criteria is matched
    assert masitinib.trial_id == "2021-002179-21-PT"


def test_a_copy_never_overwrites_the_registrys_own_record(database: sqlite_utils.Database) -> None:
    studies = json.loads(shared_file("judged_matching/trec2022/studies.json").read_bytes())
    record = next(
        s
        for s in studies["studies"]
        if s["protocolSection"]["identificationModule"]["nctId"] == "NCT01766830"
    )
    store_trials(database, [ctgov.parse_study(record, "https://clinicaltrials.gov/api/v2/studies")])
    own = get_trial(database, "NCT01766830")

    report = import_files(
        database, get_source("who-ictrp"), [converted("who_ictrp/ntd_ictrp_extract.csv")]
    )

    assert report.stored.shadowed == 1
    assert get_trial(database, "NCT01766830") == own
    assert get_trial(database, "NCT01766830").registry == "ctgov"


def test_a_study_with_criteria_in_another_language_is_kept_unparsed(
    database: sqlite_utils.Database,
) -> None:
    _import(database, "who-ictrp", converted("who_ictrp/ntd_ictrp_extract.csv"))

    spanish = get_trial(database, "2009-017467-42-ES")
    assert spanish.criteria_language == "es"
    study = study_of(database, "2009-017467-42-ES")
    assert study is not None
    assert study.eligibility_text is None  # never handed on to be read as English
    assert study.registrations[0].criteria_language == "es"
    english = study_of(database, "NCT05957978")
    assert english is not None and english.criteria_language == "en"
    assert english.eligibility_text


def test_relinking_after_a_registration_changes_its_ids(database: sqlite_utils.Database) -> None:
    _import(database, "who-ictrp", raw("who_ictrp/ICTRP-Results_2026-06-29_who-export-sample.xml"))
    ctis = get_trial(database, "2023-507106-13-00")
    import dataclasses

    store_trials(database, [dataclasses.replace(ctis, secondary_ids=(), raw={**ctis.raw, "x": 1})])

    assert [r.registry_id for r in study_of(database, "NCT06304597").registrations] == [  # type: ignore[union-attr]
        "NCT06304597"
    ]
    alone = study_of(database, "2023-507106-13-00")
    assert alone is not None and alone.study_id == "2023-507106-13-00"
    count = database.execute("SELECT count(*) FROM studies").fetchone()[0]
    linked = "SELECT count(DISTINCT study_id) FROM study_registrations"
    assert count == database.execute(linked).fetchone()[0]
