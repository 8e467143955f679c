"""How allergies are written: the words that say so, and the substance they are to.

Shared by the parser (a criterion about an allergy becomes an allergy rule)
and the matcher (a patient's condition that records an allergy counts as one).
"""

from __future__ import annotations

import re
from functools import lru_cache

ALLERGY_WORDS = ("hypersensitivity", "allergy", "allergic", "intolerance", "anaphylaxis")
_NOT_SUBSTANCE = re.compile(
    r"\b(?:known|hypersensitivity|hypersensitivities|allergy|allergies|allergic|reactions?|"
    r"intolerances?|anaphylaxis|to|of|or|and|any)\b"
)


@lru_cache(maxsize=65536)  # the same allergy texts recur in every pair
def allergen(text: str) -> str:
    """What an allergy is to: "Hypersensitivity to baclofen" -> "baclofen"."""
    return " ".join(_NOT_SUBSTANCE.sub(" ", text.lower()).split())


def names_allergy(text: str) -> bool:
    """Whether a text says it is an allergy ("Penicillin allergy", "intolerance to …")."""
    lowered = text.lower()
    return any(word in lowered for word in ALLERGY_WORDS)
