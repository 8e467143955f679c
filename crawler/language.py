"""Which language a record's eligibility text is in (py3langid, its model bundled, offline).

The criteria parser reads English. CTIS and EUCTR member-state records,
DRKS, JPRN and others are often written in another language; such a text
is marked (`Trial.criteria_language`), kept and listed for a person to read,
and never parsed as if it were English. Identification is restricted to the
languages registries write in, which makes short texts far less often
mistaken; a text with too few letters to tell is left unmarked (None) and
read as English.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import TYPE_CHECKING

from trialmatch.core.trial import Trial

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# Languages of the registries we read (EU member states', the WHO primary registries').
LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "cs", "sk", "sl", "hr", "hu", "ro", "bg",
    "el", "sv", "da", "fi", "et", "lv", "lt", "no", "ja", "zh", "ko", "ru", "uk", "tr", "fa",
    "ar", "th", "he", "vi", "id",
)  # fmt: skip
MIN_LETTERS = 25
# Enough text to tell (a few sentences); the rest only costs time.
SAMPLE_CHARS = 600
# English function words other languages do not write as words of their own. Eligibility
# text in English has a quarter of its words among them (a tenth at the fifth
# percentile of the bundled records); Spanish, French, German or Italian text next to
# none. Text this plainly English is told without the model: a crawl's time is better
# spent elsewhere. Anything less plain goes to the model.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "with",
        "or",
        "for",
        "be",
        "are",
        "is",
        "who",
        "have",
        "has",
        "not",
        "any",
        "by",
        "from",
        "within",
        "than",
        "must",
        "will",
        "patients",
        "should",
        "been",
        "this",
        "that",
        "their",
    ]
)
PLAINLY_ENGLISH = 0.15
_WORDS = re.compile(r"[a-z]+")


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def identify_language(text: str | None) -> str | None:
    """The ISO 639-1 code of *text*'s language; None when there is too little text to tell."""
    if not text:
        return None
    sample = text[:SAMPLE_CHARS]
    if sum(1 for char in sample if char.isalpha()) < MIN_LETTERS:
        return None
    words = _WORDS.findall(sample.lower())
    if len(words) >= 20 and sum(w in ENGLISH_WORDS for w in words) >= PLAINLY_ENGLISH * len(words):
        return "en"
    language, _ = _identifier().classify(sample)
    return str(language)


def with_criteria_language(trial: Trial) -> Trial:
    """*trial* with the language of its eligibility text marked."""
    language = identify_language(trial.eligibility_text)
    if language == trial.criteria_language:
        return trial
    return dataclasses.replace(trial, criteria_language=language)
