"""Rebuild ``nlp_models/data/condition_gazetteer.json`` from Chia's train split.

Run: ``.venv/bin/python bench/build_gazetteer.py``. Condition mentions seen at
least twice (one line, at most five words), generic words removed, and terms
that are annotated in under half of their train occurrences. Held-out
trials are never read, so the evaluation on them stays fair.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import chia_corpus

OUT = Path(__file__).resolve().parent.parent / "nlp_models" / "data" / "condition_gazetteer.json"
GENERIC = frozenset(
    {"condition", "conditions", "disease", "diseases", "disorder", "disorders", "complications",
     "co-morbidities", "comorbidities", "illness", "allergic", "bites", "critically ill",
     "diabetic", "contraindication", "contraindications", "contra-indications"}
)  # fmt: skip
MIN_PRECISION = 0.5
# measurement, person and value terms were tried too: no better on held-out than the
# hand-kept lists (data/measurements.json, data/entity_lexicon.json)
OTHER_TYPES = ("drug", "procedure", "temporal")
SOURCE = (
    "Condition mentions annotated at least twice in the train split of Chia (Kury et al., "
    "Sci Data 2020;7:281, CC BY 4.0; every 5th trial held out, see bench/chia_corpus.py), "
    "generic words removed, and terms annotated as a condition in under half of their "
    "occurrences in that split; other_types: drug, procedure and time terms chosen the same "
    "way. Regenerate with bench/build_gazetteer.py."
)


@cache
def _train_documents() -> tuple[chia_corpus.ChiaDocument, ...]:
    return tuple(chia_corpus.iter_documents("train"))


def _precision(term: str, entity_type: str = "condition") -> float:
    """Share of the term's occurrences in the train texts that Chia annotates with the type.

    A term written as a condition twice may still be plain text most of the time
    ("childbearing potential"): as a rule it would then mostly be wrong.
    """
    pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
    seen = annotated = 0
    for document in _train_documents():
        typed = [e for e in document.entities if e.type == entity_type]
        for match in pattern.finditer(document.text):
            seen += 1
            annotated += any(e.start < match.end() and match.start() < e.end for e in typed)
    return annotated / seen if seen else 0.0


def _terms(entity_type: str) -> list[str]:
    counts: Counter[str] = Counter()
    for document in _train_documents():
        for entity in document.entities:
            written = document.text[entity.start : entity.end]
            term = re.sub(r"\s+", " ", written.strip().lower())
            one_line = "\n" not in written and len(term) >= 3 and len(term.split()) <= 5
            if entity.type == entity_type and one_line and re.search(r"[a-z]{3}", term):
                counts[term] += 1
    candidates = {t for t, n in counts.items() if n >= 2 and t not in GENERIC}
    return sorted(t for t in candidates if _precision(t, entity_type) >= MIN_PRECISION)


def main() -> None:
    terms = _terms("condition")
    # other types the same way; the entity rules add them to their own lexicons
    other = {entity_type: _terms(entity_type) for entity_type in OTHER_TYPES}
    document = {"source": SOURCE, "terms": terms, "other_types": other}
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{len(terms)} condition terms and {sum(map(len, other.values()))} others in {OUT}")


if __name__ == "__main__":
    main()
