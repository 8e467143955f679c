"""EU CTIS (Clinical Trials Information System): its public portal API's JSON.

Two responses are read:

- a search page (``POST {base}/search``): ``{"showWarning", "pagination",
  "data": [rows]}``, one overview row per trial. ``showWarning: true`` with
  no rows is the portal refusing the request (a body it does not accept),
  not an empty result, and is an error; a page past the last one is empty;
- a full record (``GET {base}/retrieve/{ctNumber}``); an unknown number
  answers ``{}``.

Full records come in two layouts: the current one
(``authorizedApplication.authorizedPartI`` …, ``ctStatus`` a number) and the
one served until mid-2024 (``authorizedPartI``, ``applications``,
``memberStatesConcerned`` at the top, ``ctStatus`` a word). Both fill the
same fields. The status word kept is CTIS's own label for
``ctPublicStatusCode`` (1 "Under evaluation" … 12 "Cancelled").
Eligibility is Part I's numbered principal inclusion and exclusion criteria
(English; the national translations beside them are not used).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from crawler.paging import CrawlPlan, SourcePage
from crawler.sources.fields import (
    clean,
    criteria_text,
    excerpt,
    latest_date,
    parse_date,
    parse_sex,
    secondary_ids,
    sex_of,
)
from crawler.sources.reading import parse_with
from trialmatch.core import canonical
from trialmatch.core.errors import SourceParseError
from trialmatch.core.registry_ids import registry_page
from trialmatch.core.trial import Site, Trial

if TYPE_CHECKING:
    from crawler.polite import PoliteFetcher
    from trialmatch.core.settings import Settings

NAME = "ctis"
PUBLIC_BASE_URL = "https://euclinicaltrials.eu/ctis-public-api"

# CTIS's labels of ctPublicStatusCode (the portal shows these words).
STATUS_WORDS = {
    1: "Under evaluation",
    2: "Authorised, recruitment pending",
    3: "Authorised, recruiting",
    4: "Ongoing, recruiting",
    5: "Ongoing, recruitment ended",
    6: "Temporarily halted",
    7: "Suspended",
    8: "Ended",
    9: "Expired",
    10: "Revoked",
    11: "Not authorised",
    12: "Cancelled",
}
# Part I age range categories: (lowest, highest) age in years; None: no upper limit.
AGE_RANGES: dict[str, tuple[float, float | None]] = {
    "2": (0.0, 17.0),
    "3": (18.0, 64.0),
    "4": (65.0, None),
}
_AGE_GROUPS: dict[str, tuple[float, float | None]] = {
    "0-17 years": (0.0, 17.0),
    "18-64 years": (18.0, 64.0),
    "65+ years": (65.0, None),
}
PHASES = {
    "1": "Phase I (first administration to humans)",
    "2": "Phase I (bioequivalence)",
    "3": "Phase I",
    "4": "Phase II",
    "5": "Phase III",
    "6": "Phase IV",
    "7": "Phase I and Phase II",
    "8": "Phase II and Phase III",
    "9": "Phase III and Phase IV",
}


def recognises(head: bytes, name: str) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith((b"{", b"[")):
        return False
    return any(key in head for key in (b'"ctNumber"', b'"showWarning"')) or text.strip() == b"{}"


@dataclass(frozen=True)
class SearchPage:
    """One search response: its overview rows and where the paging stands."""

    rows: list[dict[str, Any]]
    current_page: int
    total_pages: int
    total_records: int

    @property
    def has_next(self) -> bool:
        return bool(self.rows) and self.current_page < self.total_pages


def read_search_page(page: bytes, url: str) -> SearchPage:
    """A search response; `SourceParseError` when the portal refused the request."""
    document = _decode(page, url)
    if not isinstance(document, Mapping) or not isinstance(document.get("data"), list):
        raise SourceParseError(
            "not a CTIS search response (no 'data' list)",
            registry=NAME,
            url=url,
            excerpt=excerpt(page),
        )
    pagination = document.get("pagination") or {}
    rows = [row for row in document["data"] if isinstance(row, dict)]
    if document.get("showWarning") is True and not rows:
        raise SourceParseError(
            "CTIS refused the search (showWarning with no rows): the request body is not one it "
            "accepts, which is not the same as no trial found",
            registry=NAME,
            url=url,
            excerpt=excerpt(page),
        )
    return SearchPage(
        rows=rows,
        current_page=int(pagination.get("currentPage") or 0),
        total_pages=int(pagination.get("totalPages") or 0),
        total_records=int(pagination.get("totalRecords") or 0),
    )


def parse(page: bytes, url: str) -> Iterator[Trial]:
    return parse_with(read_records, page, url)


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    """Every trial of a saved response: a full record, a search page, or a list of records."""
    data = stream.read()
    try:
        document = _decode(data, where)
    except SourceParseError as exc:
        yield exc
        return
    if isinstance(document, Mapping) and "data" in document:
        try:
            search = read_search_page(data, where)
        except SourceParseError as exc:
            yield exc
            return
        for number, row in enumerate(search.rows, start=1):
            yield _record(row, where, f"row {number}")
        return
    records = _records_of(document)
    if records is None:
        yield SourceParseError(
            "not a CTIS record: no ctNumber"
            if document != {}
            else "an empty record: CTIS answers {} for a CT number it does not know",
            registry=NAME,
            url=where,
            excerpt=excerpt(data),
        )
        return
    for number, record in enumerate(records, start=1):
        yield _record(record, where, f"record {number}")


def _records_of(document: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(document, list):
        return [item for item in document if isinstance(item, Mapping)]
    if not isinstance(document, Mapping) or not document:
        return None
    if "ctNumber" in document:
        return [document]
    # a saved collection keyed by CT number
    values = [value for value in document.values() if isinstance(value, Mapping)]
    if values and all("ctNumber" in value for value in values):
        return values
    return None


def _decode(data: bytes, where: str) -> Any:
    try:
        return canonical.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceParseError(
            f"invalid JSON: {exc}", registry=NAME, url=where, excerpt=excerpt(data)
        ) from exc


def _record(record: Mapping[str, Any], where: str, position: str) -> Trial | SourceParseError:
    ct_number = record.get("ctNumber")
    if not isinstance(ct_number, str) or not ct_number:
        return SourceParseError(
            "a record without ctNumber", registry=NAME, url=where, position=position
        )
    try:
        return trial_from_record(record, source_url=where)
    except (ValueError, TypeError, AttributeError) as exc:
        return SourceParseError(
            f"trial {ct_number}: {exc}", registry=NAME, url=where, position=position
        )


def trial_from_record(
    record: Mapping[str, Any], *, source_url: str, overview: Mapping[str, Any] | None = None
) -> Trial:
    """A full record (either layout) or a search row as a `Trial`; *overview* fills gaps."""
    merged: dict[str, Any] = {**(overview or {}), **record}
    ct_number = str(merged["ctNumber"])
    part_one = _part_one(merged)
    details = _get(part_one, "trialDetails")
    information = _get(details, "trialInformation")
    identifiers = _get(details, "clinicalTrialIdentifiers")
    population = _get(information, "populationOfTrialSubjects")
    low, high = _ages(population, merged.get("ageGroup"))
    page = registry_page(ct_number)
    return Trial(
        registry=NAME,
        trial_id=ct_number,
        source_url=source_url,
        page_url=page,
        brief_title=clean(
            identifiers.get("publicTitle") or merged.get("shortTitle") or merged.get("ctTitle")
        ),
        official_title=clean(
            identifiers.get("fullTitle") or merged.get("ctTitle") or merged.get("title")
        ),
        overall_status=status_word(merged),
        conditions=_conditions(part_one, information, merged),
        keywords=tuple(
            dict.fromkeys(
                clean(term.get("termName"))
                for term in _list(_get(information, "medicalCondition"), "meddraConditionTerms")
                if term.get("termName")
            )
        ),
        phases=_phases(information, merged),
        study_type="Interventional",
        sex=_sex(population, merged.get("gender")),
        minimum_age_years=low,
        maximum_age_years=high,
        eligibility_text=_criteria(_get(information, "eligibilityCriteria")),
        last_update=_last_update(merged),
        sites=_sites(merged),
        raw=dict(record),
        secondary_ids=secondary_ids(_other_numbers(merged, identifiers), ct_number),
    )


def status_word(record: Mapping[str, Any]) -> str | None:
    """CTIS's label of the trial's public status (the older layout writes the label itself)."""
    code = record.get("ctPublicStatusCode")
    if isinstance(code, int) and code in STATUS_WORDS:
        return STATUS_WORDS[code]
    status = record.get("ctStatus")
    if isinstance(status, str) and status.strip():
        return status.strip()
    if isinstance(status, int) and status in STATUS_WORDS:
        return STATUS_WORDS[status]
    return None


def _part_one(record: Mapping[str, Any]) -> Mapping[str, Any]:
    application = record.get("authorizedApplication")
    if isinstance(application, Mapping) and isinstance(application.get("authorizedPartI"), Mapping):
        return application["authorizedPartI"]
    part_one = record.get("authorizedPartI")
    return part_one if isinstance(part_one, Mapping) else {}


def _get(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(mapping: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = mapping.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _conditions(
    part_one: Mapping[str, Any], information: Mapping[str, Any], record: Mapping[str, Any]
) -> tuple[str, ...]:
    names = [item.get("medicalCondition") for item in _list(part_one, "medicalConditions")]
    names += [
        item.get("medicalCondition")
        for item in _list(_get(information, "medicalCondition"), "partIMedicalConditions")
    ]
    if not any(names) and isinstance(record.get("conditions"), str):
        names = [record["conditions"]]
    return tuple(dict.fromkeys(clean(name) for name in names if name))


def _phases(information: Mapping[str, Any], record: Mapping[str, Any]) -> tuple[str, ...]:
    code = _get(information, "trialCategory").get("trialPhase")
    if code is not None and str(code) in PHASES:
        return (PHASES[str(code)],)
    phase = record.get("trialPhase")
    return (clean(phase),) if isinstance(phase, str) and phase.strip() else ()


def _ages(population: Mapping[str, Any], age_group: Any) -> tuple[float | None, float | None]:
    spans = [
        AGE_RANGES[str(item.get("ageRangeCategoryCode") or item.get("ageRangeCategory"))]
        for item in _list(population, "ageRanges")
        if str(item.get("ageRangeCategoryCode") or item.get("ageRangeCategory")) in AGE_RANGES
    ]
    if not spans and isinstance(age_group, str):
        spans = [
            _AGE_GROUPS[part.strip()]
            for part in age_group.split(",")
            if part.strip() in _AGE_GROUPS
        ]
    if not spans:
        return None, None
    low = min(span[0] for span in spans)
    high = None if any(span[1] is None for span in spans) else max(s[1] or 0.0 for s in spans)
    return (None if low == 0 else low), high


def _sex(population: Mapping[str, Any], gender: Any) -> Any:
    female, male = population.get("isFemaleSubjects"), population.get("isMaleSubjects")
    if isinstance(female, bool) or isinstance(male, bool):
        return sex_of(female, male)
    return parse_sex(gender if isinstance(gender, str) else None)


def _criteria(eligibility: Mapping[str, Any]) -> str | None:
    def numbered(key: str) -> str:
        items = sorted(_list(eligibility, key), key=lambda item: item.get("number") or 0)
        lines = []
        for item in items:
            text = clean(item.get(key))
            if text:
                number = item.get("number")
                lines.append(
                    f"{number}. {text}" if number and not text[:3].strip(". ").isdigit() else text
                )
        return "\n".join(lines)

    return criteria_text(
        numbered("principalInclusionCriteria"), numbered("principalExclusionCriteria")
    )


def _last_update(record: Mapping[str, Any]) -> str | None:
    return latest_date(
        parse_date(str(record.get("lastUpdated") or "")),
        parse_date(str(record.get("lastPublicationUpdate") or "")),
        parse_date(str(record.get("publishDate") or "")),
        parse_date(str(record.get("decisionDate") or "")),
    )


def _sites(record: Mapping[str, Any]) -> tuple[Site, ...]:
    application = record.get("authorizedApplication")
    parts_two: list[Mapping[str, Any]] = []
    if isinstance(application, Mapping):
        parts_two = _list(application, "authorizedPartsII")
    parts_two = parts_two or _list(record, "authorizedPartsII")
    sites = []
    for part in parts_two:
        for site in _list(part, "trialSites"):
            info = _get(site, "organisationAddressInfo")
            address = _get(info, "address")
            organisation = _get(info, "organisation")
            sites.append(
                Site(
                    facility=clean(organisation.get("name")) or None,
                    city=clean(address.get("city")) or None,
                    zip=clean(address.get("postcode")) or None,
                    country=clean(address.get("countryName")) or None,
                )
            )
    if not sites:
        countries = record.get("trialCountries")
        if isinstance(countries, list):
            sites = [Site(country=str(c).split(":", 1)[0].strip()) for c in countries if c]
    return tuple(dict.fromkeys(sites))


def _other_numbers(record: Mapping[str, Any], identifiers: Mapping[str, Any]) -> list[str]:
    numbers: list[str] = []
    secondary = _get(identifiers, "secondaryIdentifyingNumbers")
    for key in ("nctNumber", "isrctnNumber", "whoUniversalTrialNumber", "utnNumber"):
        value = _get(secondary, key).get("number")
        if value:
            numbers.append(str(value))
    numbers += [str(item.get("number") or "") for item in _list(secondary, "additionalRegistries")]
    application = record.get("authorizedApplication")
    for holder in (
        _get(application, "eudraCt") if isinstance(application, Mapping) else {},
        _get(record, "eudraCtInfo"),
    ):
        if holder.get("eudraCtCode"):
            numbers.append(str(holder["eudraCtCode"]))
    return numbers


# --- online ----------------------------------------------------------------------

# ctPublicStatusCode of the trials a patient could be referred to (recruitment
# pending, authorised and recruiting, ongoing and recruiting).
CRAWLED_CODES = (2, 3, 4)
MAX_PAGE_SIZE = 100


def search_body(query: Mapping[str, str], page: int) -> dict[str, Any]:
    """The JSON body of ``POST /search`` for *query* (a crawl's stored query) and *page*."""
    criteria: dict[str, Any] = {}
    if query.get("status"):
        criteria["status"] = [int(code) for code in query["status"].split(",")]
    if query.get("medicalCondition"):
        criteria["medicalCondition"] = query["medicalCondition"]
    return {
        "pagination": {"page": page, "size": int(query.get("size", MAX_PAGE_SIZE))},
        "sort": {"property": "decisionDate", "direction": "DESC"},
        "searchCriteria": criteria,
    }


def _checked_json(body: bytes, url: str) -> bytes:
    # Invalid JSON (a cut body) is retried by the fetcher; the meaning is read after.
    _decode(body, url)
    return body


class _Online:
    """``POST {base}/search`` page by page, then ``GET {base}/retrieve/{ctNumber}`` per row.

    The cursor is the page number. CTIS has no "updated since" filter, so an
    incremental crawl pages through every status and retrieves only the rows
    updated since the date (the search rows carry ``lastUpdated``).
    """

    name = NAME

    def base_url(self, settings: Settings) -> str:
        return settings.ctis_base_url

    def plan(self, *, page_size: int, since: dt.date | None) -> CrawlPlan:
        size = str(min(page_size, MAX_PAGE_SIZE))
        if since is None:
            return CrawlPlan("full", {"size": size, "status": ",".join(map(str, CRAWLED_CODES))})
        return CrawlPlan("incremental", {"size": size, "updatedSince": since.isoformat()})

    def load_page(
        self, fetcher: PoliteFetcher, base_url: str, query: dict[str, str], cursor: str | None
    ) -> SourcePage:
        page_number = int(cursor or 1)
        search_url = f"{base_url.rstrip('/')}/search"
        body = fetcher.fetch(
            search_url, {}, _checked_json, json_body=search_body(query, page_number)
        )
        search = read_search_page(body, f"{search_url} (page {page_number})")
        since = query.get("updatedSince")
        trials: list[Trial] = []
        failures: list[SourceParseError] = []
        for row in search.rows:
            updated = parse_date(str(row.get("lastUpdated") or ""))
            if since and updated is not None and updated < since:
                continue
            outcome = self._retrieve(fetcher, base_url, row)
            (failures if isinstance(outcome, SourceParseError) else trials).append(outcome)  # type: ignore[arg-type]
        next_cursor = str(page_number + 1) if search.has_next else None
        return SourcePage(trials, failures, next_cursor, search.total_records)

    def _retrieve(
        self, fetcher: PoliteFetcher, base_url: str, row: Mapping[str, Any]
    ) -> Trial | SourceParseError:
        ct_number = str(row.get("ctNumber") or "")
        url = f"{base_url.rstrip('/')}/retrieve/{ct_number}"
        if not ct_number:
            return SourceParseError("a search row without ctNumber", registry=NAME, url=url)
        record = _decode(fetcher.fetch(url, {}, _checked_json), url)
        if not isinstance(record, Mapping) or not record.get("ctNumber"):
            return SourceParseError(
                f"CTIS retrieve of {ct_number} gave no record",
                registry=NAME,
                url=url,
                excerpt=excerpt(json.dumps(record)),
            )
        try:
            return trial_from_record(record, source_url=url, overview=row)
        except (ValueError, TypeError, AttributeError) as exc:
            return SourceParseError(f"trial {ct_number}: {exc}", registry=NAME, url=url)


ONLINE = _Online()
