"""WHO ICTRP (International Clinical Trials Registry Platform): its exports.

Three forms, one record builder:

- the XML export ``<Trials_downloaded_from_ICTRP><Trial>…``, old layout
  (values trimmed) and new (``Export_date``, ``Internal_Number``, every value
  followed by a newline and indentation);
- its CSV export (a header row; names compared without case, spaces or
  underscores, so ``Inclusion agemin``, ``INCLUSION_AGEMIN`` and
  ``Inclusion_agemin`` are one column);
- the WHO Trial Registration Data Set XML some registries serve
  (``<trials><trial><main>…<criteria>``; ChiCTR spells the record ``Triall``).

ICTRP carries every primary registry (ChiCTR, CTRI, DRKS, JPRN, PACTR,
ReBEC, ClinicalTrials.gov, EUCTR, CTIS …): a record keeps its own number
(WHO's ``EUCTR``/``CTIS`` prefix dropped) and links to its registry's page.
Ages are ``15Y``, ``6M``, ``18 Years``; criteria are ``<br>``-separated,
often one text with both lists.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO

from crawler.sources.fields import (
    age_limits,
    clean,
    criteria_text,
    excerpt,
    parse_age_years,
    parse_date,
    parse_sex,
    secondary_ids,
    split_list,
    strip_markup,
)
from crawler.sources.reading import parse_with
from crawler.sources.xml_records import (
    child,
    children,
    iter_records,
    local_name,
    peek_head,
    root_name,
    text_of,
)
from trialmatch.core.errors import SourceParseError
from trialmatch.core.registry_ids import parse_registry_id
from trialmatch.core.trial import Site, Trial

NAME = "who-ictrp"
EXPORT_ROOT = "Trials_downloaded_from_ICTRP"
TRDS_ROOTS = frozenset({"trials"})
TRDS_RECORDS = frozenset({"trial", "Triall"})
_KEY = re.compile(r"[\s_\-]+")
# Column (or element) names of one field, compared after `_key`.
ALIASES = {
    "trialid": "trial_id",
    "mainid": "trial_id",
    "trialidmain": "trial_id",
    "publictitle": "public_title",
    "scientifictitle": "scientific_title",
    "sourceregister": "source_register",
    "regname": "source_register",
    "webaddress": "web_address",
    "url": "web_address",
    "recruitmentstatus": "recruitment_status",
    "inclusionagemin": "age_min",
    "agemin": "age_min",
    "inclusionagemax": "age_max",
    "agemax": "age_max",
    "inclusiongender": "gender",
    "gender": "gender",
    "inclusioncriteria": "inclusion",
    "exclusioncriteria": "exclusion",
    "condition": "condition",
    "healthcondition": "condition",
    "hccode": "condition",
    "countries": "countries",
    "countryofrecruitment": "countries",
    "lastrefreshedon": "last_refreshed",
    "dateregistration": "date_registration",
    "dateregistration3": "date_registration3",
    "studytype": "study_type",
    "phase": "phase",
    "secondaryid": "secondary_ids",
    "secondaryids": "secondary_ids",
    "secid": "secondary_ids",
    "exportdate": "export_date",
}


def _key(name: str) -> str:
    return _KEY.sub("", name.strip().strip('"').casefold())


def recognises(head: bytes, name: str) -> bool:
    root = root_name(head)
    if root == EXPORT_ROOT:
        return True
    if root in TRDS_ROOTS:
        return any(f"<{tag}>".encode() in head for tag in TRDS_RECORDS) or b"<main>" in head
    if root is None and name.casefold().endswith((".csv", ".tsv", ".txt")):
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
        return _key("TrialID") in {_key(cell) for cell in re.split(r"[,;\t]", first)}
    return False


def parse(page: bytes, url: str) -> Iterator[Trial]:
    return parse_with(read_records, page, url)


def read_records(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    head = peek_head(stream)
    root = root_name(head)
    if root is None:
        yield from _read_csv(stream, where)
    elif root == EXPORT_ROOT:
        yield from _read_xml(stream, where, "Trial".__eq__, _export_fields)
    elif root in TRDS_ROOTS:
        yield from _read_xml(stream, where, TRDS_RECORDS.__contains__, _trds_fields)
    else:
        yield SourceParseError(
            f"not a WHO ICTRP export: the document is <{root}>, not <{EXPORT_ROOT}> or <trials>",
            registry=NAME,
            url=where,
            excerpt=excerpt(head),
        )


def _read_xml(
    stream: BinaryIO,
    where: str,
    is_record: Callable[[str], bool],
    fields_of: Callable[[ET.Element], dict[str, str]],
) -> Iterator[Trial | SourceParseError]:
    count = 0
    for item in iter_records(stream, is_record, registry=NAME, where=where):
        if isinstance(item, SourceParseError):
            yield item
            return
        number, element = item
        count += 1
        yield _record(fields_of(element), where, f"record {number}")
    if count == 0:
        yield SourceParseError("the export holds no trial", registry=NAME, url=where)


def _read_csv(stream: BinaryIO, where: str) -> Iterator[Trial | SourceParseError]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield from _read_csv_text(text, where)
    finally:
        text.detach()  # the caller owns the stream and closes it


def _read_csv_text(text: io.TextIOWrapper, where: str) -> Iterator[Trial | SourceParseError]:
    first_line = text.readline()
    text.seek(0)
    # the header names the columns, so the commonest separator in it is the delimiter
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(text, csv.excel, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        yield SourceParseError("empty file: no header row", registry=NAME, url=where)
        return
    names = [ALIASES.get(_key(cell), _key(cell)) for cell in header]
    if "trial_id" not in names:
        yield SourceParseError(
            "not a WHO ICTRP CSV export: no TrialID column in the header",
            registry=NAME,
            url=where,
            excerpt=excerpt(",".join(header)),
        )
        return
    count = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line between records
            count += 1
            fields = {name: value for name, value in zip(names, row, strict=False) if value}
            yield _record(fields, where, f"record {count} (line {reader.line_num})")
    except csv.Error as exc:
        yield SourceParseError(
            f"unreadable CSV: {exc}", registry=NAME, url=where, position=f"line {reader.line_num}"
        )
    if count == 0:
        yield SourceParseError("the export holds no trial", registry=NAME, url=where)


def _export_fields(element: ET.Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in element:
        name = ALIASES.get(_key(local_name(item.tag)))
        value = text_of(item)
        if name is None or not value:
            continue
        fields[name] = f"{fields[name]};{value}" if name in fields else value
    return fields


def _trds_fields(element: ET.Element) -> dict[str, str]:
    """The TRDS layout: ``<main>`` fields, ``<criteria>``, ``<countries>``, ``<secondary_ids>``."""
    fields: dict[str, str] = {}
    for section in element:
        section_name = local_name(section.tag)
        if section_name == "countries":
            fields["countries"] = ";".join(text_of(c) for c in section if text_of(c))
        elif section_name == "secondary_ids":
            fields["secondary_ids"] = ";".join(
                text_of(child(item, "sec_id")) or text_of(item) for item in section
            )
        elif section_name == "health_condition_keyword":
            continue
        elif len(section):
            for item in section:
                name = ALIASES.get(_key(local_name(item.tag)))
                if name is not None and text_of(item):
                    fields.setdefault(name, text_of(item))
    conditions = [text_of(c) for c in children(element, "health_condition_code")]
    if conditions and "condition" not in fields:
        fields["condition"] = ";".join(conditions)
    return fields


def _record(fields: Mapping[str, str], where: str, position: str) -> Trial | SourceParseError:
    raw_id = fields.get("trial_id", "").strip()
    registry_id = parse_registry_id(raw_id)
    trial_id = registry_id.id if registry_id is not None else raw_id
    if not trial_id:
        return SourceParseError(
            "a record without a TrialID", registry=NAME, url=where, position=position
        )
    try:
        return _trial(fields, trial_id, where)
    except (ValueError, TypeError) as exc:
        return SourceParseError(
            f"record {trial_id}: {exc}",
            registry=NAME,
            url=where,
            position=position,
            excerpt=excerpt(repr(dict(fields))),
        )


def _trial(fields: Mapping[str, str], trial_id: str, where: str) -> Trial:
    low, high = age_limits(
        parse_age_years(fields.get("age_min")), parse_age_years(fields.get("age_max"))
    )
    registry_id = parse_registry_id(trial_id)
    page = clean(fields.get("web_address")) or (registry_id.page_url if registry_id else None)
    last_update = parse_date(fields.get("last_refreshed")) or parse_date(
        fields.get("date_registration3") or fields.get("date_registration")
    )
    return Trial(
        registry=NAME,
        trial_id=trial_id,
        source_url=page or where,
        page_url=page,
        brief_title=clean(fields.get("public_title")),
        official_title=clean(fields.get("scientific_title")),
        overall_status=clean(fields.get("recruitment_status")) or None,
        conditions=split_list(strip_markup(fields.get("condition", "")).replace("\n", ";")),
        phases=_phases(fields.get("phase")),
        study_type=clean(fields.get("study_type")) or None,
        sex=parse_sex(fields.get("gender")),
        minimum_age_years=low,
        maximum_age_years=high,
        eligibility_text=criteria_text(fields.get("inclusion"), fields.get("exclusion")),
        last_update=last_update,
        sites=tuple(Site(country=country) for country in split_list(fields.get("countries"))),
        raw=dict(fields),
        secondary_ids=secondary_ids(
            [fields.get("secondary_ids"), fields.get("web_address")], trial_id
        ),
        flags=(f"source_register:{clean(fields.get('source_register'))}",)
        if fields.get("source_register")
        else (),
    )


def _phases(text: str | None) -> tuple[str, ...]:
    value = clean(text)
    if not value or value.casefold() in {"n/a", "na", "not applicable", "not selected"}:
        return ()
    return tuple(part.strip() for part in re.split(r"[/;]", value) if part.strip())
