"""Items of a criteria list that state no requirement: headings, permissions, descriptions.

* A heading of a protocol template ("Medical Conditions", "Prior/Concomitant
  Therapy:", NCI's "Hematopoietic") only heads the items after it
  (``data/subheadings.json``).

* A permission ("Concurrent systemic chemotherapy allowed", "Prior
  radiotherapy permitted", "Histologic confirmation is not required", "An
  asymptomatic patient is eligible if …") relaxes the other criteria; read
  as a rule it would demand what it only allows.
* A description ("Dementia of the Alzheimer type will be defined by …",
  "The majority of patients with autoimmune disease are women …", "A total
  of 20 subjects will be enrolled", "5 patients with essential palatal
  tremor will be included") tells who the study is about in prose; a person
  reads it, no machine rule is drawn from it.

"Not allowed", "not permitted" and "are not eligible" are prohibitions, not
permissions: those items keep their rule.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Literal

SUBHEADINGS_FILE = Path(__file__).resolve().parent / "data" / "subheadings.json"
DESCRIPTION_REASON = "a description of the study's population, not a criterion to check"
Statement = Literal["permission", "description"]

_NOT = r"(?<!\bnot\s)(?<!n't\s)(?<!\bno\s)"
_PERMISSION = re.compile(
    rf"{_NOT}\b(?:allowed|permitted|acceptable|accepted)\b(?!\s+to\b)|"
    rf"(?<!\bnot\s)\b(?:is|are|remain|remains)\s+(?:also\s+)?eligible\b|"
    r"\b(?:is|are)\s+not\s+(?:required|necessary|mandatory)\b|\bnot\s+(?:required|needed)\b|"
    r"\bmay\s+(?:also\s+)?(?:be\s+)?(?:included|enrolled|eligible|participate|continue|take|use|"
    r"receive|remain\s+on|have\s+(?:had|received))\b",
    re.IGNORECASE,
)
_NUMBER_WORD = (
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|hundred"
)
_DESCRIPTION = re.compile(
    r"\bwill\s+be\s+(?:defined|enrolled|recruited|included|studied|evaluated|followed|invited|"
    r"selected|drawn|asked|seen|screened|randomi[sz]ed|assigned|identified)\b|"
    r"\b(?:is|are)\s+defined\b|\bdefined\s+(?:operationally\s+)?as\b|\bthe\s+majority\s+of\b|"
    r"\bmost\s+(?:of\s+the\s+)?(?:patients|subjects|participants)\b|"
    rf"\ba\s+total\s+of\s+(?:{_NUMBER_WORD})\b|\bwe\s+will\b|\bthis\s+(?:study|protocol)\s+will\b|"
    rf"^\W*(?:up\s+to\s+|approximately\s+|about\s+)?(?:{_NUMBER_WORD})(?:\s+to\s+(?:{_NUMBER_WORD}))?"
    r"\s+(?:[\w-]+\s+){0,3}(?:patients|subjects|participants|volunteers|controls|individuals|"
    r"adults|children|women|men)\b",
    re.IGNORECASE,
)


_ASIDE = re.compile(r"\([^()]*\)")
_SENTENCE = re.compile(r"(?<=[a-z0-9)])[.;]\s+(?=[A-Z])")


def statement_kind(text: str) -> Statement | None:
    """Whether *text* is a permission or a description rather than a requirement.

    Only the first sentence counts, asides left out: a criterion may go on to
    define its terms ("… treatment failure. A treatment failure is defined as …").
    """
    first = _SENTENCE.split(_ASIDE.sub(" ", text), maxsplit=1)[0]
    if _PERMISSION.search(first):
        return "permission"
    if _DESCRIPTION.search(first):
        return "description"
    return None


@cache
def _headings() -> frozenset[str]:
    data = json.loads(SUBHEADINGS_FILE.read_text(encoding="utf-8"))
    return frozenset(data["headings"])


def is_heading(text: str) -> bool:
    """'Medical Conditions', 'Prior/Concomitant Therapy:': a protocol template's sub-heading."""
    bare = re.sub(r"\s+", " ", text.strip(" \t\r\n*_#:.-")).lower()
    return len(bare) < 80 and bare in _headings()
