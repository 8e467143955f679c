"""Every saved registry file in shared/data/registries_raw parses, or is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_files import RAW

from crawler.importer import describe_file
from crawler.sources import all_sources, get_source
from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Trial

# folder (or file) → the source that reads it
READERS = {
    "anzctr": "anzctr",
    "ctis": "ctis",
    "euctr": "euctr",
    "isrctn": "isrctn",
    "who_ictrp": "who-ictrp",
    "chictr/ChiCTR2000034346.xml": "who-ictrp",  # the WHO trial registration data set
}
# saved responses that hold no trial, and what is said about them
EXPECTED_REFUSALS = {
    "ctis/retrieve-unknown.json": "CTIS answers {} for a CT number it does not know",
    "ctis/search-refused-body.json": "CTIS refused the search",
}
EMPTY_RESULTS = {"ctis/search-breast-cancer-page1000.json", "ctis/search-no-match.json"}
# files no source reads, and what the refusal says they are
FOREIGN = {
    "chictr/chictr_detail_ChiCTR2400084905.html": "a ChiCTR web page",
    "chictr/chictr_search_results_page.html": "a ChiCTR web page",
    "ctgov_classic/NCT02931214_displayxml.xml": "legacy ClinicalTrials.gov XML",
    "ctgov_classic/ct2_invalid_url_path_error_page_2017.html": "error page ('Invalid URL Path')",
    "ctgov_rss/rss_empty_result_2021-02-21.xml": "an RSS feed",
    "ctgov_rss/rss_updated_last5days_2016-06-30.xml": "an RSS feed",
    "drks/DRKS_Schema-2.0.19.json": "a JSON Schema, not a trial record",
    "drks/DRKS_trial-DRKS00038775.json": "a DRKS record",
    "jprn_jrct_umin/jrct_latest-detail_jRCTs051180190.html": "a jRCT web page",
    "jprn_jrct_umin/umin_UMIN000027821.html": "a UMIN-CTR web page",
    "jprn_jrct_umin/umin_recpt_R000031865.html": "a UMIN-CTR web page",
}


def _saved_files() -> list[str]:
    if not RAW.is_dir():
        pytest.skip(f"shared data not found at {RAW}", allow_module_level=True)
    files = sorted(p for p in RAW.rglob("*") if p.is_file())
    return [str(p.relative_to(RAW)) for p in files if p.name not in ("README.md", "MANIFEST.tsv")]


def _reader(relative: str) -> str | None:
    return READERS.get(relative) or READERS.get(relative.split("/", 1)[0])


def _read(source_name: str, path: Path) -> tuple[list[Trial], list[SourceParseError]]:
    trials: list[Trial] = []
    failures: list[SourceParseError] = []
    with path.open("rb") as stream:
        for outcome in get_source(source_name).read_records(stream, str(path)):
            (failures if isinstance(outcome, SourceParseError) else trials).append(outcome)  # type: ignore[arg-type]
    return trials, failures


def test_every_saved_file_is_accounted_for() -> None:
    files = set(_saved_files())
    readable = {f for f in files if _reader(f) is not None}
    assert files == readable | set(FOREIGN)
    assert len(files) == 79


@pytest.mark.parametrize("relative", [f for f in _saved_files() if f not in FOREIGN])
def test_a_registry_file_parses_into_trials_or_is_refused_with_its_reason(relative: str) -> None:
    path = RAW / relative
    source = _reader(relative)
    assert source is not None
    assert get_source(source).recognises(path.read_bytes()[:4096], path.name)
    trials, failures = _read(source, path)

    if relative in EXPECTED_REFUSALS:
        assert not trials
        assert [EXPECTED_REFUSALS[relative] in str(f) for f in failures] == [True]
        return
    assert not failures, [str(f) for f in failures]
    if relative in EMPTY_RESULTS:
        assert trials == []
        return
    assert trials
    for trial in trials:
        assert trial.trial_id and trial.source_url
        assert trial.page_url and trial.page_url.startswith("http")


@pytest.mark.parametrize("relative", sorted(FOREIGN))
def test_a_file_no_source_reads_is_refused_saying_what_it_is(relative: str) -> None:
    path = RAW / relative
    head = path.read_bytes()[:4096]
    assert not [
        name for name, source in all_sources().items() if source.recognises(head, path.name)
    ]
    assert FOREIGN[relative] in describe_file(head, path.name)
