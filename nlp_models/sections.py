"""Split an eligibility text into inclusion and exclusion sections.

Header lines are recognised by the patterns in ``data/section_headers.json``
("Inclusion Criteria:", "Key Inclusion Criteria", "INCLUSION:", "Patients
will be excluded if", "Exclusion Criteria for the extension", …). Text
before the first header, or a text with no header at all, is inclusion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HEADERS_FILE = Path(__file__).resolve().parent / "data" / "section_headers.json"
# markdown emphasis, heading marks and list markers a header line may carry
_DECORATION = re.compile(r"^[\s#*_>\-•·]*(?:\d{1,2}[.)]\s*|[A-Z][.)]\s+|[IVX]{1,4}[.)]\s+)?")
_MAX_HEADER_CHARS = 120
_SPLIT_COMBINED_HEADER = re.compile(r"[\s#*_]*inclusion\s*(?:/|and|&)[\s*_]*", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    kind: str  # "inclusion" or "exclusion"
    start: int  # first character of the section body
    end: int


@dataclass(frozen=True)
class _Header:
    kind: str
    line_start: int
    body_start: int  # after the header (its colon), where items may start on the same line


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    data = json.loads(HEADERS_FILE.read_text(encoding="utf-8"))
    return tuple(
        (entry["kind"], re.compile(entry["regex"], re.IGNORECASE)) for entry in data["patterns"]
    )


def iter_lines(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, str]]:
    """(offset, line without its line break) for every line of text[start:end]."""
    stop = len(text) if end is None else end
    offset = start
    while offset < stop:
        newline = text.find("\n", offset, stop)
        line_end = stop if newline == -1 else newline
        yield offset, text[offset:line_end].rstrip("\r")
        offset = line_end + 1


def _header(offset: int, line: str) -> _Header | None:
    if len(line) > _MAX_HEADER_CHARS * 4:
        return None
    decoration = _DECORATION.match(line)
    skipped = decoration.end() if decoration else 0
    body = line[skipped:].replace("**", "").replace("__", "")
    for kind, pattern in _patterns():
        match = pattern.match(body)
        if match is None:
            continue
        if kind == "neutral":
            return _Header(kind, offset, offset + len(line))
        rest = body[match.end() :].strip(" *_:-–")
        if rest and match.group(0).rstrip()[-1:] != ":":
            continue  # a sentence that starts like a header, not a header
        colon = line.find(":", skipped)
        body_start = offset + (colon + 1 if colon != -1 and rest else len(line))
        return _Header(kind, offset, body_start)
    return None


def find_sections(text: str) -> list[Section]:
    """Sections in text order; neutral headers and empty sections are dropped."""
    headers = [h for offset, line in iter_lines(text) if (h := _header(offset, line))]
    sections: list[Section] = []
    first = headers[0].line_start if headers else len(text)
    if text[:first].strip():
        sections.append(Section("inclusion", 0, first))
    for index, header in enumerate(headers):
        end = headers[index + 1].line_start if index + 1 < len(headers) else len(text)
        previous_line = text[headers[index - 1].line_start : header.line_start] if index else ""
        if header.kind == "exclusion" and _SPLIT_COMBINED_HEADER.fullmatch(previous_line):
            # "Inclusion/" + "Exclusion Criteria:" is one combined header broken over two
            # lines: its list mixes both, each criterion's wording gives its polarity
            header = _Header("inclusion", header.line_start, header.body_start)
        if header.kind != "neutral" and text[header.body_start : end].strip():
            sections.append(Section(header.kind, header.body_start, end))
        elif header.kind == "neutral" and text[header.body_start : end].strip():
            previous = sections[-1].kind if sections else "inclusion"
            sections.append(Section(previous, header.body_start, end))
    return sections
