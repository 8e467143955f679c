"""ANZCTR (Australian New Zealand Clinical Trials Registry): its XML download.

One ``<ANZCTR_Trial>`` per registration (``<actrnumber>``), or a
``<CT.GOV_Trial>`` for a ClinicalTrials.gov study ANZCTR mirrors in the same
layout (``<nctid>``; stored under its NCT number, and never over the
ClinicalTrials.gov record itself). The bulk download is a folder or zip of
such files; a file holding many records is streamed all the same.
Dates are ``D/MM/YYYY``. ANZCTR has no online interface for machines.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from crawler.sources.fields import (
    age_limits,
    canonical_id,
    clean,
    criteria_text,
    parse_age_years,
    parse_date,
    parse_sex,
    secondary_ids,
)
from crawler.sources.reading import parse_with
from crawler.sources.xml_records import all_texts, iter_records, path_text, root_name
from trialmatch.core.errors import SourceParseError
from trialmatch.core.registry_ids import registry_page
from trialmatch.core.trial import Site, Trial

NAME = "anzctr"
RECORD_ELEMENTS = frozenset({"ANZCTR_Trial", "CT.GOV_Trial"})
_NO_ID = frozenset({"", "nil", "nil known", "none", "n/a", "na"})


def recognises(head: bytes, name: str) -> bool:
    root = root_name(head)
    return root in RECORD_ELEMENTS or (root is not None and b"<ANZCTR_Trial" in head)


def parse(page: bytes, url: str) -> Iterator[Trial]:
    return parse_with(read_records, page, url)


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    found = False
    for item in iter_records(stream, RECORD_ELEMENTS.__contains__, registry=NAME, where=where):
        if isinstance(item, SourceParseError):
            yield item
            return
        number, element = item
        found = True
        yield _parsed(element, where, number)
    if not found:
        yield SourceParseError(
            "no <ANZCTR_Trial> or <CT.GOV_Trial> record in the file", registry=NAME, url=where
        )


def _parsed(element: ET.Element, where: str, number: int) -> Trial | SourceParseError:
    trial_id = canonical_id(path_text(element, "actrnumber") or path_text(element, "nctid"))
    if not trial_id:
        return SourceParseError(
            f"<{element.tag}> without <actrnumber> or <nctid>",
            registry=NAME,
            url=where,
            position=f"record {number}",
        )
    try:
        return trial_from_element(element, trial_id, where)
    except (ValueError, TypeError) as exc:
        return SourceParseError(
            f"record {trial_id}: {exc}", registry=NAME, url=where, position=f"record {number}"
        )


def trial_from_element(element: ET.Element, trial_id: str, where: str) -> Trial:
    low = parse_age_years(
        path_text(element, "eligibility", "inclusiveminage"),
        unit=path_text(element, "eligibility", "inclusiveminagetype"),
    )
    high = parse_age_years(
        path_text(element, "eligibility", "inclusivemaxage"),
        unit=path_text(element, "eligibility", "inclusivemaxagetype"),
    )
    low, high = age_limits(low, high)
    identification = ("trial_identification",)
    secondary = [
        path_text(element, *identification, "utrn"),
        *all_texts(element, *identification, "secondaryid"),
    ]
    page = registry_page(trial_id)
    return Trial(
        registry=NAME,
        trial_id=trial_id,
        source_url=page or where,
        page_url=page,
        brief_title=clean(path_text(element, *identification, "studytitle")),
        official_title=clean(path_text(element, *identification, "scientifictitle")),
        overall_status=clean(path_text(element, "recruitment", "recruitmentstatus")) or None,
        conditions=tuple(
            dict.fromkeys(clean(t) for t in all_texts(element, "conditions", "healthcondition"))
        ),
        keywords=tuple(
            dict.fromkeys(
                clean(t)
                for t in all_texts(element, "conditions", "conditioncode", "conditioncode2")
            )
        ),
        phases=_phases(path_text(element, "recruitment", "phase")),
        study_type=clean(path_text(element, "trial_design", "studytype")) or None,
        sex=parse_sex(path_text(element, "eligibility", "inclusivegender")),
        minimum_age_years=low,
        maximum_age_years=high,
        healthy_volunteers=_yes_no(path_text(element, "eligibility", "healthyvolunteer")),
        eligibility_text=criteria_text(
            path_text(element, "eligibility", "inclusivecriteria"),
            path_text(element, "eligibility", "exclusivecriteria"),
        ),
        last_update=_last_update(element),
        sites=_sites(element),
        raw=_as_dict(element),
        secondary_ids=secondary_ids(
            (text for text in secondary if text.casefold() not in _NO_ID), trial_id
        ),
    )


def _phases(text: str) -> tuple[str, ...]:
    value = clean(text)
    if not value or value.casefold() in {"not applicable", "n/a"}:
        return ()
    return tuple(part.strip() for part in value.split("/") if part.strip())


def _yes_no(text: str) -> bool | None:
    value = text.strip().casefold()
    return True if value == "yes" else False if value == "no" else None


def _last_update(element: ET.Element) -> str | None:
    dates = [
        parse_date(path_text(element, name))
        for name in ("lastupdate", "approvaldate", "submitdate")
    ]
    known = [date for date in dates if date]
    return max(known) if known else None


def _sites(element: ET.Element) -> tuple[Site, ...]:
    recruitment = ("recruitment",)
    country = clean(path_text(element, *recruitment, "recruitmentcountry")) or None
    states = all_texts(element, *recruitment, "recruitmentstate")
    state = clean(states[0]) if len(states) == 1 else None
    sites = [
        Site(facility=clean(name), state=state, country=country or "Australia")
        for name in all_texts(element, *recruitment, "hospital")
    ]
    for postcode in all_texts(element, *recruitment, "postcode"):
        code, _, place = postcode.partition(" - ")
        sites.append(Site(city=clean(place) or None, zip=code.strip(), country=country))
    for abroad in [item for item in element.iter() if item.tag == "countryoutsideaustralia"]:
        sites.append(
            Site(
                country=path_text(abroad, "country") or None,
                state=path_text(abroad, "state") or None,
            )
        )
    if not sites and country:
        sites.extend(Site(country=country, state=clean(name)) for name in states)
    return tuple(dict.fromkeys(sites))


def _as_dict(element: ET.Element) -> dict[str, object]:
    """The record as JSON: element names as keys, repeated elements as lists."""
    result: dict[str, object] = {}
    for item in element:
        value: object = _as_dict(item) if len(item) else (item.text or "").strip()
        if item.tag in result:
            existing = result[item.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[item.tag] = [existing, value]
        else:
            result[item.tag] = value
    return result
