"""EUCTR (EU Clinical Trials Register, clinicaltrialsregister.eu): pages and downloads.

EUCTR keeps one protocol record per member state (and ``3rd`` for a
third-country protocol): each is a registration, ``<EudraCT number>-<state>``
(``2015-000590-12-DE``), and the EudraCT number links them into one study.
Three forms are read, all into the same fields:

- a trial protocol page (``ctr-search/trial/{eudract}/{state}``), parsed with
  selectolax: EudraCT number, sponsor, member state, E.1.1 condition, E.3
  principal inclusion and E.4 principal exclusion criteria, F.1 age groups,
  F.2 gender, trial status;
- a search results page (``ctr-search/search?query=…&page=N``): one summary
  per trial (no criteria), the links to its protocol pages and the number
  of pages, for paging;
- the full-text download (``ctr-search/rest/download/full?query=…&page=N``):
  ``Summary`` blocks of ``A.1 Member State Concerned: …`` lines, one per
  member-state record.

A page with no "EudraCT Number" is refused with the reason. Trial statuses
are EUCTR's words (``Ongoing``, ``Completed``, ``Prematurely Ended`` …).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.paging import CrawlPlan, SourcePage
from crawler.sources.fields import (
    clean,
    criteria_text,
    excerpt,
    parse_date,
    secondary_ids,
    sex_of,
    strip_markup,
)
from crawler.sources.reading import parse_with
from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Site, Trial, TrialSex

if TYPE_CHECKING:
    from crawler.polite import PoliteFetcher
    from trialmatch.core.settings import Settings

NAME = "euctr"
PUBLIC_BASE_URL = "https://www.clinicaltrialsregister.eu"
# F.1 age groups (as the protocol and the download word them) and their ages in years.
AGE_GROUPS: tuple[tuple[str, float, float | None], ...] = (
    ("in utero", 0.0, 0.0),
    ("preterm newborn", 0.0, 0.1),
    ("newborns", 0.0, 0.08),
    ("infants and toddlers", 0.08, 1.99),
    ("children", 2.0, 11.0),
    ("adolescents", 12.0, 17.0),
    ("adults", 18.0, 64.0),
    ("elderly", 65.0, None),
)
_EUDRACT = re.compile(r"(?:19|20)\d\d-\d{6}-\d\d")
_STATE_FROM_LINK = re.compile(r"/trial/((?:19|20)\d\d-\d{6}-\d\d)/([A-Za-z]{2}|3rd)\b")
_PAGES = re.compile(r"Displaying page (\d+) of (\d+)")
_TRANSLATION = re.compile(r"\s\([a-z]{2}\)$")


def recognises(head: bytes, name: str) -> bool:
    text = head.decode("utf-8", errors="replace")
    if "EudraCT Number" in text[:4096] and ("Summary" in text[:4096] or "Clinical Trial" in text):
        return True
    return "clinicaltrialsregister" in text.casefold() or "EU Clinical Trials Register" in text


def parse(page: bytes, url: str) -> Iterator[Trial]:
    return parse_with(read_records, page, url)


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    data = stream.read()
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        yield SourceParseError("an empty file", registry=NAME, url=where)
        return
    if stripped.startswith("<"):
        yield from _read_html(data, where)
    else:
        yield from read_download(text, where)


# --- protocol and search pages --------------------------------------------------------


def _read_html(data: bytes, where: str) -> Iterator[Trial | SourceParseError]:
    tree = LexborHTMLParser(data)
    if tree.css_first("table.result") is not None or "result(s) found" in (tree.text() or ""):
        results = read_search_page(data, where)
        yield from results.trials
        return
    try:
        yield trial_from_protocol_page(tree, where)
    except SourceParseError as exc:
        yield exc


@dataclass(frozen=True)
class SearchResults:
    """A search results page: its trial summaries, their protocol links, and the paging."""

    trials: list[Trial]
    protocol_links: list[str]
    page: int
    pages: int


def read_search_page(data: bytes, url: str) -> SearchResults:
    tree = LexborHTMLParser(data)
    trials: list[Trial] = []
    links: list[str] = []
    for table in tree.css("table.result"):
        summary = _summary_fields(table)
        number = _EUDRACT.search(summary.get("eudract number", ""))
        if number is None:
            continue
        states = _protocol_states(table)
        links.extend(f"/ctr-search/trial/{number.group(0)}/{state}" for state, _ in states)
        for state, status in states or [("", None)]:
            trials.append(_summary_trial(number.group(0), state, status, summary, url))
    page_text = tree.text() or ""
    paging = _PAGES.search(page_text)
    page, pages = (int(paging.group(1)), int(paging.group(2))) if paging else (1, 1)
    return SearchResults(trials, links, page, pages)


def _summary_fields(table: LexborNode) -> dict[str, str]:
    fields: dict[str, str] = {}
    for cell in table.css("td"):
        label = cell.css_first("span.label")
        if label is None:
            continue
        name = clean(label.text()).rstrip("*:").rstrip("*").strip().casefold()
        value = clean(cell.text()).removeprefix(clean(label.text())).strip()
        fields.setdefault(name, value)
    return fields


def _protocol_states(table: LexborNode) -> list[tuple[str, str | None]]:
    states = []
    for link in table.css("a"):
        match = _STATE_FROM_LINK.search(link.attributes.get("href") or "")
        if match is None:
            continue
        status_node = link.next
        while status_node is not None and status_node.tag == "-text":
            status_node = status_node.next
        status = None
        if status_node is not None and "status" in (status_node.attributes.get("class") or ""):
            status = clean(status_node.text()).strip("()") or None
        states.append((match.group(2).upper(), status))
    return states


def _summary_trial(
    number: str, state: str, status: str | None, fields: Mapping[str, str], url: str
) -> Trial:
    trial_id = f"{number}-{state}" if state else number
    low, high = _age_span(
        [part.strip().casefold() for part in fields.get("population age", "").split(",")]
    )
    return Trial(
        registry=NAME,
        trial_id=trial_id,
        source_url=url,
        page_url=_protocol_url(number, state) if state else url,
        brief_title=fields.get("full title", ""),
        official_title=fields.get("full title", ""),
        overall_status=status,
        conditions=(fields["medical condition"],) if fields.get("medical condition") else (),
        sex=_sex_from_words(fields.get("gender", "")),
        minimum_age_years=low,
        maximum_age_years=high,
        raw={"search_result": dict(fields), "member_state": state, "status": status},
    )


def _protocol_url(number: str, state: str) -> str:
    return f"{PUBLIC_BASE_URL}/ctr-search/trial/{number}/{'3rd' if state == '3RD' else state}"


def trial_from_protocol_page(tree: LexborHTMLParser, where: str) -> Trial:
    summary = _page_summary(tree)
    rows = _section_rows(tree)
    number_match = _EUDRACT.search(rows.get("A.2", "") or summary.get("eudract number", ""))
    if number_match is None:
        raise SourceParseError(
            "no EudraCT number on the page: not an EUCTR protocol page",
            registry=NAME,
            url=where,
            excerpt=excerpt(clean(tree.text() or "")),
        )
    if "E.3" not in rows and "E.4" not in rows and "A.3" not in rows:
        raise SourceParseError(
            f"EUCTR page of {number_match.group(0)} has no protocol sections (A, E, F): "
            "not a trial protocol page, or a cut one",
            registry=NAME,
            url=where,
            excerpt=excerpt(clean(tree.text() or "")),
        )
    state = _member_state(where, rows.get("A.1"), summary)
    fields = {
        "eudract_number": number_match.group(0),
        "member_state": state,
        "member_state_concerned": rows.get("A.1", ""),
        "status": summary.get("trial status") or rows.get("P.", ""),
        "full_title": rows.get("A.3", ""),
        "lay_title": rows.get("A.3.1", ""),
        "sponsor": rows.get("B.1.1", ""),
        "protocol_code": rows.get("A.4.1", ""),
        "condition": rows.get("E.1.1", ""),
        "condition_lay": rows.get("E.1.1.1", ""),
        "inclusion": rows.get("E.3", ""),
        "exclusion": rows.get("E.4", ""),
        "first_entered": summary.get(
            "date on which this record was first entered in the eudract database", ""
        ),
        "decision_date": rows.get("N.date", ""),
        "phase_rows": "; ".join(
            key for key in ("E.7.1", "E.7.2", "E.7.3", "E.7.4") if rows.get(key) == "Yes"
        ),
        "age_groups": "; ".join(_age_group_names(rows)),
        "female": rows.get("F.2.1", ""),
        "male": rows.get("F.2.2", ""),
        "healthy": rows.get("F.3.1", ""),
        "other_ids": " ".join(rows.get(key, "") for key in ("A.5.1", "A.5.2", "A.5.3", "A.5.4")),
    }
    return trial_from_fields(fields, where)


def _page_summary(tree: LexborHTMLParser) -> dict[str, str]:
    summary: dict[str, str] = {}
    for row in tree.css("tr"):
        cells = row.css("td")
        if len(cells) == 2 and "cellGrey" in (cells[0].attributes.get("class") or ""):
            summary[clean(cells[0].text()).rstrip(":").casefold()] = clean(cells[1].text())
    return summary


def _section_rows(tree: LexborHTMLParser) -> dict[str, str]:
    """``{"E.3": text, "F.1.2": "Yes", "N.date": …}`` from the protocol's three-cell rows."""
    rows: dict[str, str] = {}
    for row in tree.css("tr.tricell"):
        cells = row.css("td")
        if len(cells) < 3:
            continue
        key = cells[0].text(strip=True)
        if key not in _WANTED_ROWS and not key.startswith(("F.1", "A.5")):
            continue  # most of a protocol (its products, D.*) is not read: skip it cheaply
        label = clean(cells[1].text())
        value = _cell_text(cells[2])
        if key == "N." and label.startswith("Date of Competent"):
            key = "N.date"
        elif key == "P.":
            key = "P."
        elif key.startswith("F.1") and "number of subjects" in label.casefold():
            continue
        elif key.startswith("F.1"):
            rows[f"age:{label}"] = value
        rows.setdefault(key, value)
    return rows


_WANTED_ROWS = frozenset(
    {
        "A.1", "A.2", "A.3", "A.3.1", "A.4.1", "B.1.1", "E.1.1", "E.1.1.1", "E.3", "E.4",
        "E.7.1", "E.7.2", "E.7.3", "E.7.4", "F.2.1", "F.2.2", "F.3.1", "N.", "P.",
    }
)  # fmt: skip


def _cell_text(cell: LexborNode) -> str:
    # The long texts sit in an inner table, one <br> per line; keep the lines.
    html = cell.html or ""
    inner = re.sub(r"^<td[^>]*>|</td>$", "", html.strip(), flags=re.S)
    return strip_markup(inner)


def _age_group_names(rows: Mapping[str, str]) -> list[str]:
    return [key[4:] for key, value in rows.items() if key.startswith("age:") and value == "Yes"]


def _member_state(where: str, concerned: str | None, summary: Mapping[str, str]) -> str:
    match = _STATE_FROM_LINK.search(where)
    if match is not None:
        return match.group(2).upper()
    name = (concerned or summary.get("national competent authority", "")).split(" - ")[0]
    return MEMBER_STATES.get(name.strip().casefold(), "3RD" if not name.strip() else "")


# --- the full-text download -----------------------------------------------------------


def read_download(text: str, where: str) -> Iterator[Trial | SourceParseError]:
    """Each member-state record of a full-text download, one `Trial` per ``Summary`` block."""
    blocks = re.split(r"(?m)^Summary\s*$", text)
    if len(blocks) < 2:
        yield SourceParseError(
            "not an EUCTR full-text download: no 'Summary' block",
            registry=NAME,
            url=where,
            excerpt=excerpt(text),
        )
        return
    line = text[: len(blocks[0])].count("\n") + 1
    for number, block in enumerate(blocks[1:], start=1):
        position = f"record {number} (line {line})"
        line += block.count("\n")
        fields = _download_fields(block)
        if not _EUDRACT.search(fields.get("EudraCT Number", "")):
            yield SourceParseError(
                "a Summary block without 'EudraCT Number'",
                registry=NAME,
                url=where,
                position=position,
                excerpt=excerpt(block.strip()),
            )
            continue
        try:
            yield trial_from_fields(_download_record(fields), where)
        except (ValueError, TypeError) as exc:
            yield SourceParseError(str(exc), registry=NAME, url=where, position=position)


_LINE = re.compile(r"^([A-Z](?:\.\d+)*\.?|[A-Z]\.[A-Z]+: \d+|[\w' ]+?)(?: |\t)+(.*?):\s?(.*)$")


def _download_fields(block: str) -> dict[str, str]:
    """``{"E.3": text, "EudraCT Number": …}``: the first (English) value of each field.

    A value runs on over the following lines until the next numbered field,
    so multi-line criteria stay whole. Translations (``E.3 … (es):``) are skipped.
    """
    fields: dict[str, str] = {}
    current: str | None = None
    for raw_line in block.split("\n"):
        line = raw_line.rstrip("\r")
        key, label, value = _split_field(line)
        if key is not None:
            if _TRANSLATION.search(label or ""):
                current = None
                continue
            current = key if key not in fields else None
            if current is not None:
                fields[current] = value
                if label and key[0] == "F":
                    fields[f"label:{key}"] = label
            continue
        if current is not None and line.strip():
            fields[current] += "\n" + line
    return fields


_FIELD = re.compile(r"^([A-P](?:\.\d+)+|[A-P]\.|[A-P]\.\d+(?: and [A-P]\.\d+)+)\s+(.+?):\s?(.*)$")
_SUMMARY_FIELD = re.compile(
    r"^(EudraCT Number|Sponsor's Protocol Code Number|National Competent Authority|"
    r"Clinical Trial Type|Trial Status|Date on which this record was first entered in the "
    r"EudraCT database|Link):\s?(.*)$"
)


def _split_field(line: str) -> tuple[str | None, str | None, str]:
    summary = _SUMMARY_FIELD.match(line)
    if summary is not None:
        return summary.group(1), None, summary.group(2).strip()
    field = _FIELD.match(line.replace("\t", " "))
    if field is None:
        return None, None, ""
    key, label, value = field.groups()
    if key == "N." and label.startswith("Date of Competent"):
        key = "N.date"
    elif key == "N.":
        key = f"N.{label}"
    elif key.startswith("F.1") and "Number of subjects" in label:
        key = f"{key}.count"
    return key, label, value.strip()


def _download_record(fields: Mapping[str, str]) -> dict[str, str]:
    ages = [
        fields.get(f"label:{key}", "")
        for key in sorted(fields)
        if key.startswith("F.1.") and not key.endswith(".count") and fields[key].strip() == "Yes"
    ]
    link = fields.get("Link", "")
    return {
        "eudract_number": _EUDRACT.search(fields["EudraCT Number"]).group(0),  # type: ignore[union-attr]
        "member_state": _member_state(link, fields.get("A.1"), {}),
        "member_state_concerned": fields.get("A.1", ""),
        "status": fields.get("Trial Status") or fields.get("P.", ""),
        "full_title": fields.get("A.3", ""),
        "lay_title": fields.get("A.3.1", ""),
        "sponsor": fields.get("B.1.1", ""),
        "protocol_code": fields.get("A.4.1", ""),
        "condition": fields.get("E.1.1", ""),
        "condition_lay": fields.get("E.1.1.1", ""),
        "inclusion": fields.get("E.3", ""),
        "exclusion": fields.get("E.4", ""),
        "first_entered": fields.get(
            "Date on which this record was first entered in the EudraCT database", ""
        ),
        "decision_date": fields.get("N.date", ""),
        "phase_rows": "; ".join(
            key for key in ("E.7.1", "E.7.2", "E.7.3", "E.7.4") if fields.get(key) == "Yes"
        ),
        "age_groups": "; ".join(ages),
        "female": fields.get("F.2.1", ""),
        "male": fields.get("F.2.2", ""),
        "healthy": fields.get("F.3.1", ""),
        "link": link,
        "other_ids": " ".join(fields.get(key, "") for key in ("A.5.1", "A.5.2", "A.5.3", "A.5.4")),
    }


# --- one member-state record -------------------------------------------------------------

_PHASE_NAMES = {"E.7.1": "Phase I", "E.7.2": "Phase II", "E.7.3": "Phase III", "E.7.4": "Phase IV"}
# ctrdata marks values it could not read with this placeholder; it is no value.
_PLACEHOLDERS = frozenset({"JSON_ERROR_HERE"})


def trial_from_fields(fields: Mapping[str, str], where: str) -> Trial:
    """One member-state protocol record (from a page or the download) as a `Trial`."""
    values = {
        key: ("" if value.strip() in _PLACEHOLDERS else value) for key, value in fields.items()
    }
    number = values["eudract_number"]
    state = values.get("member_state") or ""
    trial_id = f"{number}-{state}" if state else number
    low, high = _age_span([name.casefold() for name in values.get("age_groups", "").split("; ")])
    page = (
        _protocol_url(number, state)
        if state
        else f"{PUBLIC_BASE_URL}/ctr-search/search?query={number}"
    )
    conditions = [clean(values.get("condition")), clean(values.get("condition_lay"))]
    return Trial(
        registry=NAME,
        trial_id=trial_id,
        source_url=values.get("link") or (where if where.startswith("http") else page),
        page_url=page,
        brief_title=clean(values.get("lay_title")) or clean(values.get("full_title")),
        official_title=clean(values.get("full_title")),
        overall_status=clean(values.get("status")) or None,
        conditions=tuple(dict.fromkeys(c for c in conditions if c)),
        phases=tuple(_PHASE_NAMES[key] for key in values.get("phase_rows", "").split("; ") if key),
        study_type="Interventional",
        sex=sex_of(_yes(values.get("female")), _yes(values.get("male"))),
        minimum_age_years=low,
        maximum_age_years=high,
        healthy_volunteers=_yes(values.get("healthy")),
        eligibility_text=criteria_text(values.get("inclusion"), values.get("exclusion")),
        last_update=parse_date(values.get("decision_date"))
        or parse_date(values.get("first_entered")),
        sites=(Site(country=_country(values.get("member_state_concerned", ""))),)
        if values.get("member_state_concerned")
        else (),
        raw=dict(values),
        secondary_ids=secondary_ids([values.get("other_ids")], trial_id),
        # a page cut short, or a record without section E: stored, and said so
        flags=()
        if values.get("inclusion") or values.get("exclusion")
        else ("no_eligibility_section",),
    )


def _yes(text: str | None) -> bool | None:
    value = (text or "").strip().casefold()
    return True if value == "yes" else False if value == "no" else None


def _age_span(names: list[str]) -> tuple[float | None, float | None]:
    spans = [
        (low, high)
        for name in names
        for label, low, high in AGE_GROUPS
        if name and name.startswith(label)
    ]
    if not spans:
        return None, None
    low = min(span[0] for span in spans)
    high = None if any(span[1] is None for span in spans) else max(s[1] or 0.0 for s in spans)
    return (None if low == 0 else low), high


def _sex_from_words(text: str) -> TrialSex:
    words = {word.strip().casefold() for word in text.split(",")}
    return sex_of("female" in words, "male" in words)


def _country(concerned: str) -> str | None:
    name = concerned.split(" - ")[0].strip()
    return name or None


MEMBER_STATES = {
    "austria": "AT",
    "belgium": "BE",
    "bulgaria": "BG",
    "croatia": "HR",
    "cyprus": "CY",
    "czech republic": "CZ",
    "czechia": "CZ",
    "denmark": "DK",
    "estonia": "EE",
    "finland": "FI",
    "france": "FR",
    "germany": "DE",
    "greece": "GR",
    "hungary": "HU",
    "iceland": "IS",
    "ireland": "IE",
    "italy": "IT",
    "latvia": "LV",
    "liechtenstein": "LI",
    "lithuania": "LT",
    "luxembourg": "LU",
    "malta": "MT",
    "netherlands": "NL",
    "norway": "NO",
    "poland": "PL",
    "portugal": "PT",
    "romania": "RO",
    "slovakia": "SK",
    "slovenia": "SI",
    "spain": "ES",
    "sweden": "SE",
    "united kingdom": "GB",
    "uk": "GB",
}


# --- online ----------------------------------------------------------------------


def _text(body: bytes, url: str) -> str:
    return body.decode("utf-8", errors="replace")


class _Online:
    """Search result pages for paging, the full-text download of each page for the records.

    The cursor is the page number; a full crawl asks for ongoing trials, an
    incremental one for records entered since the date.
    """

    name = NAME

    def base_url(self, settings: Settings) -> str:
        return settings.euctr_base_url

    def plan(self, *, page_size: int, since: dt.date | None) -> CrawlPlan:
        if since is None:
            return CrawlPlan("full", {"query": "", "status": "ongoing"})
        return CrawlPlan("incremental", {"query": "", "dateFrom": since.isoformat()})

    def load_page(
        self, fetcher: PoliteFetcher, base_url: str, query: dict[str, str], cursor: str | None
    ) -> SourcePage:
        page_number = int(cursor or 1)
        root = base_url.rstrip("/")
        params = {**query, "page": str(page_number)}
        search_url = f"{root}/ctr-search/search"
        html = fetcher.fetch(search_url, params, lambda body, url: body)
        results = read_search_page(html, search_url)
        download_url = f"{root}/ctr-search/rest/download/full"
        text = fetcher.fetch(download_url, {**params, "mode": "current_page"}, _text)
        trials: list[Trial] = []
        failures: list[SourceParseError] = []
        if results.trials:
            for outcome in read_download(text, f"{download_url}?page={page_number}"):
                (failures if isinstance(outcome, SourceParseError) else trials).append(outcome)  # type: ignore[arg-type]
        next_cursor = str(page_number + 1) if page_number < results.pages else None
        return SourcePage(trials, failures, next_cursor, None)


ONLINE = _Online()
