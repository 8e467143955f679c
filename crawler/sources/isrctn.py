"""ISRCTN: its API's XML (``<allTrials><fullTrial><trial>…``) and its WHO-format XML.

A ``<fullTrial>`` holds the ``<trial>`` (ids, ``<participants>`` with
``<inclusion>``/``<exclusion>``, age limits, gender, recruitment countries
and ``<trialCentres>``, ``<conditions>``) and, beside it, the ``<contact>``,
``<sponsor>`` and ``<funder>`` records it refers to. The API's WHO format
(``format/who``, the WHO Trial Registration Data Set) is read by the WHO
ICTRP source's reader and stored as ISRCTN's own.

ISRCTN states recruitment as dates, not a word: the word kept is the one its
page shows, as of the record's last update (``Not yet recruiting`` before
``recruitmentStart``, ``Recruiting`` until ``recruitmentEnd``, then ``No
longer recruiting``), unless ``recruitmentStatusOverride`` says otherwise
(``Stopped``, ``Suspended``). Parsing stays a pure function of the bytes.

Online: ``GET {base}/api/query/format/default?q=…&limit=N&offset=K``.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from crawler.paging import CrawlPlan, SourcePage
from crawler.sources import who_ictrp
from crawler.sources.fields import (
    age_limits,
    clean,
    criteria_text,
    excerpt,
    parse_age_years,
    parse_date,
    parse_sex,
    secondary_ids,
)
from crawler.sources.reading import parse_with
from crawler.sources.xml_records import (
    child,
    children,
    iter_records,
    local_name,
    path_text,
    peek_head,
    root_name,
    text_of,
)
from trialmatch.core.errors import SourceParseError
from trialmatch.core.trial import Site, Trial

if TYPE_CHECKING:
    from crawler.polite import PoliteFetcher
    from trialmatch.core.settings import Settings

NAME = "isrctn"
PUBLIC_BASE_URL = "https://www.isrctn.com"
ROOTS = frozenset({"allTrials", "fullTrial"})


def recognises(head: bytes, name: str) -> bool:
    root = root_name(head)
    if root in ROOTS:
        return True
    return root == "trials" and b"ISRCTN" in head


def parse(page: bytes, url: str) -> Iterator[Trial]:
    return parse_with(read_records, page, url)


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    head = peek_head(stream)
    root = root_name(head)
    if root == "trials":
        yield from _who_format(stream, where)
        return
    if root not in ROOTS:
        yield SourceParseError(
            f"not an ISRCTN API response: the document is <{root or 'no XML'}>, not <allTrials>",
            registry=NAME,
            url=where,
            excerpt=excerpt(head),
        )
        return
    count = 0
    for item in iter_records(stream, "fullTrial".__eq__, registry=NAME, where=where):
        if isinstance(item, SourceParseError):
            yield item
            return
        number, element = item
        count += 1
        yield _parsed(element, where, number)
    if count == 0:
        yield SourceParseError("the response holds no <fullTrial>", registry=NAME, url=where)


def _who_format(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    for outcome in who_ictrp.read_records(stream, where):
        if isinstance(outcome, SourceParseError):
            outcome.registry = NAME
            yield outcome
            continue
        yield Trial(**{**vars(outcome), "registry": NAME, "flags": ()})


def _parsed(full_trial: ET.Element, where: str, number: int) -> Trial | SourceParseError:
    trial = child(full_trial, "trial")
    number_text = "" if trial is None else path_text(trial, "isrctn")
    if trial is None or not number_text:
        return SourceParseError(
            "<fullTrial> without <trial><isrctn>",
            registry=NAME,
            url=where,
            position=f"record {number}",
        )
    trial_id = f"ISRCTN{number_text}"
    try:
        return _trial(trial, trial_id, where)
    except (ValueError, TypeError) as exc:
        return SourceParseError(
            f"record {trial_id}: {exc}", registry=NAME, url=where, position=f"record {number}"
        )


def _trial(trial: ET.Element, trial_id: str, where: str) -> Trial:
    participants = child(trial, "participants")
    if participants is None:
        participants = ET.Element("participants")
    low, high = age_limits(_age(participants, "lowerAgeLimit"), _age(participants, "upperAgeLimit"))
    last_update = parse_date(trial.get("lastUpdated"))
    page = f"{PUBLIC_BASE_URL}/{trial_id}"
    return Trial(
        registry=NAME,
        trial_id=trial_id,
        source_url=page,
        page_url=page,
        brief_title=clean(path_text(trial, "trialDescription", "title")),
        official_title=clean(path_text(trial, "trialDescription", "scientificTitle")),
        overall_status=recruitment_word(participants, last_update),
        conditions=tuple(
            dict.fromkeys(
                clean(text_of(child(condition, "description")))
                for condition in _all(trial, "conditions", "condition")
                if text_of(child(condition, "description"))
            )
        ),
        keywords=tuple(
            dict.fromkeys(
                clean(text_of(child(condition, "diseaseClass1")))
                for condition in _all(trial, "conditions", "condition")
                if text_of(child(condition, "diseaseClass1"))
            )
        ),
        phases=tuple(
            dict.fromkeys(
                clean(text_of(child(item, "phase")))
                for item in _all(trial, "interventions", "intervention")
                if text_of(child(item, "phase")) not in ("", "Not Applicable", "Not Specified")
            )
        ),
        study_type=clean(path_text(trial, "trialDesign", "primaryStudyDesign")) or None,
        sex=parse_sex(path_text(participants, "gender")),
        minimum_age_years=low,
        maximum_age_years=high,
        healthy_volunteers=_boolean(path_text(participants, "healthyVolunteersAllowed")),
        eligibility_text=criteria_text(
            path_text(participants, "inclusion"), path_text(participants, "exclusion")
        ),
        last_update=last_update,
        sites=_sites(participants),
        raw=_as_dict(trial),
        secondary_ids=secondary_ids(_external_refs(trial), trial_id),
    )


def recruitment_word(participants: ET.Element, as_of: str | None) -> str | None:
    """The recruitment status ISRCTN's page shows, as of the record's last update."""
    override = clean(path_text(participants, "recruitmentStatusOverride"))
    if override:
        return override
    start = parse_date(path_text(participants, "recruitmentStart"))
    end = parse_date(path_text(participants, "recruitmentEnd"))
    if as_of is None or (start is None and end is None):
        return None
    if start is not None and as_of < start:
        return "Not yet recruiting"
    if end is not None and as_of > end:
        return "No longer recruiting"
    return "Recruiting"


def _age(participants: ET.Element, name: str) -> float | None:
    element = child(participants, name)
    if element is None:
        return None
    value = element.get("value")
    unit = element.get("unit")
    return parse_age_years(value, unit=unit) if value else parse_age_years(text_of(element))


def _all(element: ET.Element, *names: str) -> list[ET.Element]:
    current = [element]
    for name in names:
        current = [found for item in current for found in children(item, name)]
    return current


def _boolean(text: str) -> bool | None:
    value = text.strip().casefold()
    return True if value == "true" else False if value == "false" else None


def _external_refs(trial: ET.Element) -> list[str]:
    refs = child(trial, "externalRefs")
    if refs is None:
        return []
    texts = [text_of(item) for item in refs if local_name(item.tag) != "secondaryNumbers"]
    numbers = child(refs, "secondaryNumbers")
    if numbers is not None:
        texts.extend(item.get("canonicalSecondaryNumber") or text_of(item) for item in numbers)
    return texts


def _sites(participants: ET.Element) -> tuple[Site, ...]:
    def value(centre: ET.Element, name: str) -> str | None:
        text = clean(path_text(centre, name))
        return None if text in ("", "-") else text  # ISRCTN writes "-" for none

    sites = [
        Site(
            facility=value(centre, "name"),
            city=value(centre, "city"),
            state=value(centre, "state"),
            zip=value(centre, "zip"),
            country=value(centre, "country"),
        )
        for centre in _all(participants, "trialCentres", "trialCentre")
    ]
    if not sites:
        countries = _all(participants, "recruitmentCountries", "country")
        sites = [Site(country=text_of(country)) for country in countries if text_of(country)]
    return tuple(dict.fromkeys(sites))


def _as_dict(element: ET.Element) -> dict[str, object]:
    result: dict[str, object] = dict(element.attrib)
    for item in element:
        name = local_name(item.tag)
        value: object = _as_dict(item) if len(item) or item.attrib else (item.text or "").strip()
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    text = (element.text or "").strip()
    if text and (len(element) or element.attrib):
        result["#text"] = text
    return result


# --- online ----------------------------------------------------------------------

# The API has no paging: the crawl walks windows of edit dates instead.
FULL_CRAWL_FROM = "2000-01-01"


def _body(body: bytes, url: str) -> bytes:
    return body


class _Online:
    """``GET {base}/api/query/format/default?q=lastEdited GE … AND lastEdited LT …&limit=…``.

    The cursor is the first day of the next window of edit dates; a full
    crawl walks years from 2000, an incremental one months from the date.
    """

    name = NAME

    def base_url(self, settings: Settings) -> str:
        return settings.isrctn_base_url

    def plan(self, *, page_size: int, since: dt.date | None) -> CrawlPlan:
        if since is None:
            return CrawlPlan("full", {"from": FULL_CRAWL_FROM, "window_days": "365"})
        return CrawlPlan("incremental", {"from": since.isoformat(), "window_days": "31"})

    def load_page(
        self, fetcher: PoliteFetcher, base_url: str, query: dict[str, str], cursor: str | None
    ) -> SourcePage:
        start = dt.date.fromisoformat(cursor or query["from"])
        end = start + dt.timedelta(days=int(query.get("window_days", "365")))
        url = f"{base_url.rstrip('/')}/api/query/format/default"
        search = (
            f"lastEdited GE {start.isoformat()}T00:00:00.000Z"
            f" AND lastEdited LT {end.isoformat()}T00:00:00.000Z"
        )
        body = fetcher.fetch(url, {"q": search, "limit": "100000"}, _body)
        trials: list[Trial] = []
        failures: list[SourceParseError] = []
        for outcome in read_records(io.BytesIO(body), f"{url}?q={search}"):
            if isinstance(outcome, SourceParseError) and "holds no <fullTrial>" in str(outcome):
                continue  # a window with no edits
            (failures if isinstance(outcome, SourceParseError) else trials).append(outcome)  # type: ignore[arg-type]
        today = dt.datetime.now(dt.UTC).date()
        next_cursor = end.isoformat() if end <= today else None
        return SourcePage(trials, failures, next_cursor, None)


ONLINE = _Online()
