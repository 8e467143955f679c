"""ClinicalTrials.gov API v2: its queries and its study records turned into `Trial`s.

Pure: nothing here fetches. ``parse`` reads a list page
(``{"studies": [...], "nextPageToken": ...}``), a single-study response
(``{"protocolSection": ...}``) or a website JSON export (a list of studies).
The retired API v1 (``FullStudiesResponse``, PascalCase ``Study``) and the
legacy ``<clinical_study>`` XML are refused with `UnsupportedFormat`.

The bulk download (a zip or a folder of one JSON file per study) goes
through the same parser: `read_records` reads one file, and the importer
walks the zip or folder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from crawler.paging import CrawlPlan, SourcePage
from trialmatch.core import canonical
from trialmatch.core.errors import SourceParseError, UnsupportedFormat
from trialmatch.core.registry_ids import find_registry_ids, registry_page
from trialmatch.core.trial import SEXES, Site, Trial, TrialSex

if TYPE_CHECKING:
    from crawler.polite import PoliteFetcher
    from trialmatch.core.settings import Settings

NAME = "ctgov"
# The registry's own words for the statuses we crawl (its API filters on them);
# a test checks they are the words of `CRAWLED_STATUSES`.
CRAWLED_WORDS = ("ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING")
EXCERPT_CHARS = 300

# Modules whose absence is worth flagging: a record without them can still be
# stored, but the matcher must know why it knows so little.
FLAGGED_MODULES = {
    "eligibilityModule": "no_eligibility_module",
    "statusModule": "no_status_module",
    "conditionsModule": "no_conditions_module",
    "designModule": "no_design_module",
    "contactsLocationsModule": "no_locations_module",
}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_YEARS_PER_UNIT = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / (365.25 * 24),
    "minute": 1 / (365.25 * 24 * 60),
}


# --- queries -----------------------------------------------------------------


def studies_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/studies"


def study_url(base_url: str, nct_id: str) -> str:
    return f"{studies_url(base_url)}/{nct_id}"


def full_query(page_size: int) -> dict[str, str]:
    """Every study a patient could be referred to, now or soon."""
    return {
        "format": "json",
        "pageSize": str(page_size),
        "countTotal": "true",
        "filter.overallStatus": ",".join(CRAWLED_WORDS),
    }


def incremental_query(since: dt.date, page_size: int) -> dict[str, str]:
    """Every study updated since *since*, whatever its status, so closures are seen."""
    return {
        "format": "json",
        "pageSize": str(page_size),
        "countTotal": "true",
        "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]",
    }


# --- pages -------------------------------------------------------------------


@dataclass(frozen=True)
class StudyPage:
    """The study records of one response and the token of the next page, if any."""

    records: list[dict[str, Any]]
    next_page_token: str | None = None
    total_count: int | None = None


def parse(page: bytes | str | Mapping[str, Any] | list[Any], url: str) -> Iterator[Trial]:
    """Every study of *page* as a `Trial`; the first unreadable record raises."""
    for record in read_page(page, url).records:
        yield parse_study(record, url)


def recognises(head: bytes, name: str) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith((b"{", b"[")) and (
        b"protocolSection" in head or b'"studies"' in head or b"FullStudiesResponse" in head
    )


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    """Every study of one saved file (a study, a list page or an export), each on its own."""
    try:
        page = read_page(stream.read(), where)
    except SourceParseError as exc:
        yield exc
        return
    for number, record in enumerate(page.records, start=1):
        try:
            yield parse_study(record, where)
        except SourceParseError as exc:
            exc.position = f"study {number}"
            yield exc


def read_page(page: bytes | str | Mapping[str, Any] | list[Any], url: str) -> StudyPage:
    """Split a response into its study records; refuse formats this source does not read."""
    document = _decode(page, url) if isinstance(page, bytes | str) else page
    if isinstance(document, list):
        return StudyPage(records=[_as_record(item, url) for item in document])
    if not isinstance(document, Mapping):
        raise SourceParseError("expected a JSON object or list", registry=NAME, url=url)
    _refuse_v1(document, url)
    if "studies" in document:
        studies = document["studies"]
        if not isinstance(studies, list):
            raise SourceParseError("'studies' is not a list", registry=NAME, url=url)
        token = document.get("nextPageToken")
        return StudyPage(
            records=[_as_record(item, url) for item in studies],
            next_page_token=str(token) if token else None,
            total_count=document.get("totalCount"),
        )
    return StudyPage(records=[_as_record(document, url)])


def _decode(page: bytes | str, url: str) -> Any:
    # Bytes go to json.loads as they are: a 40 MB page is not copied into a str first.
    head = page[:2000].decode("utf-8", errors="replace") if isinstance(page, bytes) else page[:2000]
    head = head.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        if "<clinical_study" in head:
            raise UnsupportedFormat(
                "legacy ClinicalTrials.gov XML (<clinical_study>) is not read; use API v2 JSON",
                registry=NAME,
                url=url,
                excerpt=head[:EXCERPT_CHARS],
            )
        raise SourceParseError(
            "expected JSON, got markup", registry=NAME, url=url, excerpt=head[:EXCERPT_CHARS]
        )
    try:
        return canonical.loads(page)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceParseError(
            f"invalid JSON: {exc}", registry=NAME, url=url, excerpt=_excerpt_at(page, exc)
        ) from exc


def _excerpt_at(page: bytes | str, exc: ValueError) -> str:
    # Where it broke says more than where it began (usually a cut or a splice).
    text = page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page
    position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
    start = max(0, position - EXCERPT_CHARS // 2)
    return text[start : start + EXCERPT_CHARS]


def _refuse_v1(document: Mapping[str, Any], url: str) -> None:
    for key in ("FullStudiesResponse", "StudyFieldsResponse"):
        if key in document:
            raise UnsupportedFormat(
                f"retired ClinicalTrials.gov API v1 format ({key}); use API v2",
                registry=NAME,
                url=url,
                excerpt=json.dumps(document)[:EXCERPT_CHARS],
            )
    if "Study" in document or "ProtocolSection" in document:
        raise UnsupportedFormat(
            "retired ClinicalTrials.gov API v1 format (PascalCase Study); use API v2",
            registry=NAME,
            url=url,
            excerpt=json.dumps(document)[:EXCERPT_CHARS],
        )


def _as_record(item: Any, url: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise SourceParseError("a study record is not an object", registry=NAME, url=url)
    _refuse_v1(item, url)
    return item


# --- one study -----------------------------------------------------------------


def nct_id_of(record: Mapping[str, Any]) -> str | None:
    identification = _module(record, "identificationModule")
    nct_id = identification.get("nctId")
    return nct_id if isinstance(nct_id, str) and nct_id else None


def parse_study(record: dict[str, Any], url: str) -> Trial:
    """One API v2 study record as a `Trial`; `SourceParseError` if it has no usable id."""
    nct_id = nct_id_of(record)
    if nct_id is None:
        raise SourceParseError(
            "study without identificationModule.nctId",
            registry=NAME,
            url=url,
            excerpt=json.dumps(record)[:EXCERPT_CHARS],
        )
    try:
        return _build_trial(record, nct_id, url)
    except (ValueError, TypeError, AttributeError) as exc:
        raise SourceParseError(
            f"study {nct_id}: {exc}",
            registry=NAME,
            url=source_url_for(url, nct_id),
            excerpt=_summary_excerpt(record),
        ) from exc


def _summary_excerpt(record: Mapping[str, Any]) -> str:
    # The fields a Trial is checked on, without the long texts that would hide them.
    eligibility = dict(_module(record, "eligibilityModule"))
    eligibility.pop("eligibilityCriteria", None)
    summary = {
        "nctId": nct_id_of(record),
        "overallStatus": _module(record, "statusModule").get("overallStatus"),
        "eligibilityModule": eligibility,
        "locations": (_module(record, "contactsLocationsModule").get("locations") or [])[:2],
    }
    return json.dumps(summary, ensure_ascii=False)[:EXCERPT_CHARS]


def _build_trial(record: dict[str, Any], nct_id: str, url: str) -> Trial:
    identification = _module(record, "identificationModule")
    status = _module(record, "statusModule")
    conditions = _module(record, "conditionsModule")
    design = _module(record, "designModule")
    eligibility = _module(record, "eligibilityModule")
    flags = [flag for name, flag in FLAGGED_MODULES.items() if not _has_module(record, name)]
    minimum_age = parse_age(eligibility.get("minimumAge"))
    maximum_age = parse_age(eligibility.get("maximumAge"))
    return Trial(
        registry=NAME,
        trial_id=nct_id,
        source_url=source_url_for(url, nct_id),
        brief_title=identification.get("briefTitle") or "",
        official_title=identification.get("officialTitle") or "",
        overall_status=status.get("overallStatus"),
        conditions=_strings(conditions.get("conditions")),
        keywords=_strings(conditions.get("keywords")),
        mesh_terms=_mesh_terms(record),
        phases=_strings(design.get("phases")),
        study_type=design.get("studyType"),
        sex=_sex(eligibility.get("sex")),
        minimum_age_years=minimum_age,
        maximum_age_years=maximum_age,
        healthy_volunteers=_optional_bool(eligibility.get("healthyVolunteers")),
        eligibility_text=eligibility.get("eligibilityCriteria") or None,
        last_update=(status.get("lastUpdatePostDateStruct") or {}).get("date"),
        sites=_sites(record),
        flags=tuple(flags),
        raw=record,
        secondary_ids=_secondary_ids(identification, nct_id),
        page_url=registry_page(nct_id),
    )


def _secondary_ids(identification: Mapping[str, Any], nct_id: str) -> tuple[str, ...]:
    """Other registries' numbers among the study's secondary ids (EudraCT, EU CT, ISRCTN, UTN …)."""
    found: dict[str, None] = {}
    infos = identification.get("secondaryIdInfos") or []
    texts = [str(info.get("id") or "") for info in infos if isinstance(info, dict)]
    texts.append(str((identification.get("orgStudyIdInfo") or {}).get("id") or ""))
    for text in texts:
        for registry_id in find_registry_ids(text):
            if registry_id.registry != "ctgov" and registry_id.id != nct_id:
                found[registry_id.id] = None
    return tuple(found)


def source_url_for(url: str, nct_id: str) -> str:
    """The API address of the study itself, whether it came from a list or on its own."""
    marker = "/studies"
    if marker in url:
        return study_url(url.split(marker, 1)[0], nct_id)
    return url


def parse_age(text: Any) -> float | None:
    """``"18 Years"`` → 18.0, ``"6 Months"`` → 0.5; ``"N/A"``, blank or unknown → None."""
    if not isinstance(text, str):
        return None
    match = _AGE.match(text)
    if match is None:
        return None
    years = float(match.group(1)) * _YEARS_PER_UNIT[match.group(2).lower()]
    return round(years, 4)


def _module(record: Mapping[str, Any], name: str) -> dict[str, Any]:
    for section in ("protocolSection", "derivedSection"):
        module = (record.get(section) or {}).get(name)
        if isinstance(module, dict):
            return module
    return {}


def _has_module(record: Mapping[str, Any], name: str) -> bool:
    return isinstance((record.get("protocolSection") or {}).get(name), dict)


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(str(value) for value in values if value)


def _mesh_terms(record: Mapping[str, Any]) -> tuple[str, ...]:
    browse = _module(record, "conditionBrowseModule")
    terms = [mesh.get("term") for mesh in browse.get("meshes") or [] if isinstance(mesh, dict)]
    return tuple(dict.fromkeys(term for term in terms if term))


def _sex(value: Any) -> TrialSex:
    text = str(value).upper() if value else "ALL"
    if text not in SEXES:
        raise ValueError(f"sex {value!r} not one of {sorted(SEXES)}")
    return cast(TrialSex, text)


def _optional_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _sites(record: Mapping[str, Any]) -> tuple[Site, ...]:
    locations = _module(record, "contactsLocationsModule").get("locations") or []
    return tuple([_site(location) for location in locations if isinstance(location, dict)])


def _site(location: Mapping[str, Any]) -> Site:
    # Positional, with dict.get bound once: a crawl parses tens of sites per study.
    get = location.get
    latitude, longitude = _coordinates(get("geoPoint"))
    return Site(
        get("facility"),
        get("city"),
        get("state"),
        get("zip"),
        get("country"),
        get("status"),
        latitude,
        longitude,
    )


def _coordinates(point: Any) -> tuple[float | None, float | None]:
    # A half or out-of-range point is dropped rather than failing the whole study.
    if not isinstance(point, dict):
        return None, None
    try:
        latitude, longitude = float(point["lat"]), float(point["lon"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None, None


# --- online ----------------------------------------------------------------------


def parse_records(page: StudyPage, url: str) -> tuple[list[Trial], list[SourceParseError]]:
    """Parse each record on its own: one bad study is set aside, the page goes on."""
    trials: dict[str, Trial] = {}
    failures: list[SourceParseError] = []
    for record in page.records:
        try:
            trial = parse_study(record, url)
        except SourceParseError as exc:
            failures.append(exc)
            continue
        trials[trial.trial_id] = trial  # a study listed twice on a page is stored once
    return list(trials.values()), failures


class _Online:
    """API v2: ``GET {base}/studies``, the same query on every page, ``pageToken`` the cursor."""

    name = NAME

    def base_url(self, settings: Settings) -> str:
        return settings.ctgov_base_url

    def plan(self, *, page_size: int, since: dt.date | None) -> CrawlPlan:
        if since is None:
            return CrawlPlan("full", full_query(page_size))
        return CrawlPlan("incremental", incremental_query(since, page_size))

    def load_page(
        self, fetcher: PoliteFetcher, base_url: str, query: dict[str, str], cursor: str | None
    ) -> SourcePage:
        url = studies_url(base_url)
        params = dict(query)
        if cursor:
            params["pageToken"] = cursor
        page = fetcher.fetch(url, params, read_page)
        trials, failures = parse_records(page, url)
        return SourcePage(trials, failures, page.next_page_token, page.total_count)


ONLINE = _Online()
