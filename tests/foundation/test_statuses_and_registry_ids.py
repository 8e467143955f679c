"""The one status vocabulary, and registry ids with the keys that link registrations."""

from __future__ import annotations

import pytest

from crawler.sources import ctgov, ctis
from trialmatch.core.registry_ids import find_registry_ids, issuing_registry, parse_registry_id
from trialmatch.core.statuses import STUDY_STATUSES, WORDS, study_status
from trialmatch.core.trial import CRAWLED_STATUSES, MATCHABLE_STATUSES


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("RECRUITING", "recruiting"),
        ("NOT_YET_RECRUITING", "not yet recruiting"),
        ("ENROLLING_BY_INVITATION", "enrolling by invitation"),
        ("ACTIVE_NOT_RECRUITING", "active not recruiting"),
        ("COMPLETED", "closed"),
        ("UNKNOWN", "unknown"),
        ("Closed: follow-up continuing", "active not recruiting"),
        ("Closed: follow-up complete", "closed"),
        ("Authorised, recruitment pending", "not yet recruiting"),
        ("Ongoing, recruitment ended", "active not recruiting"),
        ("Not Recruiting", "closed"),
        ("No longer recruiting", "active not recruiting"),
        ("Ongoing", "unknown"),
        ("Prematurely Ended", "closed"),
        ("something else", "unknown"),
        (None, "unknown"),
    ],
)
def test_registry_words_map_onto_one_vocabulary(word: str | None, status: str) -> None:
    assert study_status(word) == status


def test_the_vocabulary_is_closed() -> None:
    assert set(WORDS.values()) <= set(STUDY_STATUSES)
    assert MATCHABLE_STATUSES < CRAWLED_STATUSES <= set(STUDY_STATUSES)


def test_the_words_each_registry_is_asked_for_are_the_crawled_statuses() -> None:
    assert {study_status(word) for word in ctgov.CRAWLED_WORDS} == CRAWLED_STATUSES
    crawled = {study_status(ctis.STATUS_WORDS[code]) for code in ctis.CRAWLED_CODES}
    assert crawled == MATCHABLE_STATUSES


@pytest.mark.parametrize(
    ("text", "registry", "key"),
    [
        ("NCT01234567", "ctgov", "ctgov:NCT01234567"),
        ("nct01234567", "ctgov", "ctgov:NCT01234567"),
        ("2015-000590-12", "eudract", "eudract:2015-000590-12"),
        ("2015-000590-12-DE", "euctr", "eudract:2015-000590-12"),
        ("EUCTR2015-000590-12-DE", "euctr", "eudract:2015-000590-12"),
        ("2011-005852-33-3rd", "euctr", "eudract:2011-005852-33"),
        ("EUCTR2015-001226-42-Outside-EU/EEA", "euctr", "eudract:2015-001226-42"),
        ("2023-507106-13-00", "ctis", "euct:2023-507106-13"),
        ("CTIS2023-507106-13-00", "ctis", "euct:2023-507106-13"),
        # an EU CT number written without its version, as ClinicalTrials.gov records do
        ("2022-501515-14", "eudract", "euct:2022-501515-14"),
        ("ISRCTN41823570", "isrctn", "isrctn:ISRCTN41823570"),
        ("ACTRN12617000908336p", "anzctr", "anzctr:ACTRN12617000908336"),
        ("u1111-1128-9098", "utn", "utn:U1111-1128-9098"),
        ("ChiCTR2000029953", "chictr", "chictr:CHICTR2000029953"),
        ("JPRN-UMIN000007004", "jprn", "jprn:JPRN-UMIN000007004"),
        ("CTRI/2020/03/024002", "ctri", "ctri:CTRI/2020/03/024002"),
    ],
)
def test_spellings_of_one_number_share_a_link_key(text: str, registry: str, key: str) -> None:
    found = parse_registry_id(text) or find_registry_ids(text)[0]
    assert (found.registry, found.link_key) == (registry, key)


def test_numbers_in_free_text_are_found_once_each() -> None:
    text = "EudraCT 2019-001588-63; NCT04494412 (and NCT04494412 again); IND 75,061"
    assert [r.id for r in find_registry_ids(text)] == ["NCT04494412", "2019-001588-63"]
    assert parse_registry_id("not a number") is None
    assert issuing_registry("2015-000590-12") == "euctr"
