"""Routes, formulations and doses written into a drug's name.

"octreotide LAR", "fluticasone inhaler", "prednisone 10 mg tablets" and
"interferon beta-1a intramuscular" name one drug each: the words around the
drug say how it is given, not what it is. `bare_drug_text` takes them away so
the name can be looked up; `route_of` keeps the route, because some classes
hold only for some routes (an inhaled corticosteroid is not a systemic one).

A route is one of ``inhaled``, ``topical``, ``ophthalmic``, ``nasal``,
``otic``, ``oral``, ``parenteral``, ``rectal``, ``vaginal``.
"""

from __future__ import annotations

import re
from functools import cache

ROUTE_WORDS: dict[str, str] = {
    "inhaled": "inhaled",
    "inhaler": "inhaled",
    "inhalation": "inhaled",
    "inhalational": "inhaled",
    "nebulised": "inhaled",
    "nebulized": "inhaled",
    "hfa": "inhaled",
    "mdi": "inhaled",
    "diskus": "inhaled",
    "topical": "topical",
    "cream": "topical",
    "ointment": "topical",
    "gel": "topical",
    "lotion": "topical",
    "cutaneous": "topical",
    "transdermal": "topical",
    "patch": "topical",
    "ophthalmic": "ophthalmic",
    "eye drops": "ophthalmic",
    "eyedrops": "ophthalmic",
    "intravitreal": "ophthalmic",
    "nasal": "nasal",
    "intranasal": "nasal",
    "nasal spray": "nasal",
    "otic": "otic",
    "ear drops": "otic",
    "oral": "oral",
    "orally": "oral",
    "po": "oral",
    "tablet": "oral",
    "tablets": "oral",
    "tab": "oral",
    "tabs": "oral",
    "capsule": "oral",
    "capsules": "oral",
    "intravenous": "parenteral",
    "intravenously": "parenteral",
    "iv": "parenteral",
    "injection": "parenteral",
    "injectable": "parenteral",
    "infusion": "parenteral",
    "intramuscular": "parenteral",
    "im": "parenteral",
    "subcutaneous": "parenteral",
    "sc": "parenteral",
    "sq": "parenteral",
    "depot": "parenteral",
    "lar": "parenteral",
    "rectal": "rectal",
    "suppository": "rectal",
    "enema": "rectal",
    "vaginal": "vaginal",
}

# release forms and package words: they change how, not what
_FORM_WORDS = (
    "xr", "er", "sr", "cr", "xl", "la", "dr", "ir", "od", "extended release", "extended-release",
    "sustained release", "sustained-release", "controlled release", "delayed release",
    "delayed-release", "modified release", "long acting", "long-acting", "short acting",
    "short-acting", "immediate release", "solution", "suspension", "syrup", "spray", "drops",
    "pen", "prefilled", "vial", "formulation",
)  # fmt: skip
_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|units?|iu|%|mmol)(?:\s*/\s*(?:\d+\s*)?\w+)?\b"
    r"|\b(?:once|twice|three\s+times)\s+(?:a\s+)?(?:daily|day|weekly|week)\b"
    r"|\b(?:daily|weekly|monthly|bid|tid|qid|qd|qhs|prn|as\s+needed)\b",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\([^()]*(?:\)|$)")  # "acetaminophen (minimal relief)"
_SYSTEMIC_ROUTES = frozenset({"oral", "parenteral"})


@cache
def _words_pattern() -> re.Pattern[str]:
    words = sorted({*ROUTE_WORDS, *_FORM_WORDS}, key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def route_of(text: str) -> str | None:
    """The route the drug's text names ("fluticasone inhaler" -> "inhaled"), else None."""
    for found in _words_pattern().finditer(_DOSE.sub(" ", text)):
        route = ROUTE_WORDS.get(found.group(0).lower())
        if route is not None:
            return route
    return None


def is_local(route: str | None) -> bool:
    """A route that acts where the drug is put (inhaled, topical, eye, nose, ear)."""
    return (
        route is not None
        and route not in _SYSTEMIC_ROUTES
        and route
        not in (
            "rectal",
            "vaginal",
        )
    )


def bare_drug_text(text: str) -> str:
    """The text without dose, route, formulation and asides ("octreotide LAR" -> "octreotide")."""
    without = _words_pattern().sub(" ", _DOSE.sub(" ", _ASIDE.sub(" ", text)))
    return " ".join(without.replace("()", " ").split()).strip(" ,;:-/")
