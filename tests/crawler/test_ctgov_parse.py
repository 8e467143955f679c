"""The ClinicalTrials.gov source on saved real records: pure parsing, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.sources import ctgov
from trialmatch.core.errors import SourceParseError, UnsupportedFormat

URL = "https://clinicaltrials.gov/api/v2/studies/NCT05935553"


def test_single_study_response_becomes_a_typed_trial(fixture_bytes: Callable[[str], bytes]) -> None:
    (trial,) = ctgov.parse(fixture_bytes("NCT05935553.json"), URL)

    assert trial.trial_id == "NCT05935553"
    assert trial.registry == "ctgov"
    assert trial.overall_status == "RECRUITING"
    assert trial.is_matchable
    assert (trial.minimum_age_years, trial.maximum_age_years) == (18.0, 65.0)
    assert trial.phases == ("PHASE2", "PHASE3")
    assert trial.mesh_terms == ("Substance-Related Disorders",)
    assert trial.last_update == "2026-01-15"
    assert trial.eligibility_text is not None
    assert trial.eligibility_text.startswith("Inclusion Criteria:")
    assert trial.sites[0].facility == "Hospices Civils de Lyon"
    assert trial.sites[0].latitude == pytest.approx(45.74846)
    assert trial.flags == ()
    assert trial.source_url == URL


def test_study_with_many_sites_keeps_every_site(fixture_json: Callable[[str], Any]) -> None:
    record = fixture_json("NCT05827016.json")

    (trial,) = ctgov.parse(record, "http://127.0.0.1:1/api/v2/studies?pageSize=10")

    assert len(trial.sites) == len(
        record["protocolSection"]["contactsLocationsModule"]["locations"]
    )
    assert trial.sites[0].city == "Aurora"
    assert trial.source_url == "http://127.0.0.1:1/api/v2/studies/NCT05827016"


def test_real_list_page_yields_every_study_and_its_token(
    fixture_bytes: Callable[[str], bytes],
) -> None:
    page = ctgov.read_page(fixture_bytes("list_page_with_nextPageToken.json"), URL)
    trials = list(ctgov.parse(fixture_bytes("list_page_with_nextPageToken.json"), URL))

    assert page.next_page_token == "ZVdj7o2Elu8o3lp2Vcm44unumpOQJJxtZfKi3vg"
    assert len(trials) == 5
    statuses = sorted(t.overall_status or "" for t in trials)
    assert statuses == [
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "RECRUITING",
        "RECRUITING",
        "UNKNOWN",
    ]


def test_website_export_is_a_list_of_studies(fixture_bytes: Callable[[str], bytes]) -> None:
    (trial,) = ctgov.parse(fixture_bytes("export_ctg-studies_2.json"), URL)

    assert trial.overall_status == "COMPLETED"
    assert not trial.is_matchable


@pytest.mark.parametrize(
    ("name", "expected_flags"),
    [
        ("NCT00465816.json", "no_eligibility_module"),
        ("NCT03453554.json", "no_eligibility_module"),
    ],
    ids=["aact-identification-and-references", "aact-identification-only"],
)
def test_fields_filtered_record_is_kept_and_flagged(
    fixture_bytes: Callable[[str], bytes], name: str, expected_flags: str
) -> None:
    (trial,) = ctgov.parse(fixture_bytes(name), URL)

    assert expected_flags in trial.flags
    assert "no_status_module" in trial.flags
    assert trial.eligibility_text is None
    assert trial.overall_status is None
    assert trial.minimum_age_years is None
    assert trial.sites == ()
    assert trial.brief_title


def test_retired_v1_payload_is_refused_naming_the_format(
    fixture_bytes: Callable[[str], bytes],
) -> None:
    with pytest.raises(UnsupportedFormat, match="API v1") as raised:
        list(ctgov.parse(fixture_bytes("v1_NCT00023673.json"), URL))
    assert "FullStudiesResponse" in str(raised.value)
    assert raised.value.excerpt


def test_v1_study_object_alone_is_refused(fixture_json: Callable[[str], Any]) -> None:
    study = fixture_json("v1_NCT00023673.json")["FullStudiesResponse"]["FullStudies"][0]

    with pytest.raises(UnsupportedFormat, match="PascalCase"):
        list(ctgov.parse(study, URL))


def test_legacy_xml_is_refused_naming_the_format(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(UnsupportedFormat, match="clinical_study"):
        list(ctgov.parse(fixture_bytes("legacy_NCT00001177.xml"), URL))


def test_invalid_json_is_a_parse_error_with_an_excerpt() -> None:
    with pytest.raises(SourceParseError, match="invalid JSON") as raised:
        list(ctgov.parse(b'{"studies": [{"protocolSection": ', URL))
    assert raised.value.excerpt.startswith('{"studies"')  # short text: the excerpt is all of it
    assert not isinstance(raised.value, UnsupportedFormat)


def test_study_without_an_id_is_a_parse_error() -> None:
    with pytest.raises(SourceParseError, match="nctId"):
        list(ctgov.parse({"protocolSection": {"statusModule": {}}}, URL))


def test_contradictory_ages_are_a_parse_error_not_a_crash(
    fixture_json: Callable[[str], Any],
) -> None:
    record = fixture_json("NCT05935553.json")
    record["protocolSection"]["eligibilityModule"]["minimumAge"] = "70 Years"

    with pytest.raises(SourceParseError, match="minimum age"):
        list(ctgov.parse(record, URL))


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("6 Months", 0.5),
        ("18 Months", 1.5),
        ("1 Year", 1.0),
        ("2 Weeks", round(14 / 365.25, 4)),
        ("30 Days", round(30 / 365.25, 4)),
        ("N/A", None),
        ("", None),
        (None, None),
        ("eighteen", None),
    ],
    ids=lambda value: repr(value),
)
def test_ages(text: str | None, years: float | None) -> None:
    assert ctgov.parse_age(text) == years


@given(st.integers(min_value=0, max_value=150))
def test_whole_years_round_trip(years: int) -> None:
    assert ctgov.parse_age(f"{years} Years") == years


def test_unknown_sex_is_a_parse_error(fixture_json: Callable[[str], Any]) -> None:
    record = fixture_json("NCT05935553.json")
    record["protocolSection"]["eligibilityModule"]["sex"] = "UNKNOWN"

    with pytest.raises(SourceParseError, match="sex"):
        list(ctgov.parse(record, URL))


def test_half_a_geopoint_drops_the_coordinates_only(fixture_json: Callable[[str], Any]) -> None:
    record = fixture_json("NCT05935553.json")
    del record["protocolSection"]["contactsLocationsModule"]["locations"][0]["geoPoint"]["lon"]

    (trial,) = ctgov.parse(record, URL)

    assert trial.sites[0].facility == "Hospices Civils de Lyon"
    assert trial.sites[0].latitude is None


def test_queries_carry_the_filters_the_api_documents() -> None:
    import datetime as dt

    full = ctgov.full_query(1000)
    incremental = ctgov.incremental_query(dt.date(2026, 11, 1), 1000)

    assert full["filter.overallStatus"] == "ENROLLING_BY_INVITATION,NOT_YET_RECRUITING,RECRUITING"
    assert full["pageSize"] == "1000"
    assert incremental["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-11-01,MAX]"
    assert "filter.overallStatus" not in incremental


def test_stored_hash_form_is_the_trial_content_hash_form(snapshot_studies: list[Any]) -> None:
    import hashlib
    import json

    from db.trials import canonical_json

    for study in snapshot_studies:
        (trial,) = ctgov.parse(study, URL)
        canonical = canonical_json(trial.raw)
        assert canonical == json.dumps(
            trial.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert hashlib.sha256(canonical.encode()).hexdigest() == trial.content_hash
