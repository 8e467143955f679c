"""Real records of each registry into the fields ClinicalTrials.gov records fill."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_files import converted, raw

from crawler.sources import get_source
from crawler.sources.fields import parse_age_years, parse_date, parse_sex
from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Trial


def _trials(source: str, path: Path) -> dict[str, Trial]:
    with path.open("rb") as stream:
        outcomes = list(get_source(source).read_records(stream, str(path)))
    failures = [o for o in outcomes if isinstance(o, SourceParseError)]
    assert not failures, [str(f) for f in failures]
    return {t.trial_id: t for t in outcomes if isinstance(t, Trial)}


def test_anzctr_record() -> None:
    trial = _trials("anzctr", raw("anzctr/ACTRN12615001190594.xml"))["ACTRN12615001190594"]
    assert (trial.overall_status, trial.status) == ("Recruiting", "recruiting")
    assert (trial.sex, trial.minimum_age_years, trial.maximum_age_years) == ("ALL", 60.0, None)
    assert trial.healthy_volunteers is True
    assert trial.conditions == ("Falls", "Physical activity participation")
    assert trial.eligibility_text is not None
    assert trial.eligibility_text.startswith("Inclusion Criteria:\nEligible participants will:")
    assert "\n\nExclusion Criteria:\nPeople will be excluded if they:" in trial.eligibility_text
    assert trial.page_url == (
        "https://www.anzctr.org.au/Trial/Registration/TrialReview.aspx?ACTRN=12615001190594"
    )


@pytest.mark.parametrize(
    ("file", "status", "vocabulary"),
    [
        ("ACTRN12607000294459.xml", "Closed: follow-up continuing", "active not recruiting"),
        ("ACTRN12608000141347.xml", "Stopped early", "closed"),
        ("ACTRN12613000259741.xml", "Enrolling by invitation", "enrolling by invitation"),
        ("ACTRN12608000082303.xml", "Not yet recruiting", "not yet recruiting"),
        ("ACTRN12607000097448.xml", None, "unknown"),
        ("NCT01196208.xml", "Available", "recruiting"),
        ("NCT00062660.xml", "Approved for marketing", "closed"),
    ],
)
def test_anzctr_statuses_keep_the_word(file: str, status: str | None, vocabulary: str) -> None:
    (trial,) = _trials("anzctr", raw(f"anzctr/{file}")).values()
    assert (trial.overall_status, trial.status) == (status, vocabulary)


def test_anzctr_secondary_ids_are_other_registries_numbers_only() -> None:
    linked = _trials("anzctr", raw("anzctr/ACTRN12612000536864.xml"))["ACTRN12612000536864"]
    assert linked.secondary_ids == ("U1111-1128-9098",)
    # "Registration ID for Part 2 of this study: ACTRN…" names another study
    parts = _trials("anzctr", raw("anzctr/ACTRN12613000533796.xml"))["ACTRN12613000533796"]
    assert parts.secondary_ids == ()
    provisional = _trials("anzctr", raw("anzctr/ACTRN12617000908336.xml"))
    assert list(provisional) == ["ACTRN12617000908336"]  # written "…336p" in the file


def test_ctis_records_of_both_layouts() -> None:
    trials = _trials("ctis", converted("ctrdata_demo/ctis_records.json"))
    older = trials["2023-508143-51-01"]  # authorizedPartI at the top, ctStatus a word
    assert (older.overall_status, older.status) == ("Authorised, not started", "not yet recruiting")
    assert older.secondary_ids == ("2021-004994-30",)
    assert older.sites[0].facility == "Medisch Spectrum Twente"
    current = trials["2024-510663-34-00"]  # authorizedApplication, ctPublicStatusCode 4
    assert (current.overall_status, current.status) == ("Ongoing, recruiting", "recruiting")
    assert (current.minimum_age_years, current.maximum_age_years) == (None, 17.0)
    assert current.secondary_ids == ("NCT04494412", "2019-001588-63")
    assert current.eligibility_text and current.eligibility_text.startswith(
        "Inclusion Criteria:\n1. Age. Neonates and infants"
    )


def test_euctr_protocol_page() -> None:
    trial = _trials("euctr", raw("euctr/euctr_trial_2015-000590-12_DE.html"))["2015-000590-12-DE"]
    assert (trial.overall_status, trial.status) == ("Completed", "closed")
    assert (trial.minimum_age_years, trial.maximum_age_years, trial.sex) == (18.0, None, "ALL")
    assert trial.conditions == ("liver transplantation", "Transplantation of the liver")
    assert trial.phases == ("Phase III",)
    text = trial.eligibility_text or ""
    assert text.startswith("Inclusion criteria at Screening Visit (Visit 1):\n")
    assert "allograft from a deceased" in text  # EUCTR's soft hyphens gone
    assert "Exclusion criteria at Screening Visit (Visit 1):\n" in text
    assert (
        trial.page_url == "https://www.clinicaltrialsregister.eu/ctr-search/trial/2015-000590-12/DE"
    )


def test_euctr_third_country_page_keeps_comparisons() -> None:
    (trial,) = _trials("euctr", raw("euctr/euctr_trial_2011-005852-33_3rd.html")).values()
    assert trial.trial_id == "2011-005852-33-3RD"
    assert "Body weight < 5 kg" in (trial.eligibility_text or "")
    assert trial.maximum_age_years == 1.99  # newborns, infants and toddlers


def test_euctr_full_text_download_is_one_record_per_member_state() -> None:
    path = converted("euctr/euctr_fulltext_download_2_trials.txt")
    trials = _trials("euctr", path)
    assert sorted(trials) == [
        "2021-002179-21-ES",
        "2021-002179-21-FR",
        "2021-002179-21-GR",
        "2021-002179-21-HU",
        "2021-002179-21-PL",
        "2021-002179-21-PT",
        "2022-002568-62-ES",
        "2022-002568-62-SE",
    ]
    trial = trials["2022-002568-62-ES"]
    assert (trial.overall_status, trial.status) == ("Ongoing", "unknown")
    text = trial.eligibility_text or ""
    assert text.startswith("Inclusion Criteria:\n1. Male or female, 30 to 75 years of age")
    assert "Ser varón o mujer" not in text  # the Spanish translation is not the text


def test_euctr_search_page_lists_each_member_state_protocol() -> None:
    trials = _trials("euctr", raw("euctr/euctr_search_query_2015-000590-12.html"))
    trial = trials["2015-000590-12-DE"]
    assert (trial.overall_status, trial.sex, trial.minimum_age_years) == ("Completed", "ALL", 18.0)
    assert trial.eligibility_text is None  # a summary: the protocol page has the criteria


def test_isrctn_api_record() -> None:
    trials = _trials("isrctn", raw("isrctn/isrctn_api_allTrials_query_5trials.xml"))
    trial = trials["ISRCTN85064961"]
    # recruitment ended 2024-09-30, before the record's last update (2025-07-29)
    assert (trial.overall_status, trial.status) == ("No longer recruiting", "active not recruiting")
    assert (trial.sex, trial.minimum_age_years, trial.maximum_age_years) == ("MALE", 18.0, 65.0)
    assert trial.sites[0].city == "Bad Hofgastein" and trial.sites[0].country == "Austria"
    assert (trial.eligibility_text or "").startswith(
        "Inclusion Criteria:\n1. Aged between 18 and 65"
    )
    assert trials["ISRCTN41823570"].overall_status == "Recruiting"


def test_who_ictrp_new_layout_keeps_every_registry() -> None:
    path = raw("who_ictrp/ICTRP-Results_2026-06-29_who-export-sample.xml")
    trials = _trials("who-ictrp", path)
    assert len(trials) == 97
    ctis = trials["2023-507106-13-00"]  # WHO writes "CTIS2023-507106-13-00"
    assert ctis.secondary_ids == ("NCT06304597",)
    assert ctis.eligibility_text is None  # only the headings were given
    euctr = trials["2019-003550-88-DE"]
    assert euctr.page_url and "2019-003550-88" in euctr.page_url
    japan = trials["JPRN-UMIN000007004"]
    assert japan.page_url and japan.page_url.startswith("https://center6.umin.ac.jp/")


def test_who_ictrp_old_layout() -> None:
    trials = _trials("who-ictrp", raw("who_ictrp/ICTRP-Results_18Mar2020_covid19.xml"))
    assert len(trials) == 578
    trial = trials["ChiCTR2000029850"]
    assert (trial.overall_status, trial.status) == ("Recruiting", "recruiting")
    assert trial.official_title == trial.official_title.strip()
    assert not trial.official_title.endswith(" ")


def test_who_ictrp_csv_export() -> None:
    trials = _trials("who-ictrp", converted("who_ictrp/ntd_ictrp_extract.csv"))
    assert len(trials) == 315
    trial = trials["NCT05957978"]
    assert (trial.minimum_age_years, trial.maximum_age_years) == (15.0, 44.0)  # "15Y", "44Y"
    assert (trial.overall_status, trial.status) == ("NOT RECRUITING", "closed")
    text = trial.eligibility_text or ""
    assert "<br>" not in text and "written informed consent" in text


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("15Y", 15.0),
        ("6M", 0.5),
        ("18 Years", 18.0),
        ("65+", 65.0),
        ("20years-old", 20.0),
        ("N/A", None),
        ("No limit", None),
        ("??", None),
        ("2 weeks", round(14 / 365.25, 4)),
    ],
)
def test_ages_as_registries_write_them(text: str, years: float | None) -> None:
    assert parse_age_years(text) == years


def test_ages_with_a_separate_unit() -> None:
    assert parse_age_years("6", unit="Months") == 0.5


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("Both males and females", "ALL"),
        ("Females", "FEMALE"),
        ("Male", "MALE"),
        ("<br>Female: yes<br>Male: yes<br>", "ALL"),
        ("Female: yes Male: no", "FEMALE"),
        ("Male and Female", "ALL"),
        ("All", "ALL"),
    ],
)
def test_sexes_as_registries_write_them(text: str, sex: str) -> None:
    assert parse_sex(text) == sex


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2/11/2015", "2015-11-02"),
        ("17 February 2020", "2020-02-17"),
        ("July 15, 2026", "2026-07-15"),
        ("20200217", "2020-02-17"),
        ("2026-07-27T09:27:35.342944265Z", "2026-07-27"),
        ("01/10/2026", "2026-10-01"),
        ("soon", None),
    ],
)
def test_dates_as_registries_write_them(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Inclusion Criteria:\n1. Women aged 35 to 50 years.\n2. Premenopausal status, defined"
            " by the presence of regular menstrual cycles during the previous year.",
            "en",
        ),
        (
            "1. Ser varón o mujer de entre 30 y 75 años, ambos inclusive, en el momento de"
            " selección.\n2. Ser portador de una mutación patógena en el gen de la granulina.",
            "es",
        ),
        (
            "Einschlusskriterien: Patienten im Alter von 18 bis 75 Jahren mit einer gesicherten"
            " Diagnose und schriftlicher Einwilligung.",
            "de",
        ),
        ("≥ 18 Y", None),
    ],
)
def test_the_language_of_criteria_text(text: str, language: str | None) -> None:
    from crawler.language import identify_language

    assert identify_language(text) == language
